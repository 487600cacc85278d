#if canImport(Glibc)
    import Glibc
#endif
import Dispatch

/// The last whole line of a log: where the next append continues from.
public struct LogHead: Sendable, Equatable {
    /// The last line's `seq` (0 for an empty log).
    public var seq: Int
    /// The last line's `hash` (64 zeros for an empty log).
    public var hash: String
    /// The file's length up to and including the last whole line's newline.
    public var size: Int

    /// A head at `seq` with `hash`, the log being `size` bytes long up to it.
    public init(seq: Int, hash: String, size: Int) {
        self.seq = seq
        self.hash = hash
        self.size = size
    }

    /// The head of an empty log.
    public static let empty = LogHead(seq: 0, hash: LineFormat.genesisHash, size: 0)
}

/// What `recover` did.
public struct RecoveryReport: Sendable, Equatable {
    /// Bytes moved out of the log (0 when there was nothing to do).
    public var movedBytes: Int
    /// The side file that now holds them.
    public var sideFile: String?
    /// The head after recovery.
    public var head: LogHead
}

/// A log file on disk. Every write happens with the log itself locked (`withLock`).
///
/// The writers' lock is an `flock` on the log's own open file, not on a file found by name beside it: deleting
/// or replacing a lock file cannot let a second writer in, and neither can reaching the log by another name,
/// because a log with more than one name (a hard link) is refused. After the lock is taken the path is checked
/// to still name the locked file (a log renamed over while a writer waited is opened again), and after each
/// append it is checked once more, so a write to a file that has lost its name is never acknowledged.
public struct LedgerFile: Sendable {
    /// The log's path.
    public let path: String

    /// A log at `path` (not opened until used).
    public init(path: String) { self.path = path }

    /// Whether the log exists.
    public var exists: Bool { Syscalls.exists(path) }

    /// Whether the log's path is a symbolic link (which the ledger refuses to follow).
    public var isSymlink: Bool { Syscalls.isSymlink(path) }

    /// Creates an empty log, owner-only, and makes its directory entry durable. Refuses an existing path.
    public func create() throws(EventLogError) {
        if Syscalls.isSymlink(path) { throw .symlink(path: path) }
        do {
            let descriptor = try Syscalls.open(
                path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0o600)
            defer { Syscalls.close(descriptor) }
            try Syscalls.fsync(descriptor, path: path)
            try Syscalls.syncDirectory(of: path)
        } catch {
            if error.errno == EEXIST { throw .alreadyExists(path: path) }
            throw .system(error)
        }
    }

    /// Runs `body` holding an exclusive `flock` on the log file itself; other writers wait (with `waitingAtMost`,
    /// that many seconds at most: then the wait fails with `EWOULDBLOCK`, for a caller that must not hang).
    public func withLock<T>(
        waitingAtMost timeout: Double? = nil, _ body: (LockedLedger) throws -> T
    ) throws -> T {
        let locked = try LockedLedger(path: path, timeout: timeout)
        defer { locked.close() }  // closing releases the lock
        return try body(locked)
    }

    /// Opens the log at `path` for reading or writing, refusing a symbolic link, anything but a regular file
    /// (a FIFO would hang the reader, `/dev/null` would read as empty and take writes) and, for a writer, a log
    /// with more than one name. `O_NONBLOCK` keeps a FIFO from blocking the open itself; it is cleared again.
    static func open(_ path: String, _ flags: Int32) throws(EventLogError) -> (
        descriptor: Int32, status: FileStatus
    ) {
        if Syscalls.isSymlink(path) { throw .symlink(path: path) }
        let descriptor: Int32
        do { descriptor = try Syscalls.open(path, flags | O_NOFOLLOW | O_NONBLOCK) } catch {
            if error.errno == ENOENT { throw .missing(path: path) }
            if error.errno == ELOOP { throw .symlink(path: path) }
            throw .system(error)
        }
        do {
            let status = try Syscalls.status(descriptor, path: path)
            guard status.isRegular else {
                throw EventLogError.notRegularFile(path: path, kind: status.kindName)
            }
            if flags & O_ACCMODE != O_RDONLY && status.links > 1 {
                throw EventLogError.hardLinked(path: path, links: status.links)
            }
            let current = fcntl(descriptor, F_GETFL)
            if current >= 0 { _ = fcntl(descriptor, F_SETFL, current & ~O_NONBLOCK) }
            return (descriptor, status)
        } catch {
            Syscalls.close(descriptor)
            throw mapError(error)
        }
    }

