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
        lhs.id == rhs.id && lhs.name == rhs.name && lhs.role == rhs.role && lhs.team == rhs.team
            && lhs.fte == rhs.fte
            && lhs.caseload?.min == rhs.caseload?.min && lhs.caseload?.max == rhs.caseload?.max
            && lhs.left == rhs.left
    }
}

/// A team.
public struct TeamInfo: Sendable, Equatable {
    public var id: String
    public var name: String
    public var locality: String?
    public var service: String?
}

extension WorkerInfo: SnapshotCodable {
    func encode(into writer: inout SnapshotWriter) {
        writer.string(id)
        writer.string(name)
        writer.string(role)
        writer.string(team)
        writer.double(fte)
        writer.optional(caseload) { writer, limit in
            writer.int(limit.min)
            writer.int(limit.max)
        }
        writer.bool(left)
    }

    init(from reader: inout SnapshotReader) throws {
        self.init(
            id: try reader.string(), name: try reader.string(), role: try reader.string(),
            team: try reader.string(), fte: try reader.double(),
            caseload: try reader.optional { (reader) throws in (try reader.int(), try reader.int())
            },
            left: try reader.bool())
    }
}

extension TeamInfo: SnapshotCodable {
    func encode(into writer: inout SnapshotWriter) {
        writer.string(id)
        writer.string(name)
        writer.optional(locality) { $0.string($1) }
        writer.optional(service) { $0.string($1) }
    }

    init(from reader: inout SnapshotReader) throws {
        self.init(
            id: try reader.string(), name: try reader.string(),
            locality: try reader.optional { try $0.string() },
            service: try reader.optional { try $0.string() })
    }
}

/// The pure fold behind every projection: feed it the events in log order (`apply`), then read the state.
/// It does no I/O. Corrections are applied before events reach it (`EventScanner`); voided events and the
/// correction events themselves are skipped here.
///
/// A fold made with `compliance: false` keeps everything but the obligations (the `due` rows and the monthly
/// timeliness): the families, caseload and PbR projections do not need them, and the fold is then cheaper. Those
/// projections can also be fed only the event types they read (`caseloadTypes`, `familyTypes`).
public struct LedgerFold: Sendable {
    var adoptions: [AdoptedPolicy] = []

    /// The rule ids of every policy adopted: what `due --rule` may name.
    public var ruleIDs: Set<String> { adoptions.reduce(into: []) { $0.formUnion($1.ruleIDs) } }

    /// The rule ids of every policy adopted that are judged on time or late (all but the checks): the monthly
    /// report's timeliness columns.
    public var timedRuleIDs: Set<String> {
        adoptions.reduce(into: []) { $0.formUnion($1.timedRuleIDs) }
    }
    public internal(set) var workers: [String: WorkerInfo] = [:]
    public internal(set) var teams: [String: TeamInfo] = [:]
    public internal(set) var families: [String: FamilyState] = [:]
    /// The families whose events did not all arrive in valid-time order: one dated before an event already folded
    /// for the family (entered late), or, with obligations, a policy adopted in force from a date on or before
    /// one of the family's events (adopted late, back-dated). What the fold holds of them is then what the order
    /// of the log made, not what the dates make, until each is folded again from its events in date order
    /// (`refold`, which an engine reading the log does before anyone reads the fold: `LedgerFold.scan`).
    public internal(set) var outOfOrder: Set<String> = []
    /// Whether obligations are worked out.
    public internal(set) var compliance: Bool

    /// An empty fold; `compliance: false` skips the obligations.
    public init(compliance: Bool = true) { self.compliance = compliance }

    /// The policy in force on `date`: the adoption with the latest `effectiveFrom` on or before it (the later
    /// in the log when equal); before any, the first adopted.
    public func policy(on date: CivilDate) -> Policy? { adopted(on: date)?.policy }

    func adopted(on date: CivilDate) -> AdoptedPolicy? {
        PolicyInForce.select(adoptions, on: date) { $0.effectiveFrom }
    }

    /// What the caseload projection reads: the workforce, the policies, what opens, closes, levels or staffs an
    /// episode, and who is in a family. Feeding the fold only the types that change these gives the same caseload
    /// (`FoldEquivalenceTests`).
    static let caseloadReads: Set<StateChange> = [
        .policies, .workforce, .episodes, .levels, .staffing, .members,
    ]

    /// The types the caseload projection reads: those whose declarations say they change `caseloadReads`.
    public static let caseloadTypes = EventTypeSet(EventKind.names(changing: caseloadReads))

    /// The types the families and PbR projections read (without obligations): those that change anything the
    /// fold keeps beyond obligations (visits, meetings, notes and the like change nothing else).
    public static let familyTypes = EventTypeSet(
        EventKind.names(changing: Set(StateChange.allCases)))

