/// Every type of the catalogue as a value the projections can switch on, and index tables by, without comparing
/// or hashing strings. The tests check that this list and `Catalogue.types` name the same types.
public enum EventKind: Int, Sendable, CaseIterable {
    case policyAdopted
    case teamDefined
    case workerRegistered
    case workerChanged
    case workerLeft
    case systemRegistered
    case systemRetired
    case referralReceived
    case familyMemberAdded
    case familyMemberLeft
    case ufrnAssigned
    case triageCompleted
    case allocationDiscussed
    case workerAllocated
    case workerUnallocated
    case referrerContacted
    case contactAttempted
    case consentRecorded
    case engagementStarted
    case visitCompleted
    case meetingAttended
    case noteRecorded
    case supervisionRecorded
    case concernRaised
    case requirementMet
    case assessmentCompleted
    case planAgreed
    case planUpdated
    case planDistributed
    case reviewCompleted
    case caseSummaryCompleted
    case extensionAgreed
    case levelChanged
    case stepupRequested
    case stepupDecided
    case transferCompleted
    case closureApproved
    case caseClosed
    case pbrCriteriaIdentified
    case attendanceRecorded
    case offenceRecorded
    case employmentRecorded
    case pbrClaimed
    case eventCorrected
    case eventVoided
    case holdPlaced
    case holdLifted
    case recordRedacted

    /// The type's name in the catalogue.
    public var name: String { Self.names[rawValue] }

    /// The kind named `name`, if it is a catalogue type.
    public init?(name: String) {
        guard let kind = Self.byName[name] else { return nil }
        self = kind
    }

    static let names = [
        "policy.adopted",
        "team.defined",
        "worker.registered",
        "worker.changed",
        "worker.left",
        "system.registered",
        "system.retired",
        "referral.received",
        "family.member.added",
        "family.member.left",
        "ufrn.assigned",
        "triage.completed",
        "allocation.discussed",
        "worker.allocated",
        "worker.unallocated",
        "referrer.contacted",
        "contact.attempted",
        "consent.recorded",
        "engagement.started",
        "visit.completed",
        "meeting.attended",
        "note.recorded",
        "supervision.recorded",
        "concern.raised",
        "requirement.met",
        "assessment.completed",
        "plan.agreed",
        "plan.updated",
        "plan.distributed",
        "review.completed",
        "case-summary.completed",
        "extension.agreed",
        "level.changed",
        "stepup.requested",
        "stepup.decided",
        "transfer.completed",
        "closure.approved",
        "case.closed",
        "pbr.criteria.identified",
        "attendance.recorded",
        "offence.recorded",
        "employment.recorded",
        "pbr.claimed",
        "event.corrected",
        "event.voided",
        "hold.placed",
        "hold.lifted",
        "record.redacted",
    ]

    private static let byName: [String: EventKind] = Dictionary(
        uniqueKeysWithValues: allCases.map { ($0.name, $0) })

    /// The catalogue's entry.
    public var eventType: EventType? { Catalogue.byKind[rawValue] }

    /// The kind of each name in `EventTypeSet.all.names`, by position.
    package static let byCatalogueIndex: [EventKind?] = EventTypeSet.all.names.map {
        EventKind(name: $0)
    }
}
