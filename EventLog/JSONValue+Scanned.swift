#if canImport(Glibc)
    import Glibc
#endif

extension JSONValue {
    /// Builds the value held in `bytes`, a span of a line that `LineScanner` accepted (compact JSON, valid UTF-8,
    /// no duplicate members), without checking any of it again. Given bytes the scanner did not accept, the
    /// result is unspecified but memory-safe: every read is bounds-checked.
    public init(scanned bytes: UnsafeBufferPointer<UInt8>) {
        guard let base = bytes.baseAddress else {
            self = .null
            return
        }
        var builder = ValueBuilder(
            cursor: Cursor(base: base, end: bytes.count), members: [], items: [])
        self = builder.value()
    }

    /// Builds the value at `range` of a scanned line.
    public init(scanned line: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) {
        self.init(scanned: UnsafeBufferPointer(rebasing: line[range]))
    }
}

extension String {
    /// The text of a string member that `LineScanner` found plain (ASCII, no escapes).
    public init(scanned line: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) {
        self.init(decoding: UnsafeBufferPointer(rebasing: line[range]), as: UTF8.self)
    }
}

extension LineScanner {
    /// Builds the value at `range` of a line this scanner accepted; like `JSONValue(scanned:)`, but reusing the
    /// scanner's scratch space so that each object and array is allocated once, at its size.
    public mutating func value(_ line: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> JSONValue
    {
        guard let base = line.baseAddress, range.upperBound <= line.count else { return .null }
        var builder = ValueBuilder(
            cursor: Cursor(base: base + range.lowerBound, end: range.count),
            members: takeMemberScratch(),
            items: takeItemScratch())
        let value = builder.value()
        returnScratch(members: builder.members, items: builder.items)
        return value
    }
}

/// Builds `JSONValue`s from trusted compact JSON. Members and items are gathered on stacks shared by every
/// level, then copied out once per object or array.
struct ValueBuilder {
    var cursor: Cursor
    var members: [JSONMember]
    var items: [JSONValue]

    mutating func value() -> JSONValue {
        guard let byte = cursor.peek() else { return .null }
        switch byte {
        case UInt8(ascii: "{"):
            cursor.index += 1
            if cursor.literal("}") { return .object(JSONObject()) }
            let first = members.count
            while cursor.index < cursor.end {
                guard cursor.literal("\"") else { break }
                let key = string()
                guard cursor.literal(":") else { break }
                let member = JSONMember(key, value())
                members.append(member)
                if cursor.literal(",") { continue }
                _ = cursor.literal("}")
                break
            }
            let object = JSONObject(Array(members[first...]))
            members.removeSubrange(first...)
            return .object(object)
        case UInt8(ascii: "["):
            cursor.index += 1
            if cursor.literal("]") { return .array([]) }
            let first = items.count
            while cursor.index < cursor.end {
                let item = value()
                items.append(item)
                if cursor.literal(",") { continue }
                _ = cursor.literal("]")
                break
            }
            let array = Array(items[first...])
            items.removeSubrange(first...)
            return .array(array)
        case UInt8(ascii: "\""):
            cursor.index += 1
            return .string(string())
        case UInt8(ascii: "t"):
            cursor.index += 4
            return .bool(true)
        case UInt8(ascii: "f"):
            cursor.index += 5
            return .bool(false)
        case UInt8(ascii: "n"):
            cursor.index += 4
            return .null
        default:
            let start = cursor.index
            while let next = cursor.peek(), next != UInt8(ascii: ","), next != UInt8(ascii: "}"),
                next != UInt8(ascii: "]")
            {
                cursor.index += 1
            }
            return .number(
                String(
                    decoding: UnsafeBufferPointer(
                        start: cursor.base + start, count: cursor.index - start), as: UTF8.self))
        }
    }

    /// The rest of a string whose opening quote was consumed.
    mutating func string() -> String {
        let start = cursor.index
        while let byte = cursor.peek() {
            if byte == UInt8(ascii: "\"") {
                let text = String(
                    decoding: UnsafeBufferPointer(
                        start: cursor.base + start, count: cursor.index - start), as: UTF8.self)
                cursor.index += 1
                return text
            }
            if byte == UInt8(ascii: "\\") { break }
            cursor.index += 1
        }
        var scratch = Array(
            UnsafeBufferPointer(start: cursor.base + start, count: cursor.index - start))
        while let byte = cursor.peek() {
            cursor.index += 1
            if byte == UInt8(ascii: "\"") { break }
            guard byte == UInt8(ascii: "\\"), let escape = cursor.peek() else {
                scratch.append(byte)
                continue
            }
            cursor.index += 1
            switch escape {
            case UInt8(ascii: "b"): scratch.append(0x08)
            case UInt8(ascii: "f"): scratch.append(0x0C)
            case UInt8(ascii: "n"): scratch.append(0x0A)
            case UInt8(ascii: "r"): scratch.append(0x0D)
            case UInt8(ascii: "t"): scratch.append(0x09)
            case UInt8(ascii: "u"):
                var scalar = hex4()
                if scalar >= 0xD800 && scalar < 0xDC00, cursor.literal("\\u") {
                    let low = hex4()
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low &- 0xDC00)
                }
                if let unicode = Unicode.Scalar(scalar) {
                    scratch.append(contentsOf: String(Character(unicode)).utf8)
                }
            default: scratch.append(escape)  // \" \\ \/
            }
        }
        return String(decoding: scratch, as: UTF8.self)
    }

