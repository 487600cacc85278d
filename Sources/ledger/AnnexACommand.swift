import EventLog
import LedgerCore
import LedgerEngine
import LedgerQueries
import Projections

/// `ledger annex-a`: Ofsted's Annex A list 2 for early help, the list an inspection asks for on its first morning.
enum AnnexACommand {
    static let help = """
        usage: ledger annex-a --as-of DATE [--known-at DATETIME] [--format csv|json|jsonl|table] [--log PATH]

        Ofsted's Annex A list 2 (early help) on DATE: one row per child of every family whose early help
        assessment (the episode's first assessment.completed) was completed between DATE minus six months and
        DATE, or whose intervention (from engagement.started until case.closed) is open on DATE. Columns:
        childId, gender, ethnicity, dateOfBirth, age (whole years on DATE), assessmentStart (engagement.started),
        assessmentCompletion (assessment.completed), team (the lead worker's team); "unknown" where the log does
        not hold a value. A family with several such episodes is listed for the latest; rows by child id.
        Corrections are applied and voided events left out, as in every projection. Without --as-of: today.
        Every listed child's record is read: one entry in the access log <log>.access (see `ledger access`).
          --format FORMAT       csv (what Ofsted's template takes), json (default when not a terminal), jsonl, table
          --viewer ID           who is looking, recorded in the access log (default $LEDGER_VIEWER)
        """

    static func run(_ raw: [String]) throws -> ExitStatus {
        let query = try ReadCommands.Query(raw, options: [])
        guard query.arguments.positionals.isEmpty else {
            throw UsageError(message: "unexpected \(query.arguments.positionals[0])")
        }
        try ReadCommands.requireLog(query)
        // Every family's children are read in bulk: one access entry naming no family, durable before output.
        try AccessAudit.begin(
            command: "annex-a", family: nil, arguments: query.arguments, log: query.path)
        var window = query.window
        window.asOf = query.asOf
        var list = AnnexA()
        try EventScanner.scan(path: query.path, window: window, types: AnnexA.types) {
            list.apply($0)
        }
        let rows = list.rows(on: query.asOf)
        try query.emit(count: rows.count, columns: AnnexA.columns, tableColumns: AnnexA.columns) {
            rows[$0]
        }
        return .done
    }
}
