import EventLog
import LedgerCore
import LedgerEngine
import LedgerTestSupport
import Testing

/// Every refusal class of EVENTS.md §6: the refusal names the line, the id, the field and the rule, and the log
/// is left exactly as it was.
@Suite("Refusals (EVENTS.md §6)")
struct RefusalTests {
    /// A log with staff registered and family F-1 referred (open episode); family F-2 closed.
    static func preparedLedger() throws -> TestLedger {
        let ledger = try TestLedger()
        try ledger.append(
            Events.staff + [
                Events.referral("F-1", on: "2026-02-02"),
                Events.referral("F-2", on: "2026-02-02"),
                Events.line(
                    id: "close-F-2", stream: "family:F-2", type: "case.closed", on: "2026-03-02",
                    data: ["reason": "met-outcomes"]),
            ])
        return ledger
    }

    static let visit = Events.line(
        id: "v-1", stream: "family:F-1", type: "visit.completed", on: "2026-02-05",
        data: ["kind": "home"])

    static func replacing(_ line: String, _ old: String, _ new: String) -> String {
        line.replacing(old, with: new)
    }

    // (what, line, field, rule fragment)
    static let cases: [(String, String, String, String)] = [
        ("malformed JSON", #"{"id":"x","stream":"family:F-1","#, "line", "malformed JSON"),
        ("not an object", #"[1,2,3]"#, "line", "must be a JSON object"),
        (
            "missing member",
            #"{"id":"x1","stream":"family:F-1","type":"visit.completed","actor":{"id":"w-017","role":"fsw"},"data":{"kind":"home"}}"#,
            "occurredAt", "is required"
        ),
        (
            "mistyped member",
            replacing(visit, #""actor":{"id":"w-017","role":"fsw"}"#, #""actor":"w-017""#), "actor",
            "must be an object"
        ),
        (
            "writer-supplied seq", replacing(visit, #"{"id""#, #"{"seq":5,"id""#), "seq",
            "set by the ledger"
        ),
        (
            "writer-supplied recordedAt",
            replacing(visit, #"{"id""#, #"{"recordedAt":"2026-01-01T00:00:00Z","id""#),
            "recordedAt", "set by the ledger"
        ),
        (
            "writer-supplied dataHash", replacing(visit, #"{"id""#, #"{"dataHash":"00","id""#),
            "dataHash", "set by the ledger"
        ),
        (
            "writer-supplied prev", replacing(visit, #"{"id""#, #"{"prev":"00","id""#), "prev",
            "set by the ledger"
        ),
        (
            "writer-supplied hash", replacing(visit, #"{"id""#, #"{"hash":"00","id""#), "hash",
            "set by the ledger"
        ),
        (
            "writer-supplied salt", replacing(visit, #"{"id""#, #"{"salt":"00","id""#), "salt",
            "set by the ledger"
        ),
        (
            "unknown top-level member", replacing(visit, #"{"id""#, #"{"colour":"red","id""#),
            "colour", "unknown member"
        ),
        (
            "unknown type", replacing(visit, "visit.completed", "visit.teleported"), "type",
            "unknown type"
        ),
        (
            "unknown role", replacing(visit, #""role":"fsw""#, #""role":"wizard""#), "actor.role",
            "is not one of"
        ),
        (
            "unknown enum value", replacing(visit, #""kind":"home""#, #""kind":"moon""#),
            "data.kind", "\"moon\" is not one of"
        ),
        (
            "unknown data member",
            replacing(visit, #""kind":"home""#, #""kind":"home","mood":"good""#), "data.mood",
            "unknown member"
        ),
        // A member inside a list is named by its place (the path is spelled only when a refusal names it).
        (
            "unknown role of a listed member",
            replacing(
                Events.referral("F-3", on: "2026-02-02"), #""role":"parent""#, #""role":"pet""#),
            "data.members[1].role", "\"pet\" is not one of"
        ),
        (
            "unknown member of a listed member",
            replacing(
                Events.referral("F-3", on: "2026-02-02"), #""role":"parent""#,
                #""role":"parent","shoe":"9""#),
            "data.members[1].shoe", "unknown member"
        ),
        (
            "out of range",
            Events.line(
                id: "a-1", stream: "family:F-1", type: "assessment.completed", on: "2026-02-05",
                data: ["kind": "family-star", "familyStar": Events.star(5, ["keepingSafe": 11])]),
            "data.familyStar.keepingSafe", "11 is outside 1–10"
        ),
        (
            "missing data member",
            Events.line(
                id: "c-1", stream: "family:F-1", type: "contact.attempted", on: "2026-02-05",
                data: ["method": "phone"]), "data.outcome", "is required"
        ),
        (
            "stream kind does not fit", replacing(visit, "family:F-1", "worker:w-017"), "stream",
            "belongs on a family stream"
        ),
        (
            "malformed stream", replacing(visit, "family:F-1", "family:F 1"), "stream",
            "must be family:<ref>"
        ),
        (
            "occurredAt after recordedAt", replacing(visit, "2026-02-05", "2026-11-24"),
            "occurredAt", "is after recordedAt"
        ),
        (
            "occurredAt instant after recordedAt",
            replacing(visit, "2026-02-05", "2026-11-23T12:00:01Z"), "occurredAt",
            "is after recordedAt"
        ),
        (
            "occurredAt before 1990", replacing(visit, "2026-02-05", "1989-12-31"), "occurredAt",
            "before 1990-01-01"
        ),
        (
            "occurredAt not a date", replacing(visit, "2026-02-05", "05/02/2026"), "occurredAt",
            "YYYY-MM-DD or an RFC 3339"
        ),
        (
            "no open episode", replacing(visit, "family:F-1", "family:F-2"), "type",
            "needs an open episode"
        ),
        (
            "never referred", replacing(visit, "family:F-1", "family:F-9"), "type",
            "it has no referral"
        ),
        (
            "second open episode", Events.referral("F-1", id: "ref-again", on: "2026-03-01"),
            "type", "already has an open episode"
        ),
        (
            "allocating an unregistered worker",
            Events.line(
                id: "al-1", stream: "family:F-1", type: "worker.allocated", on: "2026-02-05",
                data: ["worker": "w-999", "relationship": "lead"]), "data.worker",
            "not a registered worker"
        ),
        (
            "manager event by a non-manager",
            Events.line(
                id: "ad-1", stream: "family:F-1", type: "allocation.discussed", on: "2026-02-05",
                data: ["decision": "accepted"]), "actor.role", "needs a manager"
        ),
        (
            "unregistered actor", replacing(visit, "w-017", "w-404"), "actor.id",
            "not a registered worker"
        ),
        (
            "actor in the wrong role",
            replacing(visit, #""role":"fsw""#, #""role":"team-manager""#), "actor.role",
            "is registered as fsw"
        ),
        (
            "id with different content",
            replacing(visit, #""id":"v-1""#, #""id":"ref-F-1-2026-02-02""#), "id",
            "already in the log (seq 6) with different content"
        ),
        (
            "bad id grammar", replacing(visit, #""id":"v-1""#, #""id":"v 1""#), "id",
            "1–128 of A-Za-z0-9._:-"
        ),
        (
            "plan action not time-bound",
            Events.line(
                id: "p-1", stream: "family:F-1", type: "plan.agreed", on: "2026-02-05",
                data: [
                    "kind": "fsw-action-plan", "reviewBy": "2026-03-05",
                    "actions": [["id": "a1", "what": "School run", "who": "Mum"]],
                ]),
            "data.actions[0]", "needs due or everyDays"
        ),
        (
            "referral without a child",
            Events.line(
                id: "r-9", stream: "family:F-7", type: "referral.received", on: "2026-02-05",
                actor: "m-001", role: "team-manager",
                data: [
                    "source": "self", "reason": "Help",
                    "members": [["id": "p1", "name": "Dad", "role": "parent"]],
                ]),
            "data.members", "at least one member with role child"
        ),
        (
            "UFRN that is not the youngest child's",
            Events.line(
                id: "u-1", stream: "family:F-1", type: "ufrn.assigned", on: "2026-02-05",
                data: ["ufrn": "EH03999999F", "locality": "03"]), "data.ufrn", "must be EH03123456F"
        ),
        (
            "correction of an unknown event",
            Events.line(
                id: "fix-1", stream: "family:F-1", type: "event.voided", on: "2026-02-05",
                data: ["target": "nope", "reason": "typo"]), "data.target", "no event \"nope\""
        ),
        (
            "correction across streams",
            Events.line(
                id: "fix-2", stream: "family:F-1", type: "event.voided", on: "2026-02-05",
                data: ["target": "close-F-2", "reason": "typo"]), "data.target", "is on family:F-2"
        ),
        (
            "correction with invalid data",
            Events.line(
                id: "fix-3", stream: "family:F-1", type: "event.corrected", on: "2026-02-05",
                data: [
                    "target": "ref-F-1-2026-02-02", "reason": "typo", "data": ["source": "nowhere"],
                ]), "data.data.source", "is not one of"
        ),
        (
            "unknown policy profile",
            Events.line(
                id: "pol-2", stream: "org", type: "policy.adopted", on: "2026-02-05",
                actor: "hr", role: "system",
                data: ["profile": "atlantis", "effectiveFrom": "2026-04-01"]), "data.profile",
            "is not one of"
        ),
        ("duplicate member names", #"{"id":"d1","id":"d2"}"#, "line", "duplicate member"),
    ]

    @Test("refused with line, field and rule; the log unchanged", arguments: cases)
    func refused(what: String, line: String, field: String, rule: String) throws {
        let ledger = try Self.preparedLedger()
        let before = readBytes(ledger.path)
        let error = try #require(try ledger.refusal(line), "\(what) was not refused")
        #expect(error.line == 1)
        #expect(error.field == field, "\(what): \(error)")
        #expect(error.rule.contains(rule), "\(what): \(error)")
        #expect(readBytes(ledger.path) == before)
    }

    @Test("the refusal message reads as EVENTS.md's example")
    func messageShape() throws {
        let ledger = try Self.preparedLedger()
        let line = Events.line(
            id: "ref-2291", stream: "family:F-1", type: "assessment.completed", on: "2026-02-05",
            data: ["kind": "family-star", "familyStar": Events.star(5, ["keepingSafe": 11])])
        let error = try #require(try ledger.refusal(line))
        #expect(
            error.description
                == "line 1 (id ref-2291): data.familyStar.keepingSafe: 11 is outside 1–10")
    }

    @Test("malformed UTF-8 and NUL bytes are refused, not crashed on")
    func invalidBytes() throws {
        let ledger = try Self.preparedLedger()
        var bytes = Array(Self.visit.utf8)
        let at = try #require(bytes.firstIndex(of: UInt8(ascii: "h")))
        bytes[at] = 0xFF
        var outcomes: [AppendOutcome] = []
        try ledger.store.append(.lines([bytes, [0x7B, 0x00, 0x7D]]), mode: .atomic) {
            _, outcome, _ in outcomes.append(outcome)
        }
        guard case .refused(let first) = outcomes[0], case .refused(let second) = outcomes[1] else {
            Issue.record("not refused: \(outcomes)")
            return
        }
        #expect(first.rule.contains("invalid UTF-8"))
        #expect(second.line == 2 && second.rule.contains("malformed JSON"))
    }

    @Test("a line over 1 MiB is refused")
    func oversized() throws {
        let ledger = try Self.preparedLedger()
        let huge = String(repeating: "x", count: (1 << 20) + 10)
        let line = Events.line(
            id: "n-1", stream: "family:F-1", type: "note.recorded", on: "2026-02-05",
            data: ["subject": "s", "body": .string(huge)])
        let error = try #require(try ledger.refusal(line))
        #expect(error.field == "line" && error.rule.contains("longer than 1 MiB"))
    }

    @Test("a failed expected-version check is refused; the right version appends")
    func expectedVersion() throws {
        let ledger = try Self.preparedLedger()
        // family:F-1 holds one event (its referral).
        let wrong = try ledger.append([Self.visit], expectVersion: 3)
        guard case .refused(let error) = wrong.first else { Issue.record("not refused"); return }
        #expect(
            error.field == "stream"
                && error.rule.contains("expected version 3 of family:F-1 but it has 1"))
        let right = try ledger.append([Self.visit], expectVersion: 1)
        guard case .appended(let seq, _, _) = right.first else {
            Issue.record("not appended: \(right)"); return
        }
        #expect(seq == 9)
    }

    @Test("append is all or nothing: one bad line and the good ones are not written")
    func atomicAppend() throws {
        let ledger = try Self.preparedLedger()
        let before = readBytes(ledger.path)
        let outcomes = try ledger.append([
            Self.visit, Self.replacing(Self.visit, #""id":"v-1""#, #""id":"v-2","nope":1"#),
        ])
        #expect(outcomes.count == 2)
        #expect(readBytes(ledger.path) == before)
    }

    @Test("a closure needs a manager where the policy says so, unless approved first")
    func closureSignOff() throws {
        let ledger = try TestLedger(profile: "leicestershire-early-help")
        try ledger.append(Events.staff + [Events.referral("F-1", on: "2026-02-02")])
        let close = Events.line(
            id: "c-1", stream: "family:F-1", type: "case.closed", on: "2026-03-02",
            data: ["reason": "met-outcomes"])
        let error = try #require(try ledger.refusal(close))
        #expect(error.field == "actor.role" && error.rule.contains("sign-off"))
        let approve = Events.line(
            id: "ap-1", stream: "family:F-1", type: "closure.approved", on: "2026-03-01",
            actor: "m-001", role: "team-manager", data: ["reason": "Outcomes met"])
        let outcomes = try ledger.append([approve, close])
        #expect(outcomes.allSatisfy { if case .appended = $0 { true } else { false } })
    }

    @Test("after closure only outcome events, notes, corrections or a new referral")
    func afterClosure() throws {
        let ledger = try Self.preparedLedger()
        let allowed = [
            Events.line(
                id: "att-1", stream: "family:F-2", type: "attendance.recorded", on: "2026-06-01",
                actor: "dm", role: "system",
                data: [
                    "memberId": "123456", "from": "2026-04-01", "to": "2026-05-31",
                    "percent": .int(96),
                ]),
            Events.line(
                id: "n-1", stream: "family:F-2", type: "note.recorded", on: "2026-06-01",
                data: ["subject": "Follow-up", "body": "Doing well"]),
            Events.referral("F-2", id: "ref-F-2-again", on: "2026-07-01"),
        ]
        let outcomes = try ledger.append(allowed)
        #expect(
            outcomes.allSatisfy { if case .appended = $0 { true } else { false } }, "\(outcomes)")
    }

    @Test("voiding a closure entered in error reopens the episode")
    func voidedClosure() throws {
        let ledger = try Self.preparedLedger()
        let void = Events.line(
            id: "void-1", stream: "family:F-2", type: "event.voided", on: "2026-03-03",
            data: ["target": "close-F-2", "reason": "Closed the wrong family"])
        let visit = Self.replacing(Self.visit, "family:F-1", "family:F-2")
        let outcomes = try ledger.append([void, visit])
        #expect(
            outcomes.allSatisfy { if case .appended = $0 { true } else { false } }, "\(outcomes)")
    }
}
