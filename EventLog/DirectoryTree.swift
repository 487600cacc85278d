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
