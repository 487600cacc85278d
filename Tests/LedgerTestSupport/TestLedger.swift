import EventLog
import LedgerCore

/// A ledger in a temporary directory with a pinned clock, for exact tests.
public struct TestLedger: Sendable {
    /// The directory.
    public let directory: TemporaryDirectory
    /// The store.
    public let store: LedgerStore
    /// The log's path.
    public var path: String { store.file.path }

    /// A new log with `profile` adopted from 1990-01-01, the clock at `now`.
    public init(profile: String = "warwickshire-fsw", now: String = "2026-11-23T12:00:00Z", seed: UInt64 = 7) throws {
        directory = TemporaryDirectory()
        let instant = Timestamp(rfc3339: now) ?? Timestamp(seconds: 0)
        store = LedgerStore(path: directory.file("ledger.jsonl"), environment: .deterministic(now: instant, seed: seed))
        _ = try store.initialize(
            policy: JSONObject([JSONMember("profile", .string(profile))]), effectiveFrom: CivilDate(year: 1990, month: 1, day: 1) ?? CivilDate(dayNumber: 0),
            id: "policy-1")
    }

    /// Appends lines all-or-nothing; returns the outcomes.
    @discardableResult
    public func append(_ lines: [String], expectVersion: Int? = nil) throws -> [AppendOutcome] {
        var outcomes: [AppendOutcome] = []
        try store.append(.lines(lines.map { Array($0.utf8) }), mode: .atomic, expectVersion: expectVersion) { _, outcome, _ in
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