    /// The fold cut into `count` shards as the parallel scan cuts the log (`StoredEvent.shard`): every shard
    /// keeps the organisation and the workforce, and each family goes to its shard.
    package func split(into count: Int) -> [LedgerFold] {
        var shards = Array(repeating: self, count: count)
        for index in shards.indices {
            shards[index].families = [:]
            shards[index].outOfOrder = []
        }
        for (ref, family) in families {
            let shard = StoredEvent.shard(ofFamily: ref, count: count)
            shards[shard].families[ref] = family
            if outOfOrder.contains(ref) { shards[shard].outOfOrder.insert(ref) }
        }
        return shards
    }

    /// One fold from shards that each saw every organisation and workforce event and their own families' events.
    package init(merging shards: consuming [LedgerFold]) {
        var shards = shards
        guard !shards.isEmpty else {
            self = LedgerFold()
            return
        }
        // The first shard is moved out, not copied: its families are then this fold's alone, and merging into
        // them does not first copy every one (a copied table is shared, and changing it copies it whole).
        self = shards.removeFirst()
        families.reserveCapacity(shards.reduce(families.count) { $0 + $1.families.count })
        for shard in shards {
            families.merge(shard.families) { kept, _ in kept }
            outOfOrder.formUnion(shard.outOfOrder)
        }
    }

    /// Applies one event.
    public mutating func apply(_ event: StoredEvent) {
        if event.isVoided || event.kind == .eventCorrected || event.kind == .eventVoided { return }
        // The organisation and the workforce here; every other type on a family's stream changes that family.
        switch event.typed {
        case .policyAdopted(let payload):
            guard let adoption = payload.decoded else { return }
            let document: AdoptedPolicy.Document?
            if let name = adoption.profile {
                document = .profile(name)
            } else if let object = adoption.policy {
                document = .custom(JSONWriter.string(.object(object)))
            } else {
                document = nil
            }
            if let document,
                let adopted = AdoptedPolicy(
                    document, effectiveFrom: adoption.effectiveFrom, seq: event.seq)
            {
                // The families with an event on or after the date it is in force from were judged by another
                // policy (by none before the first): each is folded again. Without obligations no policy is
                // read.
                if compliance {
                    for (ref, family) in families {
                        guard let through = family.foldedThrough,
                            adoptions.isEmpty || through >= adopted.effectiveFrom
                        else { continue }
                        outOfOrder.insert(ref)
                    }
                }
                adoptions.append(adopted)
            }
            return
        case .teamDefined(let payload):
            guard let team = payload.decoded else { return }
            teams[team.id] = TeamInfo(
                id: team.id, name: team.name, locality: team.locality, service: team.service)
            return
        case .workerRegistered(let payload):
            guard let registered = payload.decoded else { return }
            let id = StreamName.key(of: event.stream)
            workers[id] = WorkerInfo(
                id: id, name: registered.name, role: registered.role, team: registered.team,
                fte: registered.fte, caseload: registered.caseload.map { ($0.min, $0.max) },
                left: false)
            return
        case .workerChanged(let payload):
            let id = StreamName.key(of: event.stream)
            guard var worker = workers[id], let changed = payload.decoded else { return }
            if let role = changed.role { worker.role = role }
            if let team = changed.team { worker.team = team }
            if let fte = changed.fte { worker.fte = fte }
            if let caseload = changed.caseload { worker.caseload = (caseload.min, caseload.max) }
            workers[id] = worker
            return
        case .workerLeft:
            workers[StreamName.key(of: event.stream)]?.left = true
            return
        case .systemRegistered, .systemRetired, .referralReceived, .familyMemberAdded,
            .familyMemberLeft, .ufrnAssigned, .triageCompleted, .allocationDiscussed,
            .workerAllocated, .workerUnallocated, .referrerContacted, .contactAttempted,
            .consentRecorded, .engagementStarted, .visitCompleted, .meetingAttended,
            .noteRecorded, .supervisionRecorded, .concernRaised, .requirementMet,
            .assessmentCompleted, .planAgreed, .planUpdated, .planDistributed, .reviewCompleted,
            .caseSummaryCompleted, .extensionAgreed, .levelChanged, .stepupRequested,
            .stepupDecided, .transferCompleted, .closureApproved, .caseClosed,
            .pbrCriteriaIdentified, .attendanceRecorded, .offenceRecorded, .employmentRecorded,
            .pbrClaimed, .eventCorrected, .eventVoided, .holdPlaced, .holdLifted, .recordRedacted,
            .unknown:
            break
        }
        guard let ref = event.familyRef else { return }
        if let through = families[ref]?.foldedThrough, event.date < through {
            outOfOrder.insert(ref)
        }
        // The rules are made first: a method of the fold called with one of its families in place would have the
        // whole table copied for every event.
        let rules = FamilyRules(policy: adopted(on: event.date), compliance: compliance)
        Self.fold(event, by: rules, into: &families[ref, default: FamilyState(ref: ref)])
    }

