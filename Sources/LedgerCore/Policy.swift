import EventLog

/// A span of time in a rule: "5 working days", "10 days", "8 weeks", "3 months".
public enum Timescale: Sendable, Equatable, CustomStringConvertible {
    /// Working days (Monday–Friday, not bank holidays or closure days).
    case workingDays(Int)
    /// Calendar days.
    case days(Int)
    /// Calendar weeks.
    case weeks(Int)
    /// Calendar months (same day of month, clamped).
    case months(Int)

    /// Parses "N working days", "N days", "N weeks", "N months" (singular allowed).
    public init?(_ text: String) {
        let parts = text.split(separator: " ")
        guard parts.count == 2 || parts.count == 3, let count = Int(parts[0]), count >= 0,
            count <= 10_000
        else {
            return nil
        }
        let unit = parts.dropFirst().joined(separator: " ")
        switch unit {
        case "working day", "working days": self = .workingDays(count)
        case "day", "days": self = .days(count)
        case "week", "weeks": self = .weeks(count)
        case "month", "months": self = .months(count)
        default: return nil
        }
    }

    /// The due date: `self` after `date` in `calendar`.
    public func after(_ date: CivilDate, in calendar: WorkingDayCalendar) -> CivilDate {
        switch self {
        case .workingDays(let count): calendar.adding(workingDays: count, to: date)
        case .days(let count): date.adding(days: count)
        case .weeks(let count): date.adding(days: 7 * count)
        case .months(let count): date.adding(months: count)
        }
    }

    public var description: String {
        switch self {
        case .workingDays(let count): "\(count) working day\(count == 1 ? "" : "s")"
        case .days(let count): "\(count) day\(count == 1 ? "" : "s")"
        case .weeks(let count): "\(count) week\(count == 1 ? "" : "s")"
        case .months(let count): "\(count) month\(count == 1 ? "" : "s")"
        }
    }
}

/// An event pattern in a rule: a type with optional `data` filters, e.g. `allocation.discussed[decision=accepted]`.
public struct EventPattern: Sendable, Equatable, CustomStringConvertible {
    /// The event type.
    public let type: String
    /// The type as a value (patterns name catalogue types only).
    public let kind: EventKind?
    /// Required `data` member values, compared as text (`true`, `accepted`).
    public let filters: [(String, String)]

    /// Parses `type` or `type[key=value,key=value]`.
    public init?(_ text: String) {
        if let open = text.firstIndex(of: "[") {
            guard text.hasSuffix("]") else { return nil }
            type = String(text[..<open])
            let inner = text[text.index(after: open)..<text.index(before: text.endIndex)]
            var parsed: [(String, String)] = []
            for clause in inner.split(separator: ",") {
                let pair = clause.split(separator: "=", maxSplits: 1)
                guard pair.count == 2 else { return nil }
                parsed.append((String(pair[0]), String(pair[1])))
            }
            filters = parsed
        } else {
            type = text
            filters = []
        }
        guard Catalogue.types[type] != nil else { return nil }
        kind = EventKind(name: type)
    }

    /// Whether `event` matches: its type, then the filters on its data.
    public func matches(_ event: StoredEvent) -> Bool {
        guard event.kind == kind else { return false }
        if filters.isEmpty { return true }
        let data = event.data
        for (key, expected) in filters {
            guard let value = data[key] else { return false }
            switch value {
            case .string(let text): if text != expected { return false }
            case .bool(let flag): if String(flag) != expected { return false }
            case .number(let text): if text != expected { return false }
            default: return false
            }
        }
        return true
    }

    public var description: String {
        filters.isEmpty
            ? type : "\(type)[\(filters.map { "\($0.0)=\($0.1)" }.joined(separator: ","))]"
    }

    public static func == (lhs: EventPattern, rhs: EventPattern) -> Bool {
        lhs.description == rhs.description
    }
}

