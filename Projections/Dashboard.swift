import EventLog
import LedgerCore

/// The static HTML dashboard: pure functions from projection rows to pages. No scripts, no network; everything
/// shown is escaped; readable at phone width and in print.
///
/// The pages of a rebuild's folder share one style sheet, `style.css` beside `index.html` (`styleSheet`), which
/// their content security policy lets in as the folder's own (`'self'`), and nothing else: a page carries only
/// what is its own, where each page once carried its own copy of the sheet (100 MB of a 41k-page folder). A page
/// that stands alone (`ledger timeline --format html`) carries the sheet inline, as does the subject-access
/// bundle's page, which is made to be handed over on its own (`SubjectAccessBundle`).
public enum Dashboard {
    /// The shared style sheet's file name, in the folder's top level.
    public static let styleSheetName = "style.css"

    /// The shared style sheet's bytes.
    public static var styleSheet: [UInt8] { Array(style.utf8) }

    /// The files every page of a rebuild's folder shares, by name in its top level: the style sheet, and the
    /// Family Star's frame (`FamilyStarSVG.frameFile`), which the pages' policy lets in as the folder's own.
    public static var sharedFiles: [(name: String, bytes: [UInt8])] {
        [(styleSheetName, styleSheet), (FamilyStarSVG.frameFileName, FamilyStarSVG.frameFile)]
    }

    /// Where a page's style comes from.
    enum Sheet {
        /// Inside the page (a page that stands alone).
        case inline
        /// The folder's shared sheet, `prefix` being the way up to the folder's top level ("../").
        case shared(prefix: String)
    }

    static let style = """
        :root{--ink:#1b1f24;--muted:#5b6470;--line:#d5dae0;--bg:#fff;--accent:#1d5fa8;--over:#b3261e;--under:#8a6d00;--ok:#1e7a3c}
        *{box-sizing:border-box}body{font:16px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif;color:var(--ink);background:var(--bg);margin:0}
        header,main,footer{max-width:72rem;margin:0 auto;padding:0 1rem}header{border-bottom:3px solid var(--accent);padding-top:1rem}
        h1{font-size:1.6rem;margin:.2rem 0 .6rem}h2{font-size:1.25rem;margin:1.6rem 0 .5rem;border-bottom:1px solid var(--line)}
        p.meta{color:var(--muted);margin:.2rem 0 1rem}a{color:var(--accent)}
        .cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(10rem,1fr));gap:.75rem}
        .card{border:1px solid var(--line);border-radius:.4rem;padding:.6rem .8rem}.card b{display:block;font-size:1.7rem}
        table{border-collapse:collapse;width:100%;margin:.4rem 0 1rem}th,td{text-align:left;padding:.35rem .5rem;border-bottom:1px solid var(--line);vertical-align:top}
        th{background:#f3f5f7;font-weight:600}.scroll{overflow-x:auto}
        .limit{display:block;white-space:nowrap}.nowrap,table.timeline td:nth-child(2),table.families th,table.families td:nth-child(5){white-space:nowrap}ul.evidence{margin:0;padding-left:1.1rem}p.back{margin:0}.bar{position:relative;height:1.1rem;background:#eef1f4;border-radius:.2rem;min-width:8rem}
        .bar .band{position:absolute;top:0;bottom:0;background:#cfe3d5}.bar .fill{position:absolute;top:.3rem;bottom:.3rem;left:0;background:var(--accent)}
        .over{color:var(--over);font-weight:600}.under{color:var(--under)}.within{color:var(--ok)}
        .status-overdue,.status-breached{color:var(--over);font-weight:600}.status-met-late{color:var(--under)}.status-met{color:var(--ok)}
        del{color:var(--muted)}.why{display:block;font-size:.9rem;color:var(--over)}
        svg.star{max-width:36rem;width:100%;height:auto;display:block}svg.star text{fill:var(--muted)}
        svg.star .ring{fill:none;stroke:#e1e5ea}svg.star .spoke{stroke:#c3c9d1}
        svg.star .first{fill:rgba(138,109,0,.15);stroke:#8a6d00;stroke-width:2;stroke-dasharray:5 3}svg.star .latest{fill:rgba(29,95,168,.2);stroke:var(--accent);stroke-width:2.5}
        .legend span{margin-right:1rem}.swatch{display:inline-block;width:1rem;height:.6rem;margin-right:.3rem;vertical-align:middle}
        @media (max-width:40rem){th,td{padding:.3rem}body{font-size:15px}.hide-narrow,.id,table.timeline tr>:nth-child(4),table.families tr>:nth-child(5){display:none}.limit{white-space:normal}.bar{min-width:3rem}
        table.stack thead{display:none}table.stack tr{display:block;border-bottom:1px solid var(--line);padding:.3rem 0}table.stack td{border:0;padding:.1rem .8rem .1rem 0}
        table.stack td:not(.hide-narrow){display:inline-block}table.stack td:first-child{display:block}table.stack td::before{color:var(--muted);font-weight:400}
        table.stack td:nth-child(2)::before{content:"Due: "}table.stack td:nth-child(3)::before{content:"Status: "}table.stack td:nth-child(4)::before{content:"Lead worker: "}}
        @page{size:A4;margin:15mm 12mm}
        @media print{body{font-size:11pt}a{color:inherit;text-decoration:none}header{border-color:#000}.bar .fill{background:#000}.scroll{overflow:visible}
        h1,h2{break-after:avoid;page-break-after:avoid}tr,svg.star,.legend,.card{break-inside:avoid;page-break-inside:avoid}.keep{break-inside:avoid;page-break-inside:avoid}}
        """

