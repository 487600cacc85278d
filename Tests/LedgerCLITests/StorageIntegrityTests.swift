#if canImport(Glibc)
    import Glibc
#endif
import EventLog
import LedgerCore
import LedgerTestSupport
import Testing

/// Issue 17's storage breaks, tried as the binary is run: the writers' lock attacked under a running ingest, input
/// that is not a regular file, a full disk, compaction cut between its steps.
@Suite("Storage integrity under attack", .serialized)
struct StorageIntegrityTests {
    static let now = ["LEDGER_NOW": "2026-11-23T12:00:00Z"]

    /// Two events per family (referral, visit), without the staff lines; written to `name` in `directory`.
    static func feed(
        families: Int, prefix: String, in directory: TemporaryDirectory, name: String? = nil
    ) -> (String, [String]) {
        var lines: [String] = []
        var ids: [String] = []
        lines.reserveCapacity(2 * families)
        for index in 0..<families {
            let ref = "\(prefix)-\(index)"
            lines.append(Events.referral(ref, on: "2026-02-02"))
            lines.append(
                Events.line(
                    id: "v-\(ref)", stream: "family:\(ref)", type: "visit.completed",
                    on: "2026-02-05", data: ["kind": "home"]))
            ids += ["ref-\(ref)-2026-02-02", "v-\(ref)"]
        }
        let path = directory.file(name ?? "feed-\(prefix).jsonl")
        writeBytes(Array((lines.joined(separator: "\n") + "\n").utf8), to: path)
        return (path, ids)
    }

    /// A log with the staff appended, ready for families.
    static func staffed() -> (TemporaryDirectory, String) {
        let (directory, log) = CLIWriteTests.initialized()
        let staff = Subprocess.ledger(
            ["append", "--log", log], environment: now,
            stdin: Events.staff.joined(separator: "\n") + "\n", in: directory)
        #expect(staff.status == 0, "\(staff.stderr)")
        return (directory, log)
    }

    /// A finished process's exit status and output.
    struct Run {
        var pid: pid_t
        var stdout: String
        var stderr: String
        var status: Int32 = -1

        mutating func finish() -> Run {
            status = Subprocess.wait(pid)
            return Run(
                pid: pid, stdout: String(decoding: readBytes(stdout), as: UTF8.self),
                stderr: String(decoding: readBytes(stderr), as: UTF8.self), status: status)
        }
    }

    nonisolated(unsafe) static var counter = 0

    /// Starts `arguments` (the ledger binary's, unless `program` is given), its output to files.
    static func start(
        _ arguments: [String], stdin: String = "/dev/null", program: String? = nil,
        in directory: TemporaryDirectory
    ) -> Run {
        counter += 1
        let out = directory.file(".run-\(counter).out")
        let err = directory.file(".run-\(counter).err")
        let pid = Subprocess.spawn(
            [program ?? Subprocess.ledgerBinary] + arguments, environment: now, stdoutPath: out,
            stderrPath: err, stdinPath: stdin)
        #expect(pid > 0)
        return Run(pid: pid, stdout: out, stderr: err)
    }

    /// Runs `script` with bash (so `<(…)` and pipes are bash's), `$LEDGER` naming the binary.
    static func bash(_ script: String, in directory: TemporaryDirectory) -> Run {
        var run = start(
            ["-c", "LEDGER='\(Subprocess.ledgerBinary)'; " + script], program: "/bin/bash",
            in: directory)
        return run.finish()
    }

    /// Waits until the log has grown past `size` (a writer is under way), at most 20 s.
    static func waitUntilGrowing(_ log: String, from size: Int) {
        for _ in 0..<2_000 where (FileOutput.size(log) ?? 0) <= size {
            Subprocess.sleep(microseconds: 10_000)
        }
    }

    /// The ingest's "N appended" count, from its stderr.
    static func ingested(_ stderr: String) -> Int? {
        guard let line = stderr.split(separator: "\n").last(where: { $0.hasPrefix("ingest: ") })
        else { return nil }
        return Int(line.dropFirst("ingest: ".count).prefix(while: { $0.isNumber }))
    }

