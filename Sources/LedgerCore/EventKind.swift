/// Every type of the catalogue as a value the projections can switch on, and index tables by, without comparing
/// or hashing strings. Each kind names the struct its data decodes into (`payloadType`), whose declaration is
/// the type's entry in the catalogue: a new type is a struct, a case here, and the places the compiler then
/// lists (every `switch` over kinds has no `default`).
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

    /// The struct of the type's data, whose declaration is its entry in the catalogue.
    public var payloadType: any EventPayload.Type {
        switch self {
        case .policyAdopted: PolicyAdopted.self
        case .teamDefined: TeamDefined.self
        case .workerRegistered: WorkerRegistered.self
        case .workerChanged: WorkerChanged.self
        case .workerLeft: WorkerLeft.self
        case .systemRegistered: SystemRegistered.self
        case .systemRetired: SystemRetired.self
        case .referralReceived: ReferralReceived.self
        case .familyMemberAdded: FamilyMemberAdded.self
        case .familyMemberLeft: FamilyMemberLeft.self
        case .ufrnAssigned: UFRNAssigned.self
        case .triageCompleted: TriageCompleted.self
        case .allocationDiscussed: AllocationDiscussed.self
        case .workerAllocated: WorkerAllocated.self
        case .workerUnallocated: WorkerUnallocated.self
        case .referrerContacted: ReferrerContacted.self
        case .contactAttempted: ContactAttempted.self
        case .consentRecorded: ConsentRecorded.self
        case .engagementStarted: EngagementStarted.self
        case .visitCompleted: VisitCompleted.self
        case .meetingAttended: MeetingAttended.self
        case .noteRecorded: NoteRecorded.self
        case .supervisionRecorded: SupervisionRecorded.self
        case .concernRaised: ConcernRaised.self
        case .requirementMet: RequirementMet.self
        case .assessmentCompleted: AssessmentCompleted.self
        case .planAgreed: PlanAgreed.self
        case .planUpdated: PlanUpdated.self
        case .planDistributed: PlanDistributed.self
        case .reviewCompleted: ReviewCompleted.self
        case .caseSummaryCompleted: CaseSummaryCompleted.self
        case .extensionAgreed: ExtensionAgreed.self
        case .levelChanged: LevelChanged.self
        case .stepupRequested: StepUpRequested.self
        case .stepupDecided: StepUpDecided.self
        case .transferCompleted: TransferCompleted.self
        case .closureApproved: ClosureApproved.self
        case .caseClosed: CaseClosed.self
        case .pbrCriteriaIdentified: PbRCriteriaIdentified.self
        case .attendanceRecorded: AttendanceRecorded.self
        case .offenceRecorded: OffenceRecorded.self
        case .employmentRecorded: EmploymentRecorded.self
        case .pbrClaimed: PbRClaimed.self
        case .eventCorrected: EventCorrected.self
        case .eventVoided: EventVoided.self
        case .holdPlaced: HoldPlaced.self
        case .holdLifted: HoldLifted.self
        case .recordRedacted: RecordRedacted.self
        }
    }

    /// The type's name in the catalogue.
    public var name: String { Self.names[rawValue] }

    /// The kind named `name`, if it is a catalogue type.
    public init?(name: String) {
        guard let kind = Self.byName[name] else { return nil }
        self = kind
    }

    private static let names = allCases.map { $0.payloadType.name }

    private static let byName: [String: EventKind] = Dictionary(
        uniqueKeysWithValues: allCases.map { ($0.name, $0) })

    /// The catalogue's entry.
    public var eventType: EventType { Self.eventTypes[rawValue] }

    /// The entry's flags, read without copying the entry (a copy retains its name, fields and rules; the write
    /// state asks these of every event it checks and applies).
    public var allowedWithoutEpisode: Bool { Self.withoutEpisode[rawValue] }
    public var managerOnly: Bool { Self.byManagerOnly[rawValue] }
    private static let withoutEpisode = eventTypes.map(\.allowedWithoutEpisode)
    private static let byManagerOnly = eventTypes.map(\.managerOnly)

    /// What an event of this kind changes, as its type declares.
    public var changes: Set<StateChange> { payloadType.changes }

    /// The names of the types that change any of `state`, in catalogue order.
    public static func names(changing state: Set<StateChange>) -> [String] {
        allCases.filter { !$0.changes.isDisjoint(with: state) }.map(\.name)
    }

    private static let eventTypes = allCases.map { kind in
        let declared = kind.payloadType.eventType
        #if DEBUG
            guard let added = Catalogue.testRules[declared.name] else { return declared }
            return EventType(
                name: declared.name, stream: declared.stream, fields: declared.fields,
                managerOnly: declared.managerOnly,
                allowedWithoutEpisode: declared.allowedWithoutEpisode,
                rules: declared.rules + added)
        #else
            return declared
        #endif
    }

    /// The kind of each name in `EventTypeSet.all.names`, by position.
    package static let byCatalogueIndex: [EventKind?] = EventTypeSet.all.names.map {
        EventKind(name: $0)
    }
}

