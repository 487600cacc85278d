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
    /// Adoptions in log order.
    public internal(set) var adoptions: [Adoption] = []
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
        lhs.streamCounts == rhs.streamCounts && lhs.families == rhs.families && lhs.workers == rhs.workers
            && lhs.adoptions == rhs.adoptions
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
    }

    /// Checks the state-dependent rules for `input`; `lookup` resolves an event id already in the log (or
    /// earlier in this batch) to its type and stream.
    public func check(_ input: EventFacts, line: Int, lookup: (String) throws -> Target?) throws -> Void {
        let content = input
        func refuse(_ field: String, _ rule: String) -> ValidationError {
            ValidationError(line: line, id: input.idSupplied ? content.id : nil, field: field, rule: rule)
        }
        guard let eventType = input.eventType, let occurred = input.occurred else {
            throw refuse("type", "\(input.type) is not in the catalogue or its date does not parse")
        }
        // The actor: a registered worker who has not left, acting in their registered role.
        if input.actorRole != Role.system {
            guard let worker = worker(input.actorID) else {
                throw refuse("actor.id", "\"\(input.actorID)\" is not a registered worker (record worker.registered first)")
            }
            if worker.left { throw refuse("actor.id", "\"\(input.actorID)\" has left (worker.left)") }
            if worker.role != input.actorRole {
                throw refuse("actor.role", "\"\(input.actorID)\" is registered as \(worker.role), not \(input.actorRole)")
            }
        }
        let type = content.type
        var needsManager = eventType.managerOnly
        let key = content.streamKey
        let episode = content.streamKind == .family ? self.episode(key) : nil
        switch content.kind {
        case .workerRegistered:
            if let existing = worker(key), !existing.left {
                throw refuse("stream", "worker \(key) is already registered (use worker.changed)")
            }
        case .workerChanged, .workerLeft:
            guard let worker = worker(key) else { throw refuse("stream", "worker \(key) is not registered") }
            if worker.left { throw refuse("stream", "worker \(key) has left") }
        default:
            break
        }
        if content.streamKind == .family && !eventType.allowedWithoutEpisode {
            let isOpen = episode?.open ?? false
            if content.kind == .referralReceived {
                if isOpen {
                    throw refuse("type", "family \(key) already has an open episode; close it before a new referral")
                }
            } else if !isOpen {
                let closed = episode != nil ? "its episode is closed" : "it has no referral"
                throw refuse(
                    "type",
                    "\(type) needs an open episode and family \(key) has none (\(closed)); only a new referral, outcome events, notes and corrections are accepted"
                )
            }
        }
        switch content.kind {
        case .workerAllocated, .workerUnallocated:
            let worker = input.data["worker"]?.stringValue ?? ""
            guard let registered = self.worker(worker) else {
                throw refuse("data.worker", "\"\(worker)\" is not a registered worker")
            }
            if registered.left && type == "worker.allocated" { throw refuse("data.worker", "\"\(worker)\" has left") }
        case .transferCompleted:
            if let worker = input.data["worker"]?.stringValue, self.worker(worker) == nil {
                throw refuse("data.worker", "\"\(worker)\" is not a registered worker")
            }
        case .ufrnAssigned:
            let members = family(key)?.members ?? [:]
            let children = members.filter { $0.value.role == "child" }
            let dated = children.filter { $0.value.dob != nil }
            let youngest: String?
            if let newest = dated.max(by: { ($0.value.dob ?? CivilDate(dayNumber: 0), $1.key) < ($1.value.dob ?? CivilDate(dayNumber: 0), $0.key) }) {
                youngest = newest.key
            } else if children.count == 1 {
                youngest = children.first?.key
            } else {
                youngest = nil
            }
            guard let child = youngest else {
                throw refuse("data.ufrn", "the youngest child cannot be told: give the children's dob")
            }
            let locality = input.data["locality"]?.stringValue ?? ""
            let expected = UFRN.make(locality: locality, childID: child)
            if input.data["ufrn"]?.stringValue != expected {
                throw refuse("data.ufrn", "must be \(expected): EH + locality \(locality) + youngest child \(child) + F")
            }
        case .familyMemberLeft:
            let member = input.data["memberId"]?.stringValue ?? ""
            if family(key)?.members[member] == nil { throw refuse("data.memberId", "\"\(member)\" is not a member of the family") }
        case .familyMemberAdded:
            if let member = input.data["member"]?.objectValue?["id"]?.stringValue, family(key)?.members[member] != nil {
                throw refuse("data.member.id", "\"\(member)\" is already a member of the family")
            }
        case .caseClosed:
            let policyNeeds = adoption(on: occurred.date)?.needsManager ?? false
            if policyNeeds && !(episode?.closureApproved ?? false) { needsManager = true }
        case .eventCorrected, .eventVoided:
            let targetID = input.data["target"]?.stringValue ?? ""
            guard let target = try lookup(targetID) else {
                throw refuse("data.target", "no event \"\(targetID.prefix(128))\" in the log")
            }
            if target.stream != content.stream {
                throw refuse("data.target", "\"\(targetID)\" is on \(target.stream), not \(content.stream)")
            }
            if target.type == "event.corrected" || target.type == "event.voided" {
                throw refuse("data.target", "\"\(targetID)\" is itself a \(target.type); correct the original event")
            }
            if type == "event.corrected", let targetType = Catalogue.types[target.type],
                let replacement = input.data["data"]?.objectValue
            {
                do {
                    try SchemaChecker.checkObject(replacement, targetType.fields, at: "data.data")
                } catch { throw refuse(error.field, error.rule) }
                do { try TypeRules.check(type: target.type, data: replacement) } catch {
                    // TypeRules name fields from "data."; the replacement sits at "data.data.".
                    throw refuse(error.field.replacingFirst("data", with: "data.data"), error.rule)
                }
            }
        default:
            break
        }
        if needsManager && !Role.managers.contains(input.actorRole) {
            let why = type == "case.closed" ? " (the policy in force needs a manager's sign-off: a manager closes it, or a closure.approved first)" : ""
            throw refuse("actor.role", "\(type) needs a manager (\(Role.managers.sorted().joined(separator: ", "))), not \(input.actorRole)\(why)")
        }
    }

    /// The adoption in force on `date` (the latest with `effectiveFrom` on or before it, in log order).
    public func adoption(on date: CivilDate) -> Adoption? {
        var best: Adoption?
        for adoption in adoptions where adoption.effectiveFrom <= date {
            if best == nil || adoption.effectiveFrom >= (best?.effectiveFrom ?? adoption.effectiveFrom) { best = adoption }
        }
        return best ?? adoptions.first
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
                needs = data["policy"]?.objectValue?["closure"]?.objectValue?["needsManager"]?.boolValue ?? false
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
        case .eventCorrected:
            // A corrected referral replaces the member list.
            guard let target = data["target"]?.stringValue, targetType(target) == "referral.received",
                let members = data["data"]?.objectValue?["members"]?.arrayValue, family(key) != nil
            else { break }
            updateFamily(key) { family in
                family.members = [:]
                for member in members { family.addMember(member) }
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
            role: object["role"]?.stringValue ?? "other", dob: object["dob"]?.stringValue.flatMap(CivilDate.init))
    }
}

extension String {
    func replacingFirst(_ prefix: String, with replacement: String) -> String {
        hasPrefix(prefix) ? replacement + dropFirst(prefix.count) : self
    }
}
