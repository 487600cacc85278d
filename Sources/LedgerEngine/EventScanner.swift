#if canImport(Glibc)
    import Glibc
#endif
import Dispatch
import EventLog
import LedgerCore

/// Which part of a log to read: from a line's start up to a line's end (default: all of it), the line number
/// (the seq) of the first line read, and the hash of the line before it: the read checks the chain from there.
public struct LogSpan: Sendable {
    public var from: Int
    public var to: Int?
    public var firstLine: Int
    /// The hash of the line before `from` (64 zeros at the log's start): one recomputed from that line's bytes,
    /// never only the one a derived file states.
    public var previousHash: SHA256.Digest

    public init(
        from: Int = 0, to: Int? = nil, firstLine: Int = 1, previousHash: SHA256.Digest = .zero
    ) {
        self.from = from
        self.to = to
        self.firstLine = firstLine
        self.previousHash = previousHash
    }

    /// The whole log.
    public static let all = LogSpan()
}

/// Reads a log for the projections: pass 1 gathers the corrections and voids that count in the window (those
/// recorded by its `knownAt`, whatever their own date: `EventWindow.amendments`), pass 2 hands over every event in
/// the window in log order with them applied. Memory holds only the amendments and a few chunks of the log.
///
/// Both passes parse on every core (`ParallelLineReader`) and look at each line's type first: pass 1 decodes only
/// corrections and voids, pass 2 only the types the caller asks for (`types`; all when nil). Every line's place in
/// the hash chain is checked (`HashChain`: both hashes recomputed on the parse threads, seq and `prev` linked in
/// log order), by pass 1, or by pass 2 when it decodes every line (from the same scan), so no projection answers
/// from a log whose chain is broken: the read stops with `EventLogError.chainBroken` at the first bad seq. The events' contract is checked as far as they are read (a
/// line a projection skips is not checked past its type); `ledger verify` re-validates every event.
public enum EventScanner {
    /// Calls `body` for every event in the window, in log order, corrections applied. Correction and void
    /// events themselves are handed over too (the timeline shows them); folds skip them. With `types`, only
    /// events of those types are decoded and handed over.
    @discardableResult
    public static func scan(
        path: String, window: EventWindow, types: EventTypeSet? = nil, span: LogSpan = .all,
        amendments given: AmendmentIndex? = nil, progress: ((Int) -> Void)? = nil,
        _ body: (StoredEvent) throws -> Void
    ) throws -> Coverage {
        let (amendments, plan, chain) = try firstPass(
            given, path: path, window: window, span: span, types: types)
        var coverage = amendments.coverage
        try read(
            path: path, window: window, types: types, span: span, plan: plan, chain: chain,
            progress: progress
        ) { decoded in
            coverage.merge(decoded.coverage)
            for record in decoded.records {
                var event = decoded.event(record)
                if amendments.amends(event) { amendments.apply(to: &event) }
                try body(event)
            }
        }
        return coverage
    }

    /// `scan` with the work on each event done on the parse threads: the events of each slice of the log (in the
    /// window, corrections applied, the correction and void events among them) go to `transform` there, into a
    /// value `start` makes for the slice, and the slices' values come to `consume` in log order. For work that
    /// needs no other event than the one at hand (an export's rows): `consume` only puts the pieces together.
    @discardableResult
    public static func mapSlices<Part: Sendable>(
        path: String, window: EventWindow, types: EventTypeSet? = nil,
        start: @escaping @Sendable () -> Part,
        transform: @escaping @Sendable (inout Part, StoredEvent) -> Void,
        consume: (Part) throws -> Void
    ) throws -> Coverage {
        let (amendments, plan, chain) = try firstPass(
            nil, path: path, window: window, span: .all, types: types)
        var coverage = amendments.coverage
        try read(
            path: path, window: window, types: types, span: .all, plan: plan, chain: chain,
            map: { decoded in
                var part = start()
                for record in decoded.records {
                    var event = decoded.event(record)
                    if amendments.amends(event) { amendments.apply(to: &event) }
                    transform(&part, event)
                }
                return part
            }
        ) { decoded, part in
            coverage.merge(decoded.coverage)
            try consume(part)
        }
        return coverage
    }

