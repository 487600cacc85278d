import EventLog

/// What became of one input line.
public enum AppendOutcome: Sendable, Equatable {
    /// Appended (durable once the call returns, or once its batch is reported for ingest).
    case appended(seq: Int, hash: String, id: String)
    /// Already in the log with the same content: skipped.
    case duplicate(seq: Int, id: String)
    /// Refused, with the reason.
    case refused(ValidationError)
}

/// Counts and events of one append or ingest.
public struct AppendSummary: Sendable, Equatable {
    public var appended = 0
    public var duplicates = 0
    public var refused = 0
    /// Set when a torn tail was recovered before appending.
    public var recovery: RecoveryReport?
    /// The head after the call.
    public var head = LogHead.empty
    /// Set when the log write succeeded but a derived file (index, state checkpoint) could not be updated; it
    /// is rebuilt from the log next time, so this is a warning, not a failure.
    public var derivedWarning: String?

    /// Zero counts.
    public init() {}
}

/// How an append treats refusals.
public enum AppendMode: Sendable {
    /// `ledger append`: all lines or none. One refusal and nothing is written.
    case atomic
    /// `ledger ingest`: valid lines are appended in order, refused ones reported; `fsync` per batch.
    case ingest(batchSize: Int)
}

/// Where input lines come from.
public enum InputSource: Sendable {
    /// A file.
    case file(String)
    /// Standard input.
    case standardInput
    /// Lines in memory (tests, `record`, `init`, the demo).
    case lines([[UInt8]])
}

/// The files the ledger keeps beside a log (`<log><suffix>`): all derived from the log and rebuilt when missing or
/// stale, except the lock file, which holds nothing.
public enum DerivedFiles {
    public static let suffixes = [
        ".lock", ".ids", ".state", ".state-delta", ".fold-caseload", ".fold-families", ".fold-all",
    ]

    /// Removes the log at `path` and every file beside it (a demo or a benchmark starting afresh).
    public static func removeLog(_ path: String) {
        FileOutput.remove(path)
        for suffix in suffixes { FileOutput.remove(path + suffix) }
    }
}

/// The write side of the ledger: validation, idempotency and durable appends, under the log's lock.
public struct LedgerStore: Sendable {
    /// The log file.
    public let file: LedgerFile
    /// Clock and randomness.
    public var environment: LedgerEnvironment

    /// A store over the log at `path`.
    public init(path: String, environment: LedgerEnvironment = .live) {
        file = LedgerFile(path: path)
        self.environment = environment
    }

    /// Creates the log with `policy.adopted` as event 1.
    public func initialize(policy: JSONObject, effectiveFrom: CivilDate, id: String? = nil) throws -> AppendSummary {
        try file.create()
        var data = policy
        data["effectiveFrom"] = .string(effectiveFrom.description)
        var event = JSONObject([
            JSONMember("stream", "org"), JSONMember("type", "policy.adopted"),
            JSONMember("occurredAt", .string(effectiveFrom.description)),
            JSONMember("actor", ["id": "ledger", "role": "system"]), JSONMember("data", .object(data)),
        ])
        if let id { event.members.insert(JSONMember("id", .string(id)), at: 0) }
        return try append(.lines([JSONWriter.bytes(.object(event))]), mode: .atomic)
    }

