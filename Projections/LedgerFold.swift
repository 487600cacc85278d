import EventLog
import LedgerCore

/// A registered worker as the projections hold them.
public struct WorkerInfo: Sendable, Equatable {
    public var id: String
    public var name: String
    public var role: String
    public var team: String
    public var fte: Double
    public var caseload: (min: Int, max: Int)?
    public var left: Bool

    public static func == (lhs: WorkerInfo, rhs: WorkerInfo) -> Bool {
        lhs.id == rhs.id && lhs.name == rhs.name && lhs.role == rhs.role && lhs.team == rhs.team && lhs.fte == rhs.fte
            && lhs.caseload?.min == rhs.caseload?.min && lhs.caseload?.max == rhs.caseload?.max && lhs.left == rhs.left
    }
}

/// A team.
public struct TeamInfo: Sendable, Equatable {
    public var id: String
    public var name: String
    public var locality: String?
    public var service: String?
}

/// The pure fold behind every projection: feed it the events in log order (`apply`), then read the state.
/// It does no I/O. Corrections are applied before events reach it (`EventScanner`); voided events and the
/// correction events themselves are skipped here.
public struct LedgerFold: Sendable {
    public private(set) var adoptions: [(effectiveFrom: CivilDate, seq: Int, policy: Policy)] = []
    public private(set) var workers: [String: WorkerInfo] = [:]
    public private(set) var teams: [String: TeamInfo] = [:]
    public private(set) var families: [String: FamilyState] = [:]
    /// The latest event date seen (for "today" when the caller has none).
    public private(set) var lastDate: CivilDate?

    public init() {}

    /// The policy in force on `date`: the adoption with the latest `effectiveFrom` on or before it (the later
    /// in the log when equal); before any, the first adopted.
    public func policy(on date: CivilDate) -> Policy? {
        var best: (effectiveFrom: CivilDate, seq: Int, policy: Policy)?
        for adoption in adoptions where adoption.effectiveFrom <= date {
            if let current = best, (current.effectiveFrom, current.seq) > (adoption.effectiveFrom, adoption.seq) { continue }
            best = adoption
        }
        return (best ?? adoptions.first)?.policy
    }

    /// Applies one event.
    public mutating func apply(_ event: StoredEvent) {
        if event.isVoided || event.type == "event.corrected" || event.type == "event.voided" { return }
        if lastDate == nil || event.date > (lastDate ?? event.date) { lastDate = event.date }
        let data = event.data
        switch event.type {
        case "policy.adopted":
            let policy: Policy?
            if let name = data["profile"]?.stringValue {
                policy = PolicyProfiles.profile(name)
            } else if let object = data["policy"]?.objectValue {
                policy = try? Policy(json: object)
            } else {
                policy = nil
            }
            if let policy, let from = data["effectiveFrom"]?.stringValue.flatMap(CivilDate.init) {
                adoptions.append((from, event.seq, policy))
            }
        case "team.defined":
            if let id = data["id"]?.stringValue {
                teams[id] = TeamInfo(
                    id: id, name: data["name"]?.stringValue ?? id, locality: data["locality"]?.stringValue,
                    service: data["service"]?.stringValue)
            }
        case "worker.registered":
            let id = StreamName.key(of: event.stream)
            workers[id] = WorkerInfo(
                id: id, name: data["name"]?.stringValue ?? id, role: data["role"]?.stringValue ?? "",
                team: data["team"]?.stringValue ?? "", fte: data["fte"]?.doubleValue ?? 1,
                caseload: Self.caseload(data["caseload"]), left: false)
        case "worker.changed":
            let id = StreamName.key(of: event.stream)
            guard var worker = workers[id] else { return }
            if let role = data["role"]?.stringValue { worker.role = role }
            if let team = data["team"]?.stringValue { worker.team = team }
            if let fte = data["fte"]?.doubleValue { worker.fte = fte }
            if let caseload = Self.caseload(data["caseload"]) { worker.caseload = caseload }
            workers[id] = worker
        case "worker.left":
            workers[StreamName.key(of: event.stream)]?.left = true
        default:
            if let ref = event.familyRef { applyFamily(ref, event) }
        }
    }

    private static func caseload(_ value: JSONValue?) -> (min: Int, max: Int)? {
        guard let object = value?.objectValue, let low = object["min"]?.intValue, let high = object["max"]?.intValue else {
            return nil
        }
        return (low, high)
    }

    // MARK: Families

