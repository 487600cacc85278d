import EventLog
import LedgerCore

/// One event of a family's journey: what happened, in a sentence, and the corrections and void that later
/// events made to it. The `timeline` command's rows (`row`) and the dashboard's timeline tables are made from it.
public struct TimelineEntry: Sendable, Equatable {
    /// A later event's correction of this one: who, where in the log, why, and the sentence it replaced.
    public struct Correction: Sendable, Equatable {
        public var by: String
        public var seq: Int
        public var reason: String
        public var original: String
    }

    /// A later event's void of this one (entered in error).
    public struct Voiding: Sendable, Equatable {
        public var by: String
        public var seq: Int
        public var reason: String
    }

    public var seq: Int
    public var id: String
    public var occurredAt: String
    public var recordedAt: String
    public var actorID: String
    public var actorRole: String
    public var type: String
    /// The sentence, as corrected.
    public var text: String
    public var corrections: [Correction]
    public var void: Voiding?

    /// The CSV columns of `timeline`: every member of `row`, flattened, whether or not a row has corrections or a
    /// void (several corrections' cells list each one's, in order).
    public static let columns = [
        "seq", "id", "occurredAt", "recordedAt", "actor.id", "actor.role", "type", "text",
        "corrected.by", "corrected.seq", "corrected.reason", "corrected.original", "voided.by",
        "voided.seq", "voided.reason",
    ]

    /// The `timeline` command's row: seq, id, occurredAt, recordedAt, actor, type, text, and `corrected` and
    /// `voided` when there are any.
    public var row: JSONObject {
        var row = JSONObject()
        row["seq"] = .int(seq)
        row["id"] = .string(id)
        row["occurredAt"] = .string(occurredAt)
        row["recordedAt"] = .string(recordedAt)
        row["actor"] = .object(
            JSONObject([JSONMember("id", .string(actorID)), JSONMember("role", .string(actorRole))])
        )
        row["type"] = .string(type)
        row["text"] = .string(text)
        if !corrections.isEmpty {
            row["corrected"] = .array(
                corrections.map { correction in
                    .object(
                        JSONObject([
                            JSONMember("by", .string(correction.by)),
                            JSONMember("seq", .int(correction.seq)),
                            JSONMember("reason", .string(correction.reason)),
                            JSONMember("original", .string(correction.original)),
                        ]))
                })
        }
        if let void {
            row["voided"] = .object(
                JSONObject([
                    JSONMember("by", .string(void.by)), JSONMember("seq", .int(void.seq)),
                    JSONMember("reason", .string(void.reason)),
                ]))
        }
        return row
    }
}

/// Families' journeys: every event of each family's stream in log order, as a sentence, with corrections and
/// voids shown. `only` keeps one family (the `timeline` command); nil keeps all (the dashboard).
public struct TimelineBook: Sendable {
    public let only: String?
    public private(set) var entries: [String: [TimelineEntry]] = [:]
    /// Worker names, for sentences ("FSW Sam Patel").
    private var workers: [String: String] = [:]
    /// Actors' labels as made (actor id → role and label), until a worker's name changes.
    private var labels: [String: (role: String, label: String)] = [:]

    /// A book of one family (`only`) or all; `workerNames` names actors known in advance.
    public init(only: String? = nil, workerNames: [String: String] = [:]) {
        self.only = only
        workers = workerNames
    }

    /// Feeds one event of the log (any stream: workers are remembered for their names).
    public mutating func apply(_ event: StoredEvent) {
        guard let (ref, entry) = entry(for: event) else { return }
        entries[ref, default: []].append(entry)
    }

    /// Reads one event of the log as `apply` does, but returns its family's entry (when it has one) rather than
    /// keeping it: for a caller that writes each entry as it is made.
    public mutating func entry(for event: StoredEvent) -> (family: String, entry: TimelineEntry)? {
        if case .workerRegistered(let payload) = event.typed {
            workers[StreamName.key(of: event.stream)] = payload.decoded?.name ?? ""
            labels = [:]
        }
        guard let ref = event.familyRef, only == nil || only == ref else { return nil }
        return (ref, entry(event))
    }