/// A policy profile: a council's timescales, caseload limits, closure rules and PbR thresholds, as data.
public struct Policy: Sendable {
    /// A deadline rule: after `from`, one of `to` is due within a timescale.
    public struct Deadline: Sendable {
        public let id: String, label: String, source: String
        public let from: EventPattern
        /// Alternatives: any of them meets the obligation.
        public let to: [EventPattern]
        public let within: Timescale?
        /// Only the first `from` event of the episode starts the clock.
        public let firstOnly: Bool
        /// Levels the rule applies to (nil: all).
        public let levels: [String]?
        /// `extension.agreed[what=…]` that moves the due date.
        public let extendable: String?
        /// A date member of the `from` event that sets the due date (capped by `within` when both are given).
        public let dueByField: String?
        /// Timescale by the `from` event's `outcome` (triage): overrides `within`.
        public let withinByOutcome: [String: Timescale]
        /// Target by outcome (triage outcomes that mean closure).
        public let toByOutcome: [String: [EventPattern]]
    }

    /// A recurring rule: after `from`, `event` is due at most `every` after the previous one.
    public struct Recurring: Sendable {
        public let id: String, label: String, source: String
        public let event: EventPattern
        public let every: Timescale
        /// Per level (overrides `every`).
        public let everyByLevel: [String: Timescale]
        public let from: EventPattern
        public let levels: [String]?
        /// A day-count member of the latest plan that shortens the interval when shorter (`visitEveryDays`).
        public let everyDaysField: String?
        /// The first occurrence is due after this (defaults to `every`).
        public let firstWithin: Timescale?
        /// `[event]`: what meets each obligation the rule makes, made once and shared by all of them.
        public let targets: [EventPattern]
    }

    /// A caseload limit per full-time worker.
    public struct Limit: Sendable {
        public let role: String, level: String?, min: Int, max: Int, unit: String, source: String
    }

    /// How long an episode at a level may stay open.
    public struct Duration: Sendable {
        public let id: String, label: String, source: String
        public let level: String, max: Timescale, warnAt: Timescale?
        /// Events (by a manager) that justify going over: `supervision.recorded`, `extension.agreed`.
        public let justifiedBy: [String]
        /// The roles whose `justifiedBy` event counts (`justifiedByRoles`; by default every manager role). 003
        /// §4.6 asks for a team manager.
        public let justifiedByRoles: Set<String>
    }

    /// 004 §5 contact standard before a never-engaged closure.
    public struct ContactStandard: Sendable {
        public let id: String, label: String, source: String
        public let phoneDays: Int, texts: Int, coldCalls: Int, coldCallsIntensive: Int,
            spanDays: Int
        public let letterLevels: [String]
        public let closeReasons: [String]
    }

    /// Closure rules.
    public struct Closure: Sendable {
        public let id: String, label: String, source: String
        public let needsManager: Bool
        public let reviewWithinDays: Int?
        public let reviewLevels: [String]
        public let minimumRequirements: Bool
    }

    /// A check made when an event happens, reported as a flag.
    public struct Flag: Sendable {
        public let id: String, label: String, source: String
        public let kind: FlagKind
    }

    /// The kinds of flag a policy can raise, with their parameters (POLICIES.md: flags).
    public enum FlagKind: Sendable, Equatable {
        /// A step-down referral without a completed plan, a closure summary or consent (002 §3).
        case stepDownEntry
        /// A step-down from a child protection plan (002 §2).
        case cpStepDown
        /// A referral within `within` of the family's last closure (003 §6.1c).
        case reReferral(within: Timescale)

        /// Each kind's name in a policy document; reading a flag switches over these, so a new kind is named
        /// here once and the compiler asks for its reading.
        enum Name: String, CaseIterable {
            case stepDownEntry = "step-down-entry"
            case cpStepDown = "cp-step-down"
            case reReferral = "re-referral"
        }
    }

    /// Payment by results: what attaches a family, and how progress on each criterion is shown (POLICIES.md,
    /// Payment by results), as the policy sets them.
    public struct PbR: Sendable {
        /// The criteria a family needs to be attached nationally (Troubled Families phase 2; POLICIES.md, Payment
        /// by results): a profile may ask for more, never fewer.
        public static let nationalCriteriaNeeded = 2