    /// Refuses a log path that is not a regular file (without following a symlink), before anything is created
    /// beside it. A missing log passes: the command that needs one says so.
    public func checkKind() throws(EventLogError) {
        guard let status = Syscalls.status(of: path) else { return }
        if (status.mode & S_IFMT) == S_IFLNK { throw .symlink(path: path) }
        guard status.isRegular else { throw .notRegularFile(path: path, kind: status.kindName) }
    }

    /// The whole line that ends (with its newline) at byte `end`, read without locking: how a derived file checks
    /// that the log still holds the line it was stamped with. Nil when there is no such line.
    public func line(endingAt end: Int) throws(EventLogError) -> [UInt8]? {
        let (descriptor, status) = try Self.open(path, O_RDONLY)
        defer { Syscalls.close(descriptor) }
        return try mapErrors {
            guard end > 0, end <= status.size,
                let start = try Tail.lineStart(descriptor: descriptor, endingAt: end, path: path)
            else { return nil }
            return try Tail.line(descriptor: descriptor, at: start, path: path, end: end)
        }
    }

    /// The head, read from the tail without locking (a reader's view; a concurrent append may be under way).
    public func readHead() throws(EventLogError) -> (head: LogHead, tornBytes: Int) {
        let (descriptor, _) = try Self.open(path, O_RDONLY)
        defer { Syscalls.close(descriptor) }
        return try Tail.read(descriptor: descriptor, path: path)
    }
}

/// A log held under its lock: reads the tail, appends whole lines durably, recovers a torn tail.
public final class LockedLedger {
    /// The log's path.
    public let path: String
    private let descriptor: Int32
    /// The last whole line as of now.
    public private(set) var head: LogHead
    /// Bytes after the last newline (a torn write), 0 when clean.
    public private(set) var tornBytes: Int

    /// The locked file's identity, checked against the path after locking and after every append.
    private let status: FileStatus
    /// Set once `replace` has put a new file in the log's place: this lock's file is no longer the log.
    private var replaced = false

    /// Opens the log and takes its lock, waiting for any other writer. A log renamed over or removed while
    /// this one waited is opened again, so the lock held is always on the file the path names.
    init(path: String, timeout: Double? = nil) throws(EventLogError) {
        self.path = path
        var attempts = 0
        while true {
            let (descriptor, _) = try LedgerFile.open(path, O_RDWR)
            do {
                if let timeout {
                    try mapErrors { try Self.lock(descriptor, path: path, within: timeout) }
                } else {
                    try mapErrors { try Syscalls.flock(descriptor, LOCK_EX, path: path) }
                }
                // Once locked: is this still the file the path names, with that one name?
                let now = try mapErrors { try Syscalls.status(descriptor, path: path) }
                if now.links > 1 { throw EventLogError.hardLinked(path: path, links: now.links) }
                guard let named = Syscalls.status(of: path), named.isSameFile(as: now),
                    now.links == 1
                else {
                    attempts += 1
                    if attempts >= 100 { throw EventLogError.replaced(path: path) }
                    Syscalls.close(descriptor)
                    continue
                }
                // Case data is owner-only: a log copied in readable by others is made owner-only by the first
                // writer (the contract's rule, whoever made the file).
                if now.mode & 0o077 != 0 {
                    _ = fchmod(descriptor, now.mode & 0o700)
                }
                self.descriptor = descriptor
                self.status = now
                (head, tornBytes) = try Tail.read(descriptor: descriptor, path: path)
                return
            } catch {
                Syscalls.close(descriptor)
                throw mapError(error)
            }
        }
    }

