#if canImport(Glibc)
    import Glibc
#endif

/// Where each member of a stored line is, found at byte level without building any value.
///
/// Ranges are byte offsets into the line. String members (`id`, `stream`, `type`, the dates, the hashes) are
/// the text between the quotes: plain ASCII with no escapes (the scanner leaves other lines to the reference
/// parser). `actor`, `source`, `data` and `redacted` cover the whole JSON value.
public struct ScannedLine: Sendable, Equatable {
    public var seq: Int
    public var id: Range<Int>
    public var stream: Range<Int>
    public var type: Range<Int>
    public var version: Int
    public var occurredAt: Range<Int>
    public var recordedAt: Range<Int>
    public var actor: Range<Int>
    /// `actor.id` and `actor.role` (plain strings).
    public var actorID: Range<Int>
    public var actorRole: Range<Int>
    public var source: Range<Int>?
    public var dataHash: Range<Int>
    public var prev: Range<Int>
    public var hash: Range<Int>
    /// The end of the chained body: just after the closing quote of `prev`.
    public var bodyEnd: Int
    public var data: Range<Int>?
    public var salt: Range<Int>?
    public var redacted: Range<Int>?
}

/// The fast path for reading stored lines: a byte-level scanner of the line format of EVENTS.md §1 and the JSON
/// grammar, many times faster than building a `JSONValue` tree.
///
/// Its contract is one-sided, so that it can be fast without being a second opinion: `scan` either accepts a line,
/// and then `LineFormat.decode` accepts it too and agrees member for member (the tests check this on every fixture
/// and on fuzzed lines), or returns nil. Nil does not mean the line is bad, only that it is not the compact,
/// plain-ASCII shape the ledger writes (whitespace, escapes or non-ASCII in a top-level string or a member name,
/// more than 64 members in one object): the caller then asks the reference parser, which accepts or explains.
/// Everything the reference refuses (malformed JSON or UTF-8, duplicate members, the wrong member order or types,
/// nesting over 64 deep, a number over 64 characters, a line over 1 MiB) the scanner never accepts.
///
/// One scanner per thread: it keeps a scratch list of member names to find duplicates without allocating.
public struct LineScanner: ~Copyable {
    /// Member names seen in the objects being scanned: (start, end) pairs, a stack of one segment per object.
    private var names: UnsafeMutableBufferPointer<Int>
    var nameCount = 0
    /// Scratch stacks for building values (`value(_:_:)`), kept between lines.
    private var memberScratch: [JSONMember] = []
    private var itemScratch: [JSONValue] = []

    mutating func takeMemberScratch() -> [JSONMember] {
        var taken: [JSONMember] = []
        swap(&taken, &memberScratch)
        return taken
    }

    mutating func takeItemScratch() -> [JSONValue] {
        var taken: [JSONValue] = []
        swap(&taken, &itemScratch)
        return taken
    }

    mutating func returnScratch(members: [JSONMember], items: [JSONValue]) {
        memberScratch = members
        itemScratch = items
    }

    /// Most members per object on the fast path (more goes to the reference parser).
    static let maxFastMembers = 64
    static let maxDepth = JSONLimits().maxDepth
    static let maxItems = JSONLimits().maxMembers

    public init() {
        names = .allocate(capacity: 2 * Self.maxFastMembers * 8)
    }

    deinit { names.deallocate() }

    /// Scans a stored line (without its newline); nil when it is not on the fast path.
    public mutating func scan(_ line: UnsafeBufferPointer<UInt8>) -> ScannedLine? {
        guard let base = line.baseAddress, line.count <= LineFormat.maxLineBytes else { return nil }
        nameCount = 0
        var cursor = Cursor(base: base, end: line.count)
        return scanLine(&cursor)
    }

    /// `scan` for the hash chain alone (`ChainLink`): the members up to `hash` are scanned as `scan` scans them,
    /// except the actor's (its `actorID` and `actorRole` are left empty), and the data is not walked: it is taken
    /// as every byte between `"data":` and the `,"salt":"…"}` that ends the line, exactly the bytes `dataHash`
    /// covers. Whether they are one JSON object is for the read that
    /// decodes the event (a read of the chain alone walked the data twice over). Never decode an event from it.
    public mutating func scanChained(_ line: UnsafeBufferPointer<UInt8>) -> ScannedLine? {
        guard let base = line.baseAddress, line.count <= LineFormat.maxLineBytes else { return nil }
        nameCount = 0
        var cursor = Cursor(base: base, end: line.count)
        return scanLine(&cursor, dataFromEnd: true)
    }

