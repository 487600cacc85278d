import EventLog

/// Persists `WriteState` beside the log so an append neither replays nor loads the whole history.
///
/// Two derived files, both rebuildable from the log:
/// - `<log>.state`, the base: a header, the policy adoptions, then one line per stream sorted by stream name
///   (`<stream>\t<count>\t<kind>…`), found by binary search in place: an append parses only the streams it
///   touches.
/// - `<log>.state-delta`, appended after each append: the stream lines that changed, then a stamp line
///   `H\t<seq>\t<size>\t<hash>`. Lines after the last stamp (a write cut short) are ignored. When the delta
///   grows past `compactionBytes` it is merged into a new base.
///
/// A stamp names the log position the state describes; it is checked against the log before use, the log's
/// tail after it is replayed, and a stamp that does not match means a rebuild from the log. Every field follows
/// a grammar without tabs, commas, semicolons or newlines (ids, refs, roles, dates), so no escaping is needed.
enum WriteStateStore {
    static let magic = "ledger-write-state 2"
    nonisolated(unsafe) static var compactionBytes = 256 * 1024

    static func basePath(for log: String) -> String { log + ".state" }
    static func deltaPath(for log: String) -> String { log + ".state-delta" }

    // MARK: Encoding one stream

    static func encodeStream(_ stream: String, state: WriteState) -> String {
        let key = StreamName.key(of: stream)
        var line = "\(stream)\t\(state.count(of: stream))"
        switch StreamName.kind(of: stream) {
        case .family?:
            let family = state.family(key) ?? WriteState.Family()
            let members = family.members.sorted(by: { $0.key < $1.key }).map {
                "\($0.key),\($0.value.role),\($0.value.dob.map(String.init(describing:)) ?? "-")"
            }.joined(separator: ";")
            line += "\tF\t\(family.open ? 1 : 0)\t\(family.closureApproved ? 1 : 0)\t\(family.openingReferral ?? "-")"
            line += "\t\(family.lastClosure ?? "-")\t\(family.approval ?? "-")\t\(members)"
        case .worker?:
            if let worker = state.worker(key) { line += "\tW\t\(worker.role)\t\(worker.left ? 1 : 0)" } else { line += "\tO" }
        default:
            line += "\tO"
        }
        return line + "\n"
    }

    /// One decoded stream line.
    struct StreamRecord {
        var stream: String
        var count: Int
        var family: WriteState.Family?
        var worker: WriteState.Worker?
    }

    static func decodeStream(_ line: Substring) -> StreamRecord? {
        let fields = line.split(separator: "\t", omittingEmptySubsequences: false)
        guard fields.count >= 3, let count = Int(fields[1]) else { return nil }
        var record = StreamRecord(stream: String(fields[0]), count: count)
        func optional(_ text: Substring) -> String? { text == "-" ? nil : String(text) }
        switch fields[2] {
        case "F":
            guard fields.count == 9 else { return nil }
            var family = WriteState.Family()
            family.open = fields[3] == "1"
            family.closureApproved = fields[4] == "1"
            family.openingReferral = optional(fields[5])
            family.lastClosure = optional(fields[6])
            family.approval = optional(fields[7])
            for member in fields[8].split(separator: ";") {
                let parts = member.split(separator: ",", omittingEmptySubsequences: false)
                guard parts.count == 3 else { return nil }
                family.members[String(parts[0])] = WriteState.Member(role: String(parts[1]), dob: CivilDate(parts[2]))
            }
            record.family = family
        case "W":
            guard fields.count == 5 else { return nil }
            record.worker = WriteState.Worker(role: String(fields[3]), left: fields[4] == "1")
        case "O":
            break
        default:
            return nil
        }
        return record
    }

    // MARK: Loading

