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
    static func generic(_ reports: Reports, _ obligations: [Obligation]) -> (
        json: [UInt8], csv: [UInt8]
    ) {
        let rows = obligations.map(reports.row)
        var json: [UInt8] = []
        var csv: [UInt8] = []
        RowBlocks.Format.json.append(rows, into: &json)
        RowBlocks.Format.csv(Reports.obligationColumns).append(rows, into: &csv)
        return (json, csv)
    }

    static func direct(_ reports: Reports, _ obligations: [Obligation]) -> (
        json: [UInt8], csv: [UInt8]
    ) {
        var json: [UInt8] = []
        var csv: [UInt8] = []
        for (index, obligation) in obligations.enumerated() {
            reports.appendDueJSON(obligation, index: index, into: &json)
            reports.appendDueCSV(obligation, into: &csv)
        }
        return (json, csv)
    }

    @Test(
        "every obligation of a demo log, and those without a detail (the column is there, empty)",
        arguments: [true, false])
    func demo(withDetails: Bool) throws {
        var fold = LedgerFold()
        try EventScanner.scan(path: try DemoLog.path(families: 120), window: EventWindow()) {
            fold.apply($0)
        }
        let reports = Reports(fold: fold, asOf: try #require(CivilDate("2026-11-23")))
        let all = reports.obligations()
        #expect(all.count > 1_000)
        #expect(all.contains { $0.detail != nil } && all.contains { $0.metOn == nil })
        let obligations = withDetails ? all : all.filter { $0.detail == nil }
        #expect(obligations.contains { $0.daysLate(asOf: reports.asOf) > 0 })
        let direct = Self.direct(reports, obligations)
        let generic = Self.generic(reports, obligations)
        #expect(direct.json == generic.json)
        #expect(direct.csv == generic.csv)
        // Every row has every column, read back as a spreadsheet would.
        var file: [UInt8] = []
        RowWriter.appendCSVHeader(Reports.obligationColumns, into: &file)
        let table = try CSVTable(bytes: file + direct.csv)
        #expect(table.header == Reports.obligationColumns)
        #expect(table.rows.count == obligations.count)
        #expect(table.rows.allSatisfy { $0.cells.count == Reports.obligationColumns.count })
    }

    @Test("text that needs escaping, cells a spreadsheet would run, values missing")
    func hostile() throws {
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
        let direct = Self.direct(reports, obligations)
        let generic = Self.generic(reports, obligations)
        #expect(direct.json == generic.json)
        #expect(direct.csv == generic.csv)
        // The cells were quoted and escaped, not written as they are.
        #expect(direct.csv.filter { $0 == UInt8(ascii: "\"") }.count >= 16)
        #expect(direct.json.filter { $0 == UInt8(ascii: "\\") }.count >= 8)
    }
}