/// An event's data with its type: one case per kind, holding the data as that type's payload (decoded when
/// read: `payload.decoded`). Readers switch over it with no `default`, and read typed members.
public enum TypedData: Sendable {
    case policyAdopted(Payload<PolicyAdopted>)
    case teamDefined(Payload<TeamDefined>)
    case workerRegistered(Payload<WorkerRegistered>)
    case workerChanged(Payload<WorkerChanged>)
    case workerLeft(Payload<WorkerLeft>)
    case systemRegistered(Payload<SystemRegistered>)
    case systemRetired(Payload<SystemRetired>)
    case referralReceived(Payload<ReferralReceived>)
    case familyMemberAdded(Payload<FamilyMemberAdded>)
    case familyMemberLeft(Payload<FamilyMemberLeft>)
    case ufrnAssigned(Payload<UFRNAssigned>)
    case triageCompleted(Payload<TriageCompleted>)
    case allocationDiscussed(Payload<AllocationDiscussed>)
    case workerAllocated(Payload<WorkerAllocated>)
    case workerUnallocated(Payload<WorkerUnallocated>)
    case referrerContacted(Payload<ReferrerContacted>)
    case contactAttempted(Payload<ContactAttempted>)
    case consentRecorded(Payload<ConsentRecorded>)
    case engagementStarted(Payload<EngagementStarted>)
    case visitCompleted(Payload<VisitCompleted>)
    case meetingAttended(Payload<MeetingAttended>)
    case noteRecorded(Payload<NoteRecorded>)
    case supervisionRecorded(Payload<SupervisionRecorded>)
    case concernRaised(Payload<ConcernRaised>)
    case requirementMet(Payload<RequirementMet>)
    case assessmentCompleted(Payload<AssessmentCompleted>)
    case planAgreed(Payload<PlanAgreed>)
    case planUpdated(Payload<PlanUpdated>)
    case planDistributed(Payload<PlanDistributed>)
    case reviewCompleted(Payload<ReviewCompleted>)
    case caseSummaryCompleted(Payload<CaseSummaryCompleted>)
    case extensionAgreed(Payload<ExtensionAgreed>)
    case levelChanged(Payload<LevelChanged>)
    case stepupRequested(Payload<StepUpRequested>)
    case stepupDecided(Payload<StepUpDecided>)
    case transferCompleted(Payload<TransferCompleted>)
    case closureApproved(Payload<ClosureApproved>)
    case caseClosed(Payload<CaseClosed>)
    case pbrCriteriaIdentified(Payload<PbRCriteriaIdentified>)
    case attendanceRecorded(Payload<AttendanceRecorded>)
    case offenceRecorded(Payload<OffenceRecorded>)
    case employmentRecorded(Payload<EmploymentRecorded>)
    case pbrClaimed(Payload<PbRClaimed>)
    case eventCorrected(Payload<EventCorrected>)
    case eventVoided(Payload<EventVoided>)
    case holdPlaced(Payload<HoldPlaced>)
    case holdLifted(Payload<HoldLifted>)
    case recordRedacted(Payload<RecordRedacted>)
    /// A type outside the catalogue (a damaged log).
    case unknown

