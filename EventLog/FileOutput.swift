#if canImport(Glibc)
    import Glibc
#endif

/// Owner-only files for derived data and outputs: written whole to a temporary file, `fsync`ed, renamed.
public enum FileOutput {
    /// Writes `bytes` to `path` atomically (mode 0600): readers see the old file or the new one, never a part.
    /// `durable: false` skips the `fsync` (for derived files that are checked before use and rebuilt if lost).
    public static func writeAtomically(
        _ bytes: [UInt8], to path: String, temporary: String? = nil, durable: Bool = true
    ) throws {
        try bytes.withUnsafeBytes {
            try writeAtomically($0, to: path, temporary: temporary, durable: durable)
        }
    }

    /// `writeAtomically` of a text's UTF-8, written from the string itself (not copied into an array first).
    public static func writeAtomically(text: String, to path: String, durable: Bool = true) throws {
        var text = text
        try text.withUTF8 {
            try writeAtomically(
                UnsafeRawBufferPointer($0), to: path, temporary: nil, durable: durable)
        }
    }

    private static func writeAtomically(
        _ bytes: UnsafeRawBufferPointer, to path: String, temporary: String?, durable: Bool
    ) throws {
        let output = try AtomicOutput(path: path, temporary: temporary)
        try output.write(bytes)
        try output.commit(durable: durable)
    }

    /// Puts `bytes` at `path` as `writeAtomically` does, unless the file there already holds exactly them: then it
    /// is left as it is (and keeps its time) and the result is false. One `lstat` answers both whether `path` is a
    /// symlink (refused) and whether it could hold the same bytes.
    ///
    /// The bytes go through a spare file kept beside it (`spare`, in a directory of the caller's): they are
    /// written over the spare, which then changes places with `path` in one atomic exchange (`renameat2` with
    /// `RENAME_EXCHANGE`), so that the spare holds the previous contents, to be written over next time. Readers see
    /// the old file or the new one, as with a rename, but no file is made or freed once the spares exist: replacing
    /// a file by a rename frees the old one, and on a file system that checks each inode it reuses for a recent
    /// deletion (ext4 without a journal) or discards freed blocks at once, a rebuild that replaced 41k pages spent a
    /// third of its CPU making and freeing them. Where the exchange cannot be made (another file system, an older
    /// kernel), the spare is renamed over `path` instead.
    @discardableResult
    public static func writeIfChanged(
        _ bytes: [UInt8], to path: String, spare: String, durable: Bool = true
    ) throws -> Bool {
        var info = stat()
        let exists = lstat(path, &info) == 0
        if exists {
            if (info.st_mode & S_IFMT) == S_IFLNK { throw EventLogError.symlink(path: path) }
            if Int(info.st_size) == bytes.count, read(path) == bytes { return false }
        }
        // Written over where it is, never through a symlink (one there is removed and the file made anew).
        let descriptor = try Syscalls.open(
            spare, O_WRONLY | O_CREAT | O_NOFOLLOW, removingOn: ELOOP)
        defer { Syscalls.close(descriptor) }
        try bytes.withUnsafeBytes { try Syscalls.pwriteAll(descriptor, $0, at: 0, path: spare) }
        try Syscalls.ftruncate(descriptor, bytes.count, path: spare)
        if durable { try Syscalls.fsync(descriptor, path: spare) }
        if exists {
            try exchangeOrRename(spare, path)
        } else {
            try Syscalls.rename(spare, path)
        }
        return true
    }

    /// Exchanges `spare` and `path`; where that cannot be done here, renames `spare` over `path`.
    private static func exchangeOrRename(_ spare: String, _ path: String) throws(SystemCallError) {
        do {
            try Syscalls.exchange(spare, path)
        } catch  where error.errno == EINVAL || error.errno == ENOSYS {
            try Syscalls.rename(spare, path)
        }
    }

    /// Opens an owner-only file for appending (made if missing; emptied first when `replace`), returning its
    /// descriptor. A file already there readable by others is made owner-only before anything is written to it:
    /// what the ledger writes is case data, whoever made the file.
    public static func create(_ path: String, replace: Bool = false) throws -> OutputFile {
        if Syscalls.isSymlink(path) { throw EventLogError.symlink(path: path) }
        let flags = O_WRONLY | O_CREAT | O_NOFOLLOW | (replace ? O_TRUNC : O_APPEND)
        let descriptor = try Syscalls.open(path, flags, 0o600)
        do {
            let status = try Syscalls.status(descriptor, path: path)
            if status.mode & 0o077 != 0, fchmod(descriptor, status.mode & 0o700) != 0 {
                throw SystemCallError(call: "fchmod", errno: errno, path: path)
            }
        } catch {
            Syscalls.close(descriptor)
            throw error
        }
        return OutputFile(path: path, descriptor: descriptor)
    }

