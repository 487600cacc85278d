import EventLog
import LedgerCore
import LedgerEngine
import LedgerQueries
import Projections

/// The read side: the projections of PROJECTIONS.md.
enum ReadCommands {
    static let all: [CommandRunner.Command] = [
        .init(
            name: "families", summary: "one row per family: status, level, workers, Family Star",
            help: familiesHelp, run: families),
        .init(
            name: "caseload",
            summary: "families and children per worker against the policy's limits; team totals",
            help: caseloadHelp, run: caseload),
        .init(
            name: "timeline", summary: "a family's journey, corrections struck through",
            help: timelineHelp, run: timeline),
        .init(
            name: "due",
            summary: "every timescale: met, met-late, open, warning, overdue, lapsed, breached",
            help: dueHelp, run: due),
        .init(
            name: "pbr",
            summary: "Payment by Results: attachment, progress per criterion with evidence",
            help: pbrHelp, run: pbr),
        .init(
            name: "monthly", summary: "the monthly report for --month YYYY-MM", help: monthlyHelp,
            run: monthly),
        .init(
            name: "rebuild",
            summary: "write every projection (JSON, CSV) and the HTML dashboard to --out DIR",
            help: rebuildHelp, run: rebuild),
    ]

    static let common = """
          --as-of DATE          events that had occurred by the end of DATE; statuses judged on DATE
          --known-at DATETIME   only events recorded by then (audit replay); RFC 3339, or a date (end of that day)
          --format FORMAT       table (default at a terminal), json (default otherwise), jsonl, csv (one value
                                per cell: objects in named columns, `limit.min`; lists joined by "; ")
          --wide                a table as wide as its cells (by default, as wide as the terminal)
          --log PATH            the log (default $LEDGER_LOG, else ./ledger.jsonl)
          --from-scratch        fold the whole log, ignoring (and not keeping) the checkpoint beside it
          --viewer ID           who is looking, recorded in the access log <log>.access with the operating-system
                                user (default $LEDGER_VIEWER); see `ledger access`
        """
    static let familiesHelp =
        "usage: ledger families [--family REF] [--worker ID] [--team ID] [--status STATUS] [options]\n\n\(common)"
    static let caseloadHelp = """
        usage: ledger caseload [--worker ID] [--team ID] [options]

        Open families and their children per worker (allocated in any relationship), against the limit:
        the worker's own caseload, else the policy's for their role (and level), scaled by FTE.
        json holds workers, teams and the service total with capacity (FTE × caseload range, 001 Table 4).

        \(common)
        """
    static let timelineHelp =
        "usage: ledger timeline FAMILY [options]   (also --format html)\n\n\(common)"
    static let dueHelp = """
        usage: ledger due [--overdue] [--status STATUS] [--rule ID] [--family REF] [--worker ID] [--team ID] [options]

        Every obligation of the policy in force when its clock started: rule id, label, seed source, due date,
        status (met, met-late, open, warning, overdue, lapsed, breached), days late, responsible lead worker;
        `warning` (with its `warnOn` date): past the rule's warning point, not yet met nor overdue.

        \(common)
        """
    static let pbrHelp = "usage: ledger pbr [--family REF] [--claimable] [options]\n\n\(common)"
    static let monthlyHelp =
        "usage: ledger monthly --month YYYY-MM [options]   (as of the month's last day unless --as-of)\n\n\(common)"
    static let rebuildHelp = """
        usage: ledger rebuild --out DIR [--as-of DATE] [--known-at DATETIME] [--from-scratch] [--log PATH]

        Writes families, caseload (+ caseload-teams), due, pbr and monthly as DIR/NAME.json and DIR/NAME.csv,
        and the HTML dashboard: DIR/index.html, DIR/style.css and DIR/families/REF.html. Files are owner-only.
        The projections come from the same fold (and checkpoint) as the read commands, so their files hold the
        same bytes as `ledger NAME --format json|csv`.

        Only what changed since the folder's last rebuild is written: DIR/.rebuild-plan records what each page was
        made from (its family's last seq; the date, for a page that depends on it). A family's page is written
        again when its family has new events or was redacted, or, for an open family or one with work still
        falling due, when the date moves; the projections and DIR/index.html when the log or the date moved.
        The output is the same as a rebuild into a new folder. --from-scratch trusts no checkpoint, index or plan.
        """