    /// Appends events from `source`. `onOutcome` hears about every input line, in order; for `.ingest` a line's
    /// `.appended` is only reported once its batch is durable. `autoRecover` repairs a torn tail first (and says
    /// so in the summary) instead of refusing.
    @discardableResult
    public func append(
        _ source: InputSource, mode: AppendMode, expectVersion: Int? = nil, autoRecover: Bool = true,
        onOutcome: (Int, AppendOutcome, UnsafeBufferPointer<UInt8>) throws -> Void = { _, _, _ in }
    ) throws -> AppendSummary {
        try file.withLock { locked in
            var summary = AppendSummary()
            if locked.tornBytes > 0 {
                guard autoRecover else { throw EventLogError.tornTail(path: locked.path, bytes: locked.tornBytes) }
                summary.recovery = try locked.recover()
            }
            let index = try IdIndex.open(for: locked)
            var state = try Self.loadState(locked: locked, index: index)
            var session = AppendSession(
                locked: locked, index: index, environment: environment, mode: mode, expectVersion: expectVersion)
            func process(_ line: UnsafeBufferPointer<UInt8>, _ number: Int, _ tooLong: Bool) throws {
                let outcome = session.process(line, number: number, tooLong: tooLong, state: &state)
                // Ingest reports an appended line only once its batch is durable; outcomes behind it wait too, so
                // every line is reported in input order.
                var waits = false
                if case .ingest = mode {
                    if case .appended = outcome { waits = true } else { waits = !session.deferred.isEmpty }
                }
                if waits {
                    session.deferred.append((number, outcome, Array(line)))
                } else {
                    try onOutcome(number, outcome, line)
                }
                if case .ingest(let size) = mode, session.pendingCount >= size {
                    try session.flush()
                    for (deferredNumber, deferredOutcome, bytes) in session.deferred {
                        try bytes.withUnsafeBufferPointer { try onOutcome(deferredNumber, deferredOutcome, $0) }
                    }
                    session.deferred.removeAll()
                }
            }
            switch source {
            case .lines(let lines):
                for (offset, line) in lines.enumerated() {
                    try line.withUnsafeBufferPointer { try process($0, offset + 1, false) }
                }
            case .file(let path):
                try LogReader(path: path).forEachLine { line, position, info in
                    try process(line, position.lineNumber, info.tooLong)
                }
            case .standardInput:
                try LogReader(descriptor: 0, name: "standard input").forEachLine { line, position, info in
                    try process(line, position.lineNumber, info.tooLong)
                }
            }
            if case .atomic = mode, session.refusedCount > 0 {
                // All or nothing: the lines that were fine are not written either.
                summary.refused = session.refusedCount
                summary.head = locked.head
                return summary
            }
            try session.flush()
            for (number, outcome, bytes) in session.deferred {
                try bytes.withUnsafeBufferPointer { try onOutcome(number, outcome, $0) }
            }
            if session.appendedCount > 0 || state.base == nil || !state.dirtyStreams.isEmpty {
                do { try WriteStateStore.save(state, head: locked.head, for: locked.path) } catch {
                    session.derivedWarning = session.derivedWarning ?? "the state checkpoint could not be updated (\(error)); it will be rebuilt from the log"
                }
            }
            summary.derivedWarning = session.derivedWarning
            summary.appended = session.appendedCount
            summary.duplicates = session.duplicateCount
            summary.refused = session.refusedCount
            summary.head = locked.head
            return summary
        }
    }

    /// The registered role of a worker, if registered and not left (for `ledger record`).
    public func registeredRole(of worker: String) throws -> String? {
        try file.withLock { locked in
            let index = try IdIndex.open(for: locked)
            let state = try Self.loadState(locked: locked, index: index)
            guard let registered = state.worker(worker), !registered.left else { return nil }
            return registered.role
        }
    }

    /// The write state at the log's head: from the checkpoint, caught up, or rebuilt from the log.
    static func loadState(locked: LockedLedger, index: IdIndex) throws -> WriteState {
        var (state, head) = WriteStateStore.load(for: locked) ?? (WriteState(), .empty)
        if head.size < locked.head.size {
            try LogReader(path: locked.path).forEachLine(from: head.size, to: locked.head.size) { line, position, _ in
                let record = try LineFormat.decodeStored(line, atByte: position.offset)
                state.apply(EventFacts(record.content)) { id in
                    (try? Self.find(id, locked: locked, index: index))?.content.type
                }
            }
        }
        return state
    }

    /// The stored record with `id`, if any.
    static func find(_ id: String, locked: LockedLedger, index: IdIndex) throws -> LedgerRecord? {
        for offset in try index.candidates(for: id) where offset < locked.head.size {
            guard let line = try locked.line(at: offset), let record = try? LineFormat.decode(line) else { continue }
            if record.content.id == id { return record }
        }
        return nil
    }
}

/// The work of one append call: the pending batch and its bookkeeping.
struct AppendSession {
    let locked: LockedLedger
    let index: IdIndex
    let environment: LedgerEnvironment
    let mode: AppendMode
    let expectVersion: Int?
    let recordedAt: Timestamp
    let recordedAtText: String

    var pendingLines: [UInt8] = []
    var pendingEntries: [(key: UInt64, offset: Int)] = []
    var pendingIDs: [String: (fingerprint: [UInt8], seq: Int, type: String, stream: String)] = [:]
    var pendingCount = 0
    var head: LogHead
    var deferred: [(Int, AppendOutcome, [UInt8])] = []
    var appendedCount = 0
    var duplicateCount = 0
    var refusedCount = 0
    var expectedStream: String?
    /// Once the index could not be updated, every id appended in this run stays in `pendingIDs`.
    var derivedWarning: String?

