import EventLog
import LedgerCore
import LedgerEngine
import LedgerTestSupport
import Testing

/// Only the people the contract allows change a record (EVENTS.md §2 and Corrections): every actor registered, a
/// person never as a system nor a system as a person, roles changed only by a manager or a registered system, and
/// a correction or void judged as its target would be. Each case is refused by `append` with the field and the
/// rule, and caught by `verify` at its seq when written into a log behind the validator's back.
@Suite("Authorisation: actors, role changes, corrections judged as their target")
struct AuthorisationTests {
    /// Family F-3 with a manager's extension, step-up decision and closure approval, an allocation and a UFRN.
    static let history: [String] = [
        Events.referral("F-3", on: "2026-02-02"),
        Events.line(
            id: "ext-3", stream: "family:F-3", type: "extension.agreed", on: "2026-02-10",
            actor: "m-001",
            role: "team-manager",
            data: ["what": "assessment", "until": "2026-03-30", "reason": "Family away"]),
        Events.line(
            id: "su-3", stream: "family:F-3", type: "stepup.decided", on: "2026-02-11",
            actor: "m-001",
            role: "team-manager", data: ["accepted": false]),
        Events.line(
            id: "al-3", stream: "family:F-3", type: "worker.allocated", on: "2026-02-12",
            data: ["worker": "w-017", "relationship": "lead"]),
        Events.line(
            id: "u-3", stream: "family:F-3", type: "ufrn.assigned", on: "2026-02-12",
            data: ["ufrn": "EH03123456F", "locality": "03"]),
        Events.line(
            id: "ca-3", stream: "family:F-3", type: "closure.approved", on: "2026-02-13",
            actor: "m-001",
            role: "team-manager", data: ["reason": "Outcomes met"]),
    ]

    static func visit(actor: String, role: String) -> String {
        Events.line(
            id: "v-9", stream: "family:F-3", type: "visit.completed", on: "2026-02-14",
            actor: actor, role: role,
            data: ["kind": "home"])
    }

    static func corrected(
        _ target: String, stream: String = "family:F-3", actor: String = "w-017",
        role: String = "fsw", data: JSONValue
    ) -> String {
        Events.line(
            id: "fix-9", stream: stream, type: "event.corrected", on: "2026-02-14", actor: actor,
            role: role,
            data: ["target": .string(target), "reason": "Typing error", "data": data])
    }

