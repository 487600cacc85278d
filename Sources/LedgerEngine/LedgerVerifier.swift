#if canImport(Glibc)
    import Glibc
#endif
import Dispatch
import EventLog
import LedgerCore

/// The result of a successful verification.
public struct VerifyReport: Sendable, Equatable {
    /// Lines checked.
    public var events: Int
    /// The head: last seq and hash.
    public var head: LogHead
    /// Lines whose payload was redacted (their data could not be re-validated).
    public var redacted: Int
}

/// Why verification failed: the first bad line.
public struct VerifyFailure: Error, Equatable, Sendable, CustomStringConvertible {
    /// The seq the line should have had (its position), which is the first bad seq.
    public var seq: Int
    /// The line number in the file.
    public var line: Int
    /// What is wrong.
    public var problem: String

    /// A failure at `seq`.
    public init(seq: Int, line: Int, problem: String) {
        self.seq = seq
        self.line = line
        self.problem = problem
    }

    public var description: String { "first bad seq \(seq) (line \(line)): \(problem)" }
}

/// Recomputes the hash chain and re-validates every event, from the log alone (no derived file is trusted).
///
/// Three stages run side by side: each line's own checks (its format, both of its hashes, the event's schema) on
/// every core; the chain in log order (seq, `prev`, the anchored head, duplicate ids, what a correction points
/// at); and the state each event must be valid in (registered workers, open episodes, manager sign-off), folded
/// by family in shards as the projections are. The first bad line is named, with the reason the checks in log
/// order would give.
public enum LedgerVerifier {
    /// Verifies the log at `path`. `expectHead` (seq, hash) proves the log still extends a head written down
    /// earlier. `progress` is called now and then with the count of lines checked.
    public static func verify(
        path: String, expectHead: (seq: Int, hash: String)? = nil,
        shards: Int = ParallelLineReader.processors,
        progress: ((Int) -> Void)? = nil
    ) throws -> VerifyReport {
        let file = LedgerFile(path: path)
        if file.isSymlink { throw EventLogError.symlink(path: path) }
        guard file.exists else { throw EventLogError.missing(path: path) }
        var status = stat()
        var chain = Chain(
            expectHead: expectHead,
            expectedBytes: stat(path, &status) == 0 ? Int(status.st_size) : 0)
        let states = StateShards(count: shards)
        var failure: VerifyFailure?
        // The slices' buffers, used again as slices are done (a few are in flight at once: read ahead, and
        // waiting for the shards).
        let reader = ParallelLineReader(path: path)
        let pool = BlockPool(keep: 4 * reader.threads + 4)
        do {
            try reader.read(
                parse: { slice in check(slice, pool: pool) },
                consume: { piece in
                    // Once a state check has failed, later lines cannot change the answer.
                    if states.hasFailed { throw Stop.failed }
                    switch piece {
                    case .parsed(let slice):
                        // Each shard gets the positions of its lines; the lines themselves stay where they are.
                        var positions = [[Int32]](repeating: [], count: states.count)
                        var thrown: (any Error)?
                        for index in 0..<slice.count {
                            // What the chain reads of a line a few ahead, asked for now: its slot in the id table
                            // (a probe lands anywhere in tens of megabytes) and its id's bytes (last read on the
                            // other core). Waiting for each in turn was a tenth of the time.
                            if index + 16 < slice.count { slice.prefetchLine(index + 16) }
                            if index + 8 < slice.count {
                                let ahead = slice.line(index + 8)
                                chain.seen.prefetch(ahead.pointee.idKey)
                                slice.prefetchID(ahead)
                            }
                            do {
                                let route = try chain.accept(slice.line(index), in: slice)
                                if route == 0 {
                                    for shard in positions.indices {
                                        positions[shard].append(Int32(index))
                                    }
                                } else {
                                    positions[Int(route % UInt64(states.count))].append(
                                        Int32(index))
                                }
                            } catch {
                                thrown = error
                                break
                            }
                            if chain.expectedSeq % 100_000 == 0 { progress?(chain.expectedSeq) }
                        }
                        states.submit(slice, positions)
                        if let thrown { throw thrown }
                    case .line(_, let offset, let info):
                        try chain.acceptSpecial(info, offset: offset)
                    }
                })
        } catch let found as VerifyFailure {
            failure = found
        } catch Stop.failed {}
        // The first failure is the earliest, whichever stage found it.
        for found in states.finish() where failure.map({ found.seq < $0.seq }) ?? true {
            failure = found
        }
        if let failure { throw failure }
        return try chain.report()
    }

    enum Stop: Error { case failed }