    /// Every event acknowledged by an append ("SEQ HASH ID" lines) is the log's line at that seq.
    static func expectAcknowledged(_ stdout: String, in lines: [String], _ comment: String) {
        for printed in stdout.split(separator: "\n") {
            let fields = printed.split(separator: " ")
            guard fields.count == 3, let seq = Int(fields[0]), seq >= 1, seq <= lines.count,
                let record = try? LineFormat.decode(Array(lines[seq - 1].utf8))
            else {
                Issue.record("\(comment): acknowledged \(printed), not in the log")
                continue
            }
            #expect(
                record.seq == seq && record.hash == fields[1] && record.content.id == fields[2],
                "\(comment): \(printed)")
        }
    }

    /// Each of `expected` once in the log, no id twice, the chain verified, no torn tail moved aside.
    static func expectWhole(
        _ log: String, holding expected: [String], in directory: TemporaryDirectory,
        _ comment: String
    ) {
        let ids = CrashAndConcurrencyTests.ids(in: log)
        #expect(ids.count == readLines(log).count, "\(comment): a line that does not decode")
        #expect(Set(ids).count == ids.count, "\(comment): an event twice")
        let missing = Set(expected).subtracting(ids)
        #expect(
            missing.isEmpty,
            "\(comment): \(missing.count) acknowledged events missing, e.g. \(Array(missing.prefix(3)))"
        )
        let verify = Subprocess.ledger(["verify", "--log", log], in: directory)
        #expect(verify.status == 0, "\(comment): \(verify.stdout)\(verify.stderr)")
        let torn = fileNames(in: directory.path).filter { $0.contains(".torn-") }
        #expect(torn.isEmpty, "\(comment): \(torn)")
    }

    // MARK: 1. The lock and hard links under a running ingest

    @Test(
        "lock files deleted under a running ingest while appends run: every acknowledged event once"
    )
    func lockDeletedUnderIngest() throws {
        let (directory, log) = Self.staffed()
        let (input, feedIDs) = Self.feed(families: 12_000, prefix: "F", in: directory)
        let before = FileOutput.size(log) ?? 0
        var ingest = Self.start(["ingest", input, "--batch", "256", "--log", log], in: directory)
        Self.waitUntilGrowing(log, from: before)
        var appends: [Run] = []
        for round in 0..<8 {
            // Whatever lock file is beside the log (none, now), it goes, and another writer starts.
            for name in fileNames(in: directory.path) where name.hasSuffix(".lock") {
                unlink(directory.file(name))
            }
            let event = directory.file("worker-\(round).jsonl")
            writeBytes(Array((Events.worker("x-\(round)") + "\n").utf8), to: event)
            appends.append(Self.start(["append", "--log", log], stdin: event, in: directory))
            Subprocess.sleep(microseconds: 60_000)
        }
        let ingestRun = ingest.finish()
        let appendRuns = appends.indices.map { appends[$0].finish() }
        #expect(ingestRun.status == 0, "\(ingestRun.stderr)")
        #expect(Self.ingested(ingestRun.stderr) == feedIDs.count, "\(ingestRun.stderr)")
        let lines = readLines(log)
        for (round, run) in appendRuns.enumerated() {
            #expect(run.status == 0, "append \(round): \(run.stderr)")
            Self.expectAcknowledged(run.stdout, in: lines, "append \(round)")
        }
        Self.expectWhole(
            log, holding: feedIDs + (0..<8).map { "reg-x-\($0)" }, in: directory, "lock deleted")
    }

    @Test(
        "a hard link made under a running ingest: appends through it refused, every acknowledged event once"
    )
    func hardLinkUnderIngest() throws {
        let (directory, log) = Self.staffed()
        let (input, feedIDs) = Self.feed(families: 12_000, prefix: "F", in: directory)
        let link = directory.file("other-name.jsonl")
        let before = FileOutput.size(log) ?? 0
        var ingest = Self.start(["ingest", input, "--batch", "256", "--log", log], in: directory)
        Self.waitUntilGrowing(log, from: before)
        #expect(Glibc.link(log, link) == 0)
        var acknowledged: [String] = []
        for round in 0..<6 {
            let result = Subprocess.ledger(
                ["append", "--log", link], environment: Self.now,
                stdin: Events.worker("y-\(round)") + "\n", in: directory)
            #expect(
                result.status == 1,
                "append \(round) through the link: \(result.status) \(result.stdout)")
            #expect(result.stderr.contains("hard links"), "append \(round): \(result.stderr)")
            if result.status == 0 { acknowledged.append(result.stdout) }
            Subprocess.sleep(microseconds: 30_000)
        }
        unlink(link)
        let ingestRun = ingest.finish()
        print(
            "hard link under ingest: ingest exit \(ingestRun.status): \(ingestRun.stderr.split(separator: "\n").last ?? "")"
        )
        if ingestRun.status != 0 {
            // A batch that ended while the log had two names is not acknowledged: the ingest stops and says why,
            // and running it again completes it (what was durable is skipped as duplicates).
            #expect(
                ingestRun.status == 1 && ingestRun.stderr.contains("hard links"),
                "\(ingestRun.stderr)")
            let again = Subprocess.ledger(
                ["ingest", input, "--log", log], environment: Self.now, in: directory)
            #expect(again.status == 0, "\(again.stderr)")
        } else {
            #expect(Self.ingested(ingestRun.stderr) == feedIDs.count, "\(ingestRun.stderr)")
        }
        let lines = readLines(log)
        for printed in acknowledged {
            Self.expectAcknowledged(printed, in: lines, "through the link")
        }
        Self.expectWhole(log, holding: feedIDs, in: directory, "hard link")
        // With the link gone, the log is written again.
        let next = Subprocess.ledger(
            ["append", "--log", log], environment: Self.now, stdin: Events.worker("z") + "\n",
            in: directory)
        #expect(next.status == 0, "\(next.stderr)")
    }

    // MARK: 2. Input that is not a regular file

    @Test("a FIFO, /dev/stdin, - and <(…) are read to their end, past the reader's chunk size")
    func pipesAndFIFOs() throws {
        let (directory, log) = Self.staffed()
        var expected: [String] = []
        // A FIFO fed by another process: more than the 4 MiB chunk of a file reader.
        let (feedA, idsA) = Self.feed(families: 10_000, prefix: "A", in: directory)
        #expect((FileOutput.size(feedA) ?? 0) > 4 << 20)
        let fifo = directory.file("feed.fifo")
        #expect(mkfifo(fifo, 0o600) == 0)
        var writer = Self.start(
            ["-c", "cat '\(feedA)' > '\(fifo)'"], program: "/bin/sh", in: directory)
        let fromFIFO = Subprocess.ledger(
            ["ingest", fifo, "--log", log], environment: Self.now, in: directory)
        // A reader that stopped early leaves the writer blocked: let it go.
        let release = open(fifo, O_RDONLY | O_NONBLOCK)
        if release >= 0 { close(release) }
        Subprocess.kill(writer.pid)
        _ = writer.finish()
        #expect(
            fromFIFO.status == 0 && Self.ingested(fromFIFO.stderr) == idsA.count,
            "FIFO: \(fromFIFO.stderr)")
        expected += idsA
        // A pipe as `-`: more than the 1 MiB chunk of the standard input reader.
        let (feedB, idsB) = Self.feed(families: 3_000, prefix: "B", in: directory)
        #expect((FileOutput.size(feedB) ?? 0) > 1 << 20)
        let dash = Self.bash("cat '\(feedB)' | \"$LEDGER\" append - --log '\(log)'", in: directory)
        #expect(dash.status == 0, "-: \(dash.stderr)")
        #expect(dash.stdout.split(separator: "\n").count == idsB.count, "-: \(dash.stderr)")
        expected += idsB
        // A pipe as /dev/stdin (read by path, like the FIFO).
        let (feedC, idsC) = Self.feed(families: 50, prefix: "C", in: directory)
        let devStdin = Self.bash(
            "cat '\(feedC)' | \"$LEDGER\" append /dev/stdin --log '\(log)'", in: directory)
        #expect(
            devStdin.status == 0 && devStdin.stdout.split(separator: "\n").count == idsC.count,
            "/dev/stdin: \(devStdin.stderr)")
        expected += idsC
        // Process substitution: /dev/fd/N, a pipe.
        let (feedD, idsD) = Self.feed(families: 50, prefix: "D", in: directory)
        let substituted = Self.bash(
            "\"$LEDGER\" ingest <(cat '\(feedD)') --log '\(log)'", in: directory)
        #expect(
            substituted.status == 0 && Self.ingested(substituted.stderr) == idsD.count,
            "<(…): \(substituted.stderr)")
        expected += idsD
        let lines = readLines(log)
        Self.expectAcknowledged(devStdin.stdout + dash.stdout, in: lines, "pipes")
        #expect(lines.count == 5 + expected.count)
        Self.expectWhole(log, holding: expected, in: directory, "pipes")
    }

    // MARK: 3. A full disk

    /// Fills the file system holding `directory` with a ballast file, to its last block.
    static func fill(_ directory: String) {
        _ = system(
            "dd if=/dev/zero of='\(directory)/ballast' bs=4096 2>/dev/null; dd if=/dev/zero of='\(directory)/ballast2' bs=1 2>/dev/null"
        )
    }

    @Test(
        "a full tmpfs: append and ingest fail with 'No space left on device', the log as it was; freed, it goes on"
    )
    func fullDisk() throws {
        let directory = TemporaryDirectory()
        let mountPoint = directory.file("small")
        #expect(mkdir(mountPoint, 0o700) == 0)
        guard
            system("mount -t tmpfs -o size=2m,mode=0700 ledger-test '\(mountPoint)' 2>/dev/null")
                == 0
        else {
            // Not allowed here (no privilege): the fault-injection test below covers the same paths.
            print(
                "full disk: cannot mount a tmpfs here; skipped (see 'ENOSPC injected at each write')"
            )
            return
        }
        defer {
            _ = system("umount -l '\(mountPoint)'")
            withExtendedLifetime(directory) {}
        }
        let log = mountPoint + "/ledger.jsonl"
        #expect(
            Subprocess.ledger(
                ["init", "--log", log, "--system", "hr:hr-feed", "--system", "dm"],
                environment: Self.now,
                in: directory
            ).status == 0)
        let staff = Subprocess.ledger(
            ["append", "--log", log], environment: Self.now,
            stdin: (Events.staff + [Events.referral("F-1", on: "2026-02-02")]).joined(
                separator: "\n") + "\n", in: directory)
        #expect(staff.status == 0, "\(staff.stderr)")
        let (feed, feedIDs) = Self.feed(families: 100, prefix: "G", in: directory)
        Self.fill(mountPoint)
        let clean = readBytes(log)
        func expectFailed(_ result: Subprocess.Result, _ what: String) {
            #expect(result.status == 1, "\(what): exit \(result.status) \(result.stderr)")
            #expect(result.stderr.contains("No space left on device"), "\(what): \(result.stderr)")
            let unchanged = readBytes(log) == clean
            #expect(unchanged, "\(what): the log changed")
        }
        for attempt in 0..<3 {
            expectFailed(
                Subprocess.ledger(
                    ["append", feed, "--log", log], environment: Self.now, in: directory),
                "append \(attempt)")
            expectFailed(
                Subprocess.ledger(
                    ["ingest", feed, "--log", log], environment: Self.now, in: directory),
                "ingest \(attempt)")
        }
        // The id index lost on a full disk (its space taken at once): it cannot be made again, which is an
        // error, not a SIGBUS.
        unlink(log + ".ids")
        _ = system("dd if=/dev/zero of='\(mountPoint)/ballast3' bs=1 2>/dev/null")
        for attempt in 0..<2 {
            let one = Subprocess.ledger(
                ["append", "--log", log], environment: Self.now,
                stdin: Events.worker("w-050") + "\n", in: directory)
            expectFailed(one, "append without an index \(attempt)")
            expectFailed(
                Subprocess.ledger(
                    ["ingest", feed, "--log", log], environment: Self.now, in: directory),
                "ingest without an index \(attempt)")
        }
        // Space freed: the same feed goes in, once.
        unlink(mountPoint + "/ballast")
        unlink(mountPoint + "/ballast2")
        unlink(mountPoint + "/ballast3")
        let ingest = Subprocess.ledger(
            ["ingest", feed, "--log", log], environment: Self.now, in: directory)
        #expect(
            ingest.status == 0 && Self.ingested(ingest.stderr) == feedIDs.count, "\(ingest.stderr)")
        let ids = CrashAndConcurrencyTests.ids(in: log)
        #expect(Set(ids).count == ids.count)
        #expect(Set(ids).isSuperset(of: feedIDs))
        let verify = Subprocess.ledger(["verify", "--log", log], in: directory)
        #expect(verify.status == 0, "\(verify.stdout)\(verify.stderr)")
        #expect(!fileNames(in: mountPoint).contains { $0.contains(".torn-") })
    }

    @Test(
        "a nearly full tmpfs: the log's batch fits, the index's growth does not: no SIGBUS, nothing lost"
    )
    func diskFullAtIndexGrowth() throws {
        let directory = TemporaryDirectory()
        let mountPoint = directory.file("small")
        #expect(mkdir(mountPoint, 0o700) == 0)
        guard
            system("mount -t tmpfs -o size=4m,mode=0700 ledger-test '\(mountPoint)' 2>/dev/null")
                == 0
        else {
            print("full disk at index growth: cannot mount a tmpfs here; skipped")
            return
        }
        defer {
            _ = system("umount -l '\(mountPoint)'")
            withExtendedLifetime(directory) {}
        }
        let log = mountPoint + "/ledger.jsonl"
        #expect(
            Subprocess.ledger(
                ["init", "--log", log, "--system", "hr:hr-feed", "--system", "dm"],
                environment: Self.now,
                in: directory
            ).status == 0)
        let staff = Subprocess.ledger(
            ["append", "--log", log], environment: Self.now,
            stdin: Events.staff.joined(separator: "\n") + "\n", in: directory)
        #expect(staff.status == 0)
        // 1,200 events: the index (1,024 slots, 16 KiB) must grow to 4,096 slots (64 KiB).
        let (feed, feedIDs) = Self.feed(families: 600, prefix: "G", in: directory)
        // How much the log grows by it, measured on a scratch log elsewhere.
        let (scratchDirectory, scratch) = Self.staffed()
        defer { withExtendedLifetime(scratchDirectory) {} }
        let scratchBefore = FileOutput.size(scratch) ?? 0
        #expect(
            Subprocess.ledger(
                ["ingest", feed, "--log", scratch], environment: Self.now, in: directory
            ).status == 0)
        let stored = (FileOutput.size(scratch) ?? 0) - scratchBefore
        // Leave room for the log's batch and 24 KiB more: not the 64 KiB the grown index needs.
        var info = statvfs()
        #expect(statvfs(mountPoint, &info) == 0)
        let free = Int(info.f_bavail) * Int(info.f_bsize)
        let room = stored + 24 * 1024
        _ = system(
            "dd if=/dev/zero of='\(mountPoint)/ballast' bs=4096 count=\((free - room) / 4096) 2>/dev/null"
        )
        let first = Subprocess.ledger(
            ["ingest", feed, "--log", log], environment: Self.now, in: directory)
        print("full disk at index growth: ingest exit \(first.status): \(first.stderr)")
        #expect(first.status == 0 || first.status == 1, "exit \(first.status): \(first.stderr)")
        if first.status == 1 {
            #expect(first.stderr.contains("No space left on device"), "\(first.stderr)")
        }
        if first.status == 0 { #expect(Self.ingested(first.stderr) == feedIDs.count) }
        // Whatever the first did, the next commands end cleanly, and once space is freed all is there once.
        for attempt in 0..<2 {
            let next = Subprocess.ledger(
                ["append", "--log", log], environment: Self.now,
                stdin: Events.worker("w-06\(attempt)") + "\n", in: directory)
            #expect(
                next.status == 0 || next.status == 1,
                "attempt \(attempt): exit \(next.status): \(next.stderr)")
            if next.status == 1 {
                #expect(next.stderr.contains("No space left on device"), "\(next.stderr)")
            }
        }
        unlink(mountPoint + "/ballast")
        let again = Subprocess.ledger(
            ["ingest", feed, "--log", log], environment: Self.now, in: directory)
        #expect(again.status == 0, "\(again.stderr)")
        let ids = CrashAndConcurrencyTests.ids(in: log)
        #expect(Set(ids).count == ids.count)
        #expect(Set(ids).isSuperset(of: feedIDs))
        let verify = Subprocess.ledger(["verify", "--log", log], in: directory)
        #expect(verify.status == 0, "\(verify.stdout)\(verify.stderr)")
    }

    /// Where ENOSPC is injected, and what is removed first so that the write is made.
    struct Injected: Sendable, CustomTestStringConvertible {
        var fault: String
        var remove: String?
        var testDescription: String { fault + (remove.map { " (no \($0))" } ?? "") }
    }

    static let enospcFaults: [Injected] = [
        Injected(fault: "fallocate@.ids.new:ENOSPC:0:persist", remove: ".ids"),
        Injected(fault: "write@ledger.jsonl:ENOSPC:0:persist"),
        Injected(fault: "write@ledger.jsonl:ENOSPC:0"),
        Injected(fault: "fsync@ledger.jsonl:ENOSPC:0"),
        Injected(fault: "write@.state.new:ENOSPC:0:persist", remove: ".state"),
        Injected(fault: "write@.state-delta:ENOSPC:0:persist"),
        Injected(fault: "write@.state-delta.new:ENOSPC:0:persist", remove: ".state"),
    ]

    @Test(
        "ENOSPC injected at each write: a clear error or an acknowledged append, never a signal",
        arguments: enospcFaults)
    func injectedNoSpace(injected: Injected) throws {
        for command in ["append", "ingest"] {
            let (directory, log) = FaultInjectionTests.prepared()
            if let remove = injected.remove { unlink(log + remove) }
            let before = CrashAndConcurrencyTests.ids(in: log)
            let (feed, feedIDs) = Self.feed(families: 20, prefix: "G", in: directory)
            var environment = Self.now
            environment["LEDGER_FAULT"] = injected.fault
            let result = Subprocess.ledger(
                [command, feed, "--log", log], environment: environment, in: directory)
            let comment = "\(command) \(injected.fault)"
            #expect(
                result.status == 0 || result.status == 1,
                "\(comment): exit \(result.status) \(result.stderr)")
            #expect(
                result.stderr.contains("No space left on device"), "\(comment): \(result.stderr)")
            let after = CrashAndConcurrencyTests.ids(in: log)
            if result.status == 0 {
                // The log's write was durable; only a derived file failed, and the warning says so.
                #expect(
                    result.stderr.contains("warning: appended and durable"),
                    "\(comment): \(result.stderr)")
                #expect(after == before + feedIDs, "\(comment): acknowledged but not in the log")
            } else {
                #expect(after == before, "\(comment): refused but the log changed")
            }
            #expect(
                Subprocess.ledger(["verify", "--log", log], in: directory).status == 0, "\(comment)"
            )
            let retry = Subprocess.ledger(
                [command, feed, "--log", log], environment: Self.now, in: directory)
            #expect(retry.status == 0, "\(comment): retry \(retry.stderr)")
            #expect(CrashAndConcurrencyTests.ids(in: log) == before + feedIDs, "\(comment)")
            FaultInjectionTests.expectVersionRight(
                log, family: "G-3", count: 2, in: directory, comment)
        }
    }

    // MARK: 5. Compaction cut between its steps

    @Test(
        "compaction killed between the new base and the new delta, as the binary runs: --expect-version right"
    )
    func compactionKilled() throws {
        for fault in [
            "rename@.state-delta:SIGKILL:0", "rename@.state-delta:EIO:0",
            "write@.state-delta.new:SIGKILL:0",
        ] {
            let (directory, log) = Self.staffed()
            // 3,500 families: one delta block of about 275 KB, past the 256 KiB that makes the next save compact.
            let (feed, _) = Self.feed(families: 3_500, prefix: "F", in: directory)
            let ingest = Subprocess.ledger(
                ["ingest", feed, "--log", log], environment: Self.now, in: directory)
            #expect(ingest.status == 0, "\(ingest.stderr)")
            #expect((FileOutput.size(log + ".state-delta") ?? 0) > 256 * 1024)
            // A new family's two events, appended by a run that compacts and is cut after renaming the new base.
            var environment = Self.now
            environment["LEDGER_FAULT"] = fault
            let pair = [
                Events.referral("N-1", on: "2026-03-02"),
                Events.line(
                    id: "v-N-1", stream: "family:N-1", type: "visit.completed", on: "2026-03-05",
                    data: ["kind": "home"]),
            ]
            let cut = Subprocess.ledger(
                ["append", "--log", log], environment: environment,
                stdin: pair.joined(separator: "\n") + "\n", in: directory)
            if fault.contains("SIGKILL") {
                #expect(cut.status == 128 + SIGKILL, "\(fault): \(cut.status) \(cut.stderr)")
            } else {
                #expect(
                    cut.status == 0 && cut.stderr.contains("warning"),
                    "\(fault): \(cut.status) \(cut.stderr)")
            }
            // The log is durable before the state is saved: both events are there, and N-1 has exactly 2.
            #expect(
                CrashAndConcurrencyTests.ids(in: log).suffix(2) == ["ref-N-1-2026-03-02", "v-N-1"],
                "\(fault)")
            FaultInjectionTests.expectVersionRight(
                log, family: "N-1", count: 2, in: directory, fault)
            FaultInjectionTests.expectVersionRight(
                log, family: "F-7", count: 2, in: directory, fault)
            #expect(
                Subprocess.ledger(["verify", "--log", log], in: directory).status == 0, "\(fault)")
        }
    }
}
