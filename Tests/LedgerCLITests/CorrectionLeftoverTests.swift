import EventLog
import LedgerCore
import LedgerEngine
import LedgerTestSupport
import Testing

/// What the last session left of "a correction or void is judged as its target would be" (EVENTS.md §3): a worker's
/// registration voided under the allocations naming them, a system's under its acts, a policy's under the closures
/// that needed no sign-off because of it, a member who left and came back, a role given to a `worker.changed`
/// that had none. Each case runs through `CorrectionPlaceTests`' append and verify checks.
extension CorrectionPlaceTests {
    static func worker(_ id: String, role: String = "fsw", on date: String = "2025-01-06") -> String
    {
        Events.worker(id, role: role, on: date)
    }

    static func visit(_ id: String, _ on: String, actor: String = "w-030", role: String = "fsw")
        -> String
    {
        event(id, "visit.completed", on, actor: actor, role: role, ["kind": "home"])
    }

    static func workerChanged(
        _ id: String, _ on: String, worker: String = "w-030", _ data: JSONValue
    )
        -> String
    {
        Events.line(
            id: id, stream: "worker:\(worker)", type: "worker.changed", on: on, actor: "hr",
            role: "system", data: data)
    }

    static func policy(_ id: String, _ profile: String, from: String) -> String {
        event(
            id, "policy.adopted", from, stream: "org",
            ["profile": .string(profile), "effectiveFrom": .string(from)])
    }

    /// F-1 with K1 (2015) and K2 (2018); the UFRN names K2, the youngest; K2 leaves and is added again.
    static let backAgainHistory: [String] =
        Events.staff + [
            referral(
                "b-ref", on: "2026-01-05",
                children: [child("K1", dob: "2015-01-01"), child("K2", dob: "2018-01-01")]),
            event("b-ufrn", "ufrn.assigned", "2026-01-06", ["ufrn": "EH03K2F", "locality": "03"]),
            event("k2-left", "family.member.left", "2026-02-01", ["memberId": "K2"]),
            event(
                "k2-back", "family.member.added", "2026-03-01",
                ["member": child("K2", dob: "2018-01-01")]),
        ]

    /// An FSW closes F-1 with no approval, under a second policy that needs none (the first does).
    static let policyHistory: [String] =
        Events.staff + [
            policy("pol-2", "warwickshire-fsw", from: "2026-01-01"),
            referral("p-ref", on: "2026-01-05", children: [child("K1", dob: "2015-01-01")]),
            event(
                "p-cl", "case.closed", "2026-03-02", actor: "w-017", role: "fsw",
                ["reason": "met-outcomes"]),
        ]

