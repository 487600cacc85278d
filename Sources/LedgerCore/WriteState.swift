import EventLog

/// What the write side must know about the log to judge the next event: stream versions, open episodes,
/// registered workers, the policies adopted. Derived from the log alone (`apply`), and checkpointed beside it
/// so an append does not replay the whole log (`WriteStateStore`).
public struct WriteState: Sendable, Equatable {
    /// A family's write-side state.
    public struct Family: Sendable, Equatable {
        public var open = false
        public var closureApproved = false
        /// The seqs of the latest episode's closure, and of the approval in force (kept as seqs, not ids: the
        /// state file is read whole by every append, so what it holds for each family is kept short).
        public var lastClosure: Int?
        public var approval: Int?
        /// The family's members, with those who have left (`until`), so that a correction is judged against the
        /// members at its target's place in the log.
        public var members: [String: Member] = [:]
        /// The `hold.placed` events on the family's stream not yet lifted.
        public var holds: [Hold] = []
        /// The `record.redacted` (retention-ended) that disposed of the family's record: it takes no more events.
        public var disposed: Disposal?
        /// The seq of the referral that opened the latest episode (0: none, or voided).
        public var openedAt = 0
        /// The events after that referral that needed its episode open, less those voided since: a referral
        /// with any is not voided (they would stand in no episode).
        public var dependents = 0
        /// The seqs of the UFRNs assigned: each named the youngest child at its place (it was judged so), so
        /// one is wrong after a correction exactly when the youngest child at its place changes.
        public var ufrns: [Int] = []
        /// The closures by a non-manager, with the approval each had: a void of the approval, or of a policy,
        /// must leave each the sign-off the policy in force at its date needs.
        public var signOffs: [SignOff] = []
        /// Each episode's dates in valid time: the projections fold a family's events by date, so an event dated
        /// where no episode was open would stand in none (`validTimeRefusal`). The latest episode's apart from
        /// the earlier ones (none for most families): a family is copied out of its table to be read, and each
        /// array it holds is retained by the copy.
        public var latestSpan: EpisodeSpan?
        public var earlierSpans: [EpisodeSpan] = []
        /// The latest episode's latest work: a closure dated before it would leave work after the closure, in
        /// no episode.
        public var work = WorkDates()
        /// The seqs of the events entered while the latest episode was open but dated inside an earlier one:
        /// late entries that stand there, not dependents of this episode's referral.
        public var lateEntries: [Int] = []

        /// Every episode's dates, the latest last.
        public var spans: [EpisodeSpan] {
            get { earlierSpans + (latestSpan.map { [$0] } ?? []) }
            set {
                latestSpan = newValue.last
                earlierSpans = Array(newValue.dropLast())
            }
        }

        /// The date a closure of the latest episode may not come before.
        public var workThrough: CivilDate? { work.through }
    }

    /// An event of the latest episode's work: its date and seq.
    public struct WorkDate: Sendable, Equatable {
        public var date: CivilDate
        public var seq: Int

        func isBefore(_ other: WorkDate) -> Bool { (date, seq) < (other.date, other.seq) }
    }

    /// The latest episode's three latest-dated events of work (by date, then seq), in place (no array: see
    /// `Family.latestSpan`), and the latest date of those let go of (its referral's at first). A void of one kept
    /// takes it off, so a wrong date voided does not hold the closure back; once the three are voided, the
    /// floor still counts.
    public struct WorkDates: Sendable, Equatable {
        /// Oldest first; nils before the others.
        private var first: WorkDate?
        private var second: WorkDate?
        private var third: WorkDate?
        public var floor: CivilDate?

        public init(floor: CivilDate? = nil, kept: [WorkDate] = []) {
            self.floor = floor
            for work in kept { note(work) }
        }

        /// The kept ones, oldest first.
        public var kept: [WorkDate] { [first, second, third].compactMap { $0 } }

        /// The latest date of work: the latest kept, or the floor.
        var through: CivilDate? {
            guard let latest = third?.date else { return floor }
            return floor.map { max($0, latest) } ?? latest
        }

        /// Takes in one event of work: each slot from the latest down keeps the later of what it holds and what
        /// is carried down to it; what is carried past the last is let go of, into the floor.
        mutating func note(_ work: WorkDate) {
            var carried: WorkDate? = work
            func keep(_ slot: inout WorkDate?) {
                guard let incoming = carried else { return }
                guard let held = slot else {
                    slot = incoming
                    carried = nil
                    return
                }
                if held.isBefore(incoming) {
                    slot = incoming
                    carried = held
                }
            }
            keep(&third)
            keep(&second)
            keep(&first)
            if let dropped = carried { floor = floor.map { max($0, dropped.date) } ?? dropped.date }
        }

        /// Takes off the event at `seq`, when it is kept.
        mutating func remove(seq: Int) {
            guard kept.contains(where: { $0.seq == seq }) else { return }
            let rest = kept.filter { $0.seq != seq }
            self = WorkDates(floor: floor, kept: rest)
        }
    }

    /// An episode's dates: its referral's and, once it closed, its closure's.
    public struct EpisodeSpan: Sendable, Equatable {
        public var opened: CivilDate
        public var closed: CivilDate?
        /// The seq of its closure: a late entry for the episode is judged against the family and the workforce
        /// as they were just before it (its members, its youngest child, the workers registered).
        public var closedSeq: Int?

        /// Whether an event dated `date` and recorded after the episode's events falls inside it when the
        /// family's events are taken by date, then seq: on or after its opening, before its closing day (on that
        /// day the closure, recorded first, comes before it).
        func holds(_ date: CivilDate) -> Bool { Self.holds(date, opened: opened, closed: closed) }

        /// The rule of `holds`, for an episode kept in another shape (Annex A's).
        public static func holds(_ date: CivilDate, opened: CivilDate, closed: CivilDate?) -> Bool {
            date >= opened && closed.map { date < $0 } ?? true
        }
    }

    /// A hold in force: its `hold.placed` event's id and date (a hold is not lifted before it was placed).
    public struct Hold: Sendable, Equatable {
        public var id: String
        public var placed: CivilDate

        public init(id: String, placed: CivilDate) {
            self.id = id
            self.placed = placed
        }
    }

    /// The disposal of a family's record (`record.redacted`, retention-ended): the event's seq, id and date.
    public struct Disposal: Sendable, Equatable {
        public var seq: Int
        public var id: String
        public var on: CivilDate

        public init(seq: Int, id: String, on: CivilDate) {
            self.seq = seq
            self.id = id
            self.on = on
        }
    }

    /// A closure by a non-manager: its seq and date, and the seq of the approval in force then (nil: none).
    public struct SignOff: Sendable, Equatable {
        public var approval: Int?
        public var closure: Int
        public var on: CivilDate
    }

    /// A family member as far as validation needs.
    public struct Member: Sendable, Equatable {
        public var role: String
        public var dob: CivilDate?
        /// Each stay in the family, in order of its start: a member who leaves and is added again has two, so a
        /// correction at a seq inside the first is judged by it.
        public var stays: [Stay]

        /// A stay: the seq of the event that began it (a referral, or `family.member.added`: `added`) and of
        /// the `family.member.left` that ended it (nil: a member now).
        public struct Stay: Sendable, Equatable {
            public var since: Int
            public var until: Int?
            public var added = false
        }

        public init(role: String, dob: CivilDate?, since: Int = 0, until: Int? = nil) {
            self.role = role
            self.dob = dob
            stays = [Stay(since: since, until: until)]
        }

        /// The latest stay's start and end.
        public var since: Int { stays.last?.since ?? 0 }
        public var until: Int? { stays.last?.until }

        /// Whether they were a member just before `seq` (nil: now).
        func isMember(at seq: Int?) -> Bool {
            guard let seq else { return stays.contains { $0.until == nil } }
            return stays.contains { $0.since < seq && ($0.until.map { $0 >= seq } ?? true) }
        }

        /// Adds a stay, in order.
        mutating func insert(_ stay: Stay) {
            stays.append(stay)
            stays.sort { $0.since < $1.since }
        }
    }

    /// A worker as far as validation needs.
    public struct Worker: Sendable, Equatable {
        /// The role held now, in valid time: the role of the latest-dated span of the current registration.
        public var role: String
        public var left: Bool
        /// Each registration: the seq of its `worker.registered` and of the `worker.left` that ended it, so a
        /// correction is judged against the workforce at its target's place.
        public var periods: [Period] = []
        /// Each stretch of one role (from a registration or a `worker.changed`, with or without a role) and the
        /// first event the worker acted in during it: a correction or void of the role that makes those acts a
        /// role they did not hold is refused.
        public var roles: [RoleSpan] = []
        /// The earliest event of a family naming the worker (an allocation, an unallocation or a transfer): its
        /// seq and type. A registration voided must leave one registered by then.
        public var firstNamed: Int?
        public var firstNamedType: String?
        /// The date from which `role` holds to now (an act dated on or after it is judged without a search).
        public private(set) var since = CivilDate(dayNumber: 0)

        public init(
            role: String, left: Bool, periods: [Period] = [], roles: [RoleSpan] = [],
            firstNamed: Int? = nil, firstNamedType: String? = nil
        ) {
            self.role = role
            self.left = left
            self.periods = periods
            self.roles = roles
            self.firstNamed = firstNamed
            self.firstNamedType = firstNamedType
            settle()
        }

        /// Whether they were registered (and had not left) just before `seq` (nil: now).
        func isRegistered(at seq: Int?) -> Bool {
            guard let seq else { return !left }
            return periods.contains { $0.from < seq && ($0.until.map { $0 >= seq } ?? true) }
        }

        /// Whether they had ever been registered by `seq` (nil: now).
        func wasRegistered(by seq: Int?) -> Bool {
            guard let seq else { return true }
            return periods.contains { $0.from < seq }
        }
    }

