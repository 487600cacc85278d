#if canImport(Glibc)
    import Glibc
#endif
import Dispatch

/// Whole lines of a file, handed to a parse function on another thread.
public struct LineSlice: Sendable {
    /// The chunk the lines were read into (results may keep it, to refer to the lines later).
    public let chunk: LogChunk
    /// Where the lines are in the chunk: whole lines, each ending with its newline.
    public let range: Range<Int>
    /// The file offset of the chunk's first byte.
    public let chunkOffset: Int

    /// Calls `body` with each line (newline excluded), where it starts in the chunk, its index in the slice, and
    /// whether it is over `maxLine` bytes (then it is passed cut to `maxLine`, as `LogReader` does). Returns the
    /// number of lines.
    @discardableResult
    public func forEachLine(
        maxLine: Int = LineFormat.maxLineBytes + 1,
        _ body: (_ line: UnsafeBufferPointer<UInt8>, _ start: Int, _ index: Int, _ tooLong: Bool) -> Void
    ) -> Int {
        let base = chunk.base
        var start = range.lowerBound
        var index = 0
        while start < range.upperBound, let found = memchr(base + start, 0x0A, range.upperBound - start) {
            let newline = base.distance(to: found.assumingMemoryBound(to: UInt8.self))
            let length = newline - start
            body(UnsafeBufferPointer(start: base + start, count: min(length, maxLine)), start, index, length > maxLine)
            index += 1
            start = newline + 1
        }
        return index
    }
}

/// What `ParallelLineReader` hands to its consumer, in file order.
public enum ReadPiece<Parsed> {
    /// The parse result of one slice of whole lines.
    case parsed(Parsed)
    /// A line that is over the size limit (cut) or has no newline after it (the torn tail of a crash), valid
    /// during the call.
    case line(UnsafeBufferPointer<UInt8>, offset: Int, info: LineInfo)
}

/// Reads a file in large chunks and parses the lines on every core at once, in order where it matters.
///
/// Each chunk's whole lines are split into one slice per thread; `parse` runs on the slices concurrently (it
/// must not touch shared state: it gets the lines and returns a value), and `consume` receives the results on the
/// calling thread in file order, while the workers already parse the next chunk. Results may keep their chunk to
/// refer to its bytes; a chunk is filled again only once nothing else holds it, so memory stays bounded by a few
/// chunks and one chunk's results, however long the file, as long as the consumer does not keep them.
public struct ParallelLineReader: Sendable {
    public let path: String
    /// Bytes read at a time (at least one line of the maximum size).
    public let chunkSize: Int
    /// Threads parsing at once.
    public let threads: Int

    /// Threads to parse with: `LEDGER_THREADS` when set (to leave cores to other work), else the processors online.
    public static let processors: Int = {
        if let text = getenv("LEDGER_THREADS"), let count = Int(String(cString: text)), count >= 1 { return min(count, 64) }
        return max(1, sysconf(Int32(_SC_NPROCESSORS_ONLN)))
    }()

    /// A reader of the file at `path`.
    public init(path: String, chunkSize: Int = 8 << 20, threads: Int = processors) {
        self.path = path
        self.chunkSize = chunkSize
        self.threads = max(1, threads)
    }