    private mutating func applyFamily(_ ref: String, _ event: StoredEvent) {
        var family = families[ref] ?? FamilyState(ref: ref)
        defer { families[ref] = family }
        let data = event.data
        let policy = self.policy(on: event.date)

        // Family-level facts that outlive episodes.
        switch event.type {
        case "referral.received":
            guard family.current?.isOpen != true else { return }
            var episode = Episode(
                number: family.episodes.count + 1, referralID: event.id, openedOn: event.date, openedSeq: event.seq)
            episode.source = data["source"]?.stringValue
            if let lastClosed = family.episodes.last?.closedOn, event.date <= lastClosed.adding(days: 84) {
                episode.reReferral = true
            }
            if let stepDown = data["stepDown"]?.objectValue {
                episode.stepDownFrom = stepDown["from"]?.stringValue
                episode.stepDownOn = event.date
            }
            for member in data["members"]?.arrayValue ?? [] {
                if let person = Self.person(member) {
                    family.members.removeAll { $0.id == person.id }
                    family.members.append(person)
                }
            }
            for criterion in data["criteria"]?.arrayValue?.compactMap(\.stringValue) ?? [] {
                family.criteria[criterion, default: []].append(event.id)
            }
            family.episodes.append(episode)
            applyFlags(&family, event: event, policy: policy)
            applyRules(&family, event: event, policy: policy)
            return
        case "family.member.added":
            if let person = data["member"].flatMap(Self.person) {
                family.members.removeAll { $0.id == person.id }
                family.members.append(person)
            }
        case "family.member.left":
            if let id = data["memberId"]?.stringValue { family.members.removeAll { $0.id == id } }
        case "ufrn.assigned":
            family.ufrn = data["ufrn"]?.stringValue
        case "pbr.criteria.identified":
            for criterion in data["criteria"]?.arrayValue?.compactMap(\.stringValue) ?? [] {
                family.criteria[criterion, default: []].append(event.id)
            }
        case "attendance.recorded":
            if let member = data["memberId"]?.stringValue, let to = data["to"]?.stringValue.flatMap(CivilDate.init),
                let percent = data["percent"]?.doubleValue
            {
                if let existing = family.attendance[member], existing.to > to { break }
                family.attendance[member] = (event.id, to, percent)
            }
        case "offence.recorded":
            family.offences.append((event.id, event.date))
        case "employment.recorded":
            family.employment.append(
                (event.id, data["memberId"]?.stringValue ?? "", data["benefit"]?.stringValue ?? "none",
                 data["continuousWeeks"]?.intValue ?? 0))
        case "pbr.claimed":
            if let kind = data["kind"]?.stringValue { family.claims[kind, default: []].append(event.id) }
        default:
            break
        }
        guard var episode = family.episodes.last, episode.isOpen else { return }
        switch event.type {
        case "triage.completed":
            episode.triaged = true
            if let level = data["level"]?.stringValue { episode.level = level }
        case "allocation.discussed":
            if let level = data["level"]?.stringValue { episode.level = level }
        case "level.changed":
            if let level = data["level"]?.stringValue { episode.level = level }
            if data["reason"]?.stringValue == "step-down" { episode.stepDownOn = event.date }
        case "worker.allocated":
            if let worker = data["worker"]?.stringValue {
                let relationship = data["relationship"]?.stringValue ?? "assigned"
                episode.workers[worker] = relationship
                if relationship == "lead" {
                    if let previous = episode.lead, previous != worker { episode.workers[previous] = "assigned" }
                    episode.lead = worker
                } else if episode.lead == nil {
                    episode.lead = worker
                }
                if episode.firstAllocationOn == nil { episode.firstAllocationOn = event.date }
            }
        case "worker.unallocated":
            if let worker = data["worker"]?.stringValue {
                episode.workers[worker] = nil
                if episode.lead == worker {
                    episode.lead = episode.workers.sorted { $0.key < $1.key }.first(where: { $0.value == "lead" })?.key
                }
            }
        case "transfer.completed":
            if let worker = data["worker"]?.stringValue {
                episode.workers = [worker: "lead"]
                episode.lead = worker
            }
        case "engagement.started":
            episode.engaged = true
        case "contact.attempted":
            if let method = data["method"]?.stringValue { episode.contactAttempts.append((method, event.date)) }
        case "consent.recorded":
            if data["scope"]?.stringValue == "service", data["given"]?.boolValue == true { episode.consentGiven = true }
        case "assessment.completed", "review.completed":
            if let star = StarReading(event: event) {
                if episode.firstStar == nil { episode.firstStar = star }
                episode.latestStar = star
            }
            if event.type == "review.completed" {
                episode.lastReviewOn = event.date
                if let next = data["nextReviewBy"]?.stringValue.flatMap(CivilDate.init) { episode.nextReviewBy = next }
            }
        case "plan.agreed", "plan.updated":
            if let reviewBy = data["reviewBy"]?.stringValue.flatMap(CivilDate.init) { episode.nextReviewBy = reviewBy }
            if let every = data["visitEveryDays"]?.intValue { episode.visitEveryDays = every }
        case "requirement.met":
            if let requirement = data["requirement"]?.stringValue { episode.requirementsMet.insert(requirement) }
        case "stepup.requested":
            episode.stepUpRequested = true
        case "stepup.decided":
            if data["accepted"]?.boolValue == true { episode.stepUpAcceptedOn = event.date }
        case "supervision.recorded", "extension.agreed":
            episode.justifications.append((event.type, event.date, event.actorRole))
        default:
            break
        }
        family.episodes[family.episodes.count - 1] = episode
        applyRules(&family, event: event, policy: policy)
        if event.type == "case.closed" {
            close(&family, event: event, policy: policy)
        }
    }

