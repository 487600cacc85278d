/// Limits a parser enforces on untrusted input.
public struct JSONLimits: Sendable {
    /// Deepest nesting of arrays and objects accepted.
    public var maxDepth: Int
    /// Most members (or elements) accepted in one object (or array).
    public var maxMembers: Int

    /// Creates limits.
    public init(maxDepth: Int = 64, maxMembers: Int = 10_000) {
        self.maxDepth = maxDepth
        self.maxMembers = maxMembers
    }
}

/// Why some bytes are not acceptable JSON, and where.
public struct JSONSyntaxError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Byte offset in the input at which the problem was found.
    public var offset: Int
    /// What is wrong, in words.
    public var reason: String

    public var description: String { "\(reason) at byte \(offset + 1)" }
}

/// A strict byte-level JSON parser (RFC 8259): UTF-8 only, no trailing commas, no comments, duplicate member
/// names refused, nesting and width limited.
public struct JSONParser: ~Copyable {
    private let bytes: UnsafeBufferPointer<UInt8>
    private var position = 0
    private let limits: JSONLimits
    private var depth = 0

    private init(_ bytes: UnsafeBufferPointer<UInt8>, limits: JSONLimits) {
        self.bytes = bytes
        self.limits = limits
    }

    /// Parses exactly one JSON value filling `bytes` (surrounding whitespace allowed).
    public static func parse(_ bytes: UnsafeBufferPointer<UInt8>, limits: JSONLimits = JSONLimits())
        throws(JSONSyntaxError)
        -> JSONValue
    {
        var parser = JSONParser(bytes, limits: limits)
        parser.skipWhitespace()
        let value = try parser.parseValue()
        parser.skipWhitespace()
        if parser.position != bytes.count {
            throw parser.error("unexpected bytes after the JSON value")
        }
        return value
    }

    /// Parses exactly one JSON value from an array of bytes.
    public static func parse(_ bytes: [UInt8], limits: JSONLimits = JSONLimits())
        throws(JSONSyntaxError) -> JSONValue
    {
        let result: Result<JSONValue, JSONSyntaxError> = bytes.withUnsafeBufferPointer { buffer in
            do throws(JSONSyntaxError) { return .success(try parse(buffer, limits: limits)) } catch
            {
                return .failure(error)
            }
        }
        return try result.get()
    }

    /// Parses one JSON value from text.
    public static func parse(_ text: String, limits: JSONLimits = JSONLimits())
        throws(JSONSyntaxError) -> JSONValue
    {
        try parse(Array(text.utf8), limits: limits)
    }

    /// Parses a top-level object and reports, for each member, the byte range of its value in `bytes`.
    /// The storage engine uses the ranges to hash stored bytes exactly as written.
    public static func parseObjectWithSpans(
        _ bytes: UnsafeBufferPointer<UInt8>, limits: JSONLimits = JSONLimits()
    )
        throws(JSONSyntaxError) -> [(member: JSONMember, span: Range<Int>)]
    {
        var parser = JSONParser(bytes, limits: limits)
        parser.skipWhitespace()
        guard parser.peek() == UInt8(ascii: "{") else {
            throw parser.error("expected a JSON object")
        }
        parser.position += 1
        parser.depth = 1
        var result: [(member: JSONMember, span: Range<Int>)] = []
        var seen = Set<String>()
        parser.skipWhitespace()
        if parser.peek() == UInt8(ascii: "}") {
            parser.position += 1
        } else {
            while true {
                parser.skipWhitespace()
                guard parser.peek() == UInt8(ascii: "\"") else {
                    throw parser.error("expected a member name")
                }
                let keyStart = parser.position
                let key = try parser.parseString()
                if !seen.insert(key).inserted {
                    throw JSONSyntaxError(offset: keyStart, reason: "duplicate member \"\(key)\"")
                }
                parser.skipWhitespace()
                guard parser.peek() == UInt8(ascii: ":") else { throw parser.error("expected ':'") }
                parser.position += 1
                parser.skipWhitespace()
                let start = parser.position
                let value = try parser.parseValue()
                result.append((JSONMember(key, value), start..<parser.position))
                if result.count > limits.maxMembers {
                    throw parser.error("more than \(limits.maxMembers) members")
                }
                parser.skipWhitespace()
                let next = parser.peek()
                parser.position += 1
                if next == UInt8(ascii: ",") { continue }
                if next == UInt8(ascii: "}") { break }
                parser.position -= 1
                throw parser.error("expected ',' or '}'")
            }
        }
        parser.skipWhitespace()
        if parser.position != bytes.count {
            throw parser.error("unexpected bytes after the JSON value")
        }
        return result
    }