    static let leftoverCases: [Case] = [
        Case(
            what: "a registration voided under an allocation naming the worker",
            policy: "warwickshire-fsw",
            history: Events.staff + [
                worker("w-030"),
                referral(on: "2026-01-05", children: [child("K1", dob: "2015-01-01")]),
                event(
                    "a-wa", "worker.allocated", "2026-01-06",
                    ["worker": "w-030", "relationship": "lead"]),
            ],
            event: voided("v5", target: "reg-w-030", stream: "worker:w-030"),
            refusal:
                #"data.target: voiding "reg-w-030" would leave the worker.allocated at seq 8 naming w-030, a worker then not registered"#
        ),
        Case(
            what: "a registration voided under the worker's leaving",
            policy: "warwickshire-fsw",
            history: Events.staff + [
                worker("w-030"),
                Events.line(
                    id: "w30-left", stream: "worker:w-030", type: "worker.left", on: "2026-02-01",
                    actor: "hr", role: "system"),
            ],
            event: voided("v6", target: "reg-w-030", stream: "worker:w-030"),
            refusal:
                #"data.target: voiding "reg-w-030" would leave the worker.left at seq 7 ending no registration: void it first"#
        ),
        Case(
            what: "a registration voided that nothing rests on",
            policy: "warwickshire-fsw", history: Events.staff + [worker("w-030")],
            event: voided("v7", target: "reg-w-030", stream: "worker:w-030"), refusal: nil),
        Case(
            what: "a system's registration voided after it recorded attendance",
            policy: "warwickshire-fsw",
            history: Events.staff + [
                event(
                    "sr-2", "system.registered", "2026-01-02", stream: "system:feed-2",
                    ["name": "School feed", "purpose": "school-attendance"]),
                referral(on: "2026-01-05", children: [child("K1", dob: "2015-01-01")]),
                event(
                    "att-1", "attendance.recorded", "2026-02-01", actor: "feed-2", role: "system",
                    ["memberId": "K1", "from": "2026-01-05", "to": "2026-01-30", "percent": 91]),
            ],
            event: voided("v8", target: "sr-2", stream: "system:feed-2"),
            refusal:
                #"data.target: voiding "sr-2" would leave "att-1" (seq 8), which system feed-2 recorded, by a system then not registered; retire it from now on with system.retired"#
        ),
        Case(
            what: "the HR feed's purpose corrected away after it registered workers",
            policy: "warwickshire-fsw", history: Events.staff,
            event: corrected(
                "c7", target: "system-registered-hr", ["name": "hr", "purpose": "data-matching"],
                stream: "system:hr"),
            refusal:
                #"data.target: correcting "system-registered-hr" would leave "reg-w-017" (seq 4), which system hr recorded as an HR feed, by a system then data-matching; register an HR feed for what follows"#
        ),
        Case(
            what: "a system's registration voided before it acted",
            policy: "warwickshire-fsw",
            history: Events.staff + [
                event(
                    "sr-2", "system.registered", "2026-01-02", stream: "system:feed-2",
                    ["name": "School feed", "purpose": "school-attendance"])
            ],
            event: voided("v9", target: "sr-2", stream: "system:feed-2"), refusal: nil),
        Case(
            what: "the policy voided under a closure that needed no sign-off because of it",
            policy: "strengthening-families", history: policyHistory,
            event: voided("v10", target: "pol-2", stream: "org"),
            refusal:
                #"data.target: voiding "pol-2" would leave the case.closed at seq 8, a closure by a non-manager, without the manager's sign-off the policy in force needs"#
        ),
        Case(
            what: "the policy's effectiveFrom corrected to after that closure",
            policy: "strengthening-families", history: policyHistory,
            event: corrected(
                "c8", target: "pol-2",
                ["profile": "warwickshire-fsw", "effectiveFrom": "2026-04-01"],
                stream: "org"),
            refusal:
                #"data.target: correcting "pol-2" would leave the case.closed at seq 8, a closure by a non-manager, without the manager's sign-off the policy in force needs"#
        ),
        Case(
            what: "a policy voided that no closure relied on",
            policy: "strengthening-families",
            history: Events.staff + [policy("pol-2", "warwickshire-fsw", from: "2026-06-01")] + [
                referral("p-ref", on: "2026-01-05", children: [child("K1", dob: "2015-01-01")]),
                event(
                    "p-cl", "case.closed", "2026-03-02", ["reason": "met-outcomes"]),
            ],
            event: voided("v11", target: "pol-2", stream: "org"), refusal: nil),
        Case(
            what:
                "a UFRN of the first stay corrected for the child youngest then, who has left and come back",
            policy: "warwickshire-fsw", history: backAgainHistory,
            event: corrected("c9", target: "b-ufrn", ["ufrn": "EH04K2F", "locality": "04"]),
            refusal: nil),
        Case(
            what: "a UFRN of the first stay corrected for a child not the youngest then",
            policy: "warwickshire-fsw", history: backAgainHistory,
            event: corrected("c10", target: "b-ufrn", ["ufrn": "EH04K1F", "locality": "04"]),
            refusal:
                #"data.data.ufrn: must be EH04K2F: EH + locality 04 + youngest child K2 + F (as ufrn.assigned "b-ufrn" must, at its place: seq 7)"#
        ),
        Case(
            what: "a leaving voided under the member's adding again",
            policy: "warwickshire-fsw", history: backAgainHistory,
            event: voided("v12", target: "k2-left"),
            refusal:
                #"data.target: voiding "k2-left" would leave the family.member.added at seq 9 adding "K2", then a member already"#
        ),
        Case(
            what: "a role given to a role-less worker.changed, under the acts after it",
            policy: "warwickshire-fsw",
            history: Events.staff + [
                worker("w-030"),
                referral(on: "2026-01-05", children: [child("K1", dob: "2015-01-01")]),
                visit("w30-v1", "2026-01-20"),
                workerChanged("wc-30", "2026-02-01", ["team": "south"]),
                visit("w30-v2", "2026-02-05"),
            ],
            event: corrected(
                "c11", target: "wc-30", ["role": "team-leader", "team": "south"], actor: "hr",
                role: "system", stream: "worker:w-030"),
            refusal:
                #"data.target: correcting "wc-30" would leave "w30-v2" (seq 10), which w-030 recorded as fsw, by a worker then as team-leader; record the change from now on with worker.changed"#
        ),
    ]
}

/// EVENTS.md §2, our reading: an actor's role is the one they held on the event's `occurredAt` (a `worker.changed`
/// counts from its own `occurredAt`; before the registration's date, the role registered), and they must be
/// registered, and not have left, when it is recorded. A manager's sign-off dated before the promotion is not a
/// manager's; a visit of the week before it, typed up after, is the FSW's.
@Suite("Roles judged on the event's date")
struct RoleOnDateTests {
    /// w-030, an FSW registered in January 2025, promoted to team leader from 2026-03-01 (recorded then), with
    /// F-1 allocated to them.
    static let promoted: [String] =
        Events.staff + [
            CorrectionPlaceTests.worker("w-030"),
            CorrectionPlaceTests.referral(
                on: "2026-01-05", children: [CorrectionPlaceTests.child("K1", dob: "2015-01-01")]),
            CorrectionPlaceTests.event(
                "r-wa", "worker.allocated", "2026-01-06",
                ["worker": "w-030", "relationship": "lead"]),
            CorrectionPlaceTests.workerChanged("r-wc", "2026-03-01", ["role": "team-leader"]),
        ]

