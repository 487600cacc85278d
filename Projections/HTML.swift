/// HTML escaping: everything shown on a page goes through here (names and case notes come from people).
public enum HTML {
    /// Escapes text for element content and attribute values.
    public static func escape(_ text: String) -> String {
        // Most text (dates, codes, names) has nothing to escape: one pass over the bytes says so.
        let plain = text.utf8.withContiguousStorageIfAvailable { bytes in
            needsEscape.withUnsafeBufferPointer { table in !bytes.contains { table[Int($0)] } }
        }
        if plain ?? !text.utf8.contains(where: { needsEscape[Int($0)] }) { return text }
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
                // Control characters other than tab and newline have no place in a page.
                if scalar.value < 0x20 && scalar != "\t" && scalar != "\n" { out += "\u{FFFD}" } else { out.unicodeScalars.append(scalar) }
            }
        }
        return out
    }

    /// Appends `text`, escaped, to `out`.
    public static func appendEscaped(_ text: String, to out: inout [UInt8]) {
        let appended = text.utf8.withContiguousStorageIfAvailable { bytes -> Bool in
            let plain = needsEscape.withUnsafeBufferPointer { table in !bytes.contains { table[Int($0)] } }
            if plain { out.append(contentsOf: bytes) }
            return plain
        }
        if appended != true { out.append(contentsOf: escape(text).utf8) }
    }

    /// The bytes `escape` replaces: & < > " ' and the control characters but tab and newline.
    private static let needsEscape: [Bool] = (0..<256).map {
        [0x26, 0x3C, 0x3E, 0x22, 0x27].contains($0) || ($0 < 0x20 && $0 != 0x09 && $0 != 0x0A)
    }

    /// A file-name-safe form of a family ref (refs are already `A-Za-z0-9._-`; anything else is replaced).
    public static func safeFileName(_ ref: String) -> String {
        var name = String(ref.unicodeScalars.map { scalar -> Character in
            let value = scalar.value
            let ok = (0x30...0x39).contains(value) || (0x41...0x5A).contains(value) || (0x61...0x7A).contains(value)
                || scalar == "-" || scalar == "_" || scalar == "."
            return ok ? Character(scalar) : "_"
        })
        if name.isEmpty || name.hasPrefix(".") { name = "_" + name }
        return String(name.prefix(64))
    }
}
