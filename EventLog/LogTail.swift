#if canImport(Glibc)
    import Glibc
#endif

/// Which stored lines a tail hands on: of some types only, of one stream only (both: either may be left open).
public struct TailFilter: Sendable {
    let types: [[UInt8]]
    let stream: [UInt8]?

    /// Lines of any of `types` (none: every type) in `stream` (nil: every stream).
    public init(types: [String] = [], stream: String? = nil) {
        self.types = types.map { Array($0.utf8) }
        self.stream = stream.map { Array($0.utf8) }
    }

    var admitsEverything: Bool { types.isEmpty && stream == nil }

    /// Whether the stored line is one the filter lets through (a line the peek cannot read is decoded).
    func admits(_ line: UnsafeBufferPointer<UInt8>) -> Bool {
        if admitsEverything { return true }
        if let (_, streamRange, typeRange) = LineScanner.peek(line) {
            return admits(
                type: UnsafeBufferPointer(rebasing: line[typeRange]),
                stream: UnsafeBufferPointer(rebasing: line[streamRange]))
        }
        guard let record = try? LineFormat.decode(line) else { return false }
        let type = Array(record.content.type.utf8)
        let stream = Array(record.content.stream.utf8)
        return type.withUnsafeBufferPointer { type in
            stream.withUnsafeBufferPointer { admits(type: type, stream: $0) }
        }
    }

    private func admits(type: UnsafeBufferPointer<UInt8>, stream: UnsafeBufferPointer<UInt8>)
        -> Bool
    {
        if let wanted = self.stream, !wanted.elementsEqual(stream) { return false }
        return types.isEmpty || types.contains { $0.elementsEqual(type) }
    }
}

/// Why a tail cannot go on (besides a break in the chain, which is a `ChainBreak`).
public struct TailError: Error, Equatable, Sendable, CustomStringConvertible {
    public var message: String
    public init(message: String) { self.message = message }
    public var description: String { message }
}

/// The catch-up subscription of `ledger tail`: the stored lines after a seq, byte for byte, each checked against
/// the hash chain before it is handed on, then (with `follow`) each new line once its writer has made it durable.
///
/// **What "durable" means here.** A writer holds an exclusive `flock` on the log from before its first byte is
/// written until after its `fsync` (`LockedLedger`). The tail takes a *shared* `flock` on the same file for the
/// moment it takes to read the file's size: a shared lock waits while the exclusive one is held, so the size it
/// reads is never in the middle of a write, and every whole line up to it was `fsync`ed by a writer that has let
/// go (or was left by a writer killed before its `fsync`, whose lines the next writer keeps and builds on; the
/// tail `fdatasync`s the file while it holds the lock, so those are on disk too before they are printed). Bytes
/// after the last newline are a torn write (`ledger recover` moves them aside): never printed. A writer that holds
/// the lock across many batches (`ingest`) is waited for: its events are printed when it lets go.
///
/// **Where it starts.** `since` is found by bisecting the log on the seq each line starts with; that line's own
/// hashes are recomputed (and compared with `sinceHash` when the consumer kept it), and the chain is checked from
/// it. A log replaced by rename (another inode at the path) is reopened at the seq reached, which must hold the
/// same hash there. Anything that breaks the chain stops the tail with a `ChainBreak` naming the seq; the lines
/// before it have been handed on.
public final class LogTail {
    public let path: String
    private let filter: TailFilter
    private let emit: (UnsafeRawBufferPointer) throws -> Void
    private var descriptor: Int32 = -1
    private var identity: FileStatus?
    /// Where the next line to read starts.
    private var offset = 0
    /// The file size last made durable under the lock.
    private var synced = 0
    private var chain = HashChain()
    private var scanner = LineScanner()

    /// The seq of the last line read (and, if the filter let it through, handed on).
    public var lastSeq: Int { chain.expectedSeq - 1 }