    /// The options every read command takes; each command names its own filters besides (`Query.init`), so a
    /// filter a command does not apply is a usage error, never silently ignored.
    static let commonOptions: Set<String> = ["log", "as-of", "known-at", "format", "viewer"]

    struct Query {
        var arguments: Arguments
        var window: EventWindow
        var asOf: CivilDate
        var format: OutputFormat

        init(_ raw: [String], options: Set<String>, flags: Set<String> = []) throws {
            arguments = try Arguments(
                raw, flags: flags.union(["from-scratch", "wide"]),
                known: ReadCommands.commonOptions.union(options))
            var window = EventWindow()
            if let text = arguments.value("as-of") {
                guard let date = CivilDate(text) else {
                    throw UsageError(message: "--as-of: \(CivilDate.problem(with: text) ?? text)")
                }
                window.asOf = date
            }
            if let text = arguments.value("known-at") {
                if let instant = Timestamp(rfc3339: text) {
                    window.knownAt = instant
                } else if let date = CivilDate(text) {
                    window.knownAt = Timestamp(seconds: Int64(date.dayNumber + 1) * 86_400 - 1)
                } else {
                    throw UsageError(
                        message: "--known-at must be an RFC 3339 date-time or YYYY-MM-DD")
                }
            }
            self.window = window
            let today = try CommandRunner.environment().now().londonDate
            asOf = window.asOf ?? window.knownAt?.londonDate ?? today
            let formatText =
                arguments.value("format") ?? (Console.stdoutIsTerminal ? "table" : "json")
            guard let format = OutputFormat(rawValue: formatText) else {
                throw UsageError(
                    message: "--format must be table, json, jsonl, csv (or html for timeline)")
            }
            self.format = format
        }

        var path: String { CommandRunner.logPath(arguments) }

        /// How wide a table may be: the terminal's width, or unlimited with `--wide`.
        var tableWidth: Int? { arguments.flags.contains("wide") ? nil : Console.terminalWidth }

        /// The fold of the log in the window for `scope`: from its checkpoint and the events since when it can, else
        /// from scratch (always with `--from-scratch`).
        func fold(_ scope: FoldCheckpoint.Scope, stage: String = "reading") throws -> (
            fold: LedgerFold, caseload: [CaseloadEntry]?
        ) {
            let result = try FoldCheckpoint.fold(
                log: path, window: window, scope: scope,
                fromScratch: arguments.flags.contains("from-scratch"),
                progress: { Console.progress("\(stage): line \($0)") })
            Console.endProgress()
            return result
        }

        /// The fold of everything up to `head`, for a rebuild (`RebuildWriter.Folding`), kept until the process
        /// exits.
        func foldCovering(_ head: LogHead) throws -> (fold: LedgerFold, leftOut: Bool) {
            let result = try FoldCheckpoint.foldCovering(
                log: path, window: window, scope: FoldCheckpoint.everything,
                fromScratch: arguments.flags.contains("from-scratch"), head: head,
                progress: { Console.progress("reading: line \($0)") })
            Console.endProgress()
            ProcessExit.keep(result.fold)
            return (result.fold, result.leftOut)
        }

        func reports(_ scope: FoldCheckpoint.Scope = FoldCheckpoint.everything) throws -> Reports {
            if scope.name == FoldCheckpoint.everything.name { RebuildWriter.tuneAllocator() }
            let reports = Reports(fold: try fold(scope).fold, asOf: asOf)
            ProcessExit.keep(reports)
            return reports
        }

