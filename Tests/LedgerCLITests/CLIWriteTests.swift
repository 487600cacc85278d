import EventLog
import LedgerCore
import LedgerTestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The write side through the real binary: exit codes, stdout, stderr, files.
@Suite("ledger CLI: write side")
struct CLIWriteTests {
    static let now = ["LEDGER_NOW": "2026-11-23T12:00:00Z", "LEDGER_SEED": "3"]

    static func initialized() -> (TemporaryDirectory, String) {
        let directory = TemporaryDirectory()
        let log = directory.file("ledger.jsonl")
        let result = Subprocess.ledger(
            ["init", "--log", log, "--system", "hr:hr-feed", "--system", "dm:data-matching"],
            environment: now, in: directory)
        #expect(result.status == 0, "\(result.stderr)")
        return (directory, log)
    }

    static func events(families: Int, prefix: String = "F") -> [String] {
        var lines = Events.staff
        for index in 0..<families {
            let ref = "\(prefix)-\(index)"
            lines.append(Events.referral(ref, on: "2026-02-02"))
            lines.append(
                Events.line(
                    id: "v-\(ref)", stream: "family:\(ref)", type: "visit.completed",
                    on: "2026-02-05", data: ["kind": "home"]))
        }
        return lines
    }

    /// An adversary appended, right after `init`, a `system.registered` acted by "ledger": an HR feed of their
    /// own, which then registered an operations manager, and verify passed. Only `init` acts as the ledger.
    @Test(
        "nobody acts as the ledger on a new log: append and ingest refuse it, init and verify keep it"
    )
    func ledgerActorOnlyFromInit() {
        let (directory, log) = Self.initialized()
        let forged = Events.line(
            id: "sys-x", stream: "system:mine", type: "system.registered", on: "2026-01-02",
            actor: "ledger", role: "system", data: ["name": "mine", "purpose": "hr-feed"])
        for command in ["append", "ingest"] {
            let arguments =
                command == "append" ? ["append", "--log", log] : ["ingest", "-", "--log", log]
            let result = Subprocess.ledger(
                arguments, environment: Self.now, stdin: forged + "\n", in: directory)
            #expect(result.status == 1, "\(command): \(result.stderr)")
            #expect(result.stderr.contains("is the ledger itself"), "\(command): \(result.stderr)")
        }
        #expect(readLines(log).count == 3)
        let verify = Subprocess.ledger(
            ["verify", "--log", log], environment: Self.now, in: directory)
        #expect(verify.status == 0, "\(verify.stderr)")
    }

    @Test("init creates an owner-only log whose event 1 adopts the policy; a second init refuses")
    func initialize() {
        let (directory, log) = Self.initialized()
        #expect(fileMode(log) == 0o600)
        let first = readLines(log)[0]
        #expect(first.hasPrefix(#"{"seq":1,"#) && first.contains(#""type":"policy.adopted""#))
        #expect(
            first.contains(#""data":{"profile":"warwickshire-fsw","effectiveFrom":"1990-01-01"}"#))
        let again = Subprocess.ledger(["init", "--log", log], environment: Self.now, in: directory)
        #expect(again.status == 1 && again.stderr.contains("already exists"))
    }

    @Test("a log copied in readable by others is made owner-only by the first writer")
    func looseLogTightened() {
        let (directory, log) = Self.initialized()
        chmod(log, 0o644)
        let appended = Subprocess.ledger(
            ["append", "--log", log], environment: Self.now,
            stdin: Events.staff.joined(separator: "\n") + "\n", in: directory)
        #expect(appended.status == 0, "\(appended.stderr)")
        #expect(fileMode(log) == 0o600)
    }

    @Test(
        "a rejects file already there readable by others is made owner-only before a refusal is written"
    )
    func looseRejectsTightened() {
        let (directory, log) = Self.initialized()
        let rejects = directory.file("rejects.jsonl")
        writeBytes([], to: rejects)
        chmod(rejects, 0o644)
        let input = directory.file("in.jsonl")
        writeBytes(Array("{\"id\":\"x\",\"not\":\"an event\"}\n".utf8), to: input)
        let ingested = Subprocess.ledger(
            ["ingest", input, "--rejects", rejects, "--log", log], environment: Self.now,
            in: directory)
        #expect(ingested.status == 1, "\(ingested.stderr)")
        #expect(readLines(rejects).count == 1)
        #expect(fileMode(rejects) == 0o600)
    }

    @Test("a failed write to standard output (a full disk) exits 1 and says so")
    func fullStandardOutput() {
        let (directory, log) = Self.initialized()
        let errors = directory.file("stderr.txt")
        let pid = Subprocess.spawn(
            [Subprocess.ledgerBinary, "verify", "--log", log], stdoutPath: "/dev/full",
            stderrPath: errors)
        #expect(Subprocess.wait(pid) == 1)
        let message = String(decoding: readBytes(errors), as: UTF8.self)
        #expect(
            message.contains("could not write to standard output: No space left on device"),
            "\(message)")
    }

