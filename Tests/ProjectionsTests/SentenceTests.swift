import EventLog
@testable import LedgerCore
import Projections
import Testing
@testable import LedgerEngine

@Suite("Timeline sentences")
struct SentenceTests {
    static let star: JSONValue = [
        "physicalHealth": 5, "wellbeing": 4, "emotionalNeeds": 6, "keepingSafe": 3,
        "socialNetworks": 5,
        "education": 7, "boundaries": 2, "routine": 8, "progressToWork": 4, "homeAndMoney": 5,
    ]

    /// An event of every type (and of each branch of a type's sentence), with its sentence. Each is an event the
    /// ledger would store (`valid` checks it against the catalogue): a timeline reads stored lines.
    static let cases: [(type: String, data: JSONValue, sentence: String)] = [
        (
            "referral.received",
            [
                "source": "early-help-network", "reason": "Parental mental health",
                "members": [
                    ["id": "1", "name": "Ava Cole", "role": "child"],
                    ["id": "2", "name": "Sam Cole", "role": "parent"],
                    ["id": "3", "name": "Leo Cole", "role": "child"],
                ],
            ], "Referral from early help network: Parental mental health (2 children)"
        ),
        (
            "referral.received",
            [
                "source": "school", "reason": "Attendance",
                "members": [["id": "1", "name": "Ava Cole", "role": "child"]],
            ],
            "Referral from school: Attendance (1 child)"
        ),
        (
            "triage.completed", ["outcome": 8, "priority": "high", "level": "complex-0-5"],
            "Triaged: outcome 8, high priority, complex 0 5 level"
        ),
        (
            "triage.completed", ["outcome": 2, "priority": "low", "level": "brief"],
            "Triaged: outcome 2, low priority, brief level"
        ),
        (
            "allocation.discussed", ["decision": "declined-capacity"],
            "Allocation discussed: declined capacity"
        ),
        (
            "allocation.discussed", ["decision": "deferred", "note": "No capacity this week"],
            "Allocation discussed: deferred — No capacity this week"
        ),
        (
            "worker.allocated", ["worker": "w-102", "relationship": "lead"],
            "w-102 allocated as lead worker"
        ),
        ("worker.unallocated", ["worker": "w-102"], "w-102 no longer allocated"),
        (
            "ufrn.assigned", ["ufrn": .string(ufrn), "locality": "02"],
            "UFRN \(ufrn) assigned"
        ),
        (
            "family.member.added", ["member": ["id": "4", "name": "Zoë Siân", "role": "child"]],
            "Zoë Siân joined the family (child)"
        ),
        ("family.member.left", ["memberId": "4"], "Member 4 left the family"),
        ("referrer.contacted", [:], "Referrer contacted"),
        (
            "referrer.contacted", ["outcome": "Background shared"],
            "Referrer contacted: Background shared"
        ),
        (
            "contact.attempted", ["method": "phone", "outcome": "no-response"],
            "Phone call to the family — no response"
        ),
        (
            "contact.attempted", ["method": "via-school", "outcome": "message-left"],
            "Contact via school to the family — message left"
        ),
        (
            "contact.attempted", ["method": "letter", "outcome": "card-left"],
            "Letter to the family — card left"
        ),
        ("consent.recorded", ["given": true, "scope": "service"], "Consent given for service"),
        (
            "consent.recorded", ["given": false, "scope": "information-sharing"],
            "Consent refused for information sharing"
        ),
        ("engagement.started", [:], "First meeting with the family: engagement started"),
        ("visit.completed", ["kind": "home"], "Home visit"),
        (
            "visit.completed", ["kind": "joint-sw-fsw", "childSeenAlone": true],
            "Joint visit with the social worker, child seen alone"
        ),
        ("visit.completed", ["kind": "other", "childSeenAlone": false], "Visit"),
        ("meeting.attended", ["kind": "core-group"], "Attended core group meeting"),
        (
            "note.recorded",
            ["subject": "Direct work", "body": "Worked on routines; children \"happy\"."],
            "Note: Direct work — Worked on routines; children \"happy\"."
        ),
        ("supervision.recorded", [:], "Supervision recorded"),
        (
            "concern.raised", ["kind": "safeguarding", "action": "mash-referral"],
            "Safeguarding concern raised: mash referral"
        ),
        (
            "requirement.met", ["requirement": "childrens-centre"],
            "Minimum requirement met: childrens centre"
        ),
        (
            "assessment.completed", ["kind": "signs-of-wellbeing"],
            "Signs of wellbeing assessment completed"
        ),
        (
            "assessment.completed", ["kind": "family-star", "familyStar": star],
            "Family star assessment completed (Family Star total 49/100)"
        ),
        (
            "plan.agreed",
            [
                "kind": "support-plan",
                "actions": [
                    ["id": "a1", "what": "Bedtime routine", "who": "Parent", "everyDays": 1],
                    ["id": "a2", "what": "School meeting", "who": "FSW", "due": "2026-01-30"],
                ],
                "reviewBy": "2026-02-14",
            ],
            "Support plan agreed with 2 actions, review by 2026-02-14"
        ),
        ("plan.updated", ["addedWeeks": 4], "Plan updated"),
        ("plan.updated", ["reviewBy": "2026-05-01"], "Plan updated, review by 2026-05-01"),
        ("plan.distributed", [:], "Plan distributed"),
        ("review.completed", ["outcome": "continue"], "Review completed: continue"),
        (
            "review.completed", ["outcome": "step-up", "familyStar": star],
            "Review completed: step up (Family Star total 49/100)"
        ),
        (
            "case-summary.completed", ["reason": "four-monthly"],
            "Case summary completed (four monthly)"
        ),
        (
            "extension.agreed",
            ["what": "assessment", "until": "2026-03-01", "reason": "Family away"],
            "Extension agreed for assessment until 2026-03-01: Family away"
        ),
        (
            "level.changed", ["level": "intensive", "reason": "escalation"],
            "Level changed to intensive (escalation)"
        ),
        (
            "level.changed", ["level": "targeted", "reason": "step-down"],
            "Level changed to targeted (step down)"
        ),
        (
            "stepup.requested", ["to": "social-care", "reason": "Escalating concerns"],
            "Step-up to social care requested: Escalating concerns"
        ),
        ("stepup.decided", ["accepted": true], "Step-up accepted"),
        ("stepup.decided", ["accepted": false], "Step-up not accepted"),
        ("transfer.completed", ["team": "t-north"], "Transferred to team t-north"),
        ("closure.approved", ["reason": "Needs met"], "Closure approved: Needs met"),
        ("case.closed", ["reason": "met-outcomes"], "Case closed: met outcomes"),
        (
            "pbr.criteria.identified",
            ["criteria": ["education", "crime-asb"], "source": "assessment"],
            "Payment-by-results criteria identified: education, crime-asb"
        ),
        (
            "attendance.recorded",
            [
                "memberId": "300104", "from": "2026-01-20", "to": "2026-04-20",
                "percent": .number("93.5"),
            ],
            "School attendance for 300104 2026-01-20 to 2026-04-20: 93.5%"
        ),
        (
            "attendance.recorded",
            ["memberId": "300104", "from": "2026-01-20", "to": "2026-04-20", "percent": 90],
            "School attendance for 300104 2026-01-20 to 2026-04-20: 90%"
        ),
        (
            "offence.recorded", ["kind": "asb", "memberId": "7"],
            "Anti-social behaviour recorded for 7"
        ),
        ("offence.recorded", ["kind": "offence", "memberId": "7"], "Offence recorded for 7"),
        (
            "employment.recorded",
            ["memberId": "2", "startedOn": "2026-02-01", "continuousWeeks": 26, "benefit": "uc"],
            "Employment for 2 from 2026-02-01: 26 continuous weeks (was on UC)"
        ),
        ("pbr.claimed", ["kind": "attachment"], "Payment-by-results claim: attachment"),
        (
            "event.corrected",
            ["target": "F-1-visit-19", "reason": "It was at school", "data": ["kind": "school"]],
            "Correction of F-1-visit-19: It was at school"
        ),
        (
            "event.voided", ["target": "F-1-note-15", "reason": "Wrong family"],
            "Voided F-1-note-15 (entered in error): Wrong family"
        ),
        (
            "hold.placed", ["reason": "Inquiry", "reference": "letter 7"],
            "Hold placed: Inquiry (letter 7): nothing of this record may be disposed of while it is in force"
        ),
        (
            "hold.placed", ["reason": "Complaint"],
            "Hold placed: Complaint: nothing of this record may be disposed of while it is in force"
        ),
        (
            "hold.lifted", ["hold": "hold-7", "reason": "Inquiry closed"],
            "Hold hold-7 lifted: Inquiry closed"
        ),
        (
            "record.redacted", ["family": "F-1", "seqs": [3, 4], "reason": "retention-ended"],
            "2 lines of family F-1 redacted (retention ended)"
        ),
        (
            "policy.adopted",
            ["profile": "leicestershire-early-help", "effectiveFrom": "2026-01-01"],
            "policy.adopted"
        ),
        ("team.defined", ["id": "t-north", "name": "North"], "team.defined"),
        (
            "worker.registered", ["name": "Grace Obi", "role": "fsw", "team": "t-north", "fte": 1],
            "worker.registered"
        ),
        ("worker.changed", ["fte": .number("0.8")], "worker.changed"),
        ("worker.left", [:], "worker.left"),
        ("system.registered", ["name": "HR feed", "purpose": "hr-feed"], "system.registered"),
        ("system.retired", [:], "system.retired"),
        ("not.in.catalogue", [:], "not.in.catalogue"),
    ]

