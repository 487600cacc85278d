#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A failed system call: which call, on which path, and the `errno` it set.
public struct SystemCallError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A failure of `call` on `path` with `errno`.
    public init(call: String, errno: Int32, path: String) {
        self.call = call
        self.errno = errno
        self.path = path
    }

    /// The call's name, e.g. `fsync`.
    public var call: String
    /// The `errno` value.
    public var errno: Int32
    /// The path concerned.
    public var path: String

    public var description: String {
        let reason = String(cString: strerror(errno))
        return "\(call) failed on \(path): \(reason) (errno \(errno))"
    }
}

/// Every POSIX call the storage engine makes goes through here, so that errors carry context, `EINTR` is
/// retried (never for `close`), and tests can inject faults (`FaultInjection`).
enum Syscalls {
    static func check(_ call: String, _ path: String, _ body: () -> Int) throws(SystemCallError)
        -> Int
    {
        while true {
            if let injected = FaultInjection.fault(for: call, path: path) {
                if injected == EINTR { continue }
                throw SystemCallError(call: call, errno: injected, path: path)
            }
            let result = body()
            if result >= 0 { return result }
            let code = Glibc.errno
            if code == EINTR { continue }
            throw SystemCallError(call: call, errno: code, path: path)
        }
    }

    static func open(_ path: String, _ flags: Int32, _ mode: mode_t = 0o600) throws(SystemCallError)
        -> Int32
    {
        Int32(try check("open", path) { Int(Glibc.open(path, flags | O_CLOEXEC, mode)) })
    }

    /// `open` (mode 0600); when it fails with `code` (EEXIST for a file left there, ELOOP for a symlink), removes
    /// what is at `path` and opens it once more, created new (`O_EXCL`).
    static func open(_ path: String, _ flags: Int32, removingOn code: Int32) throws(SystemCallError)
        -> Int32
    {
        do {
            return try open(path, flags, 0o600)
        } catch  where error.errno == code {
            unlink(path)
            return try open(path, flags | O_CREAT | O_EXCL, 0o600)
        }
    }

    static func close(_ descriptor: Int32) { _ = Glibc.close(descriptor) }

    /// Writes every byte, looping over short writes.
    static func writeAll(_ descriptor: Int32, _ bytes: UnsafeRawBufferPointer, path: String)
        throws(SystemCallError)
    {
        guard var pointer = bytes.baseAddress else { return }
        var remaining = bytes.count
        while remaining > 0 {
            var chunk = remaining
            if let limit = FaultInjection.shortWrite(for: "write", path: path) {
                chunk = min(chunk, limit)
            }
            let written = try check("write", path) { Glibc.write(descriptor, pointer, chunk) }
            if written == 0 { throw SystemCallError(call: "write", errno: EIO, path: path) }
            pointer += written
            remaining -= written
        }
    }

    static func pwriteAll(
        _ descriptor: Int32, _ bytes: UnsafeRawBufferPointer, at offset: Int, path: String
    )
        throws(SystemCallError)
    {
        guard var pointer = bytes.baseAddress else { return }
        var remaining = bytes.count
        var position = offset
        while remaining > 0 {
            var chunk = remaining
            if let limit = FaultInjection.shortWrite(for: "write", path: path) {
                chunk = min(chunk, limit)
            }
            let written = try check("write", path) {
                Glibc.pwrite(descriptor, pointer, chunk, off_t(position))
            }
            if written == 0 { throw SystemCallError(call: "write", errno: EIO, path: path) }
            pointer += written
            remaining -= written
            position += written
        }
    }

    /// Copies the `count` bytes of `source` at `offset` to `destination` at its file position, in the kernel
    /// (`sendfile`, file to file: no pass through this process's memory), or by reading and writing where the
    /// kernel cannot. Throws, with `EIO`, when the source ends before them.
    static func copy(
        from source: Int32, sourcePath: String, at offset: Int, count: Int, to destination: Int32,
        path: String
    ) throws(SystemCallError) {
        var position = offset
        var remaining = count
        while remaining > 0 {
            var from = off_t(position)
            let copied: Int
            do throws(SystemCallError) {
                copied = try check("sendfile", path) {
                    Glibc.sendfile(destination, source, &from, remaining)
                }
            } catch  where [EINVAL, ENOSYS, EOPNOTSUPP].contains(error.errno) {
                try copyByReading(
                    from: source, sourcePath: sourcePath, at: position, count: remaining,
                    to: destination, path: path)
                return
            }
            if copied == 0 {
                throw SystemCallError(call: "sendfile", errno: EIO, path: sourcePath)
            }
            position += copied
            remaining -= copied
        }
    }