    init(locked: LockedLedger, index: IdIndex, environment: LedgerEnvironment, mode: AppendMode, expectVersion: Int?) {
        self.locked = locked
        self.index = index
        self.environment = environment
        self.mode = mode
        self.expectVersion = expectVersion
        recordedAt = environment.now()
        recordedAtText = recordedAt.rfc3339
        head = locked.head
    }

    mutating func process(_ line: UnsafeBufferPointer<UInt8>, number: Int, tooLong: Bool, state: inout WriteState)
        -> AppendOutcome
    {
        do {
            if tooLong {
                throw ValidationError(line: number, field: "line", rule: "longer than 1 MiB")
            }
            if line.isEmpty || line.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) {
                throw ValidationError(line: number, field: "line", rule: "is empty (one JSON object per line)")
            }
            let environment = self.environment
            let input = try EventInput.parse(line, line: number, recordedAt: recordedAt, makeID: environment.makeUUID)
            let content = input.content
            if input.idSupplied, let existing = try existing(content.id) {
                if existing.fingerprint == content.fingerprint {
                    duplicateCount += 1
                    return .duplicate(seq: existing.seq, id: content.id)
                }
                throw ValidationError(
                    line: number, id: content.id, field: "id",
                    rule: "already in the log (seq \(existing.seq)) with different content; corrections are new events (event.corrected)")
            }
            if let expectVersion {
                if let stream = expectedStream, stream != content.stream {
                    throw ValidationError(
                        line: number, id: content.id, field: "stream",
                        rule: "--expect-version applies to one stream (\(stream)); this event is on \(content.stream)")
                }
                if expectedStream == nil {
                    expectedStream = content.stream
                    let actual = state.count(of: content.stream)
                    if actual != expectVersion {
                        throw ValidationError(
                            line: number, id: content.id, field: "stream",
                            rule: "expected version \(expectVersion) of \(content.stream) but it has \(actual) events (someone else wrote first: re-read and retry)")
                    }
                }
            }
            let facts = input.facts
            try state.check(facts, line: number) { id in try lookupTarget(id) }
            let seq = head.seq + 1
            let (encoded, hash) = LineFormat.encode(
                content, seq: seq, recordedAt: recordedAtText, prev: head.hash, salt: environment.makeSalt())
            pendingEntries.append((IdIndex.key(content.id), head.size))
            pendingIDs[content.id] = (content.fingerprint, seq, content.type, content.stream)
            pendingLines.append(contentsOf: encoded)
            pendingCount += 1
            head = LogHead(seq: seq, hash: hash, size: head.size + encoded.count)
            state.apply(facts) { id in (try? lookupTarget(id))?.type }
            appendedCount += 1
            return .appended(seq: seq, hash: hash, id: content.id)
        } catch let error as ValidationError {
            refusedCount += 1
            return .refused(error)
        } catch {
            refusedCount += 1
            return .refused(ValidationError(line: number, field: "line", rule: "could not be checked: \(error)"))
        }
    }

    private func existing(_ id: String) throws -> (seq: Int, fingerprint: [UInt8])? {
        if let pending = pendingIDs[id] { return (pending.seq, pending.fingerprint) }
        guard let record = try LedgerStore.find(id, locked: locked, index: index) else { return nil }
        return (record.seq, record.content.fingerprint)
    }

    private func lookupTarget(_ id: String) throws -> WriteState.Target? {
        if let pending = pendingIDs[id] { return WriteState.Target(type: pending.type, stream: pending.stream) }
        guard let record = try LedgerStore.find(id, locked: locked, index: index) else { return nil }
        return WriteState.Target(type: record.content.type, stream: record.content.stream)
    }

    /// Writes the pending batch, `fsync`s it, then records it in the id index. Only the log write can fail
    /// the call: once the lines are durable they are acknowledged, and a derived index that cannot be updated
    /// is caught up from the log next time (meanwhile the ids stay in memory, so duplicates are still caught).
    mutating func flush() throws {
        guard pendingCount > 0 else { return }
        try locked.append(pendingLines, newHead: head)
        if derivedWarning == nil {
            do { try index.insert(pendingEntries, newStamp: head) } catch {
                derivedWarning = "the id index could not be updated (\(error)); it will be rebuilt from the log"
            }
        }
        pendingLines.removeAll(keepingCapacity: true)
        pendingEntries.removeAll(keepingCapacity: true)
        if derivedWarning == nil { pendingIDs.removeAll(keepingCapacity: true) }
        pendingCount = 0
    }
}
