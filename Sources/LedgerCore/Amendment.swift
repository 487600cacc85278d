import EventLog

/// A correction or void of an event.
public struct Amendment: Sendable, Equatable {
    public enum Kind: String, Sendable { case corrected, voided }
    public let kind: Kind
    /// The correcting event's id and seq.
    public let by: String
    public let seq: Int
    public let date: CivilDate
    public let reason: String
    /// The replacement data (corrections), held in memory.
    public let data: EventData?
    /// The data before this amendment.
    public var original: EventData?

    package init(
        kind: Kind, by: String, seq: Int, date: CivilDate, reason: String, data: EventData?,
        original: EventData? = nil
    ) {
        self.kind = kind
        self.by = by
        self.seq = seq
        self.date = date
        self.reason = reason
        self.data = data
        self.original = original
    }
}

/// Which events a projection sees: those that occurred by the end of `asOf` and were recorded by `knownAt`.
public struct EventWindow: Sendable {
    public var asOf: CivilDate?
    public var knownAt: Timestamp?

    public init(asOf: CivilDate? = nil, knownAt: Timestamp? = nil) {
        self.asOf = asOf
        self.knownAt = knownAt
    }

    public func includes(date: CivilDate, recordedAt: Timestamp) -> Bool {
        if let asOf, date > asOf { return false }
        if let knownAt, recordedAt > knownAt { return false }
        return true
    }

    /// The corrections and voids that count in this window: those recorded by `knownAt`, whatever their own
    /// date. A correction is a fact about the record, not the world (EVENTS.md, Corrections): on the valid-time
    /// axis (`asOf`) it applies to its target at the target's date, so February re-run in April shows February as
    /// we now know it; on the transaction-time axis (`knownAt`) it counts only once recorded, so `--known-at` the
    /// day a report was sent reproduces what it said.
    public var amendments: EventWindow { EventWindow(knownAt: knownAt) }
}

/// The corrections and voids that count in a window (`EventWindow.amendments`), by the id of the event they amend.
public struct AmendmentIndex: Sendable {
    let byTarget: [String: [Amendment]]
    /// Fingerprints of the targets' ids: most events are not amended, and this tells so without making a string.
    private let targets: Set<UInt64>
    /// What the corrections and voids read covered (see `Coverage`).
    public let coverage: Coverage

    package init(byTarget: [String: [Amendment]], coverage: Coverage = Coverage()) {
        self.byTarget = byTarget
        self.coverage = coverage
        targets = Set(byTarget.keys.map(StoredEvent.fingerprint))
    }

    /// How many events are amended.
    public var count: Int { byTarget.count }

    /// The ids of the events amended.
    public var targetIDs: Set<String> { Set(byTarget.keys) }

    /// Whether any amendment applies to `event`.
    package func amends(_ event: StoredEvent) -> Bool {
        !targets.isEmpty && targets.contains(event.idFingerprint) && byTarget[event.id] != nil
    }

    /// Applies the amendments of `event`, in log order: corrections replace the data, voids mark it.
    package func apply(to event: inout StoredEvent) {
        guard let list = byTarget[event.id] else { return }
        var current = event.data
        var applied: [Amendment] = []
        for var amendment in list {
            amendment.original = current
            if amendment.kind == .corrected, let replacement = amendment.data {
                current = replacement
            }
            applied.append(amendment)
        }
        event.data = current
        event.amendments = applied
    }
}
