#if canImport(Glibc)
    import Glibc
#endif
import EventLog
import LedgerCore
import LedgerEngine
import LedgerTestSupport
import Testing

/// A family's record with everything a subject-access bundle must handle: a referrer, another system's reference,
/// a correction, a void, a line redacted by hand (EVENTS.md §1), a child of another family named in a visit, and
/// names and notes that are HTML.
struct SubjectAccessLog {
    let ledger: TestLedger
    var path: String { ledger.path }
    var directory: TemporaryDirectory { ledger.directory }
    static let now = ["LEDGER_NOW": "2026-11-23T12:00:00Z"]

    static let childName = #"Megan <script>alert("x")</script> O'Neil"#
    static let parentName = #"Pat "Quote" O'Neil & co"#
    static let secrets = [
        "Dr Referrer Secret", "Oak Surgery", "DM-SECRET-REF-77", "OTHER-CHILD-99", "Other Child",
        "REDACTED-SECRET-BODY",
    ]

    init() throws {
        ledger = try TestLedger()
        func event(
            _ id: String, _ family: String, _ type: String, _ on: String, actor: String = "w-017",
            role: String = "fsw",
            source: String? = nil, _ data: String
        ) -> String {
            let sourceMember = source.map { #","source":\#($0)"# } ?? ""
            return
                #"{"id":"\#(id)","stream":"family:\#(family)","type":"\#(type)","occurredAt":"\#(on)","actor":{"id":"\#(actor)","role":"\#(role)"}\#(sourceMember),"data":\#(data)}"#
        }
        let members = JSONWriter.string([
            ["id": "c1", "name": .string(Self.childName), "dob": "2015-04-01", "role": "child"],
            ["id": "p1", "name": .string(Self.parentName), "role": "parent"],
        ])
        let lines =
            Events.staff + [
                event(
                    "ref-1", "F-1", "referral.received", "2026-10-01", actor: "m-001",
                    role: "team-manager",
                    #"{"source":"health","referrer":{"name":"Dr Referrer Secret","agency":"Oak Surgery"},"reason":"Sleep & <b>routines</b>","members":\#(members)}"#
                ),
                event(
                    "ref-2", "F-2", "referral.received", "2026-10-01", actor: "m-001",
                    role: "team-manager",
                    #"{"source":"school","reason":"Attendance","members":[{"id":"OTHER-CHILD-99","name":"Other Child","dob":"2016-01-01","role":"child"}]}"#
                ),
                event(
                    "tri-1", "F-1", "triage.completed", "2026-10-02", actor: "m-001",
                    role: "team-manager",
                    #"{"outcome":4,"priority":"medium","level":"targeted"}"#),
                event(
                    "alloc-1", "F-1", "worker.allocated", "2026-10-03", actor: "m-001",
                    role: "team-manager",
                    #"{"worker":"w-017","relationship":"lead"}"#),
                event(
                    "att-1", "F-1", "attendance.recorded", "2026-10-04", actor: "dm",
                    role: "system",
                    source: #"{"system":"dm","ref":"DM-SECRET-REF-77"}"#,
                    #"{"memberId":"c1","from":"2026-09-01","to":"2026-09-30","percent":81}"#),
                event(
                    "contact-1", "F-1", "contact.attempted", "2026-10-05",
                    #"{"method":"phone","outcome":"no-answer"}"#),
                event(
                    "visit-1", "F-1", "visit.completed", "2026-10-06",
                    #"{"kind":"home","childrenSeen":["c1","OTHER-CHILD-99"]}"#),
                event(
                    "note-1", "F-1", "note.recorded", "2026-10-07",
                    #"{"subject":"Private","body":"REDACTED-SECRET-BODY"}"#),
                event(
                    "void-1", "F-1", "event.voided", "2026-10-08",
                    #"{"target":"contact-1","reason":"entered on the wrong family"}"#),
                event(
                    "fix-1", "F-1", "event.corrected", "2026-10-09",
                    #"{"target":"visit-1","reason":"it was a school visit","data":{"kind":"school","childrenSeen":["c1","OTHER-CHILD-99"]}}"#
                ),
            ]
        for (line, outcome) in zip(lines, try ledger.append(lines)) {
            guard case .appended = outcome else { throw Refused(line: line, outcome: "\(outcome)") }
        }
        try Self.redact(id: "note-1", in: ledger.path)
    }

    struct Refused: Error {
        var line: String
        var outcome: String
    }

    /// Redacts the line of event `id` as `ledger redact --reason wrong-family` does (EVENTS.md §1: `data` and
    /// `salt` replaced by the `redacted` notice, which names the record.redacted event that lists the line).
    static func redact(id: String, in path: String) throws {
        let lines = readLines(path)
        let index = try #require(lines.firstIndex { $0.contains(#""id":"\#(id)""#) })
        let result = Subprocess.ledger(
            [
                "redact", "--family", "F-1", "--reason", "wrong-family", "--actor", "m-001",
                "--seq", "\(index + 1)",
                "--log", path,
            ],
            environment: ["LEDGER_NOW": "2026-11-20T12:00:00Z"], in: TemporaryDirectory())
        try #require(result.status == 0, "redact: \(result.stderr)")
    }

    func run(_ arguments: [String], environment: [String: String] = [:]) -> Subprocess.Result {
        Subprocess.ledger(
            arguments + ["--log", path], environment: Self.now.merging(environment) { $1 },
            in: directory)
    }

    /// The seqs of the family's lines, from the log itself.
    func seqs(of family: String) -> [Int] {
        readLines(path).compactMap { line -> Int? in
            guard line.contains(#""stream":"family:\#(family)""#),
                let object = try? JSONParser.parse(line).objectValue
            else { return nil }
            return object["seq"]?.intValue
        }
    }
}

@Suite("ledger export-family: the subject-access bundle")
struct SubjectAccessTests {
    @Test(
        "every event present, corrections and voids shown, third-party information withheld and listed, all escaped"
    )
    func bundle() throws {
        let log = try SubjectAccessLog()
        #expect(log.run(["verify"]).status == 0, "a redacted line keeps the chain")
        let out = log.directory.file("sar")
        let result = log.run(["export-family", "F-1", "--out", out, "--viewer", "ig-officer"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout == out + "/index.html\n")
        let html = String(decoding: readBytes(out + "/index.html"), as: UTF8.self)
        let jsonBytes = readBytes(out + "/events.json")
        let json = String(decoding: jsonBytes, as: UTF8.self)
        #expect(fileMode(out + "/index.html") == 0o600 && fileMode(out + "/events.json") == 0o600)

        // Every event of the family's stream, in order.
        let document = try #require(try JSONParser.parse(jsonBytes).objectValue)
        let events = (document["events"]?.arrayValue ?? []).compactMap { $0.objectValue }
        #expect(events.compactMap { $0["seq"]?.intValue } == log.seqs(of: "F-1"))
        #expect(log.seqs(of: "F-1").count == 9)
        for seq in log.seqs(of: "F-1") {
            #expect(html.contains("<tr><td>\(seq)</td>"), "seq \(seq) on the page")
        }

        // Nothing of the referrer, the other system's reference, the other family's child or the removed note.
        for secret in SubjectAccessLog.secrets {
            #expect(!html.contains(secret), "\(secret) in index.html")
            #expect(!json.contains(secret), "\(secret) in events.json")
        }
        // Each withholding listed with its reason, on the page and in the JSON.
        let withheld = (document["withheld"]?.arrayValue ?? []).compactMap { $0.objectValue }
        let fields = Set(withheld.compactMap { $0["field"]?.stringValue })
        #expect(
            fields.contains("data.referrer") && fields.contains("source.ref")
                && fields.contains("data.childrenSeen"), "\(fields)")
        #expect(
            fields.contains("corrected[0].originalData.childrenSeen")
                && fields.contains("data.data.childrenSeen"), "\(fields)")
        #expect(withheld.allSatisfy { ($0["reason"]?.stringValue ?? "").count > 20 })
        #expect(html.contains("What we have withheld, and why"))
        #expect(html.contains("the name and organisation of the person who made the referral"))
        #expect(html.contains("another organisation&#39;s reference number"))
        let referral = try #require(events.first { $0["id"]?.stringValue == "ref-1" })
        #expect(referral["data"]?.objectValue?["referrer"] == .string("[withheld]"))
        #expect(referral["withheld"] == ["data.referrer"])
        let attendance = try #require(events.first { $0["id"]?.stringValue == "att-1" })
        #expect(attendance["source"] == ["system": "dm", "ref": "[withheld]"])

        // The correction applied, its original kept (struck through, with why); the void shown as entered in error;
        // the redacted line as removed.
        let visit = try #require(events.first { $0["id"]?.stringValue == "visit-1" })
        #expect(visit["data"]?.objectValue?["kind"] == "school")
        let correction = try #require(visit["corrected"]?.arrayValue?.first?.objectValue)
        #expect(correction["reason"] == "it was a school visit")
        #expect(correction["originalData"]?.objectValue?["kind"] == "home")
        #expect(
            html.contains(
                "<del>Home visit (FSW Worker w-017)</del><span class=\"why\">Corrected on 9 October 2026: it was a school visit</span>School visit"
            ))
        let contact = try #require(events.first { $0["id"]?.stringValue == "contact-1" })
        #expect(contact["voided"]?.objectValue?["reason"] == "entered on the wrong family")
        #expect(
            html.contains(
                "<span class=\"why\">Entered in error (noted on 8 October 2026): entered on the wrong family</span>"
            ))
        let note = try #require(events.first { $0["id"]?.stringValue == "note-1" })
        #expect(note["redacted"] == ["on": "2026-11-20", "reason": "wrong-family"])
        #expect(note["data"] == nil)
        #expect(
            html.contains("Removed on 20 November 2026: it had been recorded on the wrong family"))

        // The family, named; staff named in their role; everything escaped; no script; printable on A4.
        #expect(
            html.contains(
                "Megan &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; O&#39;Neil (child, born 1 April 2015)"
            ))
        #expect(html.contains("Pat &quot;Quote&quot; O&#39;Neil &amp; co (parent)"))
        #expect(
            html.contains("Worker w-017, family support worker")
                && html.contains("Worker m-001, team manager"))
        #expect(html.contains("Sleep &amp; &lt;b&gt;routines&lt;/b&gt;"))
        #expect(
            !html.lowercased().contains("<script") && !html.lowercased().contains("javascript:"))
        for handler in ["onload=", "onerror=", "onclick=", "onmouseover="] {
            #expect(!html.contains(handler))
        }
        #expect(html.contains("@page{size:A4"))
        #expect(
            html.contains(
                "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src &#39;none&#39;; style-src &#39;sha256-"
            ))
        #expect(!json.contains("<") && !json.contains(">") && json.contains("\\u003cscript\\u003e"))

        // The export is on record.
        let access = log.run(["access", "F-1", "--format", "jsonl"])
        #expect(
            access.stdout.contains(
                #""viewer":"ig-officer","command":"export-family","family":"F-1""#),
            "\(access.stdout)")
    }

    @Test(
        "a child who left for another family: what is recorded of them after their leaving is withheld"
    )
    func movedChild() throws {
        let ledger = try TestLedger()
        func event(_ id: String, _ family: String, _ type: String, _ on: String, _ data: String)
            -> String
        {
            #"{"id":"\#(id)","stream":"family:\#(family)","type":"\#(type)","occurredAt":"\#(on)","actor":{"id":"m-001","role":"team-manager"},"data":\#(data)}"#
        }
        let lines =
            Events.staff + [
                event(
                    "ref-1", "F-1", "referral.received", "2026-10-01",
                    #"{"source":"school","reason":"R","members":[{"id":"c1","name":"Stay","dob":"2013-03-01","role":"child"},{"id":"c2","name":"Mover","dob":"2015-03-01","role":"child"}]}"#
                ),
                event(
                    "att-c2", "F-1", "attendance.recorded", "2026-10-02",
                    #"{"memberId":"c2","from":"2026-09-01","to":"2026-09-30","percent":81}"#),
                event("left-c2", "F-1", "family.member.left", "2026-10-05", #"{"memberId":"c2"}"#),
                event(
                    "ref-2", "F-2", "referral.received", "2026-10-05",
                    #"{"source":"social-care","reason":"Kinship care","members":[{"id":"c2","name":"Mover","dob":"2015-03-01","role":"child"}]}"#
                ),
                event(
                    "visit-1", "F-1", "visit.completed", "2026-10-06",
                    #"{"kind":"school","childrenSeen":["c1","c2"]}"#),
                event(
                    "off-c2", "F-1", "offence.recorded", "2026-10-07",
                    #"{"memberId":"c2","kind":"asb"}"#),
            ]
        for (line, outcome) in zip(lines, try ledger.append(lines)) {
            guard case .appended = outcome else {
                throw SubjectAccessLog.Refused(line: line, outcome: "\(outcome)")
            }
        }
        let out = ledger.directory.file("bundle")
        let result = Subprocess.ledger(
            ["export-family", "F-1", "--out", out, "--log", ledger.path],
            environment: SubjectAccessLog.now, in: ledger.directory)
        #expect(result.status == 0, "\(result.stderr)")
        let document = try #require(
            try JSONParser.parse(readBytes(out + "/events.json")).objectValue)
        let events = document["events"]?.arrayValue?.compactMap(\.objectValue) ?? []
        func data(_ type: String) -> JSONObject? {
            events.first { $0["type"]?.stringValue == type }?["data"]?.objectValue
        }
        // Before the leaving, and the leaving itself, are the family's own record.
        #expect(data("attendance.recorded")?["memberId"] == "c2")
        #expect(data("family.member.left")?["memberId"] == "c2")
        // After it, c2 is another family's member.
        #expect(data("visit.completed")?["childrenSeen"] == ["c1", "[withheld]"])
        #expect(data("offence.recorded")?["memberId"] == "[withheld]")
        let fields = (document["withheld"]?.arrayValue ?? []).compactMap {
            $0.objectValue?["field"]?.stringValue
        }
        #expect(fields == ["data.childrenSeen", "data.memberId"], "\(fields)")
    }

    @Test("an unknown family is refused, and nothing is written")
    func unknownFamily() throws {
        let log = try SubjectAccessLog()
        let out = log.directory.file("nobody")
        let result = log.run(["export-family", "F-404", "--out", out])
        #expect(result.status == 1)
        #expect(result.stderr.contains("no family F-404 in the log"), "\(result.stderr)")
        #expect(FileOutput.size(out) == nil)
        #expect(log.run(["export-family", "F-1"]).status == 2, "--out is required")
    }
}