        /// Writes the rows `row` makes for positions `0..<count` (nil: no row there) in the chosen format, made a
        /// block at a time on every core and written as they are made (`RowBlocks`): the same bytes as `emit` of all
        /// the rows, without holding them. The CSV's columns are `columns`, else those of the rows in the order
        /// first seen (the rows are then made twice). A table is aligned over all its rows, so it holds them.
        func emit(
            count: Int, columns: [String]? = nil, tableColumns: [String],
            row: @Sendable (Int) -> JSONObject?
        ) throws {
            let columns = format == .csv ? columns ?? RowBlocks.columns(count: count, row: row) : []
            try emit(count: count, columns: columns, tableColumns: tableColumns) {
                row($0).map { [$0] } ?? []
            }
        }

        /// `emit` where a position makes any number of rows (`rows`), with the CSV's columns given.
        func emit(
            count: Int, columns: [String], tableColumns: [String],
            rows: @Sendable (Int) -> [JSONObject]
        ) throws {
            switch format {
            case .table: try emit((0..<count).flatMap(rows), tableColumns: tableColumns)
            case .json: try RowBlocks.write(.json, count: count, rows: rows, to: Console.outBytes)
            case .jsonl: try RowBlocks.write(.jsonl, count: count, rows: rows, to: Console.outBytes)
            case .csv:
                try RowBlocks.write(.csv(columns), count: count, rows: rows, to: Console.outBytes)
            case .html:
                throw UsageError(
                    message: "--format html is for timeline (and rebuild writes the dashboard)")
            }
        }

        /// `rows` in the chosen format; a CSV in `columns` (nil: every member the rows hold).
        func emit(_ rows: [JSONObject], columns: [String]? = nil, tableColumns: [String]) throws {
            switch format {
            case .table:
                Console.outBytes(RowWriter.table(rows, columns: tableColumns, width: tableWidth))
            case .json: Console.outBytes(RowWriter.json(rows))
            case .jsonl: Console.outBytes(RowWriter.jsonl(rows))
            case .csv: Console.outBytes(RowWriter.csv(rows, columns: columns))
            case .html:
                throw UsageError(
                    message: "--format html is for timeline (and rebuild writes the dashboard)")
            }
        }
    }

    /// The --family, --worker and --team filters (and --status where `status` says so), each checked against
    /// what the log holds.
    static func filters(_ query: Query, _ fold: LedgerFold, status: Bool = false) throws
        -> ProjectionFilter
    {
        if status, let given = query.arguments.value("status"),
            !Reports.familyStatuses.contains(given)
        {
            throw UsageError(
                message:
                    "--status must be one of \(Reports.familyStatuses.joined(separator: ", ")), not \"\(given)\""
            )
        }
        let filter = ProjectionFilter(
            family: query.arguments.value("family").map(AccessCommands.familyRef),
            worker: query.arguments.value("worker"), team: query.arguments.value("team"),
            status: status ? query.arguments.value("status") : nil)
        try filter.check(
            against: fold, windowed: query.window.asOf != nil || query.window.knownAt != nil)
        return filter
    }

    static func requireLog(_ query: Query) throws {
        if !LedgerFile(path: query.path).exists { throw EventLogError.missing(path: query.path) }
    }

    static func families(_ raw: [String]) throws -> ExitStatus {
        let query = try Query(raw, options: ["family", "worker", "team", "status"])
        try requireLog(query)
        try AccessAudit.beginProjection("families", query)
        let reports = try query.reports(FoldCheckpoint.families)
        let filter = try filters(query, reports.fold, status: true)
        let workers = reports.fold.workers
        let families = reports.sortedFamilies
        // Each row is made, filtered and written a block at a time (a county's families are many), in the columns
        // `rebuild` writes too.
        try query.emit(
            count: families.count,
            columns: Reports.familyColumns,
            tableColumns: [
                "family", "status", "level", "episode", "openedOn", "closedOn", "lead",
                "reReferral", "awaitingTriageDays",
            ]
        ) {
            guard filter.keeps(families[$0], workers: workers) else { return nil }
            return reports.familyRow(families[$0])
        }
        return .done
    }