    /// What one line's own checks found: enough for the checks that need the lines before it.
    struct CheckedLine: Sendable {
        var offset: Int
        var length: Int
        var seq = 0
        var prev: SHA256.Digest?
        var hash: SHA256.Digest?
        var facts: EventFacts?
        var idKey: UInt64 = 0
        var recordedAt: Timestamp?
        var redacted = false
        /// Which state shard follows its stream (`StoredEvent.route`; 0: every shard).
        var route: UInt64 = 0
        /// The facts' kind (nil: no facts, or a type outside the catalogue), and for a correction or void the id
        /// it names: worked out on the parse thread, so that the chain reads no facts.
        var kind: EventKind?
        var amendmentTarget: String?
        /// Where the id and the stream lie in the slice's chunk, when the scanner read them (their bytes are the
        /// facts' strings); else the chain reads them from the facts.
        var idSpan: Range<Int>?
        var streamSpan: Range<Int>?
        /// What few lines have, kept aside: a line is written on one core and read on two others, and these
        /// held inline made every line two cache lines longer.
        var rare: Rare?

        final class Rare: @unchecked Sendable {
            var unreadable: String?
            var altered: String?
            var redaction: Result<String, RedactionNoticeError>?
            var refusal: ValidationError?
            var target: WriteState.Target?
        }

        /// The box of rare members, made when one is first set to a value.
        private mutating func rare(making: Bool) -> Rare? {
            if rare == nil && making { rare = Rare() }
            return rare
        }

        /// Over the size limit, or not in the line format: nothing more could be checked.
        var unreadable: String? {
            get { rare?.unreadable }
            set { rare(making: newValue != nil)?.unreadable = newValue }
        }
        /// Why a hash does not match, if one does not.
        var altered: String? {
            get { rare?.altered }
            set { rare(making: newValue != nil)?.altered = newValue }
        }
        /// A redacted line's notice: the id of the `record.redacted` event it names, or why the notice is not one
        /// `ledger redact` writes.
        var redaction: Result<String, RedactionNoticeError>? {
            get { rare?.redaction }
            set { rare(making: newValue != nil)?.redaction = newValue }
        }
        /// Why the event would be refused today, if it would (schema and catalogue rules).
        var refusal: ValidationError? {
            get { rare?.refusal }
            set { rare(making: newValue != nil)?.refusal = newValue }
        }
        /// What a correction or void points at, as the log stood before it (written by the chain).
        var target: WriteState.Target? {
            get { rare?.target }
            set { rare(making: newValue != nil)?.target = newValue }
        }

        /// Keeps the event's facts, and what the chain and the shards read of them beside them (read here, from
        /// the facts being stored: reading them back out of the line copies them, every string retained).
        mutating func take(_ facts: consuming EventFacts) {
            route = StoredEvent.route(of: facts.stream)
            kind = facts.kind
            amendmentTarget =
                facts.kind == .eventCorrected || facts.kind == .eventVoided
                ? facts.amendmentTarget : nil
            self.facts = facts
        }

        /// Takes the line's place in the chain, as every reader works it out.
        mutating func link(_ link: ChainLink) {
            seq = link.seq
            prev = link.prev
            hash = link.hash
            altered = link.altered
        }
    }

    static func check(_ slice: LineSlice, pool: BlockPool? = nil) -> CheckedSlice {
        let checked = CheckedSlice(
            capacity: slice.range.count / 400, chunk: slice.chunk, pool: pool)
        // Lines the scanner accepts are linked two at a time (their hashes side by side), as they come.
        var linker = ChainLinker()
        var recorded = RecordedDay()
        slice.forEachLine { line, start, _, tooLong in
            // Checked where it lies in the slice's buffer (a line checked aside and then stored is copied, every
            // string in it retained, and the original released).
            let index = checked.count
            let result = checked.append(
                CheckedLine(offset: slice.chunkOffset + start, length: line.count))
            if tooLong {
                result.pointee.unreadable = "line longer than 1 MiB"
            } else {
                let spans = check(
                    line, chunk: slice.chunk, start: start, into: &result.pointee,
                    scanner: &linker.scanner, recorded: &recorded)
                if let spans {
                    linker.add(spans, line: line, tag: index) { checked.line($1).pointee.link($0) }
                }
            }
        }
        linker.finish { checked.line($1).pointee.link($0) }
        return checked
    }

    /// The last recording time seen, as written and as read, and its London date (the lines of one append share
    /// one: a line that repeats the last one's bytes is not read again).
    struct RecordedDay {
        var instant = Timestamp(seconds: Int64.min)
        var date = CivilDate(dayNumber: 0)
        /// The bytes of the last time read (in the slice's chunk, alive while the slice is checked), and what
        /// they read as.
        var text: UnsafeBufferPointer<UInt8>?
        var read: Timestamp?

        mutating func timestamp(_ bytes: UnsafeBufferPointer<UInt8>) -> Timestamp? {
            if let text, text.count == bytes.count, let a = text.baseAddress,
                let b = bytes.baseAddress, memcmp(a, b, bytes.count) == 0
            {
                return read
            }
            text = bytes
            read = Timestamp(rfc3339UTF8: bytes)
            return read
        }