    private static func person(_ value: JSONValue) -> Person? {
        guard let object = value.objectValue, let id = object["id"]?.stringValue else { return nil }
        return Person(
            id: id, name: object["name"]?.stringValue ?? "", dob: object["dob"]?.stringValue.flatMap(CivilDate.init),
            role: object["role"]?.stringValue ?? "other")
    }

    // MARK: Compliance

    /// Meets, extends and starts obligations for one event of the open episode.
    private func applyRules(_ family: inout FamilyState, event: StoredEvent, policy: Policy?) {
        guard var episode = family.episodes.last, episode.isOpen else { return }
        defer { family.episodes[family.episodes.count - 1] = episode }
        // 1. Meet: any open obligation this event answers (deadline and recurring).
        for index in episode.obligations.indices {
            let obligation = episode.obligations[index]
            guard obligation.metOn == nil, obligation.lapsedOn == nil, obligation.checkPassed == nil,
                obligation.fromSeq < event.seq, obligation.targets.contains(where: { $0.matches(type: event.type, data: event.data) })
            else { continue }
            episode.obligations[index].metOn = event.date
            episode.obligations[index].metSeq = event.seq
        }
        // 2. Extend: a manager's agreed extension moves the due date of what it names.
        if event.type == "extension.agreed", let what = event.data["what"]?.stringValue,
            let until = event.data["until"]?.stringValue.flatMap(CivilDate.init)
        {
            for index in episode.obligations.indices where episode.obligations[index].extendable == what
                && episode.obligations[index].metOn == nil && episode.obligations[index].lapsedOn == nil
                && until > episode.obligations[index].dueOn
            {
                episode.obligations[index].dueOn = until
            }
        }
        guard let policy else { return }
        let calendar = policy.calendar
        // 3. Recurring: an occurrence starts the next period; a `from` starts the first.
        for rule in policy.recurring {
            if let levels = rule.levels, !levels.contains(episode.level ?? "") { continue }
            var interval = rule.everyByLevel[episode.level ?? ""] ?? rule.every
            if rule.everyDaysField != nil, let days = episode.visitEveryDays {
                let candidate = Timescale.days(days)
                if candidate.after(event.date, in: calendar) < interval.after(event.date, in: calendar) { interval = candidate }
            }
            if let current = episode.recurringCurrent[rule.id], rule.event.matches(type: event.type, data: event.data) {
                if episode.obligations[current].metSeq == event.seq {
                    episode.obligations.append(makeRecurring(rule, family: family.ref, episode: episode, event: event,
                        due: interval.after(event.date, in: calendar)))
                    episode.recurringCurrent[rule.id] = episode.obligations.count - 1
                }
            } else if episode.recurringCurrent[rule.id] == nil, rule.from.matches(type: event.type, data: event.data) {
                let due = (rule.firstWithin ?? interval).after(event.date, in: calendar)
                episode.obligations.append(makeRecurring(rule, family: family.ref, episode: episode, event: event, due: due))
                episode.recurringCurrent[rule.id] = episode.obligations.count - 1
            }
        }
        // 4. Deadlines started by this event.
        for rule in policy.deadlines where rule.from.matches(type: event.type, data: event.data) {
            if let levels = rule.levels, !levels.contains(episode.level ?? "") { continue }
            if rule.firstOnly {
                if episode.firstSeen.contains(rule.id) { continue }
                episode.firstSeen.insert(rule.id)
            }
            var within = rule.within
            var targets = rule.to
            if !rule.withinByOutcome.isEmpty {
                let outcome = event.data["outcome"].map { value -> String in
                    if case .number(let text) = value { return text }
                    return value.stringValue ?? ""
                } ?? ""
                guard let scale = rule.withinByOutcome[outcome] else { continue }
                within = scale
                if let special = rule.toByOutcome[outcome] { targets = special }
            }
            var due: CivilDate?
            if let within { due = within.after(event.date, in: calendar) }
            if let field = rule.dueByField, let byField = event.data[field]?.stringValue.flatMap(CivilDate.init) {
                due = min(due ?? byField, byField)
            }
            guard let dueOn = due else { continue }
            episode.obligations.append(
                Obligation(
                    family: family.ref, episode: episode.number, rule: rule.id, label: rule.label, source: rule.source,
                    kind: .deadline, fromSeq: event.seq, fromDate: event.date, dueOn: dueOn, extendable: rule.extendable,
                    targets: targets))
        }
    }

