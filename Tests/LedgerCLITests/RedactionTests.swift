#if canImport(Glibc)
    import Glibc
#endif
import EventLog
import LedgerCore
import LedgerTestSupport
import Testing

/// DATA-PROTECTION.md, as the binary is run: the retention review, holds and `ledger redact`.
@Suite("Retention and redaction")
struct RedactionTests {
    static let now = ["LEDGER_NOW": "2026-11-23T12:00:00Z"]
    /// What must not survive a redaction of family OLD: a child's name, a note, a date of birth.
    static let secrets = ["Zebedee Quartermain", "Xylophone", "2000-04-01", "Agatha Pennyworth"]

    /// A log in `<tmp>/logdir/ledger.jsonl` with staff, and families: OLD (closed 2009, child born 2000: due),
    /// OPEN (open episode), NODOB (closed, a child with no dob), HELD (due but held), W (for wrong-family).
    static func ledger() -> (TemporaryDirectory, String) {
        let directory = TemporaryDirectory()
        try? FileOutput.makeDirectory(directory.file("logdir"))
        let log = directory.file("logdir/ledger.jsonl")
        let created = Subprocess.ledger(
            ["init", "--log", log, "--system", "hr:hr-feed", "--system", "dm:data-matching"],
            environment: now, in: directory)
        #expect(created.status == 0, "\(created.stderr)")
        func referral(_ ref: String, on date: String, child: String, dob: String?) -> String {
            var member = JSONObject([
                JSONMember("id", .string("c-\(ref)")), JSONMember("name", .string(child)),
                JSONMember("role", "child"),
            ])
            if let dob { member["dob"] = .string(dob) }
            return Events.line(
                id: "ref-\(ref)", stream: "family:\(ref)", type: "referral.received", on: date,
                actor: "m-001",
                role: "team-manager",
                data: [
                    "source": "school", "reason": "Attendance",
                    "members": [
                        .object(member),
                        [
                            "id": .string("p-\(ref)"),
                            "name": .string(ref == "OLD" ? "Agatha Pennyworth" : "Parent \(ref)"),
                            "role": "parent",
                        ],
                    ],
                ])
        }
        func close(_ ref: String, on date: String) -> String {
            Events.line(
                id: "close-\(ref)", stream: "family:\(ref)", type: "case.closed", on: date,
                actor: "m-001", role: "team-manager", data: ["reason": "met-outcomes"])
        }
        func note(_ ref: String, _ id: String, on date: String, body: String) -> String {
            Events.line(
                id: id, stream: "family:\(ref)", type: "note.recorded", on: date,
                data: ["subject": "Visit", "body": .string(body)])
        }
        let lines =
            Events.staff + [
                Events.worker("m-002", role: "operations-manager"),
                referral("OLD", on: "2008-11-03", child: "Zebedee Quartermain", dob: "2000-04-01"),
                note("OLD", "note-OLD", on: "2008-11-10", body: "Xylophone lessons arranged"),
                Events.line(
                    id: "visit-OLD", stream: "family:OLD", type: "visit.completed",
                    on: "2008-11-12", data: ["kind": "home"]),
                close("OLD", on: "2009-02-02"),
                referral("OPEN", on: "2026-10-01", child: "Olive", dob: "2019-01-01"),
                referral("NODOB", on: "2008-11-03", child: "Nat", dob: nil),
                close("NODOB", on: "2009-02-02"),
                referral("HELD", on: "2008-11-03", child: "Hal", dob: "1999-01-01"),
                close("HELD", on: "2009-02-02"),
                Events.line(
                    id: "hold-HELD", stream: "family:HELD", type: "hold.placed", on: "2026-11-01",
                    actor: "m-001", role: "team-manager",
                    data: ["reason": "Inquiry", "reference": "letter 7"]),
                referral("W", on: "2026-10-01", child: "Wendy", dob: "2018-01-01"),
                note("W", "note-W-1", on: "2026-10-02", body: "Belongs to family W"),
                note(
                    "W", "note-W-2", on: "2026-10-03",
                    body: "Recorded on the wrong family by mistake"),
                note("W", "note-W-3", on: "2026-10-04", body: "Also belongs to family W"),
            ]
        let appended = Subprocess.ledger(
            ["append", "--log", log], environment: now, stdin: lines.joined(separator: "\n") + "\n",
            in: directory)
        #expect(appended.status == 0, "\(appended.stderr)")
        return (directory, log)
    }

