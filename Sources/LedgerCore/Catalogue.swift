import EventLog

/// The kind of stream an event type belongs on.
public enum StreamKind: String, Sendable {
    /// `org`
    case org
    /// `worker:<id>`
    case worker
    /// `family:<ref>`
    case family
    /// `system:<id>` (a registered system: an HR feed, data matching, a case system's export)
    case system
    /// Any stream (corrections and voids follow their target).
    case any
    /// `family:<ref>` or `org` (a hold on one family, or on every family).
    case familyOrOrg = "family or org"

    /// Whether an event of a type that belongs on `self` may be on a stream of `kind`.
    public func admits(_ kind: StreamKind) -> Bool {
        switch self {
        case .any: true
        case .familyOrOrg: kind == .family || kind == .org
        case .org, .worker, .family, .system: self == kind
        }
    }
}

/// One type of the catalogue (EVENTS.md §3).
public struct EventType: Sendable {
    /// The type's name, e.g. `visit.completed`.
    public let name: String
    /// The stream kind it must be on.
    public let stream: StreamKind
    /// The `data` members.
    public let fields: [Field]
    /// Whether the actor must hold a manager role.
    public let managerOnly: Bool
    /// Whether it may be recorded on a family with no open episode (outcomes, notes, corrections).
    public let allowedWithoutEpisode: Bool
    /// The rules about its data that a schema alone cannot say; interpreted by `TypeRules` (the reference) and
    /// `TypeRulesInPlace` (on bytes, which may decline, never pass, what the reference refuses).
    public let rules: [TypeRule]
}

/// A rule about an event's data beyond its schema, declared once in the catalogue. Every interpreter switches
/// over these cases with no `default`, so a new kind of rule cannot be forgotten by one of them.
public enum TypeRule: Sendable {
    /// Exactly one of `profile` (a built-in name) or `policy` (a whole policy document, which must parse).
    case wholePolicy
    /// At least one member (the names listed in the refusal).
    case notEmpty([String])
    /// In the object member `object`, the integer `low` is at most `high` (when both are there).
    case ordered(object: String, low: String, high: String)
    /// The date `to` is not before the date `from` (when both are there).
    case datesInOrder(from: String, to: String)
    /// The list `list` holds at least one member with role child, and no member id twice.
    case childAndUniqueIDs(list: String)
    /// Each action in `list` has `due` or `everyDays` (SMART: time-bound).
    case timeBound(list: String)
    /// The member is shaped as a UFRN (004 §2).
    case ufrnShape(String)
}

/// The event catalogue: every type with its schema. Each type is declared once, as the struct its `data`
/// decodes into (below), with its members, stream, role and rules (`EventPayload.declaration`); the
/// validators read the `EventType` made from that declaration.
public enum Catalogue {
    static let level: ValueKind<String> = .oneOf(InterventionLevel.all)
    static let criteria: ValueKind<[String]> = .list(.oneOf(PbRCriterion.all), min: 1)
    static let scale: ValueKind<Int> = .integer(0...10)

    /// Every type, by name.
    public static let types: [String: EventType] = Dictionary(
        uniqueKeysWithValues: EventKind.allCases.map { ($0.name, $0.eventType) })

    /// Type names, sorted, for messages.
    public static let names: [String] = types.keys.sorted()
}

#if DEBUG
    extension Catalogue {
        /// Rules a test adds to types' declarations, by type name, in debug builds only. Set before the catalogue
        /// is first read (`ledger` sets them from `LEDGER_TEST_TYPE_RULE`), they are part of the one declaration
        /// every path reads: a test shows that a rule added there holds for `append`, for the in-place `ingest`
        /// of a large file and for `verify` alike (issue 18).
        nonisolated(unsafe) public static var testRules: [String: [TypeRule]] = [:]

        /// A rule written as words, for `testRules`: `ordered OBJECT LOW HIGH`, `datesInOrder FROM TO`,
        /// `notEmpty NAME…`, `childAndUniqueIDs LIST`, `timeBound LIST`, `ufrnShape NAME`.
        public static func testRule(_ words: [String]) -> TypeRule? {
            switch (words.first, words.count) {
            case ("ordered", 4): .ordered(object: words[1], low: words[2], high: words[3])
            case ("datesInOrder", 3): .datesInOrder(from: words[1], to: words[2])
            case ("notEmpty", 2...): .notEmpty(Array(words.dropFirst()))
            case ("childAndUniqueIDs", 2): .childAndUniqueIDs(list: words[1])
            case ("timeBound", 2): .timeBound(list: words[1])
            case ("ufrnShape", 2): .ufrnShape(words[1])
            default: nil
            }
        }
    }
