import EventLog
import LedgerCore
import LedgerEngine
import LedgerTestSupport
import Testing

/// DATA-PROTECTION.md after disposal, and holds in time (adversary #5): a family whose record was disposed of
/// (`redact --reason retention-ended`) takes no more events, whoever sends them; a redacted event sent again is
/// told so; a hold is not lifted before it was placed; and `verify` judges a `record.redacted` by the rules
/// `redact` enforces that the log can show. Each through the binary, and `verify` on the same history written by
/// hand, at the same seq in the same words.
@Suite("After disposal, and holds in time")
struct DisposalTests {
    static let now = CLIWriteTests.now
    static let today = "2026-11-23"

    static func event(
        _ id: String, _ stream: String, _ type: String, _ on: String, actor: String = "m-001",
        role: String = "team-manager", _ data: JSONValue = [:]
    ) -> String {
        Events.line(
            id: id, stream: stream, type: type, on: on, actor: actor, role: role, data: data)
    }

    static func close(_ ref: String, on date: String) -> String {
        event("close-\(ref)", "family:\(ref)", "case.closed", date, ["reason": "met-outcomes"])
    }

    static func note(_ id: String, _ ref: String, on date: String) -> String {
        event(
            id, "family:\(ref)", "note.recorded", date, actor: "w-017", role: "fsw",
            ["subject": "Visit", "body": .string("Private words \(id)")])
    }

    /// OLD (child born 1995, closed 2006: due), NEW (open).
    static let history: [String] =
        Events.staff + [
            Events.referral("OLD", id: "ref-OLD", on: "2005-03-01", childDOB: "1995-01-01"),
            note("note-OLD", "OLD", on: "2005-03-02"),
            close("OLD", on: "2006-01-10"),
            Events.referral("NEW", id: "ref-NEW", on: "2026-10-01", childID: "c-new"),
            note("note-NEW", "NEW", on: "2026-10-02"),
        ]

    static func append(_ lines: [String], _ log: String, in directory: TemporaryDirectory)
        -> Subprocess.Result
    {
        Subprocess.ledger(
            ["append", "--log", log], environment: now,
            stdin: lines.joined(separator: "\n") + "\n", in: directory)
    }

    /// The history appended and OLD disposed of; the record.redacted's id and seq.
    static func disposed() throws -> (TemporaryDirectory, String, record: String, seq: Int) {
        let (directory, log) = CLIWriteTests.initialized()
        let appended = append(history, log, in: directory)
        try #require(appended.status == 0, "\(appended.stderr)")
        let redact = Subprocess.ledger(
            [
                "redact", "--family", "OLD", "--reason", "retention-ended", "--actor", "m-001",
                "--log", log,
            ], environment: now, in: directory)
        try #require(redact.status == 0, "\(redact.stderr)")
        let lines = readLines(log)
        let last = try #require(lines.last.flatMap { try? JSONParser.parse($0).objectValue })
        let record = try #require(last["id"]?.stringValue)
        #expect(last["type"]?.stringValue == "record.redacted")
        return (directory, log, record, lines.count)
    }

    /// `lines` (a stored log) with `events` appended by hand, hashes and all.
    static func appendedByHand(_ lines: [String], _ events: [String]) throws -> [UInt8] {
        var bytes = Array((lines.joined(separator: "\n") + "\n").utf8)
        let last = try #require(lines.last.flatMap { try? JSONParser.parse($0).objectValue })
        var prev = try #require(last["hash"]?.stringValue)
        for (index, text) in events.enumerated() {
            let object = try #require(try JSONParser.parse(text).objectValue)
            let content = RecordContent(
                id: object["id"]?.stringValue ?? "", stream: object["stream"]?.stringValue ?? "",
                type: object["type"]?.stringValue ?? "",
                occurredAt: object["occurredAt"]?.stringValue ?? "",
                actor: object["actor"] ?? [:], source: nil, data: object["data"] ?? [:])
            let (line, hash) = LineFormat.encode(
                content, seq: lines.count + index + 1, recordedAt: "2026-11-23T12:30:00Z",
                prev: prev, salt: String(repeating: "a", count: 32))
            bytes += line
            prev = hash
        }
        return bytes
    }

