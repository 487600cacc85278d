import EventLog
import LedgerCore
import LedgerDemo
import LedgerTestSupport
@testable import Projections
import Testing

/// `Reports.nextChange` decides which family pages a rebuild writes again when only the date moved: what is shown
/// of a family (its page, its families, PbR and due rows) must be the same on every as-of date from one date up to
/// the day before the next change it names, and that day must be the same whichever of those dates it is worked
/// out on. Held to that over the demo's families (every kind of episode the scenario makes) from two dates, on
/// every later day for a year (and ten years on), and over the `crime-asb` window, which the demo does not reach.
@Suite("Which days change what a family's page shows")
struct DateDependenceTests {
    static let today = CivilDate(year: 2026, month: 11, day: 23) ?? CivilDate(dayNumber: 0)

    /// What the rebuild shows of `family` as of `reports.asOf`: its page, its families and PbR rows, its due rows.
    static func shown(_ family: FamilyState, _ reports: Reports, timeline: [UInt8]) -> [String] {
        let policy = reports.fold.policy(on: reports.asOf)
        let obligations = reports.obligations(of: family)
        let page = Dashboard.familyPage(
            family: family, row: reports.familyRow(family), obligations: obligations,
            pbr: reports.pbrRow(family, policy: policy), timelineRows: timeline, lastSeq: 1,
            asOf: reports.asOf, workers: reports.fold.workers,
            changes: reports.nextChange(family, obligations: obligations))
        return [
            String(decoding: page, as: UTF8.self),
            reports.familyRow(family).map { JSONWriter.string(.object($0)) } ?? "-",
            reports.pbrRow(family, policy: policy).map { JSONWriter.string(.object($0)) } ?? "-",
        ] + obligations.map { JSONWriter.string(.object(reports.row($0))) }
    }

    /// A family's page alone as of `reports.asOf`, naming the day its page next changes (`nextPageChange`).
    static func page(_ family: FamilyState, _ reports: Reports, timeline: [UInt8]) -> [String] {
        let obligations = reports.obligations(of: family)
        return [
            String(
                decoding: Dashboard.familyPage(
                    family: family, row: reports.familyRow(family), obligations: obligations,
                    pbr: reports.pbrRow(family, policy: reports.fold.policy(on: reports.asOf)),
                    timelineRows: timeline, lastSeq: 1, asOf: reports.asOf,
                    workers: reports.fold.workers,
                    changes: reports.nextPageChange(family, obligations: obligations)),
                as: UTF8.self)
        ]
    }

