import EventLog

/// What the write side must know about the log to judge the next event: stream versions, open episodes,
/// registered workers, the policies adopted. Derived from the log alone (`apply`), and checkpointed beside it
/// so an append does not replay the whole log (`WriteStateStore`).
public struct WriteState: Sendable, Equatable {
    /// A family's write-side state.
    public struct Family: Sendable, Equatable {
        public var open = false
        public var closureApproved = false
        public var openingReferral: String?
        public var lastClosure: String?
        public var approval: String?
        public var members: [String: Member] = [:]
        /// The ids of the `hold.placed` events on the family's stream not yet lifted.
        public var holds: [String] = []
    }

    /// A family member as far as validation needs.
    public struct Member: Sendable, Equatable {
        public var role: String
        public var dob: CivilDate?
    }

    /// A worker as far as validation needs.
    public struct Worker: Sendable, Equatable {
        public var role: String
        public var left: Bool
    }

    /// A registered system (EVENTS.md §2) as far as validation needs.
    public struct System: Sendable, Equatable {
        public var retired: Bool
        /// What it was registered for (`hr-feed`, `data-matching`, …): only an HR feed registers people.
        public var purpose: String = "other"
    }

    /// The purpose of a system that may register workers and change their roles (EVENTS.md §2: "a registered
    /// system (an HR feed)").
    public static let hrFeed = "hr-feed"

    /// A policy adoption.
    public struct Adoption: Sendable, Equatable {
        public var effectiveFrom: CivilDate
        public var needsManager: Bool
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
    /// The ids of the `hold.placed` events on `org` not yet lifted, once read or changed (else the base's).
    var orgHoldsHeld: [String]?
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

    /// An empty state (an empty log).
    public init() {}

    public static func == (lhs: WriteState, rhs: WriteState) -> Bool {
        lhs.streamCounts == rhs.streamCounts && lhs.families == rhs.families
            && lhs.workers == rhs.workers
            && lhs.systems == rhs.systems && lhs.adoptions == rhs.adoptions
            && lhs.orgHolds == rhs.orgHolds
    }

    /// The holds in force on `org` (every family).
    public var orgHolds: [String] { orgHoldsHeld ?? base?.orgHolds() ?? [] }

    /// The holds in force on a stream (`org` or `family:<ref>`).
    public func holds(on stream: String) -> [String] {
        stream == "org" ? orgHolds : family(StreamName.key(of: stream))?.holds ?? []
    }

    /// A family's state.
    public func family(_ ref: String) -> Family? { families[ref] ?? base?.family(ref) }

    /// Whether a family is known, and its episode's flags, read where the family is held (a `Family` copied out
    /// retains its strings and its members, which most checks do not need).
    func episode(_ ref: String) -> (open: Bool, closureApproved: Bool)? {
        if let flags = families[ref].map({ ($0.open, $0.closureApproved) }) { return flags }
        return base?.family(ref).map { ($0.open, $0.closureApproved) }
    }

    /// A worker's state.
    public func worker(_ id: String) -> Worker? { workers[id] ?? base?.worker(id) }

    /// A system's state.
    public func system(_ id: String) -> System? { systems[id] ?? base?.system(id) }

    /// Events in a stream.
    public func count(of stream: String) -> Int { streamCounts[stream] ?? base?.count(stream) ?? 0 }

    /// Changes a family's state in place (a copy changed and stored back would copy its members each time).
    private mutating func updateFamily(_ ref: String, _ change: (inout Family) -> Void) {
        if families[ref] == nil { families[ref] = base?.family(ref) ?? Family() }
        change(&families[ref, default: Family()])
        if recordsStreams { dirtyStreams.insert("family:" + ref) }
    }

    private mutating func updateWorker(_ id: String, _ change: (inout Worker) -> Void) {
        if workers[id] == nil {
            guard let known = base?.worker(id) else { return }
            workers[id] = known
        }
        change(&workers[id, default: Worker(role: "", left: false)])
        if recordsStreams { dirtyStreams.insert("worker:" + id) }
    }

    /// What a correction or void points at.
    public struct Target: Sendable {
        public var type: String
        public var stream: String
        /// Whether the target's payload was redacted (nothing is left to correct or void).
        public var redacted = false