        /// The national rules (POLICIES.md): what a policy that does not set a threshold gets, and what judges
        /// progress where no policy is adopted. Every default is declared here, once.
        public static let national = PbR(
            attachment: [:], presumeAttached: [], defaultCriteriaNeeded: nationalCriteriaNeeded,
            employmentWeeks: ["jsa": 26, "uc": 26, "esa": 13, "is": 13], attendancePercent: 90,
            offenceFreeMonths: 6, starThreshold: 7)

        /// How significant and sustained progress on a criterion is shown.
        public enum Progress: Sendable, Equatable {
            /// On the latest Family Star: at least `atLeast` of `domains` score `threshold` or more, and every
            /// one of `including` does.
            case familyStar(threshold: Int, domains: [String], atLeast: Int, including: [String])
            /// Every child's latest `attendance.recorded` at `percent` or more: not met as soon as one child's
            /// latest is below, unknown while none is below and some child has none.
            case attendance(percent: Double)
            /// No `offence.recorded` in the `months` before the date judged.
            case offenceFree(months: Int)
        }

        public let attachment: [String: Int]
        /// Levels whose work the profile presumes eligible (004 §23): an instruction to workers, not a claim. They
        /// need the national two criteria, no more, and still need them identified (POLICIES.md).
        public let presumeAttached: [String]
        public let defaultCriteriaNeeded: Int
        public let employmentWeeks: [String: Int]
        public let attendancePercent: Double
        public let offenceFreeMonths: Int
        public let starThreshold: Int
        /// The rule for each criterion of `PbRCriterion.all`.
        public let progress: [String: Progress]

        init(
            attachment: [String: Int], presumeAttached: [String], defaultCriteriaNeeded: Int,
            employmentWeeks: [String: Int], attendancePercent: Double, offenceFreeMonths: Int,
            starThreshold: Int
        ) {
            self.attachment = attachment
            self.presumeAttached = presumeAttached
            self.defaultCriteriaNeeded = defaultCriteriaNeeded
            self.employmentWeeks = employmentWeeks
            self.attendancePercent = attendancePercent
            self.offenceFreeMonths = offenceFreeMonths
            self.starThreshold = starThreshold
            // POLICIES.md, Payment by results (004 §25, 001 §3.2), with the policy's thresholds.
            func star(_ domains: [String], atLeast: Int, including: [String] = []) -> Progress {
                .familyStar(
                    threshold: starThreshold, domains: domains, atLeast: atLeast,
                    including: including)
            }
            progress = [
                "crime-asb": .offenceFree(months: offenceFreeMonths),
                "education": .attendance(percent: attendancePercent),
                "children-need-help": star(
                    FamilyStar.domains, atLeast: 6, including: ["keepingSafe"]),
                "worklessness": star(["progressToWork", "homeAndMoney"], atLeast: 1),
                "domestic-abuse": star(["keepingSafe", "wellbeing"], atLeast: 2),
                "health": star(["physicalHealth"], atLeast: 1),
            ]
        }

        /// How many identified criteria a family at `level` needs to be attached: the profile's for the level (or
        /// its default), never fewer than the national two; the national two where the profile presumes the level
        /// eligible.
        public func criteriaNeeded(level: String?) -> Int {
            let level = level ?? ""
            let asked =
                presumeAttached.contains(level)
                ? Self.nationalCriteriaNeeded : attachment[level] ?? defaultCriteriaNeeded
            return max(Self.nationalCriteriaNeeded, asked)
        }
    }

    public let name: String
    public let title: String
    public let closedDays: Set<CivilDate>
    public let deadlines: [Deadline]
    public let recurring: [Recurring]
    public let limits: [Limit]
    public let durations: [Duration]
    public let contactStandard: ContactStandard?
    public let closure: Closure
    public let flags: [Flag]
    public let pbr: PbR
    /// How referrals awaiting triage are shown.
    public let triage: Triage

    /// Referrals not yet triaged (issue 21): the `families` and `due` projections show how long each has waited;
    /// `within` (a limit the policy may set) makes it a deadline from the referral, judged late like any other.
    public struct Triage: Sendable {
        public let id: String, label: String, source: String
        public let within: Timescale?
    }