    /// The whole of an input a person names (a file, a symlink to one, a pipe such as `<(…)`, a FIFO), read to its
    /// end; throws saying why when it cannot be.
    public static func readInput(_ path: String) throws -> [UInt8] {
        let descriptor = try Syscalls.open(path, O_RDONLY)
        defer { Syscalls.close(descriptor) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let got = try chunk.withUnsafeMutableBytes {
                try Syscalls.read(descriptor, into: $0, path: path)
            }
            if got == 0 { return bytes }
            bytes.append(contentsOf: chunk[..<got])
        }
    }

    /// The whole contents of a small file, or nil when it cannot be read.
    public static func read(_ path: String) -> [UInt8]? {
        guard let descriptor = try? Syscalls.open(path, O_RDONLY | O_NOFOLLOW) else { return nil }
        defer { Syscalls.close(descriptor) }
        guard let size = try? Syscalls.fileSize(descriptor, path: path) else { return nil }
        // Read straight into the array's storage (not zeroed first: a multi-megabyte derived file is read on
        // every append).
        var complete = false
        let bytes = [UInt8](unsafeUninitializedCapacity: size) { buffer, count in
            let got = try? Syscalls.pread(
                descriptor, into: UnsafeMutableRawBufferPointer(buffer), at: 0, path: path)
            complete = got == size
            count = complete ? size : 0
        }
        return complete ? bytes : nil
    }

    /// How many names (hard links) the file at `path` has; nil when nothing is there.
    public static func linkCount(_ path: String) -> Int? { Syscalls.status(of: path)?.links }

    /// Whether two paths name the same existing file (the same inode: a hard link or another spelling counts).
    public static func sameFile(_ first: String, _ second: String) -> Bool {
        guard let one = Syscalls.status(of: first), let other = Syscalls.status(of: second) else {
            return false
        }
        return one.isSameFile(as: other)
    }

    /// `path` with its folder resolved (symbolic links, `.` and `..`), so two spellings of a name compare equal;
    /// nil when the folder does not exist.
    public static func canonical(_ path: String) -> String? {
        let slash = path.lastIndex(of: "/")
        let folder = slash.map { path[..<$0].isEmpty ? "/" : String(path[..<$0]) } ?? "."
        let name = slash.map { String(path[path.index(after: $0)...]) } ?? path
        guard let resolved = realpath(folder, nil) else { return nil }
        defer { free(resolved) }
        let base = String(cString: resolved)
        return (base == "/" ? "" : base) + "/" + name
    }

    /// Removes a file (no error when it is missing).
    public static func remove(_ path: String) { Syscalls.unlink(path) }

    /// The size of a file, or nil when it does not exist.
    public static func size(_ path: String) -> Int? {
        var info = stat()
        guard lstat(path, &info) == 0 else { return nil }
        return Int(info.st_size)
    }

    /// Runs `body` holding an exclusive `flock` on the directory itself (its own descriptor: no lock file is made,
    /// and none can be deleted from under it), so that two writers of one output folder take turns rather than
    /// trample each other's temporary files. When another holds it, `waiting` is called once, then this one waits.
    public static func withDirectoryLock<T>(
        _ directory: String, waiting: () -> Void, _ body: () throws -> T
    ) throws -> T {
        let descriptor = try Syscalls.open(directory, O_RDONLY | O_DIRECTORY)
        defer { Syscalls.close(descriptor) }  // closing releases the lock
        do {
            try Syscalls.flock(descriptor, LOCK_EX | LOCK_NB, path: directory)
        } catch  where error.errno == EWOULDBLOCK {
            waiting()
            try Syscalls.flock(descriptor, LOCK_EX, path: directory)
        }
        return try body()
    }