        mutating func date(of recordedAt: Timestamp) -> CivilDate {
            if recordedAt != instant {
                instant = recordedAt
                date = recordedAt.londonDate
            }
            return date
        }
    }

    /// Checks one line into `checked`; returns where its chain members are when the fast scanner accepted it: its
    /// place in the chain is then the caller's to link (`ChainLinker`), which this leaves alone. A line the
    /// reference parser reads is linked here.
    static func check(
        _ line: UnsafeBufferPointer<UInt8>, chunk: LogChunk, start: Int,
        into checked: inout CheckedLine,
        scanner: inout LineScanner, recorded: inout RecordedDay
    ) -> ChainSpans? {
        guard let scanned = scanner.scan(line) else {
            checkDecoded(line, into: &checked)
            return nil
        }
        let spans = ChainSpans(scanned)
        checked.idSpan = (start + scanned.id.lowerBound)..<(start + scanned.id.upperBound)
        checked.streamSpan =
            (start + scanned.stream.lowerBound)..<(start + scanned.stream.upperBound)
        checked.recordedAt = recorded.timestamp(
            UnsafeBufferPointer(rebasing: line[scanned.recordedAt]))
        checked.redacted = scanned.redacted != nil
        if let range = scanned.redacted {
            checked.redaction = RedactionNotice.record(in: scanner.value(line, range))
        }
        checked.idKey = SeenEvents.key(UnsafeBufferPointer(rebasing: line[scanned.id]))
        // Re-validated in place when it can be; else as the append did (below), which names any refusal.
        if !checked.redacted, let recordedAt = checked.recordedAt,
            let facts = InPlaceValidation.facts(
                scanned, line: line, chunk: chunk, start: start, recordedAt: recordedAt,
                recordedOn: recorded.date(of: recordedAt))
        {
            checked.take(facts)
            return spans
        }
        revalidate(LineFormat.content(scanned, line: line, scanner: &scanner), into: &checked)
        return spans
    }

    /// `check` of a line the fast scanner did not accept: by the reference parser, which also links it.
    static func checkDecoded(_ line: UnsafeBufferPointer<UInt8>, into checked: inout CheckedLine) {
        let record: LedgerRecord
        do { record = try LineFormat.decode(line) } catch {
            checked.unreadable = "not in the line format: \(error)"
            return
        }
        checked.link(ChainLink(record, line: line))
        checked.recordedAt = Timestamp(rfc3339: record.recordedAt)
        checked.redacted = record.redacted != nil
        if let notice = record.redacted {
            checked.redaction = RedactionNotice.record(in: notice)
        }
        checked.idKey = SeenEvents.key(record.content.id)
        revalidate(record.content, into: &checked)
    }

    /// Re-validates an event as the append did, at the time it was recorded (its facts, or why it is refused).
    static func revalidate(_ content: RecordContent, into checked: inout CheckedLine) {
        checked.take(EventFacts(content))
        if !checked.redacted, let recordedAt = checked.recordedAt {
            // Re-validated as the append did, at the time it was recorded.
            do {
                checked.take(try EventInput.validate(content, recordedAt: recordedAt).facts)
            } catch {
                checked.refusal = error
            }
        }
    }

    /// The checks that need the lines before: in log order, one line at a time.
    struct Chain {
        let expectHead: (seq: Int, hash: String)?
        let anchor: SHA256.Digest?
        /// Seq, `prev` and both hashes, checked as every read and append checks them.
        var links = HashChain()
        var previousHash: SHA256.Digest { links.previousHash }
        var expectedSeq: Int { links.expectedSeq }
        let seen: SeenEvents
        var redacted = 0
        /// Redacted lines, by the id of the `record.redacted` event their notice names: each must be listed there.
        var notices: [String: [(seq: Int, stream: String, kind: EventKind)]] = [:]
        /// The `record.redacted` events seen: their family and the seqs they redacted.
        var records: [String: (family: String, seqs: Set<Int>)] = [:]
        /// The ids of redacted lines: a correction or void of one is refused (it has no content to change).
        var redactedIDs: Set<String> = []
        var lastSize = 0
        var anchorMatched: Bool

        init(expectHead: (seq: Int, hash: String)?, expectedBytes: Int) {
            self.expectHead = expectHead
            seen = SeenEvents(expectedBytes: expectedBytes)
            anchor = expectHead.flatMap { head in
                Array(head.hash.utf8).withUnsafeBytes { SHA256.Digest(hex: $0) }
            }
            anchorMatched = expectHead == nil || expectHead?.seq == 0
        }

        func fail(_ problem: String) -> VerifyFailure {
            VerifyFailure(seq: expectedSeq, line: expectedSeq, problem: problem)
        }

