import EventLog
import LedgerCore

/// A family member as the projections hold them.
public struct Person: Sendable, Equatable {
    public var id: String
    public var name: String
    public var dob: CivilDate?
    public var role: String

    init(id: String, name: String, dob: CivilDate?, role: String) {
        self.id = id
        self.name = name
        self.dob = dob
        self.role = role
    }

    /// A member as a referral or `family.member.added` gives them.
    init(_ member: FamilyMember) {
        self.init(id: member.id, name: member.name, dob: member.dob, role: member.role)
    }
}

/// A Family Star reading: which event, when, and the ten scores in `FamilyStar.domains` order.
public struct StarReading: Sendable, Equatable {
    public var eventID: String
    public var date: CivilDate
    public var type: String
    public var scores: [Int]

    /// The score of a domain.
    public func score(_ domain: String) -> Int? {
        guard let index = FamilyStar.domains.firstIndex(of: domain), index < scores.count else {
            return nil
        }
        return scores[index]
    }

    init(eventID: String, date: CivilDate, type: String, scores: [Int]) {
        self.eventID = eventID
        self.date = date
        self.type = type
        self.scores = scores
    }

}

/// One episode of work with a family: from a referral to a closure.
public struct Episode: Sendable {
    public var number: Int
    public var referralID: String
    public var openedOn: CivilDate
    public var openedSeq: Int
    public var source: String?
    public var reReferral = false
    public var stepDownFrom: String?
    /// Every level the episode was set to (at triage, at the allocation discussion, by a level change), in valid
    /// time: by date, then by seq. A change recorded late but dated earlier takes its place by its date.
    public var levels: [LevelSetting] = []
    public var triaged = false
    public var engaged = false
    public var closedOn: CivilDate?
    public var closeReason: String?
    /// worker id → relationship, for workers currently allocated.
    public var workers: [String: String] = [:]
    public var lead: String?
    public var firstAllocationOn: CivilDate?
    public var firstStar: StarReading?
    public var latestStar: StarReading?
    public var nextReviewBy: CivilDate?
    public var requirementsMet: Set<String> = []
    public var stepUpAcceptedOn: CivilDate?
    public var stepUpRequested = false
    public var stepDownOn: CivilDate?
    public var consentGiven = false
    public var lastReviewOn: CivilDate?
    public var contactAttempts: [(method: String, date: CivilDate)] = []
    public var justifications: [(type: String, date: CivilDate, role: String)] = []
    public var obligations: [Obligation] = []
    /// Deadline rules whose `first` from-event has been seen.
    var firstSeen: Set<String> = []
    /// Recurring rule id → index of its current obligation.
    var recurringCurrent: [String: Int] = [:]
    /// The latest plan's `visitEveryDays`.
    var visitEveryDays: Int?

    public var isOpen: Bool { closedOn == nil }

    /// The level the episode is at: the latest setting in valid time (not the last one recorded).
    public var level: String? { levels.last?.level }

    /// The level in force at an event dated `date` with `seq`: the latest setting at or before it, by date and
    /// then by seq (an event's own setting counts; one recorded after it on the same day does not).
    public func level(at date: CivilDate, seq: Int) -> String? {
        levels.last { ($0.date, $0.seq) <= (date, seq) }?.level
    }

    /// Records a setting in its valid-time place.
    mutating func setLevel(_ level: String, on date: CivilDate, seq: Int) {
        let setting = LevelSetting(date: date, seq: seq, level: level)
        let place = levels.lastIndex { ($0.date, $0.seq) <= (date, seq) }.map { $0 + 1 } ?? 0
        levels.insert(setting, at: place)
    }
}

/// A level an episode was set to, on the date of the event that set it.
public struct LevelSetting: Sendable, Equatable {
    public var date: CivilDate
    public var seq: Int
    public var level: String
}

