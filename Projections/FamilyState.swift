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
    public var level: String?
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