    static func run(
        _ arguments: [String], _ log: String, in directory: TemporaryDirectory,
        environment: [String: String] = now
    )
        -> Subprocess.Result
    {
        Subprocess.ledger(arguments + ["--log", log], environment: environment, in: directory)
    }

    /// Every regular file under `path`, hidden ones too.
    static func files(under path: String) -> [String] {
        var found: [String] = []
        for name in fileNames(in: path) {
            let child = path + "/" + name
            var info = stat()
            guard lstat(child, &info) == 0 else { continue }
            if (info.st_mode & S_IFMT) == S_IFDIR {
                found += files(under: child)
            } else {
                found.append(child)
            }
        }
        return found
    }

    static func contains(_ haystack: [UInt8], _ needle: String) -> Bool {
        let bytes = Array(needle.utf8)
        guard haystack.count >= bytes.count else { return false }
        for start in 0...(haystack.count - bytes.count) where haystack[start] == bytes[0] {
            if Array(haystack[start..<(start + bytes.count)]) == bytes { return true }
        }
        return false
    }

    static func snapshot(_ path: String) -> [String: [UInt8]] {
        Dictionary(uniqueKeysWithValues: files(under: path).map { ($0, readBytes($0)) })
    }

    static func seqOf(_ id: String, in log: String) -> Int? {
        for line in readLines(log) {
            guard let record = try? LineFormat.decode(Array(line.utf8)) else { continue }
            if record.content.id == id { return record.seq }
        }
        return nil
    }

    @Test(
        "a family whose retention ended is listed, redacted, and nothing of it is left in any file")
    func retentionEndedRedaction() throws {
        let (directory, log) = Self.ledger()
        let site = directory.file("site")
        #expect(Self.run(["rebuild", "--out", site], log, in: directory).status == 0)
        #expect(
            Self.run(["timeline", "OLD", "--format", "json"], log, in: directory).stdout.contains(
                "Xylophone"))
        let review = Self.run(["retention", "--format", "json"], log, in: directory)
        #expect(review.status == 0, "\(review.stderr)")
        let rows = try #require(try JSONParser.parse(Array(review.stdout.utf8)).arrayValue)
        func row(_ ref: String) -> JSONObject? {
            rows.compactMap(\.objectValue).first { $0["family"]?.stringValue == ref }
        }
        #expect(row("OLD")?["status"]?.stringValue == "due")
        #expect(row("OLD")?["rule"]?.stringValue == "retention")
        #expect(row("OLD")?["retentionEnded"]?.stringValue == "2025-04-01")
        #expect(row("OPEN")?["status"]?.stringValue == "cannot be decided")
        #expect(row("OPEN")?["why"]?.stringValue == "an episode is open")
        #expect(row("NODOB")?["why"]?.stringValue == "child c-NODOB has no date of birth")
        #expect(row("HELD")?["status"]?.stringValue == "held")
        #expect(row("HELD")?["held"]?.stringValue?.contains("Inquiry (letter 7)") == true)
        #expect(row("W")?["why"]?.stringValue == "an episode is open")
        for format in ["table", "jsonl", "csv"] {
            let other = Self.run(["retention", "--format", format], log, in: directory)
            #expect(other.status == 0 && other.stdout.contains("OLD"), "\(format): \(other.stderr)")
        }
        let monthsBefore = Self.monthCounts(log, in: directory)

        let redact = Self.run(
            ["redact", "--family", "OLD", "--reason", "retention-ended", "--actor", "m-001"], log,
            in: directory)
        #expect(redact.status == 0, "\(redact.stderr)")
        #expect(redact.stdout.contains("redacted 4 lines of family OLD"), "\(redact.stdout)")
        #expect(redact.stdout.contains("rebuilt \(site)"), "\(redact.stdout)")