    /// The `seq`, `stream` and `type` of a stored line from its first bytes only, without looking at the rest:
    /// enough to decide whether a projection needs the event at all, or whose it is. Nil when the line does not
    /// start in the ledger's shape.
    public static func peek(_ line: UnsafeBufferPointer<UInt8>) -> (
        seq: Int, stream: Range<Int>, type: Range<Int>
    )? {
        guard let base = line.baseAddress else { return nil }
        var cursor = Cursor(base: base, end: line.count)
        guard cursor.literal("{\"seq\":"), let seq = cursor.positiveInteger(),
            cursor.literal(",\"id\":\""),
            cursor.plainString() != nil, cursor.literal(",\"stream\":\""),
            let stream = cursor.plainString(),
            cursor.literal(",\"type\":\""), let type = cursor.plainString()
        else { return nil }
        return (seq, stream, type)
    }

    private mutating func scanLine(_ c: inout Cursor, dataFromEnd: Bool = false) -> ScannedLine? {
        guard c.literal("{\"seq\":"), let seq = c.positiveInteger(),
            c.literal(",\"id\":\""), let id = c.plainString(),
            c.literal(",\"stream\":\""), let stream = c.plainString(),
            c.literal(",\"type\":\""), let type = c.plainString(),
            c.literal(",\"v\":"), let version = c.positiveInteger(),
            c.literal(",\"occurredAt\":\""), let occurredAt = c.plainString(),
            c.literal(",\"recordedAt\":\""), let recordedAt = c.plainString(),
            c.literal(",\"actor\":")
        else { return nil }
        let actorStart = c.index
        guard c.peek() == UInt8(ascii: "{"), skipValue(&c, depth: 1) else { return nil }
        let actor = actorStart..<c.index
        // For the chain alone the actor's members are not looked into (its id and role are left empty): the
        // link is made of the same bytes whatever they hold, and the reference parser takes any actor object.
        guard
            let (actorID, actorRole) =
                dataFromEnd
                ? (actorStart..<actorStart, actorStart..<actorStart)
                : Self.actorMembers(c.base, actor)
        else { return nil }
        var source: Range<Int>?
        if c.literal(",\"source\":") {
            let start = c.index
            guard c.peek() == UInt8(ascii: "{"), skipValue(&c, depth: 1) else { return nil }
            source = start..<c.index
        }
        guard c.literal(",\"dataHash\":\""), let dataHash = c.hex(64),
            c.literal(",\"prev\":\""), let prev = c.hex(64)
        else { return nil }
        let bodyEnd = c.index
        guard c.literal(",\"hash\":\""), let hash = c.hex(64) else { return nil }
        var line = ScannedLine(
            seq: seq, id: id, stream: stream, type: type, version: version, occurredAt: occurredAt,
            recordedAt: recordedAt, actor: actor, actorID: actorID, actorRole: actorRole,
            source: source,
            dataHash: dataHash, prev: prev, hash: hash, bodyEnd: bodyEnd)
        if c.literal(",\"data\":") {
            let start = c.index
            // `,"salt":"` (9 bytes), 32 hex digits, `"}`: the data ends 43 bytes before the line does.
            if dataFromEnd {
                guard c.end - 43 > start, c.peek() == UInt8(ascii: "{") else { return nil }
                c.index = c.end - 43
            } else {
                guard c.peek() == UInt8(ascii: "{"), skipValue(&c, depth: 1) else { return nil }
            }
            line.data = start..<c.index
            guard c.literal(",\"salt\":\""), let salt = c.hex(32) else { return nil }
            line.salt = salt
        } else if c.literal(",\"redacted\":") {
            let start = c.index
            guard skipValue(&c, depth: 1) else { return nil }
            line.redacted = start..<c.index
        } else {
            return nil
        }
        guard c.literal("}"), c.index == c.end else { return nil }
        return line
    }

    /// The `id` and `role` string values of an already-validated actor object, when both are plain strings.
    static func actorMembers(_ base: UnsafePointer<UInt8>, _ range: Range<Int>) -> (
        Range<Int>, Range<Int>
    )? {
        var c = Cursor(base: base, end: range.upperBound)
        c.index = range.lowerBound + 1
        var id: Range<Int>?
        var role: Range<Int>?
        if c.peek() == UInt8(ascii: "}") { return nil }
        while true {
            guard c.literal("\""), let name = c.plainString(), c.literal(":") else { return nil }
            let isID = Self.equals(base, name, "id")
            let isRole = Self.equals(base, name, "role")
            if (isID || isRole), c.literal("\"") {
                guard let value = c.plainString() else { return nil }
                if isID { id = value } else { role = value }
            } else if !c.skipTrustedValue() {
                return nil
            }
            if c.literal(",") { continue }
            break
        }
        guard let id, let role else { return nil }
        return (id, role)
    }