        mutating func acceptSpecial(_ info: LineInfo, offset: Int) throws {
            guard info.complete else {
                throw fail(
                    "torn last line (\(info.length) bytes without a newline): run `ledger recover`")
            }
            throw fail("line longer than 1 MiB")
        }

        /// Checks a line against the lines before it; returns the route of its stream (0: every shard), and
        /// records on the line what a correction or void points at.
        /// The line is read where it lies, and its facts are not read on the common path: a copy of them would
        /// retain strings and the chunk that the parse and shard threads also hold.
        mutating func accept(_ line: UnsafeMutablePointer<CheckedLine>, in slice: CheckedSlice)
            throws
            -> UInt64
        {
            let seq = expectedSeq
            if let problem = line.pointee.unreadable { throw fail(problem) }
            guard let kind = line.pointee.kind else { throw fail("not in the line format") }
            var links = self.links
            do {
                try links.accept(
                    seq: line.pointee.seq, prev: line.pointee.prev, hash: line.pointee.hash,
                    altered: line.pointee.altered)
            } catch { throw fail(error.problem) }
            let hash = links.previousHash
            if let expectHead, expectHead.seq == seq {
                if hash != anchor {
                    throw fail(
                        "hash differs from the anchored head \(expectHead.seq):\(expectHead.hash.prefix(12))… (the log was rewritten)"
                    )
                }
                anchorMatched = true
            }
            // What a correction points at, as the log stood before it (only this stage sees every stream).
            if let id = line.pointee.amendmentTarget {
                line.pointee.target = seen.target(of: id).map {
                    WriteState.Target(
                        type: $0.type, stream: $0.stream, seq: $0.seq,
                        redacted: redactedIDs.contains(id))
                }
            }
            // A redaction notice is the ledger's own (`ledger redact`), never a hand's: it names a record.redacted
            // event that lists this line (checked at the end: that event comes after the lines it redacted).
            if line.pointee.redacted {
                switch line.pointee.redaction {
                case .success(let record)?:
                    notices[record, default: []].append(
                        (seq, line.pointee.facts?.stream ?? "", kind))
                    redactedIDs.insert(slice.id(line))
                case .failure(let problem)?: throw fail("redacted: \(problem.reason)")
                case nil: throw fail("redacted: no notice")
                }
            } else if kind == .recordRedacted,
                case .recordRedacted(let payload)? = line.pointee.facts?.typed
            {
                let redacted = payload.decoded
                let id = slice.id(line)
                let seqs = Set(redacted?.seqs ?? [])
                records[id] = (redacted?.family ?? "", seqs)
                // What it lists is what it redacted (its lines come before it; a line it redacted and does not
                // list is found at the end, by `checkNotices`), and never a hold's line.
                let lines = notices[id] ?? []
                if let missing = seqs.subtracting(lines.map(\.seq)).min() {
                    throw fail(
                        "record.redacted \"\(id)\" lists seq \(missing), which is no line it redacted (only ledger redact writes one)"
                    )
                }
                if let hold = lines.first(where: {
                    $0.kind == .holdPlaced || $0.kind == .holdLifted
                }) {
                    throw fail(
                        "record.redacted \"\(id)\" redacted seq \(hold.seq), a \(hold.kind.eventType.name), which is never redacted (a hold's line records why a record was kept)"
                    )
                }
            }
            // Looked up and recorded in one probe of the table (a line that fails a check after it ends the verify).
            let inserted = slice.withIDAndStream(line) { id, stream in
                seen.insert(id: id, kind: kind, stream: stream, key: line.pointee.idKey)
            }
            guard inserted else { throw fail("id \"\(slice.id(line))\" appears twice") }
            guard line.pointee.recordedAt != nil else {
                throw fail("recordedAt is not an RFC 3339 date-time")
            }
            if line.pointee.redacted { redacted += 1 }
            self.links = links
            lastSize = line.pointee.offset + line.pointee.length + 1
            return line.pointee.route
        }

        /// Every redacted line is listed by the record.redacted event its notice names, of its own family: a
        /// notice written by hand (naming no such event, or one that does not list the line) fails, at its seq.
        func checkNotices() throws {
            var unlisted: [(seq: Int, problem: String)] = []
            for (record, lines) in notices {
                for line in lines {
                    guard let redaction = records[record] else {
                        unlisted.append(
                            (
                                line.seq,
                                "names record \"\(record)\", which is no record.redacted event in the log (only ledger redact redacts a line)"
                            ))
                        continue
                    }
                    if !redaction.seqs.contains(line.seq)
                        || "family:" + redaction.family != line.stream
                    {
                        unlisted.append(
                            (
                                line.seq,
                                "record \"\(record)\" does not list this line (only ledger redact redacts a line)"
                            ))
                    }
                }
            }
            if let first = unlisted.min(by: { $0.seq < $1.seq }) {
                throw VerifyFailure(
                    seq: first.seq, line: first.seq, problem: "redacted: \(first.problem)")
            }
        }