    /// `copy` through a buffer of this process.
    private static func copyByReading(
        from source: Int32, sourcePath: String, at offset: Int, count: Int, to destination: Int32,
        path: String
    ) throws(SystemCallError) {
        let buffer = UnsafeMutableRawBufferPointer.allocate(
            byteCount: min(count, 1 << 20), alignment: 16)
        defer { buffer.deallocate() }
        var position = offset
        var remaining = count
        while remaining > 0 {
            let piece = UnsafeMutableRawBufferPointer(
                rebasing: buffer[0..<min(remaining, buffer.count)])
            let got = try pread(source, into: piece, at: position, path: sourcePath)
            if got < piece.count {
                throw SystemCallError(call: "read", errno: EIO, path: sourcePath)
            }
            try writeAll(destination, UnsafeRawBufferPointer(piece), path: path)
            position += got
            remaining -= got
        }
    }

    /// Reads up to `count` bytes at `offset`; fewer only at end of file.
    static func pread(
        _ descriptor: Int32, into buffer: UnsafeMutableRawBufferPointer, at offset: Int,
        path: String
    )
        throws(SystemCallError) -> Int
    {
        guard let base = buffer.baseAddress else { return 0 }
        var total = 0
        while total < buffer.count {
            let got = try check("read", path) {
                Glibc.pread(descriptor, base + total, buffer.count - total, off_t(offset + total))
            }
            if got == 0 { break }
            total += got
        }
        return total
    }

    /// One `read` (sequential), retried on EINTR; 0 at end of input.
    static func read(_ descriptor: Int32, into buffer: UnsafeMutableRawBufferPointer, path: String)
        throws(SystemCallError) -> Int
    {
        guard let base = buffer.baseAddress, buffer.count > 0 else { return 0 }
        return try check("read", path) { Glibc.read(descriptor, base, buffer.count) }
    }

    static func fsync(_ descriptor: Int32, path: String) throws(SystemCallError) {
        // A failed fsync is final for this writer: the kernel may have dropped the dirty pages, so retrying could
        // report success for data that never reached the disk.
        if let injected = FaultInjection.fault(for: "fsync", path: path), injected != EINTR {
            throw SystemCallError(call: "fsync", errno: injected, path: path)
        }
        if Glibc.fsync(descriptor) != 0 {
            throw SystemCallError(call: "fsync", errno: Glibc.errno, path: path)
        }
    }

    /// Maps `length` bytes of the file shared, for reading and writing (writes reach the file like `pwrite`s,
    /// and an `fsync` of the descriptor makes them durable).
    static func mapShared(_ descriptor: Int32, length: Int, path: String) throws(SystemCallError)
        -> UnsafeMutableRawPointer
    {
        if let injected = FaultInjection.fault(for: "mmap", path: path) {
            throw SystemCallError(call: "mmap", errno: injected, path: path)
        }
        guard let pointer = mmap(nil, length, PROT_READ | PROT_WRITE, MAP_SHARED, descriptor, 0),
            pointer != UnsafeMutableRawPointer(bitPattern: -1)
        else { throw SystemCallError(call: "mmap", errno: Glibc.errno, path: path) }
        return pointer
    }

    static func unmap(_ pointer: UnsafeMutableRawPointer, length: Int) {
        _ = munmap(pointer, length)
    }

    static func ftruncate(_ descriptor: Int32, _ length: Int, path: String) throws(SystemCallError)
    {
        _ = try check("ftruncate", path) { Int(Glibc.ftruncate(descriptor, off_t(length))) }
    }

    /// Gives the file `length` bytes backed by real blocks (`posix_fallocate`), so that writing through a
    /// memory map of it can never meet a full disk: that would be a SIGBUS, not an error. A full disk is
    /// reported here, as ENOSPC, before anything is mapped.
    static func allocate(_ descriptor: Int32, length: Int, path: String) throws(SystemCallError) {
        if let injected = FaultInjection.fault(for: "fallocate", path: path) {
            throw SystemCallError(call: "fallocate", errno: injected, path: path)
        }
        while true {
            let code = posix_fallocate(descriptor, 0, off_t(length))
            if code == 0 { return }
            if code == EINTR { continue }
            throw SystemCallError(call: "fallocate", errno: code, path: path)
        }
    }

