#if canImport(Glibc)
    import Glibc
#endif

/// Which file is at a path, and which version of it: its device and inode, size and modification time. A writer
/// that notes it after writing a file can tell later, with one `lstat`, whether the file is still the one it
/// wrote (not removed, replaced, cut short or written over since), without reading it.
public struct FileIdentity: Sendable, Equatable {
    public var device: UInt64
    public var inode: UInt64
    public var size: Int
    /// Nanoseconds since the epoch.
    public var modified: Int64

    public init(device: UInt64, inode: UInt64, size: Int, modified: Int64) {
        self.device = device
        self.inode = inode
        self.size = size
        self.modified = modified
    }

    /// The identity of the regular file at `path` (not through a symlink); nil when there is none.
    public init?(path: String) {
        var info = stat()
        guard lstat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { return nil }
        device = UInt64(info.st_dev)
        inode = UInt64(info.st_ino)
        size = Int(info.st_size)
        modified = Int64(info.st_mtim.tv_sec) * 1_000_000_000 + Int64(info.st_mtim.tv_nsec)
    }
}
