import EventLog
import Foundation
import LedgerCore
import LedgerEngine
import LedgerQueries
import LedgerTestSupport
import Projections
import Testing

@Suite("Dashboard and safe outputs")
struct DashboardTests {
    static let hostile = "<script>alert('x')</script> & \"Bobby\""

    static func scenario(closed: Bool = false) throws -> Scenario {
        let referral: JSONValue = [
            "source": "school", "reason": .string(hostile),
            "members": [
                ["id": "123456", "name": .string(hostile), "dob": "2015-04-01", "role": "child"]
            ],
            "criteria": ["children-need-help"],
        ]
        return try Scenario(
            profile: "warwickshire-fsw", referral: referral,
            [
                E(
                    "triage.completed", "2026-03-02",
                    ["outcome": 4, "priority": "high", "level": "complex"], manager: true),
                E(
                    "worker.allocated", "2026-03-03", ["worker": "w-017", "relationship": "lead"],
                    manager: true),
                E(
                    "assessment.completed", "2026-03-20",
                    ["kind": "family-star", "familyStar": Events.star(2, ["keepingSafe": 1])]),
                E(
                    "note.recorded", "2026-03-21",
                    ["subject": "=HYPERLINK(\"http://evil\")", "body": .string(hostile)],
                    id: "note-evil"),
                E(
                    "review.completed", "2026-05-20",
                    ["outcome": "continue", "familyStar": Events.star(6, ["keepingSafe": 8])]),
            ]
                + (closed
                    ? [E("case.closed", "2026-06-10", ["reason": "met-outcomes"], manager: true)]
                    : []))
    }

    static func pages(asOf: String) throws -> (index: String, family: String) {
        let scenario = try scenario()
        let reports = try scenario.reports(asOf: asOf)
        var book = TimelineBook()
        try EventScanner.scan(path: scenario.ledger.path, window: EventWindow()) { book.apply($0) }
        let family = try #require(reports.fold.families["F-1"])
        let obligations = reports.obligations()
        let index = Dashboard.index(
            reports: reports, caseload: reports.caseload(), obligations: obligations,
            pbr: reports.pbr(),
            monthly: reports.monthly(year: 2026, month: 5), policyName: "warwickshire-fsw")
        let page = Dashboard.familyPage(
            family: family, row: reports.families().first, obligations: obligations,
            pbr: reports.pbr().first,
            timeline: book.timeline("F-1"), asOf: try #require(CivilDate(asOf)),
            workers: reports.fold.workers)
        return (index, page)
    }

