import EventLog
import LedgerCore
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
          --format FORMAT       table (default at a terminal), json (default otherwise), jsonl, csv
          --log PATH            the log (default $LEDGER_LOG, else ./ledger.jsonl)
          --from-scratch        fold the whole log, ignoring (and not keeping) the checkpoint beside it
          --viewer ID           who is looking, recorded in the access log <log>.access with the operating-system
                                user (default $LEDGER_VIEWER); see `ledger access`
        """
    static let familiesHelp =
        "usage: ledger families [--family REF] [--worker ID] [--team ID] [options]\n\n\(common)"
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

    static let known: Set<String> = [
        "log", "as-of", "known-at", "format", "family", "worker", "team", "status", "rule", "month",
        "out", "viewer",
    ]

    struct Query {
        var arguments: Arguments
        var window: EventWindow
        var asOf: CivilDate
        var format: OutputFormat

        init(_ raw: [String], flags: Set<String> = []) throws {
            arguments = try Arguments(
                raw, flags: flags.union(["from-scratch"]), known: ReadCommands.known)
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

        /// The fold of the log in the window for `scope`: from its checkpoint and the events since when it can, else
        /// from scratch (always with `--from-scratch`).
        func fold(_ scope: FoldCheckpoint.Scope) throws -> (
            fold: LedgerFold, caseload: [CaseloadEntry]?
        ) {
            let result = try FoldCheckpoint.fold(
                log: path, window: window, scope: scope,
                fromScratch: arguments.flags.contains("from-scratch"),
                progress: { Console.progress("reading: line \($0)") })
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

        func emit(_ rows: [JSONObject], tableColumns: [String]) throws {
            switch format {
            case .table: Console.outBytes(RowWriter.table(rows, columns: tableColumns))
            case .json: Console.outBytes(RowWriter.json(rows))
            case .jsonl: Console.outBytes(RowWriter.jsonl(rows))
            case .csv: Console.outBytes(RowWriter.csv(rows))
            case .html:
                throw UsageError(
                    message: "--format html is for timeline (and rebuild writes the dashboard)")
            }
        }
    }

    /// A filter naming a family, worker or team the log has never seen (PROJECTIONS.md: an error, not an empty
    /// answer).
    struct UnknownFilter: Error, CustomStringConvertible {
        let description: String
    }

    /// The --family, --worker and --team filters, each checked against what the log holds (a team is known from
    /// team.defined or a worker's registration).
    static func filters(_ query: Query, _ fold: LedgerFold) throws -> (
        family: String?, worker: String?, team: String?
    ) {
        let family = query.arguments.value("family").map(AccessCommands.familyRef)
        let worker = query.arguments.value("worker")
        let team = query.arguments.value("team")
        // In a window (--as-of, --known-at) a name may be one the log holds only later: no answer there is an
        // answer. Without one, the fold holds the whole log.
        guard query.window.asOf == nil && query.window.knownAt == nil else {
            return (family, worker, team)
        }
        if let family, fold.families[family] == nil {
            throw UnknownFilter(description: "--family \(family): no such family in the log")
        }
        if let worker, fold.workers[worker] == nil {
            throw UnknownFilter(description: "--worker \(worker): no such worker in the log")
        }
        if let team, fold.teams[team] == nil,
            !fold.workers.values.contains(where: { $0.team == team })
        {
            throw UnknownFilter(description: "--team \(team): no such team in the log")
        }
        return (family, worker, team)
    }

    static func requireLog(_ query: Query) throws {
        if !LedgerFile(path: query.path).exists { throw EventLogError.missing(path: query.path) }
    }

    static func families(_ raw: [String]) throws -> ExitStatus {
        let query = try Query(raw)
        try requireLog(query)
        try AccessAudit.beginProjection("families", query)
        let reports = try query.reports(FoldCheckpoint.families)
        let (family, worker, team) = try filters(query, reports.fold)
        let status = query.arguments.value("status")
        let families = reports.sortedFamilies
        // Each row is made, filtered and written a block at a time (a county's families are many).
        try query.emit(
            count: families.count,
            tableColumns: [
                "family", "status", "level", "episode", "openedOn", "closedOn", "lead",
                "reReferral", "awaitingTriageDays",
            ]
        ) {
            guard let row = reports.familyRow(families[$0]) else { return nil }
            if let family, row["family"]?.stringValue != family { return nil }
            if let worker, row["workers"]?.arrayValue?.contains(.string(worker)) != true {
                return nil
            }
            if let team {
                guard let lead = row["lead"]?.stringValue, reports.fold.workers[lead]?.team == team
                else { return nil }
            }
            if let status, row["status"]?.stringValue != status { return nil }
            return row
        }
        return .done
    }

    static func caseload(_ raw: [String]) throws -> ExitStatus {
        let query = try Query(raw)
        try requireLog(query)
        try AccessAudit.begin(
            command: "caseload", family: nil, arguments: query.arguments, log: query.path)
        let (fold, entries) = try query.fold(FoldCheckpoint.caseload)
        ProcessExit.keep(fold)
        let figures = Reports(fold: fold, asOf: query.asOf).caseload(entries: entries)
        var workers = figures.workers
        var teams = figures.teams
        let checked = try filters(query, fold)
        if let worker = checked.worker {
            workers = workers.filter { $0["worker"]?.stringValue == worker }
        }
        if let team = checked.team {
            workers = workers.filter { $0["team"]?.stringValue == team }
            teams = teams.filter { $0["team"]?.stringValue == team }
        }
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
                    ]))
            Console.out("\n")
            Console.outBytes(
                RowWriter.table(
                    (teams + [figures.service]).map(tableCaseloadRow),
                    columns: [
                        "team", "workers", "fte", "families", "children", "capacity", "status",
                    ]))
        default:
            try query.emit(workers, tableColumns: [])
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
        let query = try Query(raw, flags: ["overdue"])
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
        let (family, worker, team) = try filters(query, reports.fold)
        let workers = reports.fold.workers
        let kept: @Sendable (Obligation) -> Bool = { obligation in
            if overdue, obligation.status(asOf: asOf) != .overdue { return false }
            if let status, obligation.status(asOf: asOf) != status { return false }
            if let rule, obligation.rule != rule { return false }
            if let family, obligation.family != family { return false }
            if let worker, obligation.responsible != worker { return false }
            if let team {
                guard let responsible = obligation.responsible, workers[responsible]?.team == team
                else { return false }
            }
            return true
        }
        // Each family's obligations are made, filtered and written a block of families at a time, never all held.
        // A first pass on every core says whether any kept one has a detail (the CSV's last column).
        let families = reports.sortedFamilies
        let detail = ParallelMap.map(ranges: families.count, size: 256) { range in
            families[range].contains { family in
                reports.obligations(of: family).contains { $0.detail != nil && kept($0) }
            }
        }.contains(true)
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
            let columns = Reports.obligationColumns(detail: detail)
            try RowBlocks.write(
                .csv(columns), count: families.count,
                append: { position, out, _ in
                    let obligations = rowsOf(position)
                    for obligation in obligations {
                        reports.appendDueCSV(obligation, detailColumn: detail, into: &out)
                    }
                    return obligations.count
                }, to: Console.outBytes)
        default:
            try query.emit(
                count: families.count, columns: Reports.obligationColumns(detail: detail),
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
        let query = try Query(raw, flags: ["claimable"])
        try requireLog(query)
        try AccessAudit.beginProjection("pbr", query)
        let reports = try query.reports(FoldCheckpoint.families)
        let family = try filters(query, reports.fold).family
        let claimable = query.arguments.flags.contains("claimable")
        let families = reports.sortedFamilies
        let policy = reports.fold.policy(on: reports.asOf)
        try query.emit(
            count: families.count,
            tableColumns: ["family", "level", "criteria", "attached", "claimable", "claimed"]
        ) {
            guard let row = reports.pbrRow(families[$0], policy: policy) else { return nil }
            if let family, row["family"]?.stringValue != family { return nil }
            if claimable, row["claimable"]?.arrayValue?.isEmpty != false { return nil }
            return row
        }
        return .done
    }

    static func monthly(_ raw: [String]) throws -> ExitStatus {
        var query = try Query(raw)
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
        let row = try query.reports().monthly(year: first.year, month: first.month)
        if query.format == .table {
            let rows = row.members.map {
                JSONObject([JSONMember("figure", .string($0.key)), JSONMember("value", $0.value)])
            }
            Console.outBytes(RowWriter.table(rows, columns: ["figure", "value"], maxWidth: 120))
        } else {
            try query.emit([row], tableColumns: [])
        }
        return .done
    }

    static func timeline(_ raw: [String]) throws -> ExitStatus {
        let query = try Query(raw)
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
                throw UnknownFilter(description: "no family \(family) in the log")
            }
            Console.err("no events for family \(family) in this window")
        }
        if query.format == .html {
            Console.out(Dashboard.timelinePage(family: family, entries: entries))
            return .done
        }
        let rows = entries.map(\.row)
        let display = query.format == .table ? rows.map(tableTimelineRow) : rows
        try query.emit(display, tableColumns: ["seq", "occurredAt", "type", "text", "marks"])
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
        let query = try Query(raw)
        try requireLog(query)
        guard let out = query.arguments.value("out") else {
            throw UsageError(message: "--out DIR is required")
        }
        try AccessAudit.begin(
            command: "rebuild", family: nil, arguments: query.arguments, log: query.path)
        RebuildWriter.favourMemory()
        // Nothing is written until the access is on record.
        try AccessAudit.confirm()
        let summary = try RebuildWriter.write(
            log: query.path, window: query.window, asOf: query.asOf,
            fromScratch: query.arguments.flags.contains("from-scratch"), to: out,
            fold: query.foldCovering)
        RebuildFolders.remember(out, for: query.path)
        Console.err(summary.report(into: out))
        Console.out("\(out)/index.html\n")
        return .done
    }
}
