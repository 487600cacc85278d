import EventLog
import Projections
import Testing

/// A table lines up on a terminal whatever script its names are written in: each character takes the columns a
/// terminal gives it (Unicode's EastAsianWidth.txt: W and F two, the rest one), not one each.
@Suite("Terminal widths: tables line up in any script")
struct TerminalWidthTests {
    @Test(
        "characters' columns, against EastAsianWidth.txt",
        arguments: [
            ("A", 1), ("é", 1), ("e\u{301}", 1), ("ß", 1), ("Ω", 1), ("Ж", 1), ("ا", 1), ("अ", 1),
            ("李", 2), ("한", 2), ("あ", 2), ("ア", 2), ("ｱ", 1), ("Ａ", 2), ("￥", 2), ("、", 2),
            ("\u{3000}", 2), ("\u{303F}", 1), ("\u{1100}", 2), ("\u{1160}", 1), ("😀", 2),
            ("🚀", 2), ("❤", 1), ("❤\u{FE0F}", 2), ("👨\u{200D}👩\u{200D}👧", 2), ("🇬🇧", 1),
            ("\u{20000}", 2), ("…", 1), ("—", 1),
        ])
    func columns(text: String, expected: Int) {
        #expect(TerminalText.columns(text) == expected, "\(text.unicodeScalars.map(\.value))")
    }

    @Test("a prefix never splits a character, nor goes past its columns")
    func prefix() {
        #expect(TerminalText.prefix("李雷和韩梅梅", columns: 5) == "李雷")
        #expect(TerminalText.prefix("李雷和韩梅梅", columns: 6) == "李雷和")
        #expect(TerminalText.prefix("Zoë e\u{301}", columns: 5) == "Zoë e\u{301}")
        #expect(TerminalText.prefix("ab", columns: 0) == "")
    }

    @Test("a table of names in Chinese, Korean and English lines up, and cut cells end in …")
    func tableLinesUp() throws {
        func row(_ name: String, _ team: String) -> JSONObject {
            JSONObject([JSONMember("name", .string(name)), JSONMember("team", .string(team))])
        }
        let rows = [
            row("李雷", "north"), row("Ann Lee", "south"), row("한지민", "east"), row("Zoë", "west"),
        ]
        let text = String(decoding: RowWriter.table(rows), as: UTF8.self)
        let lines = text.split(separator: "\n").map(String.init)
        // Every line's second column starts at the same terminal column.
        let starts = lines.map { line -> Int in
            let words = line.split(separator: " ", omittingEmptySubsequences: true)
            let last = String(words.last ?? "")
            return TerminalText.columns(line) - TerminalText.columns(last)
        }
        #expect(Set(starts).count == 1, "\(text)")
        let narrow = String(
            decoding: RowWriter.table(
                [
                    JSONObject([
                        JSONMember("name", "李雷和韩梅梅和李雷和韩梅梅"), JSONMember("note", "x"),
                    ])
                ], width: 14),
            as: UTF8.self)
        let row = try #require(narrow.split(separator: "\n").dropFirst(2).first)
        // Cut at a character (its columns one short of the column's ten, the "…" in the tenth), padded to the
        // column: "x" starts where the heading "note" does.
        #expect(row.hasPrefix("李雷和韩…"), "\(narrow)")
        let heading = String(try #require(narrow.split(separator: "\n").first))
        let noteAt = try #require(heading.firstRange(of: "note")).lowerBound
        let xAt = try #require(row.firstRange(of: "x")).lowerBound
        #expect(
            TerminalText.columns(String(heading[..<noteAt]))
                == TerminalText.columns(String(row[..<xAt])), "\(narrow)")
    }
}