    static func page(title: String, body: String, depth: Int, sheet: Sheet) -> String {
        pageStart(title: title, sheet: sheet) + body + pageEnd(depth: depth)
    }

    /// A page up to its body. Inline `style` attributes (a bar's width) need `'unsafe-inline'`; `'self'` lets in
    /// the folder's own style sheet and the Family Star's frame, from `file://` too (checked in Chromium and
    /// Firefox), and no script can run.
    static func pageStart(title: String, sheet: Sheet) -> String {
        let (policy, styling) =
            switch sheet {
            case .inline: ("style-src 'unsafe-inline'; img-src data:", "<style>\(style)</style>")
            case .shared(let prefix):
                (
                    "style-src 'self' 'unsafe-inline'; img-src 'self' data:",
                    "<link rel=\"stylesheet\" href=\"\(prefix)\(styleSheetName)\">"
                )
            }
        return """
            <!doctype html>
            <html lang="en-GB">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <meta http-equiv="Content-Security-Policy" content="default-src 'none'; \(policy)">
            <title>\(HTML.escape(title))</title>
            \(styling)
            </head>
            <body>

            """
    }

    /// A page after its body: the footer, with a link back to the front page on pages `depth` folders down.
    static func pageEnd(depth: Int) -> String {
        """

        <footer><p class="meta">Rebuilt from the ledger alone. \(depth > 0 ? "<a href=\"../index.html\">Back to the dashboard</a>" : "")</p></footer>
        </body>
        </html>

        """
    }

    static func cell(_ value: JSONValue?) -> String { HTML.escape(RowWriter.cellText(value)) }

    /// A worker by name with their id ("Sam Patel (w-017)"), or the id alone when the log never registered them.
    static func worker(_ id: String?, _ workers: [String: WorkerInfo]) -> String {
        guard let id else { return "—" }
        guard let name = workers[id]?.name, !name.isEmpty else { return HTML.escape(id) }
        return "\(HTML.escape(name)) <span class=\"meta nowrap id\">(\(HTML.escape(id)))</span>"
    }

    /// The overdue list's order: the latest first, then by whose (by name), then by family.
    static func byLateness(
        _ obligations: some Sequence<Obligation>, asOf: CivilDate, workers: [String: WorkerInfo]
    ) -> [Obligation] {
        obligations.map {
            (
                late: $0.daysLate(asOf: asOf),
                who: $0.responsible.map { workers[$0]?.name ?? $0 } ?? "", obligation: $0
            )
        }
        .sorted { a, b in
            if a.late != b.late { return a.late > b.late }
            if a.who != b.who { return a.who < b.who }
            return a.obligation.family < b.obligation.family
        }
        .map(\.obligation)
    }

    /// The dashboard's front page. Of `obligations` only those overdue or due within 7 days are shown (a caller
    /// may pass just those). Of the `pbr` rows only those attached or with something claimable count, and only
    /// their `attached` and `claimable` cells are read (a caller may pass just those rows, and just those cells).
    public static func index(
        reports: Reports, caseload: Reports.CaseloadFigures, obligations: [Obligation],
        pbr: [JSONObject],
        monthly: JSONObject, policyName: String
    ) -> String {
        var page = ""
        index(
            reports: reports, caseload: caseload, obligations: obligations, pbr: pbr,
            monthly: monthly, policyName: policyName
        ) { page += $0 }
        return page
    }