    // (what, line, field, rule fragment)
    static let refusals: [(String, String, String, String)] = [
        (
            "a system never registered", visit(actor: "feed-9", role: "system"), "actor.id",
            "\"feed-9\" is not a registered system"
        ),
        (
            "a person's id acting as system", visit(actor: "w-017", role: "system"), "actor.id",
            "is a person's worker id"
        ),
        (
            "a manager's id acting as system", visit(actor: "m-001", role: "system"), "actor.id",
            "is a person's worker id"
        ),
        (
            "a system's id acting as a person", visit(actor: "hr", role: "fsw"), "actor.id",
            "is a system's id"
        ),
        (
            "the ledger's own id after set-up", visit(actor: "ledger", role: "system"), "actor.id",
            "is the ledger itself"
        ),
        (
            "an FSW promoting themself",
            Events.line(
                id: "wc-9", stream: "worker:w-017", type: "worker.changed", on: "2026-02-14",
                data: ["role": "team-manager"]),
            "actor.id", "cannot change their own role"
        ),
        (
            "an FSW changing another's role",
            Events.line(
                id: "wc-9", stream: "worker:m-001", type: "worker.changed", on: "2026-02-14",
                data: ["role": "fsw"]),
            "actor.role", "needs a manager"
        ),
        (
            "an FSW moving a manager to another team, at 0.1 FTE, with a limit of their own",
            Events.line(
                id: "wc-9", stream: "worker:m-001", type: "worker.changed", on: "2026-02-14",
                data: ["team": "south", "fte": .number("0.1"), "caseload": ["min": 0, "max": 99]]),
            "actor.role", "needs a manager"
        ),
        (
            "an FSW lowering their own FTE",
            Events.line(
                id: "wc-9", stream: "worker:w-017", type: "worker.changed", on: "2026-02-14",
                data: ["fte": .number("0.5")]),
            "actor.role", "needs a manager"
        ),
        (
            "an FSW registering a worker",
            Events.line(
                id: "wr-9", stream: "worker:w-050", type: "worker.registered", on: "2026-02-14",
                data: ["name": "New", "role": "team-manager", "team": "north", "fte": 1]),
            "actor.role", "or a registered HR feed"
        ),
        (
            "an FSW recording a manager's leaving",
            Events.line(
                id: "wl-9", stream: "worker:m-001", type: "worker.left", on: "2026-02-14", data: [:]
            ),
            "actor.role", "worker.left needs a manager"
        ),
        (
            "a manager correcting their own registration's role",
            corrected(
                "reg-m-001", stream: "worker:m-001", actor: "m-001", role: "team-manager",
                data: [
                    "name": "Worker m-001", "role": "operations-manager", "team": "north", "fte": 1,
                ]),
            "actor.id", "cannot correct or void their own registration"
        ),
        (
            "a manager voiding their own registration",
            Events.line(
                id: "fix-9", stream: "worker:m-001", type: "event.voided", on: "2026-02-14",
                actor: "m-001",
                role: "team-manager", data: ["target": "reg-m-001", "reason": "Entered in error"]),
            "actor.id", "cannot correct or void their own registration"
        ),
        (
            "a manager voiding the log's only policy",
            Events.line(
                id: "fix-9", stream: "org", type: "event.voided", on: "2026-02-14", actor: "m-001",
                role: "team-manager",
                data: ["target": "policy-1", "reason": "Wrong profile"]), "data.target",
            "is the log's only policy"
        ),
        (
            "a data-matching system registering a manager",
            Events.line(
                id: "wr-9", stream: "worker:w-060", type: "worker.registered", on: "2026-02-14",
                actor: "dm",
                role: "system",
                data: ["name": "New", "role": "team-manager", "team": "north", "fte": 1]),
            "actor.role", "or a registered HR feed"
        ),
        (
            "a person registered in the role system",
            Events.line(
                id: "wr-9", stream: "worker:w-061", type: "worker.registered", on: "2026-02-14",
                actor: "hr",
                role: "system", data: ["name": "New", "role": "system", "team": "north", "fte": 1]),
            "data.role", "is not one of"
        ),
        (
            "an FSW registering a system",
            Events.line(
                id: "sr-9", stream: "system:feed-2", type: "system.registered", on: "2026-02-14",
                data: ["name": "Feed", "purpose": "other"]), "actor.role",
            "system.registered needs a manager"
        ),
        (
            "a system registered under a worker's id",
            Events.line(
                id: "sr-9", stream: "system:w-017", type: "system.registered", on: "2026-02-14",
                actor: "m-001",
                role: "team-manager", data: ["name": "Feed", "purpose": "other"]), "stream",
            "is a person's worker id"
        ),
        (
            "a worker registered under a system's id",
            Events.line(
                id: "wr-9", stream: "worker:hr", type: "worker.registered", on: "2026-02-14",
                actor: "m-001",
                role: "team-manager",
                data: ["name": "New", "role": "fsw", "team": "north", "fte": 1]),
            "stream", "is a system's id"
        ),
        (
            "an FSW moving a manager's extension",
            corrected(
                "ext-3",
                data: ["what": "assessment", "until": "2027-01-01", "reason": "Family away"]),
            "actor.role", "it changes extension.agreed \"ext-3\""
        ),
        (
            "an FSW accepting a manager's step-up decision",
            corrected("su-3", data: ["accepted": true]),
            "actor.role", "it changes stepup.decided \"su-3\""
        ),
        (
            "an FSW rewriting a closure approval",
            corrected("ca-3", data: ["reason": "Never mind"]),
            "actor.role", "it changes closure.approved \"ca-3\""
        ),
        (
            "an FSW voiding the manager's referral",
            Events.line(
                id: "fix-9", stream: "family:F-3", type: "event.voided", on: "2026-02-14",
                data: ["target": "ref-F-3-2026-02-02", "reason": "Wrong family"]),
            "actor.role", "it changes referral.received \"ref-F-3-2026-02-02\""
        ),
        (
            "an FSW changing the policy",
            corrected(
                "policy-1", stream: "org",
                data: ["profile": "leicestershire-early-help", "effectiveFrom": "1990-01-01"]),
            "actor.role", "it changes policy.adopted \"policy-1\""
        ),
        (
            // An adversary's find: refused a closure under a policy that needs a manager's sign-off, an FSW
            // adopted another policy, then closed the family.
            "an FSW adopting a policy",
            Events.line(
                id: "pol-9", stream: "org", type: "policy.adopted", on: "2026-02-14",
                data: ["profile": "warwickshire-fsw", "effectiveFrom": "2026-02-14"]),
            "actor.role", "policy.adopted needs a manager"
        ),
        (
            "a data-matching feed adopting a policy",
            Events.line(
                id: "pol-9", stream: "org", type: "policy.adopted", on: "2026-02-14",
                actor: "dm", role: "system",
                data: ["profile": "warwickshire-fsw", "effectiveFrom": "2026-02-14"]),
            "actor.role", "policy.adopted needs a manager"
        ),
        (
            "an FSW defining a team",
            Events.line(
                id: "team-9", stream: "org", type: "team.defined", on: "2026-02-14",
                data: ["id": "west", "name": "West"]),
            "actor.role", "team.defined needs a manager"
        ),
        (
            "an FSW registering a system",
            Events.line(
                id: "sys-9", stream: "system:feed-9", type: "system.registered", on: "2026-02-14",
                data: ["name": "Feed", "purpose": "hr-feed"]),
            "actor.role", "system.registered needs a manager"
        ),
        (
            "a lead worker corrected to an unregistered id",
            corrected(
                "al-3", data: ["worker": "w-999", "relationship": "lead"]),
            "data.data.worker",
            "\"w-999\" is not a registered worker (as worker.allocated \"al-3\" must, at its place: seq 9)"
        ),
        (
            "a UFRN corrected to match no child",
            corrected("u-3", data: ["ufrn": "EH03999999F", "locality": "03"]),
            "data.data.ufrn", "must be EH03123456F"
        ),
        (
            "a manager's correction with a UFRN that matches no child",
            corrected(
                "u-3", actor: "m-001", role: "team-manager",
                data: ["ufrn": "EH03999999F", "locality": "03"]),
            "data.data.ufrn", "must be EH03123456F"
        ),
    ]