        func report() throws -> VerifyReport {
            try checkNotices()
            if let anchor = expectHead, !anchorMatched {
                throw VerifyFailure(
                    seq: expectedSeq, line: expectedSeq,
                    problem:
                        "the log ends at seq \(expectedSeq - 1), before the anchored head \(anchor.seq) (it was truncated)"
                )
            }
            return VerifyReport(
                events: expectedSeq - 1,
                head: LogHead(seq: expectedSeq - 1, hash: previousHash.hex, size: lastSize),
                redacted: redacted)
        }
    }

}

/// The checked lines of one slice, in a buffer of their own, and what the chain found each correction points at.
///
/// The stages read a line where it lies rather than copy it out (a checked line holds a dozen strings and
/// references, each retained by a copy and released again). One parse task fills the buffer; then the chain reads
/// it on the consuming thread and records the targets; then it is handed to the state shards. A line of one
/// family is one shard's alone, which takes its facts out instead of copying them; a line every shard follows
/// (the workforce, the organisation) is only read.
final class CheckedSlice: @unchecked Sendable {
    private let lines: InPlaceBuffer<LedgerVerifier.CheckedLine>
    /// The chunk the lines lie in (their id and stream are read from it).
    let chunk: LogChunk

    init(capacity: Int, chunk: LogChunk, pool: BlockPool? = nil) {
        lines = InPlaceBuffer(capacity: capacity, pool: pool)
        self.chunk = chunk
    }

    var count: Int { lines.count }

    /// Stores `line` at the end; where it now lies.
    func append(_ line: consuming LedgerVerifier.CheckedLine) -> UnsafeMutablePointer<
        LedgerVerifier.CheckedLine
    > {
        lines.append(line)
    }

    /// The line at `position`, in place.
    func line(_ position: Int) -> UnsafeMutablePointer<LedgerVerifier.CheckedLine> {
        lines.element(position)
    }

    /// The bytes of a line's id and stream (the facts' strings, read where the scanner found them when it did).
    func withIDAndStream<R>(
        _ line: UnsafePointer<LedgerVerifier.CheckedLine>,
        _ body: (UnsafeBufferPointer<UInt8>, UnsafeBufferPointer<UInt8>) -> R
    ) -> R {
        if let idSpan = line.pointee.idSpan, let streamSpan = line.pointee.streamSpan {
            return body(chunk.bytes(idSpan), chunk.bytes(streamSpan))
        }
        var id = line.pointee.facts?.id ?? ""
        var stream = line.pointee.facts?.stream ?? ""
        return id.withUTF8 { id in stream.withUTF8 { body(id, $0) } }
    }

    /// Asks for every cache line of the checked line at `position` to be loaded (see `CacheHint`): a stage reads
    /// a line another core wrote, and waited on each of its cache lines in turn.
    func prefetchLine(_ position: Int) {
        let start = UnsafeRawPointer(lines.element(position))
        var offset = 0
        while offset < MemoryLayout<LedgerVerifier.CheckedLine>.stride {
            CacheHint.prefetch(start + offset)
            offset += 64
        }
    }

    /// Asks for a line's id bytes to be loaded (see `CacheHint`).
    func prefetchID(_ line: UnsafePointer<LedgerVerifier.CheckedLine>) {
        if let span = line.pointee.idSpan { CacheHint.prefetch(chunk.base + span.lowerBound) }
    }

    /// A line's id, as a string (for a message or a rarely kept table).
    func id(_ line: UnsafePointer<LedgerVerifier.CheckedLine>) -> String {
        withIDAndStream(line) { id, _ in String(decoding: id, as: UTF8.self) }
    }
}

/// The write-side state of the log, folded by family in shards, each on its own serial queue, with the first
/// failure each finds.
final class StateShards: @unchecked Sendable {
    /// One shard's state and first failure: touched only on the shard's own queue until `finish`.
    private final class Shard: @unchecked Sendable {
        var state: WriteState
        var failure: VerifyFailure?
        /// The earlier event the failure names, when a walk split by family found it (`ValidationError.witness`).
        var witness: Int?
        /// The streams with a redacted line so far.
        var redactedStreams: Set<String> = []
        /// Each of the shard's families' latest line that is neither redacted nor a hold's (a redaction for
        /// retention-ended redacts all of them).
        var kept: [String: (seq: Int, kind: EventKind?)] = [:]

        init(_ state: WriteState) { self.state = state }
    }

    let count: Int
    private let shards: [Shard]
    private let queues: [DispatchQueue]
    private let group = DispatchGroup()
    private let room = DispatchSemaphore(value: 4)
    private var mutex = pthread_mutex_t()
    private var failed = false