    /// The entries of a directory (not `.` or `..`) with their type as the file system gives it (`d_type`);
    /// none when it cannot be read.
    private static func entries(in directory: String) -> [(name: String, type: UInt8)] {
        guard let handle = opendir(directory) else { return [] }
        defer { closedir(handle) }
        var entries: [(name: String, type: UInt8)] = []
        while let entry = readdir(handle) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
            if name != "." && name != ".." { entries.append((name, entry.pointee.d_type)) }
        }
        return entries
    }

    /// The names of the regular files in `directory` whose names end with `suffix` (none when it cannot be read).
    public static func fileNames(in directory: String, endingWith suffix: String) -> [String] {
        // The entry's type where the file system gives it (no `lstat` per file of a folder of 41k pages).
        entries(in: directory).filter { entry in
            entry.name.hasSuffix(suffix)
                && (entry.type == UInt8(DT_REG)
                    || (entry.type == UInt8(DT_UNKNOWN)
                        && Syscalls.status(of: directory + "/" + entry.name)?.isRegular == true))
        }.map(\.name)
    }

    /// The names in a directory (not `.` or `..`), sorted; empty when it cannot be read.
    public static func names(in directory: String) -> [String] {
        entries(in: directory).map(\.name).sorted()
    }

    /// The directory part of `path` (`.` when it has none).
    public static func directory(of path: String) -> String { Syscalls.directoryName(path) }

    /// Creates a directory (and parents) owner-only where missing.
    public static func makeDirectory(_ path: String) throws {
        var current = path.hasPrefix("/") ? "" : "."
        for part in path.split(separator: "/") {
            current += "/" + part
            if Syscalls.exists(current) { continue }
            if mkdir(current, 0o700) != 0 && errno != EEXIST {
                throw SystemCallError(call: "mkdir", errno: errno, path: current)
            }
        }
    }
}

/// An output file being written (rejects, exports).
public final class OutputFile {
    /// Its path.
    public let path: String
    private let descriptor: Int32

    init(path: String, descriptor: Int32) {
        self.path = path
        self.descriptor = descriptor
    }

    deinit { Syscalls.close(descriptor) }

    /// Writes all of `bytes`.
    public func write(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { try Syscalls.writeAll(descriptor, $0, path: path) }
    }

    /// Makes what was written durable.
    public func sync() throws { try Syscalls.fsync(descriptor, path: path) }
}

/// A file written in pieces and put in place whole: the bytes go to a temporary file beside `path` (buffered),
/// and `commit` syncs it and renames it over `path`. Readers see the old file or the new one, never a part; a
/// file dropped without `commit` leaves no trace but its temporary, which the next writer removes.
public final class AtomicOutput {
    public let path: String
    private let temporary: String
    private var descriptor: Int32
    private var buffer: [UInt8] = []
    private static let bufferSize = 1 << 20

    /// Starts the file at `temporary` (default: `path` + ".new"), created new: never written through a symlink or
    /// into a file left there (one left by an earlier crash is removed first).
    public init(path: String, temporary: String? = nil) throws {
        if Syscalls.isSymlink(path) { throw EventLogError.symlink(path: path) }
        self.path = path
        self.temporary = temporary ?? path + ".new"
        // Removing what is there only when something is saves an `unlink` per file in the usual case.
        descriptor = try Syscalls.open(
            self.temporary, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, removingOn: EEXIST)
    }

    deinit {
        if descriptor >= 0 {
            Syscalls.close(descriptor)
            Syscalls.unlink(temporary)
        }
    }

    /// Adds bytes, through `body` appending to the buffer (written out when it is full).
    public func write(_ body: (inout [UInt8]) -> Void) throws {
        if buffer.capacity < Self.bufferSize { buffer.reserveCapacity(Self.bufferSize + 65_536) }
        body(&buffer)
        if buffer.count >= Self.bufferSize { try drain() }
    }

    /// Adds `bytes` as they are (not through the buffer).
    public func write(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { try write($0) }
    }

    /// Adds `bytes` as they are (not through the buffer).
    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        try drain()
        try Syscalls.writeAll(descriptor, bytes, path: temporary)
    }

    /// Adds the bytes of `source` in `range`, copied file to file by the kernel (`Syscalls.copy`); throws when
    /// `source` ends before the range does.
    public func copy(from source: ScatteredLineReader, _ range: Range<Int>) throws {
        guard !range.isEmpty else { return }
        try drain()
        try Syscalls.copy(
            from: source.descriptor, sourcePath: source.path, at: range.lowerBound,
            count: range.count, to: descriptor, path: temporary)
    }

    /// Writes what is buffered, then puts `bytes` over what was written at `offset` (a header whose figures are
    /// known only at the end, written first as a placeholder of the same length).
    public func overwrite(_ bytes: [UInt8], at offset: Int) throws {
        try drain()
        try bytes.withUnsafeBytes {
            try Syscalls.pwriteAll(descriptor, $0, at: offset, path: temporary)
        }
    }

    private func drain() throws {
        guard !buffer.isEmpty else { return }
        try buffer.withUnsafeBytes { try Syscalls.writeAll(descriptor, $0, path: temporary) }
        buffer.removeAll(keepingCapacity: true)
    }

    /// Writes what is buffered, syncs (when `durable`) and renames the file into place.
    public func commit(durable: Bool = true) throws {
        try drain()
        if durable { try Syscalls.fsync(descriptor, path: temporary) }
        Syscalls.close(descriptor)
        descriptor = -1
        do { try Syscalls.rename(temporary, path) } catch {
            Syscalls.unlink(temporary)
            throw error
        }
    }
}
