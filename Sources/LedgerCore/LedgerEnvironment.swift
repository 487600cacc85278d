import EventLog

/// The clock and the randomness the ledger uses, injected so that tests and the demo are exact.
public struct LedgerEnvironment: Sendable {
    /// Now, for `recordedAt`.
    public var now: @Sendable () -> Timestamp
    /// Fresh random bytes (salts, generated ids).
    public var randomBytes: @Sendable (Int) -> [UInt8]

    /// Creates an environment.
    public init(now: @escaping @Sendable () -> Timestamp, randomBytes: @escaping @Sendable (Int) -> [UInt8]) {
        self.now = now
        self.randomBytes = randomBytes
    }

    /// The system clock and the system's random source (`getrandom`).
    public static let live = LedgerEnvironment(
        now: {
            var spec = timespec()
            clock_gettime(CLOCK_REALTIME, &spec)
            return Timestamp(seconds: Int64(spec.tv_sec), nanoseconds: Int32(spec.tv_nsec / 1_000_000 * 1_000_000))
        },
        randomBytes: { count in
            // Eight bytes per call to the system's generator (each call goes to the kernel), not one.
            var generator = SystemRandomNumberGenerator()
            var bytes = [UInt8](repeating: 0, count: count)
            var filled = 0
            while filled < count {
                var word = generator.next()
                let take = min(8, count - filled)
                withUnsafeBytes(of: &word) { raw in
                    for index in 0..<take { bytes[filled + index] = raw[index] }
                }
                filled += take
            }
            return bytes
        })

    /// A fixed clock and a seeded generator: the same inputs give the same bytes. For tests and the demo only:
    /// predictable salts would weaken redaction on real case data.
    public static func deterministic(now: Timestamp, seed: UInt64) -> LedgerEnvironment {
        let state = SeededState(seed: seed)
        return LedgerEnvironment(now: { state.tick(from: now) }, randomBytes: { state.bytes($0) })
    }

    /// The same randomness with the clock at `instant` (the demo records each day's events that evening).
    public func at(_ instant: Timestamp) -> LedgerEnvironment {
        LedgerEnvironment(now: { instant }, randomBytes: randomBytes)
    }

    /// A random version-4 UUID, lowercase, for events whose writer gave no id.
    public func makeUUID() -> String {
        var bytes = randomBytes(16)
        bytes[6] = (bytes[6] & 0x0F) | 0x40
        bytes[8] = (bytes[8] & 0x3F) | 0x80
        let groups: [ArraySlice<UInt8>] = [bytes[0..<4], bytes[4..<6], bytes[6..<8], bytes[8..<10], bytes[10..<16]]
        return groups.map { Hex.encode($0) }.joined(separator: "-")
    }

    /// 32 lowercase hex digits of fresh randomness.
    public func makeSalt() -> String { Hex.encode(randomBytes(16)) }
}

#if canImport(Glibc)
    import Glibc
#endif

/// `SplitMix` behind a lock, so a deterministic environment can be shared.
final class SeededState: @unchecked Sendable {
    private var generator: SplitMix
    private var lock = pthread_mutex_t()

    init(seed: UInt64) {
        generator = SplitMix(seed: seed)
        pthread_mutex_init(&lock, nil)
    }

    func next() -> UInt64 {
        pthread_mutex_lock(&lock)
        defer { pthread_mutex_unlock(&lock) }
        return generator.next()
    }

    func bytes(_ count: Int) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(count)
        while out.count < count {
            let word = next()
            for shift in stride(from: 0, to: 64, by: 8) where out.count < count {
                out.append(UInt8(truncatingIfNeeded: word >> UInt64(shift)))
            }
        }
        return out
    }

    /// The fixed instant: every call returns the same moment (recordedAt is then identical across runs).
    func tick(from start: Timestamp) -> Timestamp { start }
}
