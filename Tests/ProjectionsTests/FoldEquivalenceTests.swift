import EventLog
import LedgerCore
import LedgerEngine
import LedgerQueries
import LedgerTestSupport
import Projections
import Testing

/// The fast ways of folding against the plain one: one fold fed every event in log order.
@Suite("Folding in shards, or only what a projection reads, gives the same rows")
struct FoldEquivalenceTests {
    static let asOf = CivilDate(year: 2026, month: 11, day: 23) ?? CivilDate(dayNumber: 0)

    static func plain(_ path: String, window: EventWindow = EventWindow()) throws -> LedgerFold {
        var fold = LedgerFold()
        try EventScanner.scan(path: path, window: window) { fold.apply($0) }
        return fold
    }

    /// Every projection's rows, as bytes.
    static func rows(_ fold: LedgerFold) -> [String: [UInt8]] {
        let reports = Reports(fold: fold, asOf: asOf)
        let caseload = reports.caseload()
        return [
            "families": RowWriter.json(reports.families()), "pbr": RowWriter.json(reports.pbr()),
            "due": RowWriter.json(reports.due()),
            "caseload": RowWriter.json(caseload.workers + caseload.teams + [caseload.service]),
            "monthly": RowWriter.json([
                reports.monthly(year: 2026, month: 10), reports.monthly(year: 2026, month: 3),
            ]),
        ]
    }

