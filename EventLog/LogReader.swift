#if canImport(Glibc)
    import Glibc
#endif

/// Reads a log (or any JSON-lines file) line by line in fixed-size chunks, so memory stays bounded however long
/// the file is. Lines are handed out as slices of the chunk buffer, valid only during the callback.
public struct LogReader {
    /// Where a line sits in the file.
    public struct Position: Sendable, Equatable {
        /// 1-based line number from the start of reading.
        public var lineNumber: Int
        /// Byte offset of the line's first byte.
        public var offset: Int
    }

    /// What ends a read early.
    public enum Stop: Error { case requested }

    private let path: String
    private let inheritedDescriptor: Int32?
    private let chunkSize: Int

    /// A reader of the file at `path`.
    public init(path: String, chunkSize: Int = 4 << 20) {
        self.path = path
        self.inheritedDescriptor = nil
        self.chunkSize = chunkSize
    }

    /// A reader of an open descriptor (standard input), read sequentially from where it stands.
    public init(descriptor: Int32, name: String, chunkSize: Int = 1 << 20) {
        self.path = name
        self.inheritedDescriptor = descriptor
        self.chunkSize = chunkSize
    }

    /// Calls `body` for every complete line from `offset` up to `end` (default: end of file), newline excluded.
    /// A final line without a newline is passed with `complete: false`. Lines longer than `maxLine` are handed
    /// over truncated to their first `maxLine` bytes with `tooLong` set, so callers refuse them without holding
    /// them whole.
    public func forEachLine(
        from offset: Int = 0, to end: Int? = nil, maxLine: Int = LineFormat.maxLineBytes + 1,
        _ body: (_ line: UnsafeBufferPointer<UInt8>, _ position: Position, _ info: LineInfo) throws
            -> Void
    ) throws {
        let descriptor = try inheritedDescriptor ?? Syscalls.open(path, O_RDONLY)
        defer { if inheritedDescriptor == nil { Syscalls.close(descriptor) } }
        // A pipe, a FIFO, a terminal or `/dev/stdin` has no size (fstat says 0): read until end of input. Only a
        // regular file opened here is read up to its size (which a writer appending meanwhile cannot move).
        let status = try Syscalls.status(descriptor, path: path)
        let seekable = inheritedDescriptor == nil && status.isRegular
        let limit = seekable ? end ?? status.size : end ?? Int.max
        if !seekable && offset > 0 {
            throw SystemCallError(call: "lseek", errno: ESPIPE, path: path)
        }
        if seekable && offset > 0 {
            _ = try Syscalls.check("lseek", path) {
                Int(lseek(descriptor, off_t(offset), SEEK_SET))
            }
        }
        var buffer = [UInt8](repeating: 0, count: max(chunkSize, maxLine + 1))
        var filled = 0
        var fileOffset = offset
        var bufferOffset = offset  // file offset of buffer[0]
        var lineNumber = 0
        var skipping = false  // inside an over-long line already reported
        try buffer.withUnsafeMutableBytes { raw in
            let base = raw.bindMemory(to: UInt8.self)
            while fileOffset < limit {
                let want = min(raw.count - filled, limit - fileOffset)
                let got = try Syscalls.read(
                    descriptor,
                    into: UnsafeMutableRawBufferPointer(rebasing: raw[filled..<(filled + want)]),
                    path: path)
                if got == 0 { break }
                fileOffset += got
                filled += got
                var start = 0
                while let newline = memchrIndex(base, from: start, to: filled) {
                    if skipping {
                        skipping = false
                    } else {
                        lineNumber += 1
                        let length = newline - start
                        let tooLong = length > maxLine
                        try body(
                            UnsafeBufferPointer(
                                rebasing: base[start..<(start + min(length, maxLine))]),
                            Position(lineNumber: lineNumber, offset: bufferOffset + start),
                            LineInfo(complete: true, tooLong: tooLong, length: length))
                    }
                    start = newline + 1
                }
                if skipping {
                    bufferOffset += filled
                    filled = 0
                    continue
                }
                let partial = filled - start
                if partial > maxLine {
                    // Report an over-long line once, from its first bytes, then skip to its end.
                    lineNumber += 1
                    try body(
                        UnsafeBufferPointer(rebasing: base[start..<(start + maxLine)]),
                        Position(lineNumber: lineNumber, offset: bufferOffset + start),
                        LineInfo(complete: true, tooLong: true, length: partial))
                    skipping = true
                    bufferOffset += filled
                    filled = 0
                    continue
                }
                if start > 0, let pointer = base.baseAddress {
                    if partial > 0 { memmove(pointer, pointer + start, partial) }
                    bufferOffset += start
                    filled = partial
                }
            }
            if filled > 0 && !skipping {
                lineNumber += 1
                try body(
                    UnsafeBufferPointer(rebasing: base[0..<filled]),
                    Position(lineNumber: lineNumber, offset: bufferOffset),
                    LineInfo(complete: false, tooLong: false, length: filled))
            }
        }
    }

    private func memchrIndex(_ base: UnsafeMutableBufferPointer<UInt8>, from: Int, to: Int) -> Int?
    {
        guard from < to, let start = base.baseAddress else { return nil }
        guard let found = memchr(start + from, 0x0A, to - from) else { return nil }
        return start.distance(to: found.assumingMemoryBound(to: UInt8.self))
    }
}

/// Facts about a line handed out by `LogReader`.
public struct LineInfo: Sendable {
    /// False for a last line with no newline after it.
    public var complete: Bool
    /// True when the line was longer than the reader's limit and was cut.
    public var tooLong: Bool
    /// The line's full length in bytes (as far as it was read, for a cut line).
    public var length: Int
}

/// Reads whole lines at known offsets (a second pass that visits a few lines out of order).
public final class LineReader {
    private let path: String
    private let descriptor: Int32
    private let size: Int

    /// Opens the file at `path` for reading.
    public init(path: String) throws {
        self.path = path
        let opened = try LedgerFile.open(path, O_RDONLY)
        descriptor = opened.descriptor
        size = opened.status.size
    }

    deinit { Syscalls.close(descriptor) }

    /// The line starting at `offset`, without its newline; nil past the end or for an over-long line.
    public func line(at offset: Int) throws -> [UInt8]? {
        try Tail.line(descriptor: descriptor, at: offset, path: path, end: size)
    }
}