    /// The state at the log's head: base + delta, checked against the log; nil when it must be rebuilt.
    /// Returns the state and the head it describes (the caller replays the log after it).
    static func load(for ledger: LockedLedger) -> (WriteState, LogHead)? {
        guard let baseBytes = FileOutput.read(basePath(for: ledger.path)), let base = WriteStateBase(baseBytes) else {
            return nil
        }
        var state = WriteState()
        state.adoptions = base.adoptions
        state.base = base
        var head = base.head
        if let delta = FileOutput.read(deltaPath(for: ledger.path)), !delta.isEmpty {
            // Apply whole blocks only: everything up to the last stamp line.
            let text = String(decoding: delta, as: UTF8.self)
            var pending: [StreamRecord] = []
            var pendingAdoptions: [WriteState.Adoption] = []
            for line in text.split(separator: "\n") {
                if line.hasPrefix("H\t") {
                    guard let stamp = decodeStamp(line) else { return nil }
                    for record in pending { state.restore(record) }
                    state.adoptions.append(contentsOf: pendingAdoptions)
                    pending.removeAll()
                    pendingAdoptions.removeAll()
                    head = stamp
                } else if line.hasPrefix("P\t") {
                    guard let adoption = decodeAdoption(line) else { return nil }
                    pendingAdoptions.append(adoption)
                } else if let record = decodeStream(line) {
                    pending.append(record)
                } else {
                    break  // a cut-short line: stop at the last whole block
                }
            }
        }
        guard head.size <= ledger.head.size else { return nil }
        if head != ledger.head && head.seq > 0 {
            guard let record = try? lineEnding(at: head.size, in: ledger), record.seq == head.seq, record.hash == head.hash
            else { return nil }
        } else if head.seq == 0 && head.size != 0 {
            return nil
        }
        return (state, head)
    }

    static func decodeStamp(_ line: Substring) -> LogHead? {
        let fields = line.split(separator: "\t", omittingEmptySubsequences: false)
        guard fields.count == 4, let seq = Int(fields[1]), let size = Int(fields[2]) else { return nil }
        return LogHead(seq: seq, hash: String(fields[3]), size: size)
    }

    static func decodeAdoption(_ line: Substring) -> WriteState.Adoption? {
        let fields = line.split(separator: "\t", omittingEmptySubsequences: false)
        guard fields.count == 3, let date = CivilDate(fields[1]) else { return nil }
        return WriteState.Adoption(effectiveFrom: date, needsManager: fields[2] == "1")
    }

    // MARK: Saving

    /// Records the changes since loading: a delta block, or a new base when there is no base or the delta is big.
    static func save(_ state: WriteState, head: LogHead, for log: String) throws {
        let deltaPath = deltaPath(for: log)
        let deltaSize = FileOutput.size(deltaPath) ?? 0
        if state.base == nil || deltaSize > compactionBytes {
            try writeBase(state, head: head, for: log)
            return
        }
        var block = ""
        for adoption in state.adoptions.suffix(state.newAdoptions) {
            block += "P\t\(adoption.effectiveFrom)\t\(adoption.needsManager ? 1 : 0)\n"
        }
        for stream in state.dirtyStreams.sorted() { block += encodeStream(stream, state: state) }
        block += "H\t\(head.seq)\t\(head.size)\t\(head.hash)\n"
        // One write at the end of the delta; if it is cut short, the stamp is missing and the block ignored.
        let file = try FileOutput.create(deltaPath)
        try file.write(Array(block.utf8))
    }

    /// Writes the whole state as a new base (atomically) and empties the delta.
    static func writeBase(_ state: WriteState, head: LogHead, for log: String) throws {
        var streams = Set(state.streamCounts.keys)
        if let base = state.base { streams.formUnion(base.allStreams()) }
        var out = "\(magic)\nH\t\(head.seq)\t\(head.size)\t\(head.hash)\n"
        for adoption in state.adoptions {
            out += "P\t\(adoption.effectiveFrom)\t\(adoption.needsManager ? 1 : 0)\n"
        }
        out += "--\n"
        for stream in streams.sorted(by: { $0.utf8.lexicographicallyPrecedes($1.utf8) }) {
            out += encodeStream(stream, state: state)
        }
        try FileOutput.writeAtomically(Array(out.utf8), to: basePath(for: log))
        try FileOutput.writeAtomically([], to: deltaPath(for: log))
    }

    private static func lineEnding(at end: Int, in ledger: LockedLedger) throws -> LedgerRecord? {
        guard let start = try ledger.lineStart(endingAt: end), let line = try ledger.line(at: start) else { return nil }
        return try LineFormat.decode(line)
    }
}

