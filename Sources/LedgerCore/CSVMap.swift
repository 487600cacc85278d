import EventLog

/// How the rows of a CSV export become events (`ledger ingest --csv FILE --map MAP.json`; docs/CSV-MAPS.md).
///
/// A map is a JSON object whose keys are paths into the event (`type`, `stream`, `id`, `occurredAt`, `actor.id`,
/// `data.members[0].name`) and whose values say where each value comes from:
/// - a string is a template: `{Column}` is that column's cell, `{{` and `}}` are braces, the rest is text (so a
///   string with no braces is a constant);
/// - a number, `true`, `false`, `null` or an array is a constant;
/// - an object with `column`, `hash` or `value` is a source: `{"column": "DOB", "date": "dd/MM/yyyy",
///   "optional": true}`, `{"column": "Percent", "as": "number"}`, `{"column": "Gender", "values": {"M": "male"}}`,
///   `{"hash": ["Ref", "Date"], "prefix": "mosaic-"}`, `{"value": {…}}`;
/// - any other object groups paths under its key: `"actor": {"id": "mosaic", "role": "system"}`.
///
/// The map only builds the event line; the line then goes through the same validation as any JSON line.
public struct CSVMap: Sendable {
    /// One step of a path: a member name, then any array indices (`members[0]`).
    struct Step: Sendable, Equatable {
        var name: String
        var indices: [Int]
    }

    /// How a column's cell becomes a JSON value.
    enum Conversion: Sendable {
        case string
        case number
        case integer
        case boolean
        case date(DatePattern)
        case values([String: JSONValue])
    }

    /// Where one value comes from.
    enum Source: Sendable {
        case constant(JSONValue)
        case template([TemplatePart])
        case column(name: String, conversion: Conversion, optional: Bool)
        case hash(columns: [String], prefix: String)
    }

    enum TemplatePart: Sendable {
        case text(String)
        case column(String)
    }

    /// A path and its source.
    struct Entry: Sendable {
        var path: [Step]
        var text: String
        var source: Source
    }

    let entries: [Entry]

    /// The members an event line may have that a map can fill.
    static let eventMembers: Set<String> = [
        "id", "stream", "type", "v", "occurredAt", "actor", "source", "data",
    ]

    /// Reads a map document; throws naming the path and what is wrong.
    public init(json: JSONValue) throws(CSVError) {
        guard let object = json.objectValue else {
            throw CSVError(message: "the map must be a JSON object")
        }
        var entries: [Entry] = []
        try Self.collect(object, prefix: [], prefixText: "", into: &entries)
        // Paths must not overlap: one value per path, and nothing below a value.
        var values = Set<String>()
        var groups = Set<String>()
        for entry in entries {
            var text = ""
            var prefixes: [String] = []
            for (position, step) in entry.path.enumerated() {
                text += (position == 0 ? "" : ".") + step.name
                prefixes.append(text)
                for index in step.indices {
                    text += "[\(index)]"
                    prefixes.append(text)
                }
            }
            prefixes.removeLast()
            for prefix in prefixes {
                if values.contains(prefix) {
                    throw CSVError(
                        message: "map: \(entry.text) is below \(prefix), which has a value")
                }
                groups.insert(prefix)
            }
            if values.contains(entry.text) || groups.contains(entry.text) {
                throw CSVError(message: "map: \(entry.text) is given twice, or has paths below it")
            }
            values.insert(entry.text)
        }
        for required in ["id", "stream", "type", "occurredAt", "actor.id", "actor.role"]
        where !entries.contains(where: { $0.text == required }) {
            let why =
                required == "id"
                ? " (a column, or a hash of columns, so that ingesting an export again adds nothing)"
                : ""
            throw CSVError(message: "map: \(required) is missing\(why)")
        }
        self.entries = entries
    }

    /// Every column the map reads.
    public var columns: [String] {
        var names: [String] = []
        for entry in entries {
            switch entry.source {
            case .constant: break
            case .template(let parts):
                for case .column(let name) in parts { names.append(name) }
            case .column(let name, _, _): names.append(name)
            case .hash(let columns, _): names.append(contentsOf: columns)
            }
        }
        var seen = Set<String>()
        return names.filter { seen.insert($0).inserted }
    }