    /// One event of a family's stream, folded into it by `rules` (the policy in force on its date).
    private static func fold(
        _ event: StoredEvent, by rules: FamilyRules, into family: inout FamilyState
    ) {
        family.foldedThrough = max(family.foldedThrough ?? event.date, event.date)
        rules.apply(event, to: &family)
    }

    /// Folds the family `ref` again from scratch, from its events (`events`: every event of the log on its
    /// stream that the fold would be given, corrections applied, in any order; others are ignored) taken in
    /// valid-time order: by date, then by seq, with every policy adopted known. What the family's state is then
    /// does not depend on the order its events were entered in, only on their dates (and, on the same day, on the
    /// order they were recorded).
    public mutating func refold(_ ref: String, events: [StoredEvent]) {
        outOfOrder.remove(ref)
        let own =
            events
            .filter {
                $0.familyRef == ref && !$0.isVoided && $0.kind != .eventCorrected
                    && $0.kind != .eventVoided
            }
            .sorted { ($0.date, $0.seq) < ($1.date, $1.seq) }
        guard !own.isEmpty else {
            families[ref] = nil
            return
        }
        var family = FamilyState(ref: ref)
        for event in own {
            let rules = FamilyRules(policy: adopted(on: event.date), compliance: compliance)
            Self.fold(event, by: rules, into: &family)
        }
        families[ref] = family
    }

    /// Folds again every family out of order (`outOfOrder`), from `events`: the events this fold was given (a
    /// fold made in memory, from a log held whole).
    public mutating func refoldOutOfOrder(from events: [StoredEvent]) {
        guard !outOfOrder.isEmpty else { return }
        var byFamily: [String: [StoredEvent]] = [:]
        for event in events {
            if let ref = event.familyRef, outOfOrder.contains(ref) {
                byFamily[ref, default: []].append(event)
            }
        }
        for ref in outOfOrder { refold(ref, events: byFamily[ref] ?? []) }
    }
}

/// The organisation's part of a snapshot: every member of the fold but its families, which `snapshot()` writes
/// after it, each with its place in an index (`LedgerFold+Snapshot.swift`), so a reader can take a few.
extension LedgerFold {
    func encodeOrganisation(into writer: inout SnapshotWriter) {
        writer.bool(compliance)
        writer.array(adoptions)
        writer.array(workers.values.sorted { $0.id < $1.id })
        writer.array(teams.values.sorted { $0.id < $1.id })
        writer.array(outOfOrder.sorted()) { $0.string($1) }
    }

    /// A fold with the organisation read back and no families.
    init(organisationFrom reader: inout SnapshotReader) throws {
        self.init(compliance: try reader.bool())
        adoptions = try reader.array()
        for worker in try reader.array(WorkerInfo.self) { workers[worker.id] = worker }
        for team in try reader.array(TeamInfo.self) { teams[team.id] = team }
        outOfOrder = Set(try reader.array { try $0.string() })
    }
}

/// A policy adopted in the log, held once by reference (the fold looks it up for every event), with its rules
/// indexed by the event types that can start or meet them.
final class AdoptedPolicy: Sendable {
    /// Where the policy came from: a built-in profile, or a whole policy object (as compact JSON), so that a
    /// checkpoint can hold the adoption and build the same policy again.
    enum Document: Sendable, Equatable {
        case profile(String)
        case custom(String)

        /// The policy it names or holds, if the ledger can read it.
        var policy: Policy? {
            switch self {
            case .profile(let name): PolicyProfiles.profile(name)
            case .custom(let text):
                (try? JSONParser.parse(text).objectValue).flatMap { try? Policy(json: $0) }
            }
        }
    }

    let document: Document
    let policy: Policy
    let effectiveFrom: CivilDate
    let seq: Int
    let calendar: WorkingDayCalendar
    /// Deadline rules by the kind of their `from` event (`EventKind.rawValue`).
    let deadlinesByFrom: [[Int]]
    /// Recurring rules by the kind of their `from` or `event`.
    let recurringByType: [[Int]]
    /// The terms of each rule's obligations, made once (`ObligationTerms`): by deadline, and by deadline and
    /// outcome where the outcome picks the events that meet it.
    let deadlineTerms: [ObligationTerms]
    let deadlineOutcomeTerms: [[String: ObligationTerms]]
    let recurringTerms: [ObligationTerms]
    let flagTerms: [ObligationTerms]
    let durationTerms: [ObligationTerms]
    let closureTerms: ClosureChecks.Terms
    /// A referral awaiting triage, where the policy sets no limit (`Policy.triage`).
    let triageTerms: ObligationTerms

    /// The adoption of `document`, if it names a profile or holds a policy the ledger can read.
    convenience init?(_ document: Document, effectiveFrom: CivilDate, seq: Int) {
        guard let policy = document.policy else { return nil }
        self.init(document, policy: policy, effectiveFrom: effectiveFrom, seq: seq)
    }