    /// Opens the log and finds the line after `since` (0: the log's start). `emit` gets whole lines with their
    /// newline, in log order, several at once when they are consecutive.
    public init(
        path: String, since: Int = 0, sinceHash: String? = nil, filter: TailFilter = TailFilter(),
        emit: @escaping (UnsafeRawBufferPointer) throws -> Void
    ) throws {
        self.path = path
        self.filter = filter
        self.emit = emit
        try open()
        let end = try durableEnd()
        if since > 0 {
            try start(after: since, hash: sinceHash, end: end)
        }
    }

    deinit { if descriptor >= 0 { Syscalls.close(descriptor) } }

    private func open() throws {
        let (descriptor, status) = try LedgerFile.open(path, O_RDONLY)
        if self.descriptor >= 0 { Syscalls.close(self.descriptor) }
        self.descriptor = descriptor
        identity = status
        synced = 0
    }

    /// The end of the last whole line that no writer is still writing, the file made durable up to it.
    private func durableEnd() throws -> Int {
        let size: Int
        do {
            try Syscalls.flock(descriptor, LOCK_SH, path: path)
            defer { try? Syscalls.flock(descriptor, LOCK_UN, path: path) }
            size = try Syscalls.fileSize(descriptor, path: path)
            if size > synced {
                _ = try Syscalls.check("fdatasync", path) { Int(fdatasync(descriptor)) }
                synced = size
            }
        }
        if size < offset {
            throw TailError(
                message:
                    "\(path) is now shorter (\(size) bytes) than the lines already read (up to seq \(lastSeq), \(offset) bytes): lines were removed; run `ledger verify`"
            )
        }
        guard size > offset else { return offset }
        guard
            let newline = try Tail.lastNewline(
                descriptor: descriptor, before: size, path: path, within: size - offset),
            newline >= offset
        else { return offset }
        return newline + 1
    }

    /// Positions the tail after the line `seq`, checking that line's own hashes (and `hash`, if given).
    private func start(after seq: Int, hash expected: String?, end: Int) throws {
        guard let (start, line) = try locate(seq: seq, end: end) else {
            // Not found by bisecting (past the end, or a line not in the ledger's shape): read from the start,
            // checking every line and printing none, which finds the line, names where the log went wrong, or
            // shows that it ends before.
            try read(to: end, until: seq, printing: false)
            guard lastSeq == seq else {
                throw TailError(
                    message:
                        "--since \(seq) is past the end of \(path) (its last line is seq \(lastSeq))"
                )
            }
            try check(expected, seq: seq)
            return
        }
        let link = line.withUnsafeBufferPointer { ChainLink(line: $0, scanner: &scanner) }
        guard link.unreadable == nil, link.altered == nil, link.seq == seq, let digest = link.hash
        else {
            throw ChainBreak(
                seq: seq,
                problem: link.unreadable ?? link.altered ?? "the line found is seq \(link.seq)")
        }
        chain = HashChain(after: seq, hash: digest)
        offset = start + line.count + 1
        try check(expected, seq: seq)
    }

    private func check(_ expected: String?, seq: Int) throws {
        guard let expected else { return }
        guard let digest = Array(expected.utf8).withUnsafeBytes({ SHA256.Digest(hex: $0) }) else {
            throw TailError(
                message: "--since \(seq):HASH: the hash must be 64 lowercase hex digits")
        }
        if digest != chain.previousHash {
            throw ChainBreak(
                seq: seq,
                problem:
                    "its hash is not the one given with --since (the line was changed since it was read)"
            )
        }
    }

    /// The start and bytes of the line whose seq is `seq`, found by bisection; nil when it is not there or a line
    /// probed is not in the ledger's shape.
    private func locate(seq wanted: Int, end: Int) throws -> (Int, [UInt8])? {
        var low = 0
        var high = end
        while low < high {
            let middle = low + (high - low) / 2
            let newline =
                try Tail.lastNewline(
                    descriptor: descriptor, before: middle, path: path, within: nil) ?? -1
            let start = newline + 1
            guard let line = try Tail.line(descriptor: descriptor, at: start, path: path, end: end),
                let seq = line.withUnsafeBufferPointer({ LineScanner.peek($0)?.seq })
            else { return nil }
            if seq == wanted { return (start, line) }
            if seq < wanted { low = start + line.count + 1 } else { high = start }
        }
        return nil
    }