    /// Whether some deadline runs from a referral to its triage (`triage.within`, or a rule of the policy's own):
    /// then an untriaged referral is judged by it, and shown by no untimed item.
    public var limitsTriage: Bool {
        deadlines.contains { rule in
            rule.from.kind == .referralReceived && rule.to.contains { $0.kind == .triageCompleted }
        }
    }
    /// When a family's record may be disposed of: kept until the latest date any rule gives.
    public let retention: [RetentionRule]

    /// The working-day calendar with this policy's closure days.
    public var calendar: WorkingDayCalendar { WorkingDayCalendar(closedDays: closedDays) }
}

/// Why a policy document is not acceptable.
public struct PolicyError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Path of the offending member, e.g. `policy.deadlines[2].within`.
    public var field: String
    /// What is wrong.
    public var rule: String

    /// A policy refusal at `field`.
    public init(field: String, rule: String) {
        self.field = field
        self.rule = rule
    }

    public var description: String { "\(field): \(rule)" }
}

extension Policy {
    /// Reads a policy document (the `policy` member of `policy.adopted`, or a built-in profile).
    public init(json: JSONObject, path: String = "policy") throws(PolicyError) {
        let reader = PolicyReader(root: path)
        reader.visit(json, at: nil)
        name = try reader.string(json, "name")
        title = try reader.optionalString(json, "title") ?? name
        closedDays = Set(
            try reader.list(json, "closedDays", optional: true).enumerated().map {
                (index, value) throws(PolicyError) in
                guard let text = value.stringValue, let date = CivilDate(text) else {
                    throw PolicyError(
                        field: "\(path).closedDays[\(index)]", rule: "must be a YYYY-MM-DD date")
                }
                return date
            })
        let declared = try reader.objects(json, "deadlines").map {
            (at, rule) throws(PolicyError) -> Deadline in
            var byOutcome: [String: Timescale] = [:]
            var toByOutcome: [String: [EventPattern]] = [:]
            if let table = reader.value(rule, "withinByOutcome", at: at)?.objectValue {
                for member in table.members {
                    guard let text = member.value.stringValue, let scale = Timescale(text) else {
                        throw PolicyError(
                            field: "\(at).withinByOutcome.\(member.key)",
                            rule: "must be a timescale")
                    }
                    byOutcome[member.key] = scale
                }
            }
            if let table = reader.value(rule, "toByOutcome", at: at)?.objectValue {
                for member in table.members {
                    toByOutcome[member.key] = try reader.patterns(
                        member.value, at: "\(at).toByOutcome.\(member.key)")
                }
            }
            let within = try reader.optionalTimescale(rule, "within", at: at)
            let dueByField = try reader.optionalString(rule, "dueByField", at: at)
            if within == nil && dueByField == nil && byOutcome.isEmpty {
                throw PolicyError(
                    field: "\(at).within", rule: "is required (or dueByField, or withinByOutcome)")
            }
            return Deadline(
                id: try reader.string(rule, "id", at: at),
                label: try reader.string(rule, "label", at: at),
                source: try reader.string(rule, "source", at: at),
                from: try reader.pattern(rule, "from", at: at),
                to: try reader.patterns(reader.value(rule, "to", at: at) ?? .null, at: "\(at).to"),
                within: within,
                firstOnly: reader.value(rule, "first", at: at)?.boolValue ?? false,
                levels: try reader.levels(rule, at: at),
                extendable: try reader.optionalString(rule, "extendable", at: at),
                dueByField: dueByField,
                withinByOutcome: byOutcome, toByOutcome: toByOutcome)
        }
        // Referrals awaiting triage (issue 21): shown with their age; judged late only where the policy sets a
        // limit, as a deadline from the referral to the triage (the seeds set none).
        let triageAt = "\(path).triage"
        let triageObject = try reader.object(json, "triage") ?? JSONObject()
        triage = Triage(
            id: try reader.optionalString(triageObject, "id", at: triageAt) ?? "triage",
            label: try reader.optionalString(triageObject, "label", at: triageAt)
                ?? "Referral triaged",
            source: try reader.optionalString(triageObject, "source", at: triageAt)
                ?? "POLICIES.md (no timescale set)",
            within: try reader.optionalTimescale(triageObject, "within", at: triageAt))
        var all = declared
        if let within = triage.within, let referral = EventPattern("referral.received"),
            let triaged = EventPattern("triage.completed")
        {
            all.append(
                Deadline(
                    id: triage.id, label: triage.label, source: triage.source, from: referral,
                    to: [triaged], within: within,
                    firstOnly: false, levels: nil, extendable: nil, dueByField: nil,
                    withinByOutcome: [:], toByOutcome: [:]))
        }
        deadlines = all
        recurring = try reader.objects(json, "recurring").map { (at, rule) throws(PolicyError) in
            var byLevel: [String: Timescale] = [:]
            if let table = reader.value(rule, "everyByLevel", at: at)?.objectValue {
                for member in table.members {
                    guard let text = member.value.stringValue, let scale = Timescale(text) else {
                        throw PolicyError(
                            field: "\(at).everyByLevel.\(member.key)", rule: "must be a timescale")
                    }
                    byLevel[member.key] = scale
                }
            }
            let event = try reader.pattern(rule, "event", at: at)
            return Recurring(
                id: try reader.string(rule, "id", at: at),
                label: try reader.string(rule, "label", at: at),
                source: try reader.string(rule, "source", at: at), event: event,
                every: try reader.timescale(rule, "every", at: at), everyByLevel: byLevel,
                from: try reader.pattern(rule, "from", at: at),
                levels: try reader.levels(rule, at: at),
                everyDaysField: try reader.optionalString(rule, "everyDaysField", at: at),
                firstWithin: try reader.optionalTimescale(rule, "firstWithin", at: at),
                targets: [event])
        }
        limits = try reader.objects(json, "limits").map { (at, rule) throws(PolicyError) in
            let unit = try reader.string(rule, "unit", at: at)
            guard unit == "families" || unit == "children" else {
                throw PolicyError(field: "\(at).unit", rule: "must be families or children")
            }
            return Limit(
                role: try reader.string(rule, "role", at: at),
                level: try reader.optionalString(rule, "level", at: at),
                min: try reader.integer(rule, "min", at: at),
                max: try reader.integer(rule, "max", at: at), unit: unit,
                source: try reader.optionalString(rule, "source", at: at) ?? "")
        }
        durations = try reader.objects(json, "durations").map { (at, rule) throws(PolicyError) in
            Duration(
                id: try reader.string(rule, "id", at: at),
                label: try reader.string(rule, "label", at: at),
                source: try reader.string(rule, "source", at: at),
                level: try reader.string(rule, "level", at: at),
                max: try reader.timescale(rule, "max", at: at),
                warnAt: try reader.optionalTimescale(rule, "warnAt", at: at),
                justifiedBy: try reader.list(rule, "justifiedBy", optional: true, at: at)
                    .compactMap(\.stringValue),
                justifiedByRoles: try reader.roles(rule, "justifiedByRoles", at: at)
                    ?? Role.managers)
        }
        if let standard = reader.value(json, "contactStandard") {
            let at = "\(path).contactStandard"
            guard let rule = standard.objectValue else {
                throw PolicyError(field: at, rule: "must be an object")
            }
            reader.visit(rule, at: at)
            contactStandard = ContactStandard(
                id: try reader.string(rule, "id", at: at),
                label: try reader.string(rule, "label", at: at),
                source: try reader.string(rule, "source", at: at),
                phoneDays: try reader.integer(rule, "phoneDays", at: at),
                texts: try reader.integer(rule, "texts", at: at),
                coldCalls: try reader.integer(rule, "coldCalls", at: at),
                coldCallsIntensive: try reader.integer(rule, "coldCallsIntensive", at: at),
                spanDays: try reader.integer(rule, "spanDays", at: at),
                letterLevels: try reader.list(rule, "letterLevels", optional: true, at: at)
                    .compactMap(\.stringValue),
                closeReasons: try reader.list(rule, "closeReasons", optional: true, at: at)
                    .compactMap(\.stringValue))
        } else {
            contactStandard = nil
        }
        guard let closureObject = try reader.object(json, "closure") else {
            throw PolicyError(
                field: "\(path).closure", rule: "is required (an object with needsManager)")
        }
        let closureAt = "\(path).closure"
        guard
            let needsManager = reader.value(closureObject, "needsManager", at: closureAt)?.boolValue
        else {
            throw PolicyError(field: "\(closureAt).needsManager", rule: "must be true or false")
        }
        closure = Closure(
            id: try reader.optionalString(closureObject, "id", at: closureAt) ?? "closure",
            label: try reader.optionalString(closureObject, "label", at: closureAt)
                ?? "Closure checks",
            source: try reader.optionalString(closureObject, "source", at: closureAt) ?? "",
            needsManager: needsManager,
            reviewWithinDays: reader.value(closureObject, "reviewWithinDays", at: closureAt)?
                .intValue,
            reviewLevels: try reader.list(
                closureObject, "reviewLevels", optional: true, at: closureAt
            ).compactMap(\.stringValue),
            minimumRequirements: reader.value(closureObject, "minimumRequirements", at: closureAt)?
                .boolValue ?? false)
        flags = try reader.objects(json, "flags").map { (at, rule) throws(PolicyError) in
            let name = try reader.string(rule, "kind", at: at)
            let within = try reader.optionalTimescale(rule, "within", at: at)
            guard let named = FlagKind.Name(rawValue: name) else {
                throw PolicyError(
                    field: "\(at).kind",
                    rule:
                        "must be one of \(FlagKind.Name.allCases.map(\.rawValue).joined(separator: ", "))"
                )
            }
            let kind: FlagKind
            switch named {
            case .stepDownEntry: kind = .stepDownEntry
            case .cpStepDown: kind = .cpStepDown
            case .reReferral:
                guard let within else {
                    throw PolicyError(
                        field: "\(at).within",
                        rule: "is required for a re-referral flag (e.g. \"12 weeks\")")
                }
                kind = .reReferral(within: within)
            }
            return Flag(
                id: try reader.string(rule, "id", at: at),
                label: try reader.string(rule, "label", at: at),
                source: try reader.string(rule, "source", at: at), kind: kind)
        }
        retention = try reader.objects(json, "retention").map { (at, rule) throws(PolicyError) in
            return RetentionRule(
                id: try reader.string(rule, "id", at: at),
                label: try reader.string(rule, "label", at: at),
                source: try reader.string(rule, "source", at: at),
                keepUntil: try RetentionRule.KeepUntil(
                    try reader.string(rule, "keepUntil", at: at), field: "\(at).keepUntil"))
        }
        let pbrObject = try reader.object(json, "pbr") ?? JSONObject()
        let pbrAt = "\(path).pbr"
        var attachment: [String: Int] = [:]
        for member in reader.value(pbrObject, "attachment", at: pbrAt)?.objectValue?.members ?? [] {
            guard let count = member.value.intValue, count >= 0 else {
                throw PolicyError(
                    field: "\(pbrAt).attachment.\(member.key)", rule: "must be a whole number ≥ 0")
            }
            attachment[member.key] = count
        }
        let national = PbR.national
        var weeks = national.employmentWeeks
        for member in reader.value(pbrObject, "employmentWeeks", at: pbrAt)?.objectValue?.members
            ?? []
        {
            guard let count = member.value.intValue, count >= 0 else {
                throw PolicyError(
                    field: "\(pbrAt).employmentWeeks.\(member.key)",
                    rule: "must be a whole number ≥ 0")
            }
            weeks[member.key] = count
        }
        pbr = PbR(
            attachment: attachment,
            presumeAttached: try reader.list(
                pbrObject, "presumeAttached", optional: true, at: pbrAt
            ).compactMap(\.stringValue),
            defaultCriteriaNeeded: reader.value(pbrObject, "defaultCriteriaNeeded", at: pbrAt)?
                .intValue ?? national.defaultCriteriaNeeded,
            employmentWeeks: weeks,
            attendancePercent: reader.value(pbrObject, "attendancePercent", at: pbrAt)?.doubleValue
                ?? national.attendancePercent,
            offenceFreeMonths: reader.value(pbrObject, "offenceFreeMonths", at: pbrAt)?.intValue
                ?? national.offenceFreeMonths,
            starThreshold: reader.value(pbrObject, "starThreshold", at: pbrAt)?.intValue
                ?? national.starThreshold)
        try reader.refuseUnknown()
    }
}

