import EventLog
import LedgerCore
import LedgerEngine
import LedgerTestSupport
import Testing

/// EVENTS.md §"Corrections": a correction or void is judged as its target would be, at the target's place in the
/// log (the workforce and the children then, not now), and what the log says after the target must still hold
/// with it made. Two adversaries found both broken: a February allocation corrected to a worker registered in
/// April, a February UFRN corrected to fit a baby born since, an approval voided under the closure that rested
/// on it, a manager's registration corrected to an FSW after their manager's acts. `verify` must reach the same
/// verdict, in the same words, on a log written around the rule by hand.
@Suite("Corrections judged at their target's place")
struct CorrectionPlaceTests {
    static let family = "family:F-1"

    static func event(
        _ id: String, _ type: String, _ on: String, stream: String = family,
        actor: String = "m-001", role: String = "team-manager", _ data: JSONValue
    ) -> String {
        Events.line(
            id: id, stream: stream, type: type, on: on, actor: actor, role: role, data: data)
    }

    static func child(_ id: String, dob: String) -> JSONValue {
        ["id": .string(id), "name": .string("Child \(id)"), "role": "child", "dob": .string(dob)]
    }

    static func referral(
        _ id: String = "f1-ref", on: String, stream: String = family, children: [JSONValue]
    ) -> String {
        event(
            id, "referral.received", on, stream: stream,
            [
                "source": "school", "reason": "Attendance",
                "members": .array([["id": "P1", "name": "Parent", "role": "parent"]] + children),
            ])
    }

    static func corrected(
        _ id: String, target: String, _ data: JSONValue, actor: String = "m-001",
        role: String = "team-manager", stream: String = family
    ) -> String {
        event(
            id, "event.corrected", "2026-05-01", stream: stream, actor: actor, role: role,
            ["target": .string(target), "reason": "entered wrongly", "data": data])
    }

    static func voided(_ id: String, target: String, stream: String = family) -> String {
        event(
            id, "event.voided", "2026-05-01", stream: stream,
            ["target": .string(target), "reason": "in error"])
    }

    /// The February history and the April changes of bug_place.sh: w-018 registered in January and left in
    /// April; w-019 registered in April; F-1's children C150 (2018) and C160 (2016) in February, a baby C999
    /// added in April.
    static let placeHistory: [String] =
        Events.staff + [
            Events.worker("w-018"),
            referral(
                on: "2026-02-02",
                children: [child("C150", dob: "2018-06-01"), child("C160", dob: "2016-06-01")]),
            event(
                "f1-wa", "worker.allocated", "2026-02-06",
                ["worker": "w-017", "relationship": "lead"]),
            event(
                "f1-ufrn", "ufrn.assigned", "2026-02-06", ["ufrn": "EH03C150F", "locality": "03"]),
            Events.worker("w-019", on: "2026-04-01"),
            event(
                "f1-baby", "family.member.added", "2026-04-02",
                ["member": child("C999", dob: "2026-03-30")]),
            Events.line(
                id: "w18-left", stream: "worker:w-018", type: "worker.left", on: "2026-04-03",
                actor: "hr", role: "system"),
        ]

    /// bug_later.sh: a closure by an FSW resting on a manager's approval (the policy needs sign-off), a UFRN
    /// for the only child, and the manager's acts.
    static let laterHistory: [String] =
        Events.staff + [
            referral("s1-ref", on: "2026-01-05", children: [child("K1", dob: "2015-01-01")]),
            event("s1-ufrn", "ufrn.assigned", "2026-01-06", ["ufrn": "EH03K1F", "locality": "03"]),
            event(
                "s1-wa", "worker.allocated", "2026-01-06",
                ["worker": "w-017", "relationship": "lead"]),
            event("s1-ap", "closure.approved", "2026-03-01", ["reason": "done"]),
            event(
                "s1-cl", "case.closed", "2026-03-02", actor: "w-017", role: "fsw",
                ["reason": "met-outcomes"]),
        ]

    static let reRefHistory: [String] =
        Events.staff + [
            referral("r1", on: "2026-01-05", children: [child("K1", dob: "2015-01-01")]),
            event("r1-cl", "case.closed", "2026-02-01", ["reason": "met-outcomes"]),
            referral("r2", on: "2026-03-05", children: [child("K1", dob: "2015-01-01")]),
            event(
                "r2-v", "visit.completed", "2026-03-06", actor: "w-017", role: "fsw",
                ["kind": "home"]),
        ]

    struct Case: Sendable, CustomStringConvertible {
        var what: String
        var policy: String
        var history: [String]
        var event: String
        /// The refusal's field and rule (nil: accepted).
        var refusal: String?
        var description: String { what }
    }

    static let cases: [Case] = placeCases + leftoverCases