    func close() {
        // A batch left unconfirmed (the caller stopped on an error) was never acknowledged: it is cut off again,
        // once its fsync is done with the descriptor.
        if let (_, sync) = unconfirmed {
            try? sync?.wait()
            unconfirmed = nil
            _ = rollBack(EventLogError.replaced(path: path))
        }
        Syscalls.close(descriptor)
    }

    /// Takes the lock, trying every few milliseconds for `seconds` at most (`flock` has no timeout of its own).
    private static func lock(_ descriptor: Int32, path: String, within seconds: Double)
        throws(SystemCallError)
    {
        var waited = 0.0
        while true {
            do {
                return try Syscalls.flock(descriptor, LOCK_EX | LOCK_NB, path: path)
            } catch  where error.errno == EWOULDBLOCK && waited < seconds {
                usleep(2_000)
                waited += 0.002
            }
        }
    }

    /// Whether the path still names the locked file, with that one name: a write to a file that lost its name
    /// (removed, renamed over) would be lost, so it is not acknowledged.
    private func checkStillNamed() throws(EventLogError) {
        guard let named = Syscalls.status(of: path), named.isSameFile(as: status) else {
            throw .replaced(path: path)
        }
        if named.links > 1 { throw .hardLinked(path: path, links: named.links) }
    }

    /// Appends whole lines and `fsync`s; returns only once they are durable. On failure the log is cut back to
    /// the head it had, so nothing half-written stays behind (if even that fails, the next open sees a torn tail).
    public func append(_ lines: [UInt8], newHead: LogHead) throws(EventLogError) {
        try write(lines, newHead: newHead, syncing: false)
        try confirm()
    }

    /// A batch written after the head but not yet confirmed durable: the head it makes, and, when its `fsync`
    /// runs on another thread, that thread's outcome.
    private var unconfirmed: (newHead: LogHead, sync: BackgroundSync?)?

    /// Whether a batch is written and not yet confirmed (`confirm`).
    public var hasUnconfirmed: Bool { unconfirmed != nil }

    /// Writes whole lines after the head without waiting for them to be durable: with `syncing`, their `fsync`
    /// starts on another thread, so the caller can prepare the next batch meanwhile (an ingest). Nothing is
    /// acknowledged and the head does not move until `confirm`, which must come before the next write. On failure
    /// the log is cut back to the head it had.
    public func write(_ lines: [UInt8], newHead: LogHead, syncing: Bool) throws(EventLogError) {
        if replaced { throw .replaced(path: path) }
        if tornBytes > 0 { throw .tornTail(path: path, bytes: tornBytes) }
        precondition(unconfirmed == nil, "a batch was written and not confirmed")
        do {
            try lines.withUnsafeBytes { bytes in
                try Syscalls.pwriteAll(descriptor, bytes, at: head.size, path: path)
            }
        } catch {
            throw rollBack(error)
        }
        unconfirmed = (newHead, syncing ? BackgroundSync(descriptor: descriptor, path: path) : nil)
    }

    /// Makes the batch `write` wrote durable (or waits for its `fsync` on the other thread), checks the path
    /// still names this file, and moves the head past it: from here it may be acknowledged. On failure the log is
    /// cut back to the head it had.
    public func confirm() throws(EventLogError) {
        guard let (newHead, sync) = unconfirmed else { return }
        unconfirmed = nil
        do {
            if let sync {
                try sync.wait()
            } else {
                try Syscalls.fsync(descriptor, path: path)
            }
            try checkStillNamed()
        } catch {
            throw rollBack(error)
        }
        head = newHead
    }

    /// Rolls back the unacknowledged bytes after the head. An fsync failure leaves the page cache state unknown,
    /// so the truncate is made durable too; if it fails, recover deals with whatever is there.
    private func rollBack(_ error: any Error) -> EventLogError {
        if (try? Syscalls.ftruncate(descriptor, head.size, path: path)) != nil {
            try? Syscalls.fsync(descriptor, path: path)
        }
        if let after = try? Tail.read(descriptor: descriptor, path: path) {
            (head, tornBytes) = after
        }
        return mapError(error)
    }