/// Everything the projections know about one family.
public struct FamilyState: Sendable {
    public var ref: String
    public var ufrn: String?
    public var members: [Person] = []
    public var episodes: [Episode] = []
    // criterion → evidence event ids (identification)
    public var criteria: [String: [String]] = [:]
    public var attendance: [String: (id: String, to: CivilDate, percent: Double)] = [:]
    public var offences: [(id: String, date: CivilDate)] = []
    public var employment: [(id: String, memberId: String, benefit: String, weeks: Int)] = []
    public var claims: [String: [String]] = [:]  // kind → pbr.claimed ids
    /// The latest date of the events folded into it: an event dated before it arrives out of valid-time order,
    /// and the family is then folded again in date order (`LedgerFold.outOfOrder`).
    public var foldedThrough: CivilDate?

    public var current: Episode? { episodes.last }

    /// Whether the latest episode is open (read in place: an episode is a large value, and copying it out to read
    /// one flag is what the fold must not do a million times).
    public var hasOpenEpisode: Bool {
        guard let last = episodes.indices.last else { return false }
        return episodes[last].isOpen
    }

    /// When the latest episode closed, if it has.
    var lastClosedOn: CivilDate? {
        guard let last = episodes.indices.last else { return nil }
        return episodes[last].closedOn
    }

    /// The youngest child (latest dob; by id when no child has one).
    public var youngestChild: Person? {
        let children = members.filter { $0.role == "child" }
        return children.max { lhs, rhs in
            (lhs.dob ?? CivilDate(dayNumber: -1_000_000), rhs.id) < (
                rhs.dob ?? CivilDate(dayNumber: -1_000_000), lhs.id
            )
        }
    }
}

// MARK: Snapshot coding: every member above, written and read in the same order

extension Person: SnapshotCodable {
    func encode(into writer: inout SnapshotWriter) {
        writer.string(id)
        writer.string(name)
        writer.optional(dob) { $0.date($1) }
        writer.string(role)
    }

    init(from reader: inout SnapshotReader) throws {
        self.init(
            id: try reader.string(), name: try reader.string(),
            dob: try reader.optional { try $0.date() }, role: try reader.string())
    }
}

extension StarReading: SnapshotCodable {
    func encode(into writer: inout SnapshotWriter) {
        writer.string(eventID)
        writer.date(date)
        writer.string(type)
        writer.array(scores) { $0.int($1) }
    }

    init(from reader: inout SnapshotReader) throws {
        self.init(
            eventID: try reader.string(), date: try reader.date(), type: try reader.string(),
            scores: try reader.array { try $0.int() })
    }
}

extension Episode: SnapshotCodable {
    func encode(into writer: inout SnapshotWriter) {
        writer.int(number)
        writer.string(referralID)
        writer.date(openedOn)
        writer.int(openedSeq)
        writer.optional(source) { $0.string($1) }
        writer.bool(reReferral)
        writer.optional(stepDownFrom) { $0.string($1) }
        writer.array(levels) { writer, setting in
            writer.date(setting.date)
            writer.int(setting.seq)
            writer.string(setting.level)
        }
        writer.bool(triaged)
        writer.bool(engaged)
        writer.optional(closedOn) { $0.date($1) }
        writer.optional(closeReason) { $0.string($1) }
        writer.array(workers.keys.sorted()) { writer, worker in
            writer.string(worker)
            writer.string(workers[worker] ?? "")
        }
        writer.optional(lead) { $0.string($1) }
        writer.optional(firstAllocationOn) { $0.date($1) }
        writer.optional(firstStar)
        writer.optional(latestStar)
        writer.optional(nextReviewBy) { $0.date($1) }
        writer.array(requirementsMet.sorted()) { $0.string($1) }
        writer.optional(stepUpAcceptedOn) { $0.date($1) }
        writer.bool(stepUpRequested)
        writer.optional(stepDownOn) { $0.date($1) }
        writer.bool(consentGiven)
        writer.optional(lastReviewOn) { $0.date($1) }
        writer.array(contactAttempts) { writer, attempt in
            writer.string(attempt.method)
            writer.date(attempt.date)
        }
        writer.array(justifications) { writer, justification in
            writer.string(justification.type)
            writer.date(justification.date)
            writer.string(justification.role)
        }
        writer.array(obligations)
        writer.array(firstSeen.sorted()) { $0.string($1) }
        writer.array(recurringCurrent.keys.sorted()) { writer, rule in
            writer.string(rule)
            writer.int(recurringCurrent[rule] ?? 0)
        }
        writer.optional(visitEveryDays) { $0.int($1) }
    }

