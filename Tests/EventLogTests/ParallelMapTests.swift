import EventLog
import Testing

@Suite("ParallelMap")
struct ParallelMapTests {
    @Test("results in index order, every index once, for any number of threads", arguments: [1, 2, 3, 8, 200])
    func inOrder(threads: Int) {
        #expect(ParallelMap.map(0, threads: threads) { $0 }.isEmpty)
        #expect(ParallelMap.map(1, threads: threads) { "\($0)" } == ["0"])
        let squares = ParallelMap.map(100, threads: threads) { index in (index, [String](repeating: "x", count: index % 4)) }
        #expect(squares.map(\.0) == Array(0..<100))
        #expect(squares.map(\.1.count) == (0..<100).map { $0 % 4 })
    }
}