#endif

// MARK: Objects inside events' data

/// A family member (`referral.received`'s `members`, `family.member.added`'s `member`).
public struct FamilyMember: PayloadObject {
    public var id = ""
    public var name = ""
    public var dob: CivilDate?
    public var role = ""
    public var gender: String?
    public var ethnicity: String?

    public static let members = PayloadMembers(
        blank: Self(),
        [
            .member("id", .reference, \.id), .member("name", .text, \.name),
            .member("dob", .date, \.dob),
            .member("role", .oneOf(["parent", "carer", "child", "other"]), \.role),
            // For statutory returns (Annex A): EVENTS.md §3.
            .member("gender", .oneOf(["male", "female", "other", "unknown"]), \.gender),
            .member("ethnicity", .code(2...4), \.ethnicity),
        ])
}

/// A Family Star reading: the ten scores, in `FamilyStar.domains` order.
public struct FamilyStarScores: Sendable, Equatable {
    public var scores: [Int]
}

extension ValueKind where Value == FamilyStarScores {
    /// An object with a score from 1 to 10 for each domain of `FamilyStar.domains` (read when all ten are
    /// there; other members are not looked at).
    static var familyStar: Self {
        ValueKind(
            schema: .object(FamilyStar.domains.map { .required($0, .integer(1...10)) }),
            fromBytes: { bytes in
                var scores = [Int?](repeating: nil, count: domainNames.count)
                let whole = ScannedObject.forEachMember(in: bytes) { name, range in
                    let key = UnsafeBufferPointer(rebasing: bytes[name])
                    if let index = domainNames.firstIndex(where: { $0.elementsEqual(key) }) {
                        scores[index] = numberText(UnsafeBufferPointer(rebasing: bytes[range]))
                            .flatMap { Int($0) }
                    }
                    return true
                }
                let known = scores.compactMap { $0 }
                return whole && known.count == scores.count ? FamilyStarScores(scores: known) : nil
            },
            fromJSON: { json in
                guard let star = json.objectValue else { return nil }
                let scores = FamilyStar.domains.compactMap { star[$0]?.intValue }
                return scores.count == FamilyStar.domains.count
                    ? FamilyStarScores(scores: scores) : nil
            })
    }

    private static let domainNames = FamilyStar.domains.map { Array($0.utf8) }
}

/// A worker's own caseload limits.
public struct CaseloadLimits: PayloadObject {
    public var min = 0
    public var max = 0

    public static let members = PayloadMembers(
        blank: Self(),
        [.member("min", .integer(0...1000), \.min), .member("max", .integer(0...1000), \.max)])
}

/// An action of a plan.
public struct PlanAction: PayloadObject {
    public var id = ""
    public var what = ""
    public var who = ""
    public var domain: String?
    public var due: CivilDate?
    public var everyDays: Int?

    public static let members = PayloadMembers(
        blank: Self(),
        [
            .member("id", .reference, \.id), .member("what", .text, \.what),
            .member("who", .text, \.who), .member("domain", .text, \.domain),
            .member("due", .date, \.due), .member("everyDays", .integer(1...3660), \.everyDays),
        ])
}

// MARK: Organisation

/// Adopted by a manager (or by `ledger init`, as the log's event 1). The contract's catalogue does not mark it
/// **manager**, but it needs a manager to correct or void; a worker who could adopt one could lift the closure
/// sign-off they were refused under (an adversary did). Our reading, in docs/EVENTS.md.
public struct PolicyAdopted: EventPayload {
    public var profile: String?
    public var policy: JSONObject?
    public var effectiveFrom = CivilDate(dayNumber: 0)