    /// Puts a whole new log in the log's place, still holding the lock (the one exception to append-only:
    /// `ledger redact`). `write` writes the new log's bytes, whole lines, ending at `newHead`; they go to
    /// `temporary` beside the log (owner-only, created new: one left by a crash is removed first), which is
    /// `fsync`ed, renamed over the log, and the directory `fsync`ed. Killed at any point, the path names either
    /// the old log, whole, or the new one, whole. Writers waiting for this lock find, once it is released, that
    /// the path names another file and open it again (`init`); nothing more may be appended through this lock.
    public func replace(temporary: String, newHead: LogHead, _ write: (AtomicOutput) throws -> Void)
        throws
    {
        if replaced { throw EventLogError.replaced(path: path) }
        if tornBytes > 0 { throw EventLogError.tornTail(path: path, bytes: tornBytes) }
        try checkStillNamed()
        let output = try AtomicOutput(path: path, temporary: temporary)
        try write(output)
        try output.commit(durable: true)
        replaced = true
        head = newHead
        try mapErrors { try Syscalls.syncDirectory(of: path) }
    }

    /// Moves a torn tail to a side file (kept, never discarded) and truncates the log to its last whole line.
    public func recover() throws(EventLogError) -> RecoveryReport {
        guard tornBytes > 0 else { return RecoveryReport(movedBytes: 0, sideFile: nil, head: head) }
        do {
            var partial = [UInt8](repeating: 0, count: tornBytes)
            let got = try partial.withUnsafeMutableBytes { buffer in
                try Syscalls.pread(descriptor, into: buffer, at: head.size, path: path)
            }
            partial.removeLast(partial.count - got)
            var attempt = 1
            var side = "\(path).torn-\(head.seq + 1)"
            while Syscalls.exists(side) {
                attempt += 1
                side = "\(path).torn-\(head.seq + 1)-\(attempt)"
            }
            let sideDescriptor = try Syscalls.open(
                side, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0o600)
            do {
                try partial.withUnsafeBytes { bytes in
                    try Syscalls.writeAll(sideDescriptor, bytes, path: side)
                }
                try Syscalls.fsync(sideDescriptor, path: side)
                Syscalls.close(sideDescriptor)
            } catch {
                Syscalls.close(sideDescriptor)
                Syscalls.unlink(side)
                throw error
            }
            try Syscalls.syncDirectory(of: side)
            // Only once the bytes are safe elsewhere is the log cut back.
            try Syscalls.ftruncate(descriptor, head.size, path: path)
            try Syscalls.fsync(descriptor, path: path)
            let moved = tornBytes
            tornBytes = 0
            return RecoveryReport(movedBytes: moved, sideFile: side, head: head)
        } catch { throw mapError(error) }
    }

    /// The offset where the line ending (with its newline) at `end` starts, reading backwards.
    public func lineStart(endingAt end: Int) throws(EventLogError) -> Int? {
        guard end > 0, end <= head.size else { return nil }
        return try mapErrors {
            try Tail.lineStart(descriptor: descriptor, endingAt: end, path: path)
        }
    }

    /// Reads the whole line that starts at `offset` (without its newline).
    public func line(at offset: Int) throws(EventLogError) -> [UInt8]? {
        try mapErrors {
            try Tail.line(descriptor: descriptor, at: offset, path: path, end: head.size)
        }
    }
}

/// Reading the end of a log without reading the rest of it.
enum Tail {
    /// Finds the last whole line by reading backwards in chunks, and parses its `seq` and `hash`.
    static func read(descriptor: Int32, path: String) throws(EventLogError) -> (LogHead, Int) {
        let size = try mapErrors { try Syscalls.fileSize(descriptor, path: path) }
        if size == 0 { return (.empty, 0) }
        // Everything after the last newline is torn. The search is unbounded: however long a torn or foreign tail
        // is, the whole lines before it stay in the log.
        let newline = try mapErrors {
            try lastNewline(descriptor: descriptor, before: size, path: path, within: nil)
        }
        guard let newline, newline >= 0 else {
            // No whole line at all: the entire file is a torn first write.
            return (.empty, size)
        }
        let headSize = newline + 1
        guard
            let start = try mapErrors({
                try lineStart(descriptor: descriptor, endingAt: headSize, path: path)
            }),
            let lineBytes = try mapErrors({
                try line(descriptor: descriptor, at: start, path: path, end: headSize)
            })
        else {
            throw EventLogError.malformedLine(
                seq: nil, lineNumber: 0, problem: "last line is over the size limit")
        }
        let record: LedgerRecord
        do { record = try LineFormat.decode(lineBytes) } catch {
            throw .malformedLine(seq: nil, lineNumber: 0, problem: "last whole line: \(error)")
        }
        return (LogHead(seq: record.seq, hash: record.hash, size: headSize), size - headSize)
    }

