import Dispatch
import EventLog
import LedgerCore

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

/// The files the ledger keeps beside a log (`<log><suffix>`), all derived from the log and rebuilt when missing
/// or stale (what `redact` purges).
public enum DerivedFiles {
    public static let suffixes = [
        ".ids", ".state", ".state-delta", ".fold-caseload", ".fold-families", ".fold-all",
        ".family-lines",
    ]

    /// The file beside a log that says a redaction of it was begun and has not finished (`ledger redact`).
    public static let pendingRedaction = ".redaction-pending"

    /// The list of exports and subject-access bundles written from a log, which a redaction deals with.
    public static let outputs = ".outputs"

    /// Files beside a log that are not derived from it: the access log, the list of rebuild folders and an
    /// unfinished redaction's note (records of their own), and the lock file of builds before the lock was taken
    /// on the log itself.
    static let records = [".access", ".rebuilds", outputs, pendingRedaction, ".lock"]

    /// Removes the log at `path` and every file beside it (a demo or a benchmark starting afresh: a new log's
    /// access log must not continue an old one's chain).
    public static func removeLog(_ path: String) {
        FileOutput.remove(path)
        for suffix in suffixes + records { FileOutput.remove(path + suffix) }
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

    /// A system registered when a log is created (`ledger init --system ID[:PURPOSE]`).
    public struct SystemRegistration: Sendable, Equatable {
        public var id: String
        public var purpose: String

        public init(id: String, purpose: String = "other") {
            self.id = id
            self.purpose = purpose
        }
    }

    /// Creates the log with `policy.adopted` as event 1, then registers `systems` (EVENTS.md §2: the first
    /// systems, which may then register workers), all recorded by the ledger itself.
    public func initialize(
        policy: JSONObject, effectiveFrom: CivilDate, id: String? = nil,
        systems: [SystemRegistration] = []
    ) throws -> AppendSummary {
        try file.create()
        var data = policy
        data["effectiveFrom"] = .string(effectiveFrom.description)
        let ledger: JSONValue = [
            "id": .string(WriteState.ledgerActor), "role": .string(Role.system),
        ]
        var event = JSONObject([
            JSONMember("stream", "org"), JSONMember("type", "policy.adopted"),
            JSONMember("occurredAt", .string(effectiveFrom.description)),
            JSONMember("actor", ledger), JSONMember("data", .object(data)),
        ])
        if let id { event.members.insert(JSONMember("id", .string(id)), at: 0) }
        var lines = [JSONWriter.bytes(.object(event))]
        let today = environment.now().londonDate.description
        for system in systems {
            lines.append(
                JSONWriter.bytes(
                    .object(
                        JSONObject([
                            JSONMember("id", .string("system-registered-\(system.id)")),
                            JSONMember("stream", .string("system:\(system.id)")),
                            JSONMember("type", "system.registered"),
                            JSONMember("occurredAt", .string(today)),
                            JSONMember("actor", ledger),
                            JSONMember(
                                "data",
                                .object(
                                    JSONObject([
                                        JSONMember("name", .string(system.id)),
                                        JSONMember("purpose", .string(system.purpose)),
                                    ]))),
                        ]))))
        }
        var refusal: ValidationError?
        let summary = try append(.lines(lines), mode: .atomic, settingUp: true) { _, outcome, _ in
            if case .refused(let error) = outcome, refusal == nil { refusal = error }
        }
        if let refusal {
            // Nothing was appended: the log is left empty, as if never created, so the command can be run again.
            if summary.head.seq == 0 { DerivedFiles.removeLog(file.path) }
            throw refusal
        }
        return summary
    }

    /// Appends events from `source`. `onOutcome` hears about every input line, in order, with the line's bytes;
    /// for `.ingest` a line's `.appended` is only reported once its batch is durable, and then without its bytes
    /// (an empty buffer: keeping every line of a batch until it is durable would cost a copy of each). A refusal
    /// always comes with its line. `autoRecover` repairs a torn tail first (and says so in the summary) instead
    /// of refusing. `settingUp` lets in the ledger's own set-up events (`WriteState.ledgerActor`): for `initialize`
    /// and the demo, which write them; the commands' append and ingest never pass it.
    @discardableResult
    public func append(
        _ source: InputSource, mode: AppendMode, expectVersion: Int? = nil,
        autoRecover: Bool = true, settingUp: Bool = false,
        onOutcome: (Int, AppendOutcome, UnsafeBufferPointer<UInt8>) throws -> Void = { _, _, _ in }
    ) throws -> AppendSummary {
        try file.withLock { locked in
            var summary = AppendSummary()
            if locked.tornBytes > 0 {
                guard autoRecover else {
                    throw EventLogError.tornTail(path: locked.path, bytes: locked.tornBytes)
                }
                summary.recovery = try locked.recover()
            }
            let index = try IdIndex.open(for: locked)
            var state = try Self.loadState(locked: locked, index: index)
            state.acceptsLedgerActor = settingUp
            var session = AppendSession(
                locked: locked, index: index, environment: environment, mode: mode,
                expectVersion: expectVersion)
            let recordedAt = session.recordedAt
            let recordedAtText = session.recordedAtText
            func commit(
                _ prepared: consuming Result<AppendSession.Prepared, ValidationError>,
                _ line: UnsafeBufferPointer<UInt8>, _ number: Int
            ) throws {
                let outcome = session.commit(prepared, number: number, state: &state)
                if session.retired.count >= 4_096 { session.retireOffThread() }
                // Ingest reports an appended line only once its batch is durable; outcomes behind it wait too, so
                // every line is reported in input order.
                var waits = false
                if case .ingest = mode {
                    if case .appended = outcome {
                        waits = true
                    } else {
                        waits = !session.deferred.isEmpty
                    }
                }
                if waits {
                    let bytes: [UInt8]
                    if case .appended = outcome { bytes = [] } else { bytes = Array(line) }
                    session.deferred.append((number, outcome, bytes))
                } else {
                    try onOutcome(number, outcome, line)
                }
                if case .ingest(let size) = mode, session.pendingCount >= size {
                    try session.flush(last: false)
                    try session.reportDurable(onOutcome)
                }
            }
            func prepareAndCommit(
                _ line: UnsafeBufferPointer<UInt8>, _ number: Int, _ tooLong: Bool
            ) throws {
                try commit(
                    AppendSession.prepare(
                        line, number: number, tooLong: tooLong, recordedAt: recordedAt,
                        recordedAtText: recordedAtText), line, number)
            }
            switch source {
            case .lines(let lines) where lines.count >= 1_024:
                // Prepared on every core, committed in order.
                let prepared = Self.prepare(
                    lines, recordedAt: recordedAt, recordedAtText: recordedAtText)
                for (offset, line) in lines.enumerated() {
                    try line.withUnsafeBufferPointer {
                        try commit(prepared[offset], $0, offset + 1)
                    }
                }
            case .lines(let lines):
                for (offset, line) in lines.enumerated() {
                    try line.withUnsafeBufferPointer { try prepareAndCommit($0, offset + 1, false) }
                }
            case .file(let path) where (FileOutput.size(path) ?? 0) < 1 << 20:
                // A few lines: read and prepared here (starting threads would cost more than the work).
                try LogReader(path: path).forEachLine { line, position, info in
                    try prepareAndCommit(line, position.lineNumber, info.tooLong)
                }
            case .file(let path):
                // Prepared on every core, a slice at a time, committed in order.
                var lineNumber = 0
                let recordedOn = recordedAt.londonDate
                try ParallelLineReader(path: path).read(
                    parse: { slice in
                        let prepared = PreparedSlice(
                            chunk: slice.chunk, capacity: slice.range.count / 256)
                        var scanner = LineScanner()
                        slice.forEachLine { line, start, index, tooLong in
                            prepared.append(
                                (
                                    AppendSession.prepare(
                                        line, number: index + 1, tooLong: tooLong,
                                        chunk: slice.chunk, start: start,
                                        scanner: &scanner, recordedAt: recordedAt,
                                        recordedOn: recordedOn,
                                        recordedAtText: recordedAtText),
                                    start..<(start + line.count)
                                ))
                        }
                        return prepared
                    },
                    consume: { piece in
                        switch piece {
                        case .parsed(let slice):
                            while let (result, range) = slice.take() {
                                lineNumber += 1
                                try commit(result, slice.chunk.bytes(range), lineNumber)
                            }
                        case .line(let line, _, let info):
                            lineNumber += 1
                            try prepareAndCommit(line, lineNumber, info.tooLong)
                        }
                    })
            case .standardInput:
                try LogReader(descriptor: 0, name: "standard input").forEachLine {
                    line, position, info in
                    try prepareAndCommit(line, position.lineNumber, info.tooLong)
                }
            }
            if case .atomic = mode, session.refusedCount > 0 {
                // All or nothing: the lines that were fine are not written either.
                summary.refused = session.refusedCount
                summary.head = locked.head
                return summary
            }
            try session.flush(last: true)
            try session.reportDurable(onOutcome)
            if session.appendedCount > 0 || state.base == nil || !state.dirtyStreams.isEmpty {
                do { try WriteStateStore.save(state, head: locked.head, for: locked.path) } catch {
                    session.derivedWarning =
                        session.derivedWarning
                        ?? "the state checkpoint could not be updated (\(error)); it will be rebuilt from the log"
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

    /// The registered role of an actor, if registered and not left or retired: a worker's role (on `date`, when
    /// given: a role is judged on the event's date), or `system` for a registered system (for `ledger record`).
    public func registeredRole(of worker: String, on date: CivilDate? = nil) throws -> String? {
        try file.withLock { locked in
            let index = try IdIndex.open(for: locked)
            let state = try Self.loadState(locked: locked, index: index)
            if let system = state.system(worker), !system.retired { return Role.system }
            guard let registered = state.worker(worker), !registered.left else { return nil }
            return date.flatMap { registered.role(on: $0) } ?? registered.role
        }
    }

    /// The write state at the log's head: from the checkpoint, caught up, or rebuilt from the log.
    ///
    /// An append must not extend a broken chain, so the lines read here are checked as every read checks them
    /// (`HashChain`): the line the checkpoint is stamped with and every line after it, their hashes recomputed
    /// from their bytes, up to the last line, whose hash the next line's `prev` will be.
    package static func loadState(locked: LockedLedger, index: IdIndex) throws -> WriteState {
        var (state, head) = WriteStateStore.load(for: locked) ?? (WriteState(), .empty)
        var chain = try verifiedChain(at: head, locked: locked)
        var scanner = LineScanner()
        if head.size < locked.head.size {
            try LogReader(path: locked.path).forEachLine(from: head.size, to: locked.head.size) {
                line, position, info in
                do throws(ChainBreak) {
                    try chain.accept(
                        ChainLink(line: line, tooLong: info.tooLong, scanner: &scanner))
                } catch {
                    throw EventLogError.chainBroken(
                        seq: error.seq, lineNumber: error.seq, problem: error.problem)
                }
                let record = try LineFormat.decodeStored(line, atByte: position.offset)
                state.apply(EventFacts(record.content), seq: record.seq) { id in
                    (try? Self.find(id, locked: locked, index: index)).flatMap { $0 }.map {
                        WriteState.Target(
                            type: $0.content.type, stream: $0.content.stream, seq: $0.seq)
                    }
                }
            }
        }
        guard chain.expectedSeq == locked.head.seq + 1, chain.previousHash.hex == locked.head.hash
        else {
            throw EventLogError.chainBroken(
                seq: chain.expectedSeq, lineNumber: chain.expectedSeq,
                problem:
                    "the last line (seq \(locked.head.seq)) does not follow the lines before it")
        }
        return state
    }

    /// The chain after `stamp` (a line of the locked log), its hash recomputed from the line's bytes.
    static func verifiedChain(at stamp: LogHead, locked: LockedLedger) throws -> HashChain {
        if stamp.seq == 0 { return HashChain() }
        var scanner = LineScanner()
        let link =
            try locked.lineStart(endingAt: stamp.size).flatMap { try locked.line(at: $0) }.map {
                line in
                line.withUnsafeBufferPointer { ChainLink(line: $0, scanner: &scanner) }
            } ?? ChainLink(unreadable: "line longer than 1 MiB")
        var chain = HashChain(after: stamp.seq - 1, hash: link.prev ?? .zero)
        do throws(ChainBreak) {
            try chain.accept(link)
        } catch {
            throw EventLogError.chainBroken(
                seq: stamp.seq, lineNumber: stamp.seq, problem: error.problem)
        }
        return chain
    }

    /// Lines prepared on every core, in their order.
    static func prepare(_ lines: [[UInt8]], recordedAt: Timestamp, recordedAtText: String)
        -> [Result<AppendSession.Prepared, ValidationError>]
    {
        ParallelMap.map(lines.count) { index in
            lines[index].withUnsafeBufferPointer {
                AppendSession.prepare(
                    $0, number: index + 1, tooLong: false, recordedAt: recordedAt,
                    recordedAtText: recordedAtText)
            }
        }
    }

    /// The stored record with `id`, if any.
    static func find(_ id: String, key: UInt64? = nil, locked: LockedLedger, index: IdIndex) throws
        -> LedgerRecord?
    {
        for offset in try index.candidates(forKey: key ?? IdIndex.key(id))
        where offset < locked.head.size {
            guard let line = try locked.line(at: offset), let record = try? LineFormat.decode(line)
            else { continue }
            if record.content.id == id { return record }
        }
        return nil
    }
}

/// A slice of an input file, prepared: each line's result and where the line is in the chunk. The results are
/// moved out one by one, in order (`take`), so the ordered commit neither copies them nor destroys them.
final class PreparedSlice: @unchecked Sendable {
    typealias Item = (result: Result<AppendSession.Prepared, ValidationError>, range: Range<Int>)
    let chunk: LogChunk
    private let items: InPlaceBuffer<Item>

    init(chunk: LogChunk, capacity: Int) {
        self.chunk = chunk
        items = InPlaceBuffer(capacity: capacity)
    }

    func append(_ item: consuming Item) { items.append(item) }

    /// The next item, moved out (items are taken in order, each once).
    func take() -> Item? { items.takeFirst() }
}

/// A value handed to another thread to be freed there.
///
/// Capturing the value in the block is not enough: when the block runs first, the caller's own reference is the
/// last to go, and the value is freed on the caller's thread after all. The parcel holds the only reference, and
/// the block empties it.
final class Parcel<Value>: @unchecked Sendable {
    private var value: Value?

    private init(_ value: consuming Value) { self.value = value }

    /// Moves `value` out, leaving `empty` in its place, and frees it on another thread.
    static func freeOffThread(_ value: inout Value, leaving empty: Value) {
        var taken = empty
        swap(&taken, &value)
        let parcel = Parcel(consume taken)
        DispatchQueue.global().async { parcel.value = nil }
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
    /// The events of this call not yet in the id index, by id (with what tells a repeat from a clash).
    var pendingIDs: [String: PendingEvent] = [:]
    var pendingCount = 0
    /// Whether batches are in the id index that its stamp does not cover yet.
    var unstamped = false
    var head: LogHead
    /// Outcomes held back until the lines before them are durable, in input order; the first `reportable` are.
    var deferred: [(Int, AppendOutcome, [UInt8])] = []
    var reportable = 0
    /// An ingest's batch written and being made durable on another thread while the next is committed: its
    /// id-index entries, its ids (still looked up), the head after it, and how many deferred outcomes end with it.
    var inFlight: Batch?
    /// Prepared lines done with, freed on another thread (`retireOffThread`): taking apart thousands of parsed
    /// events is work the ordered commit need not wait for.
    var retired: [Prepared] = []
    var appendedCount = 0
    var duplicateCount = 0
    var refusedCount = 0
    var expectedStream: String?
    /// Once the index could not be updated, every id appended in this run stays in `pendingIDs`.
    var derivedWarning: String?

    init(
        locked: LockedLedger, index: IdIndex, environment: LedgerEnvironment, mode: AppendMode,
        expectVersion: Int?
    ) {
        self.locked = locked
        self.index = index
        self.environment = environment
        self.mode = mode
        self.expectVersion = expectVersion
        recordedAt = environment.now()
        recordedAtText = recordedAt.rfc3339
        head = locked.head
    }

    /// An event of this call not yet in the id index: its place, what a correction of it needs to know, and its
    /// stored members (its fingerprint is made from them only when its id comes again).
    struct PendingEvent {
        var seq: Int
        var type: String
        var stream: String
        var middle: [UInt8]
        var data: [UInt8]
    }

    /// A batch of appended lines on its way to the id index.
    struct Batch {
        var entries: [(key: UInt64, offset: Int)]
        var ids: [String: PendingEvent]
        var head: LogHead
        var outcomes: Int
    }

    /// Frees the retired prepared lines on another thread.
    mutating func retireOffThread() {
        guard !retired.isEmpty else { return }
        let count = retired.count
        Parcel.freeOffThread(&retired, leaving: [])
        retired.reserveCapacity(count)
    }

    /// An input line made ready for the log: parsed, checked against the contract, its data in stored form.
    /// It depends on nothing but the line and the append's time, so it can be done on every core, ahead of the
    /// appends in order. An event with no id gets one only in order (`commit`), so that a seeded environment
    /// gives the same ids whatever the cores did.
    struct Prepared: Sendable {
        /// The event's facts for the write-side state (the id filled in by `commit` when it makes one).
        var facts: EventFacts
        /// Its id's key in the id index (0 until `commit` makes an id).
        var key: UInt64
        /// The stored line's members between the id and the data hash (`LineFormat.middle`).
        var middle: [UInt8]
        /// Its data in stored form.
        var data: [UInt8]
    }

    static func prepare(
        _ line: UnsafeBufferPointer<UInt8>, number: Int, tooLong: Bool, recordedAt: Timestamp,
        recordedAtText: String
    ) -> Result<Prepared, ValidationError> {
        if tooLong {
            return .failure(ValidationError(line: number, field: "line", rule: "longer than 1 MiB"))
        }
        if line.isEmpty || line.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) {
            return .failure(
                ValidationError(
                    line: number, field: "line", rule: "is empty (one JSON object per line)"))
        }
        do {
            let input = try EventInput.parse(line, line: number, recordedAt: recordedAt) { "" }
            return .success(
                Prepared(
                    facts: input.facts, key: input.idSupplied ? IdIndex.key(input.content.id) : 0,
                    middle: LineFormat.middle(input.content, recordedAt: recordedAtText),
                    data: JSONWriter.bytes(input.content.data)))
        } catch {
            return .failure(error)
        }
    }

    /// `prepare` of the line at `start` of `chunk`, checked where it lies when it can be (`LineScanner.scanWriter`
    /// and `InPlaceValidation`, which pass only what `EventInput.parse` passes, reading the same members): then
    /// no value is built, and the stored form of `actor`, `source` and `data` is their bytes. Any other line
    /// goes to `prepare`, which passes it or names the rule it breaks. `recordedOn` is `recordedAt`'s London date.
    static func prepare(
        _ line: UnsafeBufferPointer<UInt8>, number: Int, tooLong: Bool, chunk: LogChunk, start: Int,
        scanner: inout LineScanner, recordedAt: Timestamp, recordedOn: CivilDate,
        recordedAtText: String
    ) -> Result<Prepared, ValidationError> {
        if !tooLong, let written = scanner.scanWriter(line),
            let facts = InPlaceValidation.facts(
                written, line: line, chunk: chunk, start: start, recordedAt: recordedAt,
                recordedOn: recordedOn)
        {
            return .success(
                Prepared(
                    facts: facts, key: facts.idSupplied ? IdIndex.key(facts.id) : 0,
                    middle: LineFormat.middle(written, line: line, recordedAt: recordedAtText),
                    data: Array(UnsafeBufferPointer(rebasing: line[written.data]))))
        }
        return prepare(
            line, number: number, tooLong: tooLong, recordedAt: recordedAt,
            recordedAtText: recordedAtText)
    }

    /// Appends a prepared line, in order: duplicates, the expected version and the state it must be valid in are
    /// checked here, against everything before it.
    mutating func commit(
        _ result: consuming Result<Prepared, ValidationError>, number: Int, state: inout WriteState
    ) -> AppendOutcome {
        var prepared: Prepared
        switch consume result {
        case .success(let value): prepared = value
        case .failure(var error):
            refusedCount += 1
            error.line = number
            return .refused(error)
        }
        let outcome = commit(&prepared, number: number, state: &state)
        retired.append(consume prepared)
        return outcome
    }

    private mutating func commit(_ prepared: inout Prepared, number: Int, state: inout WriteState)
        -> AppendOutcome
    {
        do {
            if !prepared.facts.idSupplied {
                // A made id is unique too: random ones all but surely are, but a pinned seed (LEDGER_SEED, for
                // reproducible runs) makes the same ones in every process, and an id must never appear twice.
                repeat {
                    prepared.facts.id = environment.makeUUID()
                    prepared.key = IdIndex.key(prepared.facts.id)
                } while try existing(prepared.facts.id, key: prepared.key) != nil
            }
            // The prepared event is read where it is, not copied out (a copy retains every string and value in it).
            let id = prepared.facts.id
            let stream = prepared.facts.stream
            if prepared.facts.idSupplied, let existing = try existing(id, key: prepared.key) {
                // A redacted event's content is gone: whether this is it again cannot be told, and it is not
                // taken back (that would undo the redaction).
                if let notice = existing.redacted?.objectValue {
                    let on = notice["on"]?.stringValue ?? "?"
                    let reason = notice["reason"]?.stringValue ?? "?"
                    let record = notice["record"]?.stringValue ?? "?"
                    throw ValidationError(
                        line: number, id: id, field: "id",
                        rule:
                            "already in the log (seq \(existing.seq)), redacted on \(on) (\(reason), record.redacted \"\(record)\"): its content cannot be sent again"
                    )
                }
                let fingerprint = LineFormat.fingerprint(
                    id: id, middle: prepared.middle, recordedAt: recordedAtText, data: prepared.data
                )
                if LineFormat.sameContent(existing.fingerprint, fingerprint) {
                    duplicateCount += 1
                    return .duplicate(seq: existing.seq, id: id)
                }
                throw ValidationError(
                    line: number, id: id, field: "id",
                    rule:
                        "already in the log (seq \(existing.seq)) with different content; corrections are new events (event.corrected)"
                )
            }
            if let expectVersion {
                if let expected = expectedStream, expected != stream {
                    throw ValidationError(
                        line: number, id: id, field: "stream",
                        rule:
                            "--expect-version applies to one stream (\(expected)); this event is on \(stream)"
                    )
                }
                if expectedStream == nil {
                    expectedStream = stream
                    let actual = state.count(of: stream)
                    if actual != expectVersion {
                        throw ValidationError(
                            line: number, id: id, field: "stream",
                            rule:
                                "expected version \(expectVersion) of \(stream) but it has \(actual) events (someone else wrote first: re-read and retry)"
                        )
                    }
                }
            }
            try state.check(prepared.facts, line: number) { id in try lookupTarget(id) }
            let seq = head.seq + 1
            let before = pendingLines.count
            let hash = LineFormat.encode(
                id: id, middle: prepared.middle, data: prepared.data, seq: seq, prev: head.hash,
                salt: environment.makeSalt(), into: &pendingLines)
            pendingEntries.append((prepared.key, head.size))
            pendingIDs[id] = PendingEvent(
                seq: seq, type: prepared.facts.type, stream: stream, middle: prepared.middle,
                data: prepared.data)
            pendingCount += 1
            head = LogHead(seq: seq, hash: hash, size: head.size + pendingLines.count - before)
            state.apply(prepared.facts, seq: seq) { id in (try? lookupTarget(id)) ?? nil }
            appendedCount += 1
            return .appended(seq: seq, hash: hash, id: id)
        } catch var error as ValidationError {
            refusedCount += 1
            error.line = number
            return .refused(error)
        } catch {
            refusedCount += 1
            return .refused(
                ValidationError(line: number, field: "line", rule: "could not be checked: \(error)")
            )
        }
    }

    /// The seq and fingerprint of the event with `id` already in the log or in this call, if any, and its
    /// redaction notice when it was redacted.
    private func existing(_ id: String, key: UInt64) throws -> (
        seq: Int, fingerprint: [UInt8], redacted: JSONValue?
    )? {
        if let pending = pendingIDs[id] ?? inFlight?.ids[id] {
            return (
                pending.seq,
                LineFormat.fingerprint(
                    id: id, middle: pending.middle, recordedAt: recordedAtText, data: pending.data),
                nil
            )
        }
        guard let record = try LedgerStore.find(id, key: key, locked: locked, index: index) else {
            return nil
        }
        return (record.seq, record.content.fingerprint, record.redacted)
    }

    private func lookupTarget(_ id: String) throws -> WriteState.Target? {
        if let pending = pendingIDs[id] ?? inFlight?.ids[id] {
            return WriteState.Target(type: pending.type, stream: pending.stream, seq: pending.seq)
        }
        guard let record = try LedgerStore.find(id, locked: locked, index: index) else {
            return nil
        }
        return WriteState.Target(
            type: record.content.type, stream: record.content.stream, seq: record.seq,
            redacted: record.redacted != nil)
    }

    /// Writes the pending batch, `fsync`s it, then records it in the id index (stamped only on the `last` batch
    /// of a call). Only the log write can fail the call: once the lines are durable they are acknowledged, and a
    /// derived index that cannot be updated is caught up from the log next time (meanwhile the ids stay in
    /// memory, so duplicates are still caught).
    ///
    /// An ingest's batch other than the last is made durable on another thread while the next batch is committed
    /// (the `fsync` waits on the disk, the commit on the processor): this call confirms the batch before it, which
    /// is then indexed and its outcomes reported (`reportDurable`), writes this one, and returns. Nothing is
    /// acknowledged before its `fsync` has returned, and a failed one stops the call with nothing after it written.
    mutating func flush(last: Bool) throws {
        if let batch = inFlight {
            inFlight = nil
            try locked.confirm()
            record(batch, stamp: last && pendingCount == 0)
        }
        guard pendingCount > 0 || (last && unstamped) else { return }
        guard pendingCount > 0 else {
            record(Batch(entries: [], ids: [:], head: head, outcomes: deferred.count), stamp: true)
            return
        }
        let background = !last
        try locked.write(pendingLines, newHead: head, syncing: background)
        let batch = Batch(
            entries: pendingEntries, ids: pendingIDs, head: head, outcomes: deferred.count)
        pendingLines.removeAll(keepingCapacity: true)
        pendingEntries = []
        pendingEntries.reserveCapacity(batch.entries.count)
        pendingIDs = [:]
        pendingIDs.reserveCapacity(batch.ids.count)
        pendingCount = 0
        if background {
            inFlight = batch
            return
        }
        try locked.confirm()
        record(batch, stamp: true)
    }

    /// A durable batch: into the id index, its outcomes now reportable.
    private mutating func record(_ batch: Batch, stamp: Bool) {
        if derivedWarning == nil {
            do {
                try index.insert(batch.entries, newStamp: batch.head, stamp: stamp)
                unstamped = !stamp
            } catch {
                derivedWarning =
                    "the id index could not be updated (\(error)); it will be rebuilt from the log"
            }
        }
        var ids = batch.ids
        if derivedWarning == nil {
            // Let go of on another thread, like the prepared lines: the batch's events are freed there.
            Parcel.freeOffThread(&ids, leaving: [:])
        } else {
            // The index lacks them: every id appended in this run stays in memory.
            pendingIDs.merge(ids) { current, _ in current }
        }
        reportable = batch.outcomes
    }

    /// Hands on the outcomes whose lines are durable (and those behind them), in input order.
    mutating func reportDurable(
        _ report: (Int, AppendOutcome, UnsafeBufferPointer<UInt8>) throws -> Void
    ) rethrows {
        guard reportable > 0 else { return }
        for (number, outcome, bytes) in deferred[0..<reportable] {
            try bytes.withUnsafeBufferPointer { try report(number, outcome, $0) }
        }
        deferred.removeFirst(reportable)
        inFlight?.outcomes -= reportable
        reportable = 0
    }
}
