import EventLog

/// What a `data` member may hold. A small schema language, so the catalogue reads as the contract does.
///
/// Only the list is boxed: a kind is copied for every member an event's data is checked against, and copying a
/// boxed kind retains the box, which every core shares.
public enum FieldKind: Sendable {
    /// Any non-empty string of at most `maxLength` characters.
    case text
    /// One of the listed strings.
    case oneOf([String])
    /// `YYYY-MM-DD`.
    case date
    /// `true` or `false`.
    case bool
    /// An integer within the range.
    case integer(ClosedRange<Int>)
    /// A number within the range (integers or decimals).
    case number(ClosedRange<Double>)
    /// A number greater than `lower` and at most `upper` (FTE).
    case numberAbove(Double, atMost: Double)
    /// A reference: 1–64 of `A-Za-z0-9._-` (worker ids, family refs, member ids).
    case reference
    /// An object with exactly these members (no others).
    case object([Field])
    /// Any object (checked elsewhere).
    case anyObject
    /// A list of at least `min` items of the kind.
    indirect case list(FieldKind, min: Int)
    /// A string, or a list of strings (free-text worries, strengths, needs, decisions).
    case textOrList
    /// A code of uppercase letters `A`–`Z`, of a length in the range (a DfE ethnicity code: 2–4).
    case code(ClosedRange<Int>)
}

/// One member of a `data` object.
public struct Field: Sendable {
    /// The member's name.
    public let name: String
    /// What it may hold.
    public let kind: FieldKind
    /// Whether it must be present.
    public let required: Bool

    /// A required member.
    public static func required(_ name: String, _ kind: FieldKind) -> Field {
        Field(name: name, kind: kind, required: true)
    }

    /// An optional member.
    public static func optional(_ name: String, _ kind: FieldKind) -> Field {
        Field(name: name, kind: kind, required: false)
    }
}

/// A schema violation: the path of the offending value and the rule it breaks.
public struct SchemaViolation: Error, Equatable, Sendable {
    /// e.g. `data.familyStar.keepingSafe`.
    public var field: String
    /// e.g. `11 is outside 1–10`.
    public var rule: String
}

/// Checks a JSON value against a `FieldKind`.
public enum SchemaChecker {
    /// Longest free text accepted in one member.
    public static let maxTextLength = 100_000

    /// Checks `value` at `path`; throws the first violation.
    public static func check(_ value: JSONValue, _ kind: FieldKind, at path: String)
        throws(SchemaViolation)
    {
        try check(value, kind, path: { path })
    }

    /// Checks an object against its fields: required ones present, no unknown ones.
    public static func checkObject(_ object: JSONObject, _ fields: [Field], at path: String)
        throws(SchemaViolation)
    {
        try checkObject(object, fields, path: { path })
    }

    // The path is spelled only when a violation names it: spelling it for every member checked (most are fine)
    // was a string built and freed per member.