    init(count: Int) {
        self.count = max(1, count)
        var state = WriteState()
        state.recordsStreams = false
        state.acceptsRedactionRecords = true
        state.acceptsLedgerActor = true
        shards = (0..<self.count).map { _ in Shard(state) }
        queues = (0..<self.count).map { DispatchQueue(label: "ledger.verify.shard\($0)") }
        pthread_mutex_init(&mutex, nil)
    }

    deinit { pthread_mutex_destroy(&mutex) }

    var hasFailed: Bool {
        pthread_mutex_lock(&mutex)
        defer { pthread_mutex_unlock(&mutex) }
        return failed
    }

    /// Queues each shard's lines of `slice` (a few slices at most wait, so memory stays bounded). A line of a
    /// stream every shard follows (the workforce, the organisation) is checked by the first shard only.
    func submit(_ slice: CheckedSlice, _ positions: [[Int32]]) {
        room.wait()
        let group = DispatchGroup()
        for (shard, list) in positions.enumerated() where !list.isEmpty {
            queues[shard].async(group: group) { self.run(shard, slice, list) }
        }
        self.group.enter()
        group.notify(queue: .global()) {
            self.room.signal()
            self.group.leave()
        }
    }

    private func run(_ index: Int, _ slice: CheckedSlice, _ positions: [Int32]) {
        let shard = shards[index]
        guard shard.failure == nil else { return }
        var redactedStreams = shard.redactedStreams
        var kept: [String: (seq: Int, kind: EventKind?)] = [:]
        swap(&kept, &shard.kept)
        defer {
            shard.redactedStreams = redactedStreams
            swap(&kept, &shard.kept)
        }
        func fail(_ seq: Int, _ problem: String) {
            shard.failure = VerifyFailure(seq: seq, line: seq, problem: problem)
            pthread_mutex_lock(&mutex)
            failed = true
            pthread_mutex_unlock(&mutex)
        }
        // The state is worked on as a local value and put back after (a method called on it where it is stored
        // may copy it, every table in it retained).
        var state = WriteState()
        swap(&state, &shard.state)
        defer { swap(&state, &shard.state) }
        for (number, position) in positions.enumerated() {
            // The lines were written on another core: the one a few ahead is asked for now.
            if number + 4 < positions.count { slice.prefetchLine(Int(positions[number + 4])) }
            let line = slice.line(Int(position))
            let everyShard = line.pointee.route == 0
            // A line of one family is this shard's alone: its facts are taken, not copied.
            guard let facts = everyShard ? line.pointee.facts : line.pointee.facts.take() else {
                continue
            }
            let target = line.pointee.target
            let seq = line.pointee.seq
            let redacted = line.pointee.redacted
            let refused = line.pointee.refusal != nil
            // A line of a stream every shard follows is checked once, by the first.
            // Once a line of a family is redacted, what its later lines are judged against is partly unknown (a
            // redacted referral has no members to tell the youngest child by): they are checked on their own.
            if redacted { redactedStreams.insert(facts.stream) }
            let stateKnown = redactedStreams.isEmpty || !redactedStreams.contains(facts.stream)
            // A correction or void on a stream every shard follows (a worker's, a system's, the organisation's)
            // is checked by every shard: each knows the acts, allocations and closures in its own families (the
            // one naming the earliest is the refusal an append gives).
            let workforceAmendment = everyShard && line.pointee.amendmentTarget != nil
            var checks = index == 0 || !everyShard || workforceAmendment
            // A record.redacted is judged by the shard that folds its family (its holds, its episode, its lines).
            var redaction: RecordRedacted?
            if everyShard, line.pointee.kind == .recordRedacted,
                case .recordRedacted(let payload) = facts.typed, let decoded = payload.decoded
            {
                redaction = decoded
                checks = StoredEvent.shard(ofFamily: decoded.family, count: count) == index
            }
            if !redacted && checks {
                do {
                    if let refusal = line.pointee.refusal { throw refusal }
                    // A family whose redacted lines leave its state unknown is still asked whether its record
                    // was disposed of.
                    if stateKnown {
                        try state.check(facts, line: seq) { _ in target }
                    } else {
                        try state.checkNotDisposed(facts, line: seq)
                    }
                } catch let error as ValidationError {
                    shard.witness = error.witness
                    fail(seq, "would be refused today: \(error.reason)")
                    return
                } catch {
                    return
                }
                if let redaction, redaction.reason == Redaction.retentionEnded,
                    let left = kept["family:" + redaction.family]
                {
                    fail(
                        seq,
                        "record.redacted for retention-ended leaves seq \(left.seq) (\(left.kind?.eventType.name ?? "an event")) of family \(redaction.family) unredacted: it redacts every line of the family but its holds'"
                    )
                    return
                }
            }
            if !everyShard && !redacted && line.pointee.kind != .holdPlaced
                && line.pointee.kind != .holdLifted
            {
                kept[facts.stream] = (seq, line.pointee.kind)
            }
            if !refused || redacted { state.apply(facts, seq: seq) { _ in target } }
        }
    }

