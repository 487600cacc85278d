#if canImport(Glibc)
    import Glibc
#endif
import EventLog
import LedgerCore
import LedgerTestSupport
import Testing

/// `ledger tail`, run as a consumer runs it: the catch-up read, following, resuming, and the chain check.
@Suite("ledger tail: the catch-up subscription", .serialized)
struct TailTests {
    static let now = ["LEDGER_NOW": "2026-11-23T12:00:00Z"]

    /// A log with the staff and `families` families (three events each after the staff), through `ingest`.
    static func log(families: Int, prefix: String = "F") -> (TemporaryDirectory, String) {
        let (directory, log) = CLIWriteTests.initialized()
        let (input, _) = CrashAndConcurrencyTests.input(
            families: families, in: directory, prefix: prefix)
        let result = Subprocess.ledger(
            ["ingest", input, "--log", log], environment: now, in: directory)
        #expect(result.status == 0, "\(result.stderr)")
        return (directory, log)
    }

    /// The bytes of the log after the line `seq`.
    static func bytes(of log: String, after seq: Int) -> [UInt8] {
        let lines = readLines(log)
        return Array(lines.dropFirst(seq).map { $0 + "\n" }.joined().utf8)
    }

    /// Waits up to `seconds` for `condition`.
    static func eventually(seconds: Double, _ condition: () -> Bool) -> Bool {
        let deadline = Double(clock_gettime_seconds()) + seconds
        while Double(clock_gettime_seconds()) < deadline {
            if condition() { return true }
            usleep(20_000)
        }
        return condition()
    }

    static func clock_gettime_seconds() -> Double {
        var spec = timespec()
        clock_gettime(CLOCK_MONOTONIC, &spec)
        return Double(spec.tv_sec) + Double(spec.tv_nsec) / 1e9
    }

    /// Whole lines of a consumer's output (a consumer killed mid-write leaves a partial last line: dropped).
    static func wholeLines(_ bytes: [UInt8]) -> [UInt8] {
        guard let last = bytes.lastIndex(of: 0x0A) else { return [] }
        return Array(bytes[...last])
    }

    static func lastSeq(_ bytes: [UInt8]) -> Int? {
        let lines = String(decoding: bytes, as: UTF8.self).split(separator: "\n")
        guard let line = lines.last else { return nil }
        return try? LineFormat.decode(Array(line.utf8)).seq
    }