/// Helpers for reading a policy document with exact error paths. The reader notes every member asked for, of
/// every object it is shown (`visit`), so that a member nobody asked for is refused (`refuseUnknown`): a misspelt
/// `needsManger` or a rule's `levls` must not leave a rule silently switched off. What the parser asks for is the
/// one list of a policy's members.
private final class PolicyReader {
    let root: String
    /// The members asked for, by the path of the object they were asked of.
    private var asked: [String: Set<String>] = [:]
    /// The objects to check, by path, in the order shown.
    private var shown: [(path: String, object: JSONObject)] = []

    init(root: String) { self.root = root }

    /// Notes that `key` is a member the policy may hold at `at`.
    private func ask(_ at: String?, _ key: String) { asked[at ?? root, default: []].insert(key) }

    /// Shows the reader an object whose members must all be asked for by the end.
    func visit(_ object: JSONObject, at: String?) { shown.append((at ?? root, object)) }

    /// The member `key` of `object` (at `at`), as it is.
    func value(_ object: JSONObject, _ key: String, at: String? = nil) -> JSONValue? {
        ask(at, key)
        return object[key]
    }

    /// The object at `key` (nil when absent), shown to the reader; an error when it is not an object.
    func object(_ object: JSONObject, _ key: String, at: String? = nil) throws(PolicyError)
        -> JSONObject?
    {
        guard let value = value(object, key, at: at) else { return nil }
        guard let member = value.objectValue else {
            throw PolicyError(field: "\(at ?? root).\(key)", rule: "must be an object")
        }
        visit(member, at: "\(at ?? root).\(key)")
        return member
    }