    /// Waits for every queued job; the failures found.
    func finish() -> [VerifyFailure] {
        group.wait()
        // Of failures of one line, the one naming the earliest event first.
        return shards.filter { $0.failure != nil }.sorted {
            ($0.witness ?? Int.max) < ($1.witness ?? Int.max)
        }.compactMap(\.failure)
    }
}

/// Every event id seen so far, with its type and stream (what a correction's target must be checked against),
/// held compactly: a million events take a few tens of megabytes, not a string object each.
final class SeenEvents {
    /// Open addressing on the id's key: one word a slot, the key's high half above the position of the event plus
    /// one (0: empty), so that a probe reads one place in memory, and the table is half the size it would be
    /// with the whole key kept (every page of it is written, and in this virtual machine a fresh page is dear).
    /// The low half of the key picks the slot; ids whose keys agree in what is kept are told apart by their bytes.
    private var slots: UnsafeMutablePointer<UInt64>
    /// Whether `slots` was mapped (`zeroed`), rather than allocated.
    private var slotsMapped = false
    private var capacity = 1 << 16
    private var count = 0
    /// Each event's id then stream, their bytes end to end, and where each ends (two ends per event).
    private var bytes: [UInt8] = []
    private var ends: [Int] = []
    /// Each event's kind.
    private var kinds: [EventKind] = []

    /// A table for a log of `bytes` bytes. Its lists are reserved for lines of 300 bytes on average (memory
    /// reserved but never written costs nothing, and a list of tens of megabytes grown is copied); the table of
    /// slots, whose every page is written, is sized for lines of a kilobyte and grows when it must.
    init(expectedBytes bytes: Int = 0) {
        while capacity < 2 * (bytes / 1024) { capacity *= 2 }
        (slots, slotsMapped) = Self.zeroed(capacity)
        let events = bytes / 300
        self.bytes.reserveCapacity(events * 40)
        ends.reserveCapacity(2 * events)
        kinds.reserveCapacity(events)
    }

    deinit { Self.release(slots, capacity, mapped: slotsMapped) }

    /// `count` zeroed words, in huge pages where the system gives them: a probe lands anywhere in tens of
    /// megabytes, and with small pages nearly every probe also missed the address cache (a page walk, which a
    /// virtual machine makes twice over).
    private static func zeroed(_ count: Int) -> (UnsafeMutablePointer<UInt64>, mapped: Bool) {
        let bytes = count * MemoryLayout<UInt64>.stride
        if bytes >= hugePage,
            let memory = mmap(
                nil, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0),
            memory != MAP_FAILED
        {
            _ = madvise(memory, bytes, Int32(MADV_HUGEPAGE))
            return (memory.bindMemory(to: UInt64.self, capacity: count), true)
        }
        let words = UnsafeMutablePointer<UInt64>.allocate(capacity: count)
        words.initialize(repeating: 0, count: count)
        return (words, false)
    }

    private static let hugePage = 2 << 20

    /// Gives back a table `zeroed` made.
    private static func release(_ words: UnsafeMutablePointer<UInt64>, _ count: Int, mapped: Bool) {
        if mapped {
            munmap(words, count * MemoryLayout<UInt64>.stride)
        } else {
            words.deallocate()
        }
    }

    /// The table's key of an id: Swift's hasher (SipHash, seeded afresh in every process, so ids made to collide
    /// cannot slow a verify down), not SHA-256: the key never leaves the process.
    static func key(_ id: UnsafeBufferPointer<UInt8>) -> UInt64 {
        var hasher = Hasher()
        hasher.combine(bytes: UnsafeRawBufferPointer(id))
        return UInt64(bitPattern: Int64(hasher.finalize()))
    }

    static func key(_ id: String) -> UInt64 {
        var id = id
        return id.withUTF8 { key($0) }
    }

    /// The slot a key's probe starts at, and the tag kept in the slot (the key's high half).
    @inline(__always)
    private func start(_ key: UInt64) -> Int { Int(truncatingIfNeeded: key) & (capacity - 1) }

    @inline(__always)
    private static func tag(_ key: UInt64) -> UInt64 { key & 0xFFFF_FFFF_0000_0000 }

    @inline(__always)
    private static func position(_ slot: UInt64) -> Int { Int(slot & 0xFFFF_FFFF) - 1 }

    /// Asks for the first slot of the id whose key is `key` to be loaded (see `CacheHint`).
    func prefetch(_ key: UInt64) {
        CacheHint.prefetch(slots + start(key))
    }