    /// A registration's span of seqs.
    public struct Period: Sendable, Equatable {
        public var from: Int
        public var until: Int?
        /// The first `worker.allocated` naming the worker while so registered.
        public var firstAllocation: Int?

        public init(from: Int, until: Int? = nil, firstAllocation: Int? = nil) {
            self.from = from
            self.until = until
            self.firstAllocation = firstAllocation
        }

        /// Whether the seq lies in the registration.
        func contains(_ seq: Int) -> Bool {
            from <= seq && (until.map { seq < $0 } ?? true)
        }
    }

    /// A span of one role: where it starts (seq and date), the role, and the first act in it (seq and id).
    public struct RoleSpan: Sendable, Equatable {
        public var from: Int
        public var role: String
        public var firstAct: Int?
        public var firstActID: String?
        /// The `occurredAt` date of the event that starts it.
        public var on: CivilDate
        /// Whether its event set the role (a registration, a `worker.changed` with a role); one that did not
        /// keeps the role in force on its date.
        public var setsRole: Bool

        public init(
            from: Int, role: String, on: CivilDate, setsRole: Bool = true, firstAct: Int? = nil,
            firstActID: String? = nil
        ) {
            self.from = from
            self.role = role
            self.on = on
            self.setsRole = setsRole
            self.firstAct = firstAct
            self.firstActID = firstActID
        }
    }

    /// A registered system (EVENTS.md §2) as far as validation needs.
    public struct System: Sendable, Equatable {
        public var retired: Bool
        /// What it was registered for (`hr-feed`, `data-matching`, …): only an HR feed registers people.
        public var purpose: String = "other"
        /// The seq of its latest registration, and its first act since (seq and id), and its first as an HR feed
        /// (on a worker's stream, or defining a team): a void or a correction of the registration is judged by
        /// them.
        public var since = 0
        public var firstAct: Int?
        public var firstActID: String?
        public var firstHRAct: Int?
        public var firstHRActID: String?
    }

    /// The purpose of a system that may register workers and change their roles (EVENTS.md §2: "a registered
    /// system (an HR feed)").
    public static let hrFeed = "hr-feed"

    /// A policy adoption, and its seq (a correction or void of it is applied by it).
    public struct Adoption: Sendable, Equatable {
        public var effectiveFrom: CivilDate
        public var needsManager: Bool
        public var seq = 0
    }

    /// Events per stream (for `--expect-version`), for streams held in memory (see `base`).
    public package(set) var streamCounts: [String: Int] = [:]
    /// Families by ref, held in memory.
    public package(set) var families: [String: Family] = [:]
    /// Workers by id, held in memory.
    public package(set) var workers: [String: Worker] = [:]
    /// Systems by id, held in memory.
    public package(set) var systems: [String: System] = [:]
    /// Adoptions in log order.
    public package(set) var adoptions: [Adoption] = []
    /// The `hold.placed` events on `org` not yet lifted, once read or changed (else the base's).
    var orgHoldsHeld: [Hold]?
    /// The seqs of the voided events, by stream, once read or changed (else the base's).
    var voidedHeld: [String: [Int]] = [:]
    /// Whether a `record.redacted` is accepted: only from `ledger redact` (which writes it itself) and from
    /// `ledger verify` (which checks the ones it wrote); never from append, ingest or record.
    public var acceptsRedactionRecords = false
    /// Whether the ledger's own set-up events (`ledgerActor`) are accepted: only from `ledger init` and the demo
    /// (which write them themselves) and from `ledger verify` (which checks them); never from append or ingest,
    /// so nobody can act as the ledger on a new log.
    public var acceptsLedgerActor = false
    /// The checkpoint this state was loaded from: streams not in memory are looked up there, so an append
    /// reads only the streams it touches.
    package var base: WriteStateBase?
    /// Streams changed since loading (what the next checkpoint delta must hold).
    package var dirtyStreams: Set<String> = []
    /// Whether events are counted per stream and changes tracked (for `--expect-version` and the checkpoint);
    /// `ledger verify` needs neither.
    package var recordsStreams = true
    /// Adoptions added since loading.
    package var newAdoptions = 0
    /// Whether an adoption was corrected or voided since loading (the next checkpoint is a new base).
    package var adoptionsAmended = false

    /// An empty state (an empty log).
    public init() {}

    public static func == (lhs: WriteState, rhs: WriteState) -> Bool {
        lhs.streamCounts == rhs.streamCounts && lhs.families == rhs.families
            && lhs.workers == rhs.workers
            && lhs.systems == rhs.systems && lhs.adoptions == rhs.adoptions
            && lhs.orgHolds == rhs.orgHolds
            && lhs.voidedHeld.filter { !$0.value.isEmpty }
                == rhs.voidedHeld.filter { !$0.value.isEmpty }
    }

    /// The seqs of a stream's voided events (a voided event is not corrected or voided again).
    public func voided(on stream: String) -> [Int] {
        voidedHeld[stream] ?? base?.voided(stream) ?? []
    }

    /// The holds in force on `org` (every family), by id.
    public var orgHolds: [String] { orgHoldList.map(\.id) }

    /// The holds in force on `org`.
    public var orgHoldList: [Hold] { orgHoldsHeld ?? base?.orgHolds() ?? [] }

    /// The holds in force on a stream (`org` or `family:<ref>`), by id.
    public func holds(on stream: String) -> [String] { holdList(on: stream).map(\.id) }

    /// The holds in force on a stream (`org` or `family:<ref>`).
    public func holdList(on stream: String) -> [Hold] {
        stream == "org" ? orgHoldList : family(StreamName.key(of: stream))?.holds ?? []
    }

    /// Why a family's lines may not be redacted now, if they may not: a hold in force on it or on `org`
    /// (DATA-PROTECTION.md: a held family is never redacted). `ledger redact` asks before it writes, and the
    /// `record.redacted` it writes is judged by it again (`check`), by append and by verify alike.
    public func redactionRefusal(family ref: String) -> String? {
        let stream = "family:" + ref
        let holds =
            holds(on: stream).map { "hold \($0) on \(stream)" }
            + orgHolds.map { "hold \($0) on org" }
        if holds.isEmpty { return nil }
        return
            "family \(ref) is held (\(holds.joined(separator: "; "))): nothing held may be redacted"
    }

    /// The refusal of any event on a family whose record was disposed of (one wording for append, ingest and
    /// verify).
    static func disposedRule(_ ref: String, _ disposal: Disposal) -> String {
        "family \(ref)'s record was disposed of on \(disposal.on) (record.redacted \"\(disposal.id)\", seq \(disposal.seq), retention-ended): it takes no more events; a new referral needs a new family ref"
    }

    /// Refuses an event on a family whose record was disposed of. `check` applies it too; `ledger verify` asks it
    /// alone of a family whose redacted lines leave the rest of its state unknown.
    public func checkNotDisposed(_ input: EventFacts, line: Int) throws {
        guard input.streamKind == .family, let disposal = episode(input.streamKey)?.disposed else {
            return
        }
        var refusal = ValidationError(
            line: line, field: "stream", rule: Self.disposedRule(input.streamKey, disposal))
        if input.idSupplied { refusal.id = input.id }
        throw refusal
    }

    /// A family's state.
    public func family(_ ref: String) -> Family? { families[ref] ?? base?.family(ref) }

    /// Whether a family is known, and its episode's flags, read where the family is held (a `Family` copied out
    /// retains its strings and its members, which most checks do not need).
    ///
    /// `dated`: the kind and date of an event to judge by its date as well (`Family.judgeDate`), from the same
    /// copy of the family (a family is copied out of the table to be read: each copy retains its arrays, a tenth
    /// of verify's CPU when it was copied three times an event).
    func episode(_ ref: String, dated: (kind: EventKind?, date: CivilDate)? = nil) -> (
        open: Bool, closureApproved: Bool, disposed: Disposal?,
        judged: (refusal: String?, lateFor: Int?)
    )? {
        func flags(_ family: Family) -> (
            open: Bool, closureApproved: Bool, disposed: Disposal?,
            judged: (refusal: String?, lateFor: Int?)
        ) {
            (
                family.open, family.closureApproved, family.disposed,
                dated.map { family.judgeDate($0.kind, on: $0.date) } ?? (nil, nil)
            )
        }
        if let index = families.index(forKey: ref) { return flags(families.values[index]) }
        return base?.family(ref).map(flags)
    }

    /// A worker's state.
    public func worker(_ id: String) -> Worker? { workers[id] ?? base?.worker(id) }

    /// A worker's role and whether they have left, read where the worker is held (a `Worker` copied out retains
    /// its history, which the check of every event's actor does not need).
    func actorState(_ id: String) -> (role: String, left: Bool, since: CivilDate)? {
        if let held = workers[id].map({ (role: $0.role, left: $0.left, since: $0.since) }) {
            return held
        }
        return base?.worker(id).map { (role: $0.role, left: $0.left, since: $0.since) }
    }

    /// A system's state.
    public func system(_ id: String) -> System? { systems[id] ?? base?.system(id) }

    /// Events in a stream.
    public func count(of stream: String) -> Int { streamCounts[stream] ?? base?.count(stream) ?? 0 }

    /// Changes a family's state in place (a copy changed and stored back would copy its members each time). A
    /// held family is found with one probe and changed where it lies (`values[index]`: a dictionary's optional
    /// subscript, changed through, copied the family out and back).
    private mutating func updateFamily(_ ref: String, _ change: (inout Family) -> Void) {
        if let index = families.index(forKey: ref) {
            change(&families.values[index])
        } else {
            var family = base?.family(ref) ?? Family()
            change(&family)
            families[ref] = family
        }
        if recordsStreams { dirtyStreams.insert("family:" + ref) }
    }

