/// What a read covered: the latest event date and recording time it let in, and whether the window left out any
/// event it would otherwise have read. A fold that left nothing out is the fold of everything, and can be kept
/// as a checkpoint for any window that lets in what it covers.
public struct Coverage: Sendable, Equatable {
    public var leftOut = false
    public var latestDate: CivilDate?
    public var latestRecordedAt: Timestamp?

    public init() {}

    package mutating func include(date: CivilDate, recordedAt: Timestamp) {
        if latestDate.map({ date > $0 }) ?? true { latestDate = date }
        if latestRecordedAt.map({ recordedAt > $0 }) ?? true { latestRecordedAt = recordedAt }
    }

    public mutating func merge(_ other: Coverage) {
        leftOut = leftOut || other.leftOut
        if let date = other.latestDate, let recorded = other.latestRecordedAt {
            include(date: date, recordedAt: recorded)
        }
    }

    /// Whether `window` lets in everything this covered.
    public func fits(_ window: EventWindow) -> Bool {
        if let asOf = window.asOf, let latest = latestDate, latest > asOf { return false }
        if let knownAt = window.knownAt, let latest = latestRecordedAt, latest > knownAt {
            return false
        }
        return true
    }
}
