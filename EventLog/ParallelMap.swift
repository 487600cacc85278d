import Dispatch

/// Independent pieces of work done on every core, their results in order.
public enum ParallelMap {
    /// `body(index)` for every index in `0..<count`, on `threads` threads (default: as many as the reader uses,
    /// so `LEDGER_THREADS` holds here too), returned in index order. Thread `t` takes indexes `t`, `t + threads`,
    /// …, so pieces of like cost spread evenly. With one thread, or one piece, it runs on the caller's thread.
    public static func map<Result: Sendable>(
        _ count: Int, threads: Int = ParallelLineReader.processors,
        _ body: @Sendable (Int) -> Result
    ) -> [Result] {
        let threads = max(1, min(threads, count))
        if threads == 1 { return (0..<count).map(body) }
        let results = Slots<Result>(count: count)
        DispatchQueue.concurrentPerform(iterations: threads) { thread in
            for index in stride(from: thread, to: count, by: threads) {
                results.store(index, body(index))
            }
        }
        // Every slot was stored: `concurrentPerform` returns when every piece is done.
        return results.takeAll { _ in
            preconditionFailure("concurrentPerform returned before every piece was done")
        }
    }

    /// `body(range)` for `0..<count` cut into ranges of `size` (the last may be shorter), a range per piece of
    /// work as `map` does them, returned in order.
    public static func map<Result: Sendable>(
        ranges count: Int, size: Int, threads: Int = ParallelLineReader.processors,
        _ body: @Sendable (Range<Int>) -> Result
    ) -> [Result] {
        let size = max(1, size)
        return map((count + size - 1) / size, threads: threads) {
            body(range($0, size: size, count: count))
        }
    }

    /// The `index`th range of `size` in `0..<count`.
    public static func range(_ index: Int, size: Int, count: Int) -> Range<Int> {
        (index * size)..<min(count, (index + 1) * size)
    }

    /// One slot per piece of work, each written by one thread only (raw storage: no shared bookkeeping).
    private final class Slots<Value>: @unchecked Sendable {
        private let storage: UnsafeMutablePointer<Value?>
        private let count: Int

        init(count: Int) {
            self.count = count
            storage = .allocate(capacity: count)
            storage.initialize(repeating: nil, count: count)
        }

        deinit {
            storage.deinitialize(count: count)
            storage.deallocate()
        }

        func store(_ index: Int, _ value: consuming Value) { storage[index] = value }

        /// The slots' values, in order, moved out; `missing(index)` for a slot never stored.
        func takeAll(missing: (Int) -> Value) -> [Value] {
            (0..<count).map { storage[$0].take() ?? missing($0) }
        }
    }
}