    /// Verify fails at `seq` with `problem`, whatever the number of shards (the CLI's, 1, 2, 3).
    static func expectVerifyFails(
        _ log: String, in directory: TemporaryDirectory, seq: Int, problem: String,
        _ what: String
    ) {
        let result = Subprocess.ledger(["verify", "--log", log], in: directory)
        #expect(result.status == 1, "\(what): verified")
        #expect(
            result.stderr.contains("first bad seq \(seq) (line \(seq)): \(problem)"),
            "\(what): \(result.stderr)")
        for shards in [1, 2, 3] {
            #expect(
                throws: VerifyFailure(seq: seq, line: seq, problem: problem), "\(what), \(shards)"
            ) { try LedgerVerifier.verify(path: log, shards: shards) }
        }
    }

    static let lateEvents: [String] = [
        event(
            "late-att", "family:OLD", "attendance.recorded", "2026-11-20", actor: "dm",
            role: "system",
            ["memberId": "123456", "from": "2026-09-01", "to": "2026-10-31", "percent": 80]),
        note("late-note", "OLD", on: "2026-11-20"),
        // Whoever sends it: the disposal is told before the actor is judged.
        event(
            "late-stranger", "family:OLD", "note.recorded", "2026-11-20", actor: "w-999",
            role: "fsw", ["subject": "Visit", "body": "Words"]),
        Events.referral("OLD", id: "late-ref", on: "2026-11-20"),
        event("late-hold", "family:OLD", "hold.placed", "2026-11-20", ["reason": "Complaint"]),
        event(
            "late-fix", "family:OLD", "event.corrected", "2026-11-20", actor: "w-017", role: "fsw",
            [
                "target": "note-OLD", "reason": "typo",
                "data": ["subject": "Visit", "body": "Words"],
            ]),
    ]

    static func disposedRule(_ record: String, _ seq: Int) -> String {
        "stream: family OLD's record was disposed of on \(today) (record.redacted \"\(record)\", seq \(seq), retention-ended): it takes no more events; a new referral needs a new family ref"
    }

    @Test("a disposed family takes no event, by append or ingest", arguments: lateEvents)
    func refusedAfterDisposal(_ late: String) throws {
        let (directory, log, record, seq) = try Self.disposed()
        let id = try #require(try JSONParser.parse(late).objectValue?["id"]?.stringValue)
        let before = readBytes(log)
        let result = Self.append([late], log, in: directory)
        #expect(result.status == 1)
        #expect(
            result.stderr.contains("line 1 (id \(id)): \(Self.disposedRule(record, seq))"),
            "\(result.stderr)")
        #expect(readBytes(log) == before, "nothing changed")
        let input = directory.file("feed.jsonl")
        let rejects = directory.file("rejects.jsonl")
        writeBytes(Array((late + "\n").utf8), to: input)
        let ingest = Subprocess.ledger(
            ["ingest", input, "--rejects", rejects, "--log", log], environment: Self.now,
            in: directory)
        #expect(ingest.stdout.contains("0 appended") || ingest.stderr.contains("0 appended"))
        let rejected = try #require(readLines(rejects).first)
        let reason = try #require(
            try JSONParser.parse(Array(rejected.utf8)).objectValue?["reason"]?.stringValue)
        #expect(reason == Self.disposedRule(record, seq))
        #expect(readBytes(log) == before, "nothing changed")
        // The family is not left "cannot be decided": the review no longer lists it.
        let retention = Subprocess.ledger(
            ["retention", "--format", "csv", "--log", log], environment: Self.now, in: directory)
        #expect(!retention.stdout.contains("OLD"), "\(retention.stdout)")
    }

    @Test("verify refuses an event after the disposal, at its seq, in append's words")
    func verifyAfterDisposal() throws {
        let (directory, log, record, seq) = try Self.disposed()
        let lines = readLines(log)
        for late in Self.lateEvents {
            writeBytes(try Self.appendedByHand(lines, [late]), to: log)
            Self.expectVerifyFails(
                log, in: directory, seq: lines.count + 1,
                problem: "would be refused today: \(Self.disposedRule(record, seq))", late)
        }
        // Another family's event after it verifies.
        writeBytes(
            try Self.appendedByHand(lines, [Self.note("later-NEW", "NEW", on: "2026-11-20")]),
            to: log)
        let verify = Subprocess.ledger(["verify", "--log", log], in: directory)
        #expect(verify.status == 0, "\(verify.stderr)")
    }

    @Test("a redacted event sent again is told it was redacted, not that its content differs")
    func resentRedacted() throws {
        let (directory, log, record, _) = try Self.disposed()
        let seq = try #require(readLines(log).firstIndex { $0.contains(#""id":"note-OLD""#) }) + 1
        let before = readBytes(log)
        let words =
            "id: already in the log (seq \(seq)), redacted on \(Self.today) (retention-ended, record.redacted \"\(record)\"): its content cannot be sent again"
        let again = Self.append(
            [Self.note("note-OLD", "OLD", on: "2005-03-02")], log, in: directory)
        #expect(again.status == 1 && again.stderr.contains(words), "\(again.stderr)")
        #expect(readBytes(log) == before)
    }

    // MARK: Holds in time

    static let held: [String] =
        Events.staff + [
            Events.referral("H", id: "ref-H", on: "2005-03-01", childDOB: "1995-01-01"),
            close("H", on: "2006-01-10"),
            event("h1", "family:H", "hold.placed", "2026-11-10", ["reason": "Complaint"]),
            event("o1", "org", "hold.placed", "2026-11-10", ["reason": "Inquiry order"]),
        ]

    static func lift(_ id: String, _ hold: String, on date: String) -> String {
        event(
            id, hold == "o1" ? "org" : "family:H", "hold.lifted", date,
            ["hold": .string(hold), "reason": "Typed the wrong date"])
    }

    static func liftRule(_ hold: String, _ date: String) -> String {
        "occurredAt: \(date) is before hold \"\(hold)\" was placed (2026-11-10): a hold is lifted on or after the day it was placed"
    }

    @Test("a hold is not lifted before it was placed", arguments: ["h1", "o1"])
    func liftBeforePlaced(_ hold: String) throws {
        let (directory, log) = CLIWriteTests.initialized()
        try #require(Self.append(Self.held, log, in: directory).status == 0)
        let before = readBytes(log)
        let early = Self.append([Self.lift("l1", hold, on: "2026-11-09")], log, in: directory)
        #expect(early.status == 1)
        #expect(
            early.stderr.contains("line 1 (id l1): \(Self.liftRule(hold, "2026-11-09"))"),
            "\(early.stderr)")
        #expect(readBytes(log) == before)
        let retention = Subprocess.ledger(
            ["retention", "--as-of", "2026-11-12", "--format", "csv", "--log", log],
            environment: Self.now, in: directory)
        #expect(retention.stdout.contains("H,held"), "\(retention.stdout)")
        // On the day it was placed, it may be lifted.
        let sameDay = Self.append([Self.lift("l2", hold, on: "2026-11-10")], log, in: directory)
        #expect(sameDay.status == 0, "\(sameDay.stderr)")
    }

    @Test("verify refuses a lift before its hold, in append's words", arguments: ["h1", "o1"])
    func verifyLiftBeforePlaced(_ hold: String) throws {
        let directory = TemporaryDirectory()
        let log = directory.file("raw.jsonl")
        let policy = Events.line(
            id: "policy", stream: "org", type: "policy.adopted", on: "1990-01-01", actor: "ledger",
            role: "system", data: ["profile": "warwickshire-fsw", "effectiveFrom": "1990-01-01"])
        let lines =
            [policy] + Events.systems + Self.held + [Self.lift("l1", hold, on: "2026-11-09")]
        try RawLog.write(lines, to: log)
        Self.expectVerifyFails(
            log, in: directory, seq: lines.count,
            problem: "would be refused today: \(Self.liftRule(hold, "2026-11-09"))", hold)
    }

    // MARK: A record.redacted forged by hand

    /// HELD (due, held), OPENF (open), OLD2 (due), LIFTED (due, its hold lifted).
    static let forgeHistory: [String] =
        Events.staff + [
            Events.referral("HELD", id: "ref-HELD", on: "2005-03-01", childDOB: "1995-01-01"),
            note("note-HELD", "HELD", on: "2005-03-02"),
            close("HELD", on: "2006-01-10"),
            event("hold-HELD", "family:HELD", "hold.placed", "2026-11-01", ["reason": "Inquiry"]),
            Events.referral("OPENF", id: "ref-OPENF", on: "2026-10-01"),
            note("note-OPENF", "OPENF", on: "2026-10-02"),
            Events.referral("OLD2", id: "ref-OLD2", on: "2005-03-01", childDOB: "1995-01-01"),
            note("note-OLD2", "OLD2", on: "2005-03-02"),
            event(
                "visit-OLD2", "family:OLD2", "visit.completed", "2005-03-03", actor: "w-017",
                role: "fsw", ["kind": "home"]),
            close("OLD2", on: "2006-01-10"),
            Events.referral("LIFTED", id: "ref-LIFTED", on: "2005-03-01", childDOB: "1995-01-01"),
            close("LIFTED", on: "2006-01-10"),
            event("hold-L", "family:LIFTED", "hold.placed", "2026-11-01", ["reason": "Complaint"]),
            event(
                "lift-L", "family:LIFTED", "hold.lifted", "2026-11-05",
                ["hold": "hold-L", "reason": "Resolved"]),
        ]

    struct Forgery: Sendable, CustomStringConvertible {
        var what: String
        var family: String
        var reason = "retention-ended"
        /// The ids of the lines redacted by hand.
        var redacted: [String]
        /// The ids the record lists (nil: those redacted).
        var listed: [String]?
        var actor = ("m-001", "team-manager")
        /// Verify's problem, with SEQ for a seq named by its id in `{…}` (nil: verifies).
        var problem: String?
        var description: String { what }
    }

    static let forgeries: [Forgery] = [
        Forgery(
            what: "a held family's line", family: "HELD", redacted: ["note-HELD"],
            problem:
                "would be refused today: data.family: family HELD is held (hold hold-HELD on family:HELD): nothing held may be redacted"
        ),
        Forgery(
            what: "a family with an open episode, whole", family: "OPENF",
            redacted: ["ref-OPENF", "note-OPENF"],
            problem:
                "would be refused today: data.family: family OPENF has an open episode: its retention has not ended (a family with an open episode is never due)"
        ),
        Forgery(
            what: "retention-ended on one line of a family", family: "OLD2",
            redacted: ["note-OLD2"],
            problem:
                "record.redacted for retention-ended leaves seq {close-OLD2} (case.closed) of family OLD2 unredacted: it redacts every line of the family but its holds'"
        ),
        Forgery(
            what: "a record listing a line it did not redact", family: "OLD2",
            reason: "wrong-family", redacted: ["note-OLD2"], listed: ["note-OLD2", "visit-OLD2"],
            problem:
                "record.redacted \"rr-forged\" lists seq {visit-OLD2}, which is no line it redacted (only ledger redact writes one)"
        ),
        Forgery(
            what: "a hold's line redacted", family: "LIFTED",
            redacted: ["ref-LIFTED", "close-LIFTED", "hold-L"],
            problem:
                "record.redacted \"rr-forged\" redacted seq {hold-L}, a hold.placed, which is never redacted (a hold's line records why a record was kept)"
        ),
        Forgery(
            what: "a record by a worker", family: "OLD2",
            redacted: ["ref-OLD2", "note-OLD2", "visit-OLD2", "close-OLD2"],
            actor: ("w-017", "fsw"),
            problem:
                "would be refused today: actor.role: record.redacted needs a manager (fs-coordinator, operations-manager, senior-fow, team-leader, team-manager), not fsw"
        ),
        Forgery(
            what: "a record that keeps every rule the log can show", family: "LIFTED",
            redacted: ["ref-LIFTED", "close-LIFTED"], problem: nil),
    ]

    @Test("verify judges a record.redacted written by hand", arguments: forgeries)
    func forged(_ forgery: Forgery) throws {
        let (directory, log) = CLIWriteTests.initialized()
        try #require(Self.append(Self.forgeHistory, log, in: directory).status == 0)
        var lines = readLines(log)
        func seq(_ id: String) throws -> Int {
            try #require(lines.firstIndex { $0.contains(#""id":"\#(id)""#) }) + 1
        }
        let notice =
            #"{"on":"\#(Self.today)","reason":"\#(forgery.reason)","by":"\#(forgery.actor.0)","record":"rr-forged"}"#
        for id in forgery.redacted {
            let index = try seq(id) - 1
            let data = try #require(lines[index].firstRange(of: #","data":"#))
            lines[index] =
                String(lines[index][..<data.lowerBound]) + #","redacted":\#(notice)}"#
        }
        let record = Self.event(
            "rr-forged", "org", "record.redacted", Self.today, actor: forgery.actor.0,
            role: forgery.actor.1,
            [
                "family": .string(forgery.family),
                "seqs": .array(
                    try (forgery.listed ?? forgery.redacted).map { JSONValue.int(try seq($0)) }),
                "reason": .string(forgery.reason),
            ])
        writeBytes(try Self.appendedByHand(lines, [record]), to: log)
        guard var problem = forgery.problem else {
            let verify = Subprocess.ledger(["verify", "--log", log], in: directory)
            #expect(verify.status == 0, "\(forgery.what): \(verify.stderr)")
            return
        }
        for id in ["close-OLD2", "visit-OLD2", "hold-L"] {
            problem = problem.replacing("{\(id)}", with: "\(try seq(id))")
        }
        Self.expectVerifyFails(
            log, in: directory, seq: lines.count + 1, problem: problem, forgery.what)
    }
}