    public static let declaration = EventDeclaration(
        "policy.adopted", .org, changes: [.policies], blank: Self(),
        [
            .member("profile", .oneOf(PolicyProfiles.names), \.profile),
            .member("policy", .anyObject, \.policy),
            .member("effectiveFrom", .date, \.effectiveFrom),
        ], manager: true, rules: [.wholePolicy])
}

public struct TeamDefined: EventPayload {
    public var id = ""
    public var name = ""
    public var locality: String?
    public var service: String?

    public static let declaration = EventDeclaration(
        "team.defined", .org, changes: [.workforce], blank: Self(),
        [
            .member("id", .reference, \.id), .member("name", .text, \.name),
            .member("locality", .text, \.locality), .member("service", .text, \.service),
        ])
}

public struct WorkerRegistered: EventPayload {
    public var name = ""
    public var role = ""
    public var team = ""
    public var fte = 0.0
    public var caseload: CaseloadLimits?

    public static let declaration = EventDeclaration(
        "worker.registered", .worker, changes: [.workforce], blank: Self(),
        [
            .member("name", .text, \.name), .member("role", .oneOf(Role.people.sorted()), \.role),
            .member("team", .reference, \.team),
            .member("fte", .numberAbove(0, atMost: 1), \.fte),
            .member("caseload", .object, \.caseload),
        ], rules: [.ordered(object: "caseload", low: "min", high: "max")])
}

public struct WorkerChanged: EventPayload {
    public var role: String?
    public var team: String?
    public var fte: Double?
    public var caseload: CaseloadLimits?

    public static let declaration = EventDeclaration(
        "worker.changed", .worker, changes: [.workforce], blank: Self(),
        [
            .member("role", .oneOf(Role.people.sorted()), \.role),
            .member("team", .reference, \.team),
            .member("fte", .numberAbove(0, atMost: 1), \.fte),
            .member("caseload", .object, \.caseload),
        ],
        rules: [
            .notEmpty(["role", "team", "fte", "caseload"]),
            .ordered(object: "caseload", low: "min", high: "max"),
        ])
}

public struct WorkerLeft: EventPayload {
    public var reason: String?

    public static let declaration = EventDeclaration(
        "worker.left", .worker, changes: [.workforce], blank: Self(),
        [.member("reason", .text, \.reason)])
}

public struct SystemRegistered: EventPayload {
    public var name = ""
    public var purpose = ""

    public static let declaration = EventDeclaration(
        "system.registered", .system, changes: [.authority], blank: Self(),
        [
            .member("name", .text, \.name),
            .member(
                "purpose",
                .oneOf([
                    "hr-feed", "data-matching", "case-system-export", "school-attendance", "other",
                ]), \.purpose),
        ], manager: true)
}

public struct SystemRetired: EventPayload {
    public var reason: String?

    public static let declaration = EventDeclaration(
        "system.retired", .system, changes: [.authority], blank: Self(),
        [.member("reason", .text, \.reason)],
        manager: true)
}

// MARK: Front door

public struct ReferralReceived: EventPayload {
    /// Who referred.
    public struct Referrer: PayloadObject {
        public var name = ""
        public var agency = ""

        public static let members = PayloadMembers(
            blank: Self(), [.member("name", .text, \.name), .member("agency", .text, \.agency)])
    }

    /// A step down from social care.
    public struct StepDown: PayloadObject {
        public var from = ""
        public var planCompleted = false
        public var closureSummary = false

        public static let members = PayloadMembers(
            blank: Self(),
            [
                .member("from", .oneOf(["cin", "cp", "cic"]), \.from),
                .member("planCompleted", .bool, \.planCompleted),
                .member("closureSummary", .bool, \.closureSummary),
            ])
    }

    public var source = ""
    public var referrer: Referrer?
    public var reason = ""
    public var members: [FamilyMember] = []
    public var criteria: [String]?
    public var singleAssessment: Bool?
    public var stepDown: StepDown?

