import EventLog
import LedgerCore

/// The clock and the randomness the ledger uses, injected so that tests and the demo are exact.
public struct LedgerEnvironment: Sendable {
    /// Now, for `recordedAt`.
    public var now: @Sendable () -> Timestamp
    /// Fresh random bytes (salts, generated ids).
    public var randomBytes: @Sendable (Int) -> [UInt8]

    /// Creates an environment.
    public init(
        now: @escaping @Sendable () -> Timestamp, randomBytes: @escaping @Sendable (Int) -> [UInt8]
    ) {
        self.now = now
        self.randomBytes = randomBytes
    }

    /// The system clock and the kernel's random source.
    public static let live = LedgerEnvironment(
        now: {
            var spec = timespec()
            clock_gettime(CLOCK_REALTIME, &spec)
            return Timestamp(
                seconds: Int64(spec.tv_sec),
                nanoseconds: Int32(spec.tv_nsec / 1_000_000 * 1_000_000))
        },
        randomBytes: { count in KernelRandom.shared.bytes(count) })

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
        let groups: [ArraySlice<UInt8>] = [
            bytes[0..<4], bytes[4..<6], bytes[6..<8], bytes[8..<10], bytes[10..<16],
        ]
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

/// The kernel's random bytes, read a page at a time and each handed out once.
///
/// A salt is 16 bytes; asking the kernel for each (two system calls of eight bytes, through
/// `SystemRandomNumberGenerator`) cost more than the rest of an event's append. The bytes come from
/// `/dev/urandom`, the kernel's generator that `getrandom` also reads (which Swift's Glibc module does not offer);
/// a byte handed out is zeroed in the pool. When the device cannot be read, each call asks the system's generator.
final class KernelRandom: @unchecked Sendable {
    static let shared = KernelRandom()

    private var pool = [UInt8](repeating: 0, count: 4096)
    private var next = 4096
    private var descriptor: Int32 = -2
    private var lock = pthread_mutex_t()

    private init() { pthread_mutex_init(&lock, nil) }

    func bytes(_ count: Int) -> [UInt8] {
        pthread_mutex_lock(&lock)
        defer { pthread_mutex_unlock(&lock) }
        var out: [UInt8] = []
        out.reserveCapacity(count)
        while out.count < count {
            if next == pool.count && !refill() {
                return out + Self.fromGenerator(count - out.count)
            }
            let take = min(count - out.count, pool.count - next)
            out.append(contentsOf: pool[next..<(next + take)])
            for index in next..<(next + take) { pool[index] = 0 }
            next += take
        }
        return out
    }

    /// Fills the pool from the device; false when it cannot be read.
    private func refill() -> Bool {
        if descriptor == -2 { descriptor = open("/dev/urandom", O_RDONLY | O_CLOEXEC) }
        guard descriptor >= 0 else { return false }
        var filled = 0
        while filled < pool.count {
            let got = pool.withUnsafeMutableBytes { raw in
                read(descriptor, raw.baseAddress.map { $0 + filled }, raw.count - filled)
            }
            if got < 0 && errno == EINTR { continue }
            guard got > 0 else {
                close(descriptor)
                descriptor = -1
                return false
            }
            filled += got
        }
        next = 0
        return true
    }

    /// `count` bytes from the system's generator, eight per call.
    static func fromGenerator(_ count: Int) -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        var bytes: [UInt8] = []
        bytes.reserveCapacity(count + 8)
        while bytes.count < count {
            withUnsafeBytes(of: generator.next()) { bytes.append(contentsOf: $0) }
        }
        return Array(bytes.prefix(count))
    }
}
