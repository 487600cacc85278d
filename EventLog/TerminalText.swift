/// Text from people and other systems (names, notes, ids, field values) made safe to show on a terminal or in a
/// spreadsheet: every character a terminal acts on rather than shows, or that reorders what a reader sees, is
/// written visibly instead, as Swift writes it in a string literal: ESC becomes `\u{1B}`, BEL `\u{7}`, U+202E
/// `\u{202E}`. So `ESC]0;…BEL` cannot retitle the terminal, `ESC[2J` cannot clear it, and a right-to-left
/// override cannot make a note read backwards.
///
/// The characters escaped (`isControl`): the C0 controls (U+0000–U+001F) but those the caller keeps, DEL
/// (U+007F), the C1 controls (U+0080–U+009F; U+009B is a one-byte CSI to some terminals), the line and paragraph
/// separators (U+2028, U+2029), and the bidirectional formatting characters (U+061C, U+200E, U+200F,
/// U+202A–U+202E, U+2066–U+2069). A backslash is left as it is: the escape is for showing, not for reading back.
///
/// Every table, CSV cell and message on standard error goes through `escape`; JSON output escapes the same
/// characters as JSON does (`JSONWriter`), and HTML shows them as U+FFFD.
public enum TerminalText {
    /// Whether `scalar` is one that `escape` writes visibly.
    public static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x00...0x1F, 0x7F...0x9F, 0x061C, 0x200E, 0x200F, 0x2028...0x202E, 0x2066...0x2069:
            true
        default: false
        }
    }

    /// Whether a UTF-8 byte can begin such a character: what a fast path checks before taking the text as it is.
    /// (0xC2 leads U+0080–U+00BF, 0xD8 U+0600–U+063F, 0xE2 U+2000–U+2FFF: most text with them has nothing to
    /// escape, and is then looked at a character at a time.)
    @inline(__always)
    public static func mayBeginControl(_ byte: UInt8) -> Bool {
        byte < 0x20 || byte == 0x7F || byte == 0xC2 || byte == 0xD8 || byte == 0xE2
    }

    /// `text` with every control character (`isControl`) but those in `kept` written as `\u{HEX}`.
    public static func escape(_ text: String, keeping kept: String = "") -> String {
        guard needsEscape(text, keeping: kept) else { return text }
        var out = ""
        out.reserveCapacity(text.utf8.count + 16)
        for scalar in text.unicodeScalars {
            if isControl(scalar) && !kept.unicodeScalars.contains(scalar) {
                out += "\\u{" + String(scalar.value, radix: 16, uppercase: true) + "}"
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    /// Whether `escape` would change `text`.
    public static func needsEscape(_ text: String, keeping kept: String = "") -> Bool {
        let maybe =
            text.utf8.withContiguousStorageIfAvailable { $0.contains(where: mayBeginControl) }
            ?? text.utf8.contains(where: mayBeginControl)
        guard maybe else { return false }
        return text.unicodeScalars.contains { isControl($0) && !kept.unicodeScalars.contains($0) }
    }
}

extension TerminalText {
    /// The columns `text` takes on a terminal, a character (a grapheme cluster: a letter and its accents, an
    /// emoji sequence) at a time: 2 for one whose first scalar is East Asian Wide or Fullwidth (Unicode's
    /// EastAsianWidth.txt, W and F: Chinese, Japanese and Korean script, fullwidth forms, most emoji) or that asks
    /// for emoji presentation (U+FE0F), 1 for any other. What a table pads and cuts by, so that a name written in
    /// Chinese lines up with one written in English.
    public static func columns(_ text: String) -> Int {
        var total = 0
        for character in text { total += columns(of: character) }
        return total
    }

    /// The longest start of `text` that takes at most `limit` columns.
    public static func prefix(_ text: String, columns limit: Int) -> String {
        var used = 0
        var end = text.startIndex
        for index in text.indices {
            let width = columns(of: text[index])
            if used + width > limit { break }
            used += width
            end = text.index(after: index)
        }
        return String(text[..<end])
    }

    static func columns(of character: Character) -> Int {
        guard let first = character.unicodeScalars.first else { return 0 }
        if first.value < 0x1100 { return 1 }
        if isWide(first.value) { return 2 }
        if character.unicodeScalars.contains("\u{FE0F}") && first.properties.isEmoji { return 2 }
        return 1
    }

    /// Whether a code point is East Asian Wide or Fullwidth (the assigned ones, Unicode 14).
    static func isWide(_ value: UInt32) -> Bool {
        var low = 0
        var high = wide.count - 1
        while low <= high {
            let middle = (low + high) / 2
            if value < wide[middle].lowerBound {
                high = middle - 1
            } else if value > wide[middle].upperBound {
                low = middle + 1
            } else {
                return true
            }
        }
        return false
    }

    static let wide: [ClosedRange<UInt32>] = [
        0x1100...0x115F, 0x231A...0x231B, 0x2329...0x232A, 0x23E9...0x23EC, 0x23F0...0x23F0,
        0x23F3...0x23F3,
        0x25FD...0x25FE, 0x2614...0x2615, 0x2648...0x2653, 0x267F...0x267F, 0x2693...0x2693,
        0x26A1...0x26A1,
        0x26AA...0x26AB, 0x26BD...0x26BE, 0x26C4...0x26C5, 0x26CE...0x26CE, 0x26D4...0x26D4,
        0x26EA...0x26EA,
        0x26F2...0x26F3, 0x26F5...0x26F5, 0x26FA...0x26FA, 0x26FD...0x26FD, 0x2705...0x2705,
        0x270A...0x270B,
        0x2728...0x2728, 0x274C...0x274C, 0x274E...0x274E, 0x2753...0x2755, 0x2757...0x2757,
        0x2795...0x2797,
        0x27B0...0x27B0, 0x27BF...0x27BF, 0x2B1B...0x2B1C, 0x2B50...0x2B50, 0x2B55...0x2B55,
        0x2E80...0x303E,
        0x3041...0x3247, 0x3250...0x4DBF, 0x4E00...0xA4C6, 0xA960...0xA97C, 0xAC00...0xD7A3,
        0xF900...0xFAD9,
        0xFE10...0xFE19, 0xFE30...0xFE6B, 0xFF01...0xFF60, 0xFFE0...0xFFE6, 0x16FE0...0x1B2FB,
        0x1F004...0x1F004,
        0x1F0CF...0x1F0CF, 0x1F18E...0x1F18E, 0x1F191...0x1F19A, 0x1F200...0x1F320,
        0x1F32D...0x1F335,
        0x1F337...0x1F37C, 0x1F37E...0x1F393, 0x1F3A0...0x1F3CA, 0x1F3CF...0x1F3D3,
        0x1F3E0...0x1F3F0,
        0x1F3F4...0x1F3F4, 0x1F3F8...0x1F43E, 0x1F440...0x1F440, 0x1F442...0x1F4FC,
        0x1F4FF...0x1F53D,
        0x1F54B...0x1F54E, 0x1F550...0x1F567, 0x1F57A...0x1F57A, 0x1F595...0x1F596,
        0x1F5A4...0x1F5A4,
        0x1F5FB...0x1F64F, 0x1F680...0x1F6C5, 0x1F6CC...0x1F6CC, 0x1F6D0...0x1F6D2,
        0x1F6D5...0x1F6DF,
        0x1F6EB...0x1F6EC, 0x1F6F4...0x1F6FC, 0x1F7E0...0x1F7F0, 0x1F90C...0x1F93A,
        0x1F93C...0x1F945,
        0x1F947...0x1F9FF, 0x1FA70...0x1FAF6, 0x20000...0x3134A,
    ]
}