    static func equals(_ base: UnsafePointer<UInt8>, _ range: Range<Int>, _ text: StaticString)
        -> Bool
    {
        guard range.count == text.utf8CodeUnitCount else { return false }
        return memcmp(base + range.lowerBound, text.utf8Start, range.count) == 0
    }

    // MARK: Validating skip of any JSON value

    /// Skips one value at the cursor, checking it against the grammar as `JSONParser` does; false to leave the
    /// line to the reference parser. `depth` is the nesting depth of the value's container.
    mutating func skipValue(_ c: inout Cursor, depth: Int) -> Bool {
        guard let byte = c.peek() else { return false }
        switch byte {
        case UInt8(ascii: "{"): return skipObject(&c, depth: depth + 1)
        case UInt8(ascii: "["): return skipArray(&c, depth: depth + 1)
        case UInt8(ascii: "\""):
            c.index += 1
            return c.skipString()
        case UInt8(ascii: "t"): return c.literal("true")
        case UInt8(ascii: "f"): return c.literal("false")
        case UInt8(ascii: "n"): return c.literal("null")
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return c.skipNumber()
        default: return false
        }
    }

    private mutating func skipObject(_ c: inout Cursor, depth: Int) -> Bool {
        guard depth <= Self.maxDepth else { return false }
        c.index += 1
        if c.literal("}") { return true }
        let first = nameCount
        defer { nameCount = first }
        var members = 0
        while true {
            guard c.literal("\""), let name = c.plainString(), c.literal(":") else { return false }
            members += 1
            guard members <= Self.maxFastMembers, nameCount + 2 <= names.count else { return false }
            // A repeated member name: the reference parser refuses it (with its reason).
            var index = first
            while index < nameCount {
                let start = names[index]
                let end = names[index + 1]
                if end - start == name.count,
                    memcmp(c.base + start, c.base + name.lowerBound, name.count) == 0
                {
                    return false
                }
                index += 2
            }
            names[nameCount] = name.lowerBound
            names[nameCount + 1] = name.upperBound
            nameCount += 2
            guard skipValue(&c, depth: depth) else { return false }
            if c.literal(",") { continue }
            return c.literal("}")
        }
    }

    private mutating func skipArray(_ c: inout Cursor, depth: Int) -> Bool {
        guard depth <= Self.maxDepth else { return false }
        c.index += 1
        if c.literal("]") { return true }
        var items = 0
        while true {
            items += 1
            guard items <= Self.maxItems, skipValue(&c, depth: depth) else { return false }
            if c.literal(",") { continue }
            return c.literal("]")
        }
    }
}

/// A position in a line, with the byte-level readers the scanner is made of.
struct Cursor {
    let base: UnsafePointer<UInt8>
    let end: Int
    var index = 0

    init(base: UnsafePointer<UInt8>, end: Int) {
        self.base = base
        self.end = end
    }

    @inline(__always)
    func peek() -> UInt8? { index < end ? base[index] : nil }

    /// Consumes `text` if the line continues with it.
    @inline(__always)
    mutating func literal(_ text: StaticString) -> Bool {
        let count = text.utf8CodeUnitCount
        guard end - index >= count else { return false }
        let here = UnsafeRawPointer(base + index)
        let expected = UnsafeRawPointer(text.utf8Start)
        var offset = 0
        while count - offset >= 8 {
            if here.loadUnaligned(fromByteOffset: offset, as: UInt64.self)
                != expected.loadUnaligned(fromByteOffset: offset, as: UInt64.self)
            {
                return false
            }
            offset += 8
        }
        while offset < count {
            if here.load(fromByteOffset: offset, as: UInt8.self)
                != expected.load(fromByteOffset: offset, as: UInt8.self)
            {
                return false
            }
            offset += 1
        }
        index += count
        return true
    }

    /// A JSON integer ≥ 1 with no sign, fraction or exponent, and small enough not to overflow.
    mutating func positiveInteger() -> Int? {
        let start = index
        var value = 0
        while index < end, base[index] >= 0x30, base[index] <= 0x39 {
            value = value &* 10 &+ Int(base[index] &- 0x30)
            index += 1
        }
        let digits = index - start
        guard digits > 0, digits <= 18, base[start] != 0x30, value >= 1 else { return nil }
        // A fraction or exponent makes it a number the reference would not take as an integer.
        if let next = peek(),
            next == UInt8(ascii: ".") || next == UInt8(ascii: "e") || next == UInt8(ascii: "E")
        {
            return nil
        }
        return value
    }