    /// `index`, handed to `flush` a part at a time, in order (a megabyte or so each): a rebuild writes the front
    /// page of a large service (16 MB on a million events) to its file as it is made, never holding it whole.
    public static func index(
        reports: Reports, caseload: Reports.CaseloadFigures, obligations: [Obligation],
        pbr: [JSONObject],
        monthly: JSONObject, policyName: String, flush: (String) throws -> Void
    ) rethrows {
        let asOf = reports.asOf
        // Views, not copies: the lists can run to tens of thousands of obligations, and the families to as many.
        let overdue = obligations.lazy.filter { $0.status(asOf: asOf) == .overdue }
        let dueSoon = obligations.lazy.filter { $0.isDueSoon(asOf: asOf) }
        let open = reports.fold.families.values.reduce(0) { $0 + ($1.hasOpenEpisode ? 1 : 0) }
        let claimable = pbr.filter { $0["claimable"]?.arrayValue?.isEmpty == false }
        let waiting = waitingForTriage(
            reports.fold.families.values, asOf: asOf, roster: reports.fold.workers)
        // The page is written into a string as it goes, handed over each time it passes a megabyte.
        var body = pageStart(title: "Early Help case ledger", sheet: .shared(prefix: ""))
        body.reserveCapacity(flushAt + (64 << 10))
        body +=
            "<header><h1>Early Help case ledger</h1><p class=\"meta\">As of \(asOf) · policy \(HTML.escape(policyName))</p><p class=\"meta\"><a href=\"#overdue\">Overdue</a> · <a href=\"#caseloads\">Caseloads</a> · <a href=\"#triage\">Waiting for triage</a> · <a href=\"#due-soon\">Due soon</a> · <a href=\"#families\">Find a family</a></p></header><main>"
        body +=
            "<section aria-labelledby=\"summary\"><h2 id=\"summary\">Summary</h2><div class=\"cards\">"
        body += "<div class=\"card\"><b>\(open)</b>open families</div>"
        body += "<div class=\"card\"><b>\(overdue.count)</b>overdue obligations</div>"
        body +=
            "<div class=\"card\"><b>\(dueSoon.count)</b>due soon (in 7 days, or past a warning point)</div>"
        let overWorkers = caseload.workers.filter { $0["status"]?.stringValue == "over" }.count
        body += "<div class=\"card\"><b>\(overWorkers)</b>workers over their caseload</div>"
        body += "<div class=\"card\"><b>\(waiting.count)</b>referrals waiting for triage</div>"
        body +=
            "<div class=\"card\"><b>\(claimable.count)</b>families with a PbR claim to make</div>"
        body += "</div></section>"

        // In the order a manager asks (issue 20): what is overdue and whose, who is over or under their limit, which
        // referrals wait for triage, what falls due this week, and how to find a family.
        let workers = reports.fold.workers
        appendObligationSection(
            to: &body, id: "overdue", title: "Overdue, the latest first",
            obligations: byLateness(overdue, asOf: asOf, workers: workers),
            asOf: asOf, linkFamilies: true, workers: workers, hideNarrow: ["due", "status"])

        // Caseloads with bars against the limit band.
        body +=
            "<section aria-labelledby=\"caseloads\"><h2 id=\"caseloads\">Caseloads</h2><div class=\"scroll\"><table><thead><tr>"
        body +=
            "<th scope=\"col\">Worker</th><th scope=\"col\" class=\"hide-narrow\">Team</th><th scope=\"col\" class=\"hide-narrow\">FTE</th><th scope=\"col\">Families</th><th scope=\"col\" class=\"hide-narrow\">Children</th><th scope=\"col\">Against the limit</th><th scope=\"col\">Status</th></tr></thead><tbody>"
        for row in caseload.workers {
            let status = row["status"]?.stringValue ?? ""
            let limit = row["limit"]?.objectValue
            let unit = limit?["unit"]?.stringValue ?? "families"
            let count = row[unit == "children" ? "children" : "families"]?.doubleValue ?? 0
            let low = limit?["min"]?.doubleValue ?? 0
            let high = limit?["max"]?.doubleValue ?? 0
            let scale = max(high * 1.5, count, 1)
            // The limit in words, where it can be read and printed, not only in the bar's label.
            let figure =
                limit == nil
                ? "no limit set"
                : "\(Reports.decimal(count)) of \(Reports.decimal(low))–\(Reports.decimal(high)) \(HTML.escape(unit)) (\(cell(row["fte"])) FTE)"
            let bar =
                limit == nil
                ? ""
                : """
                <div class="bar" role="img" aria-label="\(Reports.decimal(count)) \(HTML.escape(unit)) against a limit of \(Reports.decimal(low))–\(Reports.decimal(high))"><span class="band" style="left:\(percent(low / scale))%;width:\(percent((high - low) / scale))%"></span><span class="fill" style="width:\(percent(count / scale))%"></span></div>
                """
            let statusText =
                status == "over"
                ? "over by \(Reports.decimal(count - high))"
                : status == "under"
                    ? "under by \(Reports.decimal(low - count))" : status.isEmpty ? "—" : status
            body +=
                "<tr><th scope=\"row\">\(cell(row["name"])) <span class=\"meta nowrap id\">(\(cell(row["worker"])))</span></th><td class=\"hide-narrow\">\(cell(row["team"]))</td><td class=\"hide-narrow\">\(cell(row["fte"]))</td><td>\(cell(row["families"]))</td><td class=\"hide-narrow\">\(cell(row["children"]))</td><td><span class=\"limit\">\(figure)</span>\(bar)</td><td class=\"\(HTML.escape(status))\">\(HTML.escape(statusText))</td></tr>"
        }
        body += "</tbody></table></div>"
        body +=
            "<table><thead><tr><th scope=\"col\">Team</th><th scope=\"col\" class=\"hide-narrow\">Workers</th><th scope=\"col\" class=\"hide-narrow\">FTE</th><th scope=\"col\">Families</th><th scope=\"col\" class=\"hide-narrow\">Children</th><th scope=\"col\">Capacity</th><th scope=\"col\">Status</th></tr></thead><tbody>"
        for row in caseload.teams + [caseload.service] {
            let name = row["name"] ?? row["team"] ?? .string("Whole service")
            let capacity = row["capacity"]?.objectValue
            body +=
                "<tr><th scope=\"row\">\(row["service"] != nil ? "Whole service" : cell(name))</th><td class=\"hide-narrow\">\(cell(row["workers"]))</td><td class=\"hide-narrow\">\(cell(row["fte"]))</td><td>\(cell(row["families"]))</td><td class=\"hide-narrow\">\(cell(row["children"]))</td><td>\(capacity.map { "\(cell($0["min"]))–\(cell($0["max"])) \(cell($0["unit"]))" } ?? "no limit set")</td><td class=\"\(cell(row["status"]))\">\(cell(row["status"]))</td></tr>"
        }
        body += "</tbody></table></section>"

        appendWaitingForTriage(to: &body, waiting: waiting)
        appendObligationSection(
            to: &body, id: "due-soon",
            title: "Due soon: in the next 7 days, or past a warning point", obligations: dueSoon,
            asOf: asOf,
            linkFamilies: true, workers: workers, hideNarrow: ["late"])

        body += "<section aria-labelledby=\"pbr\"><h2 id=\"pbr\">Payment by Results</h2>"
        let attached = pbr.filter { $0["attached"]?.boolValue == true }.count
        var kinds: [String: Int] = [:]
        for row in pbr {
            for kind in row["claimable"]?.arrayValue?.compactMap(\.stringValue) ?? [] {
                kinds[kind, default: 0] += 1
            }
        }
        body += "<div class=\"cards\"><div class=\"card\"><b>\(attached)</b>families attached</div>"
        for kind in ["attachment", "progress", "employment"] {
            body += "<div class=\"card\"><b>\(kinds[kind] ?? 0)</b>claimable for \(kind)</div>"
        }
        body += "</div></section>"

        body +=
            "<section aria-labelledby=\"month\"><h2 id=\"month\">This month (\(cell(monthly["month"])))</h2><table><tbody>"
        let labels: [(String, String)] = [
            ("referrals", "Referrals"), ("reReferrals", "Re-referrals within 12 weeks"),
            ("allocations", "Allocations"),
            ("closuresTotal", "Closures"), ("stepUps", "Step-ups"), ("stepDowns", "Step-downs"),
            ("openAtMonthEnd", "Open at month end"),
            ("meanDaysOpenAtClosure", "Mean days open at closure"),
            ("meanStarChange", "Mean Family Star change (per domain)"),
        ]
        for (key, label) in labels {
            body +=
                "<tr><th scope=\"row\">\(label)</th><td>\(monthly[key].map { $0 == .null ? "—" : cell($0) } ?? "—")</td></tr>"
        }
        for member in monthly["timeliness"]?.objectValue?.members ?? [] {
            let figures = member.value.objectValue
            body +=
                "<tr><th scope=\"row\">On time: \(HTML.escape(member.key))</th><td class=\"nowrap\">\(cell(figures?["onTime"])) of \(cell(figures?["due"]))</td></tr>"
        }
        body += "</tbody></table></section>"

        // Names and UFRNs are on the page so that a browser's find locates a family by any of them (no scripts).
        body +=
            "<section aria-labelledby=\"families\"><h2 id=\"families\">Families</h2><p class=\"meta\">Find a family by ref, UFRN or any member's name with your browser's find (Ctrl+F).</p><div class=\"scroll\"><table class=\"families\"><thead><tr><th scope=\"col\">Family</th><th scope=\"col\">Members</th><th scope=\"col\">Status</th><th scope=\"col\">Level</th><th scope=\"col\">Opened</th><th scope=\"col\">Lead</th></tr></thead><tbody>"
        // The cells of `families` rows, from the families themselves: making every family's whole row to show five
        // of its cells would hold them all at once. A row for each family (41k on the benchmark's log): they carry
        // only their cells, the columns' look the style sheet's (`table.families`), and leave out the end tags
        // HTML implies.
        for ref in reports.fold.families.keys.sorted() {
            guard let family = reports.fold.families[ref], let episode = family.current else {
                continue
            }
            if body.utf8.count >= flushAt {
                try flush(body)
                body.removeAll(keepingCapacity: true)
            }
            var names = ""
            for member in family.members {
                if !names.isEmpty { names += ", " }
                names += HTML.escape(member.name)
            }
            let ufrn =
                family.ufrn.map { "<br><span class=\"meta\">UFRN \(HTML.escape($0))</span>" }
                ?? ""
            body +=
                "<tr><th scope=\"row\"><a href=\"families/\(HTML.escape(HTML.familyPageName(family.ref)))\">\(HTML.escape(family.ref))</a>\(ufrn)<td>\(names.isEmpty ? "—" : names)<td>\(HTML.escape(Reports.status(of: episode, roster: workers)))<td>\(HTML.escape(episode.level ?? ""))<td>\(episode.openedOn)<td>\(Lead.current(episode, roster: workers).map { worker($0, workers) } ?? "—")</tr>"
        }
        body += "</tbody></table></div></section></main>"
        body += pageEnd(depth: 0)
        try flush(body)
    }