    private mutating func updateWorker(_ id: String, _ change: (inout Worker) -> Void) {
        if let index = workers.index(forKey: id) {
            change(&workers.values[index])
        } else {
            guard var known = base?.worker(id) else { return }
            change(&known)
            workers[id] = known
        }
        if recordsStreams { dirtyStreams.insert("worker:" + id) }
    }

    /// What a correction or void points at.
    public struct Target: Sendable {
        public var type: String
        public var stream: String
        /// Its place in the log: a correction is judged as its target was, there.
        public var seq: Int
        /// Whether the target's payload was redacted (nothing is left to correct or void).
        public var redacted = false

        public init(type: String, stream: String, seq: Int, redacted: Bool = false) {
            self.type = type
            self.stream = stream
            self.seq = seq
            self.redacted = redacted
        }
    }

    /// Who may record an event: its type's rule, and the same rule again for a correction or void of it.
    public enum Authority: Int, Comparable, Sendable {
        /// Any registered actor.
        case anyone
        /// A manager or a registered system (an HR feed): registering a worker, changing a worker's role.
        case managerOrSystem
        /// A manager only.
        case manager

        public static func < (lhs: Authority, rhs: Authority) -> Bool {
            lhs.rawValue < rhs.rawValue
        }

        /// Whether an actor in `role` has it (`hrFeed`: the actor is a registered system whose purpose is an HR
        /// feed; a school-attendance or data-matching feed registers nobody).
        func allows(_ role: String, hrFeed: Bool) -> Bool {
            switch self {
            case .anyone: true
            case .managerOrSystem: Role.managers.contains(role) || (role == Role.system && hrFeed)
            case .manager: Role.managers.contains(role)
            }
        }

        /// The roles it names, for a refusal.
        var roles: String {
            switch self {
            case .anyone: "any registered actor"
            case .managerOrSystem:
                "a manager (\(Role.managers.sorted().joined(separator: ", "))) or a registered HR feed (purpose hr-feed)"
            case .manager: "a manager (\(Role.managers.sorted().joined(separator: ", ")))"
            }
        }
    }

    /// The id the ledger writes as itself (`ledger init`): it needs no registration, and may record only the
    /// set-up of a log (adopting its policy, registering its first systems) before any worker is registered.
    public static let ledgerActor = "ledger"

    /// Whether the log is still being set up: no worker registered yet (worker streams are followed by every
    /// verifier shard, so each judges this alike).
    func isSettingUp() -> Bool {
        guard workers.isEmpty else { return false }
        return !(base?.allStreams().contains { $0.hasPrefix("worker:") } ?? false)
    }

    /// Who may record an event of `kind` with `data`, by its type alone (`case.closed`'s sign-off, which
    /// depends on the episode, is judged by the caller).
    static func authority(for kind: EventKind?, _ typed: TypedData) -> Authority {
        if kind?.managerOnly ?? false { return .manager }
        switch typed {
        // A worker's record (role, team, FTE, caseload limit) is kept by a manager or the HR feed: a worker who
        // could change it could hide their own over-limit caseload or move a colleague's (EVENTS.md §2 names the
        // role; the same holds for the rest of the record, the seeds' caseload limits being a manager's to set).
        // A leaver is recorded the same way: once recorded, the worker can no longer act.
        case .workerRegistered, .workerChanged, .workerLeft: return .managerOrSystem
        // The organisation's teams are kept the same way (an HR feed defines them). Registering and retiring a
        // system, and adopting a policy, are a manager's (declared so: `manager: true`).
        case .teamDefined: return .managerOrSystem
        case .policyAdopted, .systemRegistered, .systemRetired, .referralReceived,
            .familyMemberAdded, .familyMemberLeft, .ufrnAssigned, .triageCompleted,
            .allocationDiscussed, .workerAllocated, .workerUnallocated, .referrerContacted,
            .contactAttempted, .consentRecorded, .engagementStarted, .visitCompleted,
            .meetingAttended, .noteRecorded, .supervisionRecorded, .concernRaised, .requirementMet,
            .assessmentCompleted, .planAgreed, .planUpdated, .planDistributed, .reviewCompleted,
            .caseSummaryCompleted, .extensionAgreed, .levelChanged, .stepupRequested,
            .stepupDecided, .transferCompleted, .closureApproved, .caseClosed,
            .pbrCriteriaIdentified, .attendanceRecorded, .offenceRecorded, .employmentRecorded,
            .pbrClaimed, .eventCorrected, .eventVoided, .holdPlaced, .holdLifted, .recordRedacted,
            .unknown:
            return .anyone
        }
    }

    /// Who may correct or void an event of `kind`: whoever may record it, and a manager for the events that
    /// found a record (a referral, the policy, a team) or a registration, whatever the correction says.
    func correctionAuthority(for kind: EventKind?, on date: CivilDate) -> Authority {
        switch kind {
        case .referralReceived, .policyAdopted, .teamDefined, .systemRegistered, .systemRetired:
            return .manager
        case .workerRegistered, .workerChanged, .workerLeft: return .managerOrSystem
        case .caseClosed where Self.needsSignOff(adoptions, on: date): return .manager
        case .familyMemberAdded, .familyMemberLeft, .ufrnAssigned, .triageCompleted,
            .allocationDiscussed, .workerAllocated, .workerUnallocated, .referrerContacted,
            .contactAttempted, .consentRecorded, .engagementStarted, .visitCompleted,
            .meetingAttended, .noteRecorded, .supervisionRecorded, .concernRaised, .requirementMet,
            .assessmentCompleted, .planAgreed, .planUpdated, .planDistributed, .reviewCompleted,
            .caseSummaryCompleted, .extensionAgreed, .levelChanged, .stepupRequested,
            .stepupDecided, .transferCompleted, .closureApproved, .caseClosed,
            .pbrCriteriaIdentified, .attendanceRecorded, .offenceRecorded, .employmentRecorded,
            .pbrClaimed, .eventCorrected, .eventVoided, .holdPlaced, .holdLifted, .recordRedacted,
            nil:
            return Self.authority(for: kind, TypedData(kind: kind, data: .empty))
        }
    }

    /// Checks the state-dependent rules for `input`; `lookup` resolves an event id already in the log (or
    /// earlier in this batch) to its type and stream.
    public func check(_ input: EventFacts, line: Int, lookup: (String) throws -> Target?) throws
        -> Void
    {
        // A refusal names the event's id, read only when there is a refusal: the rules never read it, and read
        // for every event it was a string each (and every closure over it retained it, on another core).
        do {
            try checkRules(input, line: line) { id in
                do { return try lookup(id) } catch { throw LookupFailed(error: error) }
            }
        } catch var refusal as ValidationError {
            if input.idSupplied { refusal.id = input.id }
            throw refusal
        } catch let failed as LookupFailed {
            throw failed.error
        }
    }

    /// An error `lookup` threw, passed through `check` as it is.
    private struct LookupFailed: Error {
        let error: any Error
    }