    /// Folds the log on several threads at once, one state per shard: an event of a family stream goes to the
    /// shard of its family (`shard(of:count:)`), any other event (the organisation, the workforce) to every shard,
    /// and each shard sees its events in log order, corrections applied. A fold whose families do not read each
    /// other's state gives, shard by shard, exactly what one fold of the whole log would give for those families.
    public static func foldByFamily<State: Sendable>(
        path: String, window: EventWindow, types: EventTypeSet? = nil, span: LogSpan = .all,
        amendments given: AmendmentIndex? = nil, states: [State], backlog: Int = 4,
        progress: ((Int) -> Void)? = nil,
        apply: @escaping @Sendable (inout State, StoredEvent) -> Void
    ) throws -> (states: [State], coverage: Coverage) {
        let (amendments, plan, chain) = try firstPass(
            given, path: path, window: window, span: span, types: types)
        var coverage = amendments.coverage
        let shards = ShardStates(states)
        let count = UInt64(states.count)
        // One serial queue per shard keeps each shard's events in log order; the shards run side by side with
        // each other and with the parse tasks. At most `backlog` slices wait to be folded (memory stays bounded).
        let queues = (0..<states.count).map { DispatchQueue(label: "ledger.fold.shard\($0)") }
        let folding = DispatchGroup()
        let room = DispatchSemaphore(value: max(1, backlog))
        defer { folding.wait() }
        try read(
            path: path, window: window, types: types, span: span, plan: plan, chain: chain,
            progress: progress
        ) { decoded in
            coverage.merge(decoded.coverage)
            room.wait()
            let slice = DispatchGroup()
            for (shard, queue) in queues.enumerated() {
                queue.async(group: slice) {
                    for record in decoded.records
                    where record.route == 0 || Int(record.route % count) == shard {
                        var event = decoded.event(record)
                        if amendments.amends(event) { amendments.apply(to: &event) }
                        shards.update(shard) { apply(&$0, event) }
                    }
                }
            }
            folding.enter()
            slice.notify(queue: .global()) {
                room.signal()
                folding.leave()
            }
        }
        folding.wait()
        return (shards.take(), coverage)
    }

    /// The amendments (given, or read by pass 1); when pass 1 runs for a read of some types only, its plan; and
    /// whether pass 2 checks the chain. Pass 1 checks it, except when pass 2 decodes every line: pass 2 then links
    /// each line from the scan it decodes the event with, and pass 1 only looks for corrections and voids (each
    /// line scanned once, not twice). Either way the read stops at the first break, with the same error, before
    /// it returns.
    private static func firstPass(
        _ given: AmendmentIndex?, path: String, window: EventWindow, span: LogSpan,
        types: EventTypeSet?
    ) throws -> (AmendmentIndex, ReadPlan?, chain: Bool) {
        if let given { return (given, nil, false) }
        let chainLater = types == nil
        let (index, plan) = try amendments(
            path: path, window: window, span: span, planning: types, chain: !chainLater)
        return (index, plan, chainLater)
    }

    /// Which of `count` shards a family's events go to in `foldByFamily`.
    public static func shard(ofFamily ref: String, count: Int) -> Int {
        StoredEvent.shard(ofFamily: ref, count: count)
    }

    /// The amendments that count in a window (pass 1; see `EventWindow.amendments`). Their data is copied out of
    /// the log's chunks.
    public static func amendments(path: String, window: EventWindow, span: LogSpan = .all) throws
        -> AmendmentIndex
    {
        try amendments(path: path, window: window, span: span, planning: nil, chain: true).index
    }

    /// The amendments that count in a window (`EventWindow.amendments`: those recorded by its `knownAt`, whatever
    /// their own date, since a correction applies at its target's date), and, when `planning` names the types pass
    /// 2 will read, where the lines of those types are (pass 1 splits and peeks at every line anyway; pass 2 then
    /// goes straight to them).
    static func amendments(
        path: String, window: EventWindow, span: LogSpan, planning types: EventTypeSet?,
        chain: Bool
    ) throws
        -> (index: AmendmentIndex, plan: ReadPlan?)
    {
        var result: [String: [Amendment]] = [:]
        var coverage = Coverage()
        var plan = types.map { _ in ReadPlan() }
        try read(
            path: path, window: window.amendments, types: amendmentTypes, span: span,
            failures: false, planning: types, chain: chain
        ) {
            decoded in
            if let slice = decoded.plan { plan?.slices[slice.start] = slice }
            coverage.merge(decoded.coverage)
            for record in decoded.records {
                guard let (target, amendment) = amendment(decoded.event(record)) else { continue }
                result[target, default: []].append(amendment)
            }
        }
        return (AmendmentIndex(byTarget: result, coverage: coverage), plan)
    }

    static let amendmentTypes = EventTypeSet(["event.corrected", "event.voided"])

