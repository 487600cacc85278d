import EventLog
import LedgerCore
import LedgerTestSupport
import Testing

@Suite("Crash safety and concurrent writers", .serialized)
struct CrashAndConcurrencyTests {
    static let now = ["LEDGER_NOW": "2026-11-23T12:00:00Z"]

    /// 1 + 2 staff + 2 × families events, ids unique.
    static func input(families: Int, in directory: TemporaryDirectory, prefix: String = "F") -> (
        String, [String]
    ) {
        let lines = CLIWriteTests.events(families: families, prefix: prefix)
        let path = directory.file("input-\(prefix).jsonl")
        writeBytes(Array((lines.joined(separator: "\n") + "\n").utf8), to: path)
        return (path, lines)
    }

    static func ids(in log: String) -> [String] {
        readLines(log).compactMap { line -> String? in
            guard let record = try? LineFormat.decode(Array(line.utf8)) else { return nil }
            return record.content.id
        }
    }

    @Test(
        "SIGKILL mid-append, many times: recover, verify, and a re-ingest completes it with no duplicates"
    )
    func killedWhileAppending() throws {
        let (directory, log) = CLIWriteTests.initialized()
        let (input, lines) = Self.input(families: 150, in: directory)
        var torn = 0
        var generator = SystemRandomNumberGenerator()
        for round in 0..<24 {
            // Half the rounds write in 97-byte pieces with a pause between them, so a kill lands inside a line.
            var environment = Self.now
            if round % 2 == 1 { environment["LEDGER_FAULT"] = "write:slow:97" }
            let pid = Subprocess.spawn(
                [Subprocess.ledgerBinary, "ingest", input, "--batch", "1", "--log", log],
                environment: environment)
            #expect(pid > 0)
            let delay =
                round % 2 == 1
                ? UInt32.random(in: 15_000...60_000, using: &generator)
                : UInt32.random(in: 2_000...40_000, using: &generator)
            Subprocess.sleep(microseconds: delay)
            Subprocess.kill(pid)
            _ = Subprocess.wait(pid)
            let recover = Subprocess.ledger(["recover", "--log", log], in: directory)
            #expect(recover.status == 0, "\(recover.stderr)")
            if recover.stdout.hasPrefix("recovered") { torn += 1 }
            let verify = Subprocess.ledger(["verify", "--log", log], in: directory)
            #expect(verify.status == 0, "round \(round): \(verify.stdout) \(verify.stderr)")
            let seen = Self.ids(in: log)
            #expect(Set(seen).count == seen.count, "round \(round): a duplicated event")
        }
        let finish = Subprocess.ledger(
            ["ingest", input, "--log", log], environment: Self.now, in: directory)
        #expect(finish.status == 0, "\(finish.stderr)")
        let verify = Subprocess.ledger(["verify", "--log", log], in: directory)
        #expect(verify.status == 0, "\(verify.stderr)")
        let finalIDs = Self.ids(in: log)
        #expect(finalIDs.count == lines.count + 3)
        #expect(Set(finalIDs).count == finalIDs.count)
        // Every torn tail went to a side file, none was thrown away.
        print("crash test: 24 kills, \(torn) torn tails recovered into side files")
        #expect(torn > 0, "no kill landed inside a line: the test did not exercise recovery")
    }

    @Test("eight processes appending at once: every event once, seq contiguous, chain valid")
    func eightWriters() throws {
        let (directory, log) = CLIWriteTests.initialized()
        let staff = Subprocess.ledger(
            ["append", "--log", log], environment: Self.now,
            stdin: Events.staff.joined(separator: "\n") + "\n", in: directory)
        #expect(staff.status == 0)
        var inputs: [String] = []
        var expected = Set<String>()
        for writer in 0..<8 {
            var lines: [String] = []
            for index in 0..<40 {
                let ref = "W\(writer)-\(index)"
                lines.append(Events.referral(ref, on: "2026-02-02"))
                lines.append(
                    Events.line(
                        id: "v-\(ref)", stream: "family:\(ref)", type: "visit.completed",
                        on: "2026-02-05", data: ["kind": "home"]))
            }
            for line in lines {
                expected.insert(
                    try #require(try JSONParser.parse(line).objectValue?["id"]?.stringValue))
            }
            let path = directory.file("writer-\(writer).jsonl")
            writeBytes(Array((lines.joined(separator: "\n") + "\n").utf8), to: path)
            inputs.append(path)
        }
        // Small batches so the writers interleave.
        let pids = inputs.map {
            Subprocess.spawn(
                [Subprocess.ledgerBinary, "ingest", $0, "--batch", "3", "--log", log],
                environment: Self.now)
        }
        for pid in pids { #expect(Subprocess.wait(pid) == 0) }
        let verify = Subprocess.ledger(["verify", "--log", log], in: directory)
        #expect(verify.status == 0, "\(verify.stderr)")
        #expect(verify.stdout.hasPrefix("verified \(5 + 8 * 80) events"))
        let ids = Self.ids(in: log)
        #expect(Set(ids).isSuperset(of: expected))
        #expect(ids.count == 5 + expected.count)
        let seqs = readLines(log).compactMap { try? LineFormat.decode(Array($0.utf8)).seq }
        #expect(seqs == Array(1...(5 + 8 * 80)))
    }
}