    /// `check`, whose refusals name no id (`check` adds it).
    private func checkRules(_ input: EventFacts, line: Int, lookup: (String) throws -> Target?)
        throws
    {
        let content = input
        func refuse(_ field: String, _ rule: String) -> ValidationError {
            ValidationError(line: line, field: field, rule: rule)
        }
        guard let kind = input.kind, let occurred = input.occurred else {
            throw refuse("type", "\(input.type) is not in the catalogue or its date does not parse")
        }
        let withoutEpisode = kind.allowedWithoutEpisode
        let key = content.streamKey
        // Judged by its date too when it needs an open episode (the contract's "episode's state", in valid time).
        let episode =
            content.streamKind == .family
            ? self.episode(
                key,
                dated: withoutEpisode ? nil : (content.kind, occurred.date))
            : nil
        // A family whose record was disposed of takes nothing more, whoever sends it (first, so that verify, which
        // asks only this of a family whose redacted lines leave the rest unknown, gives the same refusal): what
        // came would be personal data that no retention review could date (no child is left to date it by) and
        // so could never be disposed of.
        if let disposal = episode?.disposed {
            throw refuse("stream", Self.disposedRule(key, disposal))
        }
        let actor = input.actorID
        // The actor: a registered system acting as `system`, or a registered worker who has not left, acting in
        // their registered role; a person's id never as a system, a system's never as a person.
        if input.actorRole == Role.system {
            if worker(actor) != nil {
                throw refuse(
                    "actor.id",
                    "\"\(actor)\" is a person's worker id; a person never acts as system")
            }
            if actor == Self.ledgerActor {
                guard acceptsLedgerActor,
                    content.kind == .policyAdopted || content.kind == .systemRegistered,
                    isSettingUp()
                else {
                    throw refuse(
                        "actor.id",
                        "\"\(actor)\" is the ledger itself: it records only a new log's policy and first systems (ledger init --system)"
                    )
                }
            } else if let system = system(actor) {
                if system.retired {
                    throw refuse("actor.id", "system \"\(actor)\" was retired (system.retired)")
                }
            } else {
                throw refuse(
                    "actor.id",
                    "\"\(actor)\" is not a registered system (a manager records system.registered, or ledger init --system \(actor))"
                )
            }
        } else {
            if system(actor) != nil {
                throw refuse(
                    "actor.id", "\"\(actor)\" is a system's id; a system acts only as role system")
            }
            guard let worker = actorState(actor) else {
                throw refuse(
                    "actor.id",
                    "\"\(actor)\" is not a registered worker (record worker.registered first)")
            }
            if worker.left {
                throw refuse(
                    "actor.id",
                    "\"\(actor)\" has left (worker.left), or their registration was voided")
            }
            // The role is judged on the event's date (EVENTS.md §2, our reading): the role they held that day.
            if occurred.date >= worker.since {
                if worker.role != input.actorRole {
                    throw refuse(
                        "actor.role",
                        "\"\(actor)\" is registered as \(worker.role), not \(input.actorRole)")
                }
            } else if let held = self.worker(actor)?.role(on: occurred.date),
                held != input.actorRole
            {
                throw refuse(
                    "actor.role",
                    "\"\(actor)\" was \(held) on \(occurred.date), not \(input.actorRole) (a role is judged on the event's occurredAt; \(worker.role) from \(worker.since))"
                )
            }
        }
        let type = content.type
        var requiredBecause = ""
        let typed = input.typed
        var required = Self.authority(for: content.kind, typed)
        switch typed {
        case .workerRegistered:
            if let existing = worker(key), !existing.left {
                throw refuse("stream", "worker \(key) is already registered (use worker.changed)")
            }
            if system(key) != nil {
                throw refuse("stream", "\(key) is a system's id; a person needs another id")
            }
        case .workerChanged(let payload):
            try checkRegistered(key, refuse: refuse)
            if payload.decoded?.role != nil, actor == key {
                throw refuse(
                    "actor.id",
                    "\"\(actor)\" cannot change their own role: a manager or the HR system does")
            }
        case .workerLeft:
            try checkRegistered(key, refuse: refuse)
        case .systemRegistered:
            if worker(key) != nil {
                throw refuse("stream", "\(key) is a person's worker id; a system needs another id")
            }
            if let existing = system(key), !existing.retired {
                throw refuse("stream", "system \(key) is already registered")
            }
        case .systemRetired:
            guard let system = system(key) else {
                throw refuse("stream", "system \(key) is not registered")
            }
            if system.retired { throw refuse("stream", "system \(key) was retired already") }
        case .recordRedacted(let payload):
            if !acceptsRedactionRecords {
                throw refuse("type", "record.redacted is written by ledger redact, never by hand")
            }
            // What `ledger redact` enforces that the log can show (its lines are checked by `ledger verify`).
            let redaction = payload.decoded
            let ref = redaction?.family ?? ""
            if let held = redactionRefusal(family: ref) { throw refuse("data.family", held) }
            if redaction?.reason == Redaction.retentionEnded, self.episode(ref)?.open ?? false {
                throw refuse(
                    "data.family",
                    "family \(ref) has an open episode: its retention has not ended (a family with an open episode is never due)"
                )
            }
        case .holdLifted(let payload):
            let hold = payload.decoded?.hold ?? ""
            if let placed = holdList(on: content.stream).first(where: { $0.id == hold }),
                occurred.date < placed.placed
            {
                throw refuse(
                    "occurredAt",
                    "\(occurred.date) is before hold \"\(hold)\" was placed (\(placed.placed)): a hold is lifted on or after the day it was placed"
                )
            }
            if !holds(on: content.stream).contains(hold) {
                let found = try? lookup(hold)
                let why: String
                if let found, found.type != "hold.placed" {
                    why = "\"\(hold.prefix(128))\" is a \(found.type), not a hold.placed"
                } else if let found, found.stream != content.stream {
                    why =
                        "\"\(hold.prefix(128))\" is a hold on \(found.stream), not on \(content.stream)"
                } else if found != nil {
                    why = "hold \"\(hold.prefix(128))\" was lifted already"
                } else {
                    why =
                        "no hold \"\(hold.prefix(128))\" in force on \(content.stream) (none placed, or lifted already)"
                }
                throw refuse("data.hold", why)
            }
        case .policyAdopted, .teamDefined, .referralReceived, .familyMemberAdded, .familyMemberLeft,
            .ufrnAssigned, .triageCompleted, .allocationDiscussed, .workerAllocated,
            .workerUnallocated, .referrerContacted, .contactAttempted, .consentRecorded,
            .engagementStarted, .visitCompleted, .meetingAttended, .noteRecorded,
            .supervisionRecorded, .concernRaised, .requirementMet, .assessmentCompleted,
            .planAgreed, .planUpdated, .planDistributed, .reviewCompleted, .caseSummaryCompleted,
            .extensionAgreed, .levelChanged, .stepupRequested, .stepupDecided, .transferCompleted,
            .closureApproved, .caseClosed, .pbrCriteriaIdentified, .attendanceRecorded,
            .offenceRecorded, .employmentRecorded, .pbrClaimed, .eventCorrected, .eventVoided,
            .holdPlaced, .unknown:
            break
        }
        // A hold or an outcome may come after the episode closed, but not for a family the log has never been
        // referred: a mistyped ref (F-1O2 for F-102) would hold no one, while the real family is redacted.
        if content.streamKind == .family && withoutEpisode && episode == nil
            && content.kind != .eventCorrected && content.kind != .eventVoided
        {
            throw refuse(
                "stream",
                "family \(key) has no referral in the log: \(type) must name a family the ledger has (check the ref)"
            )
        }
        if content.streamKind == .family && !withoutEpisode {
            let isOpen = episode?.open ?? false
            if content.kind == .referralReceived {
                if isOpen {
                    throw refuse(
                        "type",
                        "family \(key) already has an open episode; close it before a new referral")
                }
            } else if !isOpen {
                let closed = episode != nil ? "its episode is closed" : "it has no referral"
                throw refuse(
                    "type",
                    "\(type) needs an open episode and family \(key) has none (\(closed)); only a new referral, outcome events, notes and corrections are accepted"
                )
            }
            if let refusal = episode?.judged.refusal { throw refuse("occurredAt", refusal) }
        }
        // A late entry for an earlier episode is judged as the family and the workforce were in that episode.
        let lateFor = episode?.judged.lateFor
        try checkData(typed, key: key, field: "data", at: lateFor, refuse: refuse)
        // A correction or void: its target, and the replacement data of a correction.
        var amendment: (targetID: String, replacement: JSONObject?)?
        switch typed {
        case .eventCorrected(let payload):
            let correction = payload.decoded
            amendment = (correction?.target ?? "", correction?.data)
        case .eventVoided(let payload):
            amendment = (payload.decoded?.target ?? "", nil)
        case .caseClosed:
            let policyNeeds = Self.needsSignOff(adoptions, on: occurred.date)
            if policyNeeds && !(episode?.closureApproved ?? false) {
                required = .manager
                requiredBecause =
                    " (the policy in force needs a manager's sign-off: a manager closes it, or a closure.approved first)"
            }
        case .policyAdopted, .teamDefined, .workerRegistered, .workerChanged, .workerLeft,
            .systemRegistered, .systemRetired, .referralReceived, .familyMemberAdded,
            .familyMemberLeft, .ufrnAssigned, .triageCompleted, .allocationDiscussed,
            .workerAllocated, .workerUnallocated, .referrerContacted, .contactAttempted,
            .consentRecorded, .engagementStarted, .visitCompleted, .meetingAttended, .noteRecorded,
            .supervisionRecorded, .concernRaised, .requirementMet, .assessmentCompleted,
            .planAgreed, .planUpdated, .planDistributed, .reviewCompleted, .caseSummaryCompleted,
            .extensionAgreed, .levelChanged, .stepupRequested, .stepupDecided, .transferCompleted,
            .closureApproved, .pbrCriteriaIdentified, .attendanceRecorded, .offenceRecorded,
            .employmentRecorded, .pbrClaimed, .holdPlaced, .holdLifted, .recordRedacted, .unknown:
            break
        }
        var later: (Target, String, EventKind?, JSONObject?)?
        if let (targetID, replacement) = amendment {
            guard let target = try lookup(targetID) else {
                throw refuse("data.target", "no event \"\(targetID.prefix(128))\" in the log")
            }
            if target.stream != content.stream {
                throw refuse(
                    "data.target", "\"\(targetID)\" is on \(target.stream), not \(content.stream)")
            }
            if target.redacted {
                throw refuse(
                    "data.target",
                    "\"\(targetID)\" was redacted (ledger redact): nothing is left of it to correct or void"
                )
            }
            if voided(on: target.stream).contains(target.seq) {
                throw refuse(
                    "data.target",
                    "\"\(targetID)\" was voided (event.voided): it is in no projection; record the event anew"
                )
            }
            let targetKind = EventKind(name: target.type)
            if targetKind == .eventCorrected || targetKind == .eventVoided {
                throw refuse(
                    "data.target",
                    "\"\(targetID)\" is itself a \(target.type); correct the original event")
            }
            if targetKind == .holdPlaced || targetKind == .holdLifted
                || targetKind == .recordRedacted
            {
                throw refuse(
                    "data.target",
                    "\"\(targetID)\" is a \(target.type), which is never corrected or voided (a hold ends with hold.lifted)"
                )
            }
            // Judged as its target would be: the target's role, and the corrected data through every rule of the
            // target's type.
            if content.streamKind == .worker, key == actor,
                [.workerRegistered, .workerChanged, .workerLeft].contains(targetKind)
            {
                throw refuse(
                    "actor.id",
                    "\"\(actor)\" cannot correct or void their own registration, role or leaving (\(target.type) \"\(targetID)\"): a manager or the HR system does"
                )
            }
            var targetNeeds = correctionAuthority(for: targetKind, on: occurred.date)
            if let replacement, let targetType = targetKind?.eventType {
                do {
                    try SchemaChecker.checkObject(replacement, targetType.fields, at: "data.data")
                } catch {
                    throw refuse(
                        error.field, error.rule + " (as \(target.type) \"\(targetID)\" must)")
                }
                do { try TypeRules.check(type: target.type, data: replacement) } catch {
                    // TypeRules name fields from "data."; the replacement sits at "data.data.".
                    throw refuse(
                        error.field.replacingFirst("data", with: "data.data"),
                        error.rule + " (as \(target.type) \"\(targetID)\" must)")
                }
                let corrected = TypedData(kind: targetKind, data: EventData(replacement))
                targetNeeds = max(targetNeeds, Self.authority(for: targetKind, corrected))
                try checkData(corrected, key: key, field: "data.data", at: target.seq) {
                    field, rule in
                    refuse(
                        field,
                        rule
                            + " (as \(target.type) \"\(targetID)\" must, at its place: seq \(target.seq))"
                    )
                }
            }
            // What the log says after the target must still hold with the amendment made (judged once the
            // actor's authority is, below).
            later = (target, targetID, targetKind, replacement)
            if targetKind == .policyAdopted && content.kind == .eventVoided && adoptions.count <= 1
            {
                throw refuse(
                    "data.target",
                    "\"\(targetID)\" is the log's only policy: voiding it would leave no rules in force; adopt the right policy with policy.adopted"
                )
            }
            if targetNeeds > required {
                required = targetNeeds
                requiredBecause = " (it changes \(target.type) \"\(targetID)\", which needs it)"
            }
        }
        // The ledger's own set-up events (checked above) are what `ledger init` is trusted to write.
        let isSetUp = input.actorRole == Role.system && actor == Self.ledgerActor
        let hrFeed = input.actorRole == Role.system && system(actor)?.purpose == Self.hrFeed
        if !isSetUp && !required.allows(input.actorRole, hrFeed: hrFeed) {
            throw refuse(
                "actor.role",
                "\(type) needs \(required.roles), not \(input.actorRole)\(requiredBecause)")
        }
        if let (target, targetID, targetKind, replacement) = later {
            try checkLater(
                amending: target, id: targetID, kind: targetKind, with: replacement,
                voiding: content.kind == .eventVoided, key: key, streamKind: content.streamKind
            ) { refuse("data.target", $0) }
        }
    }

