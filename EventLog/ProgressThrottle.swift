/// When a progress line on a terminal may be redrawn: at most once per `interval` (a quarter of a second: four
/// updates a second), the first at once. Pure: the caller gives the time (monotonic nanoseconds).
public struct ProgressThrottle: Sendable {
    /// The least time between two updates, in nanoseconds.
    public let interval: UInt64
    private var last: UInt64?

    public init(interval: UInt64 = 250_000_000) { self.interval = interval }

    /// Whether an update at `now` may be shown; if so, it is counted as shown.
    public mutating func allows(at now: UInt64) -> Bool {
        if let last, now >= last, now - last < interval { return false }
        last = now
        return true
    }

    /// Counts an update at `now` as shown whatever the interval (a new stage of the work, shown at once).
    public mutating func shown(at now: UInt64) { last = now }
}
