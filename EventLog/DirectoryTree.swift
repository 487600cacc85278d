#if canImport(Glibc)
    import Glibc
#endif

/// Whole folders put in place at once: a tree is written beside its final name and then swapped in.
public enum DirectoryTree {
    /// Puts the tree at `staged` at `path` in one step: renamed there when nothing is at `path`, else exchanged
    /// with what is there (`renameat2(RENAME_EXCHANGE)`), the old tree then removed. A reader sees the old tree
    /// or the new one, never a mixture; after a crash, one of them is at `path` and the other beside it.
    public static func swapIn(_ staged: String, at path: String) throws {
        if Syscalls.status(of: path) == nil {
            try Syscalls.rename(staged, path)
        } else {
            do { try Syscalls.exchange(staged, path) } catch {
                // No atomic exchange here (an old kernel, a file system without it): the old tree is moved aside
                // first, so for a moment nothing is at `path`, but never a mixture.
                try Syscalls.rename(path, staged + ".old")
                try Syscalls.rename(staged, path)
                try remove(staged + ".old")
                try Syscalls.syncDirectory(of: path)
                return
            }
            try remove(staged)
        }
        try Syscalls.syncDirectory(of: path)
    }

    /// Makes everything written under `path` durable at once (`syncfs` on its file system): one call, where an
    /// `fsync` per file of a tree of hundreds of files cost a disk flush each.
    public static func syncFileSystem(of path: String) throws {
        let descriptor = try Syscalls.open(path, O_RDONLY | O_DIRECTORY)
        defer { Syscalls.close(descriptor) }
        guard let syncfs = systemSyncfs else {
            sync()
            return
        }
        _ = try Syscalls.check("syncfs", path) { Int(syncfs(descriptor)) }
    }

    /// glibc's `syncfs`, which Swift's Glibc module does not show (it is a GNU extension).
    private typealias Syncfs = @convention(c) (Int32) -> Int32
    private static let systemSyncfs: Syncfs? = {
        guard let symbol = dlsym(nil, "syncfs") else { return nil }
        return unsafeBitCast(symbol, to: Syncfs.self)
    }()

    /// Removes a tree of plain files and folders (symbolic links are removed, never followed).
    public static func remove(_ path: String) throws {
        guard let status = Syscalls.status(of: path) else { return }
        guard (status.mode & S_IFMT) == S_IFDIR else {
            Syscalls.unlink(path)
            return
        }
        for name in try entries(of: path) { try remove(path + "/" + name) }
        _ = try Syscalls.check("rmdir", path) { Int(rmdir(path)) }
    }

    /// The names in a folder (not `.` or `..`), sorted; empty when it cannot be read.
    public static func entries(of path: String) throws -> [String] {
        guard let handle = opendir(path) else {
            throw SystemCallError(call: "opendir", errno: errno, path: path)
        }
        defer { closedir(handle) }
        var names: [String] = []
        while let entry = readdir(handle) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names.sorted()
    }

    /// Whether `path` is a folder (not following a final symbolic link).
    public static func isDirectory(_ path: String) -> Bool {
        guard let status = Syscalls.status(of: path) else { return false }
        return (status.mode & S_IFMT) == S_IFDIR
    }
}

extension FileOutput {
    /// Appends `bytes` to the file at `path` (created owner-only when missing), made durable when `durable`.
    public static func append(_ bytes: [UInt8], to path: String, durable: Bool) throws {
        let descriptor = try Syscalls.open(path, O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW, 0o600)
        defer { Syscalls.close(descriptor) }
        try bytes.withUnsafeBytes { try Syscalls.writeAll(descriptor, $0, path: path) }
        if durable { try Syscalls.fsync(descriptor, path: path) }
    }
}

