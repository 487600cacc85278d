import EventLog
import LedgerCore
import LedgerEngine
import LedgerTestSupport
import Testing

/// `ledger annex-a`: Ofsted's Annex A list 2 on a hand-made log whose rows are worked out by hand below.
@Suite("ledger annex-a: Ofsted's early help list")
struct AnnexATests {
    static func child(_ id: String, dob: String?, gender: String? = nil, ethnicity: String? = nil)
        -> JSONValue
    {
        var member = JSONObject([
            JSONMember("id", .string(id)), JSONMember("name", "Child"), JSONMember("role", "child"),
        ])
        if let dob { member["dob"] = .string(dob) }
        if let gender { member["gender"] = .string(gender) }
        if let ethnicity { member["ethnicity"] = .string(ethnicity) }
        return .object(member)
    }

    static func referral(_ ref: String, on date: String, children: [JSONValue]) -> String {
        Events.line(
            id: "ref-\(ref)", stream: "family:\(ref)", type: "referral.received", on: date,
            actor: "m-001",
            role: "team-manager",
            data: [
                "source": "school", "reason": "Attendance",
                "members": .array(
                    children + [["id": .string("p-\(ref)"), "name": "Parent", "role": "parent"]]),
            ])
    }

    static func event(
        _ ref: String, _ type: String, on date: String, _ data: JSONValue = [:],
        manager: Bool = false
    ) -> String {
        Events.line(
            id: "\(type)-\(ref)-\(date)", stream: "family:\(ref)", type: type, on: date,
            actor: manager ? "m-001" : "w-017",
            role: manager ? "team-manager" : "fsw", data: data)
    }

    static func lead(_ ref: String, _ worker: String, on date: String) -> String {
        event(
            ref, "worker.allocated", on: date, ["worker": .string(worker), "relationship": "lead"])
    }

    static func assessed(_ ref: String, on date: String) -> String {
        event(ref, "assessment.completed", on: date, ["kind": "early-help-assessment"])
    }

    static func closed(_ ref: String, on date: String) -> String {
        event(ref, "case.closed", on: date, ["reason": "met-outcomes"], manager: true)
    }

    /// The list on 2026-11-20: six months before is 2026-05-20.
    static let log: [String] =
        Events.staff + [
            Events.worker("w-020", team: "south"),
            // F-1: intervention open on the day, assessed in the window. Two children: C-1 with everything, C-2 with
            // no gender and no ethnicity (unknown); both with the lead w-017's team, north.
            referral(
                "F-1", on: "2026-09-01",
                children: [
                    child("C-1", dob: "2015-04-01", gender: "female", ethnicity: "WBRI"),
                    child("C-2", dob: "2019-12-25"),
                ]),
            lead("F-1", "w-017", on: "2026-09-02"),
            event("F-1", "engagement.started", on: "2026-09-05"),
            assessed("F-1", on: "2026-10-01"),
            // a reassessment: the completion date stays the first
            assessed("F-1", on: "2026-11-02"),
            // F-2: closed on 2026-08-01, but its assessment (2026-06-15) is within the six months: listed. Lead w-020,
            // team south. C-3 turns 14 on 2026-11-23, three days after the list's date: 13.
            referral(
                "F-2", on: "2026-03-02",
                children: [child("C-3", dob: "2012-11-23", gender: "male", ethnicity: "ABAN")]),
            lead("F-2", "w-020", on: "2026-03-03"),
            event("F-2", "engagement.started", on: "2026-03-10"),
            assessed("F-2", on: "2026-06-15"),
            closed("F-2", on: "2026-08-01"),
            // F-3: assessed 2025-11-01 and closed 2026-04-30, before the six months: not listed.
            referral(
                "F-3", on: "2025-10-01",
                children: [child("C-4", dob: "2016-01-01", gender: "female")]),
            lead("F-3", "w-017", on: "2025-10-02"),
            event("F-3", "engagement.started", on: "2025-10-05"),
            assessed("F-3", on: "2025-11-01"),
            closed("F-3", on: "2026-04-30"),
            // F-4: referred, never met: no intervention yet, no assessment: not listed.
            referral("F-4", on: "2026-11-10", children: [child("C-5", dob: "2020-02-02")]),
            // F-5: engaged, no lead, not yet assessed, the child's date of birth not known: team, dob, age and
            // completion unknown. A second child C-7 joins, and C-6's gender arrives with a correction of the referral.
            referral("F-5", on: "2026-10-01", children: [child("C-6", dob: nil)]),
            Events.line(
                id: "corr-F-5", stream: "family:F-5", type: "event.corrected", on: "2026-10-26",
                actor: "m-001",
                role: "team-manager",
                data: [
                    "target": "ref-F-5", "reason": "Gender left out",
                    "data": [
                        "source": "school", "reason": "Attendance",
                        "members": [
                            child("C-6", dob: nil, gender: "female"),
                            ["id": "p-F-5", "name": "Parent", "role": "parent"],
                        ],
                    ],
                ]),
            event("F-5", "engagement.started", on: "2026-10-20"),
            event(
                "F-5", "family.member.added", on: "2026-10-25",
                ["member": child("C-7", dob: "2026-10-24", gender: "male")]),
            // F-6: its intervention closed on 2026-11-21, after the list's date: open on the day, listed; the event
            // after the day is not read. A child who left (C-9) is not listed.
            referral(
                "F-6", on: "2026-06-01",
                children: [
                    child("C-8", dob: "2010-02-28", gender: "other", ethnicity: "MWBC"),
                    child("C-9", dob: "2011-03-03"),
                ]),
            event("F-6", "engagement.started", on: "2026-06-03"),
            event("F-6", "family.member.left", on: "2026-07-01", ["memberId": "C-9"]),
            closed("F-6", on: "2026-11-21"),
        ]