    /// The contents of a string whose opening quote was consumed, if they are printable ASCII with no escape;
    /// consumes the closing quote.
    mutating func plainString() -> Range<Int>? {
        let start = index
        while end - index >= 8 {
            if Self.needsAttention(UnsafeRawPointer(base + index).loadUnaligned(as: UInt64.self)) {
                break
            }
            index += 8
        }
        while index < end {
            let byte = base[index]
            if byte == UInt8(ascii: "\"") {
                index += 1
                return start..<(index - 1)
            }
            if byte < 0x20 || byte >= 0x80 || byte == UInt8(ascii: "\\") { return nil }
            index += 1
        }
        return nil
    }

    /// Exactly `count` lowercase hex digits (a multiple of 8) and the closing quote.
    mutating func hex(_ count: Int) -> Range<Int>? {
        guard end - index > count else { return nil }
        let start = index
        var offset = 0
        while offset < count {
            guard
                Self.isLowercaseHex(
                    UnsafeRawPointer(base + start + offset).loadUnaligned(as: UInt64.self))
            else {
                return nil
            }
            offset += 8
        }
        guard base[start + count] == UInt8(ascii: "\"") else { return nil }
        index = start + count + 1
        return start..<(start + count)
    }

    /// Whether all eight bytes are `0`–`9` or `a`–`f`. For a byte b < 0x80, b + (0x80 − lo) has its top bit set
    /// exactly when b ≥ lo, and b + (0x7F − hi) exactly when b > hi; no sum carries into the next byte.
    @inline(__always)
    static func isLowercaseHex(_ word: UInt64) -> Bool {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highs: UInt64 = 0x8080_8080_8080_8080
        guard word & highs == 0 else { return false }
        let digit = (word &+ ones &* 0x50) & ~(word &+ ones &* 0x46)
        let letter = (word &+ ones &* 0x1F) & ~(word &+ ones &* 0x19)
        return (digit | letter) & highs == highs
    }

    /// Skips the rest of a string (opening quote consumed), checking escapes and UTF-8 as the reference does.
    mutating func skipString() -> Bool {
        while index < end {
            // Eight bytes at a time while none is a quote, a backslash, a control character or non-ASCII.
            while end - index >= 8 {
                let word = UnsafeRawPointer(base + index).loadUnaligned(as: UInt64.self)
                if Self.needsAttention(word) { break }
                index += 8
            }
            guard index < end else { return false }
            let byte = base[index]
            if byte == UInt8(ascii: "\"") {
                index += 1
                return true
            }
            if byte < 0x20 { return false }
            if byte == UInt8(ascii: "\\") {
                guard skipEscape() else { return false }
            } else if byte >= 0x80 {
                guard skipUTF8Sequence() else { return false }
            } else {
                index += 1
            }
        }
        return false
    }

    @inline(__always)
    static func needsAttention(_ word: UInt64) -> Bool {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highs: UInt64 = 0x8080_8080_8080_8080
        let quote = word ^ (ones &* 0x22)
        let backslash = word ^ (ones &* 0x5C)
        let hasQuote = (quote &- ones) & ~quote & highs
        let hasBackslash = (backslash &- ones) & ~backslash & highs
        let hasControl = (word &- ones &* 0x20) & ~word & highs
        return (hasQuote | hasBackslash | hasControl | (word & highs)) != 0
    }

    @inline(__always)
    static func hasQuoteOrBackslash(_ word: UInt64) -> Bool {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highs: UInt64 = 0x8080_8080_8080_8080
        let quote = word ^ (ones &* 0x22)
        let backslash = word ^ (ones &* 0x5C)
        return ((quote &- ones) & ~quote & highs) | ((backslash &- ones) & ~backslash & highs) != 0
    }

    /// One escape after a backslash: the single-character ones, or `\uXXXX` with surrogates paired.
    private mutating func skipEscape() -> Bool {
        guard end - index >= 2 else { return false }
        let escape = base[index + 1]
        switch escape {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"),
            UInt8(ascii: "f"),
            UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
            index += 2
            return true
        case UInt8(ascii: "u"):
            index += 2
            guard let scalar = hex4() else { return false }
            if scalar >= 0xD800 && scalar < 0xDC00 {
                guard end - index >= 2, base[index] == UInt8(ascii: "\\"),
                    base[index + 1] == UInt8(ascii: "u")
                else {
                    return false
                }
                index += 2
                guard let low = hex4(), low >= 0xDC00 && low < 0xE000 else { return false }
            } else if scalar >= 0xDC00 && scalar < 0xE000 {
                return false
            }
            return true
        default:
            return false
        }
    }

