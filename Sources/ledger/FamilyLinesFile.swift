#if canImport(Glibc)
    import Glibc
#endif
import EventLog
import LedgerCore
import LedgerEngine
import LedgerQueries

/// The index of where each family's lines are (`FamilyLineIndex`), kept beside the log (`<log>.family-lines`)
/// and checked like every other derived file before use: its first line names its format, the line of the log it
/// covers up to (seq, byte size, hash), the length of what follows and a checksum of the whole file (header
/// included, as the fold checkpoints'). It is used only when the checksum matches, what follows decodes to an
/// index of exactly that line, and the log's line ending at that size has that seq and, recomputed from its bytes,
/// that hash; the lines after it are then added, and the file written again. Otherwise it is made again from the
/// log (`LEDGER_TRACE` says why), never an error. Owner-only; not kept when it cannot be written.
enum FamilyLinesFile {
    static let format = "ledger-family-lines 1"

    static func path(for log: String) -> String { log + ".family-lines" }

    static func trace(_ message: @autoclosure () -> String) {
        if Console.environment("LEDGER_TRACE") != nil {
            Console.err("family lines: \(message())")
        }
    }

    /// The index of `log` up to `head`: the one kept, extended over the lines after it, when it holds; else made
    /// from the log (`fromScratch`: always). Kept again when it changed.
    static func index(log: String, head: LogHead, fromScratch: Bool) throws -> FamilyLineIndex {
        var index = (fromScratch ? nil : load(log: log, head: head)) ?? FamilyLineIndex()
        if fromScratch { trace("not used (made again)") }
        let covered = index.seq
        guard head.size > index.size else { return index }
        try index.extend(path: log, to: head.size, seq: head.seq)
        trace(
            covered == 0 ? "made to seq \(head.seq)" : "extended from seq \(covered) to \(head.seq)"
        )
        save(index, log: log, stamp: head)
        return index
    }

    /// The index kept beside `log`, if it checks and the log still holds the line it was made to.
    static func load(log: String, head: LogHead) -> FamilyLineIndex? {
        guard let bytes = FileOutput.read(path(for: log)) else {
            trace("none yet")
            return nil
        }
        guard let payload = checked(bytes, log: log, head: head),
            let index = FamilyLineIndex(decoding: Array(bytes[payload...]))
        else { return nil }
        return index
    }

    /// Where the payload starts in the bytes of an index file, once its header, checksum and stamp are checked
    /// (the log still holds the line it was made to, no later than `head`); nil otherwise.
    private static func checked(_ bytes: [UInt8], log: String, head: LogHead) -> Int? {
        guard let newline = bytes.firstIndex(of: 0x0A) else {
            trace("not used: not an index")
            return nil
        }
        let fields = String(decoding: bytes[..<newline], as: UTF8.self).split(
            separator: "\t", omittingEmptySubsequences: false)
        guard fields.count == 6, fields[0] == Substring(format), let seq = Int(fields[1]),
            let size = Int(fields[2]), let length = Int(fields[4]),
            length == bytes.count - newline - 1
        else {
            trace("not used: not an index of this version")
            return nil
        }
        let payload = bytes[(newline + 1)...]
        let checksumStart = bytes[..<newline].lastIndex(of: 0x09).map { $0 + 1 } ?? newline
        guard
            FoldCheckpoint.checksum(header: bytes[..<checksumStart], payload: SHA256.hash(payload))
                == fields[5]
        else {
            trace("not used: its checksum does not match")
            return nil
        }
        guard let covered = FamilyLineIndex.places(in: bytes, from: newline + 1),
            covered.seq == seq, covered.size == size
        else {
            trace("not used: it cannot be read")
            return nil
        }
        let stamp = LogHead(seq: seq, hash: String(fields[3]), size: size)
        guard size <= head.size, FoldCheckpoint.verifiedStamp(stamp, in: log) != nil else {
            trace("not used: the log does not hold seq \(seq) as it states")
            return nil
        }
        return newline + 1
    }

    /// The index kept beside `log`, read where it lies (`Locator`) when it checks and covers the log to `head`; nil
    /// otherwise.
    static func locator(log: String, head: LogHead) -> Locator? {
        guard let file = try? ScatteredLineReader(path: path(for: log)),
            let bytes = try? file.bytes(at: 0, count: file.size),
            let payload = checked(bytes, log: log, head: head),
            let (size, _, places) = FamilyLineIndex.places(in: bytes, from: payload),
            size == head.size
        else { return nil }
        return Locator(
            file: file,
            places: places.mapValues {
                Locator.Place(
                    start: $0.start, length: Int32(clamping: $0.length),
                    count: Int32(clamping: $0.count), lastSeq: $0.lastSeq)
            })
    }

    /// The index kept beside a log, read where it lies: a family's coded lines are read from the file when asked
    /// for, through the descriptor of the file that was checked (a file put in its place since is not read). A
    /// rebuild holding a million events' fold then holds a table of 41k places rather than every family's lines
    /// (12 MiB).
    struct Locator: Sendable {
        struct Place: Sendable {
            var start: Int
            var length: Int32
            var count: Int32
            var lastSeq: Int
        }

        let file: ScatteredLineReader
        let places: [UInt64: Place]

        /// Every family stream's last seq, by its route (`FamilyLineIndex.lastSeqs`).
        var lastSeqs: [UInt64: Int] { places.mapValues(\.lastSeq) }

        /// A family's lines; nil when it has none, or they cannot be read.
        func lines(ofFamily ref: String) -> [FamilyLineIndex.Line]? {
            guard let place = places[FamilyLineIndex.route(ofFamily: ref)],
                let coded = try? file.bytes(at: place.start, count: Int(place.length))
            else { return nil }
            return FamilyLineIndex.lines(coded: coded, count: Int(place.count))
        }
    }

    /// Keeps `index` (made up to `stamp`) beside `log`, atomically; not a failure when it cannot.
    static func save(_ index: FamilyLineIndex, log: String, stamp: LogHead) {
        let payload = index.encoded()
        let start = Array(
            ([format, String(stamp.seq), String(stamp.size), stamp.hash, String(payload.count)]
                .joined(separator: "\t") + "\t").utf8)
        let header =
            start
            + Array(FoldCheckpoint.checksum(header: start, payload: SHA256.hash(payload)).utf8)
            + [0x0A]
        let target = path(for: log)
        do {
            let output = try AtomicOutput(path: target, temporary: "\(target).new-\(getpid())")
            try output.write(header)
            try output.write(payload)
            try output.commit(durable: false)
        } catch {
            trace("not kept: \(error)")
        }
    }
}

/// Where a rebuild finds a family's lines: the index kept beside the log, read where it lies, or one in memory (made
/// again, or not kept).
enum FamilyLines: Sendable {
    case file(FamilyLinesFile.Locator)
    case memory(FamilyLineIndex)

    /// The index of `log` to `head`: the kept one, read where it lies, when it can be; else in memory.
    static func of(log: String, head: LogHead) throws -> FamilyLines {
        if let locator = FamilyLinesFile.locator(log: log, head: head) { return .file(locator) }
        return .memory(try FamilyLinesFile.index(log: log, head: head, fromScratch: false))
    }

    func lines(ofFamily ref: String) -> [FamilyLineIndex.Line]? {
        switch self {
        case .file(let locator): locator.lines(ofFamily: ref)
        case .memory(let index): index.lines(ofFamily: ref)
        }
    }
}
