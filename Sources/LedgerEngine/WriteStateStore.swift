import EventLog
import LedgerCore

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
    /// The delta's size past which a save writes a new base instead. Task-local, so that a test can make it small
    /// (or huge) for its own appends without changing it under another test running beside it.
    @TaskLocal static var compactionBytes = 256 * 1024

    static func basePath(for log: String) -> String { log + ".state" }
    static func deltaPath(for log: String) -> String { log + ".state-delta" }

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
        if let delta = FileOutput.read(deltaPath(for: ledger.path)),
            let blocks = WriteStateCoding.DeltaBlocks(delta)
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

    // MARK: Saving

    /// Records the changes since loading: a delta block, or a new base when there is no base or the delta is big.
    static func save(_ state: WriteState, head: LogHead, for log: String) throws {
        let deltaPath = deltaPath(for: log)
        let deltaSize = FileOutput.size(deltaPath) ?? 0
        if state.base == nil || deltaSize > compactionBytes || state.adoptionsAmended {
            try writeBase(state, head: head, for: log)
            return
        }
        var block = ""
        for adoption in state.adoptions.suffix(state.newAdoptions) {
            block += WriteStateCoding.encodeAdoption(adoption)
        }
        for stream in state.dirtyStreams.sorted() {
            block += WriteStateCoding.encodeStream(stream, state: state)
        }
        let stamp = "H\t\(head.seq)\t\(head.size)\t\(head.hash)"
        block += "\(stamp)\t\(WriteStateCoding.check(Array((block + stamp).utf8)))\n"
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
        var out = "\(WriteStateCoding.magic)\nH\t\(head.seq)\t\(head.size)\t\(head.hash)\n"
        for adoption in state.adoptions {
            out += WriteStateCoding.encodeAdoption(adoption)
        }
        out += "--\n"
        for stream in streams.sorted(by: { $0.utf8.lexicographicallyPrecedes($1.utf8) }) {
            out += WriteStateCoding.encodeStream(stream, state: state)
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
