import EventLog
import LedgerCore
import LedgerDemo

extension LedgerFold {
    /// The fingerprint of what the fold means: the SHA-256 of the snapshots and the projections (families,
    /// caseload, due, PbR, monthly) of a fixed small log, made in memory, folded with and without obligations.
    ///
    /// A checkpoint carries the fingerprint of the build that wrote it and is used only by a build with the same
    /// one, so a build whose fold gives other answers (a rule, a window, a snapshot layout changed) never answers
    /// from another's checkpoint, without anyone having to remember to bump `snapshotVersion`. Worked out once a
    /// process, when a checkpoint is first about to be read or written: about 10 ms of a release build (a query
    /// from a checkpoint of a 5-family log: 3.8 ms before, 14.5 ms with it), none for `--from-scratch`.
    public static let meaning: String = fingerprint()

    /// The fixed log: 16 families of the demo scenario (341 events), a seed whose families have every kind of
    /// episode the scenario makes (closures, a re-referral and a later referral outside the window, step-ups and
    /// step-downs, late work, corrections and voids; a test checks they are there).
    static let meaningFamilies = 16
    static let meaningSeed: UInt64 = 5

    /// The fixed log: the scenario's families, then two families of cases the scenario never makes, so that a
    /// change to how they are read changes the fingerprint too: a family whose only worker is a second one and
    /// whose lead was unallocated and then transferred (`Lead`); a level change recorded after a review but dated
    /// before it (levels in valid time, re-timing the review); a plan dated before the referral, entered late; a lead who leaves an open episode;
    /// allocations and reviews entered out of date order.
    static func meaningEvents(today: CivilDate) -> [StoredEvent] {
        func event(
            _ id: String, _ family: String, _ type: String, _ date: String, _ data: JSONValue,
            manager: Bool = false
        ) -> JSONObject {
            JSONObject([
                JSONMember("id", .string(id)), JSONMember("stream", .string("family:\(family)")),
                JSONMember("type", .string(type)), JSONMember("occurredAt", .string(date)),
                JSONMember(
                    "actor",
                    manager
                        ? ["id": "m-301", "role": "team-manager"] : ["id": "w-101", "role": "fsw"]),
                JSONMember("data", data),
            ])
        }
        func referral(_ family: String) -> JSONObject {
            event(
                "edge-ref-\(family)", family, "referral.received", "2026-03-02",
                [
                    "source": "school", "reason": "Attendance",
                    "members": [
                        [
                            "id": .string("\(family)-c1"), "name": "Child", "role": "child",
                            "dob": "2016-05-05",
                        ]
                    ],
                ], manager: true)
        }
        let edges = [
            referral("EDGE-1"),
            event(
                "edge-1-tri", "EDGE-1", "triage.completed", "2026-03-03",
                ["outcome": 3, "priority": "medium", "level": "targeted"], manager: true),
            event(
                "edge-1-second", "EDGE-1", "worker.allocated", "2026-03-04",
                ["worker": "w-102", "relationship": "second"], manager: true),
            event("edge-1-eng", "EDGE-1", "engagement.started", "2026-03-05", [:]),
            event(
                "edge-1-plan", "EDGE-1", "plan.agreed", "2026-03-10",
                [
                    "kind": "support-plan", "reviewBy": "2026-04-21",
                    "actions": [
                        ["id": "a1", "what": "Routine", "who": "Parent", "due": "2026-04-21"]
                    ],
                ]),
            event(
                "edge-1-rev", "EDGE-1", "review.completed", "2026-04-20", ["outcome": "continue"]),
            event(
                "edge-1-level", "EDGE-1", "level.changed", "2026-04-01",
                ["level": "intensive", "reason": "escalation"]),
            // Work of before the referral, entered late: it starts no clock of the episode.
            event(
                "edge-1-early", "EDGE-1", "plan.agreed", "2026-02-20",
                [
                    "kind": "support-plan", "reviewBy": "2026-03-10",
                    "actions": [
                        ["id": "a0", "what": "Earlier", "who": "Parent", "due": "2026-03-10"]
                    ],
                ]),
            referral("EDGE-2"),
            event(
                "edge-2-lead", "EDGE-2", "worker.allocated", "2026-03-03",
                ["worker": "w-103", "relationship": "lead"], manager: true),
            event(
                "edge-2-second", "EDGE-2", "worker.allocated", "2026-03-03",
                ["worker": "w-104", "relationship": "second"], manager: true),
            event(
                "edge-2-unalloc", "EDGE-2", "worker.unallocated", "2026-03-20", ["worker": "w-103"],
                manager: true),
            event(
                "edge-2-transfer", "EDGE-2", "transfer.completed", "2026-05-01",
                ["team": "south", "worker": "w-105"], manager: true),
        ]
        // A worker who leaves while leading an open episode: the family is left with no lead (`Lead`).
        func workforce(_ id: String, _ type: String, _ date: String, _ data: JSONValue)
            -> JSONObject
        {
            JSONObject([
                JSONMember("id", .string(id)), JSONMember("stream", "worker:w-901"),
                JSONMember("type", .string(type)), JSONMember("occurredAt", .string(date)),
                JSONMember("actor", ["id": "hr-system", "role": "system"]),
                JSONMember("data", data),
            ])
        }
        let leaver = [
            workforce(
                "edge-3-reg", "worker.registered", "2026-01-05",
                ["name": "Edge Leaver", "role": "fsw", "team": "north", "fte": 1]),
            referral("EDGE-3"),
            event(
                "edge-3-lead", "EDGE-3", "worker.allocated", "2026-03-03",
                ["worker": "w-901", "relationship": "lead"], manager: true),
            workforce("edge-3-left", "worker.left", "2026-04-30", [:]),
        ]
        // A first contact entered after a later one: the obligation was met on the earlier day.
        let lateContact = [
            referral("EDGE-4"),
            event(
                "edge-4-tri", "EDGE-4", "triage.completed", "2026-03-03",
                ["outcome": 3, "priority": "high", "level": "targeted"], manager: true),
            event(
                "edge-4-late", "EDGE-4", "contact.attempted", "2026-03-10",
                ["method": "phone", "outcome": "no-answer"]),
            event(
                "edge-4-early", "EDGE-4", "contact.attempted", "2026-03-04",
                ["method": "phone", "outcome": "no-answer"]),
        ]
        // Events entered out of date order, folded again in date order (`LedgerFold.refold`): the lead allocated
        // on the 10th entered after the one of the 20th (the lead is the 20th's), and reviews of June and then
        // April (the review chain is the one the dates make).
        let lateEntries = [
            referral("EDGE-5"),
            event(
                "edge-5-disc", "EDGE-5", "allocation.discussed", "2026-03-03",
                ["decision": "accepted", "level": "targeted"], manager: true),
            event(
                "edge-5-second-lead", "EDGE-5", "worker.allocated", "2026-03-20",
                ["worker": "w-104", "relationship": "lead"], manager: true),
            event(
                "edge-5-first-lead", "EDGE-5", "worker.allocated", "2026-03-10",
                ["worker": "w-103", "relationship": "lead"], manager: true),
            event(
                "edge-5-june", "EDGE-5", "review.completed", "2026-06-01", ["outcome": "continue"]),
            event(
                "edge-5-april", "EDGE-5", "review.completed", "2026-04-01", ["outcome": "continue"]),
        ]
        return DemoScenario(families: meaningFamilies, seed: meaningSeed, today: today)
            .storedEvents(then: edges + leaver + lateContact + lateEntries)
    }