    public static let declaration = EventDeclaration(
        "referral.received", .family, changes: [.episodes, .members, .outcomes, .progress],
        blank: Self(),
        [
            .member(
                "source",
                .oneOf([
                    "mash", "early-help-network", "early-help-panel", "social-care", "school",
                    "health", "police", "childrens-centre", "housing", "self", "other",
                ]), \.source),
            .member("referrer", .object, \.referrer), .member("reason", .text, \.reason),
            .member("members", .list(.object, min: 1), \.members),
            .member("criteria", Catalogue.criteria, \.criteria),
            .member("singleAssessment", .bool, \.singleAssessment),
            .member("stepDown", .object, \.stepDown),
        ], rules: [.childAndUniqueIDs(list: "members")])
}

public struct FamilyMemberAdded: EventPayload {
    public var member = FamilyMember()

    public static let declaration = EventDeclaration(
        "family.member.added", .family, changes: [.members], blank: Self(),
        [.member("member", .object, \.member)])
}

public struct FamilyMemberLeft: EventPayload {
    public var memberId = ""

    public static let declaration = EventDeclaration(
        "family.member.left", .family, changes: [.members], blank: Self(),
        [.member("memberId", .reference, \.memberId)])
}

public struct UFRNAssigned: EventPayload {
    public var ufrn = ""
    public var locality = ""

    public static let declaration = EventDeclaration(
        "ufrn.assigned", .family, changes: [.outcomes], blank: Self(),
        [
            .member("ufrn", .text, \.ufrn),
            .member("locality", .oneOf(["01", "02", "03", "04", "05", "06", "07"]), \.locality),
        ], rules: [.ufrnShape("ufrn")])
}

public struct TriageCompleted: EventPayload {
    public var outcome = 0
    public var priority = ""
    public var level = ""

    public static let declaration = EventDeclaration(
        "triage.completed", .family, changes: [.levels, .progress], blank: Self(),
        [
            .member("outcome", .integer(1...16), \.outcome),
            .member("priority", .oneOf(["low", "medium", "high"]), \.priority),
            .member("level", Catalogue.level, \.level),
        ])
}

public struct AllocationDiscussed: EventPayload {
    public var decision = ""
    public var level: String?
    public var note: String?

    public static let declaration = EventDeclaration(
        "allocation.discussed", .family, changes: [.levels], blank: Self(),
        [
            .member(
                "decision",
                .oneOf([
                    "accepted", "declined-capacity", "declined-threshold", "deferred",
                    "extension-agreed",
                ]), \.decision),
            .member("level", Catalogue.level, \.level), .member("note", .text, \.note),
        ], manager: true)
}

public struct WorkerAllocated: EventPayload {
    public var worker = ""
    public var relationship = ""

    public static let declaration = EventDeclaration(
        "worker.allocated", .family, changes: [.staffing], blank: Self(),
        [
            .member("worker", .reference, \.worker),
            .member("relationship", .oneOf(["lead", "assigned", "second"]), \.relationship),
        ])
}

public struct WorkerUnallocated: EventPayload {
    public var worker = ""
    public var reason: String?

    public static let declaration = EventDeclaration(
        "worker.unallocated", .family, changes: [.staffing], blank: Self(),
        [.member("worker", .reference, \.worker), .member("reason", .text, \.reason)])
}

// MARK: Engagement and direct work

public struct ReferrerContacted: EventPayload {
    public var outcome: String?

    public static let declaration = EventDeclaration(
        "referrer.contacted", .family, changes: [], blank: Self(),
        [.member("outcome", .text, \.outcome)])
}

public struct ContactAttempted: EventPayload {
    public var method = ""
    public var outcome = ""
    public var respondBy: CivilDate?

    public static let declaration = EventDeclaration(
        "contact.attempted", .family, changes: [.progress], blank: Self(),
        [
            .member(
                "method",
                .oneOf([
                    "phone", "text", "cold-call", "letter", "email", "via-referrer", "via-school",
                    "via-agency",
                ]), \.method),
            .member(
                "outcome",
                .oneOf([
                    "no-answer", "message-left", "card-left", "no-response", "reached", "declined",
                ]), \.outcome),
            .member("respondBy", .date, \.respondBy),
        ])
}