    private func error(_ reason: String) -> JSONSyntaxError {
        JSONSyntaxError(offset: position, reason: reason)
    }

    private func peek() -> UInt8? { position < bytes.count ? bytes[position] : nil }

    private mutating func skipWhitespace() {
        while position < bytes.count {
            let byte = bytes[position]
            if byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 {
                position += 1
            } else {
                return
            }
        }
    }

    private mutating func parseValue() throws(JSONSyntaxError) -> JSONValue {
        guard let byte = peek() else { throw error("unexpected end of input") }
        switch byte {
        case UInt8(ascii: "{"): return try parseObject()
        case UInt8(ascii: "["): return try parseArray()
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "t"): try expectLiteral("true"); return .bool(true)
        case UInt8(ascii: "f"): try expectLiteral("false"); return .bool(false)
        case UInt8(ascii: "n"): try expectLiteral("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try parseNumber()
        default: throw error("unexpected character '\(Self.printable(byte))'")
        }
    }

    private static func printable(_ byte: UInt8) -> String {
        byte >= 0x20 && byte < 0x7F ? String(UnicodeScalar(byte)) : "\\x" + Hex.encode([byte])
    }

    private mutating func expectLiteral(_ literal: StaticString) throws(JSONSyntaxError) {
        let count = literal.utf8CodeUnitCount
        guard position + count <= bytes.count else { throw error("unexpected end of input") }
        let matches = literal.withUTF8Buffer { expected in
            (0..<count).allSatisfy { bytes[position + $0] == expected[$0] }
        }
        guard matches else { throw error("invalid literal") }
        position += count
    }

    private mutating func enter() throws(JSONSyntaxError) {
        depth += 1
        if depth > limits.maxDepth { throw error("nesting deeper than \(limits.maxDepth)") }
    }

    private mutating func parseObject() throws(JSONSyntaxError) -> JSONValue {
        try enter()
        position += 1
        var members: [JSONMember] = []
        skipWhitespace()
        if peek() == UInt8(ascii: "}") {
            position += 1
            depth -= 1
            return .object(JSONObject(members))
        }
        while true {
            skipWhitespace()
            guard peek() == UInt8(ascii: "\"") else { throw error("expected a member name") }
            let keyStart = position
            let key = try parseString()
            // Objects are small in this format; a linear scan beats hashing for them.
            if members.contains(where: { $0.key == key }) {
                throw JSONSyntaxError(offset: keyStart, reason: "duplicate member \"\(key)\"")
            }
            skipWhitespace()
            guard peek() == UInt8(ascii: ":") else { throw error("expected ':'") }
            position += 1
            skipWhitespace()
            members.append(JSONMember(key, try parseValue()))
            if members.count > limits.maxMembers {
                throw error("more than \(limits.maxMembers) members")
            }
            skipWhitespace()
            guard let next = peek() else { throw error("unexpected end of input") }
            position += 1
            if next == UInt8(ascii: ",") { continue }
            if next == UInt8(ascii: "}") { break }
            position -= 1
            throw error("expected ',' or '}'")
        }
        depth -= 1
        return .object(JSONObject(members))
    }

    private mutating func parseArray() throws(JSONSyntaxError) -> JSONValue {
        try enter()
        position += 1
        var items: [JSONValue] = []
        skipWhitespace()
        if peek() == UInt8(ascii: "]") {
            position += 1
            depth -= 1
            return .array(items)
        }
        while true {
            skipWhitespace()
            items.append(try parseValue())
            if items.count > limits.maxMembers {
                throw error("more than \(limits.maxMembers) elements")
            }
            skipWhitespace()
            guard let next = peek() else { throw error("unexpected end of input") }
            position += 1
            if next == UInt8(ascii: ",") { continue }
            if next == UInt8(ascii: "]") { break }
            position -= 1
            throw error("expected ',' or ']'")
        }
        depth -= 1
        return .array(items)
    }