    /// Checks every family `fold` holds from `base`: it shows the same on every later day before its next change
    /// (a year of days, then ten years on). Returns how many change the next day, later, and never. `pages`: the
    /// family's page alone, against its own next change (`nextPageChange`), rather than all that is shown of it.
    static func check(
        _ fold: LedgerFold, timelines: [String: [UInt8]], from base: CivilDate, pages: Bool = false
    ) -> (
        tomorrow: Int, later: Int, never: Int
    ) {
        let reports = Reports(fold: fold, asOf: base)
        let days =
            (reports.sortedFamilies.count > 20
                ? Array(1...40) + [60, 90, 180, 366] : Array(1...366)) + [3650]
        var counts = (tomorrow: 0, later: 0, never: 0)
        let shown = pages ? Self.page : Self.shown
        for family in reports.sortedFamilies {
            let obligations = reports.obligations(of: family)
            let next =
                pages
                ? reports.nextPageChange(family, obligations: obligations)
                : reports.nextChange(family, obligations: obligations)
            // The page's change is never before the rows': it counts no days, and shows no more than they do.
            #expect(
                reports.nextPageChange(family, obligations: obligations).map { page in
                    reports.nextChange(family, obligations: obligations).map { $0 <= page } ?? false
                } ?? true, "\(family.ref)")
            switch next {
            case .none: counts.never += 1
            case .some(let day) where day == base.adding(days: 1): counts.tomorrow += 1
            case .some: counts.later += 1
            }
            let timeline = timelines[family.ref] ?? []
            let seen = shown(family, reports, timeline)
            for offset in days {
                let day = base.adding(days: offset)
                guard next.map({ day < $0 }) ?? true else { break }
                let other = Reports(fold: fold, asOf: day)
                #expect(
                    shown(family, other, timeline) == seen,
                    "\(family.ref): as of \(base) its next change is \(next.map { "\($0)" } ?? "never"), but \(day) shows otherwise"
                )
            }
        }
        return counts
    }

    @Test(
        "a family of the demo shows the same on every day before its next change",
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
        var changing = (rows: 0, pages: 0)
        for base in [Self.today.adding(days: -150), Self.today] {
            let counts = Self.check(fold, timelines: timelines, from: base)
            // Every kind, so that the check says something.
            #expect(
                counts.tomorrow > 0 && counts.later > 0 && counts.never > 0, "\(base): \(counts)")
            // The pages alone: no more change the next day (they count no days late).
            let pages = Self.check(fold, timelines: timelines, from: base, pages: true)
            #expect(
                pages.tomorrow <= counts.tomorrow && pages.later > 0 && pages.never > 0,
                "\(base): \(pages) against \(counts)")
            changing.rows += counts.tomorrow
            changing.pages += pages.tomorrow
        }
        // And fewer, where work is overdue.
        #expect(changing.pages < changing.rows, "\(changing)")
    }

    @Test("a warning point and a due date are the days an obligation changes; overdue, every day")
    func obligationDays() throws {
        func day(_ text: String) throws -> CivilDate { try #require(CivilDate(text)) }
        let family = FamilyState(ref: "F-9")
        var obligation = Obligation(
            family: "F-9", episode: 1,
            terms: ObligationTerms(rule: "r", label: "R", source: "s", kind: .duration),
            fromSeq: 1, fromDate: try day("2026-01-01"), dueOn: try day("2026-03-31"))
        obligation.warnOn = try day("2026-03-01")
        let fold = LedgerFold()
        func next(_ asOf: CivilDate) -> CivilDate? {
            Reports(fold: fold, asOf: asOf).nextChange(family, obligations: [obligation])
        }
        func row(_ asOf: CivilDate) -> String {
            JSONWriter.string(.object(Reports(fold: fold, asOf: asOf).row(obligation)))
        }
        #expect(next(try day("2026-02-01")) == (try day("2026-03-01")))
        #expect(next(try day("2026-03-01")) == (try day("2026-04-01")))
        #expect(next(try day("2026-03-31")) == (try day("2026-04-01")))
        #expect(next(try day("2026-04-01")) == (try day("2026-04-02")))
        // From every day, the row is the same up to the day before the next change, and that day changes it.
        var base = try day("2026-01-01")
        while base <= (try day("2026-04-10")) {
            let change = try #require(next(base))
            var other = base
            while other < change {
                #expect(row(other) == row(base), "from \(base), \(other)")
                other = other.adding(days: 1)
            }
            #expect(row(change) != row(base), "\(change) changes it")
            base = base.adding(days: 1)
        }
        // Its family's page counts no days late: the warning point and the due date passed change it, and
        // nothing after that but an event.
        func nextPage(_ asOf: CivilDate) -> CivilDate? {
            Reports(fold: fold, asOf: asOf).nextPageChange(family, obligations: [obligation])
        }
        #expect(nextPage(try day("2026-02-01")) == (try day("2026-03-01")))
        #expect(nextPage(try day("2026-03-01")) == (try day("2026-04-01")))
        #expect(nextPage(try day("2026-04-01")) == nil)
        #expect(nextPage(try day("2027-04-01")) == nil)
        // An item awaiting triage: its row counts its days, its page names the day of the referral.
        let referred = try day("2026-10-30")
        let awaiting = Obligation(
            family: "F-9", episode: 1,
            terms: ObligationTerms(rule: "triage", label: "Triaged", source: "s", kind: .awaiting),
            fromSeq: 1, fromDate: referred, dueOn: referred,
            detail: Obligation.awaitingDetail(days: 54, referredOn: referred))
        let reports = Reports(fold: fold, asOf: try day("2026-12-23"))
        #expect(reports.nextChange(family, obligations: [awaiting]) == (try day("2026-12-24")))
        #expect(reports.nextPageChange(family, obligations: [awaiting]) == nil)
        let page = String(
            decoding: Dashboard.familyPage(
                family: family, row: nil, obligations: [awaiting], pbr: nil, timelineRows: [],
                lastSeq: nil, asOf: reports.asOf, changes: nil), as: UTF8.self)
        #expect(
            page.contains("awaiting triage since the referral on 2026-10-30; the policy sets no"))
        #expect(!page.contains("54 days"))
        // Met: nothing changes it again.
        obligation.metOn = try day("2026-03-10")
        #expect(next(try day("2026-03-10")) == nil)
    }

    @Test("an offence changes a closed family's page the day it leaves the crime-asb window")
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
        func next(_ day: String) throws -> CivilDate? {
            let reports = Reports(fold: fold, asOf: try #require(CivilDate(day)))
            return reports.nextChange(family, obligations: reports.obligations(of: family))
        }
        // Before the offence, it changes on the offence's day; within six months of it, the day it is six months
        // old; after that, never.
        #expect(try next("2026-04-01") == CivilDate("2026-05-01"))
        #expect(try next("2026-06-01") == CivilDate("2026-11-01"))
        #expect(try next("2026-10-31") == CivilDate("2026-11-01"))
        #expect(try next("2026-11-01") == nil)
        for day in ["2026-03-10", "2026-04-01", "2026-05-01", "2026-10-31", "2026-11-01"] {
            _ = Self.check(fold, timelines: [:], from: try #require(CivilDate(day)))
        }
    }
}
