import Testing

@testable import LedgerEngine

/// `verify`'s checked slices take their memory from a pool and give it back: a block given back is handed out
/// again (it is not mapped and faulted in afresh), only a block of the size asked for, and no more are kept
/// than the pool was made to keep. A buffer on the pool holds, moves and destroys its elements as one on the
/// allocator does.
@Suite("The checked slices' block pool")
struct BlockPoolTests {
    @Test("a block given back is handed out again for the same size, and only for it")
    func reuse() {
        let pool = BlockPool(keep: 2)
        let first = pool.take(bytes: 4096)
        pool.give(first, bytes: 4096)
        let other = pool.take(bytes: 8192)
        #expect(other != first)
        #expect(pool.take(bytes: 4096) == first)
        pool.give(other, bytes: 8192)
        pool.give(first, bytes: 4096)
    }

    @Test("no more blocks are kept than the pool keeps")
    func bounded() {
        let pool = BlockPool(keep: 2)
        let blocks = (0..<3).map { _ in pool.take(bytes: 256) }
        for block in blocks { pool.give(block, bytes: 256) }
        #expect(pool.kept == 2)
        let again = [pool.take(bytes: 256), pool.take(bytes: 256)]
        #expect(Set(again).isSubset(of: blocks))
        #expect(pool.kept == 0)
        for block in again { pool.give(block, bytes: 256) }
    }

    /// Counts its live instances, to show each is destroyed exactly once.
    final class Tracked {
        nonisolated(unsafe) static var live = 0
        let value: Int
        init(_ value: Int) {
            self.value = value
            Self.live += 1
        }
        deinit { Self.live -= 1 }
    }

    @Test(
        "a buffer on the pool grows, takes and destroys its elements as one on the allocator does")
    func buffer() {
        let pool = BlockPool(keep: 4)
        do {
            let buffer = InPlaceBuffer<Tracked>(capacity: 16, pool: pool)
            for value in 0..<100 { buffer.append(Tracked(value)) }
            #expect(buffer.count == 100)
            #expect((0..<100).allSatisfy { buffer.element($0).pointee.value == $0 })
            #expect(buffer.takeFirst()?.value == 0)
            #expect(Tracked.live == 99)
        }
        #expect(Tracked.live == 0)
        // Its blocks went back to the pool: the first, and each size it grew through (16 to 128 elements).
        #expect(pool.kept == 4)
    }
}