public struct ConsentRecorded: EventPayload {
    public var scope = ""
    public var given = false
    public var memberId: String?

    public static let declaration = EventDeclaration(
        "consent.recorded", .family, changes: [.progress], blank: Self(),
        [
            .member(
                "scope",
                .oneOf(["service", "information-sharing", "activities-travel", "photography"]),
                \.scope),
            .member("given", .bool, \.given), .member("memberId", .reference, \.memberId),
        ])
}

public struct EngagementStarted: EventPayload {
    public static let declaration = EventDeclaration(
        "engagement.started", .family, changes: [.progress], blank: Self(), [])
}

public struct VisitCompleted: EventPayload {
    public var kind = ""
    public var childrenSeen: [String]?
    public var childSeenAlone: Bool?
    public var reflection: String?

    public static let declaration = EventDeclaration(
        "visit.completed", .family, changes: [], blank: Self(),
        [
            .member(
                "kind",
                .oneOf(["joint-sw-fsw", "home", "cin", "school", "office", "community", "other"]),
                \.kind),
            .member("childrenSeen", .list(.reference, min: 0), \.childrenSeen),
            .member("childSeenAlone", .bool, \.childSeenAlone),
            .member("reflection", .text, \.reflection),
        ])
}

public struct MeetingAttended: EventPayload {
    public var kind = ""

    public static let declaration = EventDeclaration(
        "meeting.attended", .family, changes: [], blank: Self(),
        [
            .member(
                "kind",
                .oneOf([
                    "core-group", "cin-meeting", "cp-review", "family-support-meeting",
                    "strategy-meeting", "multi-agency", "allocation-meeting",
                ]), \.kind)
        ])
}

public struct NoteRecorded: EventPayload {
    public var subject = ""
    public var body = ""
    public var kind: String?

    public static let declaration = EventDeclaration(
        "note.recorded", .family, changes: [], blank: Self(),
        [
            .member("subject", .text, \.subject), .member("body", .text, \.body),
            .member(
                "kind",
                .oneOf([
                    "direct-work", "phone-call", "management-oversight", "consultation", "other",
                ]), \.kind),
        ], outcome: true)
}

public struct SupervisionRecorded: EventPayload {
    public var decisions: TextOrList?

    public static let declaration = EventDeclaration(
        "supervision.recorded", .family, changes: [.progress], blank: Self(),
        [.member("decisions", .textOrList, \.decisions)], manager: true)
}

public struct ConcernRaised: EventPayload {
    public var kind = ""
    public var action = ""

    public static let declaration = EventDeclaration(
        "concern.raised", .family, changes: [], blank: Self(),
        [
            .member("kind", .oneOf(["safeguarding", "cse", "young-carer", "other"]), \.kind),
            .member(
                "action",
                .oneOf(["manager-consulted", "mash-referral", "s47", "strategy-meeting"]),
                \.action),
        ])
}

public struct RequirementMet: EventPayload {
    public var requirement = ""

    public static let declaration = EventDeclaration(
        "requirement.met", .family, changes: [.progress], blank: Self(),
        [.member("requirement", .oneOf(MinimumRequirement.all), \.requirement)])
}

// MARK: Assessment, plan, review

public struct AssessmentCompleted: EventPayload {
    public var kind = ""
    public var familyStar: FamilyStarScores?
    public var safetyScale: Int?
    public var wellbeingScale: Int?
    public var worries: TextOrList?
    public var strengths: TextOrList?
    public var needs: TextOrList?

    public static let declaration = EventDeclaration(
        "assessment.completed", .family, changes: [.progress], blank: Self(),
        [
            .member(
                "kind",
                .oneOf([
                    "family-star", "signs-of-wellbeing", "single-assessment",
                    "early-help-assessment",
                ]), \.kind),
            .member("familyStar", .familyStar, \.familyStar),
            .member("safetyScale", Catalogue.scale, \.safetyScale),
            .member("wellbeingScale", Catalogue.scale, \.wellbeingScale),
            .member("worries", .textOrList, \.worries),
            .member("strengths", .textOrList, \.strengths),
            .member("needs", .textOrList, \.needs),
        ])
}