    mutating func hex4() -> UInt32 {
        var value: UInt32 = 0
        for _ in 0..<4 {
            guard let byte = cursor.peek() else { return value }
            cursor.index += 1
            let digit: UInt32
            switch byte {
            case 0x30...0x39: digit = UInt32(byte - 0x30)
            case 0x41...0x46: digit = UInt32(byte - 0x41 + 10)
            default: digit = UInt32(byte &- 0x61 &+ 10) & 0xF
            }
            value = value << 4 | digit
        }
        return value
    }
}

/// Reading one member of a JSON object that `LineScanner` accepted, without building the rest of it.
public enum ScannedObject {
    /// The text of the string value whose bytes (quotes included) are `value`, its escapes decoded as
    /// `JSONValue(scanned:)` decodes them; nil when `value` is not a string.
    public static func string(_ value: UnsafeBufferPointer<UInt8>) -> String? {
        guard let base = value.baseAddress, value.count >= 2, value[0] == UInt8(ascii: "\""),
            value[value.count - 1] == UInt8(ascii: "\"")
        else { return nil }
        let inner = UnsafeBufferPointer(start: base + 1, count: value.count - 2)
        if memchr(base + 1, Int32(UInt8(ascii: "\\")), inner.count) == nil {
            return String(decoding: inner, as: UTF8.self)
        }
        var builder = ValueBuilder(
            cursor: Cursor(base: base, end: value.count), members: [], items: [])
        return builder.value().stringValue
    }

    /// Where the value of the member called `name` is in `object` (the bytes of the whole object), if present.
    public static func valueRange(of name: String, in object: UnsafeBufferPointer<UInt8>) -> Range<
        Int
    >? {
        guard let base = object.baseAddress else { return nil }
        let found: Range<Int>?? = name.utf8.withContiguousStorageIfAvailable { key in
            find(key, base: base, count: object.count)
        }
        if let found { return found }
        var copy = name
        return copy.withUTF8 { find($0, base: base, count: object.count) }
    }

    private static func find(
        _ key: UnsafeBufferPointer<UInt8>, base: UnsafePointer<UInt8>, count: Int
    ) -> Range<Int>? {
        var cursor = Cursor(base: base, end: count)
        guard cursor.literal("{"), !cursor.literal("}") else { return nil }
        while cursor.literal("\"") {
            guard let name = cursor.plainString(), cursor.literal(":") else { return nil }
            let start = cursor.index
            guard cursor.skipTrustedValue() else { return nil }
            if name.count == key.count, let keyBase = key.baseAddress,
                memcmp(base + name.lowerBound, keyBase, key.count) == 0
            {
                return start..<cursor.index
            }
            guard cursor.literal(",") else { return nil }
        }
        return nil
    }

    /// Every member's name and value range, in order.
    public static func members(in object: UnsafeBufferPointer<UInt8>) -> [(
        name: Range<Int>, value: Range<Int>
    )] {
        var members: [(name: Range<Int>, value: Range<Int>)] = []
        _ = forEachMember(in: object) { name, value in
            members.append((name, value))
            return true
        }
        return members
    }

    /// Calls `body` with each member's name and value range, in order, until it returns false; returns false
    /// when it stopped early or `object` is not an object.
    public static func forEachMember(
        in object: UnsafeBufferPointer<UInt8>,
        _ body: (_ name: Range<Int>, _ value: Range<Int>) -> Bool
    ) -> Bool {
        guard let base = object.baseAddress else { return false }
        var cursor = Cursor(base: base, end: object.count)
        guard cursor.literal("{") else { return false }
        if cursor.literal("}") { return true }
        while cursor.literal("\"") {
            guard let name = cursor.plainString(), cursor.literal(":") else { return false }
            let start = cursor.index
            guard cursor.skipTrustedValue() else { return false }
            guard body(name, start..<cursor.index) else { return false }
            if cursor.literal(",") { continue }
            return cursor.literal("}")
        }
        return false
    }

    /// Calls `body` with each item's range of the array `array`, in order, until it returns false; returns false
    /// when it stopped early or `array` is not an array.
    public static func forEachItem(
        in array: UnsafeBufferPointer<UInt8>, _ body: (_ item: Range<Int>) -> Bool
    ) -> Bool {
        guard let base = array.baseAddress else { return false }
        var cursor = Cursor(base: base, end: array.count)
        guard cursor.literal("[") else { return false }
        if cursor.literal("]") { return true }
        while cursor.index < cursor.end {
            let start = cursor.index
            guard cursor.skipTrustedValue() else { return false }
            guard body(start..<cursor.index) else { return false }
            if cursor.literal(",") { continue }
            return cursor.literal("]")
        }
        return false
    }
}