    /// The adoption of `document`, which reads as `policy`.
    private init(_ document: Document, policy: Policy, effectiveFrom: CivilDate, seq: Int) {
        self.document = document
        self.policy = policy
        self.effectiveFrom = effectiveFrom
        self.seq = seq
        calendar = policy.calendar
        var deadlines = [[Int]](repeating: [], count: EventKind.allCases.count)
        for (index, rule) in policy.deadlines.enumerated() {
            if let kind = rule.from.kind { deadlines[kind.rawValue].append(index) }
        }
        deadlinesByFrom = deadlines
        var recurring = [[Int]](repeating: [], count: EventKind.allCases.count)
        for (index, rule) in policy.recurring.enumerated() {
            for kind in Set([rule.from.kind, rule.event.kind].compactMap { $0 }) {
                recurring[kind.rawValue].append(index)
            }
        }
        recurringByType = recurring.map { $0.sorted() }
        deadlineTerms = policy.deadlines.map { rule in
            ObligationTerms(
                rule: rule.id, label: rule.label, source: rule.source, kind: .deadline,
                extendable: rule.extendable, targets: rule.to)
        }
        deadlineOutcomeTerms = policy.deadlines.map { rule in
            rule.toByOutcome.mapValues { targets in
                ObligationTerms(
                    rule: rule.id, label: rule.label, source: rule.source, kind: .deadline,
                    extendable: rule.extendable, targets: targets)
            }
        }
        recurringTerms = policy.recurring.map { rule in
            ObligationTerms(
                rule: rule.id, label: rule.label, source: rule.source, kind: .recurring,
                targets: rule.targets)
        }
        flagTerms = policy.flags.map {
            ObligationTerms(rule: $0.id, label: $0.label, source: $0.source, kind: .check)
        }
        durationTerms = policy.durations.map {
            ObligationTerms(rule: $0.id, label: $0.label, source: $0.source, kind: .duration)
        }
        closureTerms = ClosureChecks.Terms(policy)
        triageTerms = ObligationTerms(
            rule: policy.triage.id, label: policy.triage.label, source: policy.triage.source,
            kind: .awaiting)
    }

    /// Every rule id an obligation made under this adoption can carry: the terms above are the only terms
    /// obligations are made with.
    var ruleIDs: Set<String> { Set(terms.map(\.rule)) }

    /// The ids of the rules whose obligations are timed (not checks): those `Reports.Timeliness` counts.
    var timedRuleIDs: Set<String> { Set(terms.filter { $0.kind != .check }.map(\.rule)) }

    private var terms: [ObligationTerms] {
        deadlineTerms + deadlineOutcomeTerms.flatMap(\.values) + recurringTerms + flagTerms
            + durationTerms + [closureTerms.contactStandard, closureTerms.review].compactMap { $0 }
            + [closureTerms.minimumRequirements, triageTerms]
    }
}

/// An adoption is saved as its document: the policy and its indexes are made again from it when read.
extension AdoptedPolicy: SnapshotCodable {
    func encode(into writer: inout SnapshotWriter) {
        writer.date(effectiveFrom)
        writer.int(seq)
        switch document {
        case .profile(let name):
            writer.bool(false)
            writer.string(name)
        case .custom(let text):
            writer.bool(true)
            writer.string(text)
        }
    }

    convenience init(from reader: inout SnapshotReader) throws {
        let from = try reader.date()
        let seq = try reader.int()
        let document: Document =
            try reader.bool() ? .custom(try reader.string()) : .profile(try reader.string())
        guard let policy = document.policy else {
            throw SnapshotError(reason: "a policy adopted at seq \(seq) cannot be read")
        }
        self.init(document, policy: policy, effectiveFrom: from, seq: seq)
    }
}

/// How one event changes a family: its episodes, members, outcomes and, with compliance, its obligations.
struct FamilyRules {
    let policy: AdoptedPolicy?
    let compliance: Bool

