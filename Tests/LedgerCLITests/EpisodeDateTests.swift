import EventLog
import LedgerCore
import LedgerTestSupport
import Testing

/// Every projection takes a family's events by date (then seq), so an event the writer accepts must stand in an
/// episode at its date: work dated before the referral that opened the episode (and in no earlier episode), a
/// closure dated before its episode's latest work, and a referral dated before the previous episode closed would
/// each stand in none, acknowledged yet in no projection but the timeline. Each is refused through the binary,
/// naming the field and the dates, and `verify` refuses the same history written by hand, at the same seq, in the
/// same words. A late entry dated inside an earlier episode is accepted and stands in that episode.
@Suite("ledger CLI: an event stands in an episode at its date")
struct EpisodeDateTests {
    static let now = CLIWriteTests.now

    static func event(
        _ id: String, _ type: String, _ on: String, family: String = "A", manager: Bool = false,
        _ data: JSONValue = [:]
    ) -> String {
        Events.line(
            id: id, stream: "family:\(family)", type: type, on: on,
            actor: manager ? "m-001" : "w-017", role: manager ? "team-manager" : "fsw", data: data)
    }

    static func visit(_ id: String, on date: String) -> String {
        event(id, "visit.completed", date, ["kind": "home"])
    }

    static func close(_ id: String, on date: String) -> String {
        event(id, "case.closed", date, manager: true, ["reason": "met-outcomes"])
    }

    /// Family A: a first episode from 2 February to 2 March 2026, a second referred on 1 June, a visit on
    /// 10 June.
    static let history: [String] =
        Events.staff + [
            Events.referral("A", id: "ref-1", on: "2026-02-02"),
            visit("v-1", on: "2026-02-10"),
            close("close-1", on: "2026-03-02"),
            Events.referral("A", id: "ref-2", on: "2026-06-01"),
            visit("v-2", on: "2026-06-10"),
        ]

    static func logged() throws -> (TemporaryDirectory, String) {
        let (directory, log) = CLIWriteTests.initialized()
        let appended = DisposalTests.append(history, log, in: directory)
        try #require(appended.status == 0, "\(appended.stderr)")
        return (directory, log)
    }

    struct Case: Sendable, CustomTestStringConvertible {
        let name: String
        let line: String
        let rule: String
        var testDescription: String { name }
    }

    static let refused: [Case] = [
        Case(
            name: "a visit before the second referral, after the first episode closed",
            line: visit("v-gap", on: "2026-04-15"),
            rule:
                "occurredAt: 2026-04-15 is before the referral that opened this episode (2026-06-01) and in no earlier episode: the family had no open episode then, so the event would stand in none (check the date)"
        ),
        Case(
            name: "a visit before the first referral",
            line: visit("v-early", on: "2026-01-20"),
            rule:
                "occurredAt: 2026-01-20 is before the referral that opened this episode (2026-06-01) and in no earlier episode: the family had no open episode then, so the event would stand in none (check the date)"
        ),
        Case(
            name: "a visit on the first episode's closing day, entered after its closure",
            line: visit("v-closing-day", on: "2026-03-02"),
            rule:
                "occurredAt: 2026-03-02 is the day an earlier episode of the family closed: entered after its closure, the event would come after it when the family's events are taken by date, in no episode (an event of the closing day is recorded before the closure; check the date)"
        ),
        Case(
            name: "a closure dated before the episode's latest work",
            line: close("close-early", on: "2026-06-05"),
            rule:
                "occurredAt: 2026-06-05 is before work of this episode dated 2026-06-10: that work would come after the closure when the family's events are taken by date, in no episode (date the closure on or after 2026-06-10)"
        ),
    ]

