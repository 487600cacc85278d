import EventLog
import LedgerTestSupport
import Projections
import Testing

/// Names and notes come from people and other systems: what the ledger prints of them must not act on the
/// terminal it is shown on (retitle it, clear it, reorder a line), in a table, a CSV, JSON or a refusal.
@Suite("ledger CLI: control characters in names and notes are shown, never obeyed")
struct ControlCharacterTests {
    static let retitle = "\u{1B}]0;pwned\u{7}"
    static let clear = "\u{1B}[2J"
    static let override = "\u{202E}"
    /// A name that would retitle the terminal, clear it, and read backwards.
    static let name = "Megan\(retitle)\(clear)\(override)Jones\u{9B}1m\u{7F}"
    /// How it is shown.
    static let shown = "Megan\\u{1B}]0;pwned\\u{7}\\u{1B}[2J\\u{202E}Jones\\u{9B}1m\\u{7F}"

    /// The bytes no output may carry: ESC, BEL, DEL, U+009B (a one-byte CSI) and U+202E.
    static func hasControls(_ text: String) -> Bool {
        text.unicodeScalars.contains { [0x1B, 0x07, 0x7F, 0x9B, 0x202E].contains($0.value) }
    }

    static func log() -> (TemporaryDirectory, String) {
        let (directory, log) = CLIWriteTests.initialized()
        let members: JSONValue = [
            ["id": "c-1", "name": .string(name), "dob": "2015-04-01", "role": "child"],
            ["id": "p-1", "name": "Parent", "role": "parent"],
        ]
        let lines =
            Events.staff + [
                Events.line(
                    id: "ref-1", stream: "family:F-1", type: "referral.received", on: "2026-02-02",
                    actor: "m-001",
                    role: "team-manager",
                    data: [
                        "source": "school", "reason": .string("Worried \(clear)"),
                        "members": members,
                    ]),
                Events.line(
                    id: "note-1", stream: "family:F-1", type: "note.recorded", on: "2026-02-03",
                    data: ["subject": .string("Visit \(retitle)"), "body": .string("Said \(name)")]),
            ]
        let append = Subprocess.ledger(
            ["append", "--log", log], environment: CLIWriteTests.now,
            stdin: lines.joined(separator: "\n") + "\n",
            in: directory)
        #expect(append.status == 0, "\(append.stderr)")
        return (directory, log)
    }