    private func makeRecurring(_ rule: Policy.Recurring, family: String, episode: Episode, event: StoredEvent, due: CivilDate)
        -> Obligation
    {
        Obligation(
            family: family, episode: episode.number, rule: rule.id, label: rule.label, source: rule.source, kind: .recurring,
            fromSeq: event.seq, fromDate: event.date, dueOn: due, targets: [rule.event])
    }

    /// Flags checked at referral (Birmingham step-down entry, CP step-down; re-referral where the policy asks).
    private func applyFlags(_ family: inout FamilyState, event: StoredEvent, policy: Policy?) {
        guard let policy, var episode = family.episodes.last else { return }
        defer { family.episodes[family.episodes.count - 1] = episode }
        for flag in policy.flags {
            var passed: Bool?
            var detail: String?
            switch flag.kind {
            case "step-down-entry":
                guard let stepDown = event.data["stepDown"]?.objectValue else { continue }
                let plan = stepDown["planCompleted"]?.boolValue == true
                let summary = stepDown["closureSummary"]?.boolValue == true
                // Consent is judged when the projection is read (it may be recorded just after the referral).
                passed = plan && summary
                if !(plan && summary) {
                    detail = [plan ? nil : "plan not completed", summary ? nil : "no closure summary"].compactMap { $0 }
                        .joined(separator: ", ")
                }
            case "cp-step-down":
                guard event.data["stepDown"]?.objectValue?["from"]?.stringValue == "cp" else { continue }
                passed = false
                detail = "stepped down from a child protection plan"
            case "re-referral":
                guard episode.reReferral else { continue }
                passed = false
                detail = "re-referred within 12 weeks of the last closure"
            default:
                continue
            }
            guard let passed else { continue }
            episode.obligations.append(
                Obligation(
                    family: family.ref, episode: episode.number, rule: flag.id, label: flag.label, source: flag.source,
                    kind: .check, fromSeq: event.seq, fromDate: event.date, dueOn: event.date, checkPassed: passed,
                    detail: detail, targets: []))
        }
    }

    /// Closure: standards checked at the closing event, then what was still open lapses (or stays overdue).
    private func close(_ family: inout FamilyState, event: StoredEvent, policy: Policy?) {
        guard var episode = family.episodes.last else { return }
        defer { family.episodes[family.episodes.count - 1] = episode }
        episode.closedOn = event.date
        episode.closeReason = event.data["reason"]?.stringValue
        if let policy {
            let checks = ClosureChecks.evaluate(episode: episode, event: event, policy: policy)
            for check in checks {
                var obligation = check
                obligation.family = family.ref
                episode.obligations.append(obligation)
            }
        }
        for index in episode.obligations.indices {
            let obligation = episode.obligations[index]
            guard obligation.metOn == nil, obligation.checkPassed == nil, obligation.lapsedOn == nil else { continue }
            // Fell due while open and unmet: stays overdue. Not yet due: lapses.
            if obligation.dueOn >= event.date { episode.obligations[index].lapsedOn = event.date }
        }
        if let policy, let duration = ClosureChecks.duration(episode: episode, policy: policy, family: family.ref, asOf: event.date) {
            episode.obligations.append(duration)
        }
    }

    /// Obligations for still-open episodes that depend on "today": durations, and consent for step-down entry.
    public func finishedObligations(_ family: FamilyState, asOf: CivilDate) -> [Obligation] {
        var all: [Obligation] = []
        for episode in family.episodes {
            var obligations = episode.obligations
            if episode.isOpen, let policy = policy(on: asOf),
                let duration = ClosureChecks.duration(episode: episode, policy: policy, family: family.ref, asOf: asOf)
            {
                obligations.append(duration)
            }
            for index in obligations.indices {
                obligations[index].responsible = episode.lead
                if obligations[index].rule == "step-down-entry", obligations[index].checkPassed == true, !episode.consentGiven {
                    obligations[index].checkPassed = false
                    obligations[index].detail = "no consent to the service recorded"
                }
            }
            all.append(contentsOf: obligations)
        }
        return all
    }
}
