#if canImport(Glibc)
    import Glibc
#endif

/// A growable buffer whose elements are read, changed and moved out where they lie, never copied out.
///
/// For large values handed between threads (a slice of checked lines, of prepared events): a copy of one retains
/// every string and reference in it, and releases them again. Elements are appended at the end and may be moved
/// out from the front, in order (`takeFirst`); the rest are destroyed with the buffer. Whoever holds it makes sure
/// one thread at a time changes a given element.
final class InPlaceBuffer<Element>: @unchecked Sendable {
    private var base: UnsafeMutablePointer<Element>
    private var capacity: Int
    /// Elements appended, including those taken.
    private(set) var count = 0
    /// Elements moved out from the front.
    private var taken = 0
    /// Where the memory comes from and goes back to, if not the allocator.
    private let pool: BlockPool?

    init(capacity: Int, pool: BlockPool? = nil) {
        self.capacity = max(16, capacity)
        self.pool = pool
        base = Self.allocate(self.capacity, pool)
    }

    deinit {
        (base + taken).deinitialize(count: count - taken)
        Self.deallocate(base, capacity, pool)
    }

    private static func allocate(_ capacity: Int, _ pool: BlockPool?) -> UnsafeMutablePointer<
        Element
    > {
        guard let pool else { return .allocate(capacity: capacity) }
        return pool.take(bytes: capacity * MemoryLayout<Element>.stride)
            .bindMemory(to: Element.self, capacity: capacity)
    }

    private static func deallocate(
        _ base: UnsafeMutablePointer<Element>, _ capacity: Int, _ pool: BlockPool?
    ) {
        guard let pool else { return base.deallocate() }
        pool.give(UnsafeMutableRawPointer(base), bytes: capacity * MemoryLayout<Element>.stride)
    }

    /// Stores `element` at the end; where it now lies (until the next append).
    @discardableResult
    func append(_ element: consuming Element) -> UnsafeMutablePointer<Element> {
        if count == capacity {
            let larger = Self.allocate(capacity * 2, pool)
            (larger + taken).moveInitialize(from: base + taken, count: count - taken)
            Self.deallocate(base, capacity, pool)
            capacity *= 2
            base = larger
        }
        (base + count).initialize(to: element)
        count += 1
        return base + count - 1
    }

    /// The element at `position`, in place (one not taken yet).
    func element(_ position: Int) -> UnsafeMutablePointer<Element> {
        precondition(
            position >= taken && position < count, "element \(position) of \(taken)..<\(count)")
        return base + position
    }

    /// The first element not taken yet, moved out.
    func takeFirst() -> Element? {
        guard taken < count else { return nil }
        defer { taken += 1 }
        return (base + taken).move()
    }
}

/// Blocks of memory given back and handed out again, for buffers of one size made and freed over and over on
/// several threads (`verify`'s checked slices, a few megabytes each): freed to the allocator, each was mapped and
/// faulted in afresh, page by page, and the pages cleared (4% of verify). Keeps a few blocks at most.
final class BlockPool: @unchecked Sendable {
    private var blocks: [(memory: UnsafeMutableRawPointer, bytes: Int)] = []
    private var mutex = pthread_mutex_t()
    private let keep: Int

    /// A pool that keeps up to `keep` blocks.
    init(keep: Int) {
        self.keep = keep
        pthread_mutex_init(&mutex, nil)
    }

    deinit {
        for block in blocks { block.memory.deallocate() }
        pthread_mutex_destroy(&mutex)
    }

    /// A block of at least `bytes` bytes, aligned for any element: a kept one if one is large enough.
    func take(bytes: Int) -> UnsafeMutableRawPointer {
        pthread_mutex_lock(&mutex)
        let found = blocks.firstIndex { $0.bytes == bytes }
        let kept = found.map { blocks.remove(at: $0).memory }
        pthread_mutex_unlock(&mutex)
        return kept ?? .allocate(byteCount: bytes, alignment: 16)
    }

    /// How many blocks it keeps now.
    var kept: Int {
        pthread_mutex_lock(&mutex)
        defer { pthread_mutex_unlock(&mutex) }
        return blocks.count
    }

    /// Gives back a block `take` handed out, of `bytes` bytes (as asked for).
    func give(_ memory: UnsafeMutableRawPointer, bytes: Int) {
        pthread_mutex_lock(&mutex)
        let keeping = blocks.count < keep
        if keeping { blocks.append((memory, bytes)) }
        pthread_mutex_unlock(&mutex)
        if !keeping { memory.deallocate() }
    }
}