    /// Refuses the first member of a shown object that nothing asked for.
    func refuseUnknown() throws(PolicyError) {
        for (path, object) in shown {
            let known = asked[path] ?? []
            for member in object.members where !known.contains(member.key) {
                throw PolicyError(
                    field: "\(path).\(member.key)",
                    rule: "unknown member (known: \(known.sorted().joined(separator: ", ")))")
            }
        }
    }

    func string(_ object: JSONObject, _ key: String, at: String? = nil) throws(PolicyError)
        -> String
    {
        ask(at, key)
        guard let text = object[key]?.stringValue, !text.isEmpty else {
            throw PolicyError(field: "\(at ?? root).\(key)", rule: "must be a non-empty string")
        }
        return text
    }

    func optionalString(_ object: JSONObject, _ key: String, at: String? = nil) throws(PolicyError)
        -> String?
    {
        guard let value = value(object, key, at: at) else { return nil }
        guard let text = value.stringValue else {
            throw PolicyError(field: "\(at ?? root).\(key)", rule: "must be a string")
        }
        return text
    }

    func integer(_ object: JSONObject, _ key: String, at: String) throws(PolicyError) -> Int {
        guard let number = value(object, key, at: at)?.intValue, number >= 0 else {
            throw PolicyError(field: "\(at).\(key)", rule: "must be a whole number ≥ 0")
        }
        return number
    }