    static func prepared() throws -> TestLedger {
        let ledger = try TestLedger()
        try ledger.append(Events.staff + history)
        return ledger
    }

    @Test(
        "append refuses, naming the field and the rule, and leaves the log as it was",
        arguments: refusals)
    func appendRefuses(what: String, line: String, field: String, rule: String) throws {
        let ledger = try Self.prepared()
        let before = readBytes(ledger.path)
        let error = try #require(try ledger.refusal(line), "\(what) was not refused")
        #expect(error.field == field, "\(what): \(error)")
        #expect(error.rule.contains(rule), "\(what): \(error)")
        #expect(readBytes(ledger.path) == before)
    }

    @Test(
        "verify names the same refusal at its seq, when the line was written behind the validator's back",
        arguments: refusals)
    func verifyCatches(what: String, line: String, field: String, rule: String) throws {
        let directory = TemporaryDirectory()
        let path = directory.file("raw.jsonl")
        let policy = Events.line(
            id: "policy-1", stream: "org", type: "policy.adopted", on: "1990-01-01",
            actor: "ledger", role: "system",
            data: ["profile": "warwickshire-fsw", "effectiveFrom": "1990-01-01"])
        let lines = [policy] + Events.systems + Events.staff + Self.history + [line]
        try RawLog.write(lines, to: path)
        let failure = #expect(throws: VerifyFailure.self, "\(what) passed verify") {
            try LedgerVerifier.verify(path: path)
        }
        #expect(failure?.seq == lines.count, "\(what): \(String(describing: failure))")
        #expect(
            failure?.problem.contains("\(field): ") ?? false,
            "\(what): \(String(describing: failure))")
        #expect(failure?.problem.contains(rule) ?? false, "\(what): \(String(describing: failure))")
    }

    @Test(
        "a voided registration acts no more; a voided leaving acts again; a voided system is retired"
    )
    func voidedRegistrations() throws {
        let ledger = try Self.prepared()
        func void(_ target: String, stream: String, id: String) throws {
            let outcome = try ledger.append([
                Events.line(
                    id: id, stream: stream, type: "event.voided", on: "2026-02-15", actor: "m-001",
                    role: "team-manager",
                    data: ["target": .string(target), "reason": "Entered in error"])
            ])
            guard case .appended = outcome.first else { throw Failure(description: "\(outcome)") }
        }
        // A worker who has acted keeps the registration they acted under (their acts stand).
        let acted = try #require(
            try ledger.refusal(
                Events.line(
                    id: "void-0", stream: "worker:w-017", type: "event.voided", on: "2026-02-15",
                    actor: "m-001", role: "team-manager",
                    data: ["target": "reg-w-017", "reason": "Entered in error"])))
        #expect(acted.rule.contains("would leave \"al-3\" (seq 9)"), "\(acted)")
        _ = try ledger.append([Events.worker("w-030", on: "2026-02-14")])
        try void("reg-w-030", stream: "worker:w-030", id: "void-1")
        let gone = try #require(try ledger.refusal(Self.visit(actor: "w-030", role: "fsw")))
        #expect(gone.rule.contains("registration was voided"), "\(gone)")
        try void("system-registered-dm", stream: "system:dm", id: "void-2")
        let system = try #require(try ledger.refusal(Self.visit(actor: "dm", role: "system")))
        #expect(system.rule.contains("was retired"), "\(system)")
        #expect(try LedgerVerifier.verify(path: ledger.path).events > 0)
    }

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    @Test(
        "the people the contract allows are accepted: a manager's corrections, the HR feed's role change"
    )
    func allowed() throws {
        let ledger = try Self.prepared()
        let accepted = [
            Self.corrected(
                "ext-3", actor: "m-001", role: "team-manager",
                data: ["what": "assessment", "until": "2026-04-30", "reason": "Family away"]),
            Events.line(
                id: "wc-1", stream: "worker:w-017", type: "worker.changed", on: "2026-02-15",
                actor: "hr",
                role: "system", data: ["role": "team-leader"]),
            Events.line(
                id: "v-10", stream: "family:F-3", type: "visit.completed", on: "2026-02-16",
                actor: "w-017",
                role: "team-leader", data: ["kind": "home"]),
            Events.line(
                id: "sr-1", stream: "system:feed-2", type: "system.registered", on: "2026-02-16",
                actor: "m-001",
                role: "team-manager", data: ["name": "School feed", "purpose": "school-attendance"]),
            Events.line(
                id: "att-1", stream: "family:F-3", type: "attendance.recorded", on: "2026-02-16",
                actor: "feed-2",
                role: "system",
                data: [
                    "memberId": "123456", "from": "2026-01-05", "to": "2026-02-13", "percent": 91,
                ]),
            Events.line(
                id: "sx-1", stream: "system:feed-2", type: "system.retired", on: "2026-02-17",
                actor: "m-001",
                role: "team-manager", data: ["reason": "Replaced"]),
        ]
        for line in accepted {
            let outcome = try ledger.append([line])
            guard case .appended = outcome.first else {
                Issue.record("refused: \(line)\n\(outcome)")
                return
            }
        }
        // The promoted worker's old role, and the retired system, are refused from then on; a role is judged on
        // the event's date, so a visit of the day before the promotion, typed up after it, is the FSW's.
        let old = try #require(
            try ledger.refusal(
                Events.line(
                    id: "v-11", stream: "family:F-3", type: "visit.completed", on: "2026-02-16",
                    actor: "w-017", role: "fsw", data: ["kind": "home"])))
        #expect(old.rule.contains("is registered as team-leader"), "\(old)")
        #expect(try ledger.refusal(Self.visit(actor: "w-017", role: "fsw")) == nil)
        let retired = try #require(
            try ledger.refusal(
                Events.line(
                    id: "att-2", stream: "family:F-3", type: "attendance.recorded",
                    on: "2026-02-18",
                    actor: "feed-2", role: "system",
                    data: [
                        "memberId": "123456", "from": "2026-01-05", "to": "2026-02-13",
                        "percent": 92,
                    ])))
        #expect(retired.rule.contains("was retired"), "\(retired)")
        #expect(try LedgerVerifier.verify(path: ledger.path).events > 0)
    }
}
