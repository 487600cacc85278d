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
