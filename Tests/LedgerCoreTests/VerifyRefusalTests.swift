import EventLog
import LedgerCore
import LedgerEngine
import LedgerTestSupport
import Testing

/// `ledger verify` re-validates every event as the append would have: a log whose chain is intact but which holds
/// an event the contract refuses fails at that event, with the append's reason, whichever stage of the verifier
/// finds it and however many shards the state is folded in.
@Suite("Verification re-validates every event")
struct VerifyRefusalTests {
    static let policy =
        #"{"id":"p","stream":"org","type":"policy.adopted","occurredAt":"1990-01-01","actor":{"id":"ledger","role":"system"},"data":{"profile":"leicestershire-early-help","effectiveFrom":"1990-01-01"}}"#

    /// The policy, two workers, referrals for families F-1 to F-`families`, then `events`.
    static func log(_ events: [String], families: Int = 2) -> [String] {
        [policy] + Events.systems + Events.staff
            + (1...families).map { Events.referral("F-\($0)", id: "ref-\($0)", on: "2026-02-02") }
            + events
    }

    static func visit(_ family: String, id: String, actor: String = "w-017", role: String = "fsw")
        -> String
    {
        Events.line(
            id: id, stream: "family:\(family)", type: "visit.completed", on: "2026-02-05",
            actor: actor, role: role,
            data: ["kind": "home"])
    }

    static func failure(_ lines: [String], shards: Int) throws -> VerifyFailure? {
        let directory = TemporaryDirectory()
        let path = directory.file("raw.jsonl")
        try RawLog.write(lines, to: path)
        do {
            _ = try LedgerVerifier.verify(path: path, shards: shards)
            return nil
        } catch let failure as VerifyFailure {
            return failure
        }
    }

    static let cases: [(what: String, event: String, reason: String)] = [
        (
            "an actor who is not registered", visit("F-1", id: "x", actor: "w-999"),
            "actor.id: \"w-999\" is not a registered worker"
        ),
        (
            "a score outside 1–10",
            Events.line(
                id: "x", stream: "family:F-1", type: "assessment.completed", on: "2026-02-05",
                data: ["kind": "family-star", "familyStar": Events.star(4, ["keepingSafe": 11])]),
            "data.familyStar.keepingSafe: 11 is outside 1–10"
        ),
        (
            "work on a family with no referral", visit("F-9", id: "x"),
            "visit.completed needs an open episode and family F-9 has none"
        ),
        (
            "a manager's event by an FSW",
            Events.line(
                id: "x", stream: "family:F-1", type: "closure.approved", on: "2026-02-05",
                data: ["reason": "done"]), "actor.role: closure.approved needs a manager"
        ),
        (
            "a correction of an event that comes later",
            Events.line(
                id: "x", stream: "family:F-1", type: "event.voided",
                on: "2026-02-05", data: ["target": "later", "reason": "typo"]),
            "data.target: no event \"later\" in the log"
        ),
        (
            "a correction of another family's event",
            Events.line(
                id: "x", stream: "family:F-1", type: "event.voided",
                on: "2026-02-05", data: ["target": "ref-2", "reason": "typo"]),
            "data.target: \"ref-2\" is on family:F-2, not family:F-1"
        ),
        (
            "a change to a worker never registered",
            Events.line(
                id: "x", stream: "worker:w-404", type: "worker.changed",
                on: "2026-02-05", actor: "hr", role: "system", data: ["fte": 1]),
            "stream: worker w-404 is not registered"
        ),
        (
            "an unknown data member",
            Events.line(
                id: "x", stream: "family:F-1", type: "visit.completed", on: "2026-02-05",
                data: ["kind": "home", "mood": "good"]), "data.mood: unknown member"
        ),
    ]

    @Test(
        "each refusal is named at its seq, in one shard and in several", arguments: cases,
        [1, 2, 3])
    func refusal(_ example: (what: String, event: String, reason: String), shards: Int) throws {
        let lines = Self.log([
            Self.visit("F-1", id: "ok-1"), example.event, Self.visit("F-2", id: "later"),
        ])
        let failure = try #require(
            try Self.failure(lines, shards: shards), "\(example.what) not caught")
        #expect(failure.seq == 9, "\(example.what): \(failure)")
        #expect(failure.problem.hasPrefix("would be refused today: "), "\(failure.problem)")
        #expect(failure.problem.contains(example.reason), "\(example.what): \(failure.problem)")
    }

    @Test(
        "with refusals in several families, the earliest is named, whichever shard holds it",
        arguments: [1, 2, 3, 5])
    func earliestAcrossShards(shards: Int) throws {
        // Families F-1…F-6 fall in different shards; the first refusal is at seq 15 (F-6), a later one at 16 (F-1).
        var events = (1...6).map { Self.visit("F-\($0)", id: "ok-\($0)") }
        events.append(Self.visit("F-6", id: "bad-6", actor: "w-999"))
        events.append(Self.visit("F-1", id: "bad-1", actor: "w-998"))
        let failure = try #require(try Self.failure(Self.log(events, families: 6), shards: shards))
        #expect(failure.seq == 5 + 6 + 6 + 1, "\(failure)")
        #expect(failure.problem.contains("w-999"))
    }

    @Test(
        "a broken chain before a refusal is named first; a refusal before a duplicate id is named first",
        arguments: [1, 2])
    func chainAndStateTogether(shards: Int) throws {
        let refusedThenDuplicate = Self.log([
            Self.visit("F-1", id: "bad", actor: "w-999"), Self.visit("F-2", id: "ref-1"),
        ])
        let first = try #require(try Self.failure(refusedThenDuplicate, shards: shards))
        #expect(first.seq == 8 && first.problem.contains("w-999"), "\(first)")
        let duplicateThenRefused = Self.log([
            Self.visit("F-2", id: "ref-1"), Self.visit("F-1", id: "bad", actor: "w-999"),
        ])
        let second = try #require(try Self.failure(duplicateThenRefused, shards: shards))
        #expect(second.seq == 8 && second.problem.contains("appears twice"), "\(second)")
    }

    @Test("a log of valid events written this way verifies (the helper itself is sound)")
    func validRawLog() throws {
        #expect(try Self.failure(Self.log([Self.visit("F-1", id: "v")]), shards: 2) == nil)
    }
}