    private static func check(_ value: JSONValue, _ kind: FieldKind, path: () -> String)
        throws(SchemaViolation)
    {
        switch kind {
        case .text:
            guard let text = value.stringValue else { throw mistyped(value, "a string", path()) }
            if text.isEmpty { throw SchemaViolation(field: path(), rule: "must not be empty") }
            if text.utf8.count > maxTextLength {
                throw SchemaViolation(field: path(), rule: "longer than \(maxTextLength) bytes")
            }
        case .oneOf(let allowed):
            guard let text = value.stringValue else { throw mistyped(value, "a string", path()) }
            if !allowed.contains(text) {
                throw SchemaViolation(
                    field: path(),
                    rule: "\(quoted(text)) is not one of \(allowed.joined(separator: ", "))")
            }
        case .date:
            guard let text = value.stringValue else {
                throw mistyped(value, "a date string", path())
            }
            if CivilDate(text) == nil {
                throw SchemaViolation(
                    field: path(), rule: "\(quoted(text)) is not a YYYY-MM-DD date")
            }
        case .bool:
            guard value.boolValue != nil else { throw mistyped(value, "true or false", path()) }
        case .integer(let range):
            guard case .number(let text) = value else {
                throw mistyped(value, "an integer", path())
            }
            guard let number = Int(text) else {
                throw SchemaViolation(field: path(), rule: "\(text) is not an integer")
            }
            if !range.contains(number) {
                throw SchemaViolation(
                    field: path(), rule: "\(number) is outside \(describe(range))")
            }
        case .number(let range):
            guard case .number(let text) = value, let number = Double(text) else {
                throw mistyped(value, "a number", path())
            }
            if !NumberLiteral.within(text.utf8, number, range) {
                throw SchemaViolation(
                    field: path(),
                    rule:
                        "\(text) is outside \(format(range.lowerBound))–\(format(range.upperBound))"
                )
            }
        case .numberAbove(let lower, let upper):
            guard case .number(let text) = value, let number = Double(text) else {
                throw mistyped(value, "a number", path())
            }
            if !NumberLiteral.above(text.utf8, number, lower, atMost: upper) {
                throw SchemaViolation(
                    field: path(),
                    rule: "\(text) must be over \(format(lower)) and at most \(format(upper))")
            }
        case .reference:
            guard let text = value.stringValue else { throw mistyped(value, "a string", path()) }
            if !Identifiers.isReference(text) {
                throw SchemaViolation(
                    field: path(), rule: "\(quoted(text)) must be 1–64 of A-Za-z0-9._-")
            }
        case .object(let fields):
            guard let object = value.objectValue else { throw mistyped(value, "an object", path()) }
            try checkObject(object, fields, path: path)
        case .anyObject:
            guard value.objectValue != nil else { throw mistyped(value, "an object", path()) }
        case .list(let element, let minimum):
            guard let items = value.arrayValue else { throw mistyped(value, "a list", path()) }
            if items.count < minimum {
                throw SchemaViolation(
                    field: path(), rule: "needs at least \(minimum) item\(minimum == 1 ? "" : "s")")
            }
            for (index, item) in items.enumerated() {
                try check(item, element, path: { "\(path())[\(index)]" })
            }
        case .code(let lengths):
            guard let text = value.stringValue else { throw mistyped(value, "a string", path()) }
            if !Identifiers.isUppercaseCode(text.utf8, lengths: lengths) {
                throw SchemaViolation(
                    field: path(),
                    rule:
                        "\(quoted(text)) must be \(lengths.lowerBound)–\(lengths.upperBound) uppercase letters A–Z"
                )
            }
        case .textOrList:
            if let items = value.arrayValue {
                for (index, item) in items.enumerated() {
                    try check(item, .text, path: { "\(path())[\(index)]" })
                }
            } else {
                try check(value, .text, path: path)
            }
        }
    }

    private static func checkObject(_ object: JSONObject, _ fields: [Field], path: () -> String)
        throws(SchemaViolation)
    {
        for member in object.members {
            // Matched by index: a field copied out retains its name and kind.
            var index = 0
            while index < fields.count && fields[index].name != member.key { index += 1 }
            guard index < fields.count else {
                let known = fields.map(\.name).joined(separator: ", ")
                throw SchemaViolation(
                    field: "\(path()).\(member.key)",
                    rule: "unknown member (known: \(known.isEmpty ? "none" : known))")
            }
            try check(member.value, fields[index].kind, path: { "\(path()).\(member.key)" })
        }
        for field in fields where field.required && object[field.name] == nil {
            throw SchemaViolation(field: "\(path()).\(field.name)", rule: "is required")
        }
    }

    private static func mistyped(_ value: JSONValue, _ expected: String, _ path: String)
        -> SchemaViolation
    {
        SchemaViolation(field: path, rule: "must be \(expected), not \(value.typeName)")
    }

    private static func quoted(_ text: String) -> String {
        let shown = text.count > 40 ? String(text.prefix(40)) + "…" : text
        return "\"\(shown)\""
    }

    private static func describe(_ range: ClosedRange<Int>) -> String {
        range.upperBound == Int.max
            ? "\(range.lowerBound) or more" : "\(range.lowerBound)–\(range.upperBound)"
    }

    private static func format(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int(value)) : String(value)
    }
}

/// The identifier grammars of EVENTS.md §1.
public enum Identifiers {
    /// Event ids: 1–128 of `A-Za-z0-9._:-`.
    public static func isEventID(_ text: String) -> Bool {
        let bytes = text.utf8
        return (1...128).contains(bytes.count)
            && bytes.allSatisfy { isWordByte($0) || $0 == UInt8(ascii: ":") }
    }

    /// Family refs, worker ids: 1–64 of `A-Za-z0-9._-`.
    public static func isReference(_ text: String) -> Bool {
        let bytes = text.utf8
        return (1...64).contains(bytes.count) && bytes.allSatisfy(isWordByte)
    }

    /// A code of uppercase letters `A`–`Z` whose length is in `lengths` (DfE ethnicity codes).
    public static func isUppercaseCode<Bytes: Collection<UInt8>>(
        _ bytes: Bytes, lengths: ClosedRange<Int>
    ) -> Bool {
        lengths.contains(bytes.count) && bytes.allSatisfy { $0 >= 0x41 && $0 <= 0x5A }
    }

    private static func isWordByte(_ byte: UInt8) -> Bool {
        (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A)
            || (byte >= 0x61 && byte <= 0x7A)
            || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "-")
    }
}