    /// The entries of one family.
    public func timeline(_ ref: String) -> [TimelineEntry] { entries[ref] ?? [] }

    private mutating func entry(_ event: StoredEvent) -> TimelineEntry {
        let actor = actorLabel(event)
        var corrections: [TimelineEntry.Correction] = []
        var void: TimelineEntry.Voiding?
        for amendment in event.amendments {
            switch amendment.kind {
            case .corrected:
                corrections.append(
                    TimelineEntry.Correction(
                        by: amendment.by, seq: amendment.seq, reason: amendment.reason,
                        original: Sentence.describe(
                            TypedData(kind: event.kind, data: amendment.original ?? .empty),
                            type: event.type, actor: actor)))
            case .voided where void == nil:
                void = TimelineEntry.Voiding(
                    by: amendment.by, seq: amendment.seq, reason: amendment.reason)
            case .voided:
                break
            }
        }
        return TimelineEntry(
            seq: event.seq, id: event.id, occurredAt: event.occurredAt,
            recordedAt: event.recordedAtText,
            actorID: event.actorID, actorRole: event.actorRole, type: event.type,
            text: event.redaction.map {
                Sentence.redacted($0, kind: event.kind, type: event.type, actor: actor)
            }
                ?? Sentence.describe(event.typed, type: event.type, actor: actor),
            corrections: corrections,
            void: void)
    }

    /// "FSW Sam Patel": the actor's role, and their name when known (else their id).
    private mutating func actorLabel(_ event: StoredEvent) -> String {
        let id = event.actorID
        let role = event.actorRole
        if let known = labels[id], known.role == role { return known.label }
        let name = workers[id].flatMap { $0.isEmpty ? nil : $0 } ?? id
        let label = "\(Sentence.roleName(role)) \(name)"
        labels[id] = (role, label)
        return label
    }
}

/// One plain sentence per event type, for timelines and the dashboard.
public enum Sentence {
    static let roleNames: [String: String] = [
        "fsw": "FSW", "fow": "FOW", "youth-worker": "Youth worker",
        "parenting-worker": "Parenting worker",
        "social-worker": "Social worker", "fs-coordinator": "FS co-ordinator",
        "team-leader": "Team leader",
        "senior-fow": "Senior FOW", "team-manager": "Team manager",
        "operations-manager": "Operations manager",
        "business-support": "Business support", "early-help-officer": "Early help officer",
        "system": "System",
    ]

    public static func roleName(_ role: String) -> String { roleNames[role] ?? role }

    static func text(_ value: JSONValue?) -> String { value?.stringValue ?? "" }

    /// A code read as words: `early-help-network` as "early help network".
    static func words(_ text: String) -> String {
        guard text.utf8.contains(UInt8(ascii: "-")) else { return text }
        return String(
            decoding: text.utf8.map { $0 == UInt8(ascii: "-") ? UInt8(ascii: " ") : $0 },
            as: UTF8.self)
    }

    /// " (Family Star total N/100)" when the event carries a Family Star.
    static func starTotal(_ star: FamilyStarScores?) -> String {
        guard let star else { return "" }
        return " (Family Star total \(star.scores.reduce(0, +))/100)"
    }

    /// A number as people write it: 90, 93.5.
    static func number(_ value: Double) -> String {
        if value == value.rounded(), abs(value) < 1e15 { return String(Int(value)) }
        return String(value)
    }

    /// The sentence for an event of `type` whose data is `data`.
    public static func describe(type: String, data: EventData, actor: String) -> String {
        describe(TypedData(kind: EventKind(name: type), data: data), type: type, actor: actor)
    }

    /// The sentence for an event whose payload was removed: it happened, with no content.
    public static func redacted(_ notice: EventData, kind: EventKind?, type: String, actor: String)
        -> String
    {
        let on = text(notice["on"])
        let reason = words(text(notice["reason"]))
        return
            "\(type): redacted on \(on.isEmpty ? "an unknown date" : on): \(reason.isEmpty ? "no reason given" : reason) (\(actor))"
    }