    func apply(_ event: StoredEvent, to family: inout FamilyState) {
        let typed = event.typed

        // Family-level facts that outlive episodes.
        switch typed {
        case .referralReceived(let payload):
            guard !family.hasOpenEpisode else { return }
            let referral = payload.decoded
            var episode = Episode(
                number: family.episodes.count + 1, referralID: event.id, openedOn: event.date,
                openedSeq: event.seq)
            episode.source = referral?.source
            if let lastClosed = family.lastClosedOn, event.date <= lastClosed.adding(days: 84) {
                episode.reReferral = true
            }
            if let stepDown = referral?.stepDown {
                episode.stepDownFrom = stepDown.from
                episode.stepDownOn = event.date
            }
            for member in referral?.members ?? [] {
                let person = Person(member)
                family.members.removeAll { $0.id == person.id }
                family.members.append(person)
            }
            for criterion in referral?.criteria ?? [] {
                family.criteria[criterion, default: []].append(event.id)
            }
            if compliance {
                applyFlags(
                    &episode, family: family.ref, event: event, stepDown: referral?.stepDown,
                    lastClosedOn: family.lastClosedOn)
                applyRules(&episode, family: family.ref, event: event, extended: nil)
            }
            family.episodes.append(episode)
            return
        case .familyMemberAdded(let payload):
            if let added = payload.decoded {
                let person = Person(added.member)
                family.members.removeAll { $0.id == person.id }
                family.members.append(person)
            }
        case .familyMemberLeft(let payload):
            if let left = payload.decoded { family.members.removeAll { $0.id == left.memberId } }
        case .ufrnAssigned(let payload):
            family.ufrn = payload.decoded?.ufrn
        case .pbrCriteriaIdentified(let payload):
            for criterion in payload.decoded?.criteria ?? [] {
                family.criteria[criterion, default: []].append(event.id)
            }
        case .attendanceRecorded(let payload):
            if let attendance = payload.decoded,
                (family.attendance[attendance.memberId].map { $0.to <= attendance.to } ?? true)
            {
                family.attendance[attendance.memberId] = (
                    event.id, attendance.to, attendance.percent
                )
            }
        case .offenceRecorded:
            family.offences.append((event.id, event.date))
        case .employmentRecorded(let payload):
            // Counted with what is left of it when its content was redacted.
            let employment = payload.decoded
            family.employment.append(
                (
                    event.id, employment?.memberId ?? "", employment?.benefit ?? "none",
                    employment?.continuousWeeks ?? 0
                ))
        case .pbrClaimed(let payload):
            if let claim = payload.decoded {
                family.claims[claim.kind, default: []].append(event.id)
            }
        case .policyAdopted, .teamDefined, .workerRegistered, .workerChanged, .workerLeft,
            .systemRegistered, .systemRetired, .triageCompleted, .allocationDiscussed,
            .workerAllocated, .workerUnallocated, .referrerContacted, .contactAttempted,
            .consentRecorded, .engagementStarted, .visitCompleted, .meetingAttended,
            .noteRecorded, .supervisionRecorded, .concernRaised, .requirementMet,
            .assessmentCompleted, .planAgreed, .planUpdated, .planDistributed, .reviewCompleted,
            .caseSummaryCompleted, .extensionAgreed, .levelChanged, .stepupRequested,
            .stepupDecided, .transferCompleted, .closureApproved, .caseClosed, .eventCorrected,
            .eventVoided, .holdPlaced, .holdLifted, .recordRedacted, .unknown:
            break
        }
        guard family.hasOpenEpisode else { return }
        // Moved out while it changes, so that its arrays are not copied on write.
        var episode = family.episodes.removeLast()
        defer { family.episodes.append(episode) }
        var extended: ExtensionAgreed?
        var closed: CaseClosed??
        switch typed {
        case .triageCompleted(let payload):
            episode.triaged = true
            if let triage = payload.decoded { setLevel(triage.level, of: &episode, at: event) }
        case .allocationDiscussed(let payload):
            if let level = payload.decoded?.level { setLevel(level, of: &episode, at: event) }
        case .levelChanged(let payload):
            if let change = payload.decoded {
                setLevel(change.level, of: &episode, at: event)
                if change.reason == "step-down" { episode.stepDownOn = event.date }
            }
        case .workerAllocated(let payload):
            if let allocated = payload.decoded {
                let worker = allocated.worker
                episode.workers[worker] = allocated.relationship
                let lead = Lead.allocating(worker, as: allocated.relationship, lead: episode.lead)
                if let previous = episode.lead, previous != lead, episode.workers[previous] != nil {
                    episode.workers[previous] = "assigned"
                }
                episode.lead = lead
                if episode.firstAllocationOn == nil { episode.firstAllocationOn = event.date }
            }
        case .workerUnallocated(let payload):
            if let worker = payload.decoded?.worker {
                episode.workers[worker] = nil
                episode.lead = Lead.unallocating(worker, lead: episode.lead)
            }
        case .transferCompleted(let payload):
            if let worker = payload.decoded?.worker {
                episode.workers = [worker: "lead"]
                episode.lead = Lead.transferring(to: worker, lead: episode.lead)
            }
        case .engagementStarted:
            episode.engaged = true
        case .contactAttempted(let payload):
            if let method = payload.decoded?.method {
                episode.contactAttempts.append((method, event.date))
            }
        case .consentRecorded(let payload):
            if let consent = payload.decoded, consent.scope == "service", consent.given {
                episode.consentGiven = true
            }
        case .assessmentCompleted(let payload):
            read(payload.decoded?.familyStar, of: event, into: &episode)
        case .reviewCompleted(let payload):
            let review = payload.decoded
            read(review?.familyStar, of: event, into: &episode)
            episode.lastReviewOn = event.date
            if let next = review?.nextReviewBy { episode.nextReviewBy = next }
        case .planAgreed(let payload):
            if let plan = payload.decoded {
                episode.nextReviewBy = plan.reviewBy
                if let every = plan.visitEveryDays { episode.visitEveryDays = every }
            }
        case .planUpdated(let payload):
            if let reviewBy = payload.decoded?.reviewBy { episode.nextReviewBy = reviewBy }
        case .requirementMet(let payload):
            if let met = payload.decoded { episode.requirementsMet.insert(met.requirement) }
        case .stepupRequested:
            episode.stepUpRequested = true
        case .stepupDecided(let payload):
            if payload.decoded?.accepted == true { episode.stepUpAcceptedOn = event.date }
        case .supervisionRecorded:
            episode.justifications.append((event.type, event.date, event.actorRole))
        case .extensionAgreed(let payload):
            episode.justifications.append((event.type, event.date, event.actorRole))
            extended = payload.decoded
        case .caseClosed(let payload):
            closed = .some(payload.decoded)
        case .policyAdopted, .teamDefined, .workerRegistered, .workerChanged, .workerLeft,
            .systemRegistered, .systemRetired, .referralReceived, .familyMemberAdded,
            .familyMemberLeft, .ufrnAssigned, .referrerContacted, .visitCompleted,
            .meetingAttended, .noteRecorded, .concernRaised, .planDistributed,
            .caseSummaryCompleted, .closureApproved, .pbrCriteriaIdentified, .attendanceRecorded,
            .offenceRecorded, .employmentRecorded, .pbrClaimed, .eventCorrected, .eventVoided,
            .holdPlaced, .holdLifted, .recordRedacted, .unknown:
            break
        }
        if compliance { applyRules(&episode, family: family.ref, event: event, extended: extended) }
        if let closed {
            close(&episode, family: family.ref, event: event, reason: closed?.reason)
        }
    }