    /// What a correction or void event does, and to which event (nil for any other event: only these two kinds
    /// amend).
    static func amendment(_ event: StoredEvent) -> (target: String, Amendment)? {
        let typed = event.typed
        if case .eventCorrected(let payload) = typed, let correction = payload.decoded {
            return (
                correction.target,
                Amendment(
                    kind: .corrected, by: event.id, seq: event.seq, date: event.date,
                    reason: correction.reason, data: EventData(correction.data))
            )
        }
        if case .eventVoided(let payload) = typed, let void = payload.decoded {
            return (
                void.target,
                Amendment(
                    kind: .voided, by: event.id, seq: event.seq, date: event.date,
                    reason: void.reason, data: nil)
            )
        }
        return nil
    }

    /// `events` (a whole log, in order, held in memory) with their corrections and voids applied as a read of
    /// the log applies them: what `scan` would hand over.
    public static func amended(_ events: [StoredEvent]) -> [StoredEvent] {
        var byTarget: [String: [Amendment]] = [:]
        for event in events {
            if let (target, amendment) = amendment(event) {
                byTarget[target, default: []].append(amendment)
            }
        }
        let index = AmendmentIndex(byTarget: byTarget)
        return events.map { event in
            var event = event
            if index.amends(event) { index.apply(to: &event) }
            return event
        }
    }

    /// Where the last line of each family stream starts, by the stream's route (`StoredEvent.route`): once a read
    /// in log order has passed that line, no later line can belong to the family. Two streams sharing a route
    /// only make the earlier one's end look later (it is then seen at the end of the read), never earlier. Lines
    /// not in the shape the ledger writes are not looked at, with the same effect.
    public static func lastLines(path: String) throws -> [UInt64: Int] {
        var last: [UInt64: Int] = [:]
        try ParallelLineReader(path: path).read(
            parse: { slice in
                var found: [(route: UInt64, offset: Int)] = []
                found.reserveCapacity(slice.range.count / 400)
                slice.forEachLine { line, start, _, tooLong in
                    guard !tooLong, let peeked = LineScanner.peek(line) else { return }
                    let route = StoredEvent.route(
                        of: UnsafeBufferPointer(rebasing: line[peeked.stream]))
                    if route != 0 { found.append((route, slice.chunkOffset + start)) }
                }
                return LastLines(found: found)
            },
            consume: { piece in
                guard case .parsed(let lines) = piece else { return }
                for (route, offset) in lines.found { last[route] = offset }
            })
        return last
    }

    struct LastLines: Sendable {
        let found: [(route: UInt64, offset: Int)]
    }

    /// The ids of the events in `span` (a checkpoint's tail: are the targets of its corrections in it?).
    public static func ids(path: String, span: LogSpan) throws -> Set<String> {
        var ids = Set<String>()
        try read(path: path, window: EventWindow(), types: nil, span: span) { decoded in
            for record in decoded.records { ids.insert(decoded.event(record).id) }
        }
        return ids
    }

    /// Reads `span` on every core and hands each slice's events to `consume`, in log order; a line that cannot be
    /// read is an error naming it (unless `failures` is false: pass 1 leaves that to pass 2). With `chain`, every
    /// line's hashes are recomputed and the lines linked from `span`'s start: a break is an error at its seq.
    private static func read(
        path: String, window: EventWindow, types: EventTypeSet?, span: LogSpan,
        failures: Bool = true,
        planning: EventTypeSet? = nil, plan: ReadPlan? = nil, chain: Bool = false,
        progress: ((Int) -> Void)? = nil,
        consume: (DecodedSlice) throws -> Void
    ) throws {
        try read(
            path: path, window: window, types: types, span: span, failures: failures,
            planning: planning, plan: plan, chain: chain, progress: progress, map: { _ in () }
        ) { decoded, _ in try consume(decoded) }
    }

