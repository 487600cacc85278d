#if canImport(Glibc)
    import Glibc
#endif
import EventLog
import LedgerCore
import LedgerEngine
import Projections

/// Checkpoints of the projections' folds, kept beside the log (`<log>.fold-<scope>`), so that a query after a few
/// appends folds only the new events.
///
/// A checkpoint is derived and disposable. Its first line names its format, its scope, the line of the log it
/// covers up to (seq, byte size, hash), what it covers in time (the latest event date and recording time), the
/// fingerprint of the fold's meaning in the build that wrote it (`LedgerFold.meaning`), the lengths of what
/// follows (the fold snapshot, the caseload entries) and a checksum of the whole file: the SHA-256 of the header
/// up to the checksum followed by the hex SHA-256 of the rest, so no byte of it, header included, can change
/// unseen. It is used only when all of these hold: the checksum matches; the fingerprint is this build's; the
/// line of the log ending at its byte size has its seq and, recomputed from the line's bytes, its hash (the
/// events after it are then checked from that hash on, as every read checks the chain); the query's window lets
/// in everything it covers; and no correction or void after it that counts in the window (recorded by its
/// `--known-at`, whatever its own date: a correction applies at its target's date) amends an event before it (that
/// would change the past it holds: the fold is not invertible, an obligation met or a status reached cannot be
/// taken back, so such a correction forces a fold from scratch rather than an incremental one). Otherwise it is ignored, never an error (`LEDGER_TRACE` says why): the query folds the log
/// from scratch and keeps the result as the new checkpoint when the window left nothing out. A checkpoint is
/// rewritten once the log has grown past it by `refreshBytes`. Files are owner-only; a checkpoint that cannot be
/// written (a read-only directory) is simply not kept.
package enum FoldCheckpoint {
    /// What a projection folds: which event types, with or without obligations.
    package struct Scope: Sendable {
        package let name: String
        let compliance: Bool
        let types: EventTypeSet?
    }

    package static let caseload = Scope(
        name: "caseload", compliance: false, types: LedgerFold.caseloadTypes)
    package static let families = Scope(
        name: "families", compliance: false, types: LedgerFold.familyTypes)
    package static let everything = Scope(name: "all", compliance: true, types: nil)

    static let format = "ledger-fold-checkpoint 3"
    nonisolated(unsafe) static var refreshBytes = 16 << 20
    /// A tail under this many bytes is folded on one thread (cutting the restored fold into shards would cost more).
    static let smallTail = 8 << 20

    static func path(for log: String, _ scope: Scope) -> String { "\(log).fold-\(scope.name)" }

    /// Where a checkpoint's fate is told: the command sets it, with `LEDGER_TRACE` set, to write on standard
    /// error (for people wondering why a query was slow, and for the tests). Nil: nobody is told.
    nonisolated(unsafe) package static var tracer: ((String) -> Void)?

    static func trace(_ scope: Scope, _ message: @autoclosure () -> String) {
        if let tracer { tracer("checkpoint \(scope.name): \(message())") }
    }

    /// The fold of `log` for `scope` in `window`, and for the caseload scope each open family's entry: from the
    /// checkpoint and the events after it when it can be used, else from scratch. `fromScratch` ignores
    /// checkpoints and keeps none.
    package static func fold(
        log: String, window: EventWindow, scope: Scope, fromScratch: Bool,
        progress: ((Int) -> Void)? = nil
    ) throws -> (fold: LedgerFold, caseload: [CaseloadEntry]?) {
        let result = try foldCovering(
            log: log, window: window, scope: scope, fromScratch: fromScratch, progress: progress)
        return (result.fold, result.caseload)
    }

    /// `fold`, and whether the window left out any event of the log up to `head` (read at the start when nil):
    /// when it left out none, the fold is the fold of everything, whatever the window.
    package static func foldCovering(
        log: String, window: EventWindow, scope: Scope, fromScratch: Bool,
        head given: LogHead? = nil,
        progress: ((Int) -> Void)? = nil
    ) throws -> (fold: LedgerFold, caseload: [CaseloadEntry]?, leftOut: Bool) {
        let head = try given ?? LedgerFile(path: log).readHead().head
        if fromScratch {
            trace(scope, "not used (--from-scratch)")
        } else if let saved = load(log: log, scope: scope, head: head, window: window),
            let result = try resume(
                saved, log: log, head: head, window: window, scope: scope, progress: progress)
        {
            return result
        }
        let (fold, coverage) = try LedgerFold.scan(
            path: log, window: window, compliance: scope.compliance, types: scope.types,
            span: LogSpan(to: head.size),
            progress: progress)
        let entries = scope.name == caseload.name ? CaseloadEntry.entries(of: fold) : nil
        if !fromScratch && !coverage.leftOut {
            save(fold, entries: entries, log: log, scope: scope, stamp: head, coverage: coverage)
            trace(scope, "kept at seq \(head.seq)")
        }
        return (fold, entries, coverage.leftOut)
    }

    /// The fold from a checkpoint and the log after it; nil when the events after it amend the past it holds.
    private static func resume(
        _ saved: Saved, log: String, head: LogHead, window: EventWindow, scope: Scope,
        progress: ((Int) -> Void)?
    ) throws -> (fold: LedgerFold, caseload: [CaseloadEntry]?, leftOut: Bool)? {
        // The chain is checked from the stamped line's recomputed hash: the events the checkpoint covers are its own.
        let tail = LogSpan(
            from: saved.stamp.size, to: head.size, firstLine: saved.stamp.seq + 1,
            previousHash: saved.stampHash)
        let amendments = try EventScanner.amendments(path: log, window: window, span: tail)
        // A correction after the checkpoint of an event before it changes the past the checkpoint holds, even as
        // of a date before the correction's own (it applies at its target's date): refold. `amendments` are those
        // recorded by the window's `--known-at`, whatever their date (`EventWindow.amendments`).
        if amendments.count > 0,
            try !amendments.targetIDs.isSubset(of: EventScanner.ids(path: log, span: tail))
        {
            trace(scope, "not used: an event after it corrects or voids one before it")
            return nil
        }
        guard let snapshot = try? FoldSnapshot(saved.snapshot) else {
            trace(scope, "not used: its snapshot cannot be read")
            return nil
        }
        let tailBytes = head.size - saved.stamp.size
        let refresh = tailBytes >= refreshBytes
        if var entries = saved.caseload, !refresh {
            // Only the families the new events touch are read back; every other family's entry stands.
            var touched = Set<String>()
            try EventScanner.scan(
                path: log, window: window, types: scope.types, span: tail, amendments: amendments
            ) { event in
                if let ref = event.familyRef { touched.insert(ref) }
            }
            guard let partial = try? snapshot.fold(families: touched) else {
                trace(scope, "not used: its snapshot cannot be read")
                return nil
            }
            let (fold, coverage) = try LedgerFold.scan(
                path: log, window: window, compliance: scope.compliance, types: scope.types,
                span: tail, starting: partial,
                amendments: amendments, shards: 1, progress: progress)
            entries.removeAll { touched.contains($0.family) }
            entries += touched.compactMap { fold.families[$0].flatMap(CaseloadEntry.init) }
            entries.sort { $0.family < $1.family }
            trace(
                scope,
                "used from seq \(saved.stamp.seq), \(touched.count) families read back, \(tailBytes) bytes after it"
            )
            return (fold, entries, coverage.leftOut || amendments.coverage.leftOut)
        }
        guard let restored = try? restore(snapshot) else {
            trace(scope, "not used: its snapshot cannot be read")
            return nil
        }
        let (fold, coverage) = try LedgerFold.scan(
            path: log, window: window, compliance: scope.compliance, types: scope.types, span: tail,
            starting: restored,
            amendments: amendments,
            shards: tailBytes < smallTail ? 1 : ParallelLineReader.processors, progress: progress)
        let entries = saved.caseload == nil ? nil : CaseloadEntry.entries(of: fold)
        trace(scope, "used from seq \(saved.stamp.seq), \(tailBytes) bytes after it")
        if refresh && !coverage.leftOut {
            var covered = saved.coverage
            covered.merge(coverage)
            save(fold, entries: entries, log: log, scope: scope, stamp: head, coverage: covered)
            trace(scope, "kept at seq \(head.seq)")
        }
        return (fold, entries, coverage.leftOut || amendments.coverage.leftOut)
    }

    /// The whole fold of `snapshot`, its families decoded on every core a block at a time and added in the order
    /// of their refs (as `FoldSnapshot.fold()` adds them): on a million events a morning's rebuild restored 41k
    /// families on one thread in 0.4-0.55 s, the longest step it took on one core.
    package static func restore(
        _ snapshot: FoldSnapshot, block: Int = restoreBlock,
        threads: Int = ParallelLineReader.processors
    ) throws -> LedgerFold {
        guard threads > 1, block > 0, snapshot.index.count >= 2 * block else {
            return try snapshot.fold()
        }
        let decoders = Decoders(snapshot.decoder(), count: threads)
        // A window of blocks at a time, never every family twice over (as decoded, then in the fold).
        return try snapshot.fold(window: block * threads) { window in
            let size = (window.count + threads - 1) / threads
            return try ParallelMap.map(threads, threads: threads) { thread in
                let range = ParallelMap.range(thread, size: size, count: window.count)
                return Result {
                    try decoders.families(
                        thread,
                        at: (window.lowerBound + range.lowerBound)..<(window.lowerBound
                            + range.upperBound))
                }
            }.map { try $0.get() }
        }
    }

    /// Families decoded by one thread at a time, in `restore`.
    package static let restoreBlock = 2048

    /// One decoder per thread, each used by one thread at a time (`ParallelMap` gives piece `t` of `threads` to
    /// thread `t`, and a window's pieces are done before the next window's start).
    private final class Decoders: @unchecked Sendable {
        private let decoders: UnsafeMutableBufferPointer<FoldSnapshot.Decoder>

        init(_ decoder: FoldSnapshot.Decoder, count: Int) {
            decoders = .allocate(capacity: count)
            decoders.initialize(repeating: decoder)
        }

        deinit {
            decoders.deinitialize()
            decoders.deallocate()
        }

        func families(_ thread: Int, at positions: Range<Int>) throws -> [(
            ref: String, state: FamilyState
        )] {
            try decoders[thread].families(at: positions)
        }
    }

    struct Saved {
        var stamp: LogHead
        /// The stamped line's hash, recomputed from its bytes.
        var stampHash: SHA256.Digest
        var coverage: Coverage
        var snapshot: [UInt8]
        var caseload: [CaseloadEntry]?
    }

    /// The checkpoint of `scope`, if there is one this query may use.
    static func load(log: String, scope: Scope, head: LogHead, window: EventWindow) -> Saved? {
        guard let bytes = FileOutput.read(path(for: log, scope)) else {
            trace(scope, "none yet")
            return nil
        }
        guard let newline = bytes.firstIndex(of: 0x0A) else {
            trace(scope, "not used: not a checkpoint")
            return nil
        }
        let fields = String(decoding: bytes[..<newline], as: UTF8.self).split(
            separator: "\t", omittingEmptySubsequences: false)
        guard fields.count == 13, fields[0] == Substring(format),
            fields[1] == Substring(scope.name),
            let seq = Int(fields[2]), let size = Int(fields[3]), fields[5] == "0",
            let snapshotLength = Int(fields[10]),
            let entriesLength = Int(fields[11]), snapshotLength >= 0, entriesLength >= 0,
            snapshotLength + entriesLength == bytes.count - newline - 1
        else {
            trace(scope, "not used: not a checkpoint of this version")
            return nil
        }
        // Cheap checks first (none of these fields is trusted until the checksum below has matched too).
        guard fields[9] == Substring(LedgerFold.meaning) else {
            trace(scope, "not used: made by a build whose fold means something else")
            return nil
        }
        let stamp = LogHead(seq: seq, hash: String(fields[4]), size: size)
        var coverage = Coverage()
        if let day = Int(fields[6]), let seconds = Int64(fields[7]),
            let nanoseconds = Int32(fields[8])
        {
            coverage.latestDate = CivilDate(dayNumber: day)
            coverage.latestRecordedAt = Timestamp(seconds: seconds, nanoseconds: nanoseconds)
        } else if fields[6...8] != ["-", "-", "-"] {
            trace(scope, "not used: not a checkpoint of this version")
            return nil
        }
        guard coverage.fits(window) else {
            trace(scope, "not used: the window leaves out events it holds")
            return nil
        }
        guard stamp.size <= head.size, let stampHash = verifiedStamp(stamp, in: log) else {
            trace(scope, "not used: the log does not hold seq \(stamp.seq) as it states")
            return nil
        }
        let payload = bytes[(newline + 1)...]
        let checksumStart = bytes[..<newline].lastIndex(of: 0x09).map { $0 + 1 } ?? newline
        guard checksum(header: bytes[..<checksumStart], payload: SHA256.hash(payload)) == fields[12]
        else {
            trace(scope, "not used: its checksum does not match")
            return nil
        }
        let snapshot = Array(payload.prefix(snapshotLength))
        var entries: [CaseloadEntry]?
        if entriesLength > 0 {
            guard let decoded = try? CaseloadEntry.decode(Array(payload.suffix(entriesLength)))
            else {
                trace(scope, "not used: its caseload entries cannot be read")
                return nil
            }
            entries = decoded
        }
        return Saved(
            stamp: stamp, stampHash: stampHash, coverage: coverage, snapshot: snapshot,
            caseload: entries)
    }

    /// The checksum of a checkpoint: the SHA-256 of its header up to the checksum field (`header`, which ends with
    /// the tab before it) followed by the hex digest of the rest of the file (`payload`, hashed as it is written).
    package static func checksum(header: some Collection<UInt8>, payload: SHA256.Digest)
        -> Substring
    {
        var hasher = SHA256()
        hasher.update(header)
        hasher.update(payload.hexBytes)
        return Substring(hasher.finalize().hex)
    }

    /// The hash of the stamped line, recomputed from its bytes, when the line of the log that ends at the stamp's
    /// size has the stamp's seq and that hash (and its data its `dataHash`); nil otherwise.
    package static func verifiedStamp(_ stamp: LogHead, in log: String) -> SHA256.Digest? {
        if stamp.seq == 0 { return stamp.size == 0 ? .zero : nil }
        guard let line = try? LedgerFile(path: log).line(endingAt: stamp.size) else { return nil }
        var scanner = LineScanner()
        let link = line.withUnsafeBufferPointer { ChainLink(line: $0, scanner: &scanner) }
        guard link.unreadable == nil, link.altered == nil, link.seq == stamp.seq,
            let hash = link.hash, hash.hex == stamp.hash
        else { return nil }
        return hash
    }

    /// Whether the log holds the line `stamp` names (its seq and hash), where it was or elsewhere: a redaction
    /// changes the length of the lines it empties (their payload out, a notice in), so the line that ended at
    /// `stamp.size` may now end elsewhere. Reads the log from the start when the line is not where the stamp says.
    package static func holdsLine(_ stamp: LogHead, in log: String) -> Bool {
        if verifiedStamp(stamp, in: log) != nil { return true }
        struct Found: Error {}
        var scanner = LineScanner()
        do {
            try LogReader(path: log).forEachLine { line, _, info in
                guard info.complete else { return }
                let link = ChainLink(line: line, scanner: &scanner)
                if link.seq == stamp.seq {
                    if link.unreadable == nil, link.hash?.hex == stamp.hash { throw Found() }
                    throw CancellationError()
                }
            }
        } catch is Found {
            return true
        } catch {
            return false
        }
        return false
    }

    /// Keeps `fold` (and the caseload entries) as the checkpoint of `scope` at `stamp`, atomically; not a failure
    /// when it cannot.
    ///
    /// The snapshot goes to the file as it is made, never held whole: the header line, whose lengths (written with
    /// leading zeros, to a fixed width) and checksum are known only at the end, is written first as a placeholder
    /// and overwritten. Made in memory and copied behind the header, the snapshot of a million events' fold (20 MB,
    /// with the strings' index beside it) made the first rebuild of such a log peak at 228 MB, 59 MB over the fold.
    static func save(
        _ fold: LedgerFold, entries: [CaseloadEntry]?, log: String, scope: Scope, stamp: LogHead,
        coverage: Coverage
    ) {
        let encoded = entries.map(CaseloadEntry.encode) ?? []
        var fixed = [
            format, scope.name, String(stamp.seq), String(stamp.size), stamp.hash,
            coverage.leftOut ? "1" : "0",
        ]
        if let date = coverage.latestDate, let recorded = coverage.latestRecordedAt {
            fixed += [
                String(date.dayNumber), String(recorded.seconds), String(recorded.nanoseconds),
            ]
        } else {
            fixed += ["-", "-", "-"]
        }
        fixed.append(LedgerFold.meaning)
        /// The header up to its checksum, which covers it (and ends with the tab before the checksum).
        func headerStart(snapshotLength: Int) -> [UInt8] {
            let lengths = [snapshotLength, encoded.count].map {
                String(repeating: "0", count: max(0, 16 - String($0).count)) + String($0)
            }
            return Array(((fixed + lengths).joined(separator: "\t") + "\t").utf8)
        }
        func header(snapshotLength: Int, payload: SHA256.Digest) -> [UInt8] {
            let start = headerStart(snapshotLength: snapshotLength)
            return start + Array(checksum(header: start, payload: payload).utf8) + [0x0A]
        }
        let target = path(for: log, scope)
        do {
            let output = try AtomicOutput(path: target, temporary: "\(target).new-\(getpid())")
            let placeholder = header(snapshotLength: 0, payload: .zero)
            try output.write(placeholder)
            var hasher = SHA256()
            var snapshotLength = 0
            var failure: (any Error)?
            let complete = fold.writeSnapshot { part in
                guard failure == nil else { return }
                hasher.update(part)
                snapshotLength += part.count
                do { try output.write(part) } catch { failure = error }
            }
            if let failure { throw failure }
            guard complete else {
                trace(scope, "not kept: its snapshot came out inconsistent")
                return
            }
            hasher.update(encoded)
            try output.write(encoded)
            let final = header(snapshotLength: snapshotLength, payload: hasher.finalize())
            guard final.count == placeholder.count else {
                trace(scope, "not kept: its header outgrew its placeholder")
                return
            }
            try output.overwrite(final, at: 0)
            try output.commit(durable: false)
        } catch {
            trace(scope, "not kept: \(error)")
        }
    }
}
