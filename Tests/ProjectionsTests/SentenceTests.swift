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

    /// An event of every type (and of each branch of a type's sentence), with its sentence.
    static let cases: [(type: String, data: JSONValue, sentence: String)] = [
        (
            "referral.received",
            [
                "source": "early-help-network", "reason": "Parental mental health",
                "members": [
                    ["id": "1", "role": "child"], ["id": "2", "role": "parent"],
                    ["id": "3", "role": "child"],
                ],
            ], "Referral from early help network: Parental mental health (2 children)"
        ),
        (
            "referral.received",
            [
                "source": "school", "reason": "Attendance",
                "members": [["id": "1", "role": "child"]],
            ],
            "Referral from school: Attendance (1 child)"
        ),
        (
            "triage.completed", ["outcome": 8, "priority": "high", "level": "targeted-plus"],
            "Triaged: outcome 8, high priority, targeted plus level"
        ),
        ("triage.completed", [:], "Triaged: outcome ?,  priority,  level"),
        (
            "allocation.discussed", ["decision": "accepted-for-allocation"],
            "Allocation discussed: accepted for allocation"
        ),
        (
            "allocation.discussed", ["decision": "waiting", "note": "No capacity this week"],
            "Allocation discussed: waiting — No capacity this week"
        ),
        (
            "worker.allocated", ["worker": "w-102", "relationship": "lead"],
            "w-102 allocated as lead worker"
        ),
        ("worker.unallocated", ["worker": "w-102"], "w-102 no longer allocated"),
        ("ufrn.assigned", ["ufrn": "EH02300097F"], "UFRN EH02300097F assigned"),
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
            "contact.attempted", ["method": "pigeon", "outcome": "spoke"],
            "Contact to the family — spoke"
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
        ("visit.completed", ["kind": "garden", "childSeenAlone": false], "Visit"),
        (
            "meeting.attended", ["kind": "team-around-the-family"],
            "Attended team around the family meeting"
        ),
        (
            "note.recorded",
            ["subject": "Direct work", "body": "Worked on routines; children \"happy\"."],
            "Note: Direct work — Worked on routines; children \"happy\"."
        ),
        ("supervision.recorded", [:], "Supervision recorded"),
        (
            "concern.raised", ["kind": "safeguarding", "action": "referred-to-mash"],
            "Safeguarding concern raised: referred to mash"
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
            ["kind": "support-plan", "actions": ["a", "b"], "reviewBy": "2026-02-14"],
            "Support plan agreed with 2 actions, review by 2026-02-14"
        ),
        ("plan.updated", [:], "Plan updated"),
        ("plan.updated", ["reviewBy": "2026-05-01"], "Plan updated, review by 2026-05-01"),
        ("plan.distributed", [:], "Plan distributed"),
        ("review.completed", ["outcome": "continue"], "Review completed: continue"),
        (
            "review.completed", ["outcome": "step-down", "familyStar": star],
            "Review completed: step down (Family Star total 49/100)"
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
            "level.changed", ["level": "intensive", "reason": "new-concerns"],
            "Level changed to intensive (new concerns)"
        ),
        (
            "stepup.requested", ["to": "social-care", "reason": "Escalating concerns"],
            "Step-up to social care requested: Escalating concerns"
        ),
        ("stepup.decided", ["accepted": true], "Step-up accepted"),
        ("stepup.decided", ["accepted": false], "Step-up not accepted"),
        ("transfer.completed", ["team": "t-north"], "Transferred to team t-north"),
        ("closure.approved", ["reason": "Needs met"], "Closure approved: Needs met"),
        ("case.closed", ["reason": "needs-met"], "Case closed: needs met"),
        (
            "pbr.criteria.identified", ["criteria": ["education", "crime-asb"]],
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
            ["memberId": "300104", "from": "2026-01-20", "to": "2026-04-20"],
            "School attendance for 300104 2026-01-20 to 2026-04-20: ?%"
        ),
        (
            "offence.recorded", ["kind": "asb", "memberId": "7"],
            "Anti-social behaviour recorded for 7"
        ),
        ("offence.recorded", ["kind": "theft", "memberId": "7"], "Offence recorded for 7"),
        (
            "employment.recorded",
            ["memberId": "2", "startedOn": "2026-02-01", "continuousWeeks": 26, "benefit": "uc"],
            "Employment for 2 from 2026-02-01: 26 continuous weeks (was on UC)"
        ),
        ("pbr.claimed", ["kind": "attachment"], "Payment-by-results claim: attachment"),
        (
            "event.corrected", ["target": "F-1-visit-19", "reason": "It was at school"],
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
        ("policy.adopted", [:], "policy.adopted"),
        ("team.defined", [:], "team.defined"),
        ("worker.registered", ["name": "Grace Obi"], "worker.registered"),
        ("worker.changed", [:], "worker.changed"),
        ("worker.left", [:], "worker.left"),
        ("system.registered", ["name": "HR feed", "purpose": "hr-feed"], "system.registered"),
        ("system.retired", [:], "system.retired"),
        ("not.in.catalogue", [:], "not.in.catalogue"),
    ]

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