    /// `read`, with `map` run on the parse thread over each slice's events once decoded; its value comes to
    /// `consume` with the slice.
    private static func read<Part: Sendable>(
        path: String, window: EventWindow, types: EventTypeSet?, span: LogSpan,
        failures: Bool = true,
        planning: EventTypeSet? = nil, plan: ReadPlan? = nil, chain: Bool = false,
        progress: ((Int) -> Void)? = nil,
        map: @escaping @Sendable (DecodedSlice) -> Part,
        consume: (DecodedSlice, Part) throws -> Void
    ) throws {
        var lineNumber = span.firstLine - 1
        var reported = lineNumber
        var links = chain ? HashChain(after: span.firstLine - 1, hash: span.previousHash) : nil
        func broken(_ failure: ChainBreak) -> EventLogError {
            .chainBroken(seq: failure.seq, lineNumber: failure.seq, problem: failure.problem)
        }
        try ParallelLineReader(path: path).read(
            from: span.from, to: span.to,
            parse: { slice in
                let decoded: DecodedSlice
                if let planned = plan?.slices[slice.chunkOffset + slice.range.lowerBound],
                    planned.end == slice.chunkOffset + slice.range.upperBound
                {
                    decoded = decode(slice, window: window, types: types, planned: planned)
                } else {
                    decoded = decode(
                        slice, window: window, types: types, planning: planning, chain: chain)
                }
                return MappedSlice(decoded: decoded, part: map(decoded))
            },
            consume: { piece in
                switch piece {
                case .parsed(let mapped):
                    let decoded = mapped.decoded
                    if var current = links {
                        do throws(ChainBreak) { try current.join(decoded.links) } catch {
                            throw broken(error)
                        }
                        links = current
                    }
                    if failures, let failure = decoded.failure {
                        throw EventLogError.malformedLine(
                            seq: nil, lineNumber: lineNumber + failure.index + 1,
                            problem: "\(failure.problem) (run ledger verify)")
                    }
                    try consume(decoded, mapped.part)
                    lineNumber += decoded.lines
                case .line(_, _, let info):
                    // An over-long line breaks the chain; a torn tail (no newline) was never acknowledged.
                    if let links, info.complete {
                        throw broken(
                            ChainBreak(seq: links.expectedSeq, problem: "line longer than 1 MiB"))
                    }
                    lineNumber += 1  // not an event
                }
                if let progress, lineNumber - reported >= 200_000 {
                    reported = lineNumber
                    progress(lineNumber)
                }
            })
    }

    /// A decoded slice and what `read`'s `map` made of it on the parse thread.
    struct MappedSlice<Part: Sendable>: Sendable {
        let decoded: DecodedSlice
        let part: Part
    }

    /// The events of one slice, in order, the first line that could not be read, if any, and the slice's line count.
    struct DecodedSlice: Sendable {
        let chunk: LogChunk
        var records: [EventRecord] = []
        /// Events the reference parser decoded (lines not in the shape the ledger writes).
        var owned: [StoredEvent] = []
        var failure: (index: Int, problem: String)?
        var lines = 0
        var coverage = Coverage()
        /// Where this slice's lines of the types a later pass wants are (when asked to plan).
        var plan: SlicePlan?
        /// The slice's lines in the hash chain, checked among themselves (when asked to check the chain).
        var links = ChainRun()

        func event(_ record: EventRecord) -> StoredEvent {
            record.owned >= 0 ? owned[Int(record.owned)] : StoredEvent(record, chunk: chunk)
        }

        /// Decodes one line (of a wanted type): by the fast path when it is in the shape the ledger writes, else
        /// by the reference parser (the event is then held in memory).
        /// `scanned`: the line's scan when the caller made it already (`decode`, for the chain and the event at once).
        mutating func add(
            _ line: UnsafeBufferPointer<UInt8>, start: Int, offset: Int, index: Int,
            window: EventWindow,
            scanner: inout LineScanner, types: EventTypeSet? = nil,
            scanned given: ScannedLine? = nil
        ) {
            if let scanned = given ?? scanner.scan(line),
                let typeIndex = EventTypeSet.all.index(
                    of: UnsafeBufferPointer(rebasing: line[scanned.type]))
            {
                guard
                    let record = EventRecord(
                        scanned, line: line, start: start, offset: offset, type: typeIndex)
                else { return }
                guard window.includes(date: record.date, recordedAt: record.recordedAt) else {
                    coverage.leftOut = true
                    return
                }
                coverage.include(date: record.date, recordedAt: record.recordedAt)
                records.append(record)
                return
            }
            do {
                guard var event = StoredEvent(try LineFormat.decode(line)),
                    types?.contains(event.type) ?? true
                else { return }
                guard window.includes(date: event.date, recordedAt: event.recordedAt) else {
                    coverage.leftOut = true
                    return
                }
                coverage.include(date: event.date, recordedAt: event.recordedAt)
                event.offset = offset
                records.append(EventRecord(owned: owned.count, seq: event.seq, route: event.route))
                owned.append(event)
            } catch {
                failure = (index, "\(error)")
            }
        }
    }