    /// The data of an event of `kind` (nil: a type outside the catalogue).
    public init(kind: EventKind?, data: EventData) {
        guard let kind else {
            self = .unknown
            return
        }
        switch kind {
        case .policyAdopted: self = .policyAdopted(Payload(data: data))
        case .teamDefined: self = .teamDefined(Payload(data: data))
        case .workerRegistered: self = .workerRegistered(Payload(data: data))
        case .workerChanged: self = .workerChanged(Payload(data: data))
        case .workerLeft: self = .workerLeft(Payload(data: data))
        case .systemRegistered: self = .systemRegistered(Payload(data: data))
        case .systemRetired: self = .systemRetired(Payload(data: data))
        case .referralReceived: self = .referralReceived(Payload(data: data))
        case .familyMemberAdded: self = .familyMemberAdded(Payload(data: data))
        case .familyMemberLeft: self = .familyMemberLeft(Payload(data: data))
        case .ufrnAssigned: self = .ufrnAssigned(Payload(data: data))
        case .triageCompleted: self = .triageCompleted(Payload(data: data))
        case .allocationDiscussed: self = .allocationDiscussed(Payload(data: data))
        case .workerAllocated: self = .workerAllocated(Payload(data: data))
        case .workerUnallocated: self = .workerUnallocated(Payload(data: data))
        case .referrerContacted: self = .referrerContacted(Payload(data: data))
        case .contactAttempted: self = .contactAttempted(Payload(data: data))
        case .consentRecorded: self = .consentRecorded(Payload(data: data))
        case .engagementStarted: self = .engagementStarted(Payload(data: data))
        case .visitCompleted: self = .visitCompleted(Payload(data: data))
        case .meetingAttended: self = .meetingAttended(Payload(data: data))
        case .noteRecorded: self = .noteRecorded(Payload(data: data))
        case .supervisionRecorded: self = .supervisionRecorded(Payload(data: data))
        case .concernRaised: self = .concernRaised(Payload(data: data))
        case .requirementMet: self = .requirementMet(Payload(data: data))
        case .assessmentCompleted: self = .assessmentCompleted(Payload(data: data))
        case .planAgreed: self = .planAgreed(Payload(data: data))
        case .planUpdated: self = .planUpdated(Payload(data: data))
        case .planDistributed: self = .planDistributed(Payload(data: data))
        case .reviewCompleted: self = .reviewCompleted(Payload(data: data))
        case .caseSummaryCompleted: self = .caseSummaryCompleted(Payload(data: data))
        case .extensionAgreed: self = .extensionAgreed(Payload(data: data))
        case .levelChanged: self = .levelChanged(Payload(data: data))
        case .stepupRequested: self = .stepupRequested(Payload(data: data))
        case .stepupDecided: self = .stepupDecided(Payload(data: data))
        case .transferCompleted: self = .transferCompleted(Payload(data: data))
        case .closureApproved: self = .closureApproved(Payload(data: data))
        case .caseClosed: self = .caseClosed(Payload(data: data))
        case .pbrCriteriaIdentified: self = .pbrCriteriaIdentified(Payload(data: data))
        case .attendanceRecorded: self = .attendanceRecorded(Payload(data: data))
        case .offenceRecorded: self = .offenceRecorded(Payload(data: data))
        case .employmentRecorded: self = .employmentRecorded(Payload(data: data))
        case .pbrClaimed: self = .pbrClaimed(Payload(data: data))
        case .eventCorrected: self = .eventCorrected(Payload(data: data))
        case .eventVoided: self = .eventVoided(Payload(data: data))
        case .holdPlaced: self = .holdPlaced(Payload(data: data))
        case .holdLifted: self = .holdLifted(Payload(data: data))
        case .recordRedacted: self = .recordRedacted(Payload(data: data))
        }
    }
}

extension TypedData {
    /// The event a correction or void names (nil for any other event: only these two kinds amend).
    package var amendmentTarget: String? {
        if case .eventCorrected(let payload) = self { return payload.decoded?.target }
        if case .eventVoided(let payload) = self { return payload.decoded?.target }
        return nil
    }
}

extension EventPayload {
    /// The type's name in the catalogue.
    static var name: String { declaration.name }
}
