import EventLog
import LedgerCore

/// One obligation a policy rule placed on a family's episode, and how it stands.
public struct Obligation: Sendable, Equatable {
    /// How the obligation was made.
    public enum Kind: String, Sendable { case deadline, recurring, duration, check }

    /// Status values of PROJECTIONS.md.
    public enum Status: String, Sendable, CaseIterable {
        case met, metLate = "met-late", open, overdue, lapsed, breached
    }

    public var family: String
    public var episode: Int
    public var rule: String
    public var label: String
    public var source: String
    public var kind: Kind
    /// The seq of the event that started the clock.
    public var fromSeq: Int
    public var fromDate: CivilDate
    public var dueOn: CivilDate
    public var metOn: CivilDate?
    public var metSeq: Int?
    /// Set when the episode closed before the due date.
    public var lapsedOn: CivilDate?
    /// For checks made at an event: whether the standard was met there.
    public var checkPassed: Bool?
    /// Why a check was breached, in words.
    public var detail: String?
    /// `extension.agreed[what=…]` that moves the due date.
    public var extendable: String?
    /// Events that meet it.
    var targets: [EventPattern]
    /// Filled in when the projection is finished.
    public var responsible: String?

    /// The status on `asOf`.
    public func status(asOf: CivilDate) -> Status {
        if let passed = checkPassed { return passed ? .met : .breached }
        if let metOn { return metOn <= dueOn ? .met : .metLate }
        if lapsedOn != nil { return .lapsed }
        return asOf > dueOn ? .overdue : .open
    }

    /// Calendar days after the due date that it was met, or is still unmet on `asOf` (0 when on time).
    public func daysLate(asOf: CivilDate) -> Int {
        switch status(asOf: asOf) {
        case .metLate: return dueOn.days(until: metOn ?? dueOn)
        case .overdue: return dueOn.days(until: asOf)
        default: return 0
        }
    }
}