    /// A Family Star reading of an assessment or review: the episode's first, and its latest, by the date the
    /// reading was taken (valid time), not by when it was recorded: a March review entered after May's is not
    /// the latest reading, and PbR's progress is judged on May's (POLICIES.md: "the latest review.completed or
    /// assessment.completed Family Star"). On the same day, the one recorded later stands.
    private func read(
        _ star: FamilyStarScores?, of event: StoredEvent, into episode: inout Episode
    ) {
        guard let star else { return }
        let reading = StarReading(
            eventID: event.id, date: event.date, type: event.type, scores: star.scores)
        if episode.firstStar.map({ reading.date < $0.date }) ?? true { episode.firstStar = reading }
        if episode.latestStar.map({ reading.date >= $0.date }) ?? true {
            episode.latestStar = reading
        }
    }

    // MARK: Compliance

    /// Meets, extends and starts obligations for one event of the open episode.
    private func applyRules(
        _ episode: inout Episode, family ref: String, event: StoredEvent,
        extended: ExtensionAgreed?
    ) {
        // 1. Meet: any open obligation this event answers (deadline and recurring), started by an event before it.
        // A family's events come here in valid-time order (by date, then seq: an event entered late has its family
        // folded again, `LedgerFold.refold`), so an obligation is met by the first answer dated after its clock
        // started, however late that answer was recorded. Fields are read in place: the obligations are not
        // copied.
        for index in episode.obligations.indices
        where episode.obligations[index].metOn == nil
            && episode.obligations[index].lapsedOn == nil
            && episode.obligations[index].checkPassed == nil
            && episode.obligations[index].fromSeq != event.seq
            && episode.obligations[index].targets.contains(where: { $0.matches(event) })
        {
            episode.obligations[index].metOn = event.date
            episode.obligations[index].metSeq = event.seq
        }
        // 2. Extend: a manager's agreed extension moves the due date of what it names. One agreed after the date
        // it moves had passed (004 asks for it when the work "cannot be completed in the allocated time", not
        // once it was not) still moves it, but the obligation says so: a manager reading "met" sees the timescale
        // was missed before it was extended.
        if let extended {
            let what = extended.what
            let until = extended.until
            for index in episode.obligations.indices
            where episode.obligations[index].extendable == what
                && episode.obligations[index].metOn == nil
                && episode.obligations[index].lapsedOn == nil
                && until > episode.obligations[index].dueOn
            {
                let due = episode.obligations[index].dueOn
                if event.date > due {
                    episode.obligations[index].detail =
                        "extended to \(until) on \(event.date), after it fell due on \(due)"
                }
                episode.obligations[index].dueOn = until
            }
        }
        guard let adopted = policy else { return }
        let policy = adopted.policy
        let calendar = adopted.calendar
        // 3. Recurring: an occurrence starts the next period; a `from` starts the first. Only the rules whose
        // event or `from` has this event's type can act on it.
        let level = episode.level(at: event.date, seq: event.seq)
        for ruleIndex in event.kind.map({ adopted.recurringByType[$0.rawValue] }) ?? [] {
            let rule = policy.recurring[ruleIndex]
            if let levels = rule.levels, !levels.contains(level ?? "") { continue }
            let interval = Self.interval(
                of: rule, at: level, episode: episode, from: event.date, calendar)
            if let current = episode.recurringCurrent[rule.id], rule.event.matches(event) {
                if episode.obligations[current].metSeq == event.seq {
                    episode.obligations.append(
                        makeRecurring(
                            adopted.recurringTerms[ruleIndex], family: ref, episode: episode,
                            event: event,
                            due: interval.after(event.date, in: calendar)))
                    episode.recurringCurrent[rule.id] = episode.obligations.count - 1
                }
            } else if episode.recurringCurrent[rule.id] == nil, rule.from.matches(event) {
                let due = (rule.firstWithin ?? interval).after(event.date, in: calendar)
                episode.obligations.append(
                    makeRecurring(
                        adopted.recurringTerms[ruleIndex], family: ref, episode: episode,
                        event: event, due: due))
                episode.recurringCurrent[rule.id] = episode.obligations.count - 1
            }
        }
        // 4. Deadlines started by this event.
        for ruleIndex in event.kind.map({ adopted.deadlinesByFrom[$0.rawValue] }) ?? [] {
            let rule = policy.deadlines[ruleIndex]
            guard rule.from.matches(event) else { continue }
            if let levels = rule.levels, !levels.contains(level ?? "") { continue }
            if rule.firstOnly {
                if episode.firstSeen.contains(rule.id) { continue }
                episode.firstSeen.insert(rule.id)
            }
            var within = rule.within
            var terms = adopted.deadlineTerms[ruleIndex]
            if !rule.withinByOutcome.isEmpty {
                let outcome =
                    event.data["outcome"].map { value -> String in
                        if case .number(let text) = value { return text }
                        return value.stringValue ?? ""
                    } ?? ""
                guard let scale = rule.withinByOutcome[outcome] else { continue }
                within = scale
                if let special = adopted.deadlineOutcomeTerms[ruleIndex][outcome] {
                    terms = special
                }
            }
            var due: CivilDate?
            if let within { due = within.after(event.date, in: calendar) }
            if let field = rule.dueByField,
                let byField = event.data[field]?.stringValue.flatMap(CivilDate.init)
            {
                due = min(due ?? byField, byField)
            }
            guard let dueOn = due else { continue }
            episode.obligations.append(
                Obligation(
                    family: ref, episode: episode.number, terms: terms, fromSeq: event.seq,
                    fromDate: event.date, dueOn: dueOn))
        }
    }