        // No byte of what was removed, in any file beside the log or in the rebuilt dashboard.
        for file in Self.files(under: directory.file("logdir")) + Self.files(under: site) {
            let bytes = readBytes(file)
            for secret in Self.secrets {
                let found = Self.contains(bytes, secret)
                #expect(!found, "\(secret) in \(file)")
            }
        }
        let verify = Self.run(["verify"], log, in: directory)
        #expect(
            verify.status == 0 && verify.stdout.contains("4 redacted payloads"),
            "\(verify.stdout) \(verify.stderr)")
        for command in [
            ["families"], ["caseload"], ["due"], ["pbr"], ["monthly", "--month", "2009-02"],
            ["retention"], ["timeline", "OLD"],
        ] {
            for format in ["json", "table", "csv"] {
                let result = Self.run(command + ["--format", format], log, in: directory)
                #expect(result.status == 0, "\(command) \(format): \(result.stderr)")
            }
        }
        #expect(Self.run(["timeline", "OLD", "--format", "html"], log, in: directory).status == 0)
        #expect(Self.run(["rebuild", "--out", site], log, in: directory).status == 0)
        let timeline = Self.run(["timeline", "OLD", "--format", "json"], log, in: directory)
        #expect(
            timeline.stdout.contains("referral.received: redacted on 2026-11-23: retention ended"),
            "\(timeline.stdout)")
        #expect(Self.monthCounts(log, in: directory) == monthsBefore)
        // Redacted: no longer listed, and not redacted twice (run again, it only purges: nothing appended).
        #expect(
            !Self.run(["retention", "--format", "json"], log, in: directory).stdout.contains(
                "\"OLD\""))
        let redactedLog = readBytes(log)
        let again = Self.run(
            ["redact", "--family", "OLD", "--reason", "retention-ended", "--actor", "m-001"],
            log, in: directory)
        #expect(again.status == 0 && again.stdout.hasPrefix("nothing left to redact"))
        #expect(readBytes(log) == redactedLog)
        // An append after the redaction works (the derived files are rebuilt from the redacted log).
        let later = Events.line(
            id: "v-OPEN", stream: "family:OPEN", type: "visit.completed", on: "2026-11-20",
            data: ["kind": "home"])
        #expect(
            Subprocess.ledger(
                ["append", "--log", log], environment: Self.now, stdin: later + "\n", in: directory
            ).status == 0)
        #expect(Self.run(["verify"], log, in: directory).status == 0)
    }

    /// Referrals, closures and open families per month of 2008-11 … 2009-03 (counts by type and month).
    static func monthCounts(_ log: String, in directory: TemporaryDirectory) -> [String] {
        ["2008-11", "2008-12", "2009-01", "2009-02", "2009-03"].map { month in
            let result = Self.run(
                ["monthly", "--month", month, "--format", "json"], log, in: directory)
            guard
                let row = (try? JSONParser.parse(Array(result.stdout.utf8)))?.arrayValue?.first?
                    .objectValue
            else { return "?" }
            return ["referrals", "closuresTotal", "openAtMonthEnd", "allocations"].map {
                "\($0)=\(row[$0].map { JSONWriter.string($0) } ?? "-")"
            }
            .joined(separator: ",")
        }
    }

    @Test(
        "refused: a held family, every family under an org hold, a non-manager, a family not due; --dry-run changes no byte"
    )
    func refusals() throws {
        let (directory, log) = Self.ledger()
        let before = Self.snapshot(directory.file("logdir"))
        func redact(_ family: String, actor: String = "m-001", _ extra: [String] = [])
            -> Subprocess.Result
        {
            Self.run(
                ["redact", "--family", family, "--reason", "retention-ended", "--actor", actor]
                    + extra, log, in: directory)
        }
        let held = redact("HELD")
        #expect(held.status == 1 && held.stderr.contains("held"), "\(held.stderr)")
        let worker = redact("OLD", actor: "w-017")
        #expect(worker.status == 1 && worker.stderr.contains("needs a manager"), "\(worker.stderr)")
        #expect(redact("OLD", actor: "nobody").status == 1)
        #expect(redact("OPEN").stderr.contains("an episode is open"))
        #expect(redact("NODOB").stderr.contains("no date of birth"))
        let dry = redact("OLD", ["--dry-run"])
        #expect(
            dry.status == 0 && dry.stdout.contains("would redact 4 lines"),
            "\(dry.stdout) \(dry.stderr)")
        #expect(
            Self.snapshot(directory.file("logdir")) == before,
            "a refusal or a dry run changed a file")
        // A hold written by hand is a manager's; record.redacted is never written by hand.
        let byHand = Events.line(
            id: "rr", stream: "org", type: "record.redacted", on: "2026-11-01", actor: "m-001",
            role: "team-manager",
            data: ["family": "OLD", "seqs": [7], "reason": "retention-ended"])
        let refused = Subprocess.ledger(
            ["append", "--log", log], environment: Self.now, stdin: byHand + "\n", in: directory)
        #expect(
            refused.status == 1
                && refused.stderr.contains("written by ledger redact, never by hand"),
            "\(refused.stderr)")
        // An org hold holds every family, until it is lifted.
        let org = Events.line(
            id: "hold-org", stream: "org", type: "hold.placed", on: "2026-11-02", actor: "m-001",
            role: "team-manager", data: ["reason": "IICSA order"])
        #expect(
            Subprocess.ledger(
                ["append", "--log", log], environment: Self.now, stdin: org + "\n", in: directory
            ).status == 0)
        let underOrg = redact("OLD")
        #expect(underOrg.status == 1 && underOrg.stderr.contains("hold-org"), "\(underOrg.stderr)")
        let review = Self.run(["retention", "--format", "csv"], log, in: directory).stdout
        #expect(
            review.contains("OLD,held") && review.contains("org hold hold-org: IICSA order"),
            "\(review)")
        let wrong = Self.run(
            [
                "redact", "--family", "W", "--reason", "wrong-family", "--actor", "m-001", "--seq",
                "20",
            ], log, in: directory)
        #expect(wrong.status == 1 && wrong.stderr.contains("held"), "\(wrong.stderr)")
        let lift = Events.line(
            id: "lift-org", stream: "org", type: "hold.lifted", on: "2026-11-03", actor: "m-002",
            role: "operations-manager", data: ["hold": "hold-org", "reason": "Order ended"])
        #expect(
            Subprocess.ledger(
                ["append", "--log", log], environment: Self.now, stdin: lift + "\n", in: directory
            ).status == 0)
        #expect(redact("OLD").status == 0)
        #expect(Self.run(["verify"], log, in: directory).status == 0)
    }

    @Test("wrong-family removes only the named lines, and only lines of that family")
    func wrongFamily() throws {
        let (directory, log) = Self.ledger()
        let target = try #require(Self.seqOf("note-W-2", in: log))
        let other = try #require(Self.seqOf("note-OLD", in: log))
        let foreign = Self.run(
            [
                "redact", "--family", "W", "--reason", "wrong-family", "--actor", "m-001", "--seq",
                String(other),
            ], log, in: directory)
        #expect(
            foreign.status == 1 && foreign.stderr.contains("not a line of family W"),
            "\(foreign.stderr)")
        let noSeq = Self.run(
            ["redact", "--family", "W", "--reason", "wrong-family", "--actor", "m-001"], log,
            in: directory)
        #expect(noSeq.status == 2, "\(noSeq.stderr)")
        let before = readLines(log)
        let done = Self.run(
            [
                "redact", "--family", "W", "--reason", "wrong-family", "--actor", "m-001", "--seq",
                String(target),
            ], log, in: directory)
        #expect(done.status == 0, "\(done.stderr)")
        let after = readLines(log)
        #expect(after.count == before.count + 1)
        for (index, line) in before.enumerated() where index + 1 != target {
            #expect(after[index] == line)
        }
        #expect(
            !after[target - 1].contains("wrong family")
                && after[target - 1].contains(
                    "\"redacted\":{\"on\":\"2026-11-23\",\"reason\":\"wrong-family\",\"by\":\"m-001\",\"record\":"
                ))
        #expect(
            after[target - 1].hasPrefix(String(before[target - 1].prefix(while: { $0 != "h" }))))
        #expect(after.last?.contains("\"type\":\"record.redacted\"") == true)
        #expect(Self.run(["verify"], log, in: directory).status == 0)
        let timeline = Self.run(["timeline", "W", "--format", "json"], log, in: directory).stdout
        #expect(
            timeline.contains("Belongs to family W")
                && timeline.contains("Also belongs to family W"))
        #expect(timeline.contains("note.recorded: redacted on 2026-11-23: wrong family"))
    }

    /// The bytes a redaction of OLD leaves, uninterrupted (the clock and seed are pinned, so they are exact).
    static func redactedBytes() -> [UInt8] {
        let (directory, log) = Self.ledger()
        let result = Self.run(
            ["redact", "--family", "OLD", "--reason", "retention-ended", "--actor", "m-001"], log,
            in: directory)
        #expect(result.status == 0, "\(result.stderr)")
        return readBytes(log)
    }

    @Test("killed with SIGKILL at each step: the log verifies, and is untouched or fully redacted")
    func killedAtManySteps() throws {
        let redacted = Self.redactedBytes()
        let faults = [
            "open@.redacting:SIGKILL:0", "write@.redacting:SIGKILL:0", "fsync@.redacting:SIGKILL:0",
            "rename@ledger.jsonl:SIGKILL:0", "fsync@logdir:SIGKILL:0",
            "open@ledger.jsonl:SIGKILL:0",
            "open@ledger.jsonl.ids:SIGKILL:0", "open@ledger.jsonl.state:SIGKILL:0",
        ]
        var outcomes: [String: Int] = ["untouched": 0, "redacted": 0]
        for fault in faults {
            let (directory, log) = Self.ledger()
            let original = readBytes(log)
            var environment = Self.now
            environment["LEDGER_FAULT"] = fault
            let cut = Self.run(
                ["redact", "--family", "OLD", "--reason", "retention-ended", "--actor", "m-001"],
                log, in: directory, environment: environment)
            #expect(
                cut.status == 128 + SIGKILL, "\(fault): not killed (\(cut.status) \(cut.stderr))")
            let now = readBytes(log)
            #expect(
                now == original || now == redacted,
                "\(fault): the log is neither as before nor fully redacted (exit \(cut.status))")
            outcomes[now == original ? "untouched" : "redacted", default: 0] += 1
            let verify = Self.run(["verify"], log, in: directory)
            #expect(verify.status == 0, "\(fault): \(verify.stderr)")
            // Run again: it finishes the work (or finds it done), and nothing of OLD is left.
            let again = Self.run(
                ["redact", "--family", "OLD", "--reason", "retention-ended", "--actor", "m-001"],
                log, in: directory)
            #expect(again.status == 0 || now == redacted, "\(fault): \(again.stderr)")
            for file in Self.files(under: directory.file("logdir")) {
                for secret in Self.secrets {
                    let found = Self.contains(readBytes(file), secret)
                    #expect(!found, "\(fault): \(secret) in \(file)")
                }
            }
        }
        // Killed at times through a slow write of the new log (4 KB a piece, 2 ms apart).
        for delay in [1_000, 5_000, 20_000, 60_000, 150_000] as [UInt32] {
            let (directory, log) = Self.ledger()
            let original = readBytes(log)
            var environment = Self.now
            environment["LEDGER_FAULT"] = "write@.redacting:slow:512"
            let pid = Subprocess.spawn(
                [
                    Subprocess.ledgerBinary, "redact", "--family", "OLD", "--reason",
                    "retention-ended", "--actor", "m-001", "--log", log,
                ],
                environment: environment)
            Subprocess.sleep(microseconds: delay)
            Subprocess.kill(pid)
            _ = Subprocess.wait(pid)
            let now = readBytes(log)
            #expect(now == original || now == redacted, "killed after \(delay) µs")
            outcomes[now == original ? "untouched" : "redacted", default: 0] += 1
            #expect(
                Self.run(["verify"], log, in: directory).status == 0, "killed after \(delay) µs")
        }
        #expect((outcomes["untouched"] ?? 0) > 0 && (outcomes["redacted"] ?? 0) > 0, "\(outcomes)")
    }

    @Test(
        "interrupted after the log was replaced, run again: the page and the torn line it left go",
        arguments: ["retention-ended", "wrong-family"])
    func finishesAnInterruptedRun(reason: String) throws {
        let (directory, log) = Self.ledger()
        let family = reason == "retention-ended" ? "OLD" : "W"
        let secret = reason == "retention-ended" ? "Xylophone" : "Recorded on the wrong family"
        var arguments = ["redact", "--family", family, "--reason", reason, "--actor", "m-001"]
        if reason == "wrong-family" {
            arguments += ["--seq", String(try #require(Self.seqOf("note-W-2", in: log)))]
        }
        // A dashboard of the log, and a torn line of the family that `recover` set aside.
        let dashboard = directory.file("dashboard")
        #expect(Self.run(["rebuild", "--out", dashboard], log, in: directory).status == 0)
        let torn =
            "{\"seq\":99,\"id\":\"torn\",\"stream\":\"family:\(family)\",\"type\":\"note.recorded\","
            + "\"v\":1,\"occurredAt\":\"2026-11-01\",\"data\":{\"subject\":\"Torn Quibble"
        writeBytes(readBytes(log) + Array(torn.utf8), to: log)
        #expect(Self.run(["recover"], log, in: directory).status == 0)
        // Killed right after the new log was renamed into place: its purge was never done.
        var environment = Self.now
        environment["LEDGER_FAULT"] = "fsync@logdir:SIGKILL:0"
        let cut = Self.run(arguments, log, in: directory, environment: environment)
        #expect(cut.status == 128 + SIGKILL, "\(cut.status) \(cut.stderr)")
        #expect(!Self.contains(readBytes(log), secret), "the log was not replaced")
        func holders() -> [String] {
            // (`.in-N` files are this test's own input to `append`.)
            Self.files(under: directory.path).filter { file in
                guard !file.contains("/.in-") else { return false }
                let bytes = readBytes(file)
                return Self.contains(bytes, secret) || Self.contains(bytes, "Torn Quibble")
            }
        }
        #expect(!holders().isEmpty, "the interrupted run left nothing behind to purge")
        let again = Self.run(arguments, log, in: directory)
        #expect(again.status == 0, "\(again.stderr)")
        #expect(again.stdout.hasPrefix("nothing left to redact: family \(family)'s seqs "))
        #expect(again.stdout.contains("rebuilt \(dashboard)"), "\(again.stdout)")
        #expect(holders() == [])
        #expect(readLines(log).filter { $0.contains("record.redacted") }.count == 1)
        #expect(Self.run(["verify"], log, in: directory).status == 0)
        // Asked for some of those lines and another: a different request, refused as before.
        if reason == "wrong-family" {
            let other = try #require(Self.seqOf("note-W-3", in: log))
            let mixed = Self.run(arguments + ["--seq", String(other)], log, in: directory)
            #expect(mixed.status == 1 && mixed.stderr.contains("is redacted already"))
        }
    }

    @Test("a folder put where a rebuild was is not filled by a redaction")
    func foreignFolderLeftAlone() throws {
        let (directory, log) = Self.ledger()
        let dashboard = directory.file("dashboard")
        #expect(Self.run(["rebuild", "--out", dashboard], log, in: directory).status == 0)
        _ = system("rm -rf '\(dashboard)'")
        try? FileOutput.makeDirectory(dashboard)
        writeBytes(Array("mine\n".utf8), to: dashboard + "/notes.txt")
        let done = Self.run(
            ["redact", "--family", "OLD", "--reason", "retention-ended", "--actor", "m-001"], log,
            in: directory)
        #expect(done.status == 0, "\(done.stderr)")
        #expect(done.stdout.contains("no longer holds a rebuild"), "\(done.stdout)")
        #expect(fileNames(in: dashboard) == ["notes.txt"])
    }

    @Test("an append waiting on the lock during a redaction lands in the new log")
    func concurrentAppend() throws {
        let (directory, log) = Self.ledger()
        var environment = Self.now
        environment["LEDGER_FAULT"] = "write@.redacting:slow:256"
        let pid = Subprocess.spawn(
            [
                Subprocess.ledgerBinary, "redact", "--family", "OLD", "--reason", "retention-ended",
                "--actor", "m-001", "--log", log,
            ],
            environment: environment)
        Subprocess.sleep(microseconds: 20_000)
        let visit = Events.line(
            id: "v-OPEN", stream: "family:OPEN", type: "visit.completed", on: "2026-11-20",
            data: ["kind": "home"])
        let append = Subprocess.ledger(
            ["append", "--log", log], environment: Self.now, stdin: visit + "\n", in: directory)
        #expect(Subprocess.wait(pid) == 0)
        #expect(append.status == 0, "\(append.stderr)")
        let lines = readLines(log)
        #expect(lines.contains { $0.contains("\"id\":\"v-OPEN\"") }, "the append was lost")
        #expect(lines.contains { $0.contains("\"type\":\"record.redacted\"") })
        #expect(!lines.contains { $0.contains("Xylophone") })
        #expect(Self.run(["verify"], log, in: directory).status == 0)
    }

    @Test(
        "a custom policy's retention rule is judged; a bad keepUntil is refused naming the member")
    func customRule() throws {
        let directory = TemporaryDirectory()
        let document = try #require(PolicyProfiles.document("warwickshire-fsw"))
        let custom = document.replacing(
            "later of: youngest-child-dob + 25 years, last-closure + 6 years",
            with: "later of: youngest-child-dob + 18 years, last-event + 3 years")
        writeBytes(Array(custom.utf8), to: directory.file("custom.json"))
        let bad = document.replacing("last-closure + 6 years", with: "last-closure + 6 fortnights")
        writeBytes(Array(bad.utf8), to: directory.file("bad.json"))
        let refused = Subprocess.ledger(
            ["init", "--log", directory.file("bad.jsonl"), "--policy", directory.file("bad.json")],
            environment: Self.now, in: directory)
        #expect(
            refused.status == 1
                && refused.stderr.contains(
                    "policy.retention[0].keepUntil: \"fortnights\" is not a unit"),
            "\(refused.stderr)")
        let log = directory.file("ledger.jsonl")
        #expect(
            Subprocess.ledger(
                [
                    "init", "--log", log, "--policy", directory.file("custom.json"), "--system",
                    "hr:hr-feed",
                ], environment: Self.now, in: directory
            ).status == 0)
        let lines =
            Events.staff + [
                Events.referral("K", on: "2015-03-02", childDOB: "2005-01-01"),
                Events.line(
                    id: "close-K", stream: "family:K", type: "case.closed", on: "2015-06-01",
                    actor: "m-001", role: "team-manager", data: ["reason": "met-outcomes"]),
                Events.line(
                    id: "note-K", stream: "family:K", type: "note.recorded", on: "2022-06-01",
                    data: ["subject": "a", "body": "b"]),
            ]
        #expect(
            Subprocess.ledger(
                ["append", "--log", log], environment: Self.now,
                stdin: lines.joined(separator: "\n") + "\n", in: directory
            ).status == 0)
        // 18th birthday 2023-01-01; 3 years after the last event 2025-06-01: the later.
        let early = Subprocess.ledger(
            ["retention", "--as-of", "2025-05-31", "--format", "csv", "--log", log],
            environment: Self.now, in: directory)
        #expect(!early.stdout.contains("K,"), "\(early.stdout)")
        let due = Subprocess.ledger(
            ["retention", "--as-of", "2025-06-01", "--format", "csv", "--log", log],
            environment: Self.now, in: directory)
        #expect(
            due.stdout.contains("K,due,retention,") && due.stdout.contains("2025-06-01"),
            "\(due.stdout)")
    }
}