    private mutating func hex4() -> UInt32? {
        guard end - index >= 4 else { return nil }
        var value: UInt32 = 0
        for offset in 0..<4 {
            let byte = base[index + offset]
            let digit: UInt32
            switch byte {
            case 0x30...0x39: digit = UInt32(byte - 0x30)
            case 0x41...0x46: digit = UInt32(byte - 0x41 + 10)
            case 0x61...0x66: digit = UInt32(byte - 0x61 + 10)
            default: return nil
            }
            value = value << 4 | digit
        }
        index += 4
        return value
    }

    /// One well-formed UTF-8 sequence of two to four bytes (Unicode Table 3-7: no overlongs, no surrogates,
    /// nothing past U+10FFFF), the rule `String(validating:)` applies.
    private mutating func skipUTF8Sequence() -> Bool {
        let lead = base[index]
        let count: Int
        var low: UInt8 = 0x80
        var high: UInt8 = 0xBF
        switch lead {
        case 0xC2...0xDF: count = 2
        case 0xE0: count = 3; low = 0xA0
        case 0xE1...0xEC, 0xEE...0xEF: count = 3
        case 0xED: count = 3; high = 0x9F
        case 0xF0: count = 4; low = 0x90
        case 0xF1...0xF3: count = 4
        case 0xF4: count = 4; high = 0x8F
        default: return false
        }
        guard end - index >= count else { return false }
        let second = base[index + 1]
        guard second >= low && second <= high else { return false }
        for offset in 2..<max(2, count) {
            let byte = base[index + offset]
            guard byte >= 0x80 && byte <= 0xBF else { return false }
        }
        index += count
        return true
    }

    /// A JSON number: `-`? then `0` or a non-zero digit and digits, an optional fraction and exponent; at most
    /// 64 characters, like the reference.
    mutating func skipNumber() -> Bool {
        let start = index
        if base[index] == UInt8(ascii: "-") { index += 1 }
        guard index < end, Self.isDigit(base[index]) else { return false }
        let first = base[index]
        index += 1
        if first == 0x30, index < end, Self.isDigit(base[index]) { return false }
        while index < end, Self.isDigit(base[index]) { index += 1 }
        if index < end, base[index] == UInt8(ascii: ".") {
            index += 1
            guard index < end, Self.isDigit(base[index]) else { return false }
            while index < end, Self.isDigit(base[index]) { index += 1 }
        }
        if index < end, base[index] == UInt8(ascii: "e") || base[index] == UInt8(ascii: "E") {
            index += 1
            if index < end, base[index] == UInt8(ascii: "+") || base[index] == UInt8(ascii: "-") {
                index += 1
            }
            guard index < end, Self.isDigit(base[index]) else { return false }
            while index < end, Self.isDigit(base[index]) { index += 1 }
        }
        return index - start <= 64
    }

    @inline(__always)
    static func isDigit(_ byte: UInt8) -> Bool { byte >= 0x30 && byte <= 0x39 }

    /// Skips a value already known to be valid (inside a span the scanner accepted).
    mutating func skipTrustedValue() -> Bool {
        guard let byte = peek() else { return false }
        switch byte {
        case UInt8(ascii: "\""):
            index += 1
            while index < end {
                // Eight bytes at a time while none is a quote or a backslash (the string is known to be valid).
                while end - index >= 8,
                    !Self.hasQuoteOrBackslash(
                        UnsafeRawPointer(base + index).loadUnaligned(as: UInt64.self))
                {
                    index += 8
                }
                guard index < end else { return false }
                let current = base[index]
                if current == UInt8(ascii: "\\") {
                    index += 2
                } else {
                    index += 1
                    if current == UInt8(ascii: "\"") { return true }
                }
            }
            return false
        case UInt8(ascii: "{"), UInt8(ascii: "["):
            var depth = 0
            while index < end {
                let current = base[index]
                index += 1
                switch current {
                case UInt8(ascii: "{"), UInt8(ascii: "["): depth += 1
                case UInt8(ascii: "}"), UInt8(ascii: "]"):
                    depth -= 1
                    if depth == 0 { return true }
                case UInt8(ascii: "\""):
                    index -= 1
                    guard skipTrustedValue() else { return false }
                default: break
                }
            }
            return false
        default:
            while index < end {
                let current = base[index]
                if current == UInt8(ascii: ",") || current == UInt8(ascii: "}")
                    || current == UInt8(ascii: "]")
                {
                    return true
                }
                index += 1
            }
            return true
        }
    }
}