    @Test(
        "--rejects never overwrites the log (by any name or link), an input or a file beside the log"
    )
    func rejectsGuarded() throws {
        let (directory, log) = Self.initialized()
        #expect(
            Subprocess.ledger(
                ["append", "--log", log], environment: Self.now,
                stdin: Events.staff.joined(separator: "\n") + "\n", in: directory
            ).status == 0)
        let input = directory.file("in.jsonl")
        writeBytes(Array("{bad\n".utf8), to: input)
        let link = directory.file("other.jsonl")
        #expect(link.withCString { target in log.withCString { Glibc.link($0, target) } } == 0)
        let before = readBytes(log)
        for rejects in [
            log, directory.file("./ledger.jsonl"), link, input, log + ".ids", log + ".state",
        ] {
            let result = Subprocess.ledger(
                ["ingest", input, "--rejects", rejects, "--log", log], environment: Self.now,
                in: directory)
            #expect(result.status == 2, "\(rejects): \(result.stderr)")
            #expect(readBytes(log) == before, "\(rejects) changed the log")
        }
        #expect(readBytes(input) == Array("{bad\n".utf8))
        _ = unlink(link)
        // An ordinary rejects file is added to: a second run keeps the first run's refusal.
        let rejects = directory.file("rejects.jsonl")
        for _ in 0..<2 {
            _ = Subprocess.ledger(
                ["ingest", input, "--rejects", rejects, "--log", log], environment: Self.now,
                in: directory)
        }
        #expect(readLines(rejects).count == 2)
        // Another ledger's log, any other file, a FIFO: never added to (an adversary's typo corrupted a log).
        let (otherDirectory, otherLog) = Self.initialized()
        let notes = directory.file("notes.txt")
        writeBytes(Array("my notes\n".utf8), to: notes)
        let fifo = directory.file("rejects.fifo")
        #expect(mkfifo(fifo, 0o600) == 0)
        for target in [otherLog, notes, fifo] {
            let before = readBytes(target == fifo ? notes : target)
            let result = Subprocess.ledger(
                ["ingest", input, "--rejects", target, "--log", log], environment: Self.now,
                in: directory)
            #expect(result.status == 2, "\(target): \(result.stderr)")
            #expect(result.stderr.contains("--rejects names \(target), which"), "\(result.stderr)")
            #expect(readBytes(target == fifo ? notes : target) == before)
        }
        #expect(Subprocess.ledger(["verify", "--log", otherLog], in: otherDirectory).status == 0)
    }

    @Test(
        "made ids are unique even under a pinned seed: two records in two processes, two ids, verify passes"
    )
    func madeIDsUnique() {
        let (directory, log) = Self.initialized()
        _ = Subprocess.ledger(
            ["append", "--log", log], environment: Self.now,
            stdin: (Events.staff + [Events.referral("F-1", on: "2026-02-02")]).joined(
                separator: "\n") + "\n", in: directory)
        for _ in 0..<2 {
            let result = Subprocess.ledger(
                [
                    "record", "contact.attempted", "--family", "F-1", "--actor", "w-017",
                    "--method", "phone",
                    "--outcome", "no-answer", "--on", "2026-02-03", "--log", log,
                ], environment: Self.now, in: directory)
            #expect(result.status == 0, "\(result.stderr)")
        }
        let ids = readLines(log).compactMap { try? LineFormat.decode(Array($0.utf8)).content.id }
        #expect(Set(ids).count == ids.count, "\(ids)")
        let verify = Subprocess.ledger(["verify", "--log", log], in: directory)
        #expect(verify.status == 0, "\(verify.stderr)")
    }

    @Test("--version names the build and the log format")
    func version() {
        let directory = TemporaryDirectory()
        let result = Subprocess.ledger(["--version"], in: directory)
        #expect(result.status == 0)
        #expect(
            result.stdout.hasPrefix("ledger ") && result.stdout.contains("log format: JSON lines"),
            "\(result.stdout)")
    }

    @Test("usage errors exit 2; --help exits 0 on every command")
    func usage() {
        let directory = TemporaryDirectory()
        #expect(Subprocess.ledger(["frobnicate"], in: directory).status == 2)
        #expect(Subprocess.ledger(["ingest"], in: directory).status == 2)
        #expect(Subprocess.ledger(["append", "--bogus", "1"], in: directory).status == 2)
        for command in ["init", "append", "ingest", "record", "verify", "recover", "head"] {
            let help = Subprocess.ledger([command, "--help"], in: directory)
            #expect(
                help.status == 0 && help.stdout.contains("usage: ledger \(command)"), "\(command)")
        }
    }

    @Test(
        "ingest appends valid lines, skips duplicates, writes refused lines to --rejects and exits 1"
    )
    func ingestWithRejects() throws {
        let (directory, log) = Self.initialized()
        var lines = Self.events(families: 3)
        lines.insert(#"{"id":"bad-1","stream":"family:F-0","type":"visit.completed"}"#, at: 4)
        lines.insert("not json at all", at: 6)
        let input = directory.file("batch.jsonl")
        writeBytes(Array((lines.joined(separator: "\n") + "\n").utf8), to: input)
        let rejects = directory.file("rejects.jsonl")
        let first = Subprocess.ledger(
            ["ingest", input, "--rejects", rejects, "--log", log], environment: Self.now,
            in: directory)
        #expect(first.status == 1)
        #expect(
            first.stderr.contains("ingest: 8 appended, 0 duplicates skipped, 2 refused"),
            "\(first.stderr)")
        let rejected = readLines(rejects)
        #expect(rejected.count == 2)
        #expect(
            rejected[0].hasPrefix(
                #"{"file":"\#(input)","line":5,"id":"bad-1","reason":"occurredAt: is required","input":"{\"id\":\"bad-1\""#
            ))
        #expect(rejected[1].contains(#""line":7,"reason":"line: malformed JSON"#))
        // Refusals reported behind appended lines (held until their batch is durable) keep their input.
        #expect(rejected[1].hasSuffix(#""input":"not json at all"}"#), "\(rejected[1])")
        #expect(fileMode(rejects) == 0o600)
        // The same file again: nothing new is appended.
        let before = readBytes(log)
        let second = Subprocess.ledger(
            ["ingest", input, "--log", log], environment: Self.now, in: directory)
        #expect(
            second.stderr.contains("ingest: 0 appended, 8 duplicates skipped, 2 refused"),
            "\(second.stderr)")
        #expect(readBytes(log) == before)
        let verify = Subprocess.ledger(["verify", "--log", log], in: directory)
        #expect(
            verify.status == 0 && verify.stdout.hasPrefix("verified 11 events"), "\(verify.stderr)")
    }

    @Test("append prints seq, hash and id; refuses all on one bad line; --expect-version")
    func appendCommand() {
        let (directory, log) = Self.initialized()
        let ok = Subprocess.ledger(
            ["append", "--log", log], environment: Self.now,
            stdin: Events.staff.joined(separator: "\n") + "\n", in: directory)
        #expect(ok.status == 0)
        let printed = ok.stdout.split(separator: "\n")
        #expect(
            printed.count == 2 && printed[0].hasPrefix("4 ") && printed[0].hasSuffix(" reg-w-017"))
        let mixed = Events.referral("F-1", on: "2026-02-02") + "\n" + #"{"stream":"org"}"# + "\n"
        let refused = Subprocess.ledger(
            ["append", "--log", log], environment: Self.now, stdin: mixed, in: directory)
        #expect(
            refused.status == 1 && refused.stderr.contains("refused: line 2: type: is required"),
            "\(refused.stderr)")
        #expect(refused.stderr.contains("nothing appended"))
        #expect(readLines(log).count == 5)
        let stale = Subprocess.ledger(
            ["append", "--log", log, "--expect-version", "1"], environment: Self.now,
            stdin: Events.referral("F-1", on: "2026-02-02") + "\n", in: directory)
        #expect(
            stale.status == 1
                && stale.stderr.contains("expected version 1 of family:F-1 but it has 0"))
    }

    @Test("record builds one event from flags, typed by the catalogue")
    func record() {
        let (directory, log) = Self.initialized()
        _ = Subprocess.ledger(
            ["append", "--log", log], environment: Self.now,
            stdin: (Events.staff + [Events.referral("F-1", on: "2026-02-02")]).joined(
                separator: "\n") + "\n", in: directory)
        let result = Subprocess.ledger(
            [
                "record", "contact.attempted", "--family", "F-1", "--actor", "w-017", "--on",
                "2026-02-03", "--method", "phone",
                "--outcome", "no-answer", "--id", "c-1", "--log", log,
            ], environment: Self.now, in: directory)
        #expect(result.status == 0, "\(result.stderr)")
        let line = readLines(log).last ?? ""
        #expect(
            line.contains(
                #""id":"c-1","stream":"family:F-1","type":"contact.attempted","v":1,"occurredAt":"2026-02-03""#
            ))
        #expect(line.contains(#""actor":{"id":"w-017","role":"fsw"}"#))
        #expect(line.contains(#""data":{"method":"phone","outcome":"no-answer"}"#))
        let star = Subprocess.ledger(
            [
                "record", "review.completed", "--family", "F-1", "--actor", "w-017", "--outcome",
                "continue",
                "--familyStar.keepingSafe", "7", "--log", log,
            ], environment: Self.now, in: directory)
        #expect(
            star.status == 1 && star.stderr.contains("data.familyStar.physicalHealth: is required"),
            "\(star.stderr)")
    }

    @Test("head prints SEQ:HASH and verify --expect-head accepts it")
    func head() {
        let (directory, log) = Self.initialized()
        let head = Subprocess.ledger(["head", "--log", log], in: directory).stdout.trimmingSuffix()
        #expect(head.hasPrefix("3:") && head.count == 66)
        let verify = Subprocess.ledger(
            ["verify", "--expect-head", head, "--log", log], in: directory)
        #expect(verify.status == 0 && verify.stdout.contains("extends the anchored head"))
    }
}

extension String {
    func trimmingSuffix() -> String {
        var text = self
        while text.last == "\n" { text.removeLast() }
        return text
    }
}