    @Test("families and timeline as a table and as CSV show the name escaped")
    func tablesAndCSV() {
        let (directory, log) = Self.log()
        for command in [["families"], ["timeline", "F-1"]] {
            for format in ["table", "csv"] {
                let result = Subprocess.ledger(
                    command + ["--log", log, "--format", format, "--as-of", "2026-03-01"],
                    environment: CLIWriteTests.now,
                    in: directory)
                #expect(result.status == 0, "\(command) \(format): \(result.stderr)")
                #expect(!Self.hasControls(result.stdout), "\(command) \(format): \(result.stdout)")
            }
        }
        // A name inside a nested value (the families' members, a list of objects: a column per member) is
        // escaped as any cell is.
        let families = Subprocess.ledger(
            ["families", "--log", log, "--format", "csv", "--as-of", "2026-03-01"],
            environment: CLIWriteTests.now,
            in: directory)
        // The name holds a ';' (in its escape sequence): quoted within the list, then the cell quoted as CSV.
        #expect(
            families.stdout.contains(",\"\"\"\(Self.shown)\"\"; Parent\","), "\(families.stdout)")
        let table = Subprocess.ledger(
            ["timeline", "F-1", "--log", log, "--format", "table"], environment: CLIWriteTests.now,
            in: directory)
        #expect(
            table.stdout.contains("Note: Visit \\u{1B}]0;pwned\\u{7} — Said Megan"),
            "\(table.stdout)")
        let csv = Subprocess.ledger(
            ["timeline", "F-1", "--log", log, "--format", "csv"], environment: CLIWriteTests.now,
            in: directory)
        #expect(csv.stdout.contains("Said \(Self.shown)"), "\(csv.stdout)")
    }

    @Test(
        "JSON output escapes every control character, the separators and the bidi overrides as \\u")
    func json() throws {
        let (directory, log) = Self.log()
        for format in ["json", "jsonl"] {
            let result = Subprocess.ledger(
                ["timeline", "F-1", "--log", log, "--format", format],
                environment: CLIWriteTests.now, in: directory)
            #expect(result.status == 0)
            #expect(!Self.hasControls(result.stdout), "\(format): \(result.stdout)")
            #expect(
                result.stdout.contains(#"\u001b]0;pwned\u0007\u001b[2J\u202eJones\u009b1m\u007f"#),
                "\(result.stdout)")
        }
        // The same value to a JSON reader.
        var out: [UInt8] = []
        let text = "a\u{2028}b\u{2029}c\u{1B}\u{202E}\u{2066}\u{9F}\u{7F}£’é"
        JSONWriter.writeForDisplay(.string(text), into: &out)
        #expect(
            String(decoding: out, as: UTF8.self)
                == #""a\u2028b\u2029c\u001b\u202e\u2066\u009f\u007f£’é""#)
        #expect(try JSONParser.parse(String(decoding: out, as: UTF8.self)) == .string(text))
        for value in UInt32(0)..<0x20 {
            var escaped: [UInt8] = []
            JSONWriter.writeForDisplay(
                .string(String(Character(Unicode.Scalar(UInt8(value))))), into: &escaped)
            #expect(!escaped.contains(UInt8(value)), "U+\(value) is escaped in JSON")
        }
    }

    @Test("a refusal that echoes an id or a value shows it escaped")
    func refusals() {
        let (directory, log) = Self.log()
        // A value and a type echoed in the refusal.
        let hostile = [
            Events.line(
                stream: "family:F-1", type: "visit.completed", on: "2026-02-05",
                data: ["kind": .string("home\(Self.retitle)")]),
            Events.line(stream: "family:F-1", type: "visit\(Self.clear)", on: "2026-02-05"),
        ]
        for line in hostile {
            let append = Subprocess.ledger(
                ["append", "--log", log], environment: CLIWriteTests.now, stdin: line + "\n",
                in: directory)
            #expect(append.status == 1)
            #expect(!Self.hasControls(append.stderr), "\(append.stderr)")
            #expect(append.stderr.contains("\\u{1B}"), "\(append.stderr)")
        }
        let timeline = Subprocess.ledger(
            ["timeline", "F-9\(Self.clear)", "--log", log], environment: CLIWriteTests.now,
            in: directory)
        #expect(
            !Self.hasControls(timeline.stderr) && timeline.stderr.contains("F-9\\u{1B}[2J"),
            "\(timeline.stderr)")
        let usage = Subprocess.ledger(
            ["families", "--as-of", "2026\(Self.retitle)"], in: directory)
        #expect(usage.status == 2 && !Self.hasControls(usage.stderr), "\(usage.stderr)")
    }

    @Test("the dashboard shows a control character as U+FFFD")
    func html() {
        let (directory, log) = Self.log()
        let site = directory.file("site")
        let rebuild = Subprocess.ledger(
            ["rebuild", "--out", site, "--log", log, "--as-of", "2026-03-01"],
            environment: CLIWriteTests.now,
            in: directory)
        #expect(rebuild.status == 0, "\(rebuild.stderr)")
        let page = String(decoding: readBytes(site + "/families/F-1.html"), as: UTF8.self)
        #expect(
            page.contains("Megan\u{FFFD}]0;pwned\u{FFFD}\u{FFFD}[2J\u{FFFD}Jones"),
            "the child's name")
        #expect(!Self.hasControls(page))
        for name in ["families.csv", "families.json", "due.csv", "due.json"] {
            #expect(
                !Self.hasControls(String(decoding: readBytes(site + "/" + name), as: UTF8.self)),
                "\(name)")
        }
    }

    @Test(
        "the terminal escape",
        arguments: [
            ("plain £ ’ text", "", "plain £ ’ text"), ("a\u{1B}[2Jb", "", "a\\u{1B}[2Jb"),
            ("x\ny\tz", "\n\t", "x\ny\tz"),
            ("x\ny\rz", "", "x\\u{A}y\\u{D}z"),
            ("\u{2066}\u{202E}\u{2028}\u{85}", "", "\\u{2066}\\u{202E}\\u{2028}\\u{85}"),
        ])
    func escape(text: String, kept: String, expected: String) {
        #expect(TerminalText.escape(text, keeping: kept) == expected)
    }

    /// What someone typed or a file held, with a line break in it, echoed in a refusal: an adversary made
    /// `refused:` and `appended` lines of their own this way. Every message stays one line.
    static let forged: [(name: String, arguments: [String], stdin: String?)] = [
        (
            "a refused value",
            ["append"],
            Events.line(
                id: "x-1", stream: "family:F-1", type: "contact.attempted", on: "2026-02-04",
                data: ["method": "phone\nappended 9 ok", "outcome": "reached"]) + "\n"
        ),
        (
            "an unknown member's name",
            ["append"],
            Events.line(
                id: "x-2", stream: "family:F-1", type: "note.recorded", on: "2026-02-04",
                data: ["subject": "s", "body": "b", "evil\nrefused: x": "1"]) + "\n"
        ),
        ("a filter's value", ["families", "--family", "F-1\nledger: fake"], nil),
        ("an option's name", ["families", "--x\nrefused: fake", "1"], nil),
    ]

    @Test(
        "a line break in an echoed value cannot start a line of its own", arguments: forged.indices)
    func noForgedLines(index: Int) {
        let (directory, log) = Self.log()
        let (name, arguments, stdin) = Self.forged[index]
        let result = Subprocess.ledger(
            arguments + ["--log", log], environment: CLIWriteTests.now, stdin: stdin, in: directory)
        #expect(result.status != 0, "\(name)")
        let lines = result.stderr.split(separator: "\n")
        #expect(
            !lines.contains {
                $0.hasPrefix("appended") || $0.hasPrefix("refused: x")
                    || $0.hasPrefix("ledger: fake")
                    || $0.hasPrefix("refused: fake") || $0.hasPrefix("1\"")
            },
            "\(name): \(result.stderr)")
        #expect(result.stderr.contains("\\u{A}"), "\(name): \(result.stderr)")
    }
}