    static let placeCases: [Case] = [
        Case(
            what: "a February allocation corrected to a worker registered in April",
            policy: "warwickshire-fsw", history: placeHistory,
            event: corrected("q1", target: "f1-wa", ["worker": "w-019", "relationship": "lead"]),
            refusal:
                #"data.data.worker: "w-019" is not a registered worker (as worker.allocated "f1-wa" must, at its place: seq 8)"#
        ),
        Case(
            what: "a February UFRN corrected to fit a baby added in April",
            policy: "warwickshire-fsw", history: placeHistory,
            event: corrected("q2", target: "f1-ufrn", ["ufrn": "EH03C999F", "locality": "03"]),
            refusal:
                #"data.data.ufrn: must be EH03C150F: EH + locality 03 + youngest child C150 + F (as ufrn.assigned "f1-ufrn" must, at its place: seq 9)"#
        ),
        Case(
            what: "a February allocation corrected to a worker registered then who has left since",
            policy: "warwickshire-fsw", history: placeHistory,
            event: corrected("q3", target: "f1-wa", ["worker": "w-018", "relationship": "lead"]),
            refusal: nil),
        Case(
            what: "a February UFRN corrected to another locality, for the child youngest then",
            policy: "warwickshire-fsw", history: placeHistory,
            event: corrected("q4", target: "f1-ufrn", ["ufrn": "EH04C150F", "locality": "04"]),
            refusal: nil),
        Case(
            what: "the approval voided under the FSW's closure that rested on it",
            policy: "strengthening-families", history: laterHistory,
            event: voided("v1", target: "s1-ap"),
            refusal:
                #"data.target: voiding "s1-ap" would leave the case.closed at seq 10, a closure by a non-manager, without the manager's sign-off the policy in force needs"#
        ),
        Case(
            what: "the referral corrected to a younger child, under a UFRN for the older",
            policy: "strengthening-families", history: laterHistory,
            event: corrected(
                "c2", target: "s1-ref",
                [
                    "source": "school", "reason": "Attendance",
                    "members": [child("K1", dob: "2015-01-01"), child("K9", dob: "2020-01-01")],
                ]),
            refusal:
                #"data.target: correcting "s1-ref" would leave the ufrn.assigned at seq 7 wrong: it names child K1, and the youngest child then would be K9"#
        ),
        Case(
            what: "HR correcting a manager's registration to fsw after their manager's acts",
            policy: "strengthening-families", history: laterHistory,
            event: corrected(
                "c3", target: "reg-m-001",
                ["name": "Worker m-001", "role": "fsw", "team": "north", "fte": 1],
                actor: "hr", role: "system", stream: "worker:m-001"),
            refusal:
                #"data.target: correcting "reg-m-001" would leave "s1-ref" (seq 6), which m-001 recorded as team-manager, by a worker then as fsw; record the change from now on with worker.changed"#
        ),
        Case(
            what: "HR correcting the name on a manager's registration",
            policy: "strengthening-families", history: laterHistory,
            event: corrected(
                "c4", target: "reg-m-001",
                ["name": "Mo Manager", "role": "team-manager", "team": "north", "fte": 1],
                actor: "hr", role: "system", stream: "worker:m-001"),
            refusal: nil),
        Case(
            what: "the closure voided first, then the approval may go",
            policy: "strengthening-families",
            history: laterHistory + [voided("v0", target: "s1-cl")],
            event: voided("v1", target: "s1-ap"), refusal: nil),
        Case(
            what: "a correction of a voided event",
            policy: "warwickshire-fsw",
            history: placeHistory + [voided("v2", target: "f1-wa")],
            event: corrected("q5", target: "f1-wa", ["worker": "w-017", "relationship": "second"]),
            refusal:
                #"data.target: "f1-wa" was voided (event.voided): it is in no projection; record the event anew"#
        ),
        Case(
            what: "a closure voided after a new referral opened another episode",
            policy: "warwickshire-fsw", history: reRefHistory,
            event: voided("v3", target: "r1-cl"),
            refusal:
                #"data.target: voiding "r1-cl" would leave the referral.received at seq 8 opening an episode while this one was still open"#
        ),
        Case(
            what: "a referral voided under the later work of its episode",
            policy: "warwickshire-fsw", history: reRefHistory,
            event: voided("v4", target: "r2"),
            refusal:
                #"data.target: voiding "r2" would leave 1 later event(s) of its episode in no episode: void them first"#
        ),
        Case(
            what: "the referral corrected to leave out a child whose leaving is recorded later",
            policy: "warwickshire-fsw",
            history: Events.staff + [
                referral(
                    "m-ref", on: "2026-01-05",
                    children: [child("K1", dob: "2015-01-01"), child("K2", dob: "2016-01-01")]),
                event("k2-left", "family.member.left", "2026-01-07", ["memberId": "K2"]),
            ],
            event: corrected(
                "c6", target: "m-ref",
                [
                    "source": "school", "reason": "Attendance",
                    "members": [child("K1", dob: "2015-01-01")],
                ]),
            refusal:
                #"data.target: correcting "m-ref" would leave the family.member.left at seq 7 naming "K2", then no member of the family"#
        ),
    ]

    static func initialized(_ policy: String) -> (TemporaryDirectory, String) {
        let directory = TemporaryDirectory()
        let log = directory.file("ledger.jsonl")
        let result = Subprocess.ledger(
            [
                "init", "--log", log, "--policy", policy, "--system", "hr:hr-feed", "--system",
                "dm:data-matching",
            ],
            environment: CLIWriteTests.now, in: directory)
        #expect(result.status == 0, "\(result.stderr)")
        return (directory, log)
    }