    /// Reads and hands on every durable whole line not yet read; returns how many lines were read.
    @discardableResult
    public func catchUp() throws -> Int {
        try reopenIfReplaced()
        let end = try durableEnd()
        let before = lastSeq
        if end - offset >= 8 << 20, stillNamed() {
            try readInParallel(to: end)
        } else {
            try read(to: end, until: nil, printing: true)
        }
        return lastSeq - before
    }

    /// Follows the log: catches up, then waits for the file to change (inotify, with a `poll` timeout as the
    /// fallback for a rename or a missed event) and catches up again, calling `flush` after each round. Returns
    /// only by throwing.
    public func follow(flush: () throws -> Void) throws -> Never {
        let watcher = FileWatcher(path: path)
        while true {
            try catchUp()
            try flush()
            watcher.wait(milliseconds: 250)
        }
    }

    private func stillNamed() -> Bool {
        guard let identity, let named = Syscalls.status(of: path) else { return false }
        return named.isSameFile(as: identity)
    }

    /// A log renamed over (another file at the path): continue in it from the seq reached, which it must hold
    /// with the same hash.
    private func reopenIfReplaced() throws {
        guard !stillNamed(), Syscalls.status(of: path) != nil else { return }
        let seq = lastSeq
        let hash = chain.previousHash
        try open()
        offset = 0
        let end = try durableEnd()
        chain = HashChain()
        guard seq > 0 else { return }
        try start(after: seq, hash: nil, end: end)
        if chain.previousHash != hash {
            throw ChainBreak(
                seq: seq,
                problem: "\(path) was replaced, and its line seq \(seq) is not the one already read"
            )
        }
    }

