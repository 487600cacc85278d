#if canImport(Glibc)
    import Glibc
#endif
import EventLog
import LedgerCore
import LedgerDemo
import LedgerEngine

/// A ledger in a temporary directory with a pinned clock, for exact tests.
public struct TestLedger: Sendable {
    /// The directory.
    public let directory: TemporaryDirectory
    /// The store.
    public let store: LedgerStore
    /// The log's path.
    public var path: String { store.file.path }

    /// A new log with `profile` adopted from 1990-01-01, the clock at `now`.
    public init(
        profile: String = "warwickshire-fsw", now: String = "2026-11-23T12:00:00Z", seed: UInt64 = 7
    ) throws {
        directory = TemporaryDirectory()
        let instant = Timestamp(rfc3339: now) ?? Timestamp(seconds: 0)
        store = LedgerStore(
            path: directory.file("ledger.jsonl"),
            environment: .deterministic(now: instant, seed: seed))
        _ = try store.initialize(
            policy: JSONObject([JSONMember("profile", .string(profile))]),
            effectiveFrom: CivilDate(year: 1990, month: 1, day: 1) ?? CivilDate(dayNumber: 0),
            id: "policy-1",
            systems: [
                .init(id: "hr", purpose: "hr-feed"), .init(id: "dm", purpose: "data-matching"),
            ])
    }

    /// Appends lines all-or-nothing; returns the outcomes.
    @discardableResult
    public func append(_ lines: [String], expectVersion: Int? = nil) throws -> [AppendOutcome] {
        var outcomes: [AppendOutcome] = []
        try store.append(
            .lines(lines.map { Array($0.utf8) }), mode: .atomic, expectVersion: expectVersion
        ) { _, outcome, _ in
            outcomes.append(outcome)
        }
        return outcomes
    }

    /// Appends one line and returns its refusal, if it was refused.
    public func refusal(_ line: String) throws -> ValidationError? {
        for outcome in try append([line]) {
            if case .refused(let error) = outcome { return error }
        }
        return nil
    }
}

/// Demo logs for tests that want every event type, corrections and voids, late work and many families, written
/// through the real append path (the same code as `ledger demo`), one per size and seed, made once per process.
/// Their directories are removed when the process exits (a static value is never deinitialised).
public enum DemoLog {
    nonisolated(unsafe) private static var made: [String: (TemporaryDirectory, String)] = [:]
    private static let lock = TestMutex()
    nonisolated(unsafe) private static var removalRegistered = false

    /// The path of a demo log of `families` families.
    public static func path(families: Int = 40, seed: UInt64 = 3) throws -> String {
        try lock.withLock {
            let key = "\(families)-\(seed)"
            if let (_, path) = made[key] { return path }
            if !removalRegistered {
                removalRegistered = true
                atexit { DemoLog.removeAll() }
            }
            let directory = TemporaryDirectory()
            let path = directory.file("demo.jsonl")
            let today = CivilDate(year: 2026, month: 11, day: 23) ?? CivilDate(dayNumber: 0)
            let (_, refusals) = try DemoScenario(families: families, seed: seed, today: today)
                .record(into: path, seed: seed)
            guard refusals.isEmpty else { throw DemoLogError(refusals: refusals) }
            made[key] = (directory, path)
            return path
        }
    }

    struct DemoLogError: Error { var refusals: [String] }

    /// Drops every demo log, so that their directories are removed.
    private static func removeAll() { lock.withLock { made = [:] } }
}

/// A mutex for test support.
final class TestMutex: @unchecked Sendable {
    private var mutex = pthread_mutex_t()
    init() { pthread_mutex_init(&mutex, nil) }
    deinit { pthread_mutex_destroy(&mutex) }
    func withLock<T>(_ body: () throws -> T) rethrows -> T {
        pthread_mutex_lock(&mutex)
        defer { pthread_mutex_unlock(&mutex) }
        return try body()
    }
}
