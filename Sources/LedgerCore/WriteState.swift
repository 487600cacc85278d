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
    public internal(set) var streamCounts: [String: Int] = [:]
    /// Families by ref, held in memory.
    public internal(set) var families: [String: Family] = [:]
    /// Workers by id, held in memory.
    public internal(set) var workers: [String: Worker] = [:]
    /// Systems by id, held in memory.
    public internal(set) var systems: [String: System] = [:]
    /// Adoptions in log order.
    public internal(set) var adoptions: [Adoption] = []
    /// The ids of the `hold.placed` events on `org` not yet lifted, once read or changed (else the base's).
    var orgHoldsHeld: [String]?
    /// Whether a `record.redacted` is accepted: only from `ledger redact` (which writes it itself) and from
    /// `ledger verify` (which checks the ones it wrote); never from append, ingest or record.
    public var acceptsRedactionRecords = false
    /// The checkpoint this state was loaded from: streams not in memory are looked up there, so an append
    /// reads only the streams it touches.
    var base: WriteStateBase?
    /// Streams changed since loading (what the next checkpoint delta must hold).
    var dirtyStreams: Set<String> = []
    /// Whether events are counted per stream and changes tracked (for `--expect-version` and the checkpoint);
    /// `ledger verify` needs neither.
    var recordsStreams = true
    /// Adoptions added since loading.
    var newAdoptions = 0

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
    static func authority(for kind: EventKind?, data: EventData) -> Authority {
        if kind?.eventType.managerOnly ?? false { return .manager }
        switch kind {
        // A leaver is recorded by a manager or the HR feed: once recorded, the worker can no longer act.
        case .workerRegistered, .workerLeft: return .managerOrSystem
        case .workerChanged: return data["role"] != nil ? .managerOrSystem : .anyone
        default: return .anyone
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
        default: return Self.authority(for: kind, data: EventData(JSONObject()))
        }
    }

    /// Checks the state-dependent rules for `input`; `lookup` resolves an event id already in the log (or
    /// earlier in this batch) to its type and stream.
    public func check(_ input: EventFacts, line: Int, lookup: (String) throws -> Target?) throws
        -> Void
    {
        let content = input
        func refuse(_ field: String, _ rule: String) -> ValidationError {
            ValidationError(
                line: line, id: input.idSupplied ? content.id : nil, field: field, rule: rule)
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
                guard content.kind == .policyAdopted || content.kind == .systemRegistered,
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
        var required = Self.authority(for: content.kind, data: input.data)
        var requiredBecause = ""
        let key = content.streamKey
        let episode = content.streamKind == .family ? self.episode(key) : nil
        switch content.kind {
        case .workerRegistered:
            if let existing = worker(key), !existing.left {
                throw refuse("stream", "worker \(key) is already registered (use worker.changed)")
            }
            if system(key) != nil {
                throw refuse("stream", "\(key) is a system's id; a person needs another id")
            }
        case .workerChanged, .workerLeft:
            guard let worker = worker(key) else {
                throw refuse("stream", "worker \(key) is not registered")
            }
            if worker.left { throw refuse("stream", "worker \(key) has left") }
            if content.kind == .workerChanged, input.data["role"] != nil, actor == key {
                throw refuse(
                    "actor.id",
                    "\"\(actor)\" cannot change their own role: a manager or the HR system does")
            }
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
        case .holdLifted:
            let hold = input.data["hold"]?.stringValue ?? ""
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
        default:
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
        try checkData(
            content.kind, input.data, key: key, field: "data", correction: false, refuse: refuse)
        switch content.kind {
        case .caseClosed:
            let policyNeeds = adoption(on: occurred.date)?.needsManager ?? false
            if policyNeeds && !(episode?.closureApproved ?? false) {
                required = .manager
                requiredBecause =
                    " (the policy in force needs a manager's sign-off: a manager closes it, or a closure.approved first)"
            }
        case .eventCorrected, .eventVoided:
            let targetID = input.data["target"]?.stringValue ?? ""
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
            if target.type == "event.corrected" || target.type == "event.voided" {
                throw refuse(
                    "data.target",
                    "\"\(targetID)\" is itself a \(target.type); correct the original event")
            }
            if target.type == "hold.placed" || target.type == "hold.lifted"
                || target.type == "record.redacted"
            {
                throw refuse(
                    "data.target",
                    "\"\(targetID)\" is a \(target.type), which is never corrected or voided (a hold ends with hold.lifted)"
                )
            }
            // Judged as its target would be: the target's role, and the corrected data through every rule of the
            // target's type.
            let targetKind = EventKind(name: target.type)
            if content.streamKind == .worker, key == actor,
                [.workerRegistered, .workerChanged, .workerLeft].contains(targetKind)
            {
                throw refuse(
                    "actor.id",
                    "\"\(actor)\" cannot correct or void their own registration, role or leaving (\(target.type) \"\(targetID)\"): a manager or the HR system does"
                )
            }
            var targetNeeds = correctionAuthority(for: targetKind, on: occurred.date)
            if type == "event.corrected", let targetType = Catalogue.types[target.type],
                let replacement = input.data["data"]?.objectValue
            {
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
                let corrected = EventData(replacement)
                targetNeeds = max(targetNeeds, Self.authority(for: targetKind, data: corrected))
                try checkData(targetKind, corrected, key: key, field: "data.data", correction: true)
                { field, rule in
                    refuse(field, rule + " (as \(target.type) \"\(targetID)\" must)")
                }
            }
            if targetKind == .policyAdopted && type == "event.voided" && adoptions.count <= 1 {
                throw refuse(
                    "data.target",
                    "\"\(targetID)\" is the log's only policy: voiding it would leave no rules in force; adopt the right policy with policy.adopted"
                )
            }
            if targetNeeds > required {
                required = targetNeeds
                requiredBecause = " (it changes \(target.type) \"\(targetID)\", which needs it)"
            }
        default:
            break
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

    /// The rules an event's data must pass against the state (registered workers, the UFRN against the youngest
    /// child, the family's members): for the event itself, and for a correction's data judged as its target. A
    /// correction's member ids are not checked against today's members (a member who has left since was one at
    /// the target's place in the log).
    private func checkData(
        _ kind: EventKind?, _ data: EventData, key: String, field prefix: String, correction: Bool,
        refuse: (String, String) -> ValidationError
    ) throws {
        switch kind {
        case .workerAllocated, .workerUnallocated:
            let worker = data["worker"]?.stringValue ?? ""
            guard let registered = self.worker(worker) else {
                throw refuse("\(prefix).worker", "\"\(worker)\" is not a registered worker")
            }
            if registered.left && kind == .workerAllocated {
                throw refuse("\(prefix).worker", "\"\(worker)\" has left")
            }
        case .transferCompleted:
            if let worker = data["worker"]?.stringValue, self.worker(worker) == nil {
                throw refuse("\(prefix).worker", "\"\(worker)\" is not a registered worker")
            }
        case .ufrnAssigned:
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
            let locality = data["locality"]?.stringValue ?? ""
            let expected = UFRN.make(locality: locality, childID: child)
            if data["ufrn"]?.stringValue != expected {
                throw refuse(
                    "\(prefix).ufrn",
                    "must be \(expected): EH + locality \(locality) + youngest child \(child) + F")
            }
        case .familyMemberLeft where !correction:
            let member = data["memberId"]?.stringValue ?? ""
            if family(key)?.members[member] == nil {
                throw refuse("\(prefix).memberId", "\"\(member)\" is not a member of the family")
            }
        case .familyMemberAdded where !correction:
            if let member = data["member"]?.objectValue?["id"]?.stringValue,
                family(key)?.members[member] != nil
            {
                throw refuse(
                    "\(prefix).member.id", "\"\(member)\" is already a member of the family")
            }
        default:
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
        let data = content.data
        switch content.kind {
        case .policyAdopted:
            let needs: Bool
            if let name = data["profile"]?.stringValue {
                needs = PolicyProfiles.profile(name)?.closure.needsManager ?? false
            } else {
                // Read as the projections read it (one reader of policy documents), not member by member.
                needs =
                    data["policy"]?.objectValue.flatMap { try? Policy(json: $0) }?.closure
                    .needsManager
                    ?? false
            }
            if let date = data["effectiveFrom"]?.stringValue.flatMap(CivilDate.init) {
                adoptions.append(Adoption(effectiveFrom: date, needsManager: needs))
                newAdoptions += 1
            }
        case .workerRegistered:
            workers[key] = Worker(role: data["role"]?.stringValue ?? "", left: false)
        case .workerChanged:
            if let role = data["role"]?.stringValue { updateWorker(key) { $0.role = role } }
        case .workerLeft:
            updateWorker(key) { $0.left = true }
        case .systemRegistered:
            systems[key] = System(retired: false, purpose: data["purpose"]?.stringValue ?? "other")
        case .systemRetired:
            if var existing = system(key) {
                existing.retired = true
                systems[key] = existing
            }
        case .referralReceived:
            updateFamily(key) { family in
                family.open = true
                family.closureApproved = false
                family.approval = nil
                family.openingReferral = content.id
                for member in data["members"]?.arrayValue ?? [] { family.addMember(member) }
            }
        case .familyMemberAdded:
            if let member = data["member"] { updateFamily(key) { $0.addMember(member) } }
        case .familyMemberLeft:
            if let id = data["memberId"]?.stringValue { updateFamily(key) { $0.members[id] = nil } }
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
        case .eventVoided where content.streamKind == .worker || content.streamKind == .system:
            // A registration entered in error: as if never made, nobody acts under it; a leaving or retirement
            // entered in error: the worker or system acts again. (A voided role change keeps the role until a
            // manager records the right one: the role before it is not held here.)
            guard let target = data["target"]?.stringValue else { break }
            switch targetType(target) {
            case "worker.registered": updateWorker(key) { $0.left = true }
            case "worker.left": updateWorker(key) { $0.left = false }
            case "system.registered", "system.retired":
                // A registration voided: as if never made; a retirement voided: acting again.
                if var existing = system(key) {
                    existing.retired = targetType(target) == "system.registered"
                    systems[key] = existing
                }
            default: break
            }
        case .eventVoided:
            // Entered in error: undo what the target did to the episode, where that can be told.
            guard let target = data["target"]?.stringValue, family(key) != nil else { break }
            let type = targetType(target)
            updateFamily(key) { family in
                switch type {
                case "case.closed" where family.lastClosure == target && !family.open:
                    family.open = true
                    family.lastClosure = nil
                case "referral.received" where family.openingReferral == target && family.open:
                    family.open = false
                    family.openingReferral = nil
                case "closure.approved" where family.approval == target:
                    family.closureApproved = false
                    family.approval = nil
                default: break
                }
            }
        case .holdPlaced:
            if content.streamKind == .org {
                orgHoldsHeld = orgHolds + [content.id]
                if recordsStreams { dirtyStreams.insert("org") }
            } else {
                updateFamily(key) { $0.holds.append(content.id) }
            }
        case .holdLifted:
            guard let hold = data["hold"]?.stringValue else { break }
            if content.streamKind == .org {
                orgHoldsHeld = orgHolds.filter { $0 != hold }
                if recordsStreams { dirtyStreams.insert("org") }
            } else if family(key) != nil {
                updateFamily(key) { $0.holds.removeAll { $0 == hold } }
            }
        case .eventCorrected:
            guard let target = data["target"]?.stringValue,
                let corrected = data["data"]?.objectValue
            else { break }
            switch targetType(target) {
            case "referral.received":
                // A corrected referral replaces the member list.
                guard let members = corrected["members"]?.arrayValue, family(key) != nil else {
                    break
                }
                updateFamily(key) { family in
                    family.members = [:]
                    for member in members { family.addMember(member) }
                }
            case "worker.registered", "worker.changed":
                // A corrected role is the role the worker acts in from now on.
                if let role = corrected["role"]?.stringValue {
                    updateWorker(key) { $0.role = role }
                }
            default:
                break
            }
        default:
            break
        }
    }
}

extension WriteState.Family {
    mutating func addMember(_ value: JSONValue) {
        guard let object = value.objectValue, let id = object["id"]?.stringValue else { return }
        members[id] = WriteState.Member(
            role: object["role"]?.stringValue ?? "other",
            dob: object["dob"]?.stringValue.flatMap(CivilDate.init))
    }
}

extension String {
    func replacingFirst(_ prefix: String, with replacement: String) -> String {
        hasPrefix(prefix) ? replacement + dropFirst(prefix.count) : self
    }
}
