import EventLog
import LedgerCore

/// Ofsted's Annex A list 2 for early help (`ledger annex-a --as-of DATE`): one row per child of every family whose
/// early help assessment was completed in the six months before DATE, or whose intervention is open on DATE.
///
/// An episode runs from `referral.received` to `case.closed`; its intervention is open from `engagement.started`
/// (the first meeting, which starts the assessment clock) until it closes; its early help assessment is its first
/// `assessment.completed` (of any kind; later ones are reassessments). Like every projection it takes a family's
/// events by date, then seq: the first is the earliest dated, an event entered late for an earlier episode stands
/// in that episode, and the lead is the one the allocations make taken by date. An episode is listed when that assessment
/// was completed between DATE minus six months and DATE (both included), or when its intervention is open on
/// DATE; a family with several is listed for the latest. Its children are the members with role `child` on DATE
/// (referral members, `family.member.added`, less `family.member.left`), each with the latest gender, ethnicity
/// and date of birth the log gives them; a child listed by two families is listed once, for the later episode.
/// The team is the team on DATE of the episode's lead worker (the last one allocated as lead and not
/// unallocated; for a closed episode, the lead when it closed). What the log does not hold is "unknown".
public struct AnnexA: Sendable {
    /// The columns, in the order of Ofsted's template.
    public static let columns = [
        "childId", "gender", "ethnicity", "dateOfBirth", "age", "assessmentStart",
        "assessmentCompletion",
        "team",
    ]
    /// The event types the list reads.
    public static let types = EventTypeSet([
        "referral.received", "family.member.added", "family.member.left", "engagement.started",
        "assessment.completed",
        "worker.allocated", "worker.unallocated", "transfer.completed", "case.closed",
        "worker.registered", "worker.changed",
    ])

    struct Member {
        var order: Int
        var child: Bool
        var gender: String?
        var ethnicity: String?
        var dob: CivilDate?
    }

    struct Episode {
        var order: Int
        var opened: CivilDate
        var engaged: CivilDate?
        var assessed: CivilDate?
        var closed: CivilDate?
        /// What changed the lead, with each change's date and seq: the lead is theirs taken by date, then seq, as
        /// every projection takes a family's events (one entered late, dated before another, comes first).
        var leadChanges: [(date: CivilDate, seq: Int, change: LeadChange)] = []

        /// Whether an event dated `date`, entered after the episode closed, stands in it when the family's events
        /// are taken by date: on or after its referral, before its closing day (on that day the closure, entered
        /// first, comes before it).
        func holds(_ date: CivilDate) -> Bool {
            WriteState.EpisodeSpan.holds(date, opened: opened, closed: closed)
        }

        /// The lead when the episode's events are taken by date (for a closed episode, the lead when it closed).
        var lead: String? {
            leadChanges.sorted { ($0.date, $0.seq) < ($1.date, $1.seq) }.reduce(nil) { lead, next in
                switch next.change {
                case .allocated(let worker, let relationship):
                    return Lead.allocating(worker, as: relationship, lead: lead)
                case .unallocated(let worker): return Lead.unallocating(worker, lead: lead)
                case .transferred(let worker): return Lead.transferring(to: worker, lead: lead)
                }
            }
        }
    }

    enum LeadChange {
        case allocated(String, relationship: String)
        case unallocated(String)
        case transferred(String?)
    }

    struct Family {
        var members: [String: Member] = [:]
        var episodes: [Episode] = []
    }

    var families: [String: Family] = [:]
    var teams: [String: String] = [:]
    var next = 0

    /// An empty list.
    public init() {}