    /// How long after `date` a recurring rule's next occurrence is due, at `level`: the level's interval (or the
    /// rule's), shortened by the latest plan's day count where the rule reads one and it is shorter.
    private static func interval(
        of rule: Policy.Recurring, at level: String?, episode: Episode, from date: CivilDate,
        _ calendar: WorkingDayCalendar
    ) -> Timescale {
        let interval = rule.everyByLevel[level ?? ""] ?? rule.every
        if rule.everyDaysField != nil, let days = episode.visitEveryDays {
            let candidate = Timescale.days(days)
            if candidate.after(date, in: calendar) < interval.after(date, in: calendar) {
                return candidate
            }
        }
        return interval
    }

    /// Sets the episode's level from an event. A level change recorded late, dated before occurrences already
    /// folded, has its family folded again in date order (`LedgerFold.refold`): the recurring obligations after
    /// it are then made at the level in force on their dates (the Leicestershire case: a review after an
    /// escalation to intensive is next due in 12 weeks, not 6, however late the escalation was recorded).
    private func setLevel(_ level: String, of episode: inout Episode, at event: StoredEvent) {
        episode.setLevel(level, on: event.date, seq: event.seq)
    }

    private func makeRecurring(
        _ terms: ObligationTerms, family: String, episode: Episode, event: StoredEvent,
        due: CivilDate
    )
        -> Obligation
    {
        Obligation(
            family: family, episode: episode.number, terms: terms, fromSeq: event.seq,
            fromDate: event.date, dueOn: due)
    }