    /// The column that fills the event member at `path` (`data.members[0].dob`), if one column does.
    public func column(filling path: String) -> String? {
        for entry in entries where entry.text == path {
            switch entry.source {
            case .column(let name, _, _): return name
            case .template(let parts):
                let names = parts.compactMap { part -> String? in
                    if case .column(let name) = part { return name }
                    return nil
                }
                return names.count == 1 ? names[0] : nil
            case .constant, .hash: return nil
            }
        }
        return nil
    }

    /// A row refused before it became an event: the column, where one is to blame, and why.
    public struct RowRefusal: Error, Equatable, Sendable {
        /// The column named.
        public var column: String?
        /// Why, without the cell's value (it may be personal data).
        public var reason: String

        /// A refusal.
        public init(column: String?, reason: String) {
            self.column = column
            self.reason = reason
        }
    }

    /// The event line for a row whose cells are given by header name, or why the row is refused.
    public func event(cells: [String], header: [String]) throws(RowRefusal) -> [UInt8] {
        guard cells.count == header.count else {
            if cells.count < header.count {
                let missing = header[cells.count]
                throw RowRefusal(
                    column: missing,
                    reason:
                        "column \"\(missing)\" is missing: the row has \(cells.count) cells, the header \(header.count)"
                )
            }
            throw RowRefusal(
                column: nil,
                reason:
                    "the row has \(cells.count) cells, the header \(header.count): a comma too many?"
            )
        }
        // A cell as the reader gave it (an unquoted one trimmed, a quoted one as written); one of only spaces fills
        // no member.
        func cell(_ name: String) throws(RowRefusal) -> String {
            guard let index = header.firstIndex(of: name) else {
                throw RowRefusal(column: name, reason: "column \"\(name)\" is not in the header")
            }
            return cells[index]
        }
        var root = Node.object([])
        for entry in entries {
            let value: JSONValue
            switch entry.source {
            case .constant(let constant): value = constant
            case .template(let parts):
                var text = ""
                for part in parts {
                    switch part {
                    case .text(let literal): text += literal
                    case .column(let name):
                        let content = try cell(name)
                        if CSVTable.trimmed(content).isEmpty {
                            throw RowRefusal(
                                column: name,
                                reason: "column \"\(name)\" is empty (it fills \(entry.text))")
                        }
                        text += content
                    }
                }
                value = .string(text)
            case .hash(let columns, let prefix):
                var hasher = SHA256()
                for (position, name) in columns.enumerated() {
                    if position > 0 { hasher.update([Self.separator]) }
                    hasher.update(Self.escaped(Array(try cell(name).utf8)))
                }
                value = .string(prefix + String(hasher.finalize().hex.prefix(32)))
            case .column(let name, let conversion, let optional):
                let content = try cell(name)
                if CSVTable.trimmed(content).isEmpty {
                    if optional { continue }
                    throw RowRefusal(
                        column: name, reason: "column \"\(name)\" is empty (it fills \(entry.text))"
                    )
                }
                value = try Self.convert(content, conversion, column: name)
            }
            root.insert(value, at: entry.path[...])
        }
        if !entries.contains(where: { $0.path.first?.name == "data" }) {
            root.insert(.object(JSONObject()), at: [Step(name: "data", indices: [])][...])
        }
        return JSONWriter.bytes(root.json)
    }

    /// The byte between the cells a hashed id is made of (U+001F, the unit separator).
    static let separator: UInt8 = 0x1F
    /// A cell's bytes as the id's hash reads them: U+001E and U+001F inside a cell are each preceded by U+001E,
    /// so no two different rows' cells read the same (`a<US>b`,`c` against `a`,`b<US>c`), while a cell without
    /// either (every real export's) reads as itself, so ids made before stay the same.
    static func escaped(_ cell: [UInt8]) -> [UInt8] {
        guard cell.contains(where: { $0 == 0x1E || $0 == separator }) else { return cell }
        var out: [UInt8] = []
        out.reserveCapacity(cell.count + 2)
        for byte in cell {
            if byte == 0x1E || byte == separator { out.append(0x1E) }
            out.append(byte)
        }
        return out
    }