    /// An optional list of manager roles (nil when absent); any other role, or an empty list, is refused.
    func roles(_ object: JSONObject, _ key: String, at: String) throws(PolicyError) -> Set<String>?
    {
        guard value(object, key, at: at) != nil else { return nil }
        var roles: Set<String> = []
        for (index, item) in try list(object, key, optional: false, at: at).enumerated() {
            guard let role = item.stringValue, Role.managers.contains(role) else {
                throw PolicyError(
                    field: "\(at).\(key)[\(index)]",
                    rule:
                        "must be a manager role (\(Role.managers.sorted().joined(separator: ", ")))"
                )
            }
            roles.insert(role)
        }
        if roles.isEmpty { throw PolicyError(field: "\(at).\(key)", rule: "must name a role") }
        return roles
    }

    func list(_ object: JSONObject, _ key: String, optional: Bool, at: String? = nil)
        throws(PolicyError) -> [JSONValue]
    {
        guard let value = value(object, key, at: at) else {
            if optional { return [] }
            throw PolicyError(field: "\(at ?? root).\(key)", rule: "is required")
        }
        guard let items = value.arrayValue else {
            throw PolicyError(field: "\(at ?? root).\(key)", rule: "must be a list")
        }
        return items
    }

    func objects(_ object: JSONObject, _ key: String) throws(PolicyError) -> [(String, JSONObject)]
    {
        try list(object, key, optional: true).enumerated().map {
            (index, value) throws(PolicyError) in
            guard let item = value.objectValue else {
                throw PolicyError(field: "\(root).\(key)[\(index)]", rule: "must be an object")
            }
            visit(item, at: "\(root).\(key)[\(index)]")
            return ("\(root).\(key)[\(index)]", item)
        }
    }

