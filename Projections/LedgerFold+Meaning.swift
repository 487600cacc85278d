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

    /// `meaning`, worked out with `apply` as the fold's step (a test changes it to show the fingerprint follows),
    /// and with snapshots of `version` (the version is in their bytes: the golden test's advice names the meaning
    /// a bumped version will have).
    static func fingerprint(
        version: Int = snapshotVersion,
        apply: (inout LedgerFold, StoredEvent) -> Void = { $0.apply($1) }
    ) -> String {
        let today = CivilDate(year: 2026, month: 11, day: 23) ?? CivilDate(dayNumber: 20_415)
        let events = DemoScenario(families: meaningFamilies, seed: meaningSeed, today: today)
            .storedEvents()
        var hasher = SHA256()
        func add(_ value: JSONValue) {
            hasher.update(JSONWriter.bytes(value))
            hasher.update([0x0A])
        }
        for compliance in [true, false] {
            var fold = LedgerFold(compliance: compliance)
            for event in events { apply(&fold, event) }
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