    static func append(_ lines: [String], log: String, in directory: TemporaryDirectory)
        -> Subprocess.Result
    {
        Subprocess.ledger(
            ["append", "--log", log], environment: CLIWriteTests.now,
            stdin: lines.joined(separator: "\n") + "\n", in: directory)
    }

    @Test(
        "append judges the correction at its target's place, and what follows it", arguments: cases)
    func append(_ example: Case) throws { try Self.checkAppend(example) }

    /// Appends the case's history, then its event: refused in the case's words with nothing changed, or accepted
    /// and verified.
    static func checkAppend(_ example: Case) throws {
        let (directory, log) = Self.initialized(example.policy)
        let history = Self.append(example.history, log: log, in: directory)
        try #require(history.status == 0, "\(history.stderr)")
        let before = try readLines(log)
        let result = Self.append([example.event], log: log, in: directory)
        if let refusal = example.refusal {
            #expect(result.status != 0, "\(example.what): accepted")
            #expect(result.stderr.contains(refusal), "\(example.what): \(result.stderr)")
            #expect(try readLines(log) == before, "nothing changed")
        } else {
            #expect(result.status == 0, "\(example.what): \(result.stderr)")
            let verify = Subprocess.ledger(["verify", "--log", log], in: directory)
            #expect(verify.status == 0, "\(example.what): \(verify.stderr)")
        }
    }

    /// The same history and event written by hand, hashes and all: verify refuses it at the event's seq with the
    /// append's words (in one shard and in several).
    @Test(
        "verify refuses what append refuses, in the same words",
        arguments: cases.filter { $0.refusal != nil })
    func verify(_ example: Case) throws { try Self.checkVerify(example) }

    /// Writes the case's history and event by hand: verify refuses the event at its seq, in the append's words.
    static func checkVerify(_ example: Case) throws {
        let refusal = try #require(example.refusal)
        let directory = TemporaryDirectory()
        let log = directory.file("raw.jsonl")
        let policy = Events.line(
            id: "policy", stream: "org", type: "policy.adopted", on: "1990-01-01", actor: "ledger",
            role: "system",
            data: ["profile": .string(example.policy), "effectiveFrom": "1990-01-01"])
        let lines = [policy] + Events.systems + example.history + [example.event]
        try RawLog.write(lines, to: log)
        let result = Subprocess.ledger(["verify", "--log", log], in: directory)
        #expect(result.status != 0, "\(example.what): verified")
        let output = result.stdout + result.stderr
        #expect(output.contains("first bad seq \(lines.count)"), "\(example.what): \(output)")
        #expect(
            output.contains("would be refused today: \(refusal)"), "\(example.what): \(output)")
        // The state is folded by family in shards: the verdict does not depend on how many.
        for shards in [1, 3] {
            #expect(
                throws: VerifyFailure(
                    seq: lines.count, line: lines.count,
                    problem: "would be refused today: \(refusal)")
            ) { try LedgerVerifier.verify(path: log, shards: shards) }
        }
    }

    /// verify folds the families in shards, and a worker's acts fall in several: each shard knows the first act in
    /// its own families, and the refusal names the earliest of all, as the append does.
    @Test(
        "a manager's role corrected after acts in several families: the earliest act named",
        arguments: [1, 2, 3, 5])
    func earliestActAcrossShards(shards: Int) throws {
        let families = (1...6).map { "family:G-\($0)" }
        // m-001's acts, latest family first: whichever shard holds G-6 holds the first act.
        let referrals = families.reversed().map { stream in
            Self.referral(
                "ref-\(stream.dropFirst(7))", on: "2026-01-05", stream: stream,
                children: [Self.child("K1", dob: "2015-01-01")])
        }
        let correction = Self.corrected(
            "c5", target: "reg-m-001",
            ["name": "Worker m-001", "role": "fsw", "team": "north", "fte": 1],
            actor: "hr", role: "system", stream: "worker:m-001")
        let (directory, log) = Self.initialized("warwickshire-fsw")
        try #require(Self.append(Events.staff + referrals, log: log, in: directory).status == 0)
        let refused = Self.append([correction], log: log, in: directory)
        let words =
            #"data.target: correcting "reg-m-001" would leave "ref-G-6" (seq 6), which m-001 recorded as team-manager, by a worker then as fsw; record the change from now on with worker.changed"#
        #expect(refused.stderr.contains(words), "\(refused.stderr)")
        let raw = directory.file("raw.jsonl")
        let policy = Events.line(
            id: "policy", stream: "org", type: "policy.adopted", on: "1990-01-01", actor: "ledger",
            role: "system",
            data: ["profile": "warwickshire-fsw", "effectiveFrom": "1990-01-01"])
        let lines = [policy] + Events.systems + Events.staff + referrals + [correction]
        try RawLog.write(lines, to: raw)
        #expect(
            throws: VerifyFailure(
                seq: lines.count, line: lines.count, problem: "would be refused today: \(words)")
        ) { try LedgerVerifier.verify(path: raw, shards: shards) }
    }
}