    @Test(
        "hostile names and notes are escaped; pages carry no script and load only the folder's shared files"
    )
    func escaping() throws {
        let (index, page) = try Self.pages(asOf: "2026-06-01")
        for (html, sheet) in [(index, "style.css"), (page, "../style.css")] {
            #expect(!html.contains("<script"))
            #expect(!html.contains("http://evil\")"))
            #expect(!html.contains("src="))
            // One link, to the shared sheet, which the policy lets in as the folder's own; nothing else loads.
            #expect(html.components(separatedBy: "<link").count == 2)
            #expect(html.contains("<link rel=\"stylesheet\" href=\"\(sheet)\">"))
            #expect(
                html.contains(
                    "content=\"default-src 'none'; style-src 'self' 'unsafe-inline'; img-src 'self' data:\""
                ))
            #expect(!html.contains("<style>"))
        }
        // The only image: the Family Star's frame, shared by every page.
        #expect(!index.contains("<image"))
        #expect(page.components(separatedBy: "<image ").count == 2)
        #expect(
            page.contains(
                "<image href=\"../star-frame.svg\" x=\"-80\" y=\"0\" width=\"560\" height=\"400\"/>"
            ))
        #expect(
            page.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;Bobby&quot;")
        )
        #expect(page.contains("default-src 'none'"))
    }

    @Test(
        "HTML escaping of each character that needs it, and of none that does not",
        arguments: [
            ("plain 2026-03-02 F-1", "plain 2026-03-02 F-1"), ("Zoë Siân", "Zoë Siân"),
            ("tab\tand\nnewline", "tab\tand\nnewline"),
            ("<b>&'\"", "&lt;b&gt;&amp;&#39;&quot;"),
            ("bell\u{07} and\r", "bell\u{FFFD} and\u{FFFD}"), ("", ""),
        ])
    func escape(text: String, escaped: String) {
        #expect(HTML.escape(text) == escaped)
    }

    @Test("the Family Star's points for known scores")
    func starPoints() {
        // Score 10 on every spoke reaches the full radius (130) around the centre (200, 200).
        #expect(
            FamilyStarSVG.points(Array(repeating: 10, count: 10)).hasPrefix(
                "200.0,70.0 276.4,94.8 323.6,159.8 323.6,240.2 276.4,305.2 200.0,330.0"))
        // Score 5 halfway; score 1 a tenth of the way.
        #expect(
            FamilyStarSVG.points([5, 5, 5, 5, 5, 5, 5, 5, 5, 1]).hasSuffix(
                "138.2,179.9 192.4,189.5"))
        // A score outside 0–10 is drawn at the nearest end; every spoke's point is written, separated by spaces.
        #expect(
            FamilyStarSVG.points([-3, 14, 0, 10, 5, 5, 5, 5, 5, 5])
                == FamilyStarSVG.points([0, 10, 0, 10, 5, 5, 5, 5, 5, 5]))
        #expect(FamilyStarSVG.points([0, 10]) == "200.0,200.0 276.4,94.8")
    }

    @Test(
        "the family page draws the first assessment against the latest review, with a text alternative"
    )
    func familyStar() throws {
        let (_, page) = try Self.pages(asOf: "2026-06-01")
        let first = FamilyStarSVG.points([2, 2, 2, 1, 2, 2, 2, 2, 2, 2])
        let latest = FamilyStarSVG.points([6, 6, 6, 8, 6, 6, 6, 6, 6, 6])
        #expect(page.contains("<polygon class=\"first\" points=\"\(first)\">"))
        #expect(page.contains("<polygon class=\"latest\" points=\"\(latest)\">"))
        // Its text alternative: the table of both readings' scores that follows it.
        #expect(
            page.contains(
                "role=\"img\" aria-labelledby=\"star-title\" aria-describedby=\"star-scores\""))
        #expect(
            page.contains(
                "<table id=\"star-scores\"><thead><tr><th scope=\"col\">Domain</th><th scope=\"col\">First</th><th scope=\"col\">Latest</th></tr></thead>"
            ))
        #expect(
            page.contains(
                "<tr><th scope=\"row\">Keeping your children safe<td>1<td>8</tr>"))
    }

    /// The number in `attribute="…"` of an SVG element's text.
    static func number(_ attribute: String, in element: Substring) -> Double? {
        guard let start = (" " + element).range(of: " \(attribute)=\"") else { return nil }
        let text = " " + element
        return Double(text[start.upperBound...].prefix { $0 != "\"" })
    }

    @Test(
        "every Family Star label lies inside the drawing (issue 20: \"ss to work\", \"Meeting e\" were cut off)"
    )
    func starLabelsInside() throws {
        #expect(
            FamilyStarSVG.svg(
                first: nil, latest: nil, frameHref: "../star-frame.svg", describedBy: "s"
            ).hasPrefix(
                "<svg class=\"star\" viewBox=\"-80 0 560 400\" font-size=\"13.0\""))
        // The labels are drawn in the frame every star shares.
        let svg = String(decoding: FamilyStarSVG.frameFile, as: UTF8.self)
        #expect(
            svg.hasPrefix("<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"-80 0 560 400\""))
        let box = FamilyStarSVG.viewBox.split(separator: " ").compactMap { Double($0) }
        try #require(box.count == 4)
        let texts = svg.components(separatedBy: "<text ").dropFirst().map {
            Substring($0.prefix { $0 != ">" })
        }
        let bodies = svg.components(separatedBy: "<text ").dropFirst().map {
            $0.components(separatedBy: "</text>")[0]
        }
        #expect(texts.count == 10)
        // A generous width per character (0.65em; the widest common sans, DejaVu, averages about 0.6em).
        let perCharacter = FamilyStarSVG.fontSize * 0.65
        for (element, body) in zip(texts, bodies) {
            let x = try #require(Self.number("x", in: element))
            let y = try #require(Self.number("y", in: element))
            let lines = body.components(separatedBy: "<tspan").dropFirst().map {
                $0.split(separator: ">")[1].prefix { $0 != "<" }
            }
            let dy = lines.count > 1 ? 15.0 : 0
            for (number, line) in lines.enumerated() {
                let width = Double(line.count) * perCharacter
                var left = x - width / 2
                if element.contains("text-anchor=\"start\"") { left = x }
                if element.contains("text-anchor=\"end\"") { left = x - width }
                let right = left + width
                let baseline = y + Double(number) * dy
                #expect(left >= box[0] && right <= box[0] + box[2], "\(line): \(left)…\(right)")
                #expect(
                    baseline - FamilyStarSVG.fontSize >= box[1] && baseline + 4 <= box[1] + box[3],
                    "\(line): \(baseline)")
            }
        }
        // The longest, split where the longer line is shortest; the right-hand ones start at their spoke
        // (x = 200 + 0.951 × 146 = 338.9), two lines centred on it (y = 245.1 - 7.5 + 0.35 × 13 = 242.2).
        #expect(
            FamilyStarSVG.labelLines("Keeping your children safe") == [
                "Keeping your", "children safe",
            ])
        #expect(FamilyStarSVG.labelLines("Progress to work") == ["Progress to work"])
        #expect(
            svg.contains(
                "<text x=\"338.9\" y=\"242.2\" text-anchor=\"start\"><tspan x=\"338.9\">Keeping your</tspan><tspan x=\"338.9\" dy=\"15.0\">children safe</tspan></text>"
            ))
    }

    @Test("the overdue list shows what is overdue on the day, with its lead worker")
    func overdueList() throws {
        let (index, _) = try Self.pages(asOf: "2026-06-01")
        // Allocated 3 March: the joint visit (due 10 March), the action plan (due 13 March) and the twelve-week
        // panel (due 26 May) never happened.
        let overdue = try #require(
            index.split(separator: "<h2 id=\"overdue\">").last?.split(separator: "</section>").first
        )
        #expect(overdue.hasPrefix("Overdue, the latest first (3)"))
        #expect(overdue.contains("Joint SW/FSW visit within 5 working days of allocation"))
        // The lead worker by name, with the id (it was the id alone); dates and refs do not wrap.
        #expect(
            overdue.contains(
                "overdue</td><td>83</td><td>Worker w-017 <span class=\"meta nowrap id\">(w-017)</span></td>"
            ))
        #expect(overdue.contains("FSW action plan within 10 days of allocation"))
        #expect(
            overdue.contains(
                "<td class=\"hide-narrow nowrap\">2026-05-26</td><td class=\"hide-narrow status-overdue\">overdue</td><td>6</td>"
            ))
        #expect(
            overdue.contains(
                "<th scope=\"row\" class=\"nowrap\"><a href=\"families/F-1.html\">F-1</a></th>"))
    }

    @Test(
        "each worker's limit is written out, not only in the bar's label, with how far over or under"
    )
    func caseloadLimitShown() throws {
        let (index, _) = try Self.pages(asOf: "2026-06-01")
        // w-017 holds F-1 (complex): warwickshire-fsw sets 10–15 families per FTE (001 Table 3); 1 is 9 under.
        #expect(
            index.contains(
                "<td><span class=\"limit\">1 of 10–15 families (1 FTE)</span><div class=\"bar\" role=\"img\" aria-label=\"1 families against a limit of 10–15\">"
            ))
        #expect(index.contains("<td class=\"under\">under by 9</td></tr>"))
        // w-018 holds nothing and is still listed, 10 under; the manager has no limit.
        #expect(index.contains("<span class=\"limit\">0 of 10–15 families (1 FTE)</span>"))
        #expect(
            index.contains(
                "<td><span class=\"limit\">no limit set</span></td><td class=\"\">—</td></tr>"))
    }

    @Test(
        "the overdue list runs from the latest, then by worker's name; families are found by name and UFRN"
    )
    func overdueOrderAndFinding() throws {
        let ledger = try TestLedger(profile: "warwickshire-fsw")
        var lines = Events.staff + [Events.worker("w-018")]
        // F-2 allocated a month before F-1 and F-3; F-1 to w-018, F-3 to w-017 ("Worker w-017" sorts first).
        for (ref, worker, on) in [
            ("F-1", "w-018", "2026-03-03"), ("F-2", "w-018", "2026-02-02"),
            ("F-3", "w-017", "2026-03-03"),
        ] {
            lines.append(
                Events.referral(ref, on: "2026-01-20", childID: "10000" + ref.dropFirst(2)))
            lines.append(
                Events.line(
                    id: "t-\(ref)", stream: "family:\(ref)", type: "triage.completed",
                    on: "2026-01-21",
                    actor: "m-001", role: "team-manager",
                    data: ["outcome": 4, "priority": "high", "level": "complex"]))
            lines.append(
                Events.line(
                    id: "a-\(ref)", stream: "family:\(ref)", type: "worker.allocated",
                    on: .init(on),
                    actor: "m-001", role: "team-manager",
                    data: ["worker": .string(worker), "relationship": "lead"]))
        }
        lines.append(
            Events.line(
                id: "u-F-3", stream: "family:F-3", type: "ufrn.assigned", on: "2026-01-22",
                actor: "m-001",
                role: "team-manager", data: ["ufrn": "EH03100003F", "locality": "03"]))
        for outcome in try ledger.append(lines) {
            if case .refused(let error) = outcome { Issue.record("\(error)") }
        }
        var fold = LedgerFold()
        try EventScanner.scan(path: ledger.path, window: EventWindow()) { fold.apply($0) }
        let reports = Reports(fold: fold, asOf: try #require(CivilDate("2026-06-01")))
        let index = Dashboard.index(
            reports: reports, caseload: reports.caseload(), obligations: reports.obligations(),
            pbr: [],
            monthly: reports.monthly(year: 2026, month: 5), policyName: "warwickshire-fsw")
        let overdue = try #require(
            index.split(separator: "<h2 id=\"overdue\">").last?.split(separator: "</section>").first
        )
        let rows = overdue.split(separator: "<tr>").dropFirst(2)
        let order = rows.map { row in
            String(row.split(separator: "\">").dropFirst(2).first?.prefix { $0 != "<" } ?? "")
        }
        let late = rows.map { row in
            Int(row.split(separator: "overdue</td><td>").last?.prefix { $0 != "<" } ?? "") ?? -1
        }
        #expect(late == late.sorted(by: >), "\(late)")
        // Each family's joint visit, action plan and panel, F-2's a month later than the others' (and its quarterly
        // review, due 2 May); between F-3 and F-1, equally late, w-017 before w-018.
        #expect(
            order == ["F-2", "F-2", "F-3", "F-1", "F-3", "F-1", "F-2", "F-2", "F-3", "F-1"],
            "\(order)")
        let families = try #require(index.split(separator: "<h2 id=\"families\">").last)
        #expect(
            families.contains(
                "<tr><th scope=\"row\"><a href=\"families/F-3.html\">F-3</a><br><span class=\"meta\">UFRN EH03100003F</span><td>Megan, Parent<td>"
            ))
        #expect(
            families.contains(
                "<td>Worker w-018 <span class=\"meta nowrap id\">(w-018)</span></tr>"))
    }

    @Test(
        "referrals waiting for triage are listed with their age, the longest first, after the caseloads (issue 20)"
    )
    func waitingForTriage() throws {
        let ledger = try TestLedger(profile: "leicestershire-early-help")
        var lines = Events.staff
        // F-1 referred 10 days before F-2; F-3 triaged (no longer waiting).
        for (ref, on) in [("F-2", "2026-05-22"), ("F-1", "2026-05-12"), ("F-3", "2026-05-01")] {
            lines.append(Events.referral(ref, on: on, childID: "10000" + ref.dropFirst(2)))
        }
        lines.append(
            Events.line(
                id: "t-F-3", stream: "family:F-3", type: "triage.completed", on: "2026-05-02",
                actor: "m-001", role: "team-manager",
                data: ["outcome": 4, "priority": "high", "level": "targeted"]))
        for outcome in try ledger.append(lines) {
            if case .refused(let error) = outcome { Issue.record("\(error)") }
        }
        var fold = LedgerFold()
        try EventScanner.scan(path: ledger.path, window: EventWindow()) { fold.apply($0) }
        let reports = Reports(fold: fold, asOf: try #require(CivilDate("2026-06-01")))
        let index = Dashboard.index(
            reports: reports, caseload: reports.caseload(), obligations: reports.obligations(),
            pbr: [], monthly: reports.monthly(year: 2026, month: 5), policyName: "leicestershire")
        let waiting = try #require(
            index.split(separator: "<h2 id=\"triage\">").last?.split(separator: "</section>").first)
        #expect(
            waiting
                == "Referrals waiting for triage, the longest first (2)</h2><div class=\"scroll\"><table><thead><tr><th scope=\"col\">Family</th><th scope=\"col\">Members</th><th scope=\"col\" class=\"hide-narrow\">Referred</th><th scope=\"col\">Days waiting</th></tr></thead><tbody>"
                + "<tr><th scope=\"row\" class=\"nowrap\"><a href=\"families/F-1.html\">F-1</a></th><td>Megan, Parent</td><td class=\"hide-narrow nowrap\">2026-05-12</td><td>20</td></tr>"
                + "<tr><th scope=\"row\" class=\"nowrap\"><a href=\"families/F-2.html\">F-2</a></th><td>Megan, Parent</td><td class=\"hide-narrow nowrap\">2026-05-22</td><td>10</td></tr>"
                + "</tbody></table></div>")
        #expect(index.contains("<div class=\"card\"><b>2</b>referrals waiting for triage</div>"))
        // The manager's questions in order: overdue, caseloads, waiting for triage, due soon, then finding a family.
        let headings = ["overdue", "caseloads", "triage", "due-soon", "families"].map {
            index.range(of: "<h2 id=\"\($0)\">")?.lowerBound
        }
        let found = headings.compactMap { $0 }
        #expect(found.count == 5 && found == found.sorted())
    }

    @Test(
        "a page that stands alone (timeline --format html) carries its style inline, and loads nothing"
    )
    func standalone() throws {
        let page = Dashboard.timelinePage(family: "F-1", entries: [])
        #expect(
            page.contains("<style>\(String(decoding: Dashboard.styleSheet, as: UTF8.self))</style>")
        )
        #expect(!page.contains("<link") && !page.contains("src="))
        #expect(
            page.contains(
                "content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:\""))
    }

    @Test(
        "phone width keeps the caseload's status and short overdue rows; print is A4 with headings kept"
    )
    func narrowAndPrint() throws {
        let (index, page) = try Self.pages(asOf: "2026-06-01")
        // The rules are in the folder's shared sheet, which both pages link.
        let sheet = String(decoding: Dashboard.styleSheet, as: UTF8.self)
        #expect(sheet.contains("@page{size:A4;margin:15mm 12mm}"))
        #expect(sheet.contains("h1,h2{break-after:avoid;page-break-after:avoid}"))
        #expect(
            sheet.contains(
                ".hide-narrow,.id,table.timeline tr>:nth-child(4),table.families tr>:nth-child(5){display:none}"
            ))
        for html in [index, page] { #expect(html.contains("style.css\">")) }
        // Caseload: team and children give way at phone width; the status column stays.
        #expect(
            index.contains(
                "<th scope=\"col\">Worker</th><th scope=\"col\" class=\"hide-narrow\">Team</th><th scope=\"col\" class=\"hide-narrow\">FTE</th><th scope=\"col\">Families</th><th scope=\"col\" class=\"hide-narrow\">Children</th><th scope=\"col\">Against the limit</th><th scope=\"col\">Status</th>"
            ))
        // Overdue rows: the due date and the status ("overdue" on every row) give way to how late.
        #expect(
            index.contains(
                "<td class=\"hide-narrow nowrap\">2026-03-10</td><td class=\"hide-narrow status-overdue\">overdue</td><td>83</td>"
            ))
        // The family page's obligations stack at phone width (issue 20: the lead column scrolled sideways): each row
        // a block, every cell but what is due with its heading. It counts no days late (the front page does): the
        // page changes with the date only where a status does (`Reports.nextPageChange`).
        #expect(sheet.contains("table.stack thead{display:none}table.stack tr{display:block;"))
        #expect(
            page.contains(
                "<table class=\"stack\"><thead><tr><th scope=\"col\">What</th>"))
        #expect(
            page.contains(
                "<td class=\"nowrap\">2026-03-10</td><td class=\"status-overdue\">overdue</td><td>Worker w-017"
            ))
        // Each cell's heading comes from the sheet, by column.
        #expect(
            sheet.contains(
                "table.stack td:nth-child(2)::before{content:\"Due: \"}table.stack td:nth-child(3)::before{content:\"Status: \"}table.stack td:nth-child(4)::before{content:\"Lead worker: \"}}"
            ))
        #expect(!page.contains("Days late"))
        #expect(!index.contains("class=\"stack\""))
        // The Family Star's heading, drawing and legend print together.
        #expect(
            page.contains(
                "<section aria-labelledby=\"star\"><div class=\"keep\"><h2 id=\"star\">Family Star</h2><svg class=\"star\""
            ))
    }

    @Test(
        "the family page: back link at the top, re-referral in words, PbR evidence as a list, no review when closed"
    )
    func familyPageDetails() throws {
        let (_, page) = try Self.pages(asOf: "2026-06-01")
        #expect(
            page.contains(
                "<header><p class=\"meta back\"><a href=\"../index.html\">← Back to the dashboard</a></p><h1>Family F-1</h1>"
            ))
        #expect(
            page.contains("<tr><th scope=\"row\">Re-referral<td>no</tr>"), "was \"false\""
        )
        #expect(
            page.contains("<tr><th scope=\"row\">Next review by<td>"),
            "open: the review to come is shown")
        #expect(
            page.contains(
                "<tr><th scope=\"row\">Lead worker<td>Worker w-017 <span class=\"meta nowrap id\">(w-017)</span></tr>"
            ))
        // The latest Family Star is the evidence for children-need-help: one item of a list.
        #expect(page.contains("<td><ul class=\"evidence\"><li>"))
        let pbr = try #require(
            page.split(separator: "<h2 id=\"pbr\">").last?.split(separator: "</section>").first)
        #expect(!pbr.contains(";"), "no ids run together with semicolons")

        let scenario = try Self.scenario(closed: true)
        let reports = try scenario.reports(asOf: "2026-06-20")
        let family = try #require(reports.fold.families["F-1"])
        let closed = Dashboard.familyPage(
            family: family, row: reports.families().first, obligations: [], pbr: nil, timeline: [],
            asOf: try #require(CivilDate("2026-06-20")))
        #expect(closed.contains("<tr><th scope=\"row\">Closed<td>2026-06-10</tr>"))
        #expect(!closed.contains("Next review by"))
    }

    @Test(
        "CSV cells that a spreadsheet would run are neutralised",
        arguments: [
            ("=HYPERLINK(\"http://evil\")", "\"'=HYPERLINK(\"\"http://evil\"\")\""),
            ("+1+cmd|x", "'+1+cmd|x"), ("-2+3", "'-2+3"), ("@SUM(A1)", "'@SUM(A1)"),
            ("\tx", "'\tx"), ("-5", "-5"), ("plain", "plain"), ("a,b", "\"a,b\""), ("", ""),
            ("two\r\nlines", "\"two\r\nlines\""), ("say \"hi\"", "\"say \"\"hi\"\"\""),
            ("\rx", "\"'\rx\""),
        ])
    func csvInjection(cell: String, expected: String) {
        #expect(RowWriter.escapeCSV(cell) == expected)
        // A row's cells are written straight to bytes: the same cell, whether as a string or as a number's text.
        for value in [JSONValue.string(cell), .number(cell)] {
            #expect(
                RowWriter.csv([JSONObject([JSONMember("c", value)])])
                    == Array("c\r\n\(expected)\r\n".utf8))
        }
    }

    @Test(
        "CSV rows: every kind of cell, members in any order or missing, as escapeCSV(cellText) says"
    )
    func csvRows() {
        let values: [JSONValue] = [
            .null, .bool(true), .bool(false), .int(-5), .number("1.5"), .string(""), .string("-x"),
            .string("Zoë, Siân"),
            .array([]), .array(["a", "b"]), .array(["a,b", "c"]), .array(["=x", "y"]),
            .array([1, "b"]),
            .object(JSONObject([JSONMember("k", "v \"q\"")])), .object(JSONObject()),
        ]
        let columns = ["a", "b", "c"]
        var rows: [JSONObject] = []
        for (index, value) in values.enumerated() {
            let other = values[(index + 3) % values.count]
            rows.append(
                JSONObject([JSONMember("a", value), JSONMember("b", other), JSONMember("c", value)])
            )
            rows.append(JSONObject([JSONMember("c", value), JSONMember("a", other)]))
            rows.append(JSONObject([JSONMember("b", value)]))
        }
        var expected = "a,b,c\r\n"
        for row in rows {
            expected +=
                columns.map { RowWriter.escapeCSV(RowWriter.cellText(row[$0])) }.joined(
                    separator: ",") + "\r\n"
        }
        #expect(String(decoding: RowWriter.csv(rows, columns: columns), as: UTF8.self) == expected)
    }

    @Test(
        "family refs can never become paths outside the output folder",
        arguments: [
            ("F-1", "F-1.html"), ("../etc/passwd", "_0_0_92f__e_t_c_92f__p_a_s_s_w_d.html"),
            ("..", "_0_0.html"),
            ("a/b", "_a_92f__b.html"), ("", "_1.html"),
        ])
    func safeFileNames(ref: String, expected: String) {
        #expect(HTML.familyPageName(ref) == expected)
    }
}
