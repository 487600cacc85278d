import EventLog
import LedgerTestSupport
import Testing

/// Only `ledger redact` redacts a line (EVENTS.md §1): `verify` accepts a `redacted` notice only when it is the
/// ledger's own, naming a record.redacted event that lists the line; and a redacted line cannot be corrected or
/// voided back to life. (Both found by an adversarial run: verify passed any hand-made notice.)
@Suite("Redaction notices: the ledger's own, or verify fails")
struct RedactionNoticeTests {
    static func prepared() -> (TemporaryDirectory, String, [String]) {
        let (directory, log) = CLIWriteTests.initialized()
        func note(_ id: String, _ family: String) -> String {
            Events.line(
                id: id, stream: "family:\(family)", type: "note.recorded", on: "2026-02-05",
                data: ["subject": "Visit", "body": .string("Private words \(id)")])
        }
        let lines =
            Events.staff + [
                Events.referral("F-1", on: "2026-02-02"), note("n-1", "F-1"), note("n-2", "F-1"),
                Events.referral("F-2", on: "2026-02-02", childID: "c-2"), note("m-1", "F-2"),
            ]
        let appended = Subprocess.ledger(
            ["append", "--log", log], environment: CLIWriteTests.now,
            stdin: lines.joined(separator: "\n") + "\n", in: directory)
        #expect(appended.status == 0, "\(appended.stderr)")
        let seq = readLines(log).firstIndex { $0.contains(#""id":"n-1""#) }.map { $0 + 1 } ?? 0
        let redact = Subprocess.ledger(
            [
                "redact", "--family", "F-1", "--reason", "wrong-family", "--actor", "m-001",
                "--seq", "\(seq)", "--log", log,
            ],
            environment: CLIWriteTests.now, in: directory)
        #expect(redact.status == 0, "\(redact.stderr)")
        return (directory, log, readLines(log))
    }

    /// The log with `id`'s line given `notice` in place of its data and salt, as a hand would write it.
    static func forged(_ lines: [String], id: String, notice: String) -> (lines: [String], seq: Int)
    {
        var lines = lines
        guard let index = lines.firstIndex(where: { $0.contains(#""id":"\#(id)""#) }),
            let data = lines[index].firstRange(of: #","data":"#)
        else { return (lines, 0) }
        lines[index] = String(lines[index][..<data.lowerBound]) + #","redacted":\#(notice)}"#
        return (lines, index + 1)
    }

    @Test("the ledger's own redaction verifies")
    func own() {
        let (directory, log, _) = Self.prepared()
        let verify = Subprocess.ledger(["verify", "--log", log], in: directory)
        #expect(
            verify.status == 0 && verify.stdout.contains("1 redacted"),
            "\(verify.stdout) \(verify.stderr)")
    }

    @Test(
        "a notice written by hand fails verify at its seq",
        arguments: [
            #"{"on":"2026-11-23","reason":"wrong-family","by":"m-001","record":"nonexistent"}"#,
            #"{"on":"2026-11-23","reason":"wrong-family","by":"m-001","record":"RECORD"}"#,
            #"{"on":"2026-11-23","reason":"retention-ended","by":"m-001","record":"ref-F-1-2026-02-02"}"#,
            #"{}"#, #""x""#,
            #"{"on":"garbage","reason":"wrong-family","by":"m-001","record":"RECORD"}"#,
            #"{"on":"2026-11-23","reason":"wrong-family","by":"m-001","record":"RECORD","extra":"smuggled"}"#,
        ])
    func forgedNotice(_ notice: String) throws {
        let (directory, log, lines) = Self.prepared()
        let record = try #require(
            lines.last.flatMap { line in
                line.firstRange(of: #""id":""#).map {
                    String(line[$0.upperBound...].prefix(while: { $0 != "\"" }))
                }
            })
        for id in ["n-2", "m-1"] {
            let (edited, seq) = Self.forged(
                lines, id: id, notice: notice.replacing("RECORD", with: record))
            #expect(seq > 0)
            writeBytes(Array((edited.joined(separator: "\n") + "\n").utf8), to: log)
            let verify = Subprocess.ledger(["verify", "--log", log], in: directory)
            #expect(verify.status == 1, "\(id) with \(notice): \(verify.stdout)")
            #expect(
                verify.stderr.contains("seq \(seq)") && verify.stderr.contains("redacted"),
                "\(verify.stderr)")
        }
    }

    @Test("a redacted line cannot be corrected or voided")
    func noCorrection() {
        let (directory, log, _) = Self.prepared()
        for type in ["event.corrected", "event.voided"] {
            let data: JSONValue =
                type == "event.voided"
                ? ["target": "n-1", "reason": "back"]
                : [
                    "target": "n-1", "reason": "back",
                    "data": ["subject": "Re-added", "body": "words"],
                ]
            let line = Events.line(
                id: "fix-\(type)", stream: "family:F-1", type: type, on: "2026-02-06",
                actor: "m-001",
                role: "team-manager", data: data)
            let result = Subprocess.ledger(
                ["append", "--log", log], environment: CLIWriteTests.now, stdin: line + "\n",
                in: directory)
            #expect(
                result.status == 1 && result.stderr.contains("was redacted"),
                "\(type): \(result.stderr)")
        }
    }
}