    /// Reads lines from `offset` up to `end` on this thread (stopping after the line `until`, if given).
    private func read(to end: Int, until: Int?, printing: Bool) throws {
        var buffer = [UInt8](
            repeating: 0,
            count: min(max(end - offset, 1 << 16), 4 << 20) + LineFormat.maxLineBytes + 2)
        try buffer.withUnsafeMutableBytes { raw in
            guard let base = raw.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return }
            var filled = 0
            var position = offset  // file offset of base[0]
            while position + filled < end {
                let want = min(raw.count - filled, end - position - filled)
                let got = try Syscalls.pread(
                    descriptor,
                    into: UnsafeMutableRawBufferPointer(rebasing: raw[filled..<(filled + want)]),
                    at: position + filled,
                    path: path)
                if got == 0 { break }
                filled += got
                var start = 0
                var run = 0..<0
                while start < filled, let found = memchr(base + start, 0x0A, filled - start) {
                    let newline = base.distance(to: found.assumingMemoryBound(to: UInt8.self))
                    let length = newline - start
                    let line = UnsafeBufferPointer(
                        start: base + start, count: min(length, LineFormat.maxLineBytes + 1))
                    let link = ChainLink(
                        line: line, tooLong: length > LineFormat.maxLineBytes, scanner: &scanner)
                    do { try chain.accept(link) } catch {
                        try flushRun(base, run)
                        throw error
                    }
                    if printing && filter.admits(line) {
                        if run.upperBound != start {
                            try flushRun(base, run)
                            run = start..<start
                        }
                        run = run.lowerBound..<(newline + 1)
                    }
                    start = newline + 1
                    offset = position + start
                    if let until, link.seq >= until {
                        try flushRun(base, run)
                        return
                    }
                }
                try flushRun(base, run)
                if start == 0 && filled == raw.count {
                    throw ChainBreak(seq: chain.expectedSeq, problem: "line longer than 1 MiB")
                }
                if start > 0 {
                    memmove(base, base + start, filled - start)
                    filled -= start
                    position += start
                }
            }
        }
    }

    private func flushRun(_ base: UnsafeMutablePointer<UInt8>, _ run: Range<Int>) throws {
        guard !run.isEmpty else { return }
        try emit(UnsafeRawBufferPointer(start: base + run.lowerBound, count: run.count))
    }

    /// The lines of one slice as the parse threads see them: linked among themselves (`ChainRun`), where each
    /// ends in the chunk, and the runs of consecutive lines the filter lets through (as line indices).
    private struct ParsedSlice: Sendable {
        var chunk: LogChunk
        var chunkOffset: Int
        var start: Int
        var run = ChainRun()
        var ends: [Int32] = []
        var admitted: [Range<Int>] = []
    }

    /// Reads a long stretch on every core: the hashes recomputed and the lines linked among themselves on the
    /// parse threads; here each slice's run of lines is joined to the chain, in log order, and its lines handed on
    /// (up to a break, if there is one).
    private func readInParallel(to end: Int) throws {
        let filter = self.filter
        try ParallelLineReader(path: path).read(from: offset, to: end) { slice -> ParsedSlice in
            // Linked two lines at a time (their hashes side by side).
            var linker = ChainLinker()
            var parsed = ParsedSlice(
                chunk: slice.chunk, chunkOffset: slice.chunkOffset, start: slice.range.lowerBound)
            parsed.ends.reserveCapacity(slice.range.count / 400)
            slice.forEachLine { line, start, index, tooLong in
                let length = tooLong ? LineFormat.maxLineBytes + 1 : line.count
                parsed.ends.append(Int32(start + length + 1))
                if filter.admits(line) {
                    if let last = parsed.admitted.last, last.upperBound == index {
                        parsed.admitted[parsed.admitted.count - 1] = last.lowerBound..<(index + 1)
                    } else {
                        parsed.admitted.append(index..<(index + 1))
                    }
                }
                linker.add(line, tooLong: tooLong, tag: index) { link, _ in parsed.run.add(link) }
            }
            linker.finish { link, _ in parsed.run.add(link) }
            return parsed
        } consume: { piece in
            switch piece {
            case .parsed(let slice):
                // How many of the slice's lines continue the chain: all, or those before the break.
                var passed = slice.ends.count
                var thrown: ChainBreak?
                let firstSeq = chain.expectedSeq
                do throws(ChainBreak) { try chain.join(slice.run) } catch {
                    passed = max(0, min(passed, error.seq - firstSeq))
                    thrown = error
                }
                let base = UnsafeMutablePointer(mutating: slice.chunk.base)
                func start(of line: Int) -> Int {
                    line == 0 ? slice.start : Int(slice.ends[line - 1])
                }
                for lines in slice.admitted where lines.lowerBound < passed {
                    let last = min(lines.upperBound, passed)
                    try flushRun(base, start(of: lines.lowerBound)..<start(of: last))
                }
                offset = slice.chunkOffset + start(of: passed)
                if let thrown { throw thrown }
            case .line(let line, _, let info):
                // Over the size limit (the read ends at a newline, so never torn): the chain breaks here.
                try chain.accept(ChainLink(line: line, tooLong: info.tooLong, scanner: &scanner))
            }
        }
    }
}

/// Waits for a file to change: inotify where the system has it, else a plain sleep.
final class FileWatcher {
    private let descriptor: Int32

    init(path: String) {
        let descriptor = inotify_init1(Int32(IN_CLOEXEC | IN_NONBLOCK))
        if descriptor >= 0 {
            let mask = UInt32(
                IN_MODIFY | IN_ATTRIB | IN_MOVE_SELF | IN_DELETE_SELF | IN_CLOSE_WRITE)
            if inotify_add_watch(descriptor, path, mask) < 0 {
                Syscalls.close(descriptor)
                self.descriptor = -1
                return
            }
        }
        self.descriptor = descriptor
    }

    deinit { if descriptor >= 0 { Syscalls.close(descriptor) } }

    /// Returns once the file changed, or after `milliseconds`.
    func wait(milliseconds: Int32) {
        guard descriptor >= 0 else {
            usleep(UInt32(milliseconds) * 1000)
            return
        }
        var request = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
        _ = poll(&request, 1, milliseconds)
        var drain = [UInt8](repeating: 0, count: 4096)
        while drain.withUnsafeMutableBytes({ Glibc.read(descriptor, $0.baseAddress, $0.count) }) > 0
        {}
    }
}