    func timescale(_ object: JSONObject, _ key: String, at: String) throws(PolicyError) -> Timescale
    {
        guard let scale = try optionalTimescale(object, key, at: at) else {
            throw PolicyError(field: "\(at).\(key)", rule: "is required")
        }
        return scale
    }

    func optionalTimescale(_ object: JSONObject, _ key: String, at: String) throws(PolicyError)
        -> Timescale?
    {
        guard let value = value(object, key, at: at) else { return nil }
        guard let text = value.stringValue, let scale = Timescale(text) else {
            throw PolicyError(
                field: "\(at).\(key)",
                rule: "must be like \"5 working days\", \"10 days\", \"8 weeks\" or \"3 months\"")
        }
        return scale
    }

    func pattern(_ object: JSONObject, _ key: String, at: String) throws(PolicyError)
        -> EventPattern
    {
        let text = try string(object, key, at: at)
        guard let pattern = EventPattern(text) else {
            throw PolicyError(
                field: "\(at).\(key)",
                rule: "\"\(text)\" is not an event type with optional [key=value] filters")
        }
        return pattern
    }

    func patterns(_ value: JSONValue, at: String) throws(PolicyError) -> [EventPattern] {
        let texts: [String]
        if let text = value.stringValue {
            texts = [text]
        } else if let items = value.arrayValue, !items.isEmpty {
            texts = items.compactMap(\.stringValue)
            guard texts.count == items.count else {
                throw PolicyError(field: at, rule: "must list event types")
            }
        } else {
            throw PolicyError(field: at, rule: "must be an event type or a list of them")
        }
        return try texts.map { (text) throws(PolicyError) in
            guard let pattern = EventPattern(text) else {
                throw PolicyError(
                    field: at,
                    rule: "\"\(text)\" is not an event type with optional [key=value] filters")
            }
            return pattern
        }
    }

    func levels(_ object: JSONObject, at: String) throws(PolicyError) -> [String]? {
        guard let value = value(object, "levels", at: at) else { return nil }
        guard let items = value.arrayValue else {
            throw PolicyError(field: "\(at).levels", rule: "must be a list")
        }
        let levels = items.compactMap(\.stringValue)
        for level in levels where !InterventionLevel.all.contains(level) {
            throw PolicyError(field: "\(at).levels", rule: "\"\(level)\" is not a level")
        }
        return levels
    }
}

/// Which adoption is in force on a date (POLICIES.md): the one with the latest `effectiveFrom` on or before it,
/// the later in the log when two share a date; before any takes effect, the first adopted. One rule for the write
/// side, the fold and the retention review; `adoptions` are in log order.
public enum PolicyInForce {
    @inlinable
    public static func select<Adoption>(
        _ adoptions: [Adoption], on date: CivilDate, effectiveFrom: (Adoption) -> CivilDate
    ) -> Adoption? {
        var best: Adoption?
        for adoption in adoptions where effectiveFrom(adoption) <= date {
            if let current = best, effectiveFrom(current) > effectiveFrom(adoption) { continue }
            best = adoption
        }
        return best ?? adoptions.first
    }
}