    private mutating func parseNumber() throws(JSONSyntaxError) -> JSONValue {
        let start = position
        if peek() == UInt8(ascii: "-") { position += 1 }
        guard let first = peek(), first >= 0x30, first <= 0x39 else {
            throw error("invalid number")
        }
        position += 1
        if first == 0x30, let next = peek(), next >= 0x30, next <= 0x39 {
            throw error("leading zero in number")
        }
        while let digit = peek(), digit >= 0x30, digit <= 0x39 { position += 1 }
        if peek() == UInt8(ascii: ".") {
            position += 1
            guard let digit = peek(), digit >= 0x30, digit <= 0x39 else {
                throw error("invalid number")
            }
            while let digit = peek(), digit >= 0x30, digit <= 0x39 { position += 1 }
        }
        if peek() == UInt8(ascii: "e") || peek() == UInt8(ascii: "E") {
            position += 1
            if peek() == UInt8(ascii: "+") || peek() == UInt8(ascii: "-") { position += 1 }
            guard let digit = peek(), digit >= 0x30, digit <= 0x39 else {
                throw error("invalid number")
            }
            while let digit = peek(), digit >= 0x30, digit <= 0x39 { position += 1 }
        }
        if position - start > 64 {
            throw JSONSyntaxError(offset: start, reason: "number longer than 64 characters")
        }
        return .number(
            String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<position]), as: UTF8.self))
    }

    /// Parses a string starting at its opening quote; validates UTF-8 and escapes.
    private mutating func parseString() throws(JSONSyntaxError) -> String {
        position += 1
        let start = position
        // Fast path: no escapes, only to validate UTF-8 at the end.
        var plain = true
        var high: UInt8 = 0
        while position < bytes.count {
            let byte = bytes[position]
            if byte == UInt8(ascii: "\"") { break }
            if byte == UInt8(ascii: "\\") { plain = false; break }
            if byte < 0x20 { throw error("control character in string") }
            high |= byte
            position += 1
        }
        guard position < bytes.count else { throw error("unterminated string") }
        if plain {
            let slice = UnsafeBufferPointer(rebasing: bytes[start..<position])
            if high < 0x80 {
                // ASCII is valid UTF-8 as it is: no validation pass.
                position += 1
                return String(decoding: slice, as: UTF8.self)
            }
            guard let text = String(validating: slice, as: UTF8.self) else {
                throw JSONSyntaxError(offset: start, reason: "invalid UTF-8 in string")
            }
            position += 1
            return text
        }
        var scratch = [UInt8](UnsafeBufferPointer(rebasing: bytes[start..<position]))
        while true {
            guard position < bytes.count else { throw error("unterminated string") }
            let byte = bytes[position]
            if byte == UInt8(ascii: "\"") { position += 1; break }
            if byte < 0x20 { throw error("control character in string") }
            if byte != UInt8(ascii: "\\") {
                scratch.append(byte)
                position += 1
                continue
            }
            position += 1
            guard let escape = peek() else { throw error("unterminated string") }
            position += 1
            switch escape {
            case UInt8(ascii: "\""): scratch.append(0x22)
            case UInt8(ascii: "\\"): scratch.append(0x5C)
            case UInt8(ascii: "/"): scratch.append(0x2F)
            case UInt8(ascii: "b"): scratch.append(0x08)
            case UInt8(ascii: "f"): scratch.append(0x0C)
            case UInt8(ascii: "n"): scratch.append(0x0A)
            case UInt8(ascii: "r"): scratch.append(0x0D)
            case UInt8(ascii: "t"): scratch.append(0x09)
            case UInt8(ascii: "u"):
                var scalar = try parseHex4()
                if scalar >= 0xD800 && scalar < 0xDC00 {
                    guard peek() == UInt8(ascii: "\\"), position + 1 < bytes.count,
                        bytes[position + 1] == UInt8(ascii: "u")
                    else { throw error("unpaired surrogate in string") }
                    position += 2
                    let low = try parseHex4()
                    guard low >= 0xDC00 && low < 0xE000 else {
                        throw error("unpaired surrogate in string")
                    }
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                } else if scalar >= 0xDC00 && scalar < 0xE000 {
                    throw error("unpaired surrogate in string")
                }
                guard let unicode = Unicode.Scalar(scalar) else { throw error("invalid escape") }
                scratch.append(contentsOf: Array(String(Character(unicode)).utf8))
            default:
                throw error("invalid escape '\\\(Self.printable(escape))'")
            }
        }
        guard let text = String(validating: scratch, as: UTF8.self) else {
            throw JSONSyntaxError(offset: start, reason: "invalid UTF-8 in string")
        }
        return text
    }

    private mutating func parseHex4() throws(JSONSyntaxError) -> UInt32 {
        guard position + 4 <= bytes.count else { throw error("invalid \\u escape") }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let byte = bytes[position]
            let digit: UInt32
            switch byte {
            case 0x30...0x39: digit = UInt32(byte - 0x30)
            case 0x41...0x46: digit = UInt32(byte - 0x41 + 10)
            case 0x61...0x66: digit = UInt32(byte - 0x61 + 10)
            default: throw error("invalid \\u escape")
            }
            value = value << 4 | digit
            position += 1
        }
        return value
    }
}