    static let contactMethods = [
        "phone": "Phone call", "text": "Text message", "cold-call": "Cold call", "letter": "Letter",
        "email": "Email",
        "via-referrer": "Contact via the referrer", "via-school": "Contact via school",
        "via-agency": "Contact via another agency",
    ]

    static let visitKinds = [
        "joint-sw-fsw": "Joint visit with the social worker", "home": "Home visit",
        "cin": "CiN visit", "school": "School visit",
        "office": "Office visit", "community": "Community visit", "other": "Visit",
    ]

    /// The sentence for an event of `type` whose data is `typed`, read as its type's struct.
    ///
    /// Every line of the log was validated against its type's declaration when it was appended (and `verify`
    /// checks it again), and a correction's data is validated as its target's, so a stored line always decodes.
    /// A line that does not (a log altered outside the ledger, or written under another catalogue) reads as
    /// `unreadable`: its type and who recorded it, and no details, rather than a sentence half made of blanks.
    public static func describe(_ typed: TypedData, type: String, actor: String) -> String {
        let sentence: String?
        switch typed {
        case .referralReceived(let payload):
            sentence = payload.decoded.map { referral in
                let children = referral.members.filter { $0.role == "child" }.count
                return
                    "Referral from \(words(referral.source)): \(referral.reason) (\(children) child\(children == 1 ? "" : "ren"))"
            }
        case .triageCompleted(let payload):
            sentence = payload.decoded.map {
                "Triaged: outcome \($0.outcome), \($0.priority) priority, \(words($0.level)) level"
            }
        case .allocationDiscussed(let payload):
            sentence = payload.decoded.map {
                "Allocation discussed: \(words($0.decision))" + ($0.note.map { " — \($0)" } ?? "")
            }
        case .workerAllocated(let payload):
            sentence = payload.decoded.map {
                "\($0.worker) allocated as \($0.relationship) worker"
            }
        case .workerUnallocated(let payload):
            sentence = payload.decoded.map { "\($0.worker) no longer allocated" }
        case .ufrnAssigned(let payload):
            sentence = payload.decoded.map { "UFRN \($0.ufrn) assigned" }
        case .familyMemberAdded(let payload):
            sentence = payload.decoded.map {
                "\($0.member.name) joined the family (\($0.member.role))"
            }
        case .familyMemberLeft(let payload):
            sentence = payload.decoded.map { "Member \($0.memberId) left the family" }
        case .referrerContacted(let payload):
            sentence = payload.decoded.map {
                "Referrer contacted" + ($0.outcome.map { ": \($0)" } ?? "")
            }
        case .contactAttempted(let payload):
            sentence = payload.decoded.map {
                "\(contactMethods[$0.method] ?? "Contact") to the family — \(words($0.outcome))"
            }
        case .consentRecorded(let payload):
            sentence = payload.decoded.map {
                "Consent \($0.given ? "given" : "refused") for \(words($0.scope))"
            }
        case .engagementStarted:
            sentence = "First meeting with the family: engagement started"
        case .visitCompleted(let payload):
            sentence = payload.decoded.map { visit in
                (visitKinds[visit.kind] ?? "Visit")
                    + (visit.childSeenAlone == true ? ", child seen alone" : "")
            }
        case .meetingAttended(let payload):
            sentence = payload.decoded.map { "Attended \(words($0.kind)) meeting" }
        case .noteRecorded(let payload):
            sentence = payload.decoded.map { "Note: \($0.subject) — \($0.body)" }
        case .supervisionRecorded:
            sentence = "Supervision recorded"
        case .concernRaised(let payload):
            sentence = payload.decoded.map {
                "\(words($0.kind).capitalizedFirst) concern raised: \(words($0.action))"
            }
        case .requirementMet(let payload):
            sentence = payload.decoded.map {
                "Minimum requirement met: \(words($0.requirement))"
            }
        case .assessmentCompleted(let payload):
            sentence = payload.decoded.map {
                "\(words($0.kind).capitalizedFirst) assessment completed" + starTotal($0.familyStar)
            }
        case .planAgreed(let payload):
            sentence = payload.decoded.map {
                "\(words($0.kind).capitalizedFirst) agreed with \($0.actions.count) actions, review by \($0.reviewBy)"
            }
        case .planUpdated(let payload):
            sentence = payload.decoded.map {
                "Plan updated" + ($0.reviewBy.map { ", review by \($0)" } ?? "")
            }
        case .planDistributed:
            sentence = "Plan distributed"
        case .reviewCompleted(let payload):
            sentence = payload.decoded.map {
                "Review completed: \(words($0.outcome))" + starTotal($0.familyStar)
            }
        case .caseSummaryCompleted(let payload):
            sentence = payload.decoded.map { "Case summary completed (\(words($0.reason)))" }
        case .extensionAgreed(let payload):
            sentence = payload.decoded.map {
                "Extension agreed for \($0.what) until \($0.until): \($0.reason)"
            }
        case .levelChanged(let payload):
            sentence = payload.decoded.map {
                "Level changed to \(words($0.level)) (\(words($0.reason)))"
            }
        case .stepupRequested(let payload):
            sentence = payload.decoded.map {
                "Step-up to \(words($0.to)) requested: \($0.reason)"
            }
        case .stepupDecided(let payload):
            sentence = payload.decoded.map {
                "Step-up \($0.accepted ? "accepted" : "not accepted")"
            }
        case .transferCompleted(let payload):
            sentence = payload.decoded.map { "Transferred to team \($0.team)" }
        case .closureApproved(let payload):
            sentence = payload.decoded.map { "Closure approved: \($0.reason)" }
        case .caseClosed(let payload):
            sentence = payload.decoded.map { "Case closed: \(words($0.reason))" }
        case .pbrCriteriaIdentified(let payload):
            sentence = payload.decoded.map {
                "Payment-by-results criteria identified: \($0.criteria.joined(separator: ", "))"
            }
        case .attendanceRecorded(let payload):
            sentence = payload.decoded.map {
                "School attendance for \($0.memberId) \($0.from) to \($0.to): \(number($0.percent))%"
            }
        case .offenceRecorded(let payload):
            sentence = payload.decoded.map {
                "\($0.kind == "asb" ? "Anti-social behaviour" : "Offence") recorded for \($0.memberId)"
            }
        case .employmentRecorded(let payload):
            sentence = payload.decoded.map {
                "Employment for \($0.memberId) from \($0.startedOn): \($0.continuousWeeks) continuous weeks (was on \($0.benefit.uppercased()))"
            }
        case .pbrClaimed(let payload):
            sentence = payload.decoded.map { "Payment-by-results claim: \($0.kind)" }
        case .eventCorrected(let payload):
            sentence = payload.decoded.map { "Correction of \($0.target): \($0.reason)" }
        case .eventVoided(let payload):
            sentence = payload.decoded.map {
                "Voided \($0.target) (entered in error): \($0.reason)"
            }
        case .holdPlaced(let payload):
            sentence = payload.decoded.map {
                "Hold placed: \($0.reason)" + ($0.reference.map { " (\($0))" } ?? "")
                    + ": nothing of this record may be disposed of while it is in force"
            }
        case .holdLifted(let payload):
            sentence = payload.decoded.map { "Hold \($0.hold) lifted: \($0.reason)" }
        case .recordRedacted(let payload):
            sentence = payload.decoded.map {
                let count = $0.seqs.count
                return
                    "\(count) line\(count == 1 ? "" : "s") of family \($0.family) redacted (\(words($0.reason)))"
            }
        case .policyAdopted, .teamDefined, .workerRegistered, .workerChanged, .workerLeft,
            .systemRegistered, .systemRetired, .unknown:
            sentence = type
        }
        return "\(sentence ?? unreadable(type)) (\(actor))"
    }

    /// What a timeline says of a line whose data does not decode as its type's (`describe`).
    static func unreadable(_ type: String) -> String {
        "\(type): its details cannot be read"
    }
}

extension String {
    var capitalizedFirst: String { prefix(1).uppercased() + dropFirst() }
}