        public init(type: String, stream: String, redacted: Bool = false) {
            self.type = type
            self.stream = stream
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
        if kind?.eventType.managerOnly ?? false { return .manager }
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
        case .caseClosed where adoption(on: date)?.needsManager ?? false: return .manager
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
        guard let eventType = input.eventType, let occurred = input.occurred else {
            throw refuse("type", "\(input.type) is not in the catalogue or its date does not parse")
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
            guard let worker = worker(actor) else {
                throw refuse(
                    "actor.id",
                    "\"\(actor)\" is not a registered worker (record worker.registered first)")
            }
            if worker.left {
                throw refuse(
                    "actor.id",
                    "\"\(actor)\" has left (worker.left), or their registration was voided")
            }
            if worker.role != input.actorRole {
                throw refuse(
                    "actor.role",
                    "\"\(actor)\" is registered as \(worker.role), not \(input.actorRole)")
            }
        }
        let type = content.type
        var requiredBecause = ""
        let key = content.streamKey
        let episode = content.streamKind == .family ? self.episode(key) : nil
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
        case .recordRedacted:
            if !acceptsRedactionRecords {
                throw refuse("type", "record.redacted is written by ledger redact, never by hand")
            }
        case .holdLifted(let payload):
            let hold = payload.decoded?.hold ?? ""
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
        if content.streamKind == .family && !eventType.allowedWithoutEpisode {
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
        }
        try checkData(typed, key: key, field: "data", correction: false, refuse: refuse)
        // A correction or void: its target, and the replacement data of a correction.
        var amendment: (targetID: String, replacement: JSONObject?)?
        switch typed {
        case .eventCorrected(let payload):
            let correction = payload.decoded
            amendment = (correction?.target ?? "", correction?.data)
        case .eventVoided(let payload):
            amendment = (payload.decoded?.target ?? "", nil)
        case .caseClosed:
            let policyNeeds = adoption(on: occurred.date)?.needsManager ?? false
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
                try checkData(corrected, key: key, field: "data.data", correction: true) {
                    field, rule in
                    refuse(field, rule + " (as \(target.type) \"\(targetID)\" must)")
                }
            }
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
    /// child, the family's members): for the event itself, and for a correction's data judged as its target. A
    /// correction's member ids are not checked against today's members (a member who has left since was one at
    /// the target's place in the log).
    private func checkData(
        _ typed: TypedData, key: String, field prefix: String, correction: Bool,
        refuse: (String, String) -> ValidationError
    ) throws {
        switch typed {
        case .workerAllocated(let payload):
            let worker = payload.decoded?.worker ?? ""
            guard let registered = self.worker(worker) else {
                throw refuse("\(prefix).worker", "\"\(worker)\" is not a registered worker")
            }
            if registered.left { throw refuse("\(prefix).worker", "\"\(worker)\" has left") }
        case .workerUnallocated(let payload):
            let worker = payload.decoded?.worker ?? ""
            if self.worker(worker) == nil {
                throw refuse("\(prefix).worker", "\"\(worker)\" is not a registered worker")
            }
        case .transferCompleted(let payload):
            if let worker = payload.decoded?.worker, self.worker(worker) == nil {
                throw refuse("\(prefix).worker", "\"\(worker)\" is not a registered worker")
            }
        case .ufrnAssigned(let payload):
            let assigned = payload.decoded
            let members = family(key)?.members ?? [:]
            let children = members.filter { $0.value.role == "child" }
            let dated = children.filter { $0.value.dob != nil }
            let youngest: String?
            if let newest = dated.max(by: {
                ($0.value.dob ?? CivilDate(dayNumber: 0), $1.key) < (
                    $1.value.dob ?? CivilDate(dayNumber: 0), $0.key
                )
            }) {
                youngest = newest.key
            } else if children.count == 1 {
                youngest = children.first?.key
            } else {
                youngest = nil
            }
            guard let child = youngest else {
                throw refuse(
                    "\(prefix).ufrn", "the youngest child cannot be told: give the children's dob")
            }
            let locality = assigned?.locality ?? ""
            let expected = UFRN.make(locality: locality, childID: child)
            if assigned?.ufrn != expected {
                throw refuse(
                    "\(prefix).ufrn",
                    "must be \(expected): EH + locality \(locality) + youngest child \(child) + F")
            }
        case .familyMemberLeft(let payload) where !correction:
            let member = payload.decoded?.memberId ?? ""
            if family(key)?.members[member] == nil {
                throw refuse("\(prefix).memberId", "\"\(member)\" is not a member of the family")
            }
        case .familyMemberAdded(let payload) where !correction:
            if let member = payload.decoded?.member.id, family(key)?.members[member] != nil {
                throw refuse(
                    "\(prefix).member.id", "\"\(member)\" is already a member of the family")
            }
        case .policyAdopted, .teamDefined, .workerRegistered, .workerChanged, .workerLeft,
            .systemRegistered, .systemRetired, .referralReceived, .familyMemberAdded,
            .familyMemberLeft, .triageCompleted, .allocationDiscussed, .referrerContacted,
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

    /// Applies an appended (or replayed) event. `targetType` resolves a correction's target type.
    public mutating func apply(_ content: EventFacts, targetType: (String) -> String?) {
        if recordsStreams {
            streamCounts[content.stream] = count(of: content.stream) + 1
            dirtyStreams.insert(content.stream)
        }
        let key = content.streamKey
        switch content.typed {
        case .policyAdopted(let payload):
            guard let adoption = payload.decoded else { break }
            let needs: Bool
            if let name = adoption.profile {
                needs = PolicyProfiles.profile(name)?.closure.needsManager ?? false
            } else {
                // Read as the projections read it (one reader of policy documents), not member by member.
                needs =
                    adoption.policy.flatMap { try? Policy(json: $0) }?.closure.needsManager ?? false
            }
            adoptions.append(Adoption(effectiveFrom: adoption.effectiveFrom, needsManager: needs))
            newAdoptions += 1
        case .workerRegistered(let payload):
            workers[key] = Worker(role: payload.decoded?.role ?? "", left: false)
        case .workerChanged(let payload):
            if let role = payload.decoded?.role { updateWorker(key) { $0.role = role } }
        case .workerLeft:
            updateWorker(key) { $0.left = true }
        case .systemRegistered(let payload):
            systems[key] = System(retired: false, purpose: payload.decoded?.purpose ?? "other")
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
                family.openingReferral = content.id
                for member in members { family.addMember(member) }
            }
        case .familyMemberAdded(let payload):
            if let added = payload.decoded { updateFamily(key) { $0.addMember(added.member) } }
        case .familyMemberLeft(let payload):
            if let id = payload.decoded?.memberId { updateFamily(key) { $0.members[id] = nil } }
        case .closureApproved:
            updateFamily(key) {
                $0.closureApproved = true
                $0.approval = content.id
            }
        case .caseClosed:
            updateFamily(key) {
                $0.open = false
                $0.closureApproved = false
                $0.lastClosure = content.id
            }
        case .eventVoided(let payload):
            guard let target = payload.decoded?.target else { break }
            if content.streamKind == .worker || content.streamKind == .system {
                undoWorkforce(target, key: key, type: targetType(target).flatMap(EventKind.init))
            } else if family(key) != nil {
                undoEpisode(target, key: key, type: targetType(target).flatMap(EventKind.init))
            }
        case .holdPlaced:
            if content.streamKind == .org {
                orgHoldsHeld = orgHolds + [content.id]
                if recordsStreams { dirtyStreams.insert("org") }
            } else {
                updateFamily(key) { $0.holds.append(content.id) }
            }
        case .holdLifted(let payload):
            guard let hold = payload.decoded?.hold else { break }
            if content.streamKind == .org {
                orgHoldsHeld = orgHolds.filter { $0 != hold }
                if recordsStreams { dirtyStreams.insert("org") }
            } else if family(key) != nil {
                updateFamily(key) { $0.holds.removeAll { $0 == hold } }
            }
        case .eventCorrected(let payload):
            guard let correction = payload.decoded else { break }
            let corrected = EventData(correction.data)
            switch targetType(correction.target).flatMap(EventKind.init) {
            case .referralReceived:
                // A corrected referral replaces the member list.
                guard let referral = ReferralReceived.members.decode(corrected),
                    family(key) != nil
                else { break }
                updateFamily(key) { family in
                    family.members = [:]
                    for member in referral.members { family.addMember(member) }
                }
            case .workerRegistered:
                // A corrected role is the role the worker acts in from now on.
                if let role = WorkerRegistered.members.decode(corrected)?.role {
                    updateWorker(key) { $0.role = role }
                }
            case .workerChanged:
                if let role = WorkerChanged.members.decode(corrected)?.role {
                    updateWorker(key) { $0.role = role }
                }
            case .policyAdopted, .teamDefined, .workerLeft, .systemRegistered, .systemRetired,
                .familyMemberAdded, .familyMemberLeft, .ufrnAssigned, .triageCompleted,
                .allocationDiscussed, .workerAllocated, .workerUnallocated, .referrerContacted,
                .contactAttempted, .consentRecorded, .engagementStarted, .visitCompleted,
                .meetingAttended, .noteRecorded, .supervisionRecorded, .concernRaised,
                .requirementMet, .assessmentCompleted, .planAgreed, .planUpdated, .planDistributed,
                .reviewCompleted, .caseSummaryCompleted, .extensionAgreed, .levelChanged,
                .stepupRequested, .stepupDecided, .transferCompleted, .closureApproved, .caseClosed,
                .pbrCriteriaIdentified, .attendanceRecorded, .offenceRecorded, .employmentRecorded,
                .pbrClaimed, .eventCorrected, .eventVoided, .holdPlaced, .holdLifted,
                .recordRedacted, nil:
                break
            }
        case .teamDefined, .ufrnAssigned, .triageCompleted, .allocationDiscussed, .workerAllocated,
            .workerUnallocated, .referrerContacted, .contactAttempted, .consentRecorded,
            .engagementStarted, .visitCompleted, .meetingAttended, .noteRecorded,
            .supervisionRecorded, .concernRaised, .requirementMet, .assessmentCompleted,
            .planAgreed, .planUpdated, .planDistributed, .reviewCompleted, .caseSummaryCompleted,
            .extensionAgreed, .levelChanged, .stepupRequested, .stepupDecided, .transferCompleted,
            .pbrCriteriaIdentified, .attendanceRecorded, .offenceRecorded, .employmentRecorded,
            .pbrClaimed, .recordRedacted, .unknown:
            break
        }
    }

    /// A void on a worker's or system's stream: a registration entered in error is as if never made (nobody acts
    /// under it); a leaving or retirement entered in error, the worker or system acts again. (A voided role
    /// change keeps the role until a manager records the right one: the role before it is not held here.)
    private mutating func undoWorkforce(_ target: String, key: String, type: EventKind?) {
        switch type {
        case .workerRegistered: updateWorker(key) { $0.left = true }
        case .workerLeft: updateWorker(key) { $0.left = false }
        case .systemRegistered, .systemRetired:
            // A registration voided: as if never made; a retirement voided: acting again.
            if var existing = system(key) {
                existing.retired = type == .systemRegistered
                systems[key] = existing
            }
        case .policyAdopted, .teamDefined, .workerChanged, .referralReceived, .familyMemberAdded,
            .familyMemberLeft, .ufrnAssigned, .triageCompleted, .allocationDiscussed,
            .workerAllocated, .workerUnallocated, .referrerContacted, .contactAttempted,
            .consentRecorded, .engagementStarted, .visitCompleted, .meetingAttended, .noteRecorded,
            .supervisionRecorded, .concernRaised, .requirementMet, .assessmentCompleted,
            .planAgreed, .planUpdated, .planDistributed, .reviewCompleted, .caseSummaryCompleted,
            .extensionAgreed, .levelChanged, .stepupRequested, .stepupDecided, .transferCompleted,
            .closureApproved, .caseClosed, .pbrCriteriaIdentified, .attendanceRecorded,
            .offenceRecorded, .employmentRecorded, .pbrClaimed, .eventCorrected, .eventVoided,
            .holdPlaced, .holdLifted, .recordRedacted, nil:
            break
        }
    }

    /// A void on a family's stream, entered in error: undoes what the target did to the episode, where that
    /// can be told.
    private mutating func undoEpisode(_ target: String, key: String, type: EventKind?) {
        updateFamily(key) { family in
            switch type {
            case .caseClosed where family.lastClosure == target && !family.open:
                family.open = true
                family.lastClosure = nil
            case .referralReceived where family.openingReferral == target && family.open:
                family.open = false
                family.openingReferral = nil
            case .closureApproved where family.approval == target:
                family.closureApproved = false
                family.approval = nil
            case .policyAdopted, .teamDefined, .workerRegistered, .workerChanged, .workerLeft,
                .systemRegistered, .systemRetired, .referralReceived, .familyMemberAdded,
                .familyMemberLeft, .ufrnAssigned, .triageCompleted, .allocationDiscussed,
                .workerAllocated, .workerUnallocated, .referrerContacted, .contactAttempted,
                .consentRecorded, .engagementStarted, .visitCompleted, .meetingAttended,
                .noteRecorded, .supervisionRecorded, .concernRaised, .requirementMet,
                .assessmentCompleted, .planAgreed, .planUpdated, .planDistributed, .reviewCompleted,
                .caseSummaryCompleted, .extensionAgreed, .levelChanged, .stepupRequested,
                .stepupDecided, .transferCompleted, .closureApproved, .caseClosed,
                .pbrCriteriaIdentified, .attendanceRecorded, .offenceRecorded, .employmentRecorded,
                .pbrClaimed, .eventCorrected, .eventVoided, .holdPlaced, .holdLifted,
                .recordRedacted, nil:
                break
            }
        }
    }
}

extension WriteState.Family {
    mutating func addMember(_ member: FamilyMember) {
        members[member.id] = WriteState.Member(role: member.role, dob: member.dob)
    }
}

extension String {
    func replacingFirst(_ prefix: String, with replacement: String) -> String {
        hasPrefix(prefix) ? replacement + dropFirst(prefix.count) : self
    }
}
