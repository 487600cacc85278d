/// A block of bytes read from a log, shared by everything parsed from it.
///
/// Events on the read path are views into the chunk their line was read into (they keep it alive), so reading a
/// million events copies no strings and builds no trees until something asks. The bytes are written once, when
/// the chunk is filled, and never again while anything else holds it: `ParallelLineReader` reuses a chunk only
/// once it is the last holder.
public final class LogChunk: @unchecked Sendable {
    private let storage: UnsafeMutableRawBufferPointer
    /// How many bytes are filled.
    public internal(set) var count = 0

    /// An empty chunk with room for `capacity` bytes.
    public init(capacity: Int) {
        storage = .allocate(byteCount: max(1, capacity), alignment: 64)
    }

    /// A chunk holding a copy of `bytes`.
    public convenience init(copying bytes: UnsafeRawBufferPointer) {
        self.init(capacity: bytes.count)
        if let source = bytes.baseAddress, let target = storage.baseAddress {
            target.copyMemory(from: source, byteCount: bytes.count)
        }
        count = bytes.count
    }

    deinit { storage.deallocate() }

    /// Room for bytes.
    public var capacity: Int { storage.count }

    var mutableBase: UnsafeMutablePointer<UInt8> {
        storage.baseAddress.unsafelyUnwrapped.assumingMemoryBound(to: UInt8.self)
    }

    /// The first byte.
    public var base: UnsafePointer<UInt8> { UnsafePointer(mutableBase) }

    /// The filled bytes at `range`.
    public func bytes(_ range: Range<Int>) -> UnsafeBufferPointer<UInt8> {
        precondition(range.lowerBound >= 0 && range.upperBound <= count, "range outside the chunk")
        return UnsafeBufferPointer(start: base + range.lowerBound, count: range.count)
    }

    /// The text at `range` (UTF-8 the scanner checked).
    public func string(_ range: Range<Int>) -> String {
        String(decoding: bytes(range), as: UTF8.self)
    }
}
