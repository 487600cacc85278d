import EventLog
import LedgerCore
import LedgerTestSupport
import Testing

/// The parallel reader against the sequential one: the same lines, offsets and flags, in the same order, for any
/// chunk size and number of threads, including lines over the size limit and a torn last line.
@Suite("Parallel line reader agrees with LogReader")
struct ParallelLineReaderTests {
    struct Seen: Equatable, Sendable {
        var offset: Int
        var bytes: [UInt8]
        var complete: Bool
        var tooLong: Bool
    }

    static let maxLine = 100

    /// Lines of many lengths (empty ones too), two over the limit (one far over), and optionally a torn tail.
    static func file(tornTail: Bool) -> [UInt8] {
        var generator = SplitMix(seed: 11)
        var bytes: [UInt8] = []
        for index in 0..<400 {
            let length: Int
            switch index {
            case 57: length = maxLine + 1
            case 211: length = 5 * maxLine + 3
            default: length = generator.int(0..<maxLine)
            }
            bytes += (0..<length).map { UInt8(0x61 + ($0 + index) % 26) }
            bytes.append(0x0A)
        }
        if tornTail { bytes += Array("{\"seq\":401,\"id\":\"cut".utf8) }
        return bytes
    }

    static func sequential(_ path: String, from: Int = 0, to: Int? = nil) throws -> [Seen] {
        var seen: [Seen] = []
        try LogReader(path: path, chunkSize: 256).forEachLine(from: from, to: to, maxLine: maxLine)
        { line, position, info in
            seen.append(
                Seen(
                    offset: position.offset, bytes: Array(line), complete: info.complete,
                    tooLong: info.tooLong))
        }
        return seen
    }

    static func parallel(
        _ path: String, chunkSize: Int, threads: Int, from: Int = 0, to: Int? = nil
    ) throws -> [Seen] {
        var seen: [Seen] = []
        try ParallelLineReader(path: path, chunkSize: chunkSize, threads: threads).read(
            from: from, to: to, maxLine: maxLine,
            parse: { slice in
                var lines: [Seen] = []
                slice.forEachLine(maxLine: maxLine) { line, start, _, tooLong in
                    lines.append(
                        Seen(
                            offset: slice.chunkOffset + start, bytes: Array(line), complete: true,
                            tooLong: tooLong))
                }
                return lines
            },
            consume: { piece in
                switch piece {
                case .parsed(let lines): seen += lines
                case .line(let line, let offset, let info):
                    seen.append(
                        Seen(
                            offset: offset, bytes: Array(line), complete: info.complete,
                            tooLong: info.tooLong))
                }
            })
        return seen
    }

    static let settings: [(chunkSize: Int, threads: Int)] = [7, 64, 333, 4096, 1 << 20].flatMap {
        size in
        [1, 2, 3].map { (size, $0) }
    }

    @Test("same lines, offsets and flags", arguments: [false, true], settings)
    func agrees(tornTail: Bool, setting: (chunkSize: Int, threads: Int)) throws {
        let (chunkSize, threads) = setting
        let directory = TemporaryDirectory()
        let path = directory.file("lines.txt")
        writeBytes(Self.file(tornTail: tornTail), to: path)
        let expected = try Self.sequential(path)
        #expect(expected.count == 400 + (tornTail ? 1 : 0))
        #expect(expected.filter(\.tooLong).count == 2)
        #expect(try Self.parallel(path, chunkSize: chunkSize, threads: threads) == expected)
    }

    @Test("from a line's start up to a line's end: only the lines in between")
    func range() throws {
        let directory = TemporaryDirectory()
        let path = directory.file("lines.txt")
        writeBytes(Self.file(tornTail: true), to: path)
        let all = try Self.sequential(path)
        let start = all[100].offset
        let end = all[300].offset
        let expected = try Self.sequential(path, from: start, to: end)
        #expect(expected.first?.offset == start && expected.count == 200)
        for chunkSize in [5, 50, 5000] {
            #expect(
                try Self.parallel(path, chunkSize: chunkSize, threads: 2, from: start, to: end)
                    == expected)
        }
    }

    @Test("an empty file gives nothing; a file of one torn line gives that line")
    func edges() throws {
        let directory = TemporaryDirectory()
        let path = directory.file("lines.txt")
        writeBytes([], to: path)
        #expect(try Self.parallel(path, chunkSize: 8, threads: 2).isEmpty)
        writeBytes(Array("no newline".utf8), to: path)
        #expect(
            try Self.parallel(path, chunkSize: 4, threads: 2) == [
                Seen(offset: 0, bytes: Array("no newline".utf8), complete: false, tooLong: false)
            ])
    }

    @Test("a consumer that throws stops the read cleanly")
    func consumerThrows() throws {
        struct Enough: Error {}
        let directory = TemporaryDirectory()
        let path = directory.file("lines.txt")
        writeBytes(Self.file(tornTail: false), to: path)
        var consumed = 0
        #expect(throws: Enough.self) {
            try ParallelLineReader(path: path, chunkSize: 64, threads: 2).read(
                maxLine: Self.maxLine,
                parse: { $0.forEachLine(maxLine: Self.maxLine) { _, _, _, _ in } },
                consume: { _ in
                    consumed += 1
                    if consumed == 3 { throw Enough() }
                })
        }
        #expect(consumed == 3)
    }
}