/// A JSON number's literal judged against a bound on its decimal digits. A `Double` rounds
/// `100.0000000000000001` to 100 and `1e400` to infinity, so a range check on the `Double` alone would pass the
/// first; both interpreters of `FieldKind.number` and `.numberAbove` decide here.
package enum NumberLiteral {
    /// Whether the literal (whose `Double` is `number`) lies in `range`, exactly.
    package static func within(
        _ literal: some Collection<UInt8>, _ number: Double, _ range: ClosedRange<Double>
    ) -> Bool {
        guard number.isFinite, number >= range.lowerBound, number <= range.upperBound else {
            return false
        }
        if number > range.lowerBound && number < range.upperBound { return true }
        // Rounded onto a bound: only the digits tell.
        guard let low = compare(literal, range.lowerBound),
            let high = compare(literal, range.upperBound)
        else { return false }
        return low >= 0 && high <= 0
    }

    /// Whether the literal (whose `Double` is `number`) is over `lower` and at most `upper`, exactly.
    package static func above(
        _ literal: some Collection<UInt8>, _ number: Double, _ lower: Double, atMost upper: Double
    ) -> Bool {
        guard number.isFinite, number >= lower, number <= upper else { return false }
        if number > lower && number < upper { return true }
        guard let low = compare(literal, lower), let high = compare(literal, upper) else {
            return false
        }
        return low > 0 && high <= 0
    }

    /// -1, 0 or 1 as the literal is below, equal to or above `bound`; nil when it is not a JSON number.
    package static func compare(_ literal: some Collection<UInt8>, _ bound: Double) -> Int? {
        guard let value = Decimal(literal), let limit = Decimal(Array(String(bound).utf8)) else {
            return nil
        }
        return value.compare(limit)
    }

    /// `digits × 10^exponent`, negative or not; no leading or trailing zero in `digits` (empty: zero).
    struct Decimal {
        var negative: Bool
        var digits: [UInt8]
        var exponent: Int

        /// Reads the JSON number grammar: `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`.
        init?(_ literal: some Collection<UInt8>) {
            let bytes = Array(literal)
            var index = 0
            func isDigit(_ at: Int) -> Bool {
                at < bytes.count && bytes[at] >= 0x30 && bytes[at] <= 0x39
            }
            negative = index < bytes.count && bytes[index] == UInt8(ascii: "-")
            if negative { index += 1 }
            guard isDigit(index) else { return nil }
            var all: [UInt8] = []
            var fraction = 0
            if bytes[index] == 0x30 {
                index += 1
            } else {
                while isDigit(index) {
                    all.append(bytes[index] - 0x30)
                    index += 1
                }
            }
            if index < bytes.count && bytes[index] == UInt8(ascii: ".") {
                index += 1
                guard isDigit(index) else { return nil }
                while isDigit(index) {
                    all.append(bytes[index] - 0x30)
                    fraction += 1
                    index += 1
                }
            }
            var written = 0
            if index < bytes.count
                && (bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E"))
            {
                index += 1
                var minus = false
                if index < bytes.count
                    && (bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-"))
                {
                    minus = bytes[index] == UInt8(ascii: "-")
                    index += 1
                }
                guard isDigit(index) else { return nil }
                while isDigit(index) {
                    // Past a billion, the exponent's size is all that matters.
                    written = min(written * 10 + Int(bytes[index] - 0x30), 1_000_000_000)
                    index += 1
                }
                if minus { written = -written }
            }
            guard index == bytes.count else { return nil }
            let leading = all.firstIndex { $0 != 0 } ?? all.count
            all.removeFirst(leading)
            var exponent = written - fraction
            while let last = all.last, last == 0 {
                all.removeLast()
                exponent += 1
            }
            digits = all
            self.exponent = exponent
            if digits.isEmpty { negative = false }
        }

        func compare(_ other: Decimal) -> Int {
            let sign = digits.isEmpty ? 0 : (negative ? -1 : 1)
            let otherSign = other.digits.isEmpty ? 0 : (other.negative ? -1 : 1)
            if sign != otherSign { return sign < otherSign ? -1 : 1 }
            if sign == 0 { return 0 }
            // Magnitudes: first by where the first digit stands, then digit by digit.
            var magnitude = 0
            let top = digits.count + exponent
            let otherTop = other.digits.count + other.exponent
            if top != otherTop {
                magnitude = top < otherTop ? -1 : 1
            } else {
                for position in 0..<max(digits.count, other.digits.count) {
                    let mine = position < digits.count ? digits[position] : 0
                    let theirs = position < other.digits.count ? other.digits[position] : 0
                    if mine != theirs {
                        magnitude = mine < theirs ? -1 : 1
                        break
                    }
                }
            }
            return sign * magnitude
        }
    }
}