    /// `meaning`, worked out with `apply` as the fold's step (a test changes it to show the fingerprint follows),
    /// and with snapshots of `version` (the version is in their bytes: the golden test's advice names the meaning
    /// a bumped version will have).
    static func fingerprint(
        version: Int = snapshotVersion,
        apply: (inout LedgerFold, StoredEvent) -> Void = { $0.apply($1) }
    ) -> String {
        let today = CivilDate(year: 2026, month: 11, day: 23) ?? CivilDate(dayNumber: 20_415)
        let events = meaningEvents(today: today)
        var hasher = SHA256()
        func add(_ value: JSONValue) {
            hasher.update(JSONWriter.bytes(value))
            hasher.update([0x0A])
        }
        for compliance in [true, false] {
            var fold = LedgerFold(compliance: compliance)
            for event in events { apply(&fold, event) }
            fold.refoldOutOfOrder(from: events)
            let snapshot = fold.snapshot(version: version)
            add(.string("snapshot \(snapshot.count)"))
            hasher.update(snapshot)
            // Read back: the restored fold must give the same projections (a snapshot layout that drops a field
            // shows here).
            let restored =
                (try? LedgerFold(snapshot: snapshot, version: version))
                ?? LedgerFold(compliance: !compliance)
            for (name, state) in [("folded", fold), ("restored", restored)] {
                add(.string(name))
                for asOf in [today.adding(days: -200), today] {
                    let reports = Reports(fold: state, asOf: asOf)
                    add(.array(reports.families().map(JSONValue.object)))
                    let caseload = reports.caseload()
                    add(
                        .array(
                            (caseload.workers + caseload.teams + [caseload.service]).map(
                                JSONValue.object)))
                    add(.array(reports.pbr().map(JSONValue.object)))
                    if compliance {
                        add(.array(reports.due().map(JSONValue.object)))
                        add(
                            .array(
                                reports.monthly(months: (0..<12).map { asOf.adding(months: -$0) })
                                    .map(JSONValue.object)))
                    }
                }
            }
            hasher.update(CaseloadEntry.encode(CaseloadEntry.entries(of: fold)))
        }
        return hasher.finalize().hex
    }
}