    /// The type, stream and seq of the event with `id`, if seen (events are recorded in log order, one a seq).
    func target(of id: String) -> (type: String, stream: String, seq: Int)? {
        var id = id
        guard let index = id.withUTF8({ position(of: $0, key: Self.key($0)) }) else { return nil }
        return (
            kinds[index].name, String(decoding: self.bytes(index, 1), as: UTF8.self), index + 1
        )
    }

    /// Records the event with `id` (whose key is `key`, `SeenEvents.key(id)`: the table makes it again when it
    /// grows) unless that id was seen; whether it was recorded.
    func insert(
        id: UnsafeBufferPointer<UInt8>, kind: EventKind, stream: UnsafeBufferPointer<UInt8>,
        key: UInt64
    ) -> Bool {
        if (count + 1) * 2 > capacity { grow() }
        let mask = capacity - 1
        let tag = Self.tag(key)
        var slot = start(key)
        while slots[slot] != 0 {
            if slots[slot] & 0xFFFF_FFFF_0000_0000 == tag
                && idEquals(Self.position(slots[slot]), id)
            {
                return false
            }
            slot = (slot + 1) & mask
        }
        let index = count
        count += 1
        bytes.append(contentsOf: id)
        ends.append(bytes.count)
        bytes.append(contentsOf: stream)
        ends.append(bytes.count)
        kinds.append(kind)
        slots[slot] = tag | UInt64(index + 1)
        return true
    }

    private func position(of id: UnsafeBufferPointer<UInt8>, key: UInt64) -> Int? {
        let mask = capacity - 1
        let tag = Self.tag(key)
        var slot = start(key)
        while slots[slot] != 0 {
            let index = Self.position(slots[slot])
            if slots[slot] & 0xFFFF_FFFF_0000_0000 == tag && idEquals(index, id) { return index }
            slot = (slot + 1) & mask
        }
        return nil
    }

    /// Event `index`'s id (`part` 0) or stream (1).
    private func bytes(_ index: Int, _ part: Int) -> ArraySlice<UInt8> {
        let end = 2 * index + part
        return bytes[(end == 0 ? 0 : ends[end - 1])..<ends[end]]
    }

    private func idEquals(_ index: Int, _ id: UnsafeBufferPointer<UInt8>) -> Bool {
        bytes(index, 0).elementsEqual(id)
    }

    /// Places the event at `index` again (the table grew): its key is its id's, made again (growing is rare: the
    /// table is sized for the log when the verify starts).
    private func place(_ index: Int) {
        let key = bytes(index, 0).withUnsafeBufferPointer { Self.key($0) }
        let mask = capacity - 1
        var slot = start(key)
        while slots[slot] != 0 { slot = (slot + 1) & mask }
        slots[slot] = Self.tag(key) | UInt64(index + 1)
    }

    private func grow() {
        let old = slots
        let oldCapacity = capacity
        let oldMapped = slotsMapped
        capacity *= 2
        (slots, slotsMapped) = Self.zeroed(capacity)
        for index in 0..<count { place(index) }
        Self.release(old, oldCapacity, mapped: oldMapped)
    }
}

/// Why a `redacted` member is not a notice `ledger redact` writes.
struct RedactionNoticeError: Error, Equatable, Sendable {
    let reason: String
}

/// The `redacted` member of a redacted line (EVENTS.md §1): `{"on": DATE, "reason": retention-ended|wrong-family,
/// "by": ACTOR, "record": ID}`, exactly these members, ACTOR a worker id (or an `{id, role}` actor).
enum RedactionNotice {
    static let reasons: Set<String> = ["retention-ended", "wrong-family"]

    /// The record id the notice names, or what is wrong with it.
    static func record(in value: JSONValue) -> Result<String, RedactionNoticeError> {
        guard let object = value.objectValue else {
            return .failure(.init(reason: "must be an object"))
        }
        let names = Set(object.members.map(\.key))
        guard names == ["on", "reason", "by", "record"], object.members.count == 4 else {
            return .failure(.init(reason: "must have exactly on, reason, by and record"))
        }
        guard let on = object["on"]?.stringValue, CivilDate(on) != nil else {
            return .failure(.init(reason: "on must be a date, YYYY-MM-DD"))
        }
        guard let reason = object["reason"]?.stringValue, reasons.contains(reason) else {
            return .failure(.init(reason: "reason must be retention-ended or wrong-family"))
        }
        let by = object["by"]?.stringValue ?? object["by"]?.objectValue?["id"]?.stringValue
        guard let by, Identifiers.isReference(by) else {
            return .failure(.init(reason: "by must name the actor"))
        }
        guard let record = object["record"]?.stringValue, Identifiers.isEventID(record) else {
            return .failure(.init(reason: "record must be the id of the record.redacted event"))
        }
        return .success(record)
    }
}
