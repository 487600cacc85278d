import Dispatch
import EventLog

/// Reads a log for the projections: pass 1 gathers the corrections and voids inside the window, pass 2 hands
/// over every event in log order with them applied. Memory holds only the amendments and a few chunks of the log.
///
/// Both passes parse on every core (`ParallelLineReader`) and look at each line's type first: pass 1 decodes only
/// corrections and voids, pass 2 only the types the caller asks for (`types`; all when nil). Lines are checked as
/// far as they are read (a line a projection skips is not checked past its type); `ledger verify` checks every
/// byte of every line.
public enum EventScanner {
    /// Calls `body` for every event in the window, in log order, corrections applied. Correction and void
    /// events themselves are handed over too (the timeline shows them); folds skip them. With `types`, only
    /// events of those types are decoded and handed over.
    public static func scan(
        path: String, window: EventWindow, types: EventTypeSet? = nil, amendments given: AmendmentIndex? = nil,
        progress: ((Int) -> Void)? = nil, _ body: (StoredEvent) throws -> Void
    ) throws {
        let amendments = try given ?? self.amendments(path: path, window: window)
        var lineNumber = 0
        var reported = 0
        try ParallelLineReader(path: path).read(
            parse: { slice in decode(slice, window: window, types: types) },
            consume: { piece in
                switch piece {
                case .parsed(let decoded):
                    for record in decoded.records {
                        var event = record.owned >= 0 ? decoded.owned[Int(record.owned)] : StoredEvent(record, chunk: decoded.chunk)
                        if amendments.amends(event) { amendments.apply(to: &event) }
                        try body(event)
                    }
                    if let failure = decoded.failure {
                        throw EventLogError.malformedLine(
                            seq: nil, lineNumber: lineNumber + failure.index + 1, problem: "\(failure.problem) (run ledger verify)")
                    }
                    lineNumber += decoded.lines
                case .line:
                    lineNumber += 1  // a torn tail or an over-long line: not an event
                }
                if let progress, lineNumber - reported >= 200_000 {
                    reported = lineNumber
                    progress(lineNumber)
                }
            })
    }