/// A file of a tree written beside the tree it will replace (`DirectoryTree.swapIn`), whose bytes may well be
/// those of the same file in the old tree (an export of a log that has only grown since: every month but the
/// last is the same). Its bytes come in pieces; while they match the old file's, nothing is written, and if
/// they are the old file's whole, the new name is a hard link to it: no block is written, and the old tree's
/// removal frees none (on a file system that trims what it frees, that removal cost more than the writing).
/// Otherwise the file is written anew (owner-only), starting with the part that matched, copied.
///
/// Only an old file that is a regular file, owner-only, of this user and with one name is linked (the link is
/// made to the file that was compared, not to whatever the name holds by then); any other is read and copied.
public final class ReplacementFile: @unchecked Sendable {
    public let path: String
    private let previous: String
    /// The old file while its bytes match (-1 once they do not, or when there is none).
    private var old: Int32 = -1
    private var oldSize = 0
    private var linkable = false
    private var matched = 0
    /// The new file, once written (-1 before).
    private var output: Int32 = -1

    /// A file at `path`, to replace `previous` (which need not exist).
    public init(path: String, previous: String) {
        self.path = path
        self.previous = previous
        guard let descriptor = try? Syscalls.open(previous, O_RDONLY | O_NOFOLLOW) else { return }
        guard let status = try? Syscalls.status(descriptor, path: previous), status.isRegular
        else {
            Syscalls.close(descriptor)
            return
        }
        var info = stat()
        linkable =
            fstat(descriptor, &info) == 0 && info.st_uid == geteuid()
            && (info.st_mode & 0o077) == 0 && status.links == 1
        old = descriptor
        oldSize = status.size
    }

    deinit {
        if old >= 0 { Syscalls.close(old) }
        if output >= 0 { Syscalls.close(output) }
    }

    /// Adds the next bytes of the file.
    public func append(_ bytes: [UInt8]) throws {
        if output < 0, old >= 0, matched + bytes.count <= oldSize, try oldMatches(bytes) {
            matched += bytes.count
            return
        }
        try startWriting()
        try bytes.withUnsafeBytes { try Syscalls.writeAll(output, $0, path: path) }
    }

    /// Ends the file: linked to the old one when every byte matched it, else written.
    public func finish() throws {
        defer {
            if old >= 0 { Syscalls.close(old) }
            old = -1
        }
        if output < 0, old >= 0, matched == oldSize, linkable {
            // The descriptor's own file, by its /proc name (AT_SYMLINK_FOLLOW): the one compared.
            if linkat(AT_FDCWD, "/proc/self/fd/\(old)", AT_FDCWD, path, AT_SYMLINK_FOLLOW) == 0 {
                return
            }
        }
        if output < 0 { try startWriting() }
        Syscalls.close(output)
        output = -1
    }

    private func oldMatches(_ bytes: [UInt8]) throws -> Bool {
        // Room for the old bytes only while they are compared: an export holds hundreds of these files at once.
        let room = UnsafeMutableRawBufferPointer.allocate(
            byteCount: max(1, bytes.count), alignment: 16)
        defer { room.deallocate() }
        let got = try Syscalls.pread(
            old, into: UnsafeMutableRawBufferPointer(rebasing: room[0..<bytes.count]), at: matched,
            path: previous)
        guard got == bytes.count else { return false }
        return bytes.withUnsafeBytes { theirs in
            guard let first = room.baseAddress, let second = theirs.baseAddress else { return true }
            return memcmp(first, second, bytes.count) == 0
        }
    }

    /// Creates the new file, with the part of the old one that matched.
    private func startWriting() throws {
        guard output < 0 else { return }
        output = try Syscalls.open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0o600)
        var copied = 0
        let room = UnsafeMutableRawBufferPointer.allocate(
            byteCount: max(1, min(matched, 1 << 20)), alignment: 16)
        defer { room.deallocate() }
        while copied < matched {
            let piece = UnsafeMutableRawBufferPointer(
                rebasing: room[0..<min(matched - copied, room.count)])
            let got = try Syscalls.pread(old, into: piece, at: copied, path: previous)
            guard got == piece.count else {
                throw SystemCallError(call: "read", errno: EIO, path: previous)
            }
            try Syscalls.writeAll(output, UnsafeRawBufferPointer(piece), path: path)
            copied += piece.count
        }
        if old >= 0 { Syscalls.close(old) }
        old = -1
    }
}
