import EventLog
import Testing

@Suite("ParallelMap")
struct ParallelMapTests {
    @Test(
        "results in index order, every index once, for any number of threads",
        arguments: [1, 2, 3, 8, 200])
    func inOrder(threads: Int) {
        #expect(ParallelMap.map(0, threads: threads) { $0 }.isEmpty)
        #expect(ParallelMap.map(1, threads: threads) { "\($0)" } == ["0"])
        let squares = ParallelMap.map(100, threads: threads) { index in
            (index, [String](repeating: "x", count: index % 4))
        }
        #expect(squares.map(\.0) == Array(0..<100))
        #expect(squares.map(\.1.count) == (0..<100).map { $0 % 4 })
    }

    @Test(
        "ranges of a size cover every index once, in order, the last one shorter",
        arguments: [(0, 4, 2), (1, 4, 2), (10, 4, 2), (12, 4, 3), (7, 1, 1), (5, 0, 2)])
    func ranges(count: Int, size: Int, threads: Int) {
        let ranges = ParallelMap.map(ranges: count, size: size, threads: threads) { $0 }
        #expect(ranges.flatMap { Array($0) } == Array(0..<count))
        #expect(ranges.dropLast().allSatisfy { $0.count == max(1, size) })
        #expect(ranges.last.map { $0.count >= 1 && $0.count <= max(1, size) } ?? (count == 0))
    }
}