    /// A worker stream's worker is registered and has not left.
    private func checkRegistered(_ key: String, refuse: (String, String) -> ValidationError) throws
    {
        guard let worker = worker(key) else {
            throw refuse("stream", "worker \(key) is not registered")
        }
        if worker.left { throw refuse("stream", "worker \(key) has left") }
    }

    /// The rules an event's data must pass against the state (registered workers, the UFRN against the youngest
    /// child, the family's members): for the event itself (`seq` nil: the state now), and for a correction's
    /// data judged as its target, at the target's place in the log (`seq`: the target's).
    private func checkData(
        _ typed: TypedData, key: String, field prefix: String, at seq: Int?,
        refuse: (String, String) -> ValidationError
    ) throws {
        switch typed {
        case .workerAllocated(let payload):
            let worker = payload.decoded?.worker ?? ""
            guard let registered = self.worker(worker), registered.wasRegistered(by: seq) else {
                throw refuse("\(prefix).worker", "\"\(worker)\" is not a registered worker")
            }
            if !registered.isRegistered(at: seq) {
                throw refuse("\(prefix).worker", "\"\(worker)\" has left")
            }
        case .workerUnallocated(let payload):
            let worker = payload.decoded?.worker ?? ""
            if !(self.worker(worker)?.wasRegistered(by: seq) ?? false) {
                throw refuse("\(prefix).worker", "\"\(worker)\" is not a registered worker")
            }
        case .transferCompleted(let payload):
            if let worker = payload.decoded?.worker,
                !(self.worker(worker)?.wasRegistered(by: seq) ?? false)
            {
                throw refuse("\(prefix).worker", "\"\(worker)\" is not a registered worker")
            }
        case .ufrnAssigned(let payload):
            let assigned = payload.decoded
            if let rule = family(key)?.ufrnRefusal(
                assigned?.ufrn ?? "", locality: assigned?.locality ?? "", at: seq)
            {
                throw refuse("\(prefix).ufrn", rule)
            }
        case .familyMemberLeft(let payload):
            let member = payload.decoded?.memberId ?? ""
            if !(family(key)?.members[member]?.isMember(at: seq) ?? false) {
                throw refuse("\(prefix).memberId", "\"\(member)\" is not a member of the family")
            }
        case .familyMemberAdded(let payload):
            if let member = payload.decoded?.member.id,
                let known = family(key)?.members[member], known.isMember(at: seq),
                seq == nil || known.since != seq
            {
                throw refuse(
                    "\(prefix).member.id", "\"\(member)\" is already a member of the family")
            }
        case .policyAdopted, .teamDefined, .workerRegistered, .workerChanged, .workerLeft,
            .systemRegistered, .systemRetired, .referralReceived, .triageCompleted,
            .allocationDiscussed, .referrerContacted,
            .contactAttempted, .consentRecorded, .engagementStarted, .visitCompleted,
            .meetingAttended, .noteRecorded, .supervisionRecorded, .concernRaised, .requirementMet,
            .assessmentCompleted, .planAgreed, .planUpdated, .planDistributed, .reviewCompleted,
            .caseSummaryCompleted, .extensionAgreed, .levelChanged, .stepupRequested,
            .stepupDecided, .closureApproved, .caseClosed, .pbrCriteriaIdentified,
            .attendanceRecorded, .offenceRecorded, .employmentRecorded, .pbrClaimed,
            .eventCorrected, .eventVoided, .holdPlaced, .holdLifted, .recordRedacted, .unknown:
            break
        }
    }

    /// The adoption in force on `date` (the latest with `effectiveFrom` on or before it, in log order).
    public func adoption(on date: CivilDate) -> Adoption? {
        PolicyInForce.select(adoptions, on: date) { $0.effectiveFrom }
    }

    /// Whether a closure by a non-manager dated `date` needs a manager's sign-off (a `closure.approved`) under
    /// `adoptions`, of which those recorded before `seq` count (nil: all): the one rule for a closure now and
    /// for one re-judged after an approval or a policy is voided or corrected.
    static func needsSignOff(_ adoptions: [Adoption], on date: CivilDate, before seq: Int? = nil)
        -> Bool
    {
        let known = seq.map { seq in adoptions.filter { $0.seq < seq } } ?? adoptions
        return PolicyInForce.select(known, on: date) { $0.effectiveFrom }?.needsManager ?? false
    }

    /// The adoption a `policy.adopted` (or a correction's data for one) makes, at `seq`.
    static func adoption(_ typed: TypedData, seq: Int) -> Adoption? {
        guard case .policyAdopted(let payload) = typed, let adoption = payload.decoded else {
            return nil
        }
        let needs: Bool
        if let name = adoption.profile {
            needs = PolicyProfiles.profile(name)?.closure.needsManager ?? false
        } else {
            // Read as the projections read it (one reader of policy documents), not member by member.
            needs = adoption.policy.flatMap { try? Policy(json: $0) }?.closure.needsManager ?? false
        }
        return Adoption(effectiveFrom: adoption.effectiveFrom, needsManager: needs, seq: seq)
    }

    /// The adoptions with the one at `seq` corrected (`replacement`) or voided (nil).
    static func amending(_ adoptions: [Adoption], at seq: Int, with replacement: EventData?)
        -> [Adoption]
    {
        var amended = adoptions
        if let replacement,
            let corrected = adoption(TypedData(kind: .policyAdopted, data: replacement), seq: seq)
        {
            for index in amended.indices where amended[index].seq == seq {
                amended[index] = corrected
            }
        } else if replacement == nil {
            amended.removeAll { $0.seq == seq }
        }
        return amended
    }

    /// The earliest closure of `family` after `seq` left without the sign-off it needs under `adoptions`.
    static func closureWithoutSignOff(_ family: Family, after seq: Int, _ adoptions: [Adoption])
        -> Int?
    {
        family.signOffs.filter {
            $0.closure > seq && $0.approval == nil
                && needsSignOff(adoptions, on: $0.on, before: $0.closure)
        }.map(\.closure).min()
    }

    /// How a refusal names a closure left without its sign-off.
    static func withoutSignOff(_ closure: Int) -> String {
        "would leave the case.closed at seq \(closure), a closure by a non-manager, without the manager's sign-off the policy in force needs"
    }

