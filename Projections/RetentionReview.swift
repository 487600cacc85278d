import EventLog
import LedgerCore

/// The retention review (DATA-PROTECTION.md): which families' records may be disposed of on a date, which are
/// held and why, and which cannot be decided. A pure fold: feed it the log's events in order (`apply`), corrections
/// applied, then ask for the `rows` as of a date. It keeps what retention rules read and nothing else.
public struct RetentionReview: Sendable {
    /// A hold in force: its event id, reason, and reference.
    public struct Hold: Sendable, Equatable {
        public var id: String
        public var reason: String
        public var reference: String?
        public var stream: String
    }

    struct Family: Sendable {
        var children: [String: CivilDate?] = [:]
        var open = false
        var lastClosure: CivilDate?
        var firstReferral: CivilDate?
        var lastEvent: CivilDate?
        var lastSeq = 0
        var holds: [Hold] = []
        /// The seq of the `record.redacted` (retention-ended) that removed the family's record, if any.
        var redactedBy: Int?
    }

    struct Adoption: Sendable {
        var effectiveFrom: CivilDate
        var seq: Int
        var policy: Policy
    }

    var families: [String: Family] = [:]
    var orgHolds: [Hold] = []
    var adoptions: [Adoption] = []

    public init() {}

    /// Feeds one event (any stream), in log order.
    public mutating func apply(_ event: StoredEvent) {
        if event.isVoided || event.kind == .eventCorrected || event.kind == .eventVoided { return }
        let typed = event.typed
        switch typed {
        case .policyAdopted(let payload):
            guard let adoption = payload.decoded else { return }
            var policy: Policy?
            if let name = adoption.profile {
                policy = PolicyProfiles.profile(name)
            } else if let object = adoption.policy {
                policy = try? Policy(json: object)
            }
            if let policy {
                adoptions.append(
                    Adoption(effectiveFrom: adoption.effectiveFrom, seq: event.seq, policy: policy))
            }
            return
        case .holdPlaced(let payload) where event.stream == "org":
            orgHolds.append(Self.hold(payload.decoded, of: event))
            return
        case .holdLifted(let payload) where event.stream == "org":
            let lifted = payload.decoded?.hold
            orgHolds.removeAll { $0.id == lifted }
            return
        case .recordRedacted(let payload):
            if let redacted = payload.decoded, redacted.reason == "retention-ended" {
                families[redacted.family, default: Family()].redactedBy = event.seq
            }
            return
        case .teamDefined, .workerRegistered, .workerChanged, .workerLeft, .systemRegistered,
            .systemRetired, .referralReceived, .familyMemberAdded, .familyMemberLeft, .ufrnAssigned,
            .triageCompleted, .allocationDiscussed, .workerAllocated, .workerUnallocated,
            .referrerContacted, .contactAttempted, .consentRecorded, .engagementStarted,
            .visitCompleted, .meetingAttended, .noteRecorded, .supervisionRecorded, .concernRaised,
            .requirementMet, .assessmentCompleted, .planAgreed, .planUpdated, .planDistributed,
            .reviewCompleted, .caseSummaryCompleted, .extensionAgreed, .levelChanged,
            .stepupRequested, .stepupDecided, .transferCompleted, .closureApproved, .caseClosed,
            .pbrCriteriaIdentified, .attendanceRecorded, .offenceRecorded, .employmentRecorded,
            .pbrClaimed, .eventCorrected, .eventVoided, .holdPlaced, .holdLifted, .unknown:
            break
        }
        guard let ref = event.familyRef else { return }
        var family = families.removeValue(forKey: ref) ?? Family()
        defer { families[ref] = family }
        family.lastSeq = event.seq
        family.lastEvent = max(family.lastEvent ?? event.date, event.date)
        switch typed {
        case .referralReceived(let payload):
            if family.firstReferral == nil { family.firstReferral = event.date }
            family.open = true
            for member in payload.decoded?.members ?? [] { Self.add(member, to: &family) }
        case .familyMemberAdded(let payload):
            if let added = payload.decoded { Self.add(added.member, to: &family) }
        case .familyMemberLeft:
            // A child who left is still in the family's record: their dates still decide how long it is kept.
            break
        case .caseClosed:
            family.open = false
            family.lastClosure = event.date
        case .holdPlaced(let payload):
            family.holds.append(Self.hold(payload.decoded, of: event))
        case .holdLifted(let payload):
            let lifted = payload.decoded?.hold
            family.holds.removeAll { $0.id == lifted }
        case .policyAdopted, .teamDefined, .workerRegistered, .workerChanged, .workerLeft,
            .systemRegistered, .systemRetired, .ufrnAssigned, .triageCompleted,
            .allocationDiscussed, .workerAllocated, .workerUnallocated, .referrerContacted,
            .contactAttempted, .consentRecorded, .engagementStarted, .visitCompleted,
            .meetingAttended, .noteRecorded, .supervisionRecorded, .concernRaised, .requirementMet,
            .assessmentCompleted, .planAgreed, .planUpdated, .planDistributed, .reviewCompleted,
            .caseSummaryCompleted, .extensionAgreed, .levelChanged, .stepupRequested,
            .stepupDecided, .transferCompleted, .closureApproved, .pbrCriteriaIdentified,
            .attendanceRecorded, .offenceRecorded, .employmentRecorded, .pbrClaimed,
            .eventCorrected, .eventVoided, .recordRedacted, .unknown:
            break
        }
    }