    static func caseload(_ raw: [String]) throws -> ExitStatus {
        let query = try Query(raw, options: ["worker", "team"])
        try requireLog(query)
        try AccessAudit.begin(
            command: "caseload", family: nil, arguments: query.arguments, log: query.path)
        let (fold, entries) = try query.fold(FoldCheckpoint.caseload)
        ProcessExit.keep(fold)
        let figures = Reports(fold: fold, asOf: query.asOf).caseload(entries: entries)
        let filter = try filters(query, fold)
        let kept = figures.filtered(workers: filter.keeps(worker:), teams: filter.keeps(team:))
        let workers = kept.workers
        let teams = kept.teams
        switch query.format {
        case .json:
            var out: [UInt8] = []
            JSONWriter.writeForDisplay(
                .object(
                    JSONObject([
                        JSONMember("asOf", .string(query.asOf.description)),
                        JSONMember("workers", .array(workers.map(JSONValue.object))),
                        JSONMember("teams", .array(teams.map(JSONValue.object))),
                        JSONMember("service", .object(figures.service)),
                    ])), into: &out)
            out.append(0x0A)
            Console.outBytes(out)
        case .table:
            Console.outBytes(
                RowWriter.table(
                    workers.map(tableCaseloadRow),
                    columns: [
                        "worker", "name", "role", "team", "fte", "families", "children", "limit",
                        "status",
                    ], width: query.tableWidth))
            Console.out("\n")
            Console.outBytes(
                RowWriter.table(
                    (teams + [figures.service]).map(tableCaseloadRow),
                    columns: [
                        "team", "workers", "fte", "families", "children", "capacity", "status",
                    ], width: query.tableWidth))
        default:
            try query.emit(workers, columns: Reports.caseloadColumns, tableColumns: [])
        }
        return .done
    }

    /// A caseload row with its limit or capacity as "10–15 families" (or "no limit set") for reading.
    static func tableCaseloadRow(_ row: JSONObject) -> JSONObject {
        var row = row
        for key in ["limit", "capacity"] {
            if let limit = row[key]?.objectValue {
                row[key] = .string(
                    "\(RowWriter.cellText(limit["min"]))–\(RowWriter.cellText(limit["max"])) \(RowWriter.cellText(limit["unit"]))"
                )
            } else if row[key] == .null {
                row[key] = .string("no limit set")
            }
        }
        if row["team"] == nil, let service = row["service"] {
            row["team"] = .string("(\(RowWriter.cellText(service)))")
        }
        return row
    }

