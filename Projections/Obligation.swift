import EventLog
import LedgerCore

/// One obligation a policy rule placed on a family's episode, and how it stands.
public struct Obligation: Sendable, Equatable {
    /// How the obligation was made.
    public enum Kind: String, Sendable {
        case deadline, recurring, duration, check
        /// A clock with no limit: a referral awaiting triage where the policy sets no timescale. Open until met,
        /// never judged late; its age is in its detail.
        case awaiting
    }

    /// Status values of PROJECTIONS.md.
    public enum Status: String, Sendable, CaseIterable {
        case met, metLate = "met-late", open, overdue, lapsed, breached
        /// Open, past its rule's warning point (`warnOn`) and not yet overdue (POLICIES.md: a duration's `warnAt`).
        case warning
    }

    public var family: String
    /// Why a check was breached, in words.
    public var detail: String?
    /// Filled in when the projection is finished.
    public var responsible: String?
    /// What its rule says of it: shared by every obligation the rule makes.
    public let terms: ObligationTerms
    public var episode: Int
    /// The seq of the event that started the clock.
    public var fromSeq: Int
    public var fromDate: CivilDate
    public var dueOn: CivilDate
    public var metOn: CivilDate?
    /// For checks made at an event: whether the standard was met there.
    public var checkPassed: Bool?
    /// Set when the episode closed before the due date.
    public var lapsedOn: CivilDate?
    public var metSeq: Int?
    /// Where the rule sets a warning point (a duration's `warnAt`): from this date until it is met or overdue, its
    /// status is `warning` (003 §4.6: Strengthening Families' 16 weeks).
    public var warnOn: CivilDate?

    public var rule: String { terms.rule }
    public var label: String { terms.label }
    public var source: String { terms.source }
    public var kind: Kind { terms.kind }
    /// `extension.agreed[what=…]` that moves the due date.
    public var extendable: String? { terms.extendable }
    /// Events that meet it.
    var targets: [EventPattern] { terms.targets }

    public init(
        family: String, episode: Int, terms: ObligationTerms, fromSeq: Int, fromDate: CivilDate,
        dueOn: CivilDate,
        checkPassed: Bool? = nil, detail: String? = nil
    ) {
        self.family = family
        self.episode = episode
        self.terms = terms
        self.fromSeq = fromSeq
        self.fromDate = fromDate
        self.dueOn = dueOn
        self.checkPassed = checkPassed
        self.detail = detail
    }

    /// What an item awaiting triage says of itself (its `detail`): its age on the as-of date (`days`), or, where it
    /// is shown without counting days (a family's page: `Reports.nextPageChange`), the day it was referred.
    public static func awaitingDetail(days: Int?, referredOn: CivilDate) -> String {
        let age =
            days.map { "\($0) day\($0 == 1 ? "" : "s") after the referral on \(referredOn)" }
            ?? "since the referral on \(referredOn)"
        return "awaiting triage \(age); the policy sets no timescale"
    }

    /// Its detail as shown where no days are counted (`awaitingDetail`).
    public var detailCountingNoDays: String? {
        kind == .awaiting && detail != nil
            ? Self.awaitingDetail(days: nil, referredOn: fromDate) : detail
    }

    /// The due date as the rows show it: none for a clock with no limit.
    public var shownDueOn: CivilDate? { kind == .awaiting ? nil : dueOn }

    /// The status on `asOf`.
    public func status(asOf: CivilDate) -> Status {
        if let passed = checkPassed { return passed ? .met : .breached }
        if kind == .awaiting { return metOn != nil ? .met : lapsedOn != nil ? .lapsed : .open }
        if let metOn { return metOn <= dueOn ? .met : .metLate }
        if lapsedOn != nil { return .lapsed }
        if asOf > dueOn { return .overdue }
        if let warnOn, asOf >= warnOn { return .warning }
        return .open
    }