public struct PlanAgreed: EventPayload {
    /// The parent's and the child's views of the plan.
    public struct Views: PayloadObject {
        public var parent: String?
        public var child: String?

        public static let members = PayloadMembers(
            blank: Self(), [.member("parent", .text, \.parent), .member("child", .text, \.child)])
    }

    public var kind = ""
    public var actions: [PlanAction] = []
    public var reviewBy = CivilDate(dayNumber: 0)
    public var visitEveryDays: Int?
    public var views: Views?

    public static let declaration = EventDeclaration(
        "plan.agreed", .family, changes: [.progress], blank: Self(),
        [
            .member(
                "kind",
                .oneOf([
                    "fsw-action-plan", "interim-cin-plan", "cin-plan", "family-star-plan",
                    "support-plan",
                ]), \.kind),
            .member("actions", .list(.object, min: 1), \.actions),
            .member("reviewBy", .date, \.reviewBy),
            .member("visitEveryDays", .integer(1...366), \.visitEveryDays),
            .member("views", .object, \.views),
        ], rules: [.timeBound(list: "actions")])
}

public struct PlanUpdated: EventPayload {
    public var actions: [PlanAction]?
    public var reviewBy: CivilDate?
    public var addedWeeks: Int?

    public static let declaration = EventDeclaration(
        "plan.updated", .family, changes: [.progress], blank: Self(),
        [
            .member("actions", .list(.object, min: 1), \.actions),
            .member("reviewBy", .date, \.reviewBy),
            .member("addedWeeks", .integer(1...104), \.addedWeeks),
        ], rules: [.notEmpty(["actions", "reviewBy", "addedWeeks"]), .timeBound(list: "actions")])
}

public struct PlanDistributed: EventPayload {
    public var to: [String]?

    public static let declaration = EventDeclaration(
        "plan.distributed", .family, changes: [], blank: Self(),
        [.member("to", .list(.text, min: 0), \.to)])
}

public struct ReviewCompleted: EventPayload {
    /// How one of the plan's actions went.
    public struct ActionStatus: PayloadObject {
        public var id = ""
        public var status = ""

        public static let members = PayloadMembers(
            blank: Self(),
            [
                .member("id", .reference, \.id),
                .member("status", .oneOf(["done", "partly", "not-done"]), \.status),
            ])
    }

    public var familyStar: FamilyStarScores?
    public var actions: [ActionStatus]?
    public var outcome = ""
    public var nextReviewBy: CivilDate?

    public static let declaration = EventDeclaration(
        "review.completed", .family, changes: [.progress], blank: Self(),
        [
            .member("familyStar", .familyStar, \.familyStar),
            .member("actions", .list(.object, min: 0), \.actions),
            .member("outcome", .oneOf(["continue", "new-plan", "close", "step-up"]), \.outcome),
            .member("nextReviewBy", .date, \.nextReviewBy),
        ])
}

public struct CaseSummaryCompleted: EventPayload {
    public var reason = ""
    public var safetyScale: Int?
    public var wellbeingScale: Int?

    public static let declaration = EventDeclaration(
        "case-summary.completed", .family, changes: [], blank: Self(),
        [
            .member("reason", .oneOf(["four-monthly", "consultation"]), \.reason),
            .member("safetyScale", Catalogue.scale, \.safetyScale),
            .member("wellbeingScale", Catalogue.scale, \.wellbeingScale),
        ])
}

public struct ExtensionAgreed: EventPayload {
    public var what = ""
    public var until = CivilDate(dayNumber: 0)
    public var reason = ""

    public static let declaration = EventDeclaration(
        "extension.agreed", .family, changes: [.progress], blank: Self(),
        [
            .member("what", .oneOf(["assessment", "intervention", "plan", "contact"]), \.what),
            .member("until", .date, \.until), .member("reason", .text, \.reason),
        ], manager: true)
}

public struct LevelChanged: EventPayload {
    public var level = ""
    public var reason = ""