    static func rename(_ from: String, _ to: String) throws(SystemCallError) {
        _ = try check("rename", to) { Int(Glibc.rename(from, to)) }
    }

    /// Swaps what `first` and `second` name, in one atomic step (both must exist): `renameat2` with
    /// `RENAME_EXCHANGE`. Throws EINVAL (or ENOSYS) where the file system, the kernel or the C library cannot.
    static func exchange(_ first: String, _ second: String) throws(SystemCallError) {
        guard let renameat2 = systemRenameat2 else {
            throw SystemCallError(call: "renameat2", errno: ENOSYS, path: second)
        }
        _ = try check("renameat2", second) {
            Int(renameat2(AT_FDCWD, first, AT_FDCWD, second, renameExchange))
        }
    }

    /// `RENAME_EXCHANGE` from `<linux/fs.h>`, which Swift's Glibc module does not show.
    private static let renameExchange: UInt32 = 1 << 1

    /// glibc's `renameat2` (2.28 and later), looked up once when first used: Swift's Glibc module does not show it.
    private typealias Renameat2 =
        @convention(c) (Int32, UnsafePointer<CChar>, Int32, UnsafePointer<CChar>, UInt32) -> Int32
    private static let systemRenameat2: Renameat2? = {
        guard let symbol = dlsym(nil, "renameat2") else { return nil }
        return unsafeBitCast(symbol, to: Renameat2.self)
    }()

    static func flock(_ descriptor: Int32, _ operation: Int32, path: String) throws(SystemCallError)
    {
        _ = try check("flock", path) { Int(systemFlock(descriptor, operation)) }
    }

    static func fileSize(_ descriptor: Int32, path: String) throws(SystemCallError) -> Int {
        var info = stat()
        _ = try check("fstat", path) { Int(Glibc.fstat(descriptor, &info)) }
        return Int(info.st_size)
    }

    /// What `fstat` says of an open file: its type, identity and link count.
    static func status(_ descriptor: Int32, path: String) throws(SystemCallError) -> FileStatus {
        var info = stat()
        _ = try check("fstat", path) { Int(Glibc.fstat(descriptor, &info)) }
        return FileStatus(info)
    }

    /// What `lstat` says of `path` (a final symlink is described, not followed); nil when nothing is there.
    static func status(of path: String) -> FileStatus? {
        var info = stat()
        guard lstat(path, &info) == 0 else { return nil }
        return FileStatus(info)
    }

    /// Whether `path` exists (without following a final symlink).
    static func exists(_ path: String) -> Bool {
        var info = stat()
        return lstat(path, &info) == 0
    }

    /// Whether `path` is a symbolic link.
    static func isSymlink(_ path: String) -> Bool {
        var info = stat()
        return lstat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFLNK
    }

    static func unlink(_ path: String) { _ = Glibc.unlink(path) }

    /// `fsync`s the directory holding `path`, so a newly created or renamed file survives a power cut.
    static func syncDirectory(of path: String) throws(SystemCallError) {
        let directory = directoryName(path)
        let descriptor = try open(directory, O_RDONLY | O_DIRECTORY)
        defer { close(descriptor) }
        try fsync(descriptor, path: directory)
    }

    static func directoryName(_ path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        if slash == path.startIndex { return "/" }
        return String(path[..<slash])
    }
}

/// Fault injection for the I/O-error tests: `LEDGER_FAULT=call:errno[:after[:persist]]`, e.g. `fsync:EIO:0`
/// makes the first `fsync` fail with EIO, `write:ENOSPC:2:persist` lets two writes through and fails every
/// later one. `write:short:N` caps every write at N bytes; `write:slow:N` also pauses 2 ms before each piece.
/// `call@SUFFIX:…` counts and fails only the calls on a path ending in SUFFIX (`rename@.state-delta:EIO`: the
/// rename that puts a new `.state-delta` in place), so a test can aim at one derived file's write. The errno
/// `SIGKILL` kills the process at that call instead, a crash at an exact step. Read once per process; absent
/// in normal use, and never read by a release build (a fault anyone could set is not a test's).
enum FaultInjection {
    struct Plan {
        var call: String
        var pathSuffix: String?
        var errno: Int32
        var after: Int
        var persist: Bool
        var shortWrite: Int?
        var pauseMicroseconds: UInt32 = 0
    }

