import EventLog
import LedgerCore
import LedgerTestSupport
@testable import Projections
import Testing

/// `Reports.dependsOnDate` decides which family pages a rebuild writes again when only the date moved: a family
/// it calls undated must show the same page, and the same families, PbR and due rows, on every later date. Held
/// to that over the demo's families (every kind of episode the scenario makes) from two dates, and over the
/// `crime-asb` window, which the demo does not reach.
@Suite("Which families' pages depend on the date")
struct DateDependenceTests {
    static let today = CivilDate(year: 2026, month: 11, day: 23) ?? CivilDate(dayNumber: 0)
    static let later = [1, 2, 7, 31, 200, 366, 3650]

    /// What the rebuild shows of `family` as of `reports.asOf`: its page (without the date, as written for an
    /// undated family), its families and PbR rows, its due rows.
    static func shown(_ family: FamilyState, _ reports: Reports, timeline: [UInt8]) -> [String] {
        let policy = reports.fold.policy(on: reports.asOf)
        let obligations = reports.obligations(of: family)
        let page = Dashboard.familyPage(
            family: family, row: reports.familyRow(family), obligations: obligations,
            pbr: reports.pbrRow(family, policy: policy), timelineRows: timeline, lastSeq: 1,
            asOf: reports.asOf, workers: reports.fold.workers, dated: false)
        return [
            String(decoding: page, as: UTF8.self),
            reports.familyRow(family).map { JSONWriter.string(.object($0)) } ?? "-",
            reports.pbrRow(family, policy: policy).map { JSONWriter.string(.object($0)) } ?? "-",
        ] + obligations.map { JSONWriter.string(.object(reports.row($0))) }
    }

    /// Checks every family `fold` holds from `base`: the undated ones show the same on each later date. Returns
    /// how many were undated and dated.
    static func check(_ fold: LedgerFold, timelines: [String: [UInt8]], from base: CivilDate) -> (
        undated: Int, dated: Int
    ) {
        let reports = Reports(fold: fold, asOf: base)
        var counts = (undated: 0, dated: 0)
        for family in reports.sortedFamilies {
            guard !reports.dependsOnDate(family, obligations: reports.obligations(of: family))
            else {
                counts.dated += 1
                continue
            }
            counts.undated += 1
            let timeline = timelines[family.ref] ?? []
            let shown = Self.shown(family, reports, timeline: timeline)
            for days in later {
                let other = Reports(fold: fold, asOf: base.adding(days: days))
                #expect(
                    Self.shown(family, other, timeline: timeline) == shown,
                    "\(family.ref), undated as of \(base), shows otherwise \(days) days later")
            }
        }
        return counts
    }

    @Test(
        "an undated family of the demo shows the same on every later date",
        arguments: [(60, UInt64(1)), (60, UInt64(5)), (40, UInt64(9))])
    func demo(families: Int, seed: UInt64) {
        let events = DemoScenario(families: families, seed: seed, today: Self.today).storedEvents()
        var fold = LedgerFold()
        for event in events { fold.apply(event) }
        var book = TimelineBook(workerNames: fold.workers.mapValues(\.name))
        var timelines: [String: [UInt8]] = [:]
        for event in events where event.route != 0 {
            guard let (ref, entry) = book.entry(for: event) else { continue }
            Dashboard.appendTimelineRow(entry, to: &timelines[ref, default: []])
        }
        for base in [Self.today.adding(days: -150), Self.today] {
            let counts = Self.check(fold, timelines: timelines, from: base)
            // Both kinds, so that the check says something.
            #expect(counts.undated > 0 && counts.dated > 0, "\(base): \(counts)")
        }
    }

    @Test("an offence keeps a closed family's page dated until it leaves the crime-asb window")
    func offences() throws {
        let scenario = try Scenario(
            profile: "warwickshire-fsw", referredOn: "2026-03-02",
            [
                E(
                    "triage.completed", "2026-03-02",
                    ["outcome": 4, "priority": "high", "level": "complex"], manager: true),
                E("case.closed", "2026-03-10", ["reason": "refused"], manager: true),
                // After the closure, as outcome events may be (EVENTS.md).
                E("offence.recorded", "2026-05-01", ["memberId": "123456", "kind": "offence"]),
            ])
        let fold = try scenario.fold()
        let family = try #require(fold.families["F-1"])
        func dated(_ day: String) throws -> Bool {
            let reports = Reports(fold: fold, asOf: try #require(CivilDate(day)))
            return reports.dependsOnDate(family, obligations: reports.obligations(of: family))
        }
        // Within six months of the offence, crime-asb is not met and will be: the page depends on the date.
        #expect(try dated("2026-06-01"))
        #expect(try dated("2026-10-31"))
        // Past the window for good: six months after the offence's day.
        #expect(try !dated("2026-11-01"))
        let counts = Self.check(
            fold, timelines: [:], from: try #require(CivilDate("2026-11-01")))
        #expect(counts.undated == 1)
    }
}