    /// Applies an appended (or replayed) event, the `seq`-th of the log. `target` resolves a correction's or
    /// void's target (its type, stream and place).
    public mutating func apply(_ content: EventFacts, seq: Int, target: (String) -> Target?) {
        if recordsStreams {
            streamCounts[content.stream] = count(of: content.stream) + 1
            dirtyStreams.insert(content.stream)
        }
        let key = content.streamKey
        let date = content.occurred?.date ?? CivilDate(dayNumber: 0)
        // The actor's first act in the role span it is judged in (a later correction of that role is judged by
        // it); a system's first act (a void of its registration is judged by it). The id is read only for a
        // first act: facts read in place build it when asked.
        if content.actorRole != Role.system {
            noteAct(of: content, seq: seq, on: date)
        } else if content.actorID != Self.ledgerActor {
            noteSystemAct(
                of: content, seq: seq,
                hr: content.streamKind == .worker || content.kind == .teamDefined)
        }
        if content.streamKind == .family, let kind = content.kind, !kind.allowedWithoutEpisode,
            content.kind != .referralReceived
        {
            // One probe of the table when the family is held (nil: not held), counted where it lies.
            var counted: Bool?
            if let index = families.index(forKey: key) {
                counted = families.values[index].countDependent(on: date, seq: seq)
            }
            if counted == nil, var known = base?.family(key) {
                counted = known.countDependent(on: date, seq: seq)
                families[key] = known
            }
            if counted ?? false, recordsStreams { dirtyStreams.insert(content.stream) }
        }
        switch content.typed {
        case .policyAdopted:
            guard let adoption = Self.adoption(content.typed, seq: seq) else { break }
            adoptions.append(adoption)
            newAdoptions += 1
        case .workerRegistered(let payload):
            let role = payload.decoded?.role ?? ""
            var registered = worker(key) ?? Worker(role: role, left: false)
            registered.periods.append(Period(from: seq))
            registered.roles.append(RoleSpan(from: seq, role: role, on: date))
            registered.settle()
            workers[key] = registered
        case .workerChanged(let payload):
            // Every change starts a span, with a role or not: a correction may give it one, and the acts after
            // it are then judged by its first act.
            let role = payload.decoded?.role
            updateWorker(key) {
                $0.roles.append(
                    RoleSpan(from: seq, role: role ?? $0.role, on: date, setsRole: role != nil))
                $0.settle()
            }
        case .workerLeft:
            updateWorker(key) {
                $0.left = true
                if !$0.periods.isEmpty { $0.periods[$0.periods.count - 1].until = seq }
                $0.settle()
            }
        case .systemRegistered(let payload):
            systems[key] = System(
                retired: false, purpose: payload.decoded?.purpose ?? "other", since: seq)
        case .systemRetired:
            if var existing = system(key) {
                existing.retired = true
                systems[key] = existing
            }
        case .referralReceived(let payload):
            // Opened whatever is left of it (a redacted referral still opened its episode).
            let members = payload.decoded?.members ?? []
            updateFamily(key) { family in
                family.open = true
                family.closureApproved = false
                family.approval = nil
                family.openedAt = seq
                family.dependents = 0
                if let last = family.latestSpan { family.earlierSpans.append(last) }
                family.latestSpan = EpisodeSpan(opened: date)
                family.work = WorkDates(floor: date)
                family.lateEntries = []
                for member in members { family.addMember(member, at: seq) }
            }
        case .familyMemberAdded(let payload):
            if let added = payload.decoded {
                updateFamily(key) { $0.addMember(added.member, at: seq, added: true) }
            }
        case .familyMemberLeft(let payload):
            if let id = payload.decoded?.memberId {
                updateFamily(key) { $0.removeMember(id, at: seq) }
            }
        case .ufrnAssigned:
            updateFamily(key) { $0.ufrns.append(seq) }
        case .closureApproved:
            updateFamily(key) {
                // One dated inside an earlier episode, entered late, is that episode's: it signs off no closure
                // of this one.
                guard $0.latestSpan.map({ date >= $0.opened }) ?? true else { return }
                $0.closureApproved = true
                $0.approval = seq
            }
        case .caseClosed:
            // A closure by a non-manager is kept with the approval it had: a void of that approval, or of the
            // policy that needed none, is judged by it.
            let byManager = Role.managers.contains(content.actorRole)
            updateFamily(key) {
                if !byManager {
                    $0.signOffs.append(
                        SignOff(
                            approval: $0.closureApproved ? $0.approval : nil, closure: seq, on: date
                        ))
                }
                $0.open = false
                $0.closureApproved = false
                $0.lastClosure = seq
                $0.latestSpan?.closed = date
                $0.latestSpan?.closedSeq = seq
            }
        case .eventVoided(let payload):
            guard let targetID = payload.decoded?.target, let found = target(targetID) else {
                break
            }
            voidedHeld[content.stream] = voided(on: content.stream) + [found.seq]
            amend(found, id: targetID, replacement: nil, streamKind: content.streamKind, key: key)
        case .holdPlaced:
            let hold = Hold(
                id: content.id, placed: content.occurred?.date ?? CivilDate(dayNumber: 0))
            if content.streamKind == .org {
                orgHoldsHeld = orgHoldList + [hold]
                if recordsStreams { dirtyStreams.insert("org") }
            } else {
                updateFamily(key) { $0.holds.append(hold) }
            }
        case .holdLifted(let payload):
            guard let hold = payload.decoded?.hold else { break }
            if content.streamKind == .org {
                orgHoldsHeld = orgHoldList.filter { $0.id != hold }
                if recordsStreams { dirtyStreams.insert("org") }
            } else if family(key) != nil {
                updateFamily(key) { $0.holds.removeAll { $0.id == hold } }
            }
        case .recordRedacted(let payload):
            // Retention ended: the family's record is disposed of, and takes no more events.
            guard let redaction = payload.decoded, redaction.reason == Redaction.retentionEnded,
                family(redaction.family) != nil, let on = content.occurred?.date
            else { break }
            updateFamily(redaction.family) {
                $0.disposed = Disposal(seq: seq, id: content.id, on: on)
            }
        case .eventCorrected(let payload):
            guard let correction = payload.decoded, let found = target(correction.target) else {
                break
            }
            let replacement = EventData(correction.data)
            amend(
                found, id: correction.target, replacement: replacement,
                streamKind: content.streamKind, key: key)
            // A corrected allocation names its worker at the target's place.
            noteNamed(
                in: TypedData(kind: EventKind(name: found.type), data: replacement), at: found.seq)
        case .workerAllocated, .workerUnallocated, .transferCompleted:
            noteNamed(in: content.typed, at: seq)
        case .teamDefined, .triageCompleted, .allocationDiscussed, .referrerContacted,
            .contactAttempted, .consentRecorded, .engagementStarted, .visitCompleted,
            .meetingAttended, .noteRecorded, .supervisionRecorded, .concernRaised, .requirementMet,
            .assessmentCompleted, .planAgreed, .planUpdated, .planDistributed, .reviewCompleted,
            .caseSummaryCompleted, .extensionAgreed, .levelChanged, .stepupRequested,
            .stepupDecided, .pbrCriteriaIdentified, .attendanceRecorded, .offenceRecorded,
            .employmentRecorded,
            .pbrClaimed, .unknown:
            break
        }
    }

    /// Notes an act by a person: the first in the role they hold now is kept (held in memory once read, as the
    /// next act reads it again).
    private mutating func noteAct(of content: EventFacts, seq: Int, on date: CivilDate) {
        let actor = content.actorID
        // One probe of the table when the worker is held (nil: not held), noted where it lies.
        var noted: Bool?
        if let index = workers.index(forKey: actor) {
            noted = workers.values[index].noteAct(of: content, seq: seq, on: date)
        }
        if noted == nil, var known = base?.worker(actor) {
            noted = known.noteAct(of: content, seq: seq, on: date)
            workers[actor] = known
        }
        if noted ?? false, recordsStreams { dirtyStreams.insert("worker:" + actor) }
    }

    /// Notes an event of a family naming a worker (see `Worker.noteNamed`).
    private mutating func noteNamed(_ worker: String, seq: Int, type: String, allocation: Bool) {
        var noted = workers[worker]?.noteNamed(seq: seq, type: type, allocation: allocation)
        if noted == nil, var known = base?.worker(worker) {
            noted = known.noteNamed(seq: seq, type: type, allocation: allocation)
            workers[worker] = known
        }
        if noted ?? false, recordsStreams { dirtyStreams.insert("worker:" + worker) }
    }

    /// Notes an act by a system: its first since its registration, and its first as an HR feed (on a worker's
    /// stream, or defining a team).
    private mutating func noteSystemAct(of content: EventFacts, seq: Int, hr: Bool) {
        let system = content.actorID
        // Held once it has acted: most of its acts find both noted already.
        if let held = systems[system], held.firstAct != nil, !hr || held.firstHRAct != nil {
            return
        }
        guard var known = self.system(system) else { return }
        var changed = false
        if known.firstAct == nil {
            known.firstAct = seq
            known.firstActID = content.id
            changed = true
        }
        if hr && known.firstHRAct == nil {
            known.firstHRAct = seq
            known.firstHRActID = content.id
            changed = true
        }
        guard changed else { return }
        systems[system] = known
        if recordsStreams { dirtyStreams.insert("system:" + system) }
    }

    /// Notes the worker a family's event (or a correction of one, at its target's seq) names.
    private mutating func noteNamed(in typed: TypedData, at seq: Int) {
        switch typed {
        case .workerAllocated(let payload):
            if let worker = payload.decoded?.worker {
                noteNamed(worker, seq: seq, type: "worker.allocated", allocation: true)
            }
        case .workerUnallocated(let payload):
            if let worker = payload.decoded?.worker {
                noteNamed(worker, seq: seq, type: "worker.unallocated", allocation: false)
            }
        case .transferCompleted(let payload):
            if let worker = payload.decoded?.worker {
                noteNamed(worker, seq: seq, type: "transfer.completed", allocation: false)
            }
        default:
            break
        }
    }

    /// A correction (`replacement`) or void (nil) of `target`, made to the state of its stream.
    private mutating func amend(
        _ target: Target, id: String, replacement: EventData?, streamKind: StreamKind?,
        key: String
    ) {
        let kind = EventKind(name: target.type)
        switch streamKind {
        case .family?:
            if family(key) != nil {
                updateFamily(key) {
                    $0.amend(kind, seq: target.seq, replacement: replacement)
                }
            }
        case .worker?:
            updateWorker(key) { $0.amend(kind, seq: target.seq, replacement: replacement) }
        case .system?:
            // A registration voided: as if never made; a retirement voided: acting again; a registration
            // corrected: its purpose is the correction's.
            guard var existing = system(key) else { break }
            if replacement == nil, kind == .systemRegistered || kind == .systemRetired {
                existing.retired = kind == .systemRegistered
            } else if let replacement, kind == .systemRegistered, target.seq == existing.since,
                let purpose = SystemRegistered.members.decode(replacement)?.purpose
            {
                existing.purpose = purpose
            }
            systems[key] = existing
        case .org?:
            if kind == .policyAdopted {
                adoptions = Self.amending(adoptions, at: target.seq, with: replacement)
                adoptionsAmended = true
            }
        case .any?, .familyOrOrg?, nil:
            break
        }
    }