    static func due(_ raw: [String]) throws -> ExitStatus {
        let query = try Query(
            raw, options: ["status", "rule", "family", "worker", "team"], flags: ["overdue"])
        try requireLog(query)
        try AccessAudit.beginProjection("due", query)
        var wanted: Obligation.Status?
        if let text = query.arguments.value("status") {
            guard let parsed = Obligation.Status(rawValue: text) else {
                throw UsageError(
                    message:
                        "--status must be one of \(Obligation.Status.allCases.map(\.rawValue).joined(separator: ", "))"
                )
            }
            wanted = parsed
        }
        let status = wanted
        let reports = try query.reports()
        let asOf = reports.asOf
        let overdue = query.arguments.flags.contains("overdue")
        let rule = query.arguments.value("rule")
        // A rule no adopted policy has would give no rows, silently: a typo is told so, with the rules there are.
        if let rule, !reports.fold.ruleIDs.contains(rule) {
            let known = reports.fold.ruleIDs.sorted().joined(separator: ", ")
            throw UsageError(
                message:
                    "--rule \(rule): no policy in the log has that rule (the rules: \(known.isEmpty ? "none: no policy adopted" : known))"
            )
        }
        let filter = try filters(query, reports.fold)
        let workers = reports.fold.workers
        let kept: @Sendable (Obligation) -> Bool = { obligation in
            if overdue, obligation.status(asOf: asOf) != .overdue { return false }
            if let status, obligation.status(asOf: asOf) != status { return false }
            if let rule, obligation.rule != rule { return false }
            return filter.keeps(obligation, workers: workers)
        }
        // Each family's obligations are made, filtered and written a block of families at a time, never all held.
        let families = reports.sortedFamilies
        // The kept obligations of the family at a position. As JSON or CSV, each row is written straight to bytes
        // (`appendDueJSON`, `appendDueCSV`) rather than made as a JSON object first.
        let rowsOf = { @Sendable (position: Int) in
            reports.obligations(of: families[position]).filter(kept)
        }
        switch query.format {
        case .json:
            try RowBlocks.write(
                .json, count: families.count,
                append: { position, out, index in
                    let obligations = rowsOf(position)
                    for (offset, obligation) in obligations.enumerated() {
                        reports.appendDueJSON(obligation, index: index + offset, into: &out)
                    }
                    return obligations.count
                }, to: Console.outBytes)
        case .csv:
            let columns = Reports.obligationColumns
            try RowBlocks.write(
                .csv(columns), count: families.count,
                append: { position, out, _ in
                    let obligations = rowsOf(position)
                    for obligation in obligations {
                        reports.appendDueCSV(obligation, into: &out)
                    }
                    return obligations.count
                }, to: Console.outBytes)
        default:
            try query.emit(
                count: families.count, columns: Reports.obligationColumns,
                tableColumns: [
                    "family", "rule", "dueOn", "status", "metOn", "daysLate", "responsible",
                    "label",
                ]
            ) {
                rowsOf($0).map(reports.row)
            }
        }
        return .done
    }

    static func pbr(_ raw: [String]) throws -> ExitStatus {
        let query = try Query(raw, options: ["family"], flags: ["claimable"])
        try requireLog(query)
        try AccessAudit.beginProjection("pbr", query)
        let reports = try query.reports(FoldCheckpoint.families)
        // pbr is filtered by family only (its usage names no other filter).
        let filter = ProjectionFilter(family: try filters(query, reports.fold).family)
        let workers = reports.fold.workers
        let claimable = query.arguments.flags.contains("claimable")
        let families = reports.sortedFamilies
        let policy = reports.fold.policy(on: reports.asOf)
        try query.emit(
            count: families.count,
            columns: Reports.pbrColumns,
            tableColumns: ["family", "level", "criteria", "attached", "claimable", "claimed"]
        ) {
            guard filter.keeps(families[$0], workers: workers),
                let row = reports.pbrRow(families[$0], policy: policy)
            else { return nil }
            if claimable, row["claimable"]?.arrayValue?.isEmpty != false { return nil }
            return row
        }
        return .done
    }

    static func monthly(_ raw: [String]) throws -> ExitStatus {
        var query = try Query(raw, options: ["month"])
        try requireLog(query)
        guard let text = query.arguments.value("month") else {
            throw UsageError(message: "--month YYYY-MM is required")
        }
        guard let first = CivilDate(text + "-01") else {
            throw UsageError(message: "--month must be YYYY-MM, not \"\(text)\"")
        }
        try AccessAudit.begin(
            command: "monthly", family: nil, arguments: query.arguments, log: query.path)
        if query.window.asOf == nil {
            let last = first.adding(months: 1).adding(days: -1)
            query.window.asOf = last
            query.asOf = last
        }
        let reports = try query.reports()
        let row = reports.monthly(year: first.year, month: first.month)
        if query.format == .table {
            Console.outBytes(
                RowWriter.table(
                    monthlyTableRows(row), columns: ["figure", "value"], width: query.tableWidth))
        } else if query.format == .csv {
            Console.outBytes(
                RowWriter.csv(
                    [reports.monthlyCSVRow(row, columnsOf: [row])],
                    columns: reports.monthlyColumns([row])))
        } else {
            try query.emit([row], tableColumns: [])
        }
        return .done
    }