    /// How much of the front page is made before it is handed over.
    static let flushAt = 1 << 20

    /// A referral no one has triaged, allocated or engaged yet (`Reports.status` "referred", the families row's
    /// `awaitingTriageDays`): its family, when it was referred and how many days it has waited.
    struct Waiting {
        let family: FamilyState
        let referredOn: CivilDate
        let days: Int
    }

    /// The referrals waiting for triage on `asOf`, the longest waiting first (then by ref).
    static func waitingForTriage(
        _ families: some Sequence<FamilyState>, asOf: CivilDate, roster: [String: WorkerInfo]
    ) -> [Waiting] {
        families.compactMap { family -> Waiting? in
            guard let episode = family.current,
                Reports.status(of: episode, roster: roster) == "referred"
            else {
                return nil
            }
            return Waiting(
                family: family, referredOn: episode.openedOn,
                days: episode.openedOn.days(until: max(asOf, episode.openedOn)))
        }
        .sorted { $0.days != $1.days ? $0.days > $1.days : $0.family.ref < $1.family.ref }
    }

    static func appendWaitingForTriage(to body: inout String, waiting: [Waiting]) {
        body +=
            "<section aria-labelledby=\"triage\"><h2 id=\"triage\">Referrals waiting for triage, the longest first (\(waiting.count))</h2>"
        if waiting.isEmpty {
            body += "<p>None.</p></section>"
            return
        }
        body +=
            "<div class=\"scroll\"><table><thead><tr><th scope=\"col\">Family</th><th scope=\"col\">Members</th><th scope=\"col\" class=\"hide-narrow\">Referred</th><th scope=\"col\">Days waiting</th></tr></thead><tbody>"
        // At phone width the days waiting stand for the date.
        for item in waiting {
            let names = item.family.members.map { HTML.escape($0.name) }.joined(separator: ", ")
            body +=
                "<tr><th scope=\"row\" class=\"nowrap\"><a href=\"families/\(HTML.escape(HTML.familyPageName(item.family.ref)))\">\(HTML.escape(item.family.ref))</a></th><td>\(names.isEmpty ? "—" : names)</td><td class=\"hide-narrow nowrap\">\(item.referredOn)</td><td>\(item.days)</td></tr>"
        }
        body += "</tbody></table></div></section>"
    }

