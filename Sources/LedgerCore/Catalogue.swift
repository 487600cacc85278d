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

/// The event catalogue: every type with its schema.
public enum Catalogue {
    static let member: FieldKind = .object([
        .required("id", .reference), .required("name", .text), .optional("dob", .date),
        .required("role", .oneOf(["parent", "carer", "child", "other"])),
        // For statutory returns (Annex A): EVENTS.md §3.
        .optional("gender", .oneOf(["male", "female", "other", "unknown"])),
        .optional("ethnicity", .code(2...4)),
    ])
    static let familyStar: FieldKind = .object(
        FamilyStar.domains.map { .required($0, .integer(1...10)) })
    static let criteria: FieldKind = .list(.oneOf(PbRCriterion.all), min: 1)
    static let level: FieldKind = .oneOf(InterventionLevel.all)
    static let scale: FieldKind = .integer(0...10)
    static let action: FieldKind = .object([
        .required("id", .reference), .required("what", .text), .required("who", .text),
        .optional("domain", .text),
        .optional("due", .date), .optional("everyDays", .integer(1...3660)),
    ])
    static let caseload: FieldKind = .object([
        .required("min", .integer(0...1000)), .required("max", .integer(0...1000)),
    ])

    /// Every type, by name.
    public static let types: [String: EventType] = {
        var table: [String: EventType] = [:]
        func add(
            _ name: String, _ stream: StreamKind, _ fields: [Field], manager: Bool = false,
            outcome: Bool = false,
            rules: [TypeRule] = []
        ) {
            table[name] = EventType(
                name: name, stream: stream, fields: fields, managerOnly: manager,
                allowedWithoutEpisode: outcome,
                rules: rules)
        }
        // Organisation
        add(
            "policy.adopted", .org,
            [
                .optional("profile", .oneOf(PolicyProfiles.names)), .optional("policy", .anyObject),
                .required("effectiveFrom", .date),
            ], rules: [.wholePolicy])
        add(
            "team.defined", .org,
            [
                .required("id", .reference), .required("name", .text), .optional("locality", .text),
                .optional("service", .text),
            ])
        add(
            "worker.registered", .worker,
            [
                .required("name", .text), .required("role", .oneOf(Role.people.sorted())),
                .required("team", .reference),
                .required("fte", .numberAbove(0, atMost: 1)), .optional("caseload", caseload),
            ], rules: [.ordered(object: "caseload", low: "min", high: "max")])
        add(
            "worker.changed", .worker,
            [
                .optional("role", .oneOf(Role.people.sorted())), .optional("team", .reference),
                .optional("fte", .numberAbove(0, atMost: 1)), .optional("caseload", caseload),
            ],
            rules: [
                .notEmpty(["role", "team", "fte", "caseload"]),
                .ordered(object: "caseload", low: "min", high: "max"),
            ])
        add("worker.left", .worker, [.optional("reason", .text)])
        add(
            "system.registered", .system,
            [
                .required("name", .text),
                .required(
                    "purpose",
                    .oneOf([
                        "hr-feed", "data-matching", "case-system-export", "school-attendance",
                        "other",
                    ])),
            ], manager: true)
        add("system.retired", .system, [.optional("reason", .text)], manager: true)
        // Front door
        add(
            "referral.received", .family,
            [
                .required(
                    "source",
                    .oneOf([
                        "mash", "early-help-network", "early-help-panel", "social-care", "school",
                        "health", "police",
                        "childrens-centre", "housing", "self", "other",
                    ])),
                .optional(
                    "referrer", .object([.required("name", .text), .required("agency", .text)])),
                .required("reason", .text), .required("members", .list(member, min: 1)),
                .optional("criteria", criteria), .optional("singleAssessment", .bool),
                .optional(
                    "stepDown",
                    .object([
                        .required("from", .oneOf(["cin", "cp", "cic"])),
                        .required("planCompleted", .bool),
                        .required("closureSummary", .bool),
                    ])),
            ], rules: [.childAndUniqueIDs(list: "members")])
        add("family.member.added", .family, [.required("member", member)])
        add("family.member.left", .family, [.required("memberId", .reference)])
        add(
            "ufrn.assigned", .family,
            [
                .required("ufrn", .text),
                .required("locality", .oneOf(["01", "02", "03", "04", "05", "06", "07"])),
            ],
            rules: [.ufrnShape("ufrn")])
        add(
            "triage.completed", .family,
            [
                .required("outcome", .integer(1...16)),
                .required("priority", .oneOf(["low", "medium", "high"])),
                .required("level", level),
            ])
        add(
            "allocation.discussed", .family,
            [
                .required(
                    "decision",
                    .oneOf([
                        "accepted", "declined-capacity", "declined-threshold", "deferred",
                        "extension-agreed",
                    ])),
                .optional("level", level), .optional("note", .text),
            ], manager: true)
        add(
            "worker.allocated", .family,
            [
                .required("worker", .reference),
                .required("relationship", .oneOf(["lead", "assigned", "second"])),
            ])
        add(
            "worker.unallocated", .family,
            [.required("worker", .reference), .optional("reason", .text)])
        // Engagement and direct work
        add("referrer.contacted", .family, [.optional("outcome", .text)])
        add(
            "contact.attempted", .family,
            [
                .required(
                    "method",
                    .oneOf([
                        "phone", "text", "cold-call", "letter", "email", "via-referrer",
                        "via-school", "via-agency",
                    ])),
                .required(
                    "outcome",
                    .oneOf([
                        "no-answer", "message-left", "card-left", "no-response", "reached",
                        "declined",
                    ])),
                .optional("respondBy", .date),
            ])
        add(
            "consent.recorded", .family,
            [
                .required(
                    "scope",
                    .oneOf(["service", "information-sharing", "activities-travel", "photography"])),
                .required("given", .bool), .optional("memberId", .reference),
            ])
        add("engagement.started", .family, [])
        add(
            "visit.completed", .family,
            [
                .required(
                    "kind",
                    .oneOf([
                        "joint-sw-fsw", "home", "cin", "school", "office", "community", "other",
                    ])),
                .optional("childrenSeen", .list(.reference, min: 0)),
                .optional("childSeenAlone", .bool),
                .optional("reflection", .text),
            ])
        add(
            "meeting.attended", .family,
            [
                .required(
                    "kind",
                    .oneOf([
                        "core-group", "cin-meeting", "cp-review", "family-support-meeting",
                        "strategy-meeting",
                        "multi-agency", "allocation-meeting",
                    ]))
            ])
        add(
            "note.recorded", .family,
            [
                .required("subject", .text), .required("body", .text),
                .optional(
                    "kind",
                    .oneOf([
                        "direct-work", "phone-call", "management-oversight", "consultation",
                        "other",
                    ])),
            ], outcome: true)
        add("supervision.recorded", .family, [.optional("decisions", .textOrList)], manager: true)
        add(
            "concern.raised", .family,
            [
                .required("kind", .oneOf(["safeguarding", "cse", "young-carer", "other"])),
                .required(
                    "action",
                    .oneOf(["manager-consulted", "mash-referral", "s47", "strategy-meeting"])),
            ])
        add(
            "requirement.met", .family,
            [
                .required("requirement", .oneOf(MinimumRequirement.all))
            ])
        // Assessment, plan, review
        add(
            "assessment.completed", .family,
            [
                .required(
                    "kind",
                    .oneOf([
                        "family-star", "signs-of-wellbeing", "single-assessment",
                        "early-help-assessment",
                    ])),
                .optional("familyStar", familyStar), .optional("safetyScale", scale),
                .optional("wellbeingScale", scale),
                .optional("worries", .textOrList), .optional("strengths", .textOrList),
                .optional("needs", .textOrList),
            ])
        add(
            "plan.agreed", .family,
            [
                .required(
                    "kind",
                    .oneOf([
                        "fsw-action-plan", "interim-cin-plan", "cin-plan", "family-star-plan",
                        "support-plan",
                    ])),
                .required("actions", .list(action, min: 1)), .required("reviewBy", .date),
                .optional("visitEveryDays", .integer(1...366)),
                .optional(
                    "views", .object([.optional("parent", .text), .optional("child", .text)])),
            ], rules: [.timeBound(list: "actions")])
        add(
            "plan.updated", .family,
            [
                .optional("actions", .list(action, min: 1)), .optional("reviewBy", .date),
                .optional("addedWeeks", .integer(1...104)),
            ],
            rules: [.notEmpty(["actions", "reviewBy", "addedWeeks"]), .timeBound(list: "actions")])
        add("plan.distributed", .family, [.optional("to", .list(.text, min: 0))])
        add(
            "review.completed", .family,
            [
                .optional("familyStar", familyStar),
                .optional(
                    "actions",
                    .list(
                        .object([
                            .required("id", .reference),
                            .required("status", .oneOf(["done", "partly", "not-done"])),
                        ]), min: 0)),
                .required("outcome", .oneOf(["continue", "new-plan", "close", "step-up"])),
                .optional("nextReviewBy", .date),
            ])
        add(
            "case-summary.completed", .family,
            [
                .required("reason", .oneOf(["four-monthly", "consultation"])),
                .optional("safetyScale", scale),
                .optional("wellbeingScale", scale),
            ])
        add(
            "extension.agreed", .family,
            [
                .required("what", .oneOf(["assessment", "intervention", "plan", "contact"])),
                .required("until", .date),
                .required("reason", .text),
            ], manager: true)
        add(
            "level.changed", .family,
            [
                .required("level", level),
                .required("reason", .oneOf(["step-down", "escalation", "de-escalation"])),
            ])
        // Step up, transfer, closure
        add(
            "stepup.requested", .family,
            [
                .required("to", .oneOf(["social-care", "mash"])), .required("reason", .text),
                .optional("s47", .bool),
            ])
        add(
            "stepup.decided", .family,
            [.required("accepted", .bool), .optional("transitionUntil", .date)],
            manager: true)
        add(
            "transfer.completed", .family,
            [.required("team", .reference), .optional("worker", .reference)])
        add("closure.approved", .family, [.required("reason", .text)], manager: true)
        add(
            "case.closed", .family,
            [
                .required("reason", .oneOf(CaseClosure.reasons)),
                .optional(
                    "summary",
                    .object([
                        .required("supportProvided", .text), .required("impactOnChildren", .text),
                        .required("parentViews", .text), .optional("socialWorkerViews", .text),
                    ])),
                .optional(
                    "exitPlan",
                    .object([
                        .required("signposting", .list(.text, min: 0)), .required("fis", .bool),
                    ])),
            ])
        // Outcomes and payment by results
        add(
            "pbr.criteria.identified", .family,
            [
                .required("criteria", criteria), .optional("evidence", .text),
                .required("source", .oneOf(["referral", "assessment", "data-matching"])),
            ], outcome: true)
        add(
            "attendance.recorded", .family,
            [
                .required("memberId", .reference), .required("from", .date), .required("to", .date),
                .required("percent", .number(0...100)), .optional("exclusions", .integer(0...1000)),
            ], outcome: true, rules: [.datesInOrder(from: "from", to: "to")])
        add(
            "offence.recorded", .family,
            [.required("memberId", .reference), .required("kind", .oneOf(["offence", "asb"]))],
            outcome: true)
        add(
            "employment.recorded", .family,
            [
                .required("memberId", .reference), .required("startedOn", .date),
                .required("benefit", .oneOf(["jsa", "esa", "is", "uc", "none"])),
                .required("continuousWeeks", .integer(0...5200)),
            ], outcome: true)
        add(
            "pbr.claimed", .family,
            [
                .required("kind", .oneOf(["attachment", "progress", "employment"])),
                .optional("reference", .text),
            ],
            outcome: true)
        // Corrections
        add(
            "event.corrected", .any,
            [
                .required("target", .text), .required("reason", .text),
                .required("data", .anyObject),
            ], outcome: true)
        add(
            "event.voided", .any, [.required("target", .text), .required("reason", .text)],
            outcome: true)
        // Data protection (DATA-PROTECTION.md): holds may arrive on a family with no open episode.
        add(
            "hold.placed", .familyOrOrg,
            [.required("reason", .text), .optional("reference", .text)], manager: true,
            outcome: true)
        add(
            "hold.lifted", .familyOrOrg, [.required("hold", .text), .required("reason", .text)],
            manager: true,
            outcome: true)
        add(
            "record.redacted", .org,
            [
                .required("family", .reference),
                .required("seqs", .list(.integer(1...Int.max), min: 1)),
                .required("reason", .oneOf(Redaction.reasons)), .optional("rule", .text),
            ], manager: true)
        return table
    }()

    /// Type names, sorted, for messages.
    public static let names: [String] = types.keys.sorted()

    /// Every type's entry, by `EventKind.rawValue` (a kind names a catalogue type: the tests check both lists).
    static let byKind: [EventType?] = EventKind.allCases.map { types[$0.name] }
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
    public static let reasons = ["retention-ended", "wrong-family"]
}
