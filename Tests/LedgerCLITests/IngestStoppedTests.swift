import EventLog
import LedgerTestSupport
import Testing

/// An ingest that cannot finish (here: its rejects file reaches the file-size limit, as on a full disk) still says
/// what it put in the log, so the sending system knows where things stand, and sending it all again is safe.
@Suite("ledger ingest, stopped part-way")
struct IngestStoppedTests {
    /// `ledger ARGUMENTS` under a file-size limit of `kilobytes` (SIGXFSZ ignored: a write past it fails, EFBIG).
    static func limited(
        _ kilobytes: Int, _ arguments: [String], in directory: TemporaryDirectory,
        trapped: Bool = true
    )
        -> (status: Int32, stderr: String)
    {
        let err = directory.file(".limited-err")
        // Untrapped: the signal's default (the process killed), whatever this process was started with.
        let script =
            "ulimit -f \(kilobytes); "
            + (trapped ? "trap '' XFSZ; exec \"$@\"" : "exec env --default-signal=XFSZ \"$@\"")
        let pid = Subprocess.spawn(
            ["/bin/sh", "-c", script, "sh", Subprocess.ledgerBinary] + arguments,
            environment: ["LEDGER_NOW": "2026-11-23T12:00:00Z"], stderrPath: err)
        return (Subprocess.wait(pid), String(decoding: readBytes(err), as: UTF8.self))
    }

    static func team(_ id: String, name: String, bogus: Bool = false) -> String {
        let extra = bogus ? ",\"bogus\":1" : ""
        return
            "{\"id\":\"\(id)\",\"stream\":\"org\",\"type\":\"team.defined\",\"occurredAt\":\"2026-01-01\",\"actor\":{\"id\":\"hr\",\"role\":\"system\"},\"data\":{\"id\":\"\(id)\",\"name\":\"\(name)\"\(extra)}}"
    }

    @Test(
        "an append whose batch meets the file-size limit part-way (SIGXFSZ as the shell leaves it) changes nothing"
    )
    func appendAtTheLimit() throws {
        let (directory, log) = CLIWriteTests.initialized()
        let setup = Subprocess.ledger(
            ["append", "--log", log], environment: CLIWriteTests.now,
            stdin: (Events.staff + [Events.referral("F-1", on: "2026-02-02")]).joined(
                separator: "\n") + "\n", in: directory)
        #expect(setup.status == 0, "\(setup.stderr)")
        let before = readBytes(log)
        // Three notes of 30 KB: the limit leaves room for the first, not the second.
        let body = String(repeating: "q", count: 30_000)
        let notes = (1...3).map { index in
            Events.line(
                id: "big-\(index)", stream: "family:F-1", type: "note.recorded", on: "2026-02-05",
                data: ["subject": "Visit", "body": .string(body)])
        }
        let input = directory.file("three.jsonl")
        writeBytes(Array((notes.joined(separator: "\n") + "\n").utf8), to: input)
        let limit = (before.count + 45_000) / 1024
        let result = Self.limited(
            limit, ["append", input, "--log", log], in: directory, trapped: false)
        #expect(result.status == 1, "\(result.stderr)")
        #expect(result.stderr.contains("File too large"), "\(result.stderr)")
        #expect(readBytes(log) == before)
        // Nothing for `recover` to find, and the log verifies.
        let recover = Subprocess.ledger(["recover", "--log", log], in: directory)
        #expect(recover.status == 0, "\(recover.stderr)")
        #expect(readBytes(log) == before)
        let verify = Subprocess.ledger(["verify", "--log", log], in: directory)
        #expect(verify.status == 0, "\(verify.stderr)")
    }

    @Test(
        "a log that is not there: refused, with no rejects file left behind and no word of counts")
    func noLog() {
        let directory = TemporaryDirectory()
        let input = directory.file("in.jsonl")
        writeBytes(Array((Self.team("t1", name: "Team") + "\n").utf8), to: input)
        let rejects = directory.file("rejects.jsonl")
        let result = Subprocess.ledger(
            ["ingest", input, "--rejects", rejects, "--log", directory.file("none.jsonl")],
            in: directory)
        #expect(result.status == 1)
        #expect(result.stderr.contains("no log at"), "\(result.stderr)")
        #expect(!result.stderr.contains("ingest stopped"), "\(result.stderr)")
        #expect(FileOutput.size(rejects) == nil)
    }

    @Test(
        "the rejects file fills: the counts durable so far and the head are said, and a second run completes"
    )
    func rejectsFull() throws {
        let directory = TemporaryDirectory()
        let log = directory.file("ledger.jsonl")
        let input = directory.file("in.jsonl")
        let rejects = directory.file("rejects.jsonl")
        let initialized = Subprocess.ledger(
            ["init", "--log", log, "--policy", "warwickshire-fsw", "--system", "hr:hr-feed"],
            in: directory)
        #expect(initialized.status == 0, "\(initialized.stderr)")
        let good = (0..<50).map { Self.team("t\($0)", name: "Team \($0)") }
        let bad = (0..<3_000).map {
            Self.team("x\($0)", name: String(repeating: "N", count: 500), bogus: true)
        }
        writeBytes(Array((good + bad).joined(separator: "\n").utf8) + [0x0A], to: input)

        let stopped = Self.limited(
            1_024, ["ingest", input, "--rejects", rejects, "--log", log], in: directory)
        #expect(stopped.status == 1)
        #expect(
            stopped.stderr.contains(
                "ingest stopped in \(input): before it stopped, at least 50 appended"),
            "\(stopped.stderr)")
        #expect(stopped.stderr.contains("the log's head is seq 52"), "\(stopped.stderr)")
        #expect(stopped.stderr.contains("File too large"), "\(stopped.stderr)")

        // Sent again with room for the rejects: nothing appended twice, every refusal written.
        let again = Subprocess.ledger(
            ["ingest", input, "--rejects", directory.file("rejects-2.jsonl"), "--log", log],
            in: directory)
        #expect(
            again.stderr.contains("ingest: 0 appended, 50 duplicates skipped, 3000 refused"),
            "\(again.stderr)")
        let head = Subprocess.ledger(["head", "--log", log], in: directory)
        #expect(head.stdout.hasPrefix("52:"))
    }
}
