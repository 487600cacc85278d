import EventLog

/// Persists `WriteState` beside the log so an append neither replays nor loads the whole history.
///
/// Two derived files, both rebuildable from the log:
/// - `<log>.state`, the base: a header, the policy adoptions, then one line per stream sorted by stream name
///   (`<stream>\t<count>\t<kind>…`), found by binary search in place: an append parses only the streams it
///   touches. Its last line is `C\t<hex>`, the SHA-256 of every byte before it, checked when it is read.
/// - `<log>.state-delta`, appended after each append. Its first line `B\t<hex>` names the base it extends (that
///   base's checksum); then blocks, each the stream lines that changed and a stamp line
///   `H\t<seq>\t<size>\t<hash>\t<check>`, the check being the SHA-256 (first 64 bits) of the block's bytes
///   before it. A last block cut short is ignored. When the delta grows past `compactionBytes` it is merged into
///   a new base, renamed into place, and the delta is started anew for it.
///
/// Nothing here can be half-updated into a wrong answer: a crash between writing a new base and emptying the
/// delta leaves a delta that names the old base, which is then ignored (the new base's stamp covers all of it).
/// Any other damage (a flipped bit, an edited line, a block that fails its check with blocks after it) means
/// the state is rebuilt from the log. A stamp names the log position the state describes; it is checked against
/// the log before use, and the log's tail after it is replayed. Every field follows a grammar without tabs,
/// commas, semicolons or newlines (ids, refs, roles, dates), so no escaping is needed.
enum WriteStateStore {
    static let magic = "ledger-write-state 6"
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
            line +=
                "\tF\t\(family.open ? 1 : 0)\t\(family.closureApproved ? 1 : 0)\t\(family.openingReferral ?? "-")"
            line += "\t\(family.lastClosure ?? "-")\t\(family.approval ?? "-")\t\(members)"
            line += "\t\(family.holds.joined(separator: ";"))"
        case .worker?:
            if let worker = state.worker(key) {
                line += "\tW\t\(worker.role)\t\(worker.left ? 1 : 0)"
            } else {
                line += "\tO"
            }
        case .system?:
            if let system = state.system(key) {
                line += "\tS\t\(system.retired ? 1 : 0)\t\(system.purpose)"
            } else {
                line += "\tO"
            }
        case .org?:
            line += "\tG\t\(state.orgHolds.joined(separator: ";"))"
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
        var system: WriteState.System?
        /// The holds in force on `org`.
        var orgHolds: [String]?
    }

    static func decodeStream(_ line: Substring) -> StreamRecord? {
        let fields = line.split(separator: "\t", omittingEmptySubsequences: false)
        guard fields.count >= 3, let count = Int(fields[1]) else { return nil }
        var record = StreamRecord(stream: String(fields[0]), count: count)
        func optional(_ text: Substring) -> String? { text == "-" ? nil : String(text) }
        switch fields[2] {
        case "F":
            guard fields.count == 10 else { return nil }
            var family = WriteState.Family()
            family.open = fields[3] == "1"
            family.closureApproved = fields[4] == "1"
            family.openingReferral = optional(fields[5])
            family.lastClosure = optional(fields[6])
            family.approval = optional(fields[7])
            for member in fields[8].split(separator: ";") {
                let parts = member.split(separator: ",", omittingEmptySubsequences: false)
                guard parts.count == 3 else { return nil }
                family.members[String(parts[0])] = WriteState.Member(
                    role: String(parts[1]), dob: CivilDate(parts[2]))
            }
            family.holds = fields[9].split(separator: ";").map(String.init)
            record.family = family
        case "W":
            guard fields.count == 5 else { return nil }
            record.worker = WriteState.Worker(role: String(fields[3]), left: fields[4] == "1")
        case "S":
            guard fields.count == 5 else { return nil }
            record.system = WriteState.System(retired: fields[3] == "1", purpose: String(fields[4]))
        case "G":
            guard fields.count == 4 else { return nil }
            record.orgHolds = fields[3].split(separator: ";").map(String.init)
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
        guard let baseBytes = FileOutput.read(basePath(for: ledger.path)),
            let base = WriteStateBase(baseBytes)
        else {
            return nil
        }
        var state = WriteState()
        state.adoptions = base.adoptions
        state.base = base
        var head = base.head
        base.deltaNeedsReset = true
        if let delta = FileOutput.read(deltaPath(for: ledger.path)), let blocks = DeltaBlocks(delta)
        {
            if blocks.base == base.checksum {
                base.deltaNeedsReset = false
                // damaged: rebuild
                guard let applied = blocks.apply(to: &state) else { return nil }
                head = applied ?? head
            }
            // A delta naming another base was left by a crash during compaction: the base covers it.
        }
        guard head.size <= ledger.head.size else { return nil }
        if head != ledger.head && head.seq > 0 {
            guard let record = try? lineEnding(at: head.size, in: ledger), record.seq == head.seq,
                record.hash == head.hash
            else { return nil }
        } else if head.seq == 0 && head.size != 0 {
            return nil
        }
        return (state, head)
    }

    /// The first 64 bits of the SHA-256 of `bytes`, in hex: the check of a delta block.
    static func check<Bytes: Sequence>(_ bytes: Bytes) -> String where Bytes.Element == UInt8 {
        String(SHA256.hash(bytes).hex.prefix(16))
    }

    /// A delta file read: the base it extends and its blocks, each checked.
    struct DeltaBlocks {
        /// The checksum of the base the delta extends (its `B` line).
        var base: String
        private var body: ArraySlice<UInt8>

        /// Nil when the file does not start with a whole `B` line (empty, or cut short when it was begun).
        init?(_ bytes: [UInt8]) {
            guard let end = bytes.firstIndex(of: 0x0A) else { return nil }
            let first = String(decoding: bytes[..<end], as: UTF8.self)
            guard first.hasPrefix("B\t") else { return nil }
            base = String(first.dropFirst(2))
            body = bytes[(end + 1)...]
        }

        /// Applies every whole block, in order. Returns the last stamp applied (nil: no block yet), or nil in the
        /// outer optional when a block fails its check and is not the last thing in the file: damage, not a
        /// write cut short, so the caller rebuilds from the log.
        func apply(to state: inout WriteState) -> LogHead?? {
            var head: LogHead?
            var blockStart = body.startIndex
            var position = body.startIndex
            var pending: [StreamRecord] = []
            var pendingAdoptions: [WriteState.Adoption] = []
            while position < body.endIndex {
                // cut short: ignored
                guard let end = body[position...].firstIndex(of: 0x0A) else { break }
                let line = Substring(String(decoding: body[position..<end], as: UTF8.self))
                let next = end + 1
                if line.hasPrefix("H\t") {
                    let fields = line.split(separator: "\t", omittingEmptySubsequences: false)
                    guard fields.count == 5,
                        let stamp = decodeStamp(fields[0..<4].joined(separator: "\t")[...]),
                        fields[4]
                            == check(
                                body[blockStart..<position]
                                    + Array(fields[0..<4].joined(separator: "\t").utf8))
                    else { return next < body.endIndex ? .some(nil) : .some(head) }
                    for record in pending { state.restore(record) }
                    state.adoptions.append(contentsOf: pendingAdoptions)
                    pending.removeAll()
                    pendingAdoptions.removeAll()
                    head = stamp
                    blockStart = next
                } else if line.hasPrefix("P\t"), let adoption = decodeAdoption(line) {
                    pendingAdoptions.append(adoption)
                } else if let record = decodeStream(line) {
                    pending.append(record)
                } else {
                    // A line that is no line of ours: the end of a cut-short block, or damage if more follows.
                    return next < body.endIndex ? .some(nil) : .some(head)
                }
                position = next
            }
            return .some(head)
        }
    }

    static func decodeStamp(_ line: Substring) -> LogHead? {
        let fields = line.split(separator: "\t", omittingEmptySubsequences: false)
        guard fields.count == 4, let seq = Int(fields[1]), let size = Int(fields[2]) else {
            return nil
        }
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
        let stamp = "H\t\(head.seq)\t\(head.size)\t\(head.hash)"
        block += "\(stamp)\t\(check(Array((block + stamp).utf8)))\n"
        if let base = state.base, base.deltaNeedsReset {
            // The delta on disk belongs to another base (or is missing): start it anew for this one.
            try FileOutput.writeAtomically(
                Array("B\t\(base.checksum)\n\(block)".utf8), to: deltaPath)
            base.deltaNeedsReset = false
            return
        }
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
        let checksum = SHA256.hash(Array(out.utf8)).hex
        out += "C\t\(checksum)\n"
        try FileOutput.writeAtomically(Array(out.utf8), to: basePath(for: log))
        // Killed here, the old delta names the old base and is ignored: the new base covers it.
        try FileOutput.writeAtomically(Array("B\t\(checksum)\n".utf8), to: deltaPath(for: log))
    }

    private static func lineEnding(at end: Int, in ledger: LockedLedger) throws -> LedgerRecord? {
        guard let start = try ledger.lineStart(endingAt: end), let line = try ledger.line(at: start)
        else { return nil }
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
        if let system = record.system { systems[key] = system }
        if let holds = record.orgHolds { orgHoldsHeld = holds }
    }
}

