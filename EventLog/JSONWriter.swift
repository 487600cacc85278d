/// Writes JSON compactly, in member order, with the minimal escapes. The same value always gives the same bytes.
public enum JSONWriter {
    /// The compact serialisation of `value`.
    public static func bytes(_ value: JSONValue) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(128)
        write(value, into: &out)
        return out
    }

    /// The compact serialisation of `value`, as text.
    public static func string(_ value: JSONValue) -> String {
        String(decoding: bytes(value), as: UTF8.self)
    }

    /// Appends the compact serialisation of `value` to `out`.
    public static func write(_ value: JSONValue, into out: inout [UInt8]) {
        write(value, into: &out, display: false)
    }

    /// Appends `value` as `write` does, with the characters a terminal or a reader's eye acts on rather than shows
    /// (`TerminalText.isControl`: DEL, the C1 controls, U+2028, U+2029, the bidirectional formatting characters)
    /// escaped as `\uXXXX` too, as the C0 controls always are: the same value to any JSON reader, and nothing in it
    /// that acts when the output is shown on a terminal or pasted into a script. For projections and every output;
    /// the log's stored form stays the minimal one.
    public static func writeForDisplay(_ value: JSONValue, into out: inout [UInt8]) {
        write(value, into: &out, display: true)
    }

    private static func write(_ value: JSONValue, into out: inout [UInt8], display: Bool) {
        switch value {
        case .null: out.append(contentsOf: [0x6E, 0x75, 0x6C, 0x6C])
        case .bool(let flag): out.append(contentsOf: (flag ? "true" : "false").utf8)
        case .number(let text): out.append(contentsOf: text.utf8)
        case .string(let text): writeString(text, into: &out, display: display)
        case .array(let items):
            out.append(UInt8(ascii: "["))
            for (index, item) in items.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                write(item, into: &out, display: display)
            }
            out.append(UInt8(ascii: "]"))
        case .object(let object):
            out.append(UInt8(ascii: "{"))
            for (index, member) in object.members.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                writeString(member.key, into: &out, display: display)
                out.append(UInt8(ascii: ":"))
                write(member.value, into: &out, display: display)
            }
            out.append(UInt8(ascii: "}"))
        }
    }

    /// Appends `text` as a JSON string literal; with `display`, escaped as `writeForDisplay` escapes.
    public static func writeString(_ text: String, into out: inout [UInt8], display: Bool = false) {
        out.append(UInt8(ascii: "\""))
        // Most strings need no escape at all: then their bytes go in as one run.
        let plain = text.utf8.withContiguousStorageIfAvailable { bytes -> Bool in
            // This runs for every string of every output row: printable ASCII, the usual case, is decided in one
            // pass, eight bytes at a time; only text with other bytes is looked at again.
            let plain =
                !needsEscape(bytes)
                || (display
                    ? bytes.allSatisfy {
                        $0 >= 0x20 && $0 != 0x22 && $0 != 0x5C && !TerminalText.mayBeginControl($0)
                    }
                    : bytes.allSatisfy { $0 >= 0x20 && $0 != 0x22 && $0 != 0x5C })
            guard plain else { return false }
            out.append(contentsOf: bytes)
            return true
        }
        if plain == true {
            out.append(UInt8(ascii: "\""))
            return
        }
        for scalar in text.unicodeScalars {
            switch scalar.value {
            case 0x22: out.append(contentsOf: [0x5C, 0x22])
            case 0x5C: out.append(contentsOf: [0x5C, 0x5C])
            case 0x0A: out.append(contentsOf: [0x5C, UInt8(ascii: "n")])
            case 0x0D: out.append(contentsOf: [0x5C, UInt8(ascii: "r")])
            case 0x09: out.append(contentsOf: [0x5C, UInt8(ascii: "t")])
            case 0x00..<0x20: appendUnicodeEscape(scalar.value, into: &out)
            default:
                if display && TerminalText.isControl(scalar) {
                    appendUnicodeEscape(scalar.value, into: &out)
                } else {
                    UTF8.encode(scalar) { out.append($0) }
                }
            }
        }
        out.append(UInt8(ascii: "\""))
    }

    /// `writeString` of the UTF-8 text in `bytes`: the same bytes out, without making a string when they need no
    /// escape (printable ASCII but `"` and `\`, the usual case); otherwise the text is decoded and written as a
    /// string is.
    public static func writeString(utf8 bytes: UnsafeBufferPointer<UInt8>, into out: inout [UInt8])
    {
        if !needsEscape(bytes) {
            out.append(UInt8(ascii: "\""))
            out.append(contentsOf: bytes)
            out.append(UInt8(ascii: "\""))
        } else {
            writeString(String(decoding: bytes, as: UTF8.self), into: &out)
        }
    }

    /// Whether any byte is not printable ASCII (below 0x20, or 0x7F and up) or is a quote or a backslash: eight
    /// bytes at a time, then one at a time.
    static func needsEscape(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let base = bytes.baseAddress else { return false }
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highs: UInt64 = 0x8080_8080_8080_8080
        @inline(__always) func hasZero(_ word: UInt64) -> Bool {
            (word &- ones) & ~word & highs != 0
        }
        var offset = 0
        while bytes.count - offset >= 8 {
            let word = UnsafeRawPointer(base + offset).loadUnaligned(as: UInt64.self)
            // A byte of 0x80 or more; 0x7F; below 0x20 (its value minus 0x20 borrows, the byte being under 0x80);
            // a quote; a backslash.
            if word & highs != 0 || hasZero(word ^ (ones &* 0x7F))
                || (word &- ones &* 0x20) & ~word & highs != 0
                || hasZero(word ^ (ones &* 0x22)) || hasZero(word ^ (ones &* 0x5C))
            {
                return true
            }
            offset += 8
        }
        while offset < bytes.count {
            let byte = base[offset]
            if byte < 0x20 || byte >= 0x7F || byte == 0x22 || byte == 0x5C { return true }
            offset += 1
        }
        return false
    }

    /// `\uXXXX` for a scalar of the Basic Multilingual Plane.
    private static func appendUnicodeEscape(_ value: UInt32, into out: inout [UInt8]) {
        out.append(contentsOf: [0x5C, UInt8(ascii: "u")])
        for shift in stride(from: 12, through: 0, by: -4) {
            out.append(Hex.digits[Int((value >> UInt32(shift)) & 0xF)])
        }
    }
}