    /// Flags checked at referral (Birmingham step-down entry, CP step-down; re-referral where the policy asks).
    private func applyFlags(
        _ episode: inout Episode, family ref: String, event: StoredEvent,
        stepDown: ReferralReceived.StepDown?, lastClosedOn: CivilDate?
    ) {
        guard let adopted = policy else { return }
        for (flagIndex, flag) in adopted.policy.flags.enumerated() {
            var passed: Bool?
            var detail: String?
            switch flag.kind {
            case .stepDownEntry:
                guard let stepDown else { continue }
                let plan = stepDown.planCompleted
                let summary = stepDown.closureSummary
                // Consent is judged when the projection is read (it may be recorded just after the referral).
                passed = plan && summary
                if !(plan && summary) {
                    detail = [
                        plan ? nil : "plan not completed", summary ? nil : "no closure summary",
                    ].compactMap { $0 }
                        .joined(separator: ", ")
                }
            case .cpStepDown:
                guard stepDown?.from == "cp" else { continue }
                passed = false
                detail = "stepped down from a child protection plan"
            case .reReferral(let within):
                // The window is the policy's; the families projection's reReferral column is the spec's 12 weeks.
                guard let lastClosedOn,
                    event.date <= within.after(lastClosedOn, in: adopted.calendar)
                else {
                    continue
                }
                passed = false
                detail = "re-referred within \(within) of the last closure"
            }
            guard let passed else { continue }
            episode.obligations.append(
                Obligation(
                    family: ref, episode: episode.number, terms: adopted.flagTerms[flagIndex],
                    fromSeq: event.seq,
                    fromDate: event.date, dueOn: event.date, checkPassed: passed, detail: detail))
        }
    }

    /// Closure: standards checked at the closing event, then what was still open lapses (or stays overdue).
    private func close(
        _ episode: inout Episode, family ref: String, event: StoredEvent, reason: String?
    ) {
        episode.closedOn = event.date
        episode.closeReason = reason
        guard compliance, let adopted = policy else { return }
        for check in ClosureChecks.evaluate(
            episode: episode, event: event, reason: reason ?? "", adopted: adopted)
        {
            var obligation = check
            obligation.family = ref
            episode.obligations.append(obligation)
        }
        for index in episode.obligations.indices
        where episode.obligations[index].metOn == nil
            && episode.obligations[index].checkPassed == nil
            && episode.obligations[index].lapsedOn == nil
        {
            // Fell due while open and unmet: stays overdue. Not yet due: lapses.
            if episode.obligations[index].dueOn >= event.date {
                episode.obligations[index].lapsedOn = event.date
            }
        }
        if let duration = ClosureChecks.duration(
            episode: episode, adopted: adopted, family: ref, asOf: event.date)
        {
            episode.obligations.append(duration)
        }
        // A closed episode takes no more events (a void of its closure is applied before the fold sees it, and a
        // checkpoint is not used when one comes after it): what only open episodes and closure read is let go,
        // and its obligations are kept at their count, not at the capacity the list doubled to while growing (a
        // third more, on average, of the fold's largest part).
        episode.contactAttempts = []
        episode.justifications = []
        episode.firstSeen = []
        episode.recurringCurrent = [:]
        if episode.obligations.capacity > episode.obligations.count {
            var exact: [Obligation] = []
            exact.reserveCapacity(episode.obligations.count)
            exact.append(contentsOf: episode.obligations)
            episode.obligations = exact
        }
    }
}

extension LedgerFold {
    /// Obligations for still-open episodes that depend on "today": durations, and consent for step-down entry.
    public func finishedObligations(_ family: FamilyState, asOf: CivilDate) -> [Obligation] {
        var all: [Obligation] = []
        for episode in family.episodes {
            var obligations = episode.obligations
            if episode.isOpen, let adopted = adopted(on: asOf),
                let duration = ClosureChecks.duration(
                    episode: episode, adopted: adopted, family: family.ref, asOf: asOf)
            {
                obligations.append(duration)
            }
            if let awaiting = awaitingTriage(episode, family: family.ref, asOf: asOf) {
                obligations.append(awaiting)
            }
            for index in obligations.indices {
                obligations[index].responsible = Lead.current(episode, roster: workers)
                if obligations[index].rule == "step-down-entry",
                    obligations[index].checkPassed == true, !episode.consentGiven
                {
                    obligations[index].checkPassed = false
                    obligations[index].detail = "no consent to the service recorded"
                }
            }
            all.append(contentsOf: obligations)
        }
        return all
    }

    /// A referral no one has triaged, allocated or engaged yet, under a policy (the one in force at the referral)
    /// that sets no limit on triage: an open item with its age, never judged late (issue 21). Where the policy
    /// sets a limit, its deadline from the referral judges it instead.
    func awaitingTriage(_ episode: Episode, family ref: String, asOf: CivilDate) -> Obligation? {
        guard episode.isOpen, !episode.triaged, episode.workers.isEmpty, !episode.engaged,
            episode.stepUpAcceptedOn == nil,
            let adopted = adopted(on: episode.openedOn), !adopted.policy.limitsTriage
        else { return nil }
        let days = episode.openedOn.days(until: max(asOf, episode.openedOn))
        return Obligation(
            family: ref, episode: episode.number, terms: adopted.triageTerms,
            fromSeq: episode.openedSeq,
            fromDate: episode.openedOn, dueOn: episode.openedOn,
            detail: Obligation.awaitingDetail(days: days, referredOn: episode.openedOn)
        )
    }
}
