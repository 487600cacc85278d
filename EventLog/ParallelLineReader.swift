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
        _ body: (_ line: UnsafeBufferPointer<UInt8>, _ start: Int, _ index: Int, _ tooLong: Bool) ->
            Void
    ) -> Int {
        let base = chunk.base
        var start = range.lowerBound
        var index = 0
        while start < range.upperBound,
            let found = memchr(base + start, 0x0A, range.upperBound - start)
        {
            let newline = base.distance(to: found.assumingMemoryBound(to: UInt8.self))
            let length = newline - start
            body(
                UnsafeBufferPointer(start: base + start, count: min(length, maxLine)), start, index,
                length > maxLine)
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

/// Reads a file on every core at once and hands the parsed lines over in file order.
///
/// The file is cut into ranges of `chunkSize` bytes. Each task reads its range (with `pread`) and the rest of the
/// line that crosses its end, and parses exactly the lines that start in its range: `parse` gets them as a
/// `LineSlice` (it must not touch shared state: it gets the lines and returns a value). `consume` receives the
/// results on the calling thread in file order; at most a few tasks run ahead of it, so memory stays bounded by a
/// few chunks and their results, however long the file, as long as the consumer does not keep them. Results may
/// keep their chunk to refer to its bytes: a chunk is filled again only once nothing else holds it.
public struct ParallelLineReader: Sendable {
    public let path: String
    /// Bytes per task.
    public let chunkSize: Int
    /// Threads reading and parsing at once.
    public let threads: Int

    /// Threads to parse with: `LEDGER_THREADS` when set (to leave cores to other work), else the processors online.
    public static let processors: Int = {
        if let text = getenv("LEDGER_THREADS"), let count = Int(String(cString: text)), count >= 1 {
            return min(count, 64)
        }
        return max(1, sysconf(Int32(_SC_NPROCESSORS_ONLN)))
    }()

    /// Bytes per task when a reader is made without saying: 2 MiB, the fastest here. A command that holds much
    /// else at once (the full rebuild) sets 1 MiB, before it reads anything: fewer bytes are in flight, for a
    /// little more time.
    nonisolated(unsafe) public static var defaultChunkSize = 2 << 20

    /// A reader of the file at `path`.
    public init(path: String, chunkSize: Int = defaultChunkSize, threads: Int = processors) {
        self.path = path
        self.chunkSize = max(1, chunkSize)
        self.threads = max(1, threads)
    }

    /// Reads the file from `offset` (the start of a line) up to `end` (default: the end of the file).
    public func read<Parsed: Sendable>(
        from offset: Int = 0, to end: Int? = nil, maxLine: Int = LineFormat.maxLineBytes + 1,
        parse: @escaping @Sendable (LineSlice) -> Parsed,
        consume: (ReadPiece<Parsed>) throws -> Void
    ) throws {
        let (descriptor, status) = try LedgerFile.open(path, O_RDONLY)
        defer { Syscalls.close(descriptor) }
        let limit = end ?? status.size
        guard limit > offset else { return }
        let taskCount = (limit - offset + chunkSize - 1) / chunkSize
        let plan = TaskPlan(
            descriptor: descriptor, path: path, start: offset, limit: limit, size: chunkSize,
            maxLine: maxLine)
        let board = TaskBoard<Parsed>()
        let running = DispatchGroup()
        // However the consumer ends, no task may still be reading when the descriptor is closed.
        defer {
            board.cancel()
            running.wait()
        }
        var started = 0
        func start() {
            guard started < taskCount else { return }
            let index = started
            started += 1
            DispatchQueue.global(qos: .userInitiated).async(group: running) {
                guard !board.isCancelled else { return board.finish(index, .done(nil, nil)) }
                let outcome: TaskOutcome<Parsed>
                do {
                    let read = try plan.read(index, chunk: board.freeChunk(capacity: plan.capacity))
                    outcome = .done(read.lines.isEmpty ? nil : parse(read.slice), read.special)
                } catch {
                    outcome = .failed(error)
                }
                board.finish(index, outcome)
            }
        }
        // A few tasks run ahead of the consumer: enough to keep every core busy, few enough to bound memory.
        for _ in 0..<(2 * threads) { start() }
        for index in 0..<taskCount {
            let outcome = board.take(index)
            start()
            switch outcome {
            case .done(let parsed, let special):
                if let parsed { try consume(.parsed(parsed)) }
                if let special {
                    try consume(
                        .line(
                            special.chunk.bytes(special.range), offset: special.offset,
                            info: special.info))
                }
            case .failed(let error):
                throw error
            }
        }
    }
}

/// A task's lines as read: the whole lines that start in its range, and a last line to report on its own.
struct TaskRead {
    let slice: LineSlice
    var lines: Range<Int> { slice.range }
    let special: SpecialLine?
}

/// A line handed to the consumer as it is: cut (over the size limit) or torn (no newline at the end of the file).
struct SpecialLine: Sendable {
    let chunk: LogChunk
    let range: Range<Int>
    let offset: Int
    let info: LineInfo
}

enum TaskOutcome<Parsed: Sendable>: Sendable {
    case done(Parsed?, SpecialLine?)
    case failed(any Error)
}

/// How the file is cut into tasks, and how one task reads its lines.
struct TaskPlan: Sendable {
    let descriptor: Int32
    let path: String
    let start: Int
    let limit: Int
    let size: Int
    let maxLine: Int
    /// Bytes read past the end of the range to finish the line that crosses it, before reading more.
    static let margin = 64 << 10

    var capacity: Int { size + 1 + Self.margin }

    /// Reads the lines that start in task `index`'s range into `chunk` (a bigger one if a line needs it).
    func read(_ index: Int, chunk given: LogChunk) throws -> TaskRead {
        let rangeStart = start + index * size
        let rangeEnd = min(limit, rangeStart + size)
        // One byte before the range tells whether a line starts exactly at its start.
        let readFrom = index == 0 ? rangeStart : rangeStart - 1
        var chunk = given
        var filled = try fill(
            chunk, at: 0, from: readFrom, upTo: min(limit, rangeEnd + Self.margin))
        let base = { chunk.base }
        var first = 0
        if index > 0 {
            // Skip the end of the line that started before the range.
            guard let newline = memchr(base(), 0x0A, min(filled, rangeEnd - readFrom)) else {
                return TaskRead(
                    slice: LineSlice(chunk: chunk, range: 0..<0, chunkOffset: readFrom),
                    special: nil)
            }
            first = base().distance(to: newline.assumingMemoryBound(to: UInt8.self)) + 1
        }
        var cursor = first
        // Straight to the start of the last line that starts in the range, searching back from its end: the lines
        // before it are the parse's to find, and a forward search here would read every byte twice.
        var back = min(rangeEnd - readFrom, filled) - 1
        while back > cursor {
            back -= 1
            if base()[back] == 0x0A {
                cursor = back + 1
                break
            }
        }
        var special: SpecialLine?
        while readFrom + cursor < rangeEnd {
            if let newline = memchr(base() + cursor, 0x0A, filled - cursor) {
                cursor = base().distance(to: newline.assumingMemoryBound(to: UInt8.self)) + 1
                continue
            }
            // The line crosses what was read: read more of it, up to the size limit.
            let lineLength = filled - cursor
            if readFrom + filled == limit {
                special = SpecialLine(
                    chunk: chunk, range: cursor..<filled, offset: readFrom + cursor,
                    info: LineInfo(complete: false, tooLong: false, length: lineLength))
                break
            }
            if lineLength > maxLine {
                // Over the limit: reported once, cut; its end (and what follows) belongs to later tasks.
                let length = try lengthOfLine(from: readFrom + cursor)
                special = SpecialLine(
                    chunk: chunk, range: cursor..<(cursor + maxLine), offset: readFrom + cursor,
                    info: LineInfo(complete: length.complete, tooLong: true, length: length.bytes))
                break
            }
            if filled + Self.margin > chunk.capacity {
                let bigger = LogChunk(capacity: filled + max(Self.margin, maxLine + 1))
                bigger.mutableBase.update(from: chunk.base, count: filled)
                bigger.count = filled
                chunk = bigger
            }
            let more = try fill(
                chunk, at: filled, from: readFrom + filled,
                upTo: min(limit, readFrom + filled + Self.margin))
            filled = more
        }
        return TaskRead(
            slice: LineSlice(chunk: chunk, range: first..<cursor, chunkOffset: readFrom),
            special: special)
    }

    /// Reads file bytes `from..<upTo` into `chunk` at `at`; returns the chunk's filled count.
    private func fill(_ chunk: LogChunk, at: Int, from: Int, upTo: Int) throws -> Int {
        let want = max(0, min(upTo - from, chunk.capacity - at))
        let got = try Syscalls.pread(
            descriptor,
            into: UnsafeMutableRawBufferPointer(start: chunk.mutableBase + at, count: want),
            at: from,
            path: path)
        chunk.count = at + got
        return at + got
    }

    /// How long the line starting at `offset` is, reading forward in pieces (for an over-long line's report).
    private func lengthOfLine(from offset: Int) throws -> (bytes: Int, complete: Bool) {
        var piece = [UInt8](repeating: 0, count: 1 << 16)
        var position = offset
        while position < limit {
            let got = try piece.withUnsafeMutableBytes { raw in
                try Syscalls.pread(
                    descriptor,
                    into: UnsafeMutableRawBufferPointer(
                        rebasing: raw[0..<min(raw.count, limit - position)]),
                    at: position, path: path)
            }
            if got == 0 { break }
            if let index = piece[0..<got].firstIndex(of: 0x0A) {
                return (position + index - offset, true)
            }
            position += got
        }
        return (position - offset, false)
    }
}

/// What the tasks and the consumer share: the finished results, in order, and chunks to reuse.
final class TaskBoard<Parsed: Sendable>: @unchecked Sendable {
    private var mutex = pthread_mutex_t()
    private var ready = pthread_cond_t()
    private var cancelled = false
    private var results: [Int: TaskOutcome<Parsed>] = [:]
    private var pool: [LogChunk] = []

    init() {
        pthread_mutex_init(&mutex, nil)
        pthread_cond_init(&ready, nil)
    }

    deinit {
        pthread_cond_destroy(&ready)
        pthread_mutex_destroy(&mutex)
    }

    private func locked<T>(_ body: () -> T) -> T {
        pthread_mutex_lock(&mutex)
        defer { pthread_mutex_unlock(&mutex) }
        return body()
    }

    /// Whether the consumer has stopped (tasks not yet started then do nothing).
    var isCancelled: Bool { locked { cancelled } }

    /// A chunk nothing else holds, or a new one.
    func freeChunk(capacity: Int) -> LogChunk {
        locked {
            for index in pool.indices
            where pool[index].capacity >= capacity && isKnownUniquelyReferenced(&pool[index]) {
                return pool[index]
            }
            let chunk = LogChunk(capacity: capacity)
            if pool.count < 16 { pool.append(chunk) }
            return chunk
        }
    }

    func finish(_ index: Int, _ outcome: TaskOutcome<Parsed>) {
        locked {
            results[index] = outcome
            pthread_cond_broadcast(&ready)
        }
    }

    /// Waits for task `index` and takes its result.
    func take(_ index: Int) -> TaskOutcome<Parsed> {
        pthread_mutex_lock(&mutex)
        while results[index] == nil { pthread_cond_wait(&ready, &mutex) }
        let outcome = results.removeValue(forKey: index)
        pthread_mutex_unlock(&mutex)
        return outcome ?? .done(nil, nil)
    }

    /// Stops the tasks not yet started.
    func cancel() { locked { cancelled = true } }
}