    /// Whether the log after `target` still holds once the amendment is made: what it would make of the later
    /// events of the target's stream (a UFRN, a closure's sign-off, a member's leaving, the episode), and of the
    /// acts of a worker whose registration or role it changes. `refuse` words the refusal.
    private func checkLater(
        amending target: Target, id: String, kind: EventKind?, with replacement: JSONObject?,
        voiding: Bool, key: String, streamKind: StreamKind?, refuse: (String) -> ValidationError
    ) throws {
        let what = voiding ? "voiding" : "correcting"
        let data = replacement.map(EventData.init)
        switch streamKind {
        case .family?:
            guard let before = family(key) else { return }
            var after = before
            after.amend(kind, seq: target.seq, replacement: data)
            if voiding && kind == .referralReceived {
                if before.openedAt != target.seq {
                    throw refuse(
                        "\(what) \"\(id)\" would leave its episode's later events, and its closure, in no episode: it did not open the family's latest episode"
                    )
                }
                if before.dependents > 0 {
                    throw refuse(
                        "\(what) \"\(id)\" would leave \(before.dependents) later event(s) of its episode in no episode: void them first"
                    )
                }
            }
            if voiding && kind == .caseClosed && (before.lastClosure != target.seq || before.open) {
                throw refuse(
                    "\(what) \"\(id)\" would leave the referral.received at seq \(before.openedAt) opening an episode while this one was still open"
                )
            }
            if let closure = Self.closureWithoutSignOff(after, after: target.seq, adoptions) {
                throw refuse("\(what) \"\(id)\" \(Self.withoutSignOff(closure))")
            }
            for assigned in after.ufrns where assigned > target.seq {
                guard let was = before.youngestChild(at: assigned) else { continue }
                let now = after.youngestChild(at: assigned)
                if now != was {
                    throw refuse(
                        "\(what) \"\(id)\" would leave the ufrn.assigned at seq \(assigned) wrong: it names child \(was), and the youngest child then would be \(now ?? "unknown (give the children's dob)")"
                    )
                }
            }
            // Each later leaving must still remove a member, each later adding add one who was not.
            var broken: (seq: Int, words: String)?
            for (member, was) in before.members {
                let now = after.members[member]
                for stay in was.stays {
                    if let left = stay.until, left > target.seq, was.isMember(at: left),
                        !(now?.isMember(at: left) ?? false), broken.map({ left < $0.seq }) ?? true
                    {
                        broken = (
                            left,
                            "the family.member.left at seq \(left) naming \"\(member)\", then no member of the family"
                        )
                    }
                    if stay.added, stay.since > target.seq, now?.isMember(at: stay.since) ?? false,
                        broken.map({ stay.since < $0.seq }) ?? true
                    {
                        broken = (
                            stay.since,
                            "the family.member.added at seq \(stay.since) adding \"\(member)\", then a member already"
                        )
                    }
                }
            }
            if let broken { throw refuse("\(what) \"\(id)\" would leave \(broken.words)") }
        case .worker?:
            guard let before = worker(key) else { return }
            var after = before
            after.amend(kind, seq: target.seq, replacement: data)
            if voiding && kind == .workerLeft,
                let again = before.periods.first(where: { $0.from > target.seq })
            {
                throw refuse(
                    "\(what) \"\(id)\" would make worker \(key)'s registration at seq \(again.from) a second one while registered"
                )
            }
            // The earliest later event the amendment breaks (verify's shards each know the acts and the
            // allocations in their own families: the earliest of all is named, as here).
            var broken: (seq: Int, words: String)?
            func note(_ seq: Int, _ words: String) {
                if broken.map({ seq < $0.seq }) ?? true { broken = (seq, words) }
            }
            // Every act in a span whose role the amendment changes, or removes, was in a role not held.
            for span in before.roles {
                guard let act = span.firstAct else { continue }
                let now = after.roleJudging(span)
                if now != span.role {
                    let held = now.map { "as \($0)" } ?? "unregistered"
                    note(
                        act,
                        "would leave \"\(span.firstActID ?? "")\" (seq \(act)), which \(key) recorded as \(span.role), by a worker then \(held); record the change from now on with worker.changed"
                    )
                }
            }
            // A registration voided: what named the worker, and their own later events, while so registered.
            if voiding && kind == .workerRegistered,
                let period = before.periods.first(where: { $0.from == target.seq })
            {
                if let allocated = period.firstAllocation {
                    note(
                        allocated,
                        "would leave the worker.allocated at seq \(allocated) naming \(key), a worker then not registered"
                    )
                }
                if let named = before.firstNamed, !after.wasRegistered(by: named) {
                    note(
                        named,
                        "would leave the \(before.firstNamedType ?? "event") at seq \(named) naming \(key), a worker never registered by then"
                    )
                }
                for span in before.roles where span.from > target.seq && period.contains(span.from)
                {
                    note(
                        span.from,
                        "would leave the worker.changed at seq \(span.from) changing no registration: void it first"
                    )
                }
                if let left = period.until {
                    note(
                        left,
                        "would leave the worker.left at seq \(left) ending no registration: void it first"
                    )
                }
            }
            if let broken {
                var refusal = refuse("\(what) \"\(id)\" \(broken.words)")
                refusal.witness = broken.seq
                throw refusal
            }
        case .system?:
            guard let before = system(key) else { return }
            let latest = target.seq == before.since
            if voiding && kind == .systemRegistered && latest, let act = before.firstAct {
                var refusal = refuse(
                    "\(what) \"\(id)\" would leave \"\(before.firstActID ?? "")\" (seq \(act)), which system \(key) recorded, by a system then not registered; retire it from now on with system.retired"
                )
                refusal.witness = act
                throw refusal
            }
            if voiding && kind == .systemRetired && before.since > target.seq {
                throw refuse(
                    "\(what) \"\(id)\" would make system \(key)'s registration at seq \(before.since) a second one while registered"
                )
            }
            if !voiding && kind == .systemRegistered && latest && before.purpose == Self.hrFeed,
                let purpose = data.flatMap({ SystemRegistered.members.decode($0)?.purpose }),
                purpose != Self.hrFeed, let act = before.firstHRAct
            {
                throw refuse(
                    "\(what) \"\(id)\" would leave \"\(before.firstHRActID ?? "")\" (seq \(act)), which system \(key) recorded as an HR feed, by a system then \(purpose); register an HR feed for what follows"
                )
            }
        case .org? where kind == .policyAdopted:
            // Every closure by a non-manager since is judged again under the policies as amended (verify's shards
            // each judge their own families: the earliest of all is named, as here).
            let amended = Self.amending(adoptions, at: target.seq, with: data)
            var earliest: Int?
            for family in allFamilies() {
                guard let closure = Self.closureWithoutSignOff(family, after: target.seq, amended)
                else { continue }
                earliest = min(earliest ?? closure, closure)
            }
            if let earliest {
                var refusal = refuse("\(what) \"\(id)\" \(Self.withoutSignOff(earliest))")
                refusal.witness = earliest
                throw refusal
            }
        case .org?, .any?, .familyOrOrg?, nil:
            break
        }
    }

    /// Every family's state (those in the checkpoint's base read from it): for the rare amendment that re-judges
    /// the whole log.
    private func allFamilies() -> [Family] {
        var all = families
        for (ref, family) in base?.families() ?? [:] where all[ref] == nil { all[ref] = family }
        return Array(all.values)
    }
}

extension WriteState.Family {
    /// Adds a member at `seq` (`added`: by `family.member.added`): one who is a member already keeps the stay
    /// they are in, one who left begins another.
    mutating func addMember(_ member: FamilyMember, at seq: Int, added: Bool = false) {
        add(member, stay: WriteState.Member.Stay(since: seq, until: nil, added: added))
    }

    /// Ends the member's stay at `seq` (a `family.member.left`).
    mutating func removeMember(_ id: String, at seq: Int) {
        guard var known = members[id], let last = known.stays.indices.last,
            known.stays[last].until == nil
        else { return }
        known.stays[last].until = seq
        members[id] = known
    }

    /// The youngest child just before `seq` (nil: now): the latest dob (ties: the smaller id), or the only
    /// child when no child has a dob.
    func youngestChild(at seq: Int?) -> String? {
        let children = members.filter { $0.value.role == "child" && $0.value.isMember(at: seq) }
        let dated = children.filter { $0.value.dob != nil }
        if let newest = dated.max(by: {
            ($0.value.dob ?? CivilDate(dayNumber: 0), $1.key) < (
                $1.value.dob ?? CivilDate(dayNumber: 0), $0.key
            )
        }) {
            return newest.key
        }
        return children.count == 1 ? children.first?.key : nil
    }

    /// Why a UFRN does not fit the youngest child just before `seq` (nil: now), if it does not (004 §2).
    func ufrnRefusal(_ ufrn: String, locality: String, at seq: Int?) -> String? {
        guard let child = youngestChild(at: seq) else {
            return "the youngest child cannot be told: give the children's dob"
        }
        let expected = UFRN.make(locality: locality, childID: child)
        if ufrn == expected { return nil }
        return "must be \(expected): EH + locality \(locality) + youngest child \(child) + F"
    }

    /// A correction (`replacement`) or void (nil) of the family's event at `seq`, made to its state: the
    /// members it added or removed, its UFRN, its episode's flags (the same for a new event and a judged one).
    mutating func amend(_ kind: EventKind?, seq: Int, replacement: EventData?) {
        if seq > openedAt, replacement == nil, let kind, !kind.allowedWithoutEpisode,
            kind != .referralReceived
        {
            if let late = lateEntries.firstIndex(of: seq) {
                lateEntries.remove(at: late)
            } else if dependents > 0 {
                dependents -= 1
                work.remove(seq: seq)
            }
        }
        switch kind {
        case .referralReceived:
            let kept = removeStays(beganAt: seq)
            if let replacement {
                for member in ReferralReceived.members.decode(replacement)?.members ?? [] {
                    add(member, stay: .init(since: seq, until: kept[member.id] ?? nil))
                }
            } else if openedAt == seq && open {
                open = false
                openedAt = 0
                latestSpan = earlierSpans.popLast()
                work = WriteState.WorkDates()
                lateEntries = []
            }
        case .familyMemberAdded:
            let kept = removeStays(beganAt: seq)
            if let replacement, let member = FamilyMemberAdded.members.decode(replacement)?.member {
                add(member, stay: .init(since: seq, until: kept.first?.value ?? nil, added: true))
            }
        case .familyMemberLeft:
            for (member, known) in members {
                for index in known.stays.indices where known.stays[index].until == seq {
                    members[member]?.stays[index].until = nil
                }
            }
            if let replacement, let member = FamilyMemberLeft.members.decode(replacement)?.memberId,
                let index = members[member]?.stays.lastIndex(where: {
                    $0.since < seq && $0.until.map { $0 >= seq } ?? true
                })
            {
                members[member]?.stays[index].until = seq
            }
        case .ufrnAssigned:
            // A corrected UFRN names the youngest child at its place too (it is judged so).
            if replacement == nil { ufrns.removeAll { $0 == seq } }
        case .closureApproved where replacement == nil:
            if approval == seq {
                closureApproved = false
                approval = nil
            }
            for index in signOffs.indices where signOffs[index].approval == seq {
                signOffs[index].approval = nil
            }
        case .caseClosed where replacement == nil:
            if lastClosure == seq && !open {
                open = true
                lastClosure = nil
                latestSpan?.closed = nil
                latestSpan?.closedSeq = nil
            }
            signOffs.removeAll { $0.closure == seq }
        default:
            break
        }
    }

