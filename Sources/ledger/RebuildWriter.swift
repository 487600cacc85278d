import EventLog
import LedgerCore
import Projections

/// `ledger rebuild`: one pass over the log, every projection written as JSON and CSV, and the dashboard.
enum RebuildWriter {
    struct Summary {
        var families: Int
        var obligations: Int
    }

    static func write(path: String, window: EventWindow, asOf: CivilDate, to directory: String) throws -> Summary {
        var fold = LedgerFold()
        // Only where each family's lines are is kept; the family pages read them back one family at a time, so
        // memory holds the projections' state, not the log.
        var offsets: [String: [Int]] = [:]
        let amendments = try EventScanner.amendments(path: path, window: window)
        try EventScanner.scan(path: path, window: window, amendments: amendments, progress: { Console.progress("rebuild: line \($0)") }) {
            event in
            fold.apply(event)
            if let ref = event.familyRef { offsets[ref, default: []].append(event.offset) }
        }
        Console.endProgress()
        let reports = Reports(fold: fold, asOf: asOf)
        try FileOutput.makeDirectory(directory)
        try FileOutput.makeDirectory(directory + "/families")
        func emit(_ name: String, _ rows: [JSONObject]) throws {
            try FileOutput.writeAtomically(RowWriter.json(rows), to: "\(directory)/\(name).json")
            try FileOutput.writeAtomically(RowWriter.csv(rows), to: "\(directory)/\(name).csv")
        }
        let families = reports.families()
        try emit("families", families)
        let caseload = reports.caseload()
        try emit("caseload", caseload.workers)
        try emit("caseload-teams", caseload.teams + [caseload.service])
        let obligations = reports.obligations()
        try emit("due", obligations.map(reports.row))
        let pbr = reports.pbr()
        try emit("pbr", pbr)
        // Every month from the first referral to the as-of month.
        var months: [JSONObject] = []
        let firstDate = fold.families.values.compactMap { $0.episodes.first?.openedOn }.min() ?? asOf
        var month = CivilDate(year: firstDate.year, month: firstDate.month, day: 1) ?? asOf
        while month <= asOf {
            months.append(reports.monthly(year: month.year, month: month.month, obligations: obligations))
            month = month.adding(months: 1)
        }
        try emit("monthly", months)
        let thisMonth = reports.monthly(year: asOf.year, month: asOf.month, obligations: obligations)
        let policyName = fold.policy(on: asOf)?.name ?? "none"
        try FileOutput.writeAtomically(
            Array(Dashboard.index(reports: reports, caseload: caseload, obligations: obligations, pbr: pbr, monthly: thisMonth, policyName: policyName).utf8),
            to: "\(directory)/index.html")
        let familyRows = Dictionary(families.compactMap { row in row["family"]?.stringValue.map { ($0, row) } }, uniquingKeysWith: { first, _ in first })
        let pbrRows = Dictionary(pbr.compactMap { row in row["family"]?.stringValue.map { ($0, row) } }, uniquingKeysWith: { first, _ in first })
        var byFamily: [String: [Obligation]] = [:]
        for obligation in obligations { byFamily[obligation.family, default: []].append(obligation) }
        let names = fold.workers.mapValues(\.name)
        for family in fold.families.values.sorted(by: { $0.ref < $1.ref }) {
            var book = TimelineBook(only: family.ref, workerNames: names)
            for event in try EventScanner.events(path: path, at: offsets[family.ref] ?? [], amendments: amendments) {
                book.apply(event)
            }
            let page = Dashboard.familyPage(
                family: family, row: familyRows[family.ref], obligations: byFamily[family.ref] ?? [], pbr: pbrRows[family.ref],
                timeline: book.timeline(family.ref), asOf: asOf)
            try FileOutput.writeAtomically(Array(page.utf8), to: "\(directory)/families/\(HTML.safeFileName(family.ref)).html")
        }
        return Summary(families: fold.families.count, obligations: obligations.count)
    }
}