    /// `line` is refused on line 1 with `rule`, the log as it was; and `verify` refuses the same line written by
    /// hand, at its seq, in the same words, whatever the number of shards. The log is put back after.
    static func expectRefused(
        _ line: String, rule: String, log: String, in directory: TemporaryDirectory, _ what: String
    ) throws {
        let before = readBytes(log)
        let result = DisposalTests.append([line], log, in: directory)
        #expect(result.status == 1, "\(what)")
        let id = try #require(try JSONParser.parse(line).objectValue?["id"]?.stringValue)
        #expect(result.stderr.contains("line 1 (id \(id)): \(rule)"), "\(result.stderr)")
        #expect(readBytes(log) == before, "\(what): nothing changed")
        let lines = readLines(log)
        writeBytes(try DisposalTests.appendedByHand(lines, [line]), to: log)
        DisposalTests.expectVerifyFails(
            log, in: directory, seq: lines.count + 1, problem: "would be refused today: \(rule)",
            what)
        writeBytes(before, to: log)
    }

    @Test(
        "refused, naming the date that leaves it in no episode; nothing written", arguments: refused
    )
    func refusedWork(_ refusal: Case) throws {
        let (directory, log) = try Self.logged()
        try Self.expectRefused(
            refusal.line, rule: refusal.rule, log: log, in: directory, refusal.name)
    }

    @Test(
        "a referral dated before the previous episode closed is refused; on its closing day it opens one"
    )
    func referralBeforeClosure() throws {
        let (directory, log) = try Self.logged()
        let closed = DisposalTests.append(
            [Self.close("close-2", on: "2026-07-01")], log, in: directory)
        try #require(closed.status == 0, "\(closed.stderr)")
        try Self.expectRefused(
            Events.referral("A", id: "ref-3", on: "2026-06-20"),
            rule:
                "occurredAt: 2026-06-20 is before the family's previous episode closed (2026-07-01): the referral would come inside that episode when the family's events are taken by date, and open none (date it on or after 2026-07-01)",
            log: log, in: directory, "a referral inside the closed episode")
        let sameDay = DisposalTests.append(
            [Events.referral("A", id: "ref-3", on: "2026-07-01")], log, in: directory)
        #expect(sameDay.status == 0, "\(sameDay.stderr)")
        let families = Subprocess.ledger(
            ["families", "--as-of", "2026-07-02", "--log", log], environment: Self.now,
            in: directory)
        #expect(
            families.stdout.contains(#""episode":3,"openedOn":"2026-07-01""#), "\(families.stdout)")
    }

    @Test("a late entry dated inside the first episode is accepted and stands in it")
    func lateEntryForEarlierEpisode() throws {
        let (directory, log) = try Self.logged()
        let late = DisposalTests.append(
            [Self.visit("v-late", on: "2026-02-20")], log, in: directory)
        #expect(late.status == 0, "\(late.stderr)")
        let verify = Subprocess.ledger(["verify", "--log", log], in: directory)
        #expect(verify.status == 0, "\(verify.stderr)")
        // A closure on the day of the latest work is accepted: that work, recorded first, comes before it.
        let closed = DisposalTests.append(
            [Self.close("close-2", on: "2026-06-10")], log, in: directory)
        #expect(closed.status == 0, "\(closed.stderr)")
        let families = Subprocess.ledger(
            ["families", "--as-of", "2026-06-30", "--log", log], environment: Self.now,
            in: directory)
        #expect(
            families.stdout.contains(
                #""episode":2,"openedOn":"2026-06-01","closedOn":"2026-06-10""#),
            "\(families.stdout)")
    }

    @Test(
        "the state file carries the episodes' dates: the same refusal after the state is read back")
    func stateCarriesSpans() throws {
        let (directory, log) = try Self.logged()
        // A second append reads the state file written by the first, not the log.
        let note = DisposalTests.append(
            [Self.event("n-1", "note.recorded", "2026-06-11", ["subject": "S", "body": "B"])], log,
            in: directory)
        #expect(note.status == 0, "\(note.stderr)")
        let gap = DisposalTests.append([Self.visit("v-gap", on: "2026-04-15")], log, in: directory)
        #expect(gap.status == 1)
        #expect(
            gap.stderr.contains(
                "2026-04-15 is before the referral that opened this episode (2026-06-01)"))
    }

    // MARK: Late entries and voids (adversary #6)

    static func void(_ id: String, _ target: String) -> String {
        Self.event(
            id, "event.voided", "2026-11-20", manager: true,
            ["target": .string(target), "reason": "wrong date"])
    }