    /// Worked out by hand from the comments above, ordered by child id.
    static let expected = """
        childId,gender,ethnicity,dateOfBirth,age,assessmentStart,assessmentCompletion,team
        C-1,female,WBRI,2015-04-01,11,2026-09-05,2026-10-01,north
        C-2,unknown,unknown,2019-12-25,6,2026-09-05,2026-10-01,north
        C-3,male,ABAN,2012-11-23,13,2026-03-10,2026-06-15,south
        C-6,female,unknown,unknown,unknown,2026-10-20,unknown,unknown
        C-7,male,unknown,2026-10-24,0,2026-10-20,unknown,unknown
        C-8,other,MWBC,2010-02-28,16,2026-06-03,unknown,unknown
        """

    @Test(
        "the hand-made log's list: assessed in the six months or open on the day, one row a child, unknown where not held"
    )
    func handMadeList() throws {
        let ledger = try TestLedger()
        for outcome in try ledger.append(Self.log) {
            if case .refused(let error) = outcome { Issue.record("refused: \(error)") }
        }
        let result = Subprocess.ledger(
            ["annex-a", "--as-of", "2026-11-20", "--format", "csv", "--log", ledger.path],
            in: ledger.directory)
        #expect(result.status == 0, "\(result.stderr)")
        // CSV rows end in CRLF (RFC 4180).
        #expect(result.stdout == Self.expected.split(separator: "\n").map { $0 + "\r\n" }.joined())
        // Every format holds the same rows; json's are objects with the same columns.
        let json = Subprocess.ledger(
            ["annex-a", "--as-of", "2026-11-20", "--format", "json", "--log", ledger.path],
            in: ledger.directory)
        let rows = try #require(try JSONParser.parse(Array(json.stdout.utf8)).arrayValue)
        #expect(rows.count == 6)
        #expect(
            rows.first?.objectValue?.keys == [
                "childId", "gender", "ethnicity", "dateOfBirth", "age", "assessmentStart",
                "assessmentCompletion", "team",
            ])
        #expect(rows.first?.objectValue?["age"] == .int(11))
        let table = Subprocess.ledger(
            ["annex-a", "--as-of", "2026-11-20", "--format", "table", "--log", ledger.path],
            in: ledger.directory)
        #expect(table.status == 0 && table.stdout.contains("C-8"))
        // A bulk read of every family's children: one access entry, naming no family.
        let access = readLines(ledger.path + ".access")
        #expect(access.count == 3 && access.allSatisfy { $0.contains(#""command":"annex-a""#) })
    }

    @Test("F-2 is listed until its assessment is more than six months before the day")
    func windowMoves() throws {
        let ledger = try TestLedger()
        _ = try ledger.append(Self.log)
        // On 2026-12-16 the six months start 2026-06-16: F-2's assessment (2026-06-15) is out, and F-2 closed.
        let later = Subprocess.ledger(
            ["annex-a", "--as-of", "2026-12-16", "--format", "csv", "--log", ledger.path],
            in: ledger.directory)
        #expect(later.status == 0, "\(later.stderr)")
        #expect(!later.stdout.contains("C-3"), "\(later.stdout)")
        let onTheDay = Subprocess.ledger(
            ["annex-a", "--as-of", "2026-12-15", "--format", "csv", "--log", ledger.path],
            in: ledger.directory)
        #expect(
            onTheDay.stdout.contains("C-3,male,ABAN,2012-11-23,14,2026-03-10,2026-06-15,south"),
            "\(onTheDay.stdout)")
    }

    /// Entered out of date order: G-1's second assessment (dated first) and its first lead (w-020, dated after
    /// w-017's allocation) entered late; G-2's first episode's assessment entered while its second is open. Annex A
    /// takes them by date, as every projection does.
    static let late: [String] =
        Events.staff + [
            Events.worker("w-020", team: "south"),
            referral("G-1", on: "2026-09-01", children: [child("D-1", dob: "2015-04-01")]),
            lead("G-1", "w-020", on: "2026-09-10"),
            event("G-1", "engagement.started", on: "2026-09-12"),
            assessed("G-1", on: "2026-11-02"),
            // Entered late: the assessment completed first, and the allocation that came before w-020's.
            assessed("G-1", on: "2026-10-01"),
            lead("G-1", "w-017", on: "2026-09-02"),
            referral("G-2", on: "2026-06-01", children: [child("D-2", dob: "2016-01-01")]),
            lead("G-2", "w-017", on: "2026-06-02"),
            event("G-2", "engagement.started", on: "2026-06-03"),
            closed("G-2", on: "2026-07-01"),
            Events.line(
                id: "ref-G-2b", stream: "family:G-2", type: "referral.received", on: "2026-10-01",
                actor: "m-001", role: "team-manager",
                data: [
                    "source": "school", "reason": "Again",
                    "members": [child("D-2", dob: "2016-01-01")],
                ]),
            // The first episode's assessment, entered late while the second is open: it stands in the first.
            assessed("G-2", on: "2026-06-20"),
        ]

    @Test(
        "events entered out of date order: the first assessment and the lead by date; a late entry in its own episode"
    )
    func validTime() throws {
        let ledger = try TestLedger()
        let outcomes = try ledger.append(Self.late)
        for outcome in outcomes {
            if case .refused(let error) = outcome { Issue.record("refused: \(error)") }
        }
        let list = Subprocess.ledger(
            ["annex-a", "--as-of", "2026-11-20", "--format", "csv", "--log", ledger.path],
            in: ledger.directory)
        #expect(list.status == 0, "\(list.stderr)")
        // G-1: assessed on 2026-10-01 (the later-entered, earlier-dated one); the lead is w-020, allocated last
        // by date (w-017's allocation on 09-02 came before it), so team south. G-2: its first episode was assessed
        // on 2026-06-20 and closed; the second is neither engaged nor assessed: listed for the first, whose
        // assessment is within the six months from 2026-05-20.
        #expect(
            list.stdout.split(separator: "\r\n") == [
                "childId,gender,ethnicity,dateOfBirth,age,assessmentStart,assessmentCompletion,team",
                "D-1,unknown,unknown,2015-04-01,11,2026-09-12,2026-10-01,south",
                "D-2,unknown,unknown,2016-01-01,10,2026-06-03,2026-06-20,north",
            ], "\(list.stdout)")
    }
}
