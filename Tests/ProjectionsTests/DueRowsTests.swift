import EventLog
import LedgerCore
import LedgerEngine
import LedgerQueries
import LedgerTestSupport
import Testing

@testable import Projections

/// The due rows a rebuild writes straight to bytes (`appendDueJSON`, `appendDueCSV`) against the generic path: the
/// row as a JSON object (`Reports.row`), rendered by `RowBlocks.Format`.
@Suite("Due rows written straight to bytes")
struct DueRowsTests {
    static func generic(_ reports: Reports, _ obligations: [Obligation], detail: Bool) -> (
        json: [UInt8], csv: [UInt8]
    ) {
        let rows = obligations.map(reports.row)
        var json: [UInt8] = []
        var csv: [UInt8] = []
        RowBlocks.Format.json.append(rows, into: &json)
        RowBlocks.Format.csv(Reports.obligationColumns(detail: detail)).append(rows, into: &csv)
        return (json, csv)
    }

    static func direct(_ reports: Reports, _ obligations: [Obligation], detail: Bool) -> (
        json: [UInt8], csv: [UInt8]
    ) {
        var json: [UInt8] = []
        var csv: [UInt8] = []
        for (index, obligation) in obligations.enumerated() {
            reports.appendDueJSON(obligation, index: index, into: &json)
            reports.appendDueCSV(obligation, detailColumn: detail, into: &csv)
        }
        return (json, csv)
    }

    @Test(
        "every obligation of a demo log, with the detail column and without",
        arguments: [true, false])
    func demo(detail: Bool) throws {
        var fold = LedgerFold()
        try EventScanner.scan(path: try DemoLog.path(families: 120), window: EventWindow()) {
            fold.apply($0)
        }
        let reports = Reports(fold: fold, asOf: try #require(CivilDate("2026-11-23")))
        let obligations = reports.obligations()
        #expect(obligations.count > 1_000)
        #expect(
            obligations.contains { $0.detail != nil } && obligations.contains { $0.metOn == nil })
        #expect(obligations.contains { $0.daysLate(asOf: reports.asOf) > 0 })
        let direct = Self.direct(reports, obligations, detail: detail)
        let generic = Self.generic(reports, obligations, detail: detail)
        #expect(direct.json == generic.json)
        #expect(direct.csv == generic.csv)
    }

    @Test(
        "text that needs escaping, cells a spreadsheet would run, values missing",
        arguments: [true, false])
    func hostile(detail: Bool) throws {
        let reports = Reports(fold: LedgerFold(), asOf: try #require(CivilDate("2026-06-01")))
        let terms = ObligationTerms(
            rule: "rule, \"quoted\"", label: "=SUM(A1)\nsecond line\\", source: "§4 – Zoë's \u{1}",
            kind: .check)
        let plain = ObligationTerms(rule: "visit", label: "Visit", source: "004", kind: .deadline)
        let from = try #require(CivilDate("2026-03-02"))
        var late = Obligation(
            family: "F-\"1\"", episode: 2, terms: terms, fromSeq: 12, fromDate: from,
            dueOn: try #require(CivilDate("2026-03-09")),
            checkPassed: false, detail: "-3 days, no \"visit\"\r\n@ home")
        late.responsible = "+w-017"
        var met = Obligation(
            family: "F-2", episode: 1, terms: plain, fromSeq: 3, fromDate: from,
            dueOn: try #require(CivilDate("2026-07-01")))
        let metOn = try #require(CivilDate("2026-05-30"))
        met.metOn = metOn
        let open = Obligation(
            family: "F-3", episode: 1, terms: plain, fromSeq: 4, fromDate: from,
            dueOn: try #require(CivilDate("2026-06-20")))
        let obligations = [late, met, open, late]
        let direct = Self.direct(reports, obligations, detail: detail)
        let generic = Self.generic(reports, obligations, detail: detail)
        #expect(direct.json == generic.json)
        #expect(direct.csv == generic.csv)
        // The cells were quoted and escaped, not written as they are.
        #expect(direct.csv.filter { $0 == UInt8(ascii: "\"") }.count >= 16)
        #expect(direct.json.filter { $0 == UInt8(ascii: "\\") }.count >= 8)
    }
}