    init(from reader: inout SnapshotReader) throws {
        self.init(
            number: try reader.int(), referralID: try reader.string(), openedOn: try reader.date(),
            openedSeq: try reader.int())
        source = try reader.optional { try $0.string() }
        reReferral = try reader.bool()
        stepDownFrom = try reader.optional { try $0.string() }
        levels = try reader.array { (reader) throws in
            LevelSetting(date: try reader.date(), seq: try reader.int(), level: try reader.string())
        }
        triaged = try reader.bool()
        engaged = try reader.bool()
        closedOn = try reader.optional { try $0.date() }
        closeReason = try reader.optional { try $0.string() }
        for _ in 0..<(try reader.count()) {
            let worker = try reader.string()
            workers[worker] = try reader.string()
        }
        lead = try reader.optional { try $0.string() }
        firstAllocationOn = try reader.optional { try $0.date() }
        firstStar = try reader.optional()
        latestStar = try reader.optional()
        nextReviewBy = try reader.optional { try $0.date() }
        requirementsMet = Set(try reader.array { try $0.string() })
        stepUpAcceptedOn = try reader.optional { try $0.date() }
        stepUpRequested = try reader.bool()
        stepDownOn = try reader.optional { try $0.date() }
        consentGiven = try reader.bool()
        lastReviewOn = try reader.optional { try $0.date() }
        contactAttempts = try reader.array { (reader) throws in
            (try reader.string(), try reader.date())
        }
        justifications = try reader.array { (reader) throws in
            (try reader.string(), try reader.date(), try reader.string())
        }
        obligations = try reader.array()
        firstSeen = Set(try reader.array { try $0.string() })
        for _ in 0..<(try reader.count()) {
            let rule = try reader.string()
            recurringCurrent[rule] = try reader.int()
        }
        visitEveryDays = try reader.optional { try $0.int() }
    }
}

extension FamilyState: SnapshotCodable {
    func encode(into writer: inout SnapshotWriter) {
        writer.string(ref)
        writer.optional(ufrn) { $0.string($1) }
        writer.array(members)
        writer.array(episodes)
        writer.array(criteria.keys.sorted()) { writer, criterion in
            writer.string(criterion)
            writer.array(criteria[criterion] ?? []) { $0.string($1) }
        }
        writer.array(attendance.keys.sorted()) { writer, member in
            guard let reading = attendance[member] else { return }
            writer.string(member)
            writer.string(reading.id)
            writer.date(reading.to)
            writer.double(reading.percent)
        }
        writer.array(offences) { writer, offence in
            writer.string(offence.id)
            writer.date(offence.date)
        }
        writer.array(employment) { writer, record in
            writer.string(record.id)
            writer.string(record.memberId)
            writer.string(record.benefit)
            writer.int(record.weeks)
        }
        writer.array(claims.keys.sorted()) { writer, kind in
            writer.string(kind)
            writer.array(claims[kind] ?? []) { $0.string($1) }
        }
        writer.optional(foldedThrough) { $0.date($1) }
    }

    init(from reader: inout SnapshotReader) throws {
        self.init(ref: try reader.string())
        ufrn = try reader.optional { try $0.string() }
        members = try reader.array()
        episodes = try reader.array()
        for _ in 0..<(try reader.count()) {
            let criterion = try reader.string()
            criteria[criterion] = try reader.array { try $0.string() }
        }
        for _ in 0..<(try reader.count()) {
            let member = try reader.string()
            attendance[member] = (try reader.string(), try reader.date(), try reader.double())
        }
        offences = try reader.array { (reader) throws in (try reader.string(), try reader.date()) }
        employment = try reader.array { (reader) throws in
            (try reader.string(), try reader.string(), try reader.string(), try reader.int())
        }
        for _ in 0..<(try reader.count()) {
            let kind = try reader.string()
            claims[kind] = try reader.array { try $0.string() }
        }
        foldedThrough = try reader.optional { try $0.date() }
    }
}