    static func convert(_ content: String, _ conversion: Conversion, column: String)
        throws(RowRefusal)
        -> JSONValue
    {
        switch conversion {
        case .string: return .string(content)
        case .number, .integer:
            let integer = if case .integer = conversion { true } else { false }
            guard let parsed = try? JSONParser.parse(content), case .number = parsed,
                !integer || parsed.intValue != nil
            else {
                throw RowRefusal(
                    column: column,
                    reason: "column \"\(column)\" is not \(integer ? "a whole number" : "a number")"
                )
            }
            return parsed
        case .boolean:
            switch content.lowercased() {
            case "true", "yes", "y", "1": return .bool(true)
            case "false", "no", "n", "0": return .bool(false)
            default:
                throw RowRefusal(
                    column: column,
                    reason: "column \"\(column)\" is not true/false, yes/no, y/n or 1/0")
            }
        case .date(let pattern):
            guard let date = pattern.date(content) else {
                throw RowRefusal(
                    column: column,
                    reason: "column \"\(column)\" is not a date in the form \(pattern.text)")
            }
            return .string(date.description)
        case .values(let table):
            guard let mapped = table[content] else {
                throw RowRefusal(
                    column: column,
                    reason:
                        "column \"\(column)\" holds a value the map does not list (\(table.keys.sorted().joined(separator: ", ")))"
                )
            }
            return mapped
        }
    }

    // MARK: Reading the map

    static func collect(
        _ object: JSONObject, prefix: [Step], prefixText: String, into entries: inout [Entry]
    )
        throws(CSVError)
    {
        for member in object.members {
            let steps = try parsePath(member.key, context: prefixText)
            let path = prefix + steps
            let text = path.enumerated().map { position, step in
                (position == 0 ? "" : ".") + step.name + step.indices.map { "[\($0)]" }.joined()
            }.joined()
            if let first = path.first,
                !eventMembers.contains(first.name)
                    || (first.name != "data" && !first.indices.isEmpty)
            {
                throw CSVError(
                    message:
                        "map: \(text): an event has no member \(first.name) (it has \(eventMembers.sorted().joined(separator: ", ")))"
                )
            }
            switch member.value {
            case .string(let template):
                entries.append(
                    Entry(path: path, text: text, source: try parseTemplate(template, path: text)))
            case .null, .bool, .number, .array:
                entries.append(Entry(path: path, text: text, source: .constant(member.value)))
            case .object(let inner):
                if inner["column"] != nil || inner["hash"] != nil || inner["value"] != nil {
                    entries.append(
                        Entry(path: path, text: text, source: try parseSource(inner, path: text)))
                } else if inner.members.isEmpty {
                    entries.append(Entry(path: path, text: text, source: .constant(.object(inner))))
                } else {
                    try collect(inner, prefix: path, prefixText: text, into: &entries)
                }
            }
        }
    }

    static func parsePath(_ key: String, context: String) throws(CSVError) -> [Step] {
        var steps: [Step] = []
        let where_ = context.isEmpty ? key : context + "." + key
        for part in key.split(separator: ".", omittingEmptySubsequences: false) {
            var name = Substring(part)
            var indices: [Int] = []
            while name.hasSuffix("]") {
                guard let open = name.lastIndex(of: "["),
                    let index = Int(
                        name[name.index(after: open)..<name.index(before: name.endIndex)]),
                    index >= 0, index < 1000
                else { throw CSVError(message: "map: \(where_): an index is written [0], [1] …") }
                indices.insert(index, at: 0)
                name = name[..<open]
            }
            guard !name.isEmpty, !name.contains("["), !name.contains("]") else {
                throw CSVError(
                    message:
                        "map: \(where_): a path is names joined by dots, each with optional [N]")
            }
            steps.append(Step(name: String(name), indices: indices))
        }
        return steps
    }

    static func parseTemplate(_ template: String, path: String) throws(CSVError) -> Source {
        var parts: [TemplatePart] = []
        var text = ""
        var characters = Array(template)[...]
        while let character = characters.popFirst() {
            if character == "{" {
                if characters.first == "{" {
                    characters.removeFirst()
                    text.append("{")
                    continue
                }
                guard let close = characters.firstIndex(of: "}") else {
                    throw CSVError(
                        message:
                            "map: \(path): \"{\" opens a column name that is never closed (write {{ for a brace)"
                    )
                }
                let name = CSVTable.trimmed(String(characters[..<close]))
                guard !name.isEmpty else {
                    throw CSVError(message: "map: \(path): {} names no column")
                }
                if !text.isEmpty { parts.append(.text(text)) }
                text = ""
                parts.append(.column(name))
                characters = characters[characters.index(after: close)...]
            } else if character == "}" {
                guard characters.first == "}" else {
                    throw CSVError(message: "map: \(path): a lone \"}\" (write }} for a brace)")
                }
                characters.removeFirst()
                text.append("}")
            } else {
                text.append(character)
            }
        }
        if !text.isEmpty { parts.append(.text(text)) }
        if parts.allSatisfy({ if case .text = $0 { true } else { false } }) {
            return .constant(.string(text))
        }
        return .template(parts)
    }