extension WriteState {
    /// Puts a record from the checkpoint delta into memory.
    mutating func restore(_ record: WriteStateStore.StreamRecord) {
        streamCounts[record.stream] = record.count
        let key = StreamName.key(of: record.stream)
        if let family = record.family { families[key] = family }
        if let worker = record.worker { workers[key] = worker }
    }
}

/// The checkpoint's base file, searched in place: a lookup is a binary search over its bytes (the stream lines
/// are sorted by name, and no index of them is built), so an append parses only the streams it asks for.
final class WriteStateBase: @unchecked Sendable {
    let bytes: [UInt8]
    let head: LogHead
    let adoptions: [WriteState.Adoption]
    /// Where the stream lines start (after the header's "--" line).
    private let dataStart: Int

    init?(_ bytes: [UInt8]) {
        self.bytes = bytes
        var position = 0
        var header: [Substring] = []
        // Header lines up to "--".
        var separatorFound = false
        while position < bytes.count {
            guard let end = bytes[position...].firstIndex(of: 0x0A) else { return nil }
            let line = String(decoding: bytes[position..<end], as: UTF8.self)
            position = end + 1
            if line == "--" {
                separatorFound = true
                break
            }
            header.append(Substring(line))
        }
        guard separatorFound, header.first == Substring(WriteStateStore.magic), header.count >= 2,
            let stamp = WriteStateStore.decodeStamp(header[1])
        else { return nil }
        head = stamp
        var adoptions: [WriteState.Adoption] = []
        for line in header.dropFirst(2) {
            guard let adoption = WriteStateStore.decodeAdoption(line) else { return nil }
            adoptions.append(adoption)
        }
        self.adoptions = adoptions
        dataStart = position
    }

    /// The first line start at or after `position` (the end of the file when there is none).
    private func lineStart(atOrAfter position: Int) -> Int {
        if position <= dataStart { return dataStart }
        guard position - 1 < bytes.count else { return bytes.count }
        return bytes.withUnsafeBufferPointer { buffer in
            guard let base = buffer.baseAddress, let found = memchr(base + position - 1, 0x0A, buffer.count - position + 1)
            else { return buffer.count }
            return base.distance(to: found.assumingMemoryBound(to: UInt8.self)) + 1
        }
    }

    /// The stream name of the line starting at `start`.
    private func name(at start: Int) -> ArraySlice<UInt8> {
        var end = start
        while end < bytes.count && bytes[end] != 0x09 && bytes[end] != 0x0A { end += 1 }
        return bytes[start..<end]
    }

    private func record(_ stream: String) -> WriteStateStore.StreamRecord? {
        let key = Array(stream.utf8)
        // The first line whose name is not before `key`: `low` and `high` are line starts, the answer between.
        var low = dataStart
        var high = bytes.count
        while low < high {
            var middle = lineStart(atOrAfter: (low + high) / 2)
            if middle >= high { middle = low }
            if name(at: middle).lexicographicallyPrecedes(key) {
                low = lineStart(atOrAfter: middle + 1)
            } else {
                high = middle
            }
        }
        guard low < bytes.count, name(at: low).elementsEqual(key) else { return nil }
        let lineEnd = lineStart(atOrAfter: low + 1)
        let line = bytes[low..<(lineEnd > low && bytes[lineEnd - 1] == 0x0A ? lineEnd - 1 : lineEnd)]
        return WriteStateStore.decodeStream(Substring(String(decoding: line, as: UTF8.self)))
    }

    func family(_ ref: String) -> WriteState.Family? { record("family:" + ref)?.family }
    func worker(_ id: String) -> WriteState.Worker? { record("worker:" + id)?.worker }
    func count(_ stream: String) -> Int? { record(stream)?.count }

    /// Every stream in the base (for compaction).
    func allStreams() -> [String] {
        var streams: [String] = []
        var start = dataStart
        while start < bytes.count {
            streams.append(String(decoding: name(at: start), as: UTF8.self))
            start = lineStart(atOrAfter: start + 1)
        }
        return streams
    }
}

#if canImport(Glibc)
    import Glibc
#endif