    /// Reads the file from `offset` up to `end` (default: the end of the file).
    public func read<Parsed: Sendable>(
        from offset: Int = 0, to end: Int? = nil, maxLine: Int = LineFormat.maxLineBytes + 1,
        parse: @escaping @Sendable (LineSlice) -> Parsed,
        consume: (ReadPiece<Parsed>) throws -> Void
    ) throws {
        let descriptor = try Syscalls.open(path, O_RDONLY | O_NOFOLLOW)
        defer { Syscalls.close(descriptor) }
        let limit = try end ?? Syscalls.fileSize(descriptor, path: path)
        let capacity = max(chunkSize, maxLine + 1)
        var pool: [LogChunk] = []
        /// A chunk nothing else holds (results of earlier chunks may still hold theirs).
        func freeChunk() -> LogChunk {
            for index in pool.indices where isKnownUniquelyReferenced(&pool[index]) { return pool[index] }
            let chunk = LogChunk(capacity: capacity)
            if pool.count < 4 { pool.append(chunk) }
            return chunk
        }

        let group = DispatchGroup()
        let results = ResultSlots<Parsed>(count: threads)
        var waiting: [Parsed] = []  // the previous chunk's results, not yet consumed
        var current = freeChunk()
        var fileOffset = offset
        var filled = 0
        var chunkOffset = offset  // file offset of the current chunk's first byte
        var skipping = false  // inside an over-long line already reported

        func consumeWaiting() throws {
            for parsed in waiting { try consume(.parsed(parsed)) }
            waiting.removeAll(keepingCapacity: true)
        }

        while fileOffset < limit {
            let base = current.mutableBase
            let want = min(capacity - filled, limit - fileOffset)
            let got = try Syscalls.read(
                descriptor, into: UnsafeMutableRawBufferPointer(start: base + filled, count: want), path: path)
            if got == 0 { break }
            fileOffset += got
            filled += got
            current.count = filled
            var start = 0
            if skipping {
                // Still inside an over-long line: drop bytes up to its newline.
                guard let found = memchr(base, 0x0A, filled) else {
                    chunkOffset += filled
                    filled = 0
                    continue
                }
                start = base.distance(to: found.assumingMemoryBound(to: UInt8.self)) + 1
                skipping = false
            }
            let wholeEnd = lastNewline(base, from: start, to: filled).map { $0 + 1 } ?? start
            if wholeEnd > start {
                // Parse this chunk's whole lines on the workers while the previous chunk is consumed here.
                let slices = split(current, start..<wholeEnd, chunkOffset: chunkOffset)
                for (index, slice) in slices.enumerated() {
                    DispatchQueue.global(qos: .userInitiated).async(group: group) {
                        results.store(index, parse(slice))
                    }
                }
                try consumeWaiting()
                group.wait()
                waiting = results.take(slices.count)
            }
            let partial = filled - wholeEnd
            if partial > maxLine {
                // No newline within a whole buffer: report the line once, cut, then skip to its end.
                try consumeWaiting()
                try consume(.line(
                    UnsafeBufferPointer(start: base + wholeEnd, count: maxLine), offset: chunkOffset + wholeEnd,
                    info: LineInfo(complete: true, tooLong: true, length: partial)))
                skipping = true
                chunkOffset += filled
                filled = 0
                continue
            }
            // The partial last line moves to the front of a chunk nothing else holds.
            let next = freeChunk()
            if partial > 0 {
                if next === current {
                    memmove(base, base + wholeEnd, partial)
                } else {
                    next.mutableBase.update(from: base + wholeEnd, count: partial)
                }
            }
            current = next
            chunkOffset += wholeEnd
            filled = partial
            current.count = filled
        }
        try consumeWaiting()
        if filled > 0 && !skipping {
            try consume(.line(
                UnsafeBufferPointer(start: current.base, count: filled), offset: chunkOffset,
                info: LineInfo(complete: false, tooLong: false, length: filled)))
        }
    }

    /// Splits whole lines into about `threads` slices, each ending at a newline.
    private func split(_ chunk: LogChunk, _ range: Range<Int>, chunkOffset: Int) -> [LineSlice] {
        let base = chunk.base
        var slices: [LineSlice] = []
        var start = range.lowerBound
        let share = max(1, range.count / threads)
        while start < range.upperBound {
            var end = range.upperBound
            if slices.count < threads - 1, start + share < range.upperBound,
                let found = memchr(base + start + share, 0x0A, range.upperBound - start - share)
            {
                end = base.distance(to: found.assumingMemoryBound(to: UInt8.self)) + 1
            }
            slices.append(LineSlice(chunk: chunk, range: start..<end, chunkOffset: chunkOffset))
            start = end
        }
        return slices
    }

    /// The last newline in `start..<end` (usually within a line of the end, so a backwards loop).
    private func lastNewline(_ base: UnsafeMutablePointer<UInt8>, from start: Int, to end: Int) -> Int? {
        var index = end - 1
        while index >= start {
            if base[index] == 0x0A { return index }
            index -= 1
        }
        return nil
    }
}

/// One result slot per worker; each is written by one thread and read after the group is waited for. Raw
/// storage, so that concurrent writes to different slots never touch shared bookkeeping.
private final class ResultSlots<Parsed>: @unchecked Sendable {
    private let slots: UnsafeMutablePointer<Parsed?>
    private let count: Int

    init(count: Int) {
        self.count = count
        slots = .allocate(capacity: count)
        slots.initialize(repeating: nil, count: count)
    }

    deinit {
        slots.deinitialize(count: count)
        slots.deallocate()
    }

    func store(_ index: Int, _ value: Parsed) { slots[index] = value }

    func take(_ taken: Int) -> [Parsed] {
        var values: [Parsed] = []
        for index in 0..<min(taken, count) {
            if let value = slots[index] { values.append(value) }
            slots[index] = nil
        }
        return values
    }
}