    /// Takes in one event of the window, in log order, corrections applied (voided events are skipped).
    public mutating func apply(_ event: StoredEvent) {
        guard !event.isVoided else { return }
        let typed = event.typed
        switch typed {
        case .workerRegistered(let payload):
            if let team = payload.decoded?.team { teams[StreamName.key(of: event.stream)] = team }
            return
        case .workerChanged(let payload):
            if let team = payload.decoded?.team { teams[StreamName.key(of: event.stream)] = team }
            return
        case .policyAdopted, .teamDefined, .workerLeft, .systemRegistered, .systemRetired,
            .referralReceived, .familyMemberAdded, .familyMemberLeft, .ufrnAssigned,
            .triageCompleted, .allocationDiscussed, .workerAllocated, .workerUnallocated,
            .referrerContacted, .contactAttempted, .consentRecorded, .engagementStarted,
            .visitCompleted, .meetingAttended, .noteRecorded, .supervisionRecorded, .concernRaised,
            .requirementMet, .assessmentCompleted, .planAgreed, .planUpdated, .planDistributed,
            .reviewCompleted, .caseSummaryCompleted, .extensionAgreed, .levelChanged,
            .stepupRequested, .stepupDecided, .transferCompleted, .closureApproved, .caseClosed,
            .pbrCriteriaIdentified, .attendanceRecorded, .offenceRecorded, .employmentRecorded,
            .pbrClaimed, .eventCorrected, .eventVoided, .holdPlaced, .holdLifted, .recordRedacted,
            .unknown:
            break
        }
        guard let ref = event.familyRef else { return }
        next += 1
        var family = families[ref] ?? Family()
        switch typed {
        case .referralReceived(let payload):
            if family.episodes.last.map({ $0.closed == nil }) != true {
                family.episodes.append(Episode(order: next, opened: event.date))
            }
            for member in payload.decoded?.members ?? [] { add(member, to: &family) }
        case .familyMemberAdded(let payload):
            if let added = payload.decoded { add(added.member, to: &family) }
        case .familyMemberLeft(let payload):
            if let id = payload.decoded?.memberId { family.members[id] = nil }
        // The first engagement and assessment by date, whatever order they were entered in.
        case .engagementStarted:
            update(&family, at: event) { $0.engaged = min($0.engaged ?? event.date, event.date) }
        case .assessmentCompleted:
            update(&family, at: event) { $0.assessed = min($0.assessed ?? event.date, event.date) }
        case .workerAllocated(let payload):
            if let allocated = payload.decoded {
                update(&family, at: event) {
                    $0.leadChanges.append(
                        (
                            event.date, event.seq,
                            .allocated(allocated.worker, relationship: allocated.relationship)
                        ))
                }
            }
        case .workerUnallocated(let payload):
            if let worker = payload.decoded?.worker {
                update(&family, at: event) {
                    $0.leadChanges.append((event.date, event.seq, .unallocated(worker)))
                }
            }
        case .transferCompleted(let payload):
            if let transfer = payload.decoded {
                update(&family, at: event) {
                    $0.leadChanges.append((event.date, event.seq, .transferred(transfer.worker)))
                }
            }
        case .caseClosed:
            update(&family, at: event) { $0.closed = event.date }
        case .policyAdopted, .teamDefined, .workerRegistered, .workerChanged, .workerLeft,
            .systemRegistered, .systemRetired, .ufrnAssigned, .triageCompleted,
            .allocationDiscussed, .referrerContacted, .contactAttempted, .consentRecorded,
            .visitCompleted, .meetingAttended, .noteRecorded, .supervisionRecorded, .concernRaised,
            .requirementMet, .planAgreed, .planUpdated, .planDistributed, .reviewCompleted,
            .caseSummaryCompleted, .extensionAgreed, .levelChanged, .stepupRequested,
            .stepupDecided, .closureApproved, .pbrCriteriaIdentified,
            .attendanceRecorded, .offenceRecorded, .employmentRecorded, .pbrClaimed,
            .eventCorrected, .eventVoided, .holdPlaced, .holdLifted, .recordRedacted, .unknown:
            break
        }
        families[ref] = family
    }

    /// Changes the episode `event` stands in by its date: the open episode, or an earlier one it was entered late
    /// for (the writer accepts work dated inside an earlier episode, and nothing dated in none).
    private func update(
        _ family: inout Family, at event: StoredEvent, _ change: (inout Episode) -> Void
    ) {
        guard let last = family.episodes.indices.last else { return }
        if family.episodes[last].closed == nil && event.date >= family.episodes[last].opened {
            change(&family.episodes[last])
        } else if let index = family.episodes.indices.last(where: {
            family.episodes[$0].holds(event.date)
        }) {
            change(&family.episodes[index])
        }
    }

    private mutating func add(_ member: FamilyMember, to family: inout Family) {
        next += 1
        var known = family.members[member.id] ?? Member(order: next, child: false)
        known.child = member.role == "child"
        // The latest the log says, keeping what an earlier record gave when a later one leaves it out.
        known.gender = member.gender ?? known.gender
        known.ethnicity = member.ethnicity ?? known.ethnicity
        known.dob = member.dob ?? known.dob
        family.members[member.id] = known
    }

    /// The rows on `date` (the window the events came from must end on it), ordered by child id.
    public func rows(on date: CivilDate) -> [JSONObject] {
        let from = date.adding(months: -6)
        var chosen: [String: (order: Int, row: JSONObject)] = [:]
        for family in families.values {
            let listed = family.episodes.last { episode in
                let assessedInWindow = episode.assessed.map { $0 >= from && $0 <= date } ?? false
                let open = episode.engaged != nil && episode.closed == nil
                return assessedInWindow || open
            }
            guard let episode = listed else { continue }
            let team = episode.lead.flatMap { teams[$0] } ?? "unknown"
            for (id, member) in family.members where member.child {
                if let existing = chosen[id], existing.order > episode.order { continue }
                let dob = member.dob
                let age: JSONValue = dob.map { .int(Self.age(born: $0, on: date)) } ?? "unknown"
                let row = JSONObject([
                    JSONMember("childId", .string(id)),
                    JSONMember("gender", .string(member.gender ?? "unknown")),
                    JSONMember("ethnicity", .string(member.ethnicity ?? "unknown")),
                    JSONMember("dateOfBirth", .string(dob?.description ?? "unknown")),
                    JSONMember("age", age),
                    JSONMember(
                        "assessmentStart", .string(episode.engaged?.description ?? "unknown")),
                    JSONMember(
                        "assessmentCompletion", .string(episode.assessed?.description ?? "unknown")),
                    JSONMember("team", .string(team)),
                ])
                chosen[id] = (episode.order, row)
            }
        }
        return chosen.keys.sorted().compactMap { chosen[$0]?.row }
    }

    /// Whole years from `born` to `date` (a birthday on 29 February falls on 1 March in other years).
    public static func age(born: CivilDate, on date: CivilDate) -> Int {
        var years = date.year - born.year
        if (date.month, date.day) < (born.month, born.day) { years -= 1 }
        return max(0, years)
    }
}