    /// Whether the dashboard lists it as due soon on `asOf`: open and due within 7 days, or past its warning point.
    public func isDueSoon(asOf: CivilDate) -> Bool {
        switch status(asOf: asOf) {
        case .warning: return true
        case .open: return kind != .awaiting && dueOn <= asOf.adding(days: 7)
        default: return false
        }
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

/// What a policy rule says of each obligation it makes: its id, label, source, kind, the extension that moves it
/// and the events that meet it. Made once per rule (an obligation is then smaller by the size of five strings and
/// an array), and equal when every part is.
public final class ObligationTerms: Sendable, Equatable {
    public let rule: String
    public let label: String
    public let source: String
    public let kind: Obligation.Kind
    public let extendable: String?
    let targets: [EventPattern]

    init(
        rule: String, label: String, source: String, kind: Obligation.Kind,
        extendable: String? = nil, targets: [EventPattern] = []
    ) {
        self.rule = rule
        self.label = label
        self.source = source
        self.kind = kind
        self.extendable = extendable
        self.targets = targets
    }

    public static func == (lhs: ObligationTerms, rhs: ObligationTerms) -> Bool {
        lhs === rhs
            || (lhs.rule == rhs.rule && lhs.label == rhs.label && lhs.source == rhs.source
                && lhs.kind == rhs.kind
                && lhs.extendable == rhs.extendable && lhs.targets == rhs.targets)
    }
}

// MARK: Snapshot coding

/// An obligation's terms are written as their strings' places in the table, interleaved with its own members
/// (the layout of snapshot version 2), and read back shared: the obligations of a rule get one `ObligationTerms`.
extension Obligation: SnapshotCodable {
    func encode(into writer: inout SnapshotWriter) {
        writer.string(family)
        writer.int(episode)
        writer.string(terms.rule)
        writer.string(terms.label)
        writer.string(terms.source)
        writer.string(terms.kind.rawValue)
        writer.int(fromSeq)
        writer.date(fromDate)
        writer.date(dueOn)
        writer.optional(metOn) { $0.date($1) }
        writer.optional(metSeq) { $0.int($1) }
        writer.optional(lapsedOn) { $0.date($1) }
        writer.optional(checkPassed) { $0.bool($1) }
        writer.optional(detail) { $0.string($1) }
        writer.optional(terms.extendable) { $0.string($1) }
        writer.array(terms.targets) { $0.string($1.description) }
        writer.optional(responsible) { $0.string($1) }
        writer.optional(warnOn) { $0.date($1) }
    }

    init(from reader: inout SnapshotReader) throws {
        let family = try reader.string()
        let episode = try reader.int()
        // The terms' strings by their places in the table, read as strings when first seen.
        var key = [
            try reader.stringIndex(), try reader.stringIndex(), try reader.stringIndex(),
            try reader.stringIndex(),
        ]
        let fromSeq = try reader.int()
        let fromDate = try reader.date()
        let dueOn = try reader.date()
        let metOn = try reader.optional { try $0.date() }
        let metSeq = try reader.optional { try $0.int() }
        let lapsedOn = try reader.optional { try $0.date() }
        let checkPassed = try reader.optional { try $0.bool() }
        let detail = try reader.optional { try $0.string() }
        key.append(try reader.optional { try $0.stringIndex() } ?? -1)
        key += try reader.array { try $0.stringIndex() }
        let terms = try reader.obligationTerms[key] ?? ObligationTerms(key: key, from: &reader)
        self.init(
            family: family, episode: episode, terms: terms, fromSeq: fromSeq, fromDate: fromDate,
            dueOn: dueOn, checkPassed: checkPassed, detail: detail)
        self.metOn = metOn
        self.metSeq = metSeq
        self.lapsedOn = lapsedOn
        responsible = try reader.optional { try $0.string() }
        warnOn = try reader.optional { try $0.date() }
    }
}

extension ObligationTerms {
    /// The terms whose strings are at `key`'s places in `reader`'s table (rule, label, source, kind, extendable
    /// or -1, targets), made once and kept by the reader for the other obligations of the rule.
    fileprivate convenience init(key: [Int], from reader: inout SnapshotReader) throws {
        guard let kind = Obligation.Kind(rawValue: reader.string(at: key[3])) else {
            throw SnapshotError(reason: "obligation kind")
        }
        var targets: [String] = []
        for index in key[5...] { targets.append(reader.string(at: index)) }
        self.init(
            rule: reader.string(at: key[0]), label: reader.string(at: key[1]),
            source: reader.string(at: key[2]), kind: kind,
            extendable: key[4] < 0 ? nil : reader.string(at: key[4]),
            targets: try Self.patterns(targets, from: &reader))
        reader.obligationTerms[key] = self
    }

    /// The event patterns named by `texts`, made once per distinct list (an obligation's targets are its rule's).
    private static func patterns(_ texts: [String], from reader: inout SnapshotReader) throws
        -> [EventPattern]
    {
        if let known = reader.patternLists[texts] { return known }
        var made: [EventPattern] = []
        made.reserveCapacity(texts.count)
        for text in texts {
            guard let pattern = EventPattern(text) else {
                throw SnapshotError(reason: "event pattern \(text)")
            }
            made.append(pattern)
        }
        reader.patternLists[texts] = made
        return made
    }
}