    /// The same promotion recorded late: dated 2026-01-10, recorded after a visit of 2026-01-20 as FSW.
    static let backDated: [String] =
        Events.staff + [
            CorrectionPlaceTests.worker("w-030"),
            CorrectionPlaceTests.referral(
                on: "2026-01-05", children: [CorrectionPlaceTests.child("K1", dob: "2015-01-01")]),
            CorrectionPlaceTests.visit("r-v1", "2026-01-20"),
            CorrectionPlaceTests.workerChanged("r-wc", "2026-01-10", ["role": "team-leader"]),
        ]

    typealias Case = CorrectionPlaceTests.Case

    static let cases: [Case] = [
        Case(
            what: "an approval dated before the promotion, as team leader",
            policy: "strengthening-families", history: promoted,
            event: CorrectionPlaceTests.event(
                "r-ap", "closure.approved", "2026-02-01", actor: "w-030", role: "team-leader",
                ["reason": "approve my own case"]),
            refusal:
                #"actor.role: "w-030" was fsw on 2026-02-01, not team-leader (a role is judged on the event's occurredAt; team-leader from 2026-03-01)"#
        ),
        Case(
            what: "a visit dated before the promotion, typed up after it, as FSW",
            policy: "strengthening-families", history: promoted,
            event: CorrectionPlaceTests.visit("r-v2", "2026-02-01"), refusal: nil),
        Case(
            what: "a visit dated after the promotion, as FSW",
            policy: "strengthening-families", history: promoted,
            event: CorrectionPlaceTests.visit("r-v3", "2026-03-02"),
            refusal: #"actor.role: "w-030" is registered as team-leader, not fsw"#),
        Case(
            what: "an approval dated after a back-dated promotion, as team leader",
            policy: "strengthening-families", history: backDated,
            event: CorrectionPlaceTests.event(
                "r-ap", "closure.approved", "2026-01-25", actor: "w-030", role: "team-leader",
                ["reason": "done"]),
            refusal: nil),
        Case(
            what: "a visit dated after a back-dated promotion, as FSW",
            policy: "strengthening-families", history: backDated,
            event: CorrectionPlaceTests.visit("r-v4", "2026-01-25"),
            refusal: #"actor.role: "w-030" is registered as team-leader, not fsw"#),
        Case(
            what: "a note dated before the worker's registration, typed up since, in its role",
            policy: "warwickshire-fsw",
            history: Events.staff + [
                CorrectionPlaceTests.referral(
                    on: "2026-01-05",
                    children: [CorrectionPlaceTests.child("K1", dob: "2015-01-01")])
            ],
            event: CorrectionPlaceTests.event(
                "r-n", "note.recorded", "2024-12-01", actor: "w-017", role: "fsw",
                ["subject": "visit", "body": "typed up late"]),
            refusal: nil),
        Case(
            what: "an approval dated before the registration of one promoted since, as team leader",
            policy: "strengthening-families", history: promoted,
            event: CorrectionPlaceTests.event(
                "r-ap", "closure.approved", "2024-06-01", actor: "w-030", role: "team-leader",
                ["reason": "approve my own case"]),
            refusal:
                #"actor.role: "w-030" was fsw on 2024-06-01, not team-leader (a role is judged on the event's occurredAt; team-leader from 2026-03-01)"#
        ),
    ]

    /// `ledger record` without `--actor-role` writes the role the actor held on `--on`, as the append judges it.
    @Test(
        "record fills in the role held on the event's date",
        arguments: [
            ("2026-02-01", "fsw"), ("2026-03-02", "team-leader"),
        ])
    func record(on date: String, role: String) throws {
        let (directory, log) = CorrectionPlaceTests.initialized("strengthening-families")
        try #require(
            CorrectionPlaceTests.append(Self.promoted, log: log, in: directory).status == 0)
        let result = Subprocess.ledger(
            [
                "record", "visit.completed", "--family", "F-1", "--actor", "w-030", "--on", date,
                "--kind", "home", "--log", log,
            ], environment: CLIWriteTests.now, in: directory)
        #expect(result.status == 0, "\(result.stderr)")
        let last = try #require(try readLines(log).last)
        #expect(last.contains(#""actor":{"id":"w-030","role":"\#(role)"}"#), "\(last)")
    }

    @Test("append judges the actor's role on the event's date", arguments: cases)
    func append(_ example: Case) throws { try CorrectionPlaceTests.checkAppend(example) }

    @Test(
        "verify refuses what append refuses, in the same words",
        arguments: cases.filter { $0.refusal != nil })
    func verify(_ example: Case) throws { try CorrectionPlaceTests.checkVerify(example) }
}