    /// PbR evidence (event ids) as a list, one to a line; a single value as it is.
    static func evidenceList(_ value: JSONValue?) -> String {
        guard let items = value?.arrayValue else {
            return value == nil || value == .null ? "—" : cell(value)
        }
        if items.isEmpty { return "—" }
        var out = "<ul class=\"evidence\">"
        for item in items { out += "<li>\(cell(item))</li>" }
        return out + "</ul>"
    }

    static func percent(_ fraction: Double) -> String {
        Reports.decimal(max(0, min(100, fraction * 100)))
    }

    static func appendObligationSection(
        to body: inout String, id: String, title: String, obligations: some Collection<Obligation>,
        asOf: CivilDate,
        linkFamilies: Bool, workers: [String: WorkerInfo], hideNarrow: Set<String> = [],
        stacked: Bool = false, daysLate: Bool = true
    ) {
        // `daysLate`: whether the list counts days (late, or awaiting triage); a family's page counts none.
        // At phone width a list shows what tells its rows apart (the overdue list: how late, not its status).
        func narrow(_ column: String) -> String {
            hideNarrow.contains(column) ? " class=\"hide-narrow\"" : ""
        }
        func narrow(_ column: String, _ other: String) -> String {
            hideNarrow.contains(column) ? " class=\"hide-narrow \(other)\"" : " class=\"\(other)\""
        }
        body +=
            "<section aria-labelledby=\"\(id)\"><h2 id=\"\(id)\">\(HTML.escape(title)) (\(obligations.count))</h2>"
        if obligations.isEmpty {
            body += "<p>None.</p></section>"
            return
        }
        // Stacked at phone width (`table.stack`): each row a block, what is due on its first line and the rest, each
        // with its heading (the style sheet's, by column: a stacked list has no family column), on the next, so
        // that nothing scrolls sideways.
        body +=
            stacked
            ? "<div class=\"scroll\"><table class=\"stack\"><thead><tr>"
            : "<div class=\"scroll\"><table><thead><tr>"
        if linkFamilies { body += "<th scope=\"col\">Family</th>" }
        body +=
            "<th scope=\"col\">What</th><th scope=\"col\"\(narrow("due"))>Due</th><th scope=\"col\"\(narrow("status"))>Status</th>\(daysLate ? "<th scope=\"col\"\(narrow("late"))>Days late</th>" : "")<th scope=\"col\">Lead worker</th><th scope=\"col\" class=\"hide-narrow\">Rule</th></tr></thead><tbody>"
        for obligation in obligations {
            let status = obligation.status(asOf: asOf).rawValue
            body += "<tr>"
            if linkFamilies {
                body +=
                    "<th scope=\"row\" class=\"nowrap\"><a href=\"families/\(HTML.escape(HTML.familyPageName(obligation.family)))\">\(HTML.escape(obligation.family))</a></th>"
            }
            var what = HTML.escape(obligation.label)
            if let detail = daysLate ? obligation.detail : obligation.detailCountingNoDays {
                what += "<span class=\"why\">\(HTML.escape(detail))</span>"
            }
            body +=
                "<td>\(what)</td><td\(narrow("due", "nowrap"))>\(obligation.shownDueOn.map { "\($0)" } ?? "—")</td><td\(narrow("status", "status-\(status)"))>\(status)</td>\(daysLate ? "<td\(narrow("late"))>\(obligation.daysLate(asOf: asOf))</td>" : "")<td>\(worker(obligation.responsible, workers))</td><td class=\"hide-narrow\">\(HTML.escape(obligation.rule)) <span class=\"meta\">(\(HTML.escape(obligation.source)))</span></td></tr>"
        }
        body += "</tbody></table></div></section>"
    }

    /// A family's page: summary, Family Star, obligations, PbR, timeline.
    public static func familyPage(
        family: FamilyState, row: JSONObject?, obligations: [Obligation], pbr: JSONObject?,
        timeline: [TimelineEntry], asOf: CivilDate, workers: [String: WorkerInfo] = [:],
        changes: CivilDate? = nil
    ) -> String {
        var rows: [UInt8] = []
        for entry in timeline { appendTimelineRow(entry, to: &rows) }
        let page = familyPage(
            family: family, row: row, obligations: obligations, pbr: pbr, timelineRows: rows,
            lastSeq: timeline.last?.seq, asOf: asOf, workers: workers, changes: changes)
        return String(decoding: page, as: UTF8.self)
    }

    /// `familyPage` with the timeline's rows already written (`appendTimelineRow`, an entry at a time, as a
    /// rebuild reads the log), as the page's bytes; `lastSeq` is the seq of the timeline's last row.
    ///
    /// The page names the seq it was made to, and the last day it is current to: the day before the date next
    /// changes anything on it (`changes`, `Reports.nextPageChange`), none for a family nothing will change but its
    /// own events (a closed family with nothing left to fall due). Both are the same whatever day in that span it
    /// is made, so a rebuild need not write it again until the family's next event or that day; and a page read
    /// later than the day it names is seen to be out of date.
    public static func familyPage(
        family: FamilyState, row: JSONObject?, obligations: [Obligation], pbr: JSONObject?,
        timelineRows: [UInt8], lastSeq: Int?, asOf: CivilDate,
        workers: [String: WorkerInfo] = [:], changes: CivilDate?
    ) -> [UInt8] {
        familyPageWithRows(
            family: family, row: row, obligations: obligations, pbr: pbr,
            timelineRows: timelineRows, lastSeq: lastSeq, asOf: asOf, workers: workers,
            changes: changes
        ).page
    }

    /// `familyPage`, and where in it the timeline's rows are: a rebuild that writes the page again for a new date
    /// alone takes them from there rather than from the log.
    public static func familyPageWithRows(
        family: FamilyState, row: JSONObject?, obligations: [Obligation], pbr: JSONObject?,
        timelineRows: [UInt8], lastSeq: Int?, asOf: CivilDate,
        workers: [String: WorkerInfo] = [:], changes: CivilDate?
    ) -> (page: [UInt8], timeline: Range<Int>) {
        let episode = family.current
        var body =
            "<header><p class=\"meta back\"><a href=\"../index.html\">← Back to the dashboard</a></p><h1>Family \(HTML.escape(family.ref))</h1><p class=\"meta\">From the ledger to seq \(lastSeq.map(String.init) ?? "0")\(changes.map { ", current to \($0.adding(days: -1))" } ?? "")"
        if let ufrn = family.ufrn { body += " · UFRN \(HTML.escape(ufrn))" }
        if let episode {
            body +=
                " · episode \(episode.number), \(HTML.escape(Reports.status(of: episode, roster: workers)))"
        }
        body += "</p></header><main>"
        // The page's tables, as the timeline's rows, leave out the end tags of cells HTML implies (a page's bytes are
        // mostly markup, 41k pages on the benchmark's log).
        body += "<section aria-labelledby=\"about\"><h2 id=\"about\">About</h2><table><tbody>"
        let closed = row?["closedOn"].map { $0 != .null } ?? false
        for (label, key) in [
            ("Level", "level"), ("Opened", "openedOn"), ("Closed", "closedOn"),
            ("Reason closed", "closeReason"), ("Lead worker", "lead"),
            ("Next review by", "nextReviewBy"), ("Re-referral", "reReferral"),
        ] {
            // A closed case has no review to come.
            if closed && key == "nextReviewBy" { continue }
            var value = row?[key].map { $0 == .null ? "—" : cell($0) } ?? "—"
            if key == "lead" { value = worker(row?[key]?.stringValue, workers) }
            if let flag = row?[key]?.boolValue { value = flag ? "yes" : "no" }
            body += "<tr><th scope=\"row\">\(label)<td>\(value)</tr>"
        }
        let members = family.members.map { person in
            "\(HTML.escape(person.name)) (\(HTML.escape(person.role))\(person.dob.map { ", born \($0)" } ?? ""))"
        }.joined(separator: "; ")
        body +=
            "<tr><th scope=\"row\">Members<td>\(members.isEmpty ? "—" : members)</tr></tbody></table></section>"

        // The heading, drawing and legend are kept on one printed page (the heading sat alone at a page's foot).
        body +=
            "<section aria-labelledby=\"star\"><div class=\"keep\"><h2 id=\"star\">Family Star</h2>"
        if let episode, episode.firstStar != nil || episode.latestStar != nil {
            body += FamilyStarSVG.svg(
                first: episode.firstStar, latest: episode.latestStar,
                frameHref: "../\(FamilyStarSVG.frameFileName)", describedBy: "star-scores")
            body +=
                "<p class=\"legend\"><span><span class=\"swatch\" style=\"background:#8a6d00\"></span>First assessment \(episode.firstStar.map { "(\($0.date))" } ?? "")</span><span><span class=\"swatch\" style=\"background:#1d5fa8\"></span>Latest \(episode.latestStar.map { "(\($0.date))" } ?? "")</span></p></div>"
            body +=
                "<table id=\"star-scores\"><thead><tr><th scope=\"col\">Domain</th><th scope=\"col\">First</th><th scope=\"col\">Latest</th></tr></thead><tbody>"
            for (index, label) in FamilyStarSVG.labels.enumerated() {
                body +=
                    "<tr><th scope=\"row\">\(label)<td>\(episode.firstStar.map { String($0.scores[index]) } ?? "—")<td>\(episode.latestStar.map { String($0.scores[index]) } ?? "—")</tr>"
            }
            body += "</tbody></table>"
        } else {
            body += "<p>No Family Star recorded in this episode yet.</p></div>"
        }
        body += "</section>"

        let open = obligations.filter {
            [.open, .warning, .overdue, .breached].contains($0.status(asOf: asOf))
        }
        // No count of days late: the page changes with the date only where a status does
        // (`Reports.nextPageChange`); the front page's overdue list counts them.
        appendObligationSection(
            to: &body, id: "obligations", title: "Open, overdue and breached obligations",
            obligations: open, asOf: asOf,
            linkFamilies: false, workers: workers, stacked: true, daysLate: false)

        body += "<section aria-labelledby=\"pbr\"><h2 id=\"pbr\">Payment by Results</h2>"
        if let pbr {
            let criteria = pbr["criteria"]?.arrayValue?.compactMap(\.stringValue) ?? []
            body +=
                "<p>Criteria identified: \(criteria.isEmpty ? "none" : HTML.escape(criteria.joined(separator: ", "))). Attached: \(pbr["attached"]?.boolValue == true ? "yes" : "no"). Claimable: \(HTML.escape(RowWriter.cellText(pbr["claimable"]).isEmpty ? "nothing" : RowWriter.cellText(pbr["claimable"]))).</p>"
            body +=
                "<table><thead><tr><th scope=\"col\">Criterion</th><th scope=\"col\">Progress</th><th scope=\"col\">Evidence</th></tr></thead><tbody>"
            for member in pbr["progress"]?.objectValue?.members ?? [] {
                let object = member.value.objectValue
                let identified = criteria.contains(member.key) ? " (identified)" : ""
                body +=
                    "<tr><th scope=\"row\">\(HTML.escape(member.key))\(identified)<td>\(cell(object?["status"]))<td>\(evidenceList(object?["evidence"]))</tr>"
            }
            body += "</tbody></table>"
        }
        body += "</section>"

        body += "<section aria-labelledby=\"timeline\"><h2 id=\"timeline\">Timeline</h2>"
        var page: [UInt8] = []
        page.reserveCapacity(body.utf8.count + timelineRows.count + 1024)
        page.append(
            contentsOf: pageStart(title: "Family \(family.ref)", sheet: .shared(prefix: "../")).utf8
        )
        page.append(contentsOf: body.utf8)
        let rowsEnd = page.count + timelineTableStart.count + timelineRows.count
        appendTimelineTable(rows: timelineRows, to: &page)
        page.append(contentsOf: "</section></main>".utf8)
        page.append(contentsOf: pageEnd(depth: 1).utf8)
        return (page, (rowsEnd - timelineRows.count)..<rowsEnd)
    }

    static func timelineTable(_ entries: [TimelineEntry]) -> String {
        var rows: [UInt8] = []
        for entry in entries { appendTimelineRow(entry, to: &rows) }
        var table: [UInt8] = []
        appendTimelineTable(rows: rows, to: &table)
        return String(decoding: table, as: UTF8.self)
    }

    /// What comes before a timeline table's rows.
    static let timelineTableStart = Array(
        "<div class=\"scroll\"><table class=\"timeline\"><thead><tr><th scope=\"col\">Seq</th><th scope=\"col\">When</th><th scope=\"col\">What happened</th><th scope=\"col\">Recorded</th></tr></thead><tbody>"
            .utf8)

    /// The timeline's table around its rows.
    static func appendTimelineTable(rows: [UInt8], to out: inout [UInt8]) {
        out.append(contentsOf: timelineTableStart)
        out.append(contentsOf: rows)
        out.append(contentsOf: "</tbody></table></div>".utf8)
    }

    /// One row of a timeline's table: its seq, when it happened, the sentence (struck through with why when voided,
    /// after each struck-through original when corrected), when it was recorded.
    ///
    /// A family's page is mostly these rows (a family of the benchmark's log has about 26), so they carry only
    /// their cells: how each column looks is the style sheet's (`table.timeline`, by column), and a cell's end tag,
    /// which HTML implies before the next cell and the row's end, is left out.
    public static func appendTimelineRow(_ entry: TimelineEntry, to out: inout [UInt8]) {
        out.append(contentsOf: "<tr><td>".utf8)
        out.append(contentsOf: String(entry.seq).utf8)
        out.append(contentsOf: "<td>".utf8)
        HTML.appendEscaped(entry.occurredAt, to: &out)
        out.append(contentsOf: "<td>".utf8)
        if let void = entry.void {
            appendStruck(entry.text, why: "Voided", seq: void.seq, reason: void.reason, to: &out)
        } else {
            for correction in entry.corrections {
                appendStruck(
                    correction.original, why: "Corrected", seq: correction.seq,
                    reason: correction.reason, to: &out)
            }
            HTML.appendEscaped(entry.text, to: &out)
        }
        out.append(contentsOf: "<td>".utf8)
        HTML.appendEscaped(entry.recordedAt, to: &out)
        out.append(contentsOf: "</tr>".utf8)
    }

    /// A sentence struck through, then why: "Voided (seq 12): entered on the wrong family".
    private static func appendStruck(
        _ text: String, why: String, seq: Int, reason: String, to out: inout [UInt8]
    ) {
        out.append(contentsOf: "<del>".utf8)
        HTML.appendEscaped(text, to: &out)
        out.append(contentsOf: "</del><span class=\"why\">\(why) (seq \(seq)): ".utf8)
        HTML.appendEscaped(reason, to: &out)
        out.append(contentsOf: "</span>".utf8)
    }

    /// A standalone timeline page (`ledger timeline FAMILY --format html`).
    public static func timelinePage(family: String, entries: [TimelineEntry]) -> String {
        page(
            title: "Timeline of family \(family)",
            body:
                "<header><h1>Timeline of family \(HTML.escape(family))</h1></header><main>\(timelineTable(entries))</main>",
            depth: 0, sheet: .inline)
    }
}