    static func parseSource(_ object: JSONObject, path: String) throws(CSVError) -> Source {
        let known: Set<String> = [
            "column", "hash", "prefix", "value", "date", "as", "values", "optional",
        ]
        for key in object.keys where !known.contains(key) {
            throw CSVError(
                message:
                    "map: \(path): unknown option \"\(key)\" (options: \(known.sorted().joined(separator: ", ")))"
            )
        }
        if let value = object["value"] {
            guard object.members.count == 1 else {
                throw CSVError(
                    message: "map: \(path): \"value\" is a constant and takes no options")
            }
            return .constant(value)
        }
        if let hash = object["hash"] {
            guard object["column"] == nil, let names = hash.arrayValue?.compactMap(\.stringValue),
                !names.isEmpty, names.count == hash.arrayValue?.count
            else { throw CSVError(message: "map: \(path): \"hash\" is a list of column names") }
            guard Set(object.keys).isSubset(of: ["hash", "prefix"]) else {
                throw CSVError(message: "map: \(path): a hash takes only \"prefix\"")
            }
            let prefix = object["prefix"]?.stringValue ?? ""
            guard prefix.count <= 64,
                prefix.allSatisfy({
                    $0.isASCII && ($0.isLetter || $0.isNumber || "._:-".contains($0))
                })
            else {
                throw CSVError(
                    message: "map: \(path): a hash's prefix is up to 64 of A-Za-z0-9._:-")
            }
            return .hash(columns: names.map(CSVTable.trimmed), prefix: prefix)
        }
        guard let name = object["column"]?.stringValue, !CSVTable.trimmed(name).isEmpty else {
            throw CSVError(message: "map: \(path): \"column\" is a column's name from the header")
        }
        var optional = false
        if let flag = object["optional"] {
            guard let value = flag.boolValue else {
                throw CSVError(message: "map: \(path): \"optional\" is true or false")
            }
            optional = value
        }
        let chosen = ["date", "as", "values"].filter { object[$0] != nil }
        guard chosen.count <= 1 else {
            throw CSVError(
                message:
                    "map: \(path): give one of \"date\", \"as\" and \"values\", not \(chosen.joined(separator: " and "))"
            )
        }
        var conversion = Conversion.string
        if let date = object["date"] {
            guard let text = date.stringValue, let pattern = DatePattern(text) else {
                throw CSVError(
                    message:
                        "map: \(path): \"date\" is a pattern of yyyy, MM or M, MMM, dd or d, HH, mm, ss and separators, e.g. dd/MM/yyyy"
                )
            }
            conversion = .date(pattern)
        } else if let kind = object["as"] {
            switch kind.stringValue {
            case "string": conversion = .string
            case "number": conversion = .number
            case "integer": conversion = .integer
            case "boolean": conversion = .boolean
            default:
                throw CSVError(
                    message: "map: \(path): \"as\" is string, number, integer or boolean")
            }
        } else if let values = object["values"] {
            guard let table = values.objectValue, !table.members.isEmpty else {
                throw CSVError(
                    message:
                        "map: \(path): \"values\" is an object from a cell's text to the value to record"
                )
            }
            conversion = .values(
                Dictionary(
                    table.members.map { ($0.key, $0.value) },
                    uniquingKeysWith: { first, _ in first }))
        }
        return .column(name: CSVTable.trimmed(name), conversion: conversion, optional: optional)
    }
}

/// The event being built: objects keep the map's order; arrays are filled by index, in index order, leaving out
/// indices no value reached (a second child whose optional cells are all empty).
enum Node {
    case value(JSONValue)
    case object([(String, Node)])
    case array([Int: Node])

