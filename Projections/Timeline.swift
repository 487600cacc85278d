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
        if event.kind == .workerRegistered {
            workers[StreamName.key(of: event.stream)] = event.data["name"]?.stringValue ?? ""
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
                            kind: event.kind, type: event.type, data: amendment.original ?? .empty,
                            actor: actor)))
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
                ?? Sentence.describe(
                    kind: event.kind, type: event.type, data: event.data, actor: actor),
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

    static func words(_ value: JSONValue?) -> String {
        let text = text(value)
        guard text.utf8.contains(UInt8(ascii: "-")) else { return text }
        return String(
            decoding: text.utf8.map { $0 == UInt8(ascii: "-") ? UInt8(ascii: " ") : $0 },
            as: UTF8.self)
    }

    /// " (Family Star total N/100)" when the event carries a Family Star.
    static func starTotal(_ data: EventData) -> String {
        guard let star = data.object("familyStar") else { return "" }
        return
            " (Family Star total \(FamilyStar.domains.compactMap { star[$0]?.intValue }.reduce(0, +))/100)"
    }

    /// The sentence for an event of `type`.
    public static func describe(type: String, data: EventData, actor: String) -> String {
        describe(kind: EventKind(name: type), type: type, data: data, actor: actor)
    }

    /// The sentence for an event whose payload was removed: it happened, with no content.
    public static func redacted(_ notice: EventData, kind: EventKind?, type: String, actor: String)
        -> String
    {
        let on = text(notice["on"])
        let reason = words(notice["reason"])
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

    /// The sentence for an event of `kind` (nil: a type outside the catalogue, named `type`).
    public static func describe(kind: EventKind?, type: String, data: EventData, actor: String)
        -> String
    {
        guard let kind else { return "\(type) (\(actor))" }
        let sentence: String
        switch kind {
        case .referralReceived:
            let children =
                data.items("members")?.filter { $0?["role"]?.stringValue == "child" }.count ?? 0
            sentence =
                "Referral from \(words(data["source"])): \(text(data["reason"])) (\(children) child\(children == 1 ? "" : "ren"))"
        case .triageCompleted:
            sentence =
                "Triaged: outcome \(data["outcome"]?.intValue.map(String.init) ?? "?"), \(text(data["priority"])) priority, \(words(data["level"])) level"
        case .allocationDiscussed:
            sentence =
                "Allocation discussed: \(words(data["decision"]))"
                + (data["note"].map { " — \(text($0))" } ?? "")
        case .workerAllocated:
            sentence = "\(text(data["worker"])) allocated as \(text(data["relationship"])) worker"
        case .workerUnallocated:
            sentence = "\(text(data["worker"])) no longer allocated"
        case .ufrnAssigned: sentence = "UFRN \(text(data["ufrn"])) assigned"
        case .familyMemberAdded:
            let member = data.object("member")
            sentence = "\(text(member?["name"])) joined the family (\(text(member?["role"])))"
        case .familyMemberLeft: sentence = "Member \(text(data["memberId"])) left the family"
        case .referrerContacted:
            sentence = "Referrer contacted" + (data["outcome"].map { ": \(text($0))" } ?? "")
        case .contactAttempted:
            sentence =
                "\(contactMethods[text(data["method"])] ?? "Contact") to the family — \(words(data["outcome"]))"
        case .consentRecorded:
            sentence =
                "Consent \(data["given"]?.boolValue == true ? "given" : "refused") for \(words(data["scope"]))"
        case .engagementStarted: sentence = "First meeting with the family: engagement started"
        case .visitCompleted:
            var text = visitKinds[Self.text(data["kind"])] ?? "Visit"
            if data["childSeenAlone"]?.boolValue == true { text += ", child seen alone" }
            sentence = text
        case .meetingAttended: sentence = "Attended \(words(data["kind"])) meeting"
        case .noteRecorded: sentence = "Note: \(text(data["subject"])) — \(text(data["body"]))"
        case .supervisionRecorded: sentence = "Supervision recorded"
        case .concernRaised:
            sentence =
                "\(words(data["kind"]).capitalizedFirst) concern raised: \(words(data["action"]))"
        case .requirementMet: sentence = "Minimum requirement met: \(words(data["requirement"]))"
        case .assessmentCompleted:
            sentence =
                "\(words(data["kind"]).capitalizedFirst) assessment completed" + starTotal(data)
        case .planAgreed:
            sentence =
                "\(words(data["kind"]).capitalizedFirst) agreed with \(data.items("actions")?.count ?? 0) actions, review by \(text(data["reviewBy"]))"
        case .planUpdated:
            sentence = "Plan updated" + (data["reviewBy"].map { ", review by \(text($0))" } ?? "")
        case .planDistributed: sentence = "Plan distributed"
        case .reviewCompleted:
            sentence = "Review completed: \(words(data["outcome"]))" + starTotal(data)
        case .caseSummaryCompleted: sentence = "Case summary completed (\(words(data["reason"])))"
        case .extensionAgreed:
            sentence =
                "Extension agreed for \(text(data["what"])) until \(text(data["until"])): \(text(data["reason"]))"
        case .levelChanged:
            sentence = "Level changed to \(words(data["level"])) (\(words(data["reason"])))"
        case .stepupRequested:
            sentence = "Step-up to \(words(data["to"])) requested: \(text(data["reason"]))"
        case .stepupDecided:
            sentence =
                "Step-up \(data["accepted"]?.boolValue == true ? "accepted" : "not accepted")"
        case .transferCompleted: sentence = "Transferred to team \(text(data["team"]))"
        case .closureApproved: sentence = "Closure approved: \(text(data["reason"]))"
        case .caseClosed: sentence = "Case closed: \(words(data["reason"]))"
        case .pbrCriteriaIdentified:
            let list =
                data["criteria"]?.arrayValue?.compactMap(\.stringValue).joined(separator: ", ")
                ?? ""
            sentence = "Payment-by-results criteria identified: \(list)"
        case .attendanceRecorded:
            sentence =
                "School attendance for \(text(data["memberId"])) \(text(data["from"])) to \(text(data["to"])): \(data["percent"].map { JSONWriter.string($0) } ?? "?")%"
        case .offenceRecorded:
            sentence =
                "\(text(data["kind"]) == "asb" ? "Anti-social behaviour" : "Offence") recorded for \(text(data["memberId"]))"
        case .employmentRecorded:
            sentence =
                "Employment for \(text(data["memberId"])) from \(text(data["startedOn"])): \(data["continuousWeeks"]?.intValue ?? 0) continuous weeks (was on \(text(data["benefit"]).uppercased()))"
        case .pbrClaimed: sentence = "Payment-by-results claim: \(text(data["kind"]))"
        case .eventCorrected:
            sentence = "Correction of \(text(data["target"])): \(text(data["reason"]))"
        case .eventVoided:
            sentence = "Voided \(text(data["target"])) (entered in error): \(text(data["reason"]))"
        case .holdPlaced:
            sentence =
                "Hold placed: \(text(data["reason"]))"
                + (data["reference"].map { " (\(text($0)))" } ?? "")
                + ": nothing of this record may be disposed of while it is in force"
        case .holdLifted: sentence = "Hold \(text(data["hold"])) lifted: \(text(data["reason"]))"
        case .recordRedacted:
            let count = data["seqs"]?.arrayValue?.count ?? 0
            sentence =
                "\(count) line\(count == 1 ? "" : "s") of family \(text(data["family"])) redacted (\(words(data["reason"])))"
        case .policyAdopted, .teamDefined, .workerRegistered, .workerChanged, .workerLeft,
            .systemRegistered, .systemRetired:
            sentence = type
        }
        return "\(sentence) (\(actor))"
    }
}

extension String {
    var capitalizedFirst: String { prefix(1).uppercased() + dropFirst() }
}