    static func decode(
        _ slice: LineSlice, window: EventWindow, types: EventTypeSet?,
        planning: EventTypeSet? = nil, chain: Bool = false
    ) -> DecodedSlice {
        var decoded = DecodedSlice(chunk: slice.chunk)
        // About one event per 500 bytes when every type is wanted: the array grows once or not at all.
        decoded.records.reserveCapacity(
            types == nil ? slice.range.count / 500 : slice.range.count / 2_000)
        var scanner = LineScanner()
        // The chain's links are made two lines at a time (their hashes side by side), in order.
        var linker = ChainLinker()
        let sliceStart = slice.range.lowerBound
        var wanted: [(start: Int32, index: Int32)] = []
        decoded.lines = slice.forEachLine { line, start, index, tooLong in
            let peeked = tooLong ? nil : LineScanner.peek(line)
            // Whether the line is decoded here: a wanted type (or not in the usual shape: read in full), while
            // no line before it in the slice failed.
            let decodes =
                decoded.failure == nil && !tooLong
                && !(types.map { types in
                    peeked.map { !types.contains(UnsafeBufferPointer(rebasing: line[$0.type])) }
                        ?? false
                } ?? false)
            // A line decoded here is scanned once, for its link and its event.
            var scanned: ScannedLine?
            if chain {
                if decodes, let full = scanner.scan(line) {
                    scanned = full
                    linker.add(ChainSpans(full), line: line, tag: index) { link, _ in
                        decoded.links.add(link)
                    }
                } else {
                    linker.add(line, tooLong: tooLong, tag: index) { link, _ in
                        decoded.links.add(link)
                    }
                }
            }
            guard decoded.failure == nil, !tooLong else { return }
            // A later pass wants the lines of its types, and every line not in the usual shape (read in full).
            if let planning,
                peeked.map({ planning.contains(UnsafeBufferPointer(rebasing: line[$0.type])) })
                    ?? true
            {
                wanted.append((Int32(start - sliceStart), Int32(index)))
            }
            guard decodes else { return }
            decoded.add(
                line, start: start, offset: slice.chunkOffset + start, index: index, window: window,
                scanner: &scanner,
                types: types, scanned: scanned)
        }
        if chain { linker.finish { link, _ in decoded.links.add(link) } }
        if planning != nil, decoded.failure == nil {
            decoded.plan = SlicePlan(
                start: slice.chunkOffset + sliceStart,
                end: slice.chunkOffset + slice.range.upperBound, lines: decoded.lines,
                wanted: wanted)
        }
        return decoded
    }

    /// Decodes only the lines a plan names (found by pass 1 over the same slice), without splitting the others.
    static func decode(
        _ slice: LineSlice, window: EventWindow, types: EventTypeSet?, planned: SlicePlan
    ) -> DecodedSlice {
        var decoded = DecodedSlice(chunk: slice.chunk)
        decoded.records.reserveCapacity(planned.wanted.count)
        var scanner = LineScanner()
        let base = slice.chunk.base
        let end = slice.range.upperBound
        for (relative, index) in planned.wanted {
            let start = slice.range.lowerBound + Int(relative)
            guard start < end, let found = memchr(base + start, 0x0A, end - start) else { break }
            let length = base.distance(to: found.assumingMemoryBound(to: UInt8.self)) - start
            decoded.add(
                UnsafeBufferPointer(start: base + start, count: length), start: start,
                offset: slice.chunkOffset + start,
                index: Int(index), window: window, scanner: &scanner, types: types)
            if decoded.failure != nil { break }
        }
        decoded.lines = planned.lines
        return decoded
    }
}

/// What pass 1 of a read found about the lines pass 2 wants, slice by slice (by where each slice starts in the
/// file: both passes cut the log the same way).
struct ReadPlan: Sendable {
    var slices: [Int: SlicePlan] = [:]
}

/// One slice's plan: its bounds in the file, how many lines it has, and where the wanted ones start (from the
/// slice's start) with their index in the slice.
struct SlicePlan: Sendable {
    let start: Int
    let end: Int
    let lines: Int
    let wanted: [(start: Int32, index: Int32)]
}

/// One state per shard, each changed by one thread at a time (its shard's).
private final class ShardStates<State>: @unchecked Sendable {
    private let storage: UnsafeMutableBufferPointer<State>
    private var taken = false

    init(_ states: [State]) {
        storage = .allocate(capacity: states.count)
        _ = storage.initialize(from: states)
    }

    deinit {
        if !taken { storage.deinitialize() }
        storage.deallocate()
    }

    func update(_ shard: Int, _ body: (inout State) -> Void) { body(&storage[shard]) }

    /// The states, moved out once every shard is done (copies would share their tables with the ones left
    /// here, and the first change to a shared table copies it whole).
    func take() -> [State] {
        precondition(!taken, "shard states taken twice")
        taken = true
        return storage.indices.map { (storage.baseAddress.unsafelyUnwrapped + $0).move() }
    }
}