    mutating func insert(_ value: JSONValue, at path: ArraySlice<CSVMap.Step>) {
        guard let step = path.first else {
            self = .value(value)
            return
        }
        guard case .object(var members) = self else { return }
        let position =
            members.firstIndex(where: { $0.0 == step.name })
            ?? {
                members.append((step.name, step.indices.isEmpty ? .object([]) : .array([:])))
                return members.count - 1
            }()
        members[position].1.insert(value, indices: step.indices[...], rest: path.dropFirst())
        self = .object(members)
    }

    mutating func insert(
        _ value: JSONValue, indices: ArraySlice<Int>, rest: ArraySlice<CSVMap.Step>
    ) {
        guard let index = indices.first else {
            if rest.isEmpty {
                self = .value(value)
            } else {
                insert(value, at: rest)
            }
            return
        }
        guard case .array(var items) = self else { return }
        let fresh: Node =
            indices.count > 1 ? .array([:]) : (rest.isEmpty ? .value(.null) : .object([]))
        var item = items[index] ?? fresh
        item.insert(value, indices: indices.dropFirst(), rest: rest)
        items[index] = item
        self = .array(items)
    }

    var json: JSONValue {
        switch self {
        case .value(let value): value
        case .object(let members): .object(JSONObject(members.map { JSONMember($0.0, $0.1.json) }))
        case .array(let items): .array(items.keys.sorted().compactMap { items[$0]?.json })
        }
    }
}

/// A date pattern such as `dd/MM/yyyy` (letters as in Unicode date patterns): `yyyy` the year, `MM` or `M` the
/// month (`MMM` its English three-letter name), `dd` or `d` the day, `HH`, `mm`, `ss` a time that is read and
/// dropped; anything else must appear as written.
public struct DatePattern: Sendable {
    enum Token: Equatable {
        case year, month2, month, monthName, day2, day, twoDigits, literal(Character)
    }

    /// The pattern as written.
    public let text: String
    let tokens: [Token]

    /// A pattern, if it is made of the letters above and other characters.
    public init?(_ text: String) {
        self.text = text
        var tokens: [Token] = []
        var characters = Array(text)[...]
        while let character = characters.first {
            let run = characters.prefix(while: { $0 == character }).count
            characters = characters.dropFirst(run)
            switch (character, run) {
            case ("y", 4): tokens.append(.year)
            case ("M", 1): tokens.append(.month)
            case ("M", 2): tokens.append(.month2)
            case ("M", 3): tokens.append(.monthName)
            case ("d", 1): tokens.append(.day)
            case ("d", 2): tokens.append(.day2)
            case ("H", 2), ("m", 2), ("s", 2): tokens.append(.twoDigits)
            case _ where character.isLetter: return nil
            default: tokens.append(contentsOf: Array(repeating: .literal(character), count: run))
            }
        }
        guard tokens.contains(.year),
            tokens.contains(where: { [.month, .month2, .monthName].contains($0) }),
            tokens.contains(where: { [.day, .day2].contains($0) })
        else { return nil }
        self.tokens = tokens
    }

    static let monthNames = [
        "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
    ]

    /// The date `text` names in this pattern, if it is one.
    public func date(_ text: String) -> CivilDate? {
        var characters = Array(text)[...]
        var year = 0, month = 0, day = 0
        func digits(_ minimum: Int, _ maximum: Int) -> Int? {
            let run = characters.prefix(maximum).prefix(while: { $0.isASCII && $0.isNumber })
            guard run.count >= minimum else { return nil }
            characters = characters.dropFirst(run.count)
            return Int(String(run))
        }
        for token in tokens {
            switch token {
            case .year: guard let value = digits(4, 4) else { return nil }; year = value
            case .month2: guard let value = digits(2, 2) else { return nil }; month = value
            case .month: guard let value = digits(1, 2) else { return nil }; month = value
            case .day2: guard let value = digits(2, 2) else { return nil }; day = value
            case .day: guard let value = digits(1, 2) else { return nil }; day = value
            case .twoDigits: guard digits(2, 2) != nil else { return nil }
            case .monthName:
                let name = String(characters.prefix(3)).lowercased()
                guard let index = Self.monthNames.firstIndex(of: name) else { return nil }
                month = index + 1
                characters = characters.dropFirst(3)
            case .literal(let expected):
                guard characters.first == expected else { return nil }
                characters = characters.dropFirst()
            }
        }
        guard characters.isEmpty else { return nil }
        return CivilDate(year: year, month: month, day: day)
    }
}
