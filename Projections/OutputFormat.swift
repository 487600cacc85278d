import EventLog

/// How rows are written: `table` for people at a terminal, `json` (one document), `jsonl`, `csv`.
public enum OutputFormat: String, Sendable, CaseIterable {
    case table, json, jsonl, csv, html
}

/// Renders rows (ordered JSON objects). Pure: returns bytes, writes nothing.
public enum RowWriter {
    /// One JSON document: an array of the rows.
    public static func json(_ rows: [JSONObject]) -> [UInt8] {
        var out: [UInt8] = [UInt8(ascii: "[")]
        for (index, row) in rows.enumerated() { appendJSONRow(row, index: index, into: &out) }
        out.append(contentsOf: jsonEnd)
        return out
    }

    /// How a JSON array document (`json`) ends.
    public static let jsonEnd: [UInt8] = Array("\n]\n".utf8)

    /// One JSON object per line.
    public static func jsonl(_ rows: [JSONObject]) -> [UInt8] {
        var out: [UInt8] = []
        for row in rows {
            JSONWriter.writeForDisplay(.object(row), into: &out)
            out.append(0x0A)
        }
        return out
    }

    /// RFC 4180 CSV, one value per cell: a header of every column seen (`allColumns`: nested objects flattened
    /// into named columns, `limit.min`), lists joined plainly (`cellText`). Cells that a spreadsheet would run as
    /// a formula (starting with = + - @ tab or CR) are prefixed with `'`.
    public static func csv(_ rows: [JSONObject], columns: [String]? = nil) -> [UInt8] {
        let header = columns ?? allColumns(rows)
        var out: [UInt8] = []
        appendCSVHeader(header, into: &out)
        for row in rows { appendCSV(row, columns: header, into: &out) }
        return out
    }

