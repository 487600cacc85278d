import EventLog

/// HTML escaping: everything shown on a page goes through here (names and case notes come from people).
public enum HTML {
    /// Escapes text for element content and attribute values.
    public static func escape(_ text: String) -> String {
        // Most text (dates, codes, names) has nothing to escape: one pass over the bytes says so.
        let plain = text.utf8.withContiguousStorageIfAvailable { bytes in
            needsEscape.withUnsafeBufferPointer { table in !bytes.contains { table[Int($0)] } }
        }
        if plain ?? !text.utf8.contains(where: { needsEscape[Int($0)] }) { return text }
        // Text with a byte that may begin a control character (a dash, a curly quote, £) mostly has none.
        let replaced = text.unicodeScalars.contains {
            $0 == "&" || $0 == "<" || $0 == ">" || $0 == "\"" || $0 == "'"
                || (TerminalText.isControl($0) && $0 != "\t" && $0 != "\n")
        }
        if !replaced { return text }
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default:
                // Control characters other than tab and newline have no place in a page, nor have the characters
                // that reorder what is shown (`TerminalText.isControl`): each shows as U+FFFD.
                if TerminalText.isControl(scalar) && scalar != "\t" && scalar != "\n" {
                    out += "\u{FFFD}"
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out
    }

    /// Appends `text`, escaped, to `out`.
    public static func appendEscaped(_ text: String, to out: inout [UInt8]) {
        let appended = text.utf8.withContiguousStorageIfAvailable { bytes -> Bool in
            let plain = needsEscape.withUnsafeBufferPointer { table in
                !bytes.contains { table[Int($0)] }
            }
            if plain { out.append(contentsOf: bytes) }
            return plain
        }
        if appended != true { out.append(contentsOf: escape(text).utf8) }
    }

    /// The bytes `escape` looks at: & < > " ' and those that may begin a control character (but tab and newline).
    private static let needsEscape: [Bool] = (0..<256).map {
        [0x26, 0x3C, 0x3E, 0x22, 0x27].contains($0)
            || (TerminalText.mayBeginControl(UInt8($0)) && $0 != 0x09 && $0 != 0x0A)
    }

    /// The file name of a family's dashboard page (`families/<name>`), for the page writer and every link to it.
    ///
    /// Injective, and injective still on a file system that ignores case (macOS, Windows): capitals, digits and
    /// `-` stand for themselves, and everything else is escaped with `_`, after which comes only a lower-case
    /// letter, a digit or `_`:
    ///
    /// | in the ref | in the name |
    /// |---|---|
    /// | `A`–`Z`, `0`–`9`, `-` | itself |
    /// | `a`–`z` | `_` and the letter (`f-1` → `_f-1`) |
    /// | `_` | `__` |
    /// | `.` | `_0` |
    /// | anything else (never in a valid ref) | `_9`, its code point in lower-case hex, `_` |
    ///
    /// A name Windows reserves for a device (`CON`, `NUL`, `COM1`…, in any case) is followed by `_1`, which no
    /// escape makes. So the name has no `.` (none leading, no `..`), no `/`, and letters outside an escape are all
    /// capitals while those inside are all lower case: two names that differ only by case are never made. A ref of
    /// up to 64 characters gives a name of at most 133 bytes.
    public static func familyPageName(_ ref: String) -> String {
        // The usual ref (F-1003) is its own name: one pass over its bytes says so (a rebuild names 41k pages,
        // and links to each from the front page).
        let asItIs = ref.utf8.allSatisfy {
            (0x41...0x5A).contains($0) || (0x30...0x39).contains($0) || $0 == 0x2D
        }
        if asItIs && ref.utf8.count > 4 { return ref + ".html" }
        var name = ""
        name.reserveCapacity(ref.utf8.count + 8)
        for scalar in ref.unicodeScalars {
            switch scalar.value {
            case 0x41...0x5A, 0x30...0x39, 0x2D: name.unicodeScalars.append(scalar)
            case 0x61...0x7A:
                name += "_"
                name.unicodeScalars.append(scalar)
            case 0x5F: name += "__"
            case 0x2E: name += "_0"
            default: name += "_9" + String(scalar.value, radix: 16) + "_"
            }
        }
        if reservedDeviceNames.contains(name.lowercased()) || name.isEmpty { name += "_1" }
        return name + ".html"
    }

    /// Names Windows keeps for devices, whatever the extension.
    private static let reservedDeviceNames: Set<String> = Set(
        ["con", "prn", "aux", "nul"] + (1...9).flatMap { ["com\($0)", "lpt\($0)"] })
}
