#if canImport(Glibc)
    import Glibc
#endif

/// Reads lines of a log where they lie, by offset and length (a rebuild reads only the lines of the families whose
/// pages it writes, found by an index), or any bytes of a file: one descriptor for many reads, closed when
/// released.
///
/// Each line is read with the byte before it and its newline after it, and both are checked: an offset that does
/// not start a whole line of the file (a stale or damaged index) is an answer of nil, never another line's bytes.
public final class ScatteredLineReader: Sendable {
    public let path: String
    let descriptor: Int32
    /// The file's size when it was opened.
    public let size: Int

    /// Opens the log at `path` for reading (a regular file, not through a symlink).
    public init(path: String) throws(EventLogError) {
        self.path = path
        let (descriptor, status) = try LedgerFile.open(path, O_RDONLY)
        self.descriptor = descriptor
        size = status.size
    }

    deinit { Syscalls.close(descriptor) }

    /// The `count` bytes at `offset`; nil when the file ends before them.
    public func bytes(at offset: Int, count: Int) throws(EventLogError) -> [UInt8]? {
        guard offset >= 0, count >= 0, offset + count <= size else { return nil }
        var failure: SystemCallError?
        var complete = false
        let bytes = [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            do throws(SystemCallError) {
                let got = try Syscalls.pread(
                    descriptor, into: UnsafeMutableRawBufferPointer(buffer), at: offset, path: path)
                complete = got == count
            } catch {
                failure = error
            }
            initialized = complete ? count : 0
        }
        if let failure { throw .system(failure) }
        return complete ? bytes : nil
    }

    /// The lines at `lines` (each an offset and a length, without its newline), read into one chunk one after the
    /// other, each followed by its newline, with where each starts in the chunk; nil when any of them is not a whole
    /// line of the file (the byte before it, unless it starts the file, and the byte after it must be newlines).
    public func read(_ lines: [(offset: Int, length: Int)]) throws(EventLogError) -> (
        chunk: LogChunk, starts: [Int]
    )? {
        // One byte before each line is read too: the first line's into an extra byte at the chunk's start, every
        // other's over the newline of the line before it (a newline itself when the check passes).
        let total = lines.reduce(1) { $0 + $1.length + 1 }
        let chunk = LogChunk(capacity: total)
        let base = chunk.mutableBase
        var starts: [Int] = []
        starts.reserveCapacity(lines.count)
        var position = 0
        for line in lines {
            guard line.offset >= 0, line.length >= 0, line.offset + line.length < size else {
                return nil
            }
            let from = line.offset == 0 ? 1 : 0
            let buffer = UnsafeMutableRawBufferPointer(
                start: base + position + from, count: line.length + 2 - from)
            let got: Int
            do {
                got = try Syscalls.pread(
                    descriptor, into: buffer, at: line.offset - 1 + from, path: path)
            } catch { throw .system(error) }
            guard got == buffer.count, from == 1 || base[position] == 0x0A,
                base[position + 1 + line.length] == 0x0A
            else { return nil }
            if from == 1 { base[position] = 0x0A }
            starts.append(position + 1)
            position += line.length + 1
        }
        chunk.count = position + 1
        return (chunk, starts)
    }
}