    private static func hold(_ placed: HoldPlaced?, of event: StoredEvent) -> Hold {
        Hold(
            id: event.id, reason: placed?.reason ?? "", reference: placed?.reference,
            stream: event.stream)
    }

    private static func add(_ member: FamilyMember, to family: inout Family) {
        if member.role == "child" {
            family.children[member.id] = .some(member.dob)
        } else {
            family.children[member.id] = nil
        }
    }

    /// The policy in force on `date` (the latest `effectiveFrom` on or before it, the later in the log when equal;
    /// before any, the first adopted), as the other projections choose it.
    func policy(on date: CivilDate) -> Policy? {
        PolicyInForce.select(adoptions, on: date) { $0.effectiveFrom }?.policy
    }

    /// What the review says of one family.
    public struct Verdict: Sendable, Equatable {
        public enum Status: String, Sendable {
            case due, held, undecided = "cannot be decided", kept
        }
        public var family: String
        public var status: Status
        public var rule: RetentionRule?
        /// The date its retention ends (or ended).
        public var endsOn: CivilDate?
        /// The holds that block disposal (the family's own, then the organisation's).
        public var holds: [Hold]
        /// Why it cannot be decided.
        public var why: String?

        /// The row of `ledger retention`.
        public var row: JSONObject {
            var row = JSONObject()
            row["family"] = .string(family)
            row["status"] = .string(status.rawValue)
            row["rule"] = rule.map { .string($0.id) } ?? .null
            row["label"] = rule.map { .string($0.label) } ?? .null
            row["source"] = rule.map { .string($0.source) } ?? .null
            row["retentionEnded"] = endsOn.map { .string($0.description) } ?? .null
            row["held"] =
                holds.isEmpty
                ? .null
                : .string(
                    holds.map { hold in
                        "\(hold.stream == "org" ? "org hold" : "hold") \(hold.id): \(hold.reason)"
                            + (hold.reference.map { " (\($0))" } ?? "")
                    }.joined(separator: "; "))
            row["why"] = why.map { .string($0) } ?? .null
            return row
        }
    }

    /// The verdict on family `ref` as of `date`, by the policy in force that day; nil for a family not in the log,
    /// or whose record was redacted at the end of its retention and which has had nothing since.
    public func verdict(_ ref: String, asOf date: CivilDate) -> Verdict? {
        guard let family = families[ref], family.lastSeq > 0 else { return nil }
        if let redacted = family.redactedBy, redacted > family.lastSeq { return nil }
        let holds = family.holds + orgHolds
        var verdict = Verdict(
            family: ref, status: .undecided, rule: nil, endsOn: nil, holds: holds, why: nil)
        if family.open {
            verdict.why = "an episode is open"
            return verdict
        }
        guard let policy = policy(on: date) else {
            verdict.why = "no policy is in force"
            return verdict
        }
        guard !policy.retention.isEmpty else {
            verdict.why = "the policy in force (\(policy.name)) has no retention rule"
            return verdict
        }
        // Kept until the latest date any rule gives; that rule is the one reported.
        for rule in policy.retention {
            switch rule.keepUntil.evaluate({ name in Self.date(name, of: family) }) {
            case .failure(let why):
                verdict.rule = rule
                verdict.endsOn = nil
                verdict.why = why.reason
                return verdict
            case .success(let until):
                if verdict.endsOn.map({ until > $0 }) ?? true {
                    verdict.endsOn = until
                    verdict.rule = rule
                }
            }
        }
        guard let ends = verdict.endsOn else { return verdict }
        verdict.status = ends > date ? .kept : holds.isEmpty ? .due : .held
        return verdict
    }

    static func date(_ name: RetentionRule.DateName, of family: Family) -> Result<
        CivilDate, RetentionUndecided
    > {
        switch name {
        case .youngestChildDOB, .eldestChildDOB:
            if family.children.isEmpty {
                return .failure(RetentionUndecided(reason: "no child is recorded"))
            }
            let unknown = family.children.filter { $0.value == nil }.keys.sorted()
            if let first = unknown.first {
                return .failure(
                    RetentionUndecided(
                        reason:
                            "child \(first)\(unknown.count > 1 ? " and \(unknown.count - 1) more" : "") has no date of birth"
                    ))
            }
            let dates = family.children.values.compactMap { $0 }
            guard let chosen = name == .youngestChildDOB ? dates.max() : dates.min() else {
                return .failure(RetentionUndecided(reason: "no child is recorded"))
            }
            return .success(chosen)
        case .lastClosure:
            guard let closed = family.lastClosure else {
                return .failure(RetentionUndecided(reason: "the family was never closed"))
            }
            return .success(closed)
        case .firstReferral:
            guard let referred = family.firstReferral else {
                return .failure(RetentionUndecided(reason: "the family has no referral"))
            }
            return .success(referred)
        case .lastEvent:
            guard let last = family.lastEvent else {
                return .failure(RetentionUndecided(reason: "the family has no event"))
            }
            return .success(last)
        }
    }

    /// Every family whose retention has ended by `date` (due or held) and every family that cannot be decided,
    /// by family ref.
    public func verdicts(asOf date: CivilDate) -> [Verdict] {
        families.keys.sorted().compactMap { verdict($0, asOf: date) }.filter { $0.status != .kept }
    }

    /// The columns of `ledger retention`.
    public static let columns = [
        "family", "status", "rule", "label", "source", "retentionEnded", "held", "why",
    ]
}