/// The checkpoint's base file, searched in place: a lookup is a binary search over its bytes (the stream lines
/// are sorted by name, and no index of them is built), so an append parses only the streams it asks for.
final class WriteStateBase: @unchecked Sendable {
    let bytes: [UInt8]
    let head: LogHead
    let adoptions: [WriteState.Adoption]
    /// The SHA-256 of the file before its `C` line, in hex: checked on reading, and named by its delta.
    let checksum: String
    /// Whether the delta on disk belongs to another base (or is missing), so the next save starts it anew.
    var deltaNeedsReset = false
    /// Where the stream lines start (after the header's "--" line).
    private let dataStart: Int
    /// Where the stream lines end (the `C` line's start).
    private let dataEnd: Int

    /// Nil unless the whole file is there and passes its checksum.
    init?(_ whole: [UInt8]) {
        // The last line, `C\t<64 hex>\n`, is the checksum of everything before it.
        let trailer = 2 + 64 + 1
        guard whole.count > trailer, whole[whole.count - 1] == 0x0A,
            whole[whole.count - trailer - 1] == 0x0A,
            whole[whole.count - trailer] == UInt8(ascii: "C"),
            whole[whole.count - trailer + 1] == 0x09
        else { return nil }
        let checksum = String(
            decoding: whole[(whole.count - 65)..<(whole.count - 1)], as: UTF8.self)
        guard SHA256.hash(whole[..<(whole.count - trailer)]).hex == checksum else { return nil }
        self.checksum = checksum
        bytes = whole
        dataEnd = whole.count - trailer
        var position = 0
        var header: [Substring] = []
        // Header lines up to "--".
        var separatorFound = false
        while position < dataEnd {
            guard let end = bytes[position..<dataEnd].firstIndex(of: 0x0A) else { return nil }
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

    /// The first line start at or after `position` (the end of the stream lines when there is none).
    private func lineStart(atOrAfter position: Int) -> Int {
        if position <= dataStart { return dataStart }
        guard position - 1 < dataEnd else { return dataEnd }
        return bytes.withUnsafeBufferPointer { buffer in
            guard let base = buffer.baseAddress,
                let found = memchr(base + position - 1, 0x0A, dataEnd - position + 1)
            else { return dataEnd }
            return base.distance(to: found.assumingMemoryBound(to: UInt8.self)) + 1
        }
    }

    /// The stream name of the line starting at `start`.
    private func name(at start: Int) -> ArraySlice<UInt8> {
        var end = start
        while end < dataEnd && bytes[end] != 0x09 && bytes[end] != 0x0A { end += 1 }
        return bytes[start..<end]
    }

    private func record(_ stream: String) -> WriteStateStore.StreamRecord? {
        let key = Array(stream.utf8)
        // The first line whose name is not before `key`: `low` and `high` are line starts, the answer between.
        var low = dataStart
        var high = dataEnd
        while low < high {
            var middle = lineStart(atOrAfter: (low + high) / 2)
            if middle >= high { middle = low }
            if name(at: middle).lexicographicallyPrecedes(key) {
                low = lineStart(atOrAfter: middle + 1)
            } else {
                high = middle
            }
        }
        guard low < dataEnd, name(at: low).elementsEqual(key) else { return nil }
        let lineEnd = lineStart(atOrAfter: low + 1)
        let line = bytes[
            low..<(lineEnd > low && bytes[lineEnd - 1] == 0x0A ? lineEnd - 1 : lineEnd)]
        return WriteStateStore.decodeStream(Substring(String(decoding: line, as: UTF8.self)))
    }

    func family(_ ref: String) -> WriteState.Family? { record("family:" + ref)?.family }

    func system(_ id: String) -> WriteState.System? { record("system:" + id)?.system }
    func worker(_ id: String) -> WriteState.Worker? { record("worker:" + id)?.worker }
    func count(_ stream: String) -> Int? { record(stream)?.count }
    func orgHolds() -> [String]? { record("org")?.orgHolds }

    /// Every stream in the base (for compaction).
    func allStreams() -> [String] {
        var streams: [String] = []
        var start = dataStart
        while start < dataEnd {
            streams.append(String(decoding: name(at: start), as: UTF8.self))
            start = lineStart(atOrAfter: start + 1)
        }
        return streams
    }
}

#if canImport(Glibc)
    import Glibc
#endif