    public static let declaration = EventDeclaration(
        "level.changed", .family, changes: [.levels, .progress], blank: Self(),
        [
            .member("level", Catalogue.level, \.level),
            .member("reason", .oneOf(["step-down", "escalation", "de-escalation"]), \.reason),
        ])
}

// MARK: Step up, transfer, closure

public struct StepUpRequested: EventPayload {
    public var to = ""
    public var reason = ""
    public var s47: Bool?

    public static let declaration = EventDeclaration(
        "stepup.requested", .family, changes: [.progress], blank: Self(),
        [
            .member("to", .oneOf(["social-care", "mash"]), \.to),
            .member("reason", .text, \.reason), .member("s47", .bool, \.s47),
        ])
}

public struct StepUpDecided: EventPayload {
    public var accepted = false
    public var transitionUntil: CivilDate?

    public static let declaration = EventDeclaration(
        "stepup.decided", .family, changes: [.progress], blank: Self(),
        [
            .member("accepted", .bool, \.accepted),
            .member("transitionUntil", .date, \.transitionUntil),
        ], manager: true)
}

public struct TransferCompleted: EventPayload {
    public var team = ""
    public var worker: String?

    public static let declaration = EventDeclaration(
        "transfer.completed", .family, changes: [.staffing], blank: Self(),
        [.member("team", .reference, \.team), .member("worker", .reference, \.worker)])
}

public struct ClosureApproved: EventPayload {
    public var reason = ""

    public static let declaration = EventDeclaration(
        "closure.approved", .family, changes: [], blank: Self(),
        [.member("reason", .text, \.reason)],
        manager: true)
}

public struct CaseClosed: EventPayload {
    /// What the work did, in the family's and the workers' words.
    public struct Summary: PayloadObject {
        public var supportProvided = ""
        public var impactOnChildren = ""
        public var parentViews = ""
        public var socialWorkerViews: String?

        public static let members = PayloadMembers(
            blank: Self(),
            [
                .member("supportProvided", .text, \.supportProvided),
                .member("impactOnChildren", .text, \.impactOnChildren),
                .member("parentViews", .text, \.parentViews),
                .member("socialWorkerViews", .text, \.socialWorkerViews),
            ])
    }

    /// Where the family was pointed on closing.
    public struct ExitPlan: PayloadObject {
        public var signposting: [String] = []
        public var fis = false

        public static let members = PayloadMembers(
            blank: Self(),
            [
                .member("signposting", .list(.text, min: 0), \.signposting),
                .member("fis", .bool, \.fis),
            ])
    }

    public var reason = ""
    public var summary: Summary?
    public var exitPlan: ExitPlan?

    public static let declaration = EventDeclaration(
        "case.closed", .family, changes: [.episodes], blank: Self(),
        [
            .member("reason", .oneOf(CaseClosure.reasons), \.reason),
            .member("summary", .object, \.summary), .member("exitPlan", .object, \.exitPlan),
        ])
}

// MARK: Outcomes and payment by results

public struct PbRCriteriaIdentified: EventPayload {
    public var criteria: [String] = []
    public var evidence: String?
    public var source = ""

    public static let declaration = EventDeclaration(
        "pbr.criteria.identified", .family, changes: [.outcomes], blank: Self(),
        [
            .member("criteria", Catalogue.criteria, \.criteria),
            .member("evidence", .text, \.evidence),
            .member("source", .oneOf(["referral", "assessment", "data-matching"]), \.source),
        ], outcome: true)
}

public struct AttendanceRecorded: EventPayload {
    public var memberId = ""
    public var from = CivilDate(dayNumber: 0)
    public var to = CivilDate(dayNumber: 0)
    public var percent = 0.0
    public var exclusions: Int?

    public static let declaration = EventDeclaration(
        "attendance.recorded", .family, changes: [.outcomes], blank: Self(),
        [
            .member("memberId", .reference, \.memberId), .member("from", .date, \.from),
            .member("to", .date, \.to), .member("percent", .number(0...100), \.percent),
            .member("exclusions", .integer(0...1000), \.exclusions),
        ], outcome: true, rules: [.datesInOrder(from: "from", to: "to")])
}