    /// Counts an event that needed the episode open, when it is; whether it counted.
    /// One dated before the episode opened is a late entry for an earlier episode (the check let it in only
    /// when it stands in one): noted, not counted.
    mutating func countDependent(on date: CivilDate, seq: Int) -> Bool {
        guard open else { return false }
        if let opened = latestSpan?.opened, date < opened {
            lateEntries.append(seq)
            return true
        }
        dependents += 1
        work.note(WriteState.WorkDate(date: date, seq: seq))
        return true
    }

    /// What the date of an event of `kind` on the family's stream says of it: why it would stand in no episode
    /// (`validTimeRefusal`), or, for a late entry dated inside an earlier episode, that episode's closure's seq
    /// (it is judged as the family and the workforce were just before it).
    func judgeDate(_ kind: EventKind?, on date: CivilDate) -> (refusal: String?, lateFor: Int?) {
        guard let last = latestSpan else { return (nil, nil) }
        if open, kind != .referralReceived, kind != .caseClosed, date >= last.opened {
            return (nil, nil)
        }
        if let refusal = validTimeRefusal(kind, on: date) { return (refusal, nil) }
        guard open, date < last.opened else { return (nil, nil) }
        return (nil, earlierSpans.last { $0.holds(date) }?.closedSeq)
    }

    /// Why an event of `kind` dated `date`, judged at the end of the family's log, would stand in no episode
    /// once the family's events are taken by date (as every projection takes them), if it would: a referral
    /// dated before the previous episode closed, a closure dated before its episode's latest work, other work
    /// dated in no episode. Work dated inside an earlier episode is a late entry for it and stands there.
    func validTimeRefusal(_ kind: EventKind?, on date: CivilDate) -> String? {
        guard let last = latestSpan else { return nil }
        switch kind {
        case .referralReceived?:
            guard !open, let closed = last.closed, date < closed else { return nil }
            return
                "\(date) is before the family's previous episode closed (\(closed)): the referral would come inside that episode when the family's events are taken by date, and open none (date it on or after \(closed))"
        case .caseClosed?:
            guard open, let through = workThrough, date < through else { return nil }
            return
                "\(date) is before work of this episode dated \(through): that work would come after the closure when the family's events are taken by date, in no episode (date the closure on or after \(through))"
        default:
            guard open, date < last.opened, !earlierSpans.contains(where: { $0.holds(date) })
            else { return nil }
            if earlierSpans.contains(where: { $0.closed == date }) {
                return
                    "\(date) is the day an earlier episode of the family closed: entered after its closure, the event would come after it when the family's events are taken by date, in no episode (an event of the closing day is recorded before the closure; check the date)"
            }
            return
                "\(date) is before the referral that opened this episode (\(last.opened)) and in no earlier episode: the family had no open episode then, so the event would stand in none (check the date)"
        }
    }

    /// Adds a member's stay (within one they are in already, the member is only brought up to date).
    private mutating func add(_ member: FamilyMember, stay: WriteState.Member.Stay) {
        guard var known = members[member.id] else {
            var new = WriteState.Member(role: member.role, dob: member.dob)
            new.stays = [stay]
            members[member.id] = new
            return
        }
        known.role = member.role
        known.dob = member.dob
        if !known.isMember(at: stay.since + 1) || stay.until != nil { known.insert(stay) }
        members[member.id] = known
    }

    /// Removes the stays that began at `seq`; how each ended, by member.
    private mutating func removeStays(beganAt seq: Int) -> [String: Int?] {
        var ended: [String: Int?] = [:]
        for (id, known) in members {
            guard let index = known.stays.firstIndex(where: { $0.since == seq }) else { continue }
            ended[id] = known.stays[index].until
            var changed = known
            changed.stays.remove(at: index)
            members[id] = changed.stays.isEmpty ? nil : changed
        }
        return ended
    }
}

extension WriteState.Worker {
    /// The index of the role span an act dated `date` is judged in: the latest-dated span starting on or before
    /// it (ties: the later recorded), or before them all the first (a registration's date is when the ledger
    /// learnt of the worker, not when they started: work from before it, typed up since, is in its role).
    /// `before`: only what was recorded before that seq counts.
    func spanIndex(on date: CivilDate, before seq: Int = .max) -> Int? {
        var best: Int?
        var first: Int?
        for index in roles.indices where roles[index].from < seq {
            let key = (roles[index].on, roles[index].from)
            if first.map({ key < (roles[$0].on, roles[$0].from) }) ?? true { first = index }
            if roles[index].on <= date, best.map({ (roles[$0].on, roles[$0].from) < key }) ?? true {
                best = index
            }
        }
        return best ?? first
    }

    /// The role held on `date` (nil: never registered).
    package func role(on date: CivilDate) -> String? {
        if date >= since { return role }
        return spanIndex(on: date).map { roles[$0].role }
    }

    /// The role an act noted in `span` (of another copy of this record) is judged in here: the span's own role
    /// while the span is here; else the role its date falls in among the spans recorded before the act (nil:
    /// unregistered then).
    func roleJudging(_ span: WriteState.RoleSpan) -> String? {
        guard let act = span.firstAct, isRegistered(at: act) else { return nil }
        if let same = roles.first(where: { $0.from == span.from }) { return same.role }
        return spanIndex(on: span.on, before: act).map { roles[$0].role }
    }

    /// Works out what follows from the spans: a span that sets no role keeps the role in force on its date;
    /// `role` and `since` are the latest-dated span's, `left` the latest registration's.
    mutating func settle() {
        for index in roles.indices where !roles[index].setsRole {
            if let previous = spanIndex(on: roles[index].on, before: roles[index].from) {
                roles[index].role = roles[previous].role
            }
        }
        if let current = periods.last { left = current.until != nil }
        var latest: Int?
        for index in roles.indices
        where latest.map({ (roles[$0].on, roles[$0].from) < (roles[index].on, roles[index].from) })
            ?? true
        {
            latest = index
        }
        if let latest {
            role = roles[latest].role
            since = roles[latest].on
        }
    }

    /// Notes the act `content` at `seq` dated `date`: kept when it is the first in the role span it is judged in
    /// (its id read only then); whether it was.
    mutating func noteAct(of content: EventFacts, seq: Int, on date: CivilDate) -> Bool {
        // Most acts are dated in the current role: its span is the last recorded unless a back-dated change came.
        var index = roles.indices.last
        if date < since || index.map({ roles[$0].on != since }) ?? true {
            index = spanIndex(on: date)
        }
        guard let index, roles[index].firstAct == nil else { return false }
        roles[index].firstAct = seq
        roles[index].firstActID = content.id
        return true
    }

    /// Notes a family's event at `seq` naming the worker (`allocation`: a `worker.allocated`, which needs them
    /// registered then); whether it was the first of its kind.
    mutating func noteNamed(seq: Int, type: String, allocation: Bool) -> Bool {
        var changed = false
        if firstNamed.map({ seq < $0 }) ?? true {
            firstNamed = seq
            firstNamedType = type
            changed = true
        }
        if allocation, let index = periods.lastIndex(where: { $0.contains(seq) }),
            periods[index].firstAllocation.map({ seq < $0 }) ?? true
        {
            periods[index].firstAllocation = seq
            changed = true
        }
        return changed
    }

    /// A correction (`replacement`) or void (nil) of the worker's event at `seq`, made to the record: a
    /// registration voided is as if never made (nobody acts under it), a leaving voided, the worker acts again;
    /// a role voided or corrected, the role from then on is what the log now says.
    mutating func amend(_ kind: EventKind?, seq: Int, replacement: EventData?) {
        switch kind {
        case .workerRegistered:
            if let replacement {
                if let role = WorkerRegistered.members.decode(replacement)?.role {
                    for index in roles.indices where roles[index].from == seq {
                        roles[index].role = role
                    }
                }
            } else {
                let period = periods.first { $0.from == seq }
                periods.removeAll { $0.from == seq }
                let end = period?.until ?? Int.max
                roles.removeAll { $0.from >= seq && $0.from < end }
            }
        case .workerChanged:
            guard let index = roles.firstIndex(where: { $0.from == seq }) else { break }
            if let replacement {
                let role = WorkerChanged.members.decode(replacement)?.role
                roles[index].setsRole = role != nil
                if let role { roles[index].role = role }
            } else {
                roles.remove(at: index)
            }
        case .workerLeft where replacement == nil:
            for index in periods.indices where periods[index].until == seq {
                periods[index].until = nil
            }
        default:
            break
        }
        settle()
        left = !(periods.last.map { $0.until == nil } ?? false)
    }
}

extension String {
    func replacingFirst(_ prefix: String, with replacement: String) -> String {
        hasPrefix(prefix) ? replacement + dropFirst(prefix.count) : self
    }
}