    /// The errno of a plan that kills the process instead of failing the call.
    static let kill: Int32 = -9

    nonisolated(unsafe) private static var plan: Plan? = loadPlan()
    nonisolated(unsafe) private static var calls = 0

    private static func loadPlan() -> Plan? {
        #if DEBUG
            guard let raw = getenv("LEDGER_FAULT") else { return nil }
            return plan(String(cString: raw))
        #else
            return nil
        #endif
    }

    /// The plan `text` (LEDGER_FAULT's value) describes, nil when it describes none.
    private static func plan(_ text: String) -> Plan? {
        let parts = text.split(separator: ":").map(String.init)
        guard parts.count >= 2 else { return nil }
        let target = parts[0].split(separator: "@", maxSplits: 1).map(String.init)
        let call = target[0]
        let suffix = target.count == 2 ? target[1] : nil
        if parts[1] == "short" || parts[1] == "slow", parts.count >= 3, let limit = Int(parts[2]) {
            // "slow" also pauses between pieces, so a crash test can land a kill inside a line.
            return Plan(
                call: call, pathSuffix: suffix, errno: 0, after: 0, persist: true,
                shortWrite: max(1, limit),
                pauseMicroseconds: parts[1] == "slow" ? 2_000 : 0)
        }
        let codes: [String: Int32] = [
            "ENOSPC": ENOSPC, "EIO": EIO, "EINTR": EINTR, "EDQUOT": EDQUOT, "EINVAL": EINVAL,
            "SIGKILL": kill,
        ]
        guard let code = codes[parts[1]] else { return nil }
        let after = parts.count >= 3 ? Int(parts[2]) ?? 0 : 0
        return Plan(
            call: call, pathSuffix: suffix, errno: code, after: after,
            persist: parts.count >= 4 && parts[3] == "persist")
    }

    private static func aims(_ current: Plan, at call: String, _ path: String) -> Bool {
        current.call == call && (current.pathSuffix.map { path.hasSuffix($0) } ?? true)
    }

    static func fault(for call: String, path: String) -> Int32? {
        guard let current = plan, aims(current, at: call, path), current.shortWrite == nil else {
            return nil
        }
        calls += 1
        if calls <= current.after { return nil }
        if !current.persist && calls > current.after + 1 { return nil }
        if current.errno == kill { _ = Glibc.kill(getpid(), SIGKILL) }
        return current.errno
    }

    static func shortWrite(for call: String, path: String) -> Int? {
        guard let current = plan, aims(current, at: call, path) else { return nil }
        if current.pauseMicroseconds > 0 { usleep(current.pauseMicroseconds) }
        return current.shortWrite
    }
}

/// The facts of a file the storage engine decides on: what kind it is, which inode, and how many names it has.
struct FileStatus: Equatable {
    var mode: mode_t
    var device: UInt64
    var inode: UInt64
    var links: Int
    var size: Int

    init(_ info: stat) {
        mode = info.st_mode
        device = UInt64(info.st_dev)
        inode = UInt64(info.st_ino)
        links = Int(info.st_nlink)
        size = Int(info.st_size)
    }

    var isRegular: Bool { (mode & S_IFMT) == S_IFREG }

    /// Whether `other` is the same file (device and inode).
    func isSameFile(as other: FileStatus) -> Bool { device == other.device && inode == other.inode }

    /// The file's kind in words, for a refusal.
    var kindName: String {
        switch mode & S_IFMT {
        case S_IFREG: "a regular file"
        case S_IFIFO: "a FIFO or pipe"
        case S_IFCHR: "a character device"
        case S_IFBLK: "a block device"
        case S_IFDIR: "a directory"
        case S_IFSOCK: "a socket"
        case S_IFLNK: "a symbolic link"
        default: "a special file"
        }
    }
}

// Swift imports `struct flock` under the same name as the function, hiding the function; bind it by symbol.
@_silgen_name("flock")
private func systemFlock(_ descriptor: Int32, _ operation: Int32) -> Int32