public struct OffenceRecorded: EventPayload {
    public var memberId = ""
    public var kind = ""

    public static let declaration = EventDeclaration(
        "offence.recorded", .family, changes: [.outcomes], blank: Self(),
        [
            .member("memberId", .reference, \.memberId),
            .member("kind", .oneOf(["offence", "asb"]), \.kind),
        ], outcome: true)
}

public struct EmploymentRecorded: EventPayload {
    public var memberId = ""
    public var startedOn = CivilDate(dayNumber: 0)
    public var benefit = ""
    public var continuousWeeks = 0

    public static let declaration = EventDeclaration(
        "employment.recorded", .family, changes: [.outcomes], blank: Self(),
        [
            .member("memberId", .reference, \.memberId),
            .member("startedOn", .date, \.startedOn),
            .member("benefit", .oneOf(["jsa", "esa", "is", "uc", "none"]), \.benefit),
            .member("continuousWeeks", .integer(0...5200), \.continuousWeeks),
        ], outcome: true)
}

public struct PbRClaimed: EventPayload {
    public var kind = ""
    public var reference: String?

    public static let declaration = EventDeclaration(
        "pbr.claimed", .family, changes: [.outcomes], blank: Self(),
        [
            .member("kind", .oneOf(["attachment", "progress", "employment"]), \.kind),
            .member("reference", .text, \.reference),
        ], outcome: true)
}

// MARK: Corrections

public struct EventCorrected: EventPayload {
    public var target = ""
    public var reason = ""
    public var data = JSONObject()

    public static let declaration = EventDeclaration(
        "event.corrected", .any, changes: [.record], blank: Self(),
        [
            .member("target", .text, \.target), .member("reason", .text, \.reason),
            .member("data", .anyObject, \.data),
        ], outcome: true)
}

public struct EventVoided: EventPayload {
    public var target = ""
    public var reason = ""

    public static let declaration = EventDeclaration(
        "event.voided", .any, changes: [.record], blank: Self(),
        [.member("target", .text, \.target), .member("reason", .text, \.reason)], outcome: true)
}

// MARK: Data protection (DATA-PROTECTION.md): holds may arrive on a family with no open episode.

public struct HoldPlaced: EventPayload {
    public var reason = ""
    public var reference: String?

    public static let declaration = EventDeclaration(
        "hold.placed", .familyOrOrg, changes: [.record], blank: Self(),
        [.member("reason", .text, \.reason), .member("reference", .text, \.reference)],
        manager: true, outcome: true)
}

public struct HoldLifted: EventPayload {
    public var hold = ""
    public var reason = ""

    public static let declaration = EventDeclaration(
        "hold.lifted", .familyOrOrg, changes: [.record], blank: Self(),
        [.member("hold", .text, \.hold), .member("reason", .text, \.reason)], manager: true,
        outcome: true)
}

public struct RecordRedacted: EventPayload {
    public var family = ""
    public var seqs: [Int] = []
    public var reason = ""
    public var rule: String?

    public static let declaration = EventDeclaration(
        "record.redacted", .org, changes: [.record], blank: Self(),
        [
            .member("family", .reference, \.family),
            .member("seqs", .list(.integer(1...Int.max), min: 1), \.seqs),
            .member("reason", .oneOf(Redaction.reasons), \.reason),
            .member("rule", .text, \.rule),
        ], manager: true)
}

/// `case.closed` reasons.
public enum CaseClosure {
    /// The closure reasons of the catalogue.
    public static let reasons = [
        "met-outcomes", "no-longer-appropriate", "stepped-up", "refused", "disengaged",
        "moved-away",
        "declined-capacity", "not-eligible", "withdrawn",
    ]
}

/// Redaction (`ledger redact`, DATA-PROTECTION.md).
public enum Redaction {
    /// Why lines may be redacted: the family's retention period ended, or they were recorded on the wrong family.
    public static let reasons = [retentionEnded, "wrong-family"]
    /// The reason that disposes of a family's whole record (its holds' lines kept).
    public static let retentionEnded = "retention-ended"
}