    @Test("tail --since N prints the log's lines after N, byte for byte, for N from 0 to the head")
    func sinceIsByteForByte() throws {
        let (directory, log) = Self.log(families: 60)
        let count = readLines(log).count
        for seq in [0, 1, 2, 37, count / 2, count - 1, count] {
            let result = Subprocess.ledger(
                ["tail", "--since", "\(seq)", "--log", log], in: directory)
            #expect(result.status == 0, "\(result.stderr)")
            #expect(Array(result.stdout.utf8) == Self.bytes(of: log, after: seq), "--since \(seq)")
        }
        // With the hash the consumer kept: checked; a wrong one is a break at that seq.
        let line = try LineFormat.decode(Array(readLines(log)[9].utf8))
        let kept = Subprocess.ledger(
            ["tail", "--since", "10:\(line.hash)", "--log", log], in: directory)
        #expect(kept.status == 0 && Array(kept.stdout.utf8) == Self.bytes(of: log, after: 10))
        let wrong = Subprocess.ledger(
            ["tail", "--since", "10:\(String(repeating: "0", count: 64))", "--log", log],
            in: directory)
        #expect(wrong.status == 1 && wrong.stdout.isEmpty && wrong.stderr.contains("seq 10"))
        let past = Subprocess.ledger(
            ["tail", "--since", "\(count + 1)", "--log", log], in: directory)
        #expect(past.status == 1 && past.stdout.isEmpty && past.stderr.contains("past the end"))
        // Filters: the same lines a grep of the stored lines finds.
        let visits = Subprocess.ledger(
            ["tail", "--type", "visit.completed", "--type", "referral.received", "--log", log],
            in: directory)
        let expected = readLines(log).filter {
            $0.contains("\"type\":\"visit.completed\"")
                || $0.contains("\"type\":\"referral.received\"")
        }
        #expect(visits.stdout == expected.map { $0 + "\n" }.joined())
        #expect(expected.count == 120)
        let family = Subprocess.ledger(
            ["tail", "--stream", "F-7", "--since", "3", "--log", log], in: directory)
        #expect(
            family.stdout
                == readLines(log).filter { $0.contains("\"stream\":\"family:F-7\"") }.map {
                    $0 + "\n"
                }.joined())
        let unknown = Subprocess.ledger(["tail", "--type", "no.such", "--log", log], in: directory)
        #expect(unknown.status == 2)
    }

    @Test("tail stops at a tampered line: exit 1 naming its seq, the lines before it printed")
    func stopsAtTamperedLine() throws {
        let (directory, log) = Self.log(families: 30)
        var lines = readLines(log)
        // seq 40's data changed (its dataHash no longer matches), then seq 50 dropped on a copy.
        lines[39] = lines[39].split(separator: "\"school\"", omittingEmptySubsequences: false)
            .joined(separator: "\"health\"")
        #expect(lines[39].contains("\"source\":\"health\""))
        writeBytes(Array(lines.map { $0 + "\n" }.joined().utf8), to: log)
        let result = Subprocess.ledger(["tail", "--log", log], in: directory)
        #expect(result.status == 1)
        #expect(result.stderr.contains("breaks at seq 40"), "\(result.stderr)")
        #expect(
            Array(result.stdout.utf8) == Array(lines.prefix(39).map { $0 + "\n" }.joined().utf8))
        let after = Subprocess.ledger(["tail", "--since", "45", "--log", log], in: directory)
        #expect(after.status == 0, "lines after the tampered one still chain to each other")
        let from = Subprocess.ledger(["tail", "--since", "40", "--log", log], in: directory)
        #expect(from.status == 1 && from.stdout.isEmpty && from.stderr.contains("seq 40"))
        lines.remove(at: 49)
        lines[39] = readLines(log)[39]
        let copy = directory.file("gap.jsonl")
        writeBytes(Array(lines.map { $0 + "\n" }.joined().utf8), to: copy)
        let gap = Subprocess.ledger(["tail", "--since", "41", "--log", copy], in: directory)
        #expect(gap.status == 1 && gap.stderr.contains("seq 50"), "\(gap.stderr)")
    }

    @Test(
        "a long catch-up (read on every core) prints the same bytes, and stops at a tampered line wherever it falls in a slice"
    )
    func parallelCatchUp() throws {
        // Over the 8 MiB a catch-up reads on every core, in slices of 2 MiB.
        let demo = try DemoLog.path(families: 700)
        let directory = TemporaryDirectory()
        let log = directory.file("ledger.jsonl")
        let clean = readLines(demo)
        writeBytes(Array(clean.map { $0 + "\n" }.joined().utf8), to: log)
        #expect(FileOutput.size(log).map { $0 > 8 << 20 } == true)
        let all = Subprocess.ledger(["tail", "--log", log], in: directory)
        #expect(all.status == 0 && Array(all.stdout.utf8) == readBytes(log))
        let visits = Subprocess.ledger(
            ["tail", "--type", "visit.completed", "--log", log], in: directory)
        #expect(
            visits.stdout
                == clean.filter { $0.contains("\"type\":\"visit.completed\"") }.map { $0 + "\n" }
                .joined())
        // The first line of the second slice, the line before it, and one inside a slice.
        var starts: [Int] = []
        var offset = 0
        for line in clean {
            starts.append(offset)
            offset += line.utf8.count + 1
        }
        let firstOfSecond = try #require(starts.firstIndex { $0 >= 2 << 20 })
        for index in [firstOfSecond, firstOfSecond - 1, firstOfSecond + 777] {
            var lines = clean
            // Its data changed: the dataHash no longer matches.
            lines[index] = lines[index].replacing(
                "\"data\":{", with: "\"data\":{\"x\":1,", maxReplacements: 1)
            #expect(lines[index] != clean[index])
            writeBytes(Array(lines.map { $0 + "\n" }.joined().utf8), to: log)
            for arguments in [["tail"], ["tail", "--type", "visit.completed"]] {
                let result = Subprocess.ledger(arguments + ["--log", log], in: directory)
                #expect(result.status == 1, "line \(index + 1)")
                #expect(result.stderr.contains("breaks at seq \(index + 1)"), "\(result.stderr)")
                let before = lines.prefix(index).filter {
                    arguments.count == 1 || $0.contains("\"type\":\"visit.completed\"")
                }
                #expect(
                    result.stdout == before.map { $0 + "\n" }.joined(),
                    "line \(index + 1), \(arguments)")
            }
        }
    }

    @Test(
        "a follower started before eight concurrent writers prints every acknowledged event once, in seq order"
    )
    func followsEightWriters() throws {
        let (directory, log) = CLIWriteTests.initialized()
        let staff = Subprocess.ledger(
            ["append", "--log", log], environment: Self.now,
            stdin: Events.staff.joined(separator: "\n") + "\n", in: directory)
        #expect(staff.status == 0)
        let output = directory.file("follower.out")
        let follower = Subprocess.spawn(
            [Subprocess.ledgerBinary, "tail", "--follow", "--log", log], stdoutPath: output,
            stderrPath: directory.file("follower.err"))
        #expect(follower > 0)
        defer {
            Subprocess.kill(follower)
            _ = Subprocess.wait(follower)
        }
        var writers: [pid_t] = []
        for writer in 0..<8 {
            var lines: [String] = []
            for index in 0..<30 {
                let ref = "W\(writer)-\(index)"
                lines.append(Events.referral(ref, on: "2026-02-02"))
                lines.append(
                    Events.line(
                        id: "v-\(ref)", stream: "family:\(ref)", type: "visit.completed",
                        on: "2026-02-05", data: ["kind": "home"]))
            }
            let path = directory.file("writer-\(writer).jsonl")
            writeBytes(Array((lines.joined(separator: "\n") + "\n").utf8), to: path)
            // Half ingest in small batches, half append one event per process: both kinds of writer interleave.
            if writer % 2 == 0 {
                writers.append(
                    Subprocess.spawn(
                        [Subprocess.ledgerBinary, "ingest", path, "--batch", "3", "--log", log],
                        environment: Self.now))
            } else {
                writers.append(
                    Subprocess.spawn(
                        [Subprocess.ledgerBinary, "append", path, "--log", log],
                        environment: Self.now))
            }
        }
        for pid in writers { #expect(Subprocess.wait(pid) == 0) }
        let finished = Self.clock_gettime_seconds()
        let expected = readBytes(log)
        #expect(readLines(log).count == 5 + 8 * 60)
        let caughtUp = Self.eventually(seconds: 10) { readBytes(output) == expected }
        let waited = Self.clock_gettime_seconds() - finished
        #expect(
            caughtUp, "the follower printed \(readBytes(output).count) of \(expected.count) bytes")
        // Within a second of the last acknowledgement (more allowed on a loaded machine, and said so).
        print("tail --follow: caught up \(Int(waited * 1000)) ms after the last writer finished")
        #expect(waited < 3)
    }

    @Test(
        "a consumer killed at random points and restarted with --since its last printed seq loses and repeats nothing"
    )
    func killAndResume() throws {
        let (directory, log) = Self.log(families: 200)
        // A writer keeps appending while the consumer is killed and restarted.
        let (more, _) = CrashAndConcurrencyTests.input(families: 150, in: directory, prefix: "G")
        let writer = Subprocess.spawn(
            [Subprocess.ledgerBinary, "ingest", more, "--batch", "7", "--log", log],
            environment: Self.now)
        var collected: [UInt8] = []
        var since = 0
        var generator = SystemRandomNumberGenerator()
        var kills = 0
        var partial = 0
        for round in 0..<40 {
            let output = directory.file("consumer-\(round).out")
            let pid = Subprocess.spawn(
                [Subprocess.ledgerBinary, "tail", "--follow", "--since", "\(since)", "--log", log],
                stdoutPath: output)
            Subprocess.sleep(microseconds: UInt32.random(in: 1_000...60_000, using: &generator))
            Subprocess.kill(pid)
            _ = Subprocess.wait(pid)
            kills += 1
            let bytes = readBytes(output)
            let whole = Self.wholeLines(bytes)
            if whole.count != bytes.count { partial += 1 }
            collected += whole
            if let seq = Self.lastSeq(whole) { since = seq }
        }
        #expect(Subprocess.wait(writer) == 0)
        // The last consumer runs to the end.
        let last = Subprocess.ledger(["tail", "--since", "\(since)", "--log", log], in: directory)
        #expect(last.status == 0)
        collected += Array(last.stdout.utf8)
        print(
            "tail kill-and-resume: \(kills) kills, \(partial) left a partial line, resumed up to seq \(since)"
        )
        #expect(collected == readBytes(log), "the consumer's lines are not the log's")
        #expect(readLines(log).count == 3 + 2 + 2 * 350)
    }

    @Test(
        "a follower never prints a torn line, and goes on after recover and after the log is renamed over"
    )
    func followSurvivesRecoverAndReplacement() throws {
        let (directory, log) = Self.log(families: 5)
        let output = directory.file("follower.out")
        let follower = Subprocess.spawn(
            [Subprocess.ledgerBinary, "tail", "--follow", "--log", log], stdoutPath: output)
        defer {
            Subprocess.kill(follower)
            _ = Subprocess.wait(follower)
        }
        #expect(Self.eventually(seconds: 5) { readBytes(output) == readBytes(log) })
        // A writer killed in the middle of a line (97-byte pieces, 2 ms apart): the torn bytes are not printed.
        let (input, _) = CrashAndConcurrencyTests.input(families: 40, in: directory, prefix: "T")
        let writer = Subprocess.spawn(
            [Subprocess.ledgerBinary, "ingest", input, "--batch", "1", "--log", log],
            environment: Self.now.merging(["LEDGER_FAULT": "write:slow:97"]) { $1 })
        Subprocess.sleep(microseconds: 150_000)
        Subprocess.kill(writer)
        _ = Subprocess.wait(writer)
        usleep(600_000)
        let printed = readBytes(output)
        let onDisk = readBytes(log)
        #expect(printed.last == 0x0A)
        #expect(
            Array(onDisk.prefix(printed.count)) == printed, "printed bytes the log does not hold")
        let recover = Subprocess.ledger(["recover", "--log", log], in: directory)
        #expect(recover.status == 0)
        // The log renamed over by a copy of itself (as a rewrite that keeps the chain does), then more appended.
        let copy = directory.file("copy.jsonl")
        writeBytes(readBytes(log), to: copy)
        chmod(copy, 0o600)
        #expect(rename(copy, log) == 0)
        let finish = Subprocess.ledger(
            ["ingest", input, "--log", log], environment: Self.now, in: directory)
        #expect(finish.status == 0, "\(finish.stderr)")
        #expect(
            Self.eventually(seconds: 5) { readBytes(output) == readBytes(log) },
            "the follower did not go on after the rename")
    }
}