    /// The offset of the last newline before `end`: -1 when the file starts before one is found, nil when none is
    /// found within `within` bytes (nil `within`: search to the start).
    static func lastNewline(descriptor: Int32, before end: Int, path: String, within: Int?) throws
        -> Int?
    {
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        var position = end
        while position > 0 {
            if let within, end - position > within { return nil }
            let start = max(0, position - buffer.count)
            let count = position - start
            _ = try buffer.withUnsafeMutableBytes {
                try Syscalls.pread(
                    descriptor, into: UnsafeMutableRawBufferPointer(rebasing: $0[0..<count]),
                    at: start, path: path)
            }
            if let index = buffer[0..<count].lastIndex(of: 0x0A) { return start + index }
            position = start
        }
        return -1
    }

    /// Where the line that ends (with its newline) at `end` starts; nil when it would be over the size limit.
    static func lineStart(descriptor: Int32, endingAt end: Int, path: String) throws -> Int? {
        guard end > 0 else { return nil }
        let previous = try lastNewline(
            descriptor: descriptor, before: end - 1, path: path, within: LineFormat.maxLineBytes + 1
        )
        return previous.map { $0 + 1 }
    }

    /// The line starting at `offset`, up to (not including) the next newline before `end`.
    static func line(descriptor: Int32, at offset: Int, path: String, end: Int) throws -> [UInt8]? {
        var collected: [UInt8] = []
        var position = offset
        var chunk = [UInt8](repeating: 0, count: 4096)
        while position < end {
            let want = min(chunk.count, end - position)
            let got = try chunk.withUnsafeMutableBytes { raw in
                try Syscalls.pread(
                    descriptor, into: UnsafeMutableRawBufferPointer(rebasing: raw[0..<want]),
                    at: position, path: path)
            }
            if got == 0 { break }
            if let newline = chunk[0..<got].firstIndex(of: 0x0A) {
                collected.append(contentsOf: chunk[0..<newline])
                return collected
            }
            collected.append(contentsOf: chunk[0..<got])
            position += got
            if collected.count > LineFormat.maxLineBytes { return nil }
            if chunk.count < 256 * 1024 { chunk = [UInt8](repeating: 0, count: chunk.count * 4) }
        }
        return nil
    }
}

/// Maps any error from the layers below to the engine's error type.
func mapError(_ error: any Error) -> EventLogError {
    if let error = error as? EventLogError { return error }
    if let error = error as? SystemCallError { return .system(error) }
    return .system(SystemCallError(call: "io", errno: EIO, path: String(describing: error)))
}

/// Runs `body`, mapping whatever it throws to `EventLogError`.
func mapErrors<T>(_ body: () throws -> T) throws(EventLogError) -> T {
    do { return try body() } catch { throw mapError(error) }
}

/// One `fsync` run on another thread, waited for once.
final class BackgroundSync: @unchecked Sendable {
    private let done = DispatchSemaphore(value: 0)
    private var failure: SystemCallError?

    init(descriptor: Int32, path: String) {
        DispatchQueue.global(qos: .userInitiated).async {
            do throws(SystemCallError) { try Syscalls.fsync(descriptor, path: path) } catch {
                self.failure = error
            }
            self.done.signal()
        }
    }

    func wait() throws(SystemCallError) {
        done.wait()
        if let failure { throw failure }
    }
}
