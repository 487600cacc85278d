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

    init(capacity: Int) {
        self.capacity = max(16, capacity)
        base = .allocate(capacity: self.capacity)
    }

    deinit {
        (base + taken).deinitialize(count: count - taken)
        base.deallocate()
    }

    /// Stores `element` at the end; where it now lies (until the next append).
    @discardableResult
    func append(_ element: consuming Element) -> UnsafeMutablePointer<Element> {
        if count == capacity {
            capacity *= 2
            let larger = UnsafeMutablePointer<Element>.allocate(capacity: capacity)
            (larger + taken).moveInitialize(from: base + taken, count: count - taken)
            base.deallocate()
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