    /// The monthly report as a figure per line, for reading: closures by reason and timeliness per rule as
    /// indented lines under their total ("18 of 22 on time").
    static func monthlyTableRows(_ row: JSONObject) -> [JSONObject] {
        func line(_ figure: String, _ value: JSONValue) -> JSONObject {
            JSONObject([JSONMember("figure", .string(figure)), JSONMember("value", value)])
        }
        var rows: [JSONObject] = []
        for member in row.members {
            switch member.key {
            case "closuresTotal": continue
            case "closures":
                rows.append(line("closures", row["closuresTotal"] ?? .null))
                for reason in member.value.objectValue?.members ?? [] {
                    rows.append(line("  \(reason.key)", reason.value))
                }
            case "timeliness":
                rows.append(line("timeliness", .string("on time, of those due")))
                for rule in member.value.objectValue?.members ?? [] {
                    let figures = rule.value.objectValue
                    rows.append(
                        line(
                            "  \(rule.key)",
                            .string(
                                "\(RowWriter.cellText(figures?["onTime"])) of \(RowWriter.cellText(figures?["due"]))"
                            )))
                }
            default: rows.append(line(member.key, member.value))
            }
        }
        return rows
    }

    static func timeline(_ raw: [String]) throws -> ExitStatus {
        let query = try Query(raw, options: [])
        try requireLog(query)
        guard query.arguments.positionals.count == 1, let given = query.arguments.positionals.first
        else {
            throw UsageError(message: "give one FAMILY (its ref, e.g. F-102)")
        }
        let family = AccessCommands.familyRef(given)
        try AccessAudit.begin(
            command: "timeline", family: family, arguments: query.arguments, log: query.path)
        var book = TimelineBook(only: family)
        try EventScanner.scan(path: query.path, window: query.window) { book.apply($0) }
        let entries = book.timeline(family)
        if entries.isEmpty {
            // Outside a window, a family with no events is one the log has never seen: an error, not an answer.
            if query.window.asOf == nil && query.window.knownAt == nil {
                throw ProjectionFilter.Unknown(description: "no family \(family) in the log")
            }
            Console.errLine("no events for family \(family) in this window")
        }
        if query.format == .html {
            Console.out(Dashboard.timelinePage(family: family, entries: entries))
            return .done
        }
        let rows = entries.map(\.row)
        let display = query.format == .table ? rows.map(tableTimelineRow) : rows
        try query.emit(
            display, columns: TimelineEntry.columns,
            tableColumns: ["seq", "occurredAt", "type", "text", "marks"])
        return .done
    }

    static func tableTimelineRow(_ row: JSONObject) -> JSONObject {
        var row = row
        var marks: [String] = []
        if let void = row["voided"]?.objectValue {
            marks.append("VOIDED: \(RowWriter.cellText(void["reason"]))")
        }
        for correction in row["corrected"]?.arrayValue ?? [] {
            marks.append("CORRECTED: \(RowWriter.cellText(correction.objectValue?["reason"]))")
        }
        row["marks"] = .string(marks.joined(separator: "; "))
        return row
    }

    static func rebuild(_ raw: [String]) throws -> ExitStatus {
        let query = try Query(raw, options: ["out"])
        try requireLog(query)
        guard let out = query.arguments.value("out") else {
            throw UsageError(message: "--out DIR is required")
        }
        try AccessAudit.begin(
            command: "rebuild", family: nil, arguments: query.arguments, log: query.path)
        RebuildWriter.favourMemory()
        // Nothing is written until the access is on record.
        try AccessAudit.confirm()
        Console.progress("rebuild: writing the projections and the pages into \(out)", stage: true)
        let summary = try RebuildWriter.write(
            log: query.path, window: query.window, asOf: query.asOf,
            fromScratch: query.arguments.flags.contains("from-scratch"), to: out,
            fold: query.foldCovering)
        Console.endProgress()
        RebuildFolders.remember(out, for: query.path)
        Console.errLine(summary.report(into: out))
        Console.out("\(out)/index.html\n")
        return .done
    }
}