    /// Folds the log on several threads at once, one state per shard: an event of a family stream goes to the
    /// shard of its family, any other event (the organisation, the workforce) to every shard, and each shard sees
    /// its events in log order, corrections applied. A fold whose families do not read each other's state gives,
    /// shard by shard, exactly what one fold of the whole log would give for those families.
    public static func foldByFamily<State: Sendable>(
        path: String, window: EventWindow, types: EventTypeSet? = nil, amendments given: AmendmentIndex? = nil,
        states: [State], progress: ((Int) -> Void)? = nil, apply: @escaping @Sendable (inout State, StoredEvent) -> Void
    ) throws -> [State] {
        let amendments = try given ?? self.amendments(path: path, window: window)
        let shards = ShardStates(states)
        let count = UInt64(states.count)
        // One serial queue per shard keeps each shard's events in log order; the shards run side by side with
        // each other and with the parse tasks. A few slices at most wait to be folded (memory stays bounded).
        let queues = (0..<states.count).map { DispatchQueue(label: "ledger.fold.shard\($0)") }
        let folding = DispatchGroup()
        let room = DispatchSemaphore(value: 4)
        defer { folding.wait() }
        var lineNumber = 0
        var reported = 0
        try ParallelLineReader(path: path).read(
            parse: { slice in decode(slice, window: window, types: types) },
            consume: { piece in
                switch piece {
                case .parsed(let decoded):
                    if let failure = decoded.failure {
                        throw EventLogError.malformedLine(
                            seq: nil, lineNumber: lineNumber + failure.index + 1, problem: "\(failure.problem) (run ledger verify)")
                    }
                    room.wait()
                    let slice = DispatchGroup()
                    for (shard, queue) in queues.enumerated() {
                        queue.async(group: slice) {
                            for record in decoded.records where record.route == 0 || Int(record.route % count) == shard {
                                var event = record.owned >= 0 ? decoded.owned[Int(record.owned)] : StoredEvent(record, chunk: decoded.chunk)
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
                    lineNumber += decoded.lines
                case .line:
                    lineNumber += 1
                }
                if let progress, lineNumber - reported >= 200_000 {
                    reported = lineNumber
                    progress(lineNumber)
                }
            })
        folding.wait()
        return shards.states
    }

    /// The events of one slice, in order, the first line that could not be read, if any, and the slice's line count.
    struct DecodedSlice: Sendable {
        let chunk: LogChunk
        var records: [EventRecord] = []
        /// Events the reference parser decoded (lines not in the shape the ledger writes).
        var owned: [StoredEvent] = []
        var failure: (index: Int, problem: String)?
        var lines = 0
    }

    static func decode(_ slice: LineSlice, window: EventWindow, types: EventTypeSet?) -> DecodedSlice {
        var decoded = DecodedSlice(chunk: slice.chunk)
        // About one event per 500 bytes when every type is wanted: the array grows once or not at all.
        decoded.records.reserveCapacity(types == nil ? slice.range.count / 500 : slice.range.count / 2_000)
        var scanner = LineScanner()
        decoded.lines = slice.forEachLine { line, start, index, tooLong in
            guard decoded.failure == nil, !tooLong else { return }
            if let types, let peeked = LineScanner.peek(line),
                !types.contains(UnsafeBufferPointer(rebasing: line[peeked.type]))
            {
                return
            }
            let offset = slice.chunkOffset + start
            if let scanned = scanner.scan(line),
                let typeIndex = EventTypeSet.all.index(of: UnsafeBufferPointer(rebasing: line[scanned.type]))
            {
                if let record = EventRecord(scanned, line: line, start: start, offset: offset, type: typeIndex, window: window) {
                    decoded.records.append(record)
                }
                return
            }
            // Not in the shape the ledger writes: the reference parser decides, and the event is held in memory.
            do {
                guard var event = StoredEvent(try LineFormat.decode(line)),
                    window.includes(date: event.date, recordedAt: event.recordedAt), types?.contains(event.type) ?? true
                else { return }
                event.offset = offset
                decoded.records.append(EventRecord(owned: decoded.owned.count, seq: event.seq, route: event.route))
                decoded.owned.append(event)
            } catch {
                decoded.failure = (index, "\(error)")
            }
        }
        return decoded
    }

    /// The amendments inside a window (pass 1). Their data is copied out of the log's chunks.
    public static func amendments(path: String, window: EventWindow) throws -> AmendmentIndex {
        var result: [String: [Amendment]] = [:]
        try ParallelLineReader(path: path).read(
            parse: { slice in decode(slice, window: window, types: amendmentTypes) },
            consume: { piece in
                guard case .parsed(let decoded) = piece else { return }
                for record in decoded.records {
                    let event = record.owned >= 0 ? decoded.owned[Int(record.owned)] : StoredEvent(record, chunk: decoded.chunk)
                    guard let target = event.data["target"]?.stringValue else { continue }
                    let amendment = Amendment(
                        kind: event.type == "event.voided" ? .voided : .corrected, by: event.id, seq: event.seq,
                        date: event.date, reason: event.data["reason"]?.stringValue ?? "",
                        data: event.data["data"]?.objectValue.map(EventData.init))
                    result[target, default: []].append(amendment)
                }
            })
        return AmendmentIndex(byTarget: result)
    }

    static let amendmentTypes = EventTypeSet(["event.corrected", "event.voided"])

    /// The events whose lines start at `offsets`, amendments applied (a second pass over one family).
    public static func events(path: String, at offsets: [Int], amendments: AmendmentIndex) throws -> [StoredEvent] {
        let reader = try LineReader(path: path)
        var scanner = LineScanner()
        return try offsets.compactMap { offset in
            guard let line = try reader.line(at: offset) else { return nil }
            let chunk = line.withUnsafeBytes { LogChunk(copying: $0) }
            let bytes = chunk.bytes(0..<chunk.count)
            var event: StoredEvent
            if let scanned = scanner.scan(bytes),
                let typeIndex = EventTypeSet.all.index(of: UnsafeBufferPointer(rebasing: bytes[scanned.type])),
                let record = EventRecord(scanned, line: bytes, start: 0, offset: offset, type: typeIndex, window: EventWindow())
            {
                event = StoredEvent(record, chunk: chunk)
            } else {
                do {
                    guard let decoded = StoredEvent(try LineFormat.decode(bytes)) else { return nil }
                    event = decoded
                } catch {
                    throw EventLogError.malformedLine(seq: nil, lineNumber: 0, problem: "at byte \(offset): \(error) (run ledger verify)")
                }
                event.offset = offset
            }
            if amendments.amends(event) { amendments.apply(to: &event) }
            return event
        }
    }
}

/// One state per shard, each changed by one thread at a time (its shard's).
private final class ShardStates<State>: @unchecked Sendable {
    private let storage: UnsafeMutableBufferPointer<State>

    init(_ states: [State]) {
        storage = .allocate(capacity: states.count)
        _ = storage.initialize(from: states)
    }

    deinit {
        storage.deinitialize()
        storage.deallocate()
    }

    func update(_ shard: Int, _ body: (inout State) -> Void) { body(&storage[shard]) }

    var states: [State] { Array(storage) }
}