    @Test("in 1, 2, 3 and 5 shards: every projection byte for byte", arguments: [1, 2, 3, 5])
    func shards(count: Int) throws {
        let path = try DemoLog.path(families: 120)
        let expected = Self.rows(try Self.plain(path))
        #expect(
            expected["due"].map { $0.count > 10_000 } == true,
            "the demo log has obligations to compare")
        #expect(
            Self.rows(try LedgerFold.scan(path: path, window: EventWindow(), shards: count).fold)
                == expected)
    }

    @Test(
        "every month's figures, from timeliness counted for all months at once (as rebuild does), are monthly's own"
    )
    func timelinessCountedOnce() throws {
        let reports = Reports(
            fold: try Self.plain(try DemoLog.path(families: 120)), asOf: Self.asOf)
        var timeliness = Reports.Timeliness()
        var halves = (Reports.Timeliness(), Reports.Timeliness())
        for (index, obligation) in reports.obligations().enumerated() {
            timeliness.count(obligation, asOf: Self.asOf)
            if index % 2 == 0 {
                halves.0.count(obligation, asOf: Self.asOf)
            } else {
                halves.1.count(obligation, asOf: Self.asOf)
            }
        }
        halves.0.merge(halves.1)
        var judged = 0
        for month in 1...12 {
            for year in [2025, 2026] {
                let plain = reports.monthly(year: year, month: month)
                #expect(
                    reports.monthly(year: year, month: month, timeliness: timeliness) == plain,
                    "\(year)-\(month)")
                #expect(
                    reports.monthly(year: year, month: month, timeliness: halves.0) == plain,
                    "\(year)-\(month), merged")
                judged += plain["timeliness"]?.objectValue?.members.count ?? 0
            }
        }
        #expect(judged > 20, "the demo log has obligations judged in some months")
    }

    @Test(
        "every month from one walk of the episodes: each month's figures as counted month by month from the episodes"
    )
    func monthsAtOnce() throws {
        let reports = Reports(
            fold: try Self.plain(try DemoLog.path(families: 120)), asOf: Self.asOf)
        // From before the first referral to after the as-of month, so that episodes open before the first month
        // asked for and still open after the last are in it.
        var months: [CivilDate] = []
        var month = CivilDate(year: 2024, month: 11, day: 1) ?? Self.asOf
        while month.year < 2027 {
            months.append(month)
            month = month.adding(months: 1)
        }
        let rows = reports.monthly(months: months)
        #expect(rows.count == months.count)
        let episodes = reports.fold.families.values.flatMap(\.episodes)
        var busiest = 0
        for (first, row) in zip(months, rows) {
            let last = first.adding(months: 1).adding(days: -1)
            func inMonth(_ date: CivilDate?) -> Bool {
                date.map { $0 >= first && $0 <= last } ?? false
            }
            let open = episodes.filter {
                $0.openedOn <= last && ($0.closedOn.map { $0 > last } ?? true)
            }.count
            let label = String(first.description.prefix(7))
            #expect(row["month"]?.stringValue == label)
            #expect(
                row["referrals"]?.intValue == episodes.filter { inMonth($0.openedOn) }.count,
                "\(label)")
            #expect(
                row["reReferrals"]?.intValue
                    == episodes.filter { inMonth($0.openedOn) && $0.reReferral }.count, "\(label)")
            #expect(
                row["allocations"]?.intValue
                    == episodes.filter { inMonth($0.firstAllocationOn) }.count, "\(label)")
            #expect(
                row["closuresTotal"]?.intValue == episodes.filter { inMonth($0.closedOn) }.count,
                "\(label)")
            #expect(row["openAtMonthEnd"]?.intValue == open, "\(label)")
            // The rest of the row, as a month asked for on its own gives it.
            #expect(row == reports.monthly(year: first.year, month: first.month), "\(label)")
            busiest = max(busiest, open)
        }
        #expect(busiest > 20, "the demo log has months with many episodes open at their end")
    }

    @Test(
        "the families and pbr columns known without making the rows are every row's, flattened, in order"
    )
    func knownColumns() throws {
        let reports = Reports(
            fold: try Self.plain(try DemoLog.path(families: 120)), asOf: Self.asOf)
        let families = reports.families()
        let pbr = reports.pbr()
        #expect(families.count > 100 && pbr.count == families.count)
        #expect(families.allSatisfy { $0.keys == Reports.familyMembers })
        #expect(pbr.allSatisfy { $0.keys == Reports.pbrMembers })
        // The CSV's flattened columns, declared, are those the rows have (the demo has every part: stars, members
        // with and without a date of birth, employment records).
        #expect(Reports.familyColumns == RowWriter.allColumns(families))
        #expect(Reports.pbrColumns == RowWriter.allColumns(pbr))
        // Caseload's: every column its rows flatten to is declared (a worker with no limit has null there, which
        // flattens to the bare `limit`, held by the declared `limit.*` cells left empty).
        let caseload = reports.caseload()
        let declared = Set(Reports.caseloadColumns + ["limit"])
        #expect(Set(RowWriter.allColumns(caseload.workers)).isSubset(of: declared))
        #expect(RowWriter.allColumns(caseload.workers).contains("limit.min"))
        let teamColumns = Set(Reports.caseloadTeamColumns + ["capacity"])
        #expect(
            Set(RowWriter.allColumns(caseload.teams + [caseload.service])).isSubset(of: teamColumns)
        )
    }

    @Test("as of a date and as known at a moment, in shards: the same as one fold")
    func windows() throws {
        let path = try DemoLog.path(families: 120)
        let window = EventWindow(
            asOf: CivilDate(year: 2026, month: 7, day: 15),
            knownAt: Timestamp(rfc3339: "2026-08-01T00:00:00Z"))
        #expect(
            Self.rows(try LedgerFold.scan(path: path, window: window, shards: 2).fold)
                == Self.rows(try Self.plain(path, window: window)))
    }

    @Test(
        "caseload from its own types without obligations; families and PbR from theirs: the same rows"
    )
    func scoped() throws {
        let path = try DemoLog.path(families: 120)
        let full = Reports(fold: try Self.plain(path), asOf: Self.asOf)
        let caseload = Reports(
            fold: try LedgerFold.scan(
                path: path, window: EventWindow(), compliance: false,
                types: LedgerFold.caseloadTypes
            ).fold,
            asOf: Self.asOf)
        let families = Reports(
            fold: try LedgerFold.scan(
                path: path, window: EventWindow(), compliance: false, types: LedgerFold.familyTypes
            ).fold,
            asOf: Self.asOf)
        let expected = full.caseload()
        let got = caseload.caseload()
        #expect(RowWriter.json(got.workers) == RowWriter.json(expected.workers))
        #expect(
            RowWriter.json(got.teams + [got.service])
                == RowWriter.json(expected.teams + [expected.service]))
        #expect(RowWriter.json(families.families()) == RowWriter.json(full.families()))
        #expect(RowWriter.json(families.pbr()) == RowWriter.json(full.pbr()))
    }

    /// The scoped types are worked out from each type's declared `changes`: the sets the hand-kept lists gave.
    @Test(
        "the scoped types, derived from what each type declares it changes, are the lists kept by hand before"
    )
    func derivedTypes() {
        let caseload: Set = [
            "policy.adopted", "team.defined", "worker.registered", "worker.changed", "worker.left",
            "referral.received", "family.member.added", "family.member.left", "triage.completed",
            "allocation.discussed", "level.changed", "worker.allocated", "worker.unallocated",
            "transfer.completed", "case.closed",
        ]
        let onlyObligations: Set = [
            "visit.completed", "meeting.attended", "note.recorded", "plan.distributed",
            "case-summary.completed", "referrer.contacted", "concern.raised", "closure.approved",
        ]
        #expect(Set(LedgerFold.caseloadTypes.names) == caseload)
        #expect(LedgerFold.caseloadTypes.names.count == caseload.count)
        #expect(
            Set(LedgerFold.familyTypes.names) == Set(Catalogue.names).subtracting(onlyObligations))
        #expect(LedgerFold.familyTypes.names.count == Catalogue.names.count - onlyObligations.count)
    }
}