    /// The CSV header line of `columns`.
    public static func appendCSVHeader(_ columns: [String], into out: inout [UInt8]) {
        for (index, column) in columns.enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            out.append(contentsOf: escapeCSV(column).utf8)
        }
        out.append(contentsOf: [0x0D, 0x0A])
    }

    /// One CSV line: the row's cells in `columns` order (a column `a.b` is member `b` of the row's object `a`;
    /// of a list of objects, `b` of each, as a list).
    public static func appendCSV(_ row: JSONObject, columns: [String], into out: inout [UInt8]) {
        let members = row.members
        // The projections make their rows with the members in the columns' order, each once: the member is looked
        // for where the last column's was, and just after it, first.
        var cursor = 0
        for (index, column) in columns.enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            var found = false
            for candidate in cursor..<min(cursor + 2, members.count) {
                let key = members[candidate].key
                if column == key {
                    appendCSVCell(members[candidate].value, into: &out)
                    cursor = candidate + 1
                    found = true
                    break
                }
                if let rest = path(column, below: key) {
                    appendCSVCell(value(members[candidate].value, at: rest), into: &out)
                    cursor = candidate
                    found = true
                    break
                }
            }
            if !found { appendCSVCell(value(.object(row), at: column[...]), into: &out) }
        }
        out.append(contentsOf: [0x0D, 0x0A])
    }

    /// What follows `key.` in `column`, when `column` names something inside member `key`.
    static func path(_ column: String, below key: String) -> Substring? {
        let bytes = column.utf8
        guard bytes.count > key.utf8.count + 1, bytes.starts(with: key.utf8) else { return nil }
        let dot = bytes.index(bytes.startIndex, offsetBy: key.utf8.count)
        guard bytes[dot] == UInt8(ascii: ".") else { return nil }
        return column[bytes.index(after: dot)...]
    }

    /// The value a flattened column's `path` names inside `value`: a member (a key may itself hold a `.`), a member
    /// of a member, and so on; through a list, that of each item, as a list. Nil where there is none.
    static func value(_ value: JSONValue, at path: Substring) -> JSONValue? {
        if path.isEmpty { return value }
        switch value {
        case .object(let object):
            for member in object.members {
                if path == member.key { return member.value }
                if let rest = Self.path(String(path), below: member.key),
                    let found = Self.value(member.value, at: rest)
                {
                    return found
                }
            }
            return nil
        case .array(let items):
            return .array(items.map { Self.value($0, at: path) ?? .null })
        default: return nil
        }
    }

    /// A cell as `escapeCSV(cellText(value))`, written straight to `out`: most cells (codes, dates, numbers,
    /// names) need no quoting and go in as they are.
    static func appendCSVCell(_ value: JSONValue?, into out: inout [UInt8]) {
        switch value {
        case nil, .null?: return
        case .string(let text)?: appendCSVText(text, into: &out)
        case .number(let text)?: appendCSVText(text, into: &out)
        case .bool(let flag)?: out.append(contentsOf: (flag ? "true" : "false").utf8)
        case let other: appendCSVText(cellText(other), into: &out)
        }
    }

    /// A text cell as `escapeCSV(text)`, written straight to `out`.
    static func appendCSVText(_ text: String, into out: inout [UInt8]) {
        let plain = text.utf8.withContiguousStorageIfAvailable { bytes -> Bool in
            guard let first = bytes.first else { return true }
            // Printable ASCII, the usual case, in one pass; only text with other bytes is looked at again.
            guard !isFormulaStart(first),
                bytes.allSatisfy({ $0 >= 0x20 && $0 < 0x7F && $0 != 0x2C && $0 != 0x22 })
                    || !bytes.contains(where: {
                        $0 == 0x2C || $0 == 0x22 || TerminalText.mayBeginControl($0)
                    })
            else { return false }
            out.append(contentsOf: bytes)
            return true
        }
        if plain != true { out.append(contentsOf: escapeCSV(text).utf8) }
    }

    /// One row of a JSON array document (`json`): the `index`th row, with the separator before it.
    public static func appendJSONRow(_ row: JSONObject, index: Int, into out: inout [UInt8]) {
        appendJSONRowSeparator(index: index, into: &out)
        JSONWriter.writeForDisplay(.object(row), into: &out)
    }

    /// What goes before the `index`th row of a JSON array document (`json`): a line break, after a comma but for
    /// the first row.
    static func appendJSONRowSeparator(index: Int, into out: inout [UInt8]) {
        if index == 0 {
            out.append(0x0A)
        } else {
            out.append(contentsOf: [UInt8(ascii: ","), 0x0A])
        }
    }

    /// An aligned plain-text table of the given columns (else every member seen), `width` characters wide at most (nil: as wide as its
    /// cells). Nested values are written as `cellText` writes them (never as JSON); line breaks are shown as spaces
    /// and every other control character visibly, as `TerminalText` does. When the cells are wider than `width`,
    /// the widest columns are narrowed first, never below their heading's width nor 10 (a date, a code is never
    /// cut), and the cells cut in them end in `…`.
    public static func table(_ rows: [JSONObject], columns: [String]? = nil, width: Int? = nil)
        -> [UInt8]
    {
        var header: [String] = columns ?? []
        if columns == nil {
            var seen = Set<String>()
            for row in rows {
                for key in row.keys where seen.insert(key).inserted { header.append(key) }
            }
        }
        var cells: [[String]] = [header.map { TerminalText.escape($0) }]
        for row in rows {
            cells.append(
                header.map { column in
                    TerminalText.escape(cellText(row[column]).replacing("\n", with: " "))
                })
        }
        var widths = header.map { _ in 0 }
        for line in cells {
            for (index, cell) in line.enumerated() {
                widths[index] = max(widths[index], TerminalText.columns(cell))
            }
        }
        if let width {
            let floors = zip(cells[0], widths).map { heading, natural in
                min(natural, max(TerminalText.columns(heading), 10))
            }
            widths = fitted(widths, floors: floors, into: width)
        }
        var out = ""
        for (lineIndex, line) in cells.enumerated() {
            out +=
                line.enumerated().map { index, cell in
                    // By the columns a terminal gives each character (two for a Chinese one), not by count.
                    let shown =
                        TerminalText.columns(cell) > widths[index]
                        ? TerminalText.prefix(cell, columns: max(widths[index] - 1, 0)) + "…" : cell
                    let padding = widths[index] - TerminalText.columns(shown)
                    return index == line.count - 1
                        ? shown : shown + String(repeating: " ", count: max(padding, 0))
                }.joined(separator: "  ") + "\n"
            if lineIndex == 0 {
                out +=
                    widths.map { String(repeating: "-", count: $0) }.joined(separator: "  ") + "\n"
            }
        }
        if rows.isEmpty { out += "(none)\n" }
        return Array(out.utf8)
    }

    /// Column widths narrowed until the line (columns two spaces apart) fits in `width`: a character at a time
    /// from the widest (of equals, the rightmost), none below its floor; a line that cannot fit is left wider.
    static func fitted(_ natural: [Int], floors: [Int], into width: Int) -> [Int] {
        var widths = natural
        var excess = widths.reduce(max(widths.count - 1, 0) * 2, +) - width
        while excess > 0 {
            var widest: Int?
            for index in widths.indices where widths[index] > floors[index] {
                if widest.map({ widths[index] >= widths[$0] }) ?? true { widest = index }
            }
            guard let widest else { break }
            widths[widest] -= 1
            excess -= 1
        }
        return widths
    }

    /// The CSV columns of `rows`, in the order first seen: each member's name, or for an object the names of its
    /// members below it (`limit.min`, `progress.health.status`), and for a list of objects those of its items'
    /// members (`members.name`). A new column goes after the last one of its object, so an object's columns stay
    /// together whichever row first has each. A member that is only ever null or empty where others have columns
    /// below it has none of its own.
    public static func allColumns(_ rows: [JSONObject]) -> [String] {
        var columns = CSVColumns()
        for row in rows { columns.add(row) }
        return columns.names
    }

    /// The text of a cell, never JSON: strings as they are, null empty, numbers and booleans as JSON writes them,
    /// a list as its items' texts joined by `; ` (a semicolon and a space; a null item leaves its place empty), an
    /// object (in a table; a CSV has a column per member) as `name: text` pairs joined by `, `. An item whose text
    /// holds a `;` or a `"` is put in double quotes, its quotes doubled (`"Ann; Bob"; Cat`), so that splitting a
    /// cell on `; ` outside quotes gives the items back and the n-th item of `members.name` stays the n-th of
    /// `members.dob`.
    public static func cellText(_ value: JSONValue?) -> String {
        switch value {
        case nil, .null?: return ""
        case .string(let text)?: return text
        case .bool(let flag)?: return flag ? "true" : "false"
        case .number(let text)?: return text
        case .array(let items)?:
            return items.map { listItem(cellText($0)) }.joined(separator: listSeparator)
        case .object(let object)?:
            return object.members.map { "\($0.key): \(cellText($0.value))" }.joined(separator: ", ")
        }
    }

    /// What joins a list's items in a table or CSV cell.
    public static let listSeparator = "; "

    /// A list item's text as it stands in a cell: quoted when it holds the separator's `;` or a quote.
    static func listItem(_ text: String) -> String {
        guard text.contains(where: { $0 == ";" || $0 == "\"" }) else { return text }
        return "\"" + text.replacing("\"", with: "\"\"") + "\""
    }

    /// Whether a cell starting with `byte` would be read by a spreadsheet as a formula: = + - @ tab CR.
    static func isFormulaStart(_ byte: UInt8) -> Bool {
        byte == 0x3D || byte == 0x2B || byte == 0x2D || byte == 0x40 || byte == 0x09 || byte == 0x0D
    }

    /// Quotes a CSV cell when needed, neutralises formula injection, and writes control characters other than tab
    /// and line breaks visibly (`TerminalText`: a CSV is as often shown on a terminal as opened in a spreadsheet).
    public static func escapeCSV(_ text: String) -> String {
        let text = TerminalText.escape(text, keeping: "\t\n\r")
        // The common cell (no quote, comma or line break; not starting like a formula) is written as it is.
        let plain = !text.utf8.contains { $0 == 0x2C || $0 == 0x22 || $0 == 0x0A || $0 == 0x0D }
        if plain, let first = text.utf8.first, !isFormulaStart(first) { return text }
        var cell = text
        if let first = cell.utf8.first, isFormulaStart(first), Double(cell) == nil {
            cell = "'" + cell
        }
        if plain { return cell }
        // Byte by byte: a "\r\n" inside a cell is one Character, which a Character search would not see.
        var quoted: [UInt8] = [0x22]
        for byte in cell.utf8 {
            quoted.append(byte)
            if byte == 0x22 { quoted.append(0x22) }
        }
        quoted.append(0x22)
        return String(decoding: quoted, as: UTF8.self)
    }
}