    static let ufrn = UFRN.make(locality: "02", childID: "300097")

    @Test(
        "every case is an event the ledger would store: its data passes its type's schema and rules"
    )
    func valid() throws {
        for (type, data, _) in Self.cases {
            guard let declared = Catalogue.types[type] else { continue }
            let object = try #require(data.objectValue)
            #expect(throws: Never.self, "\(type): \(JSONWriter.string(data))") {
                try SchemaChecker.checkObject(object, declared.fields, at: "data")
                try TypeRules.check(type: type, data: object)
            }
        }
    }

    /// Data that does not decode as its type's: a stored line never has it (every line is validated when
    /// appended, and again by `verify`), but a log altered outside the ledger, or written under another
    /// catalogue, could. The timeline then says so, rather than making a sentence of blanks.
    @Test(
        "a line whose data does not decode as its type's reads as its type, with no details",
        arguments: [
            ("triage.completed", [:]), ("contact.attempted", ["method": "phone"]),
            ("attendance.recorded", ["memberId": "300104", "from": "2026-01-20"]),
            ("family.member.added", ["member": ["id": "4"]]),
            ("record.redacted", ["family": "F-1", "reason": "retention-ended"]),
        ] as [(String, JSONValue)])
    func unreadable(type: String, data: JSONValue) {
        let made = Sentence.describe(
            type: type, data: EventData(data.objectValue ?? JSONObject()), actor: "FSW Grace Obi")
        #expect(made == "\(type): its details cannot be read (FSW Grace Obi)")
        #expect(
            Sentence.describe(type: type, data: Self.inPlace(data), actor: "FSW Grace Obi") == made)
    }

    @Test("every event type's sentence, exactly", arguments: cases)
    func sentence(type: String, data: JSONValue, sentence: String) {
        let made = Sentence.describe(
            type: type, data: EventData(data.objectValue ?? JSONObject()), actor: "FSW Grace Obi")
        #expect(made == sentence + " (FSW Grace Obi)")
    }

    @Test(
        "every event type's sentence, exactly, from data read in place in a log chunk",
        arguments: cases)
    func sentenceFromBytes(type: String, data: JSONValue, sentence: String) {
        let made = Sentence.describe(type: type, data: Self.inPlace(data), actor: "FSW Grace Obi")
        #expect(made == sentence + " (FSW Grace Obi)")
    }

    /// `data` as a read of the log holds it: a view of its stored bytes in a chunk.
    static func inPlace(_ data: JSONValue) -> EventData {
        let bytes = JSONWriter.bytes(data)
        let chunk = bytes.withUnsafeBytes { LogChunk(copying: $0) }
        return EventData(chunk: chunk, range: 0..<bytes.count)
    }

    @Test("a redacted event reads: its type, redacted on DATE: REASON")
    func redacted() {
        let notice = EventData(
            JSONObject([
                JSONMember("on", "2026-11-23"), JSONMember("reason", "wrong-family"),
                JSONMember("by", "m-001"),
                JSONMember("record", "r-1"),
            ]))
        #expect(
            Sentence.redacted(
                notice, kind: .noteRecorded, type: "note.recorded", actor: "FSW Grace Obi")
                == "note.recorded: redacted on 2026-11-23: wrong family (FSW Grace Obi)")
    }

    @Test("the cases cover every type of the catalogue")
    func coverage() {
        #expect(Set(Self.cases.map(\.type)).isSuperset(of: Catalogue.names))
    }
}