    @Test(
        "a closure.approved entered late for the first episode signs off no closure of the second")
    func lateApprovalSignsOffNothingNow() throws {
        let directory = TemporaryDirectory()
        let log = directory.file("ledger.jsonl")
        let initialized = Subprocess.ledger(
            ["init", "--log", log, "--policy", "strengthening-families", "--system", "hr:hr-feed"],
            environment: Self.now, in: directory)
        try #require(initialized.status == 0, "\(initialized.stderr)")
        let history =
            Events.staff + [
                Events.referral("A", id: "ref-1", on: "2026-01-05"),
                Self.close("close-1", on: "2026-03-01"),
                Events.referral("A", id: "ref-2", on: "2026-04-01"),
                Self.event(
                    "ap-late", "closure.approved", "2026-02-15", manager: true,
                    ["reason": "Late entry"]),
            ]
        let appended = DisposalTests.append(history, log, in: directory)
        try #require(appended.status == 0, "\(appended.stderr)")
        let byWorker = Self.event(
            "close-2", "case.closed", "2026-05-01", ["reason": "met-outcomes"])
        try Self.expectRefused(
            byWorker,
            rule:
                "actor.role: case.closed needs a manager (fs-coordinator, operations-manager, senior-fow, team-leader, team-manager), not fsw (the policy in force needs a manager's sign-off: a manager closes it, or a closure.approved first)",
            log: log, in: directory, "an FSW's closure on an approval of the episode before")
        // An approval of this episode signs it off.
        let signed = DisposalTests.append(
            [
                Self.event(
                    "ap-2", "closure.approved", "2026-04-20", manager: true, ["reason": "Done"]),
                byWorker,
            ],
            log, in: directory)
        #expect(signed.status == 0, "\(signed.stderr)")
    }