/// The columns of a CSV made from rows that hold objects and lists of objects (`RowWriter.allColumns`): built a row
/// (or a block of rows' columns) at a time.
public struct CSVColumns: Sendable {
    private(set) var all: [String] = []
    private var known: Set<String> = []
    /// Columns so far only null or empty (an object or list that may have columns below it).
    private var placeholders: Set<String> = []

    public init() {}

    /// The columns: every one seen but a placeholder with columns below it.
    public var names: [String] {
        all.filter { name in
            !placeholders.contains(name) || !all.contains { RowWriter.path($0, below: name) != nil }
        }
    }

    /// Adds the columns of `row`.
    public mutating func add(_ row: JSONObject) {
        for member in row.members { add(member.value, at: member.key) }
    }

    /// Adds the columns of `other`, as if its rows came after these.
    public mutating func add(_ other: CSVColumns) {
        for name in other.all { add(name, placeholder: other.placeholders.contains(name)) }
    }

    private mutating func add(_ value: JSONValue, at name: String) {
        switch value {
        case .object(let object) where !object.members.isEmpty:
            for member in object.members { add(member.value, at: name + "." + member.key) }
        case .array(let items) where items.contains(where: { $0.objectValue != nil }):
            for item in items {
                if let object = item.objectValue {
                    for member in object.members { add(member.value, at: name + "." + member.key) }
                } else if item != .null {
                    add(name, placeholder: false)
                }
            }
        case .null, .object, .array([]): add(name, placeholder: true)
        default: add(name, placeholder: false)
        }
    }

    private mutating func add(_ name: String, placeholder: Bool) {
        if known.contains(name) {
            if !placeholder { placeholders.remove(name) }
            return
        }
        known.insert(name)
        if placeholder { placeholders.insert(name) }
        // After the last column of the nearest object it is in that has columns already; else at the end.
        var parent = Substring(name)
        while let dot = parent.lastIndex(of: ".") {
            parent = parent[..<dot]
            let group = String(parent)
            if let last = all.lastIndex(where: {
                $0 == group || RowWriter.path($0, below: group) != nil
            }) {
                all.insert(name, at: last + 1)
                return
            }
        }
        all.append(name)
    }
}