    @Test(
        "a voided event's date holds no closure back: a visit or a closure entered with the wrong date"
    )
    func voidedWorkHoldsNothing() throws {
        let (directory, log) = CLIWriteTests.initialized()
        let appended = DisposalTests.append(
            Events.staff + [
                Events.referral("A", id: "ref-1", on: "2026-01-05"),
                Self.visit("v-1", on: "2026-01-10"),
                Self.visit("v-typo", on: "2026-10-10"), Self.void("void-1", "v-typo"),
                Events.referral("B", id: "ref-B", on: "2026-01-05"),
                Self.event(
                    "close-typo", "case.closed", "2026-10-01", family: "B", manager: true,
                    ["reason": "met-outcomes"]),
                Self.event(
                    "void-2", "event.voided", "2026-11-20", family: "B", manager: true,
                    ["target": "close-typo", "reason": "wrong date"]),
            ], log, in: directory)
        try #require(appended.status == 0, "\(appended.stderr)")
        let closed = DisposalTests.append(
            [
                Self.close("close-1", on: "2026-03-01"),
                Self.event(
                    "close-B", "case.closed", "2026-03-01", family: "B", manager: true,
                    ["reason": "met-outcomes"]),
            ], log, in: directory)
        #expect(closed.status == 0, "\(closed.stderr)")
        let verify = Subprocess.ledger(["verify", "--log", log], in: directory)
        #expect(verify.status == 0, "\(verify.stderr)")
        // Work not voided still holds it back.
        let (again, second) = CLIWriteTests.initialized()
        let kept = DisposalTests.append(
            Events.staff + [
                Events.referral("A", id: "ref-1", on: "2026-01-05"),
                Self.visit("v-1", on: "2026-01-10"),
            ]
                + (2...6).map { Self.visit("v-\($0)", on: "2026-02-0\($0)") } + [
                    Self.void("void-6", "v-6")
                ],
            second, in: again)
        try #require(kept.status == 0, "\(kept.stderr)")
        let early = DisposalTests.append(
            [Self.close("close-1", on: "2026-02-04")], second, in: again)
        #expect(early.status == 1)
        #expect(
            early.stderr.contains("is before work of this episode dated 2026-02-05"),
            "\(early.stderr)")
    }

    @Test(
        "a late entry for the first episode is no dependent of the second's referral, which can be voided"
    )
    func lateEntryIsNoDependent() throws {
        let (directory, log) = try Self.logged()
        let late = DisposalTests.append(
            [Self.visit("v-late", on: "2026-02-20")], log, in: directory)
        try #require(late.status == 0, "\(late.stderr)")
        // The second episode's own visit is its dependent: void it, then the referral.
        let voided = DisposalTests.append(
            [Self.void("void-v2", "v-2"), Self.void("void-ref2", "ref-2")], log, in: directory)
        #expect(voided.status == 0, "\(voided.stderr)")
        let verify = Subprocess.ledger(["verify", "--log", log], in: directory)
        #expect(verify.status == 0, "\(verify.stderr)")
        let families = Subprocess.ledger(
            ["families", "--as-of", "2026-11-20", "--log", log], environment: Self.now,
            in: directory)
        #expect(
            families.stdout.contains(
                #""episode":1,"openedOn":"2026-02-02","closedOn":"2026-03-02""#),
            "\(families.stdout)")
    }

    /// Family A's first episode had one child (c-1); the second's referral brings a baby (b-2, born in March) and
    /// an older sibling (s-3).
    static let twoEpisodes: [String] =
        Events.staff + [
            Events.referral("A", id: "ref-1", on: "2026-01-05", childID: "c-1"),
            close("close-1", on: "2026-03-01"),
            Events.line(
                id: "ref-2", stream: "family:A", type: "referral.received", on: "2026-04-01",
                actor: "m-001", role: "team-manager",
                data: [
                    "source": "school", "reason": "Again",
                    "members": [
                        ["id": "c-1", "name": "Kid", "dob": "2015-04-01", "role": "child"],
                        ["id": "b-2", "name": "Baby", "dob": "2026-03-20", "role": "child"],
                        ["id": "s-3", "name": "Sister", "dob": "2012-06-01", "role": "child"],
                    ],
                ]),
        ]

    @Test(
        "a late entry for the first episode is judged as the family was then: its UFRN, who left, who joined"
    )
    func lateEntryJudgedThen() throws {
        let (directory, log) = CLIWriteTests.initialized()
        let appended = DisposalTests.append(Self.twoEpisodes, log, in: directory)
        try #require(appended.status == 0, "\(appended.stderr)")
        func ufrn(_ id: String, _ value: String) -> String {
            Self.event(
                id, "ufrn.assigned", "2026-02-01", ["ufrn": .string(value), "locality": "03"])
        }
        let refusals: [(String, String)] = [
            // The baby was not born in February: the youngest child then was c-1.
            (
                ufrn("u-baby", "EH03b-2F"),
                "line 1 (id u-baby): data.ufrn: must be EH03c-1F: EH + locality 03 + youngest child c-1 + F"
            ),
            (
                Self.event("left-baby", "family.member.left", "2026-02-01", ["memberId": "b-2"]),
                "line 1 (id left-baby): data.memberId: \"b-2\" is not a member of the family"
            ),
        ]
        for (line, words) in refusals {
            let before = readBytes(log)
            let refused = DisposalTests.append([line], log, in: directory)
            #expect(refused.status == 1 && refused.stderr.contains(words), "\(refused.stderr)")
            #expect(readBytes(log) == before)
        }
        let accepted = DisposalTests.append(
            [
                ufrn("u-then", "EH03c-1F"),
                Self.event(
                    "joined", "family.member.added", "2026-02-10",
                    [
                        "member": [
                            "id": "s-3", "name": "Sister", "dob": "2012-06-01", "role": "child",
                        ]
                    ]),
            ], log, in: directory)
        #expect(accepted.status == 0, "\(accepted.stderr)")
        let verify = Subprocess.ledger(["verify", "--log", log], in: directory)
        #expect(verify.status == 0, "\(verify.stderr)")
        let february = Subprocess.ledger(
            ["families", "--as-of", "2026-02-15", "--log", log], environment: Self.now,
            in: directory)
        #expect(february.stdout.contains(#""ufrn":"EH03c-1F""#), "\(february.stdout)")
    }
}
