import EventLog
import LedgerCore
import LedgerQueries
import LedgerTestSupport
import Projections
import Testing

/// A checkpoint's fold restored on several threads a block of families at a time (`FoldCheckpoint.restore`), as a
/// rebuild restores it, against the snapshot read on one thread (`FoldSnapshot.fold()`).
@Suite("A fold restored on several threads")
struct SnapshotRestoreTests {
    @Test(
        "any block size and number of threads: the same fold, byte for byte, and the same projections",
        arguments: [(1, 2), (7, 2), (16, 3), (50, 2), (2048, 2)])
    func restored(block: Int, threads: Int) throws {
        let fold = try FoldEquivalenceTests.plain(try DemoLog.path(families: 120))
        let bytes = fold.snapshot()
        let snapshot = try FoldSnapshot(bytes)
        #expect(snapshot.index.count == 120)
        let restored = try FoldCheckpoint.restore(snapshot, block: block, threads: threads)
        #expect(restored.families.count == fold.families.count)
        #expect(restored.snapshot() == bytes)
        #expect(FoldEquivalenceTests.rows(restored) == FoldEquivalenceTests.rows(fold))
    }

    @Test("a family's record damaged: restoring it fails, as on one thread")
    func damaged() throws {
        let fold = try FoldEquivalenceTests.plain(try DemoLog.path(families: 120))
        var bytes = fold.snapshot()
        // The last family's record (read by the second thread) starts with an integer that never ends.
        let last = try #require(try FoldSnapshot(bytes).index.last)
        let position = try #require(Self.bodyStart(of: bytes)) + last.offset
        for offset in 0..<11 { bytes[position + offset] = 0xFF }
        let damaged = try FoldSnapshot(bytes)
        #expect(throws: SnapshotError.self) { try damaged.fold() }
        #expect(throws: SnapshotError.self) {
            try FoldCheckpoint.restore(damaged, block: 7, threads: 2)
        }
    }

    /// Where the body starts: after the string table (its count, then each string's length and bytes).
    static func bodyStart(of bytes: [UInt8]) -> Int? {
        var position = 0
        func int() -> Int? {
            var bits: UInt64 = 0
            var shift: UInt64 = 0
            while position < bytes.count {
                let byte = bytes[position]
                position += 1
                bits |= UInt64(byte & 0x7F) << shift
                if byte < 0x80 {
                    let value = Int64(bitPattern: bits)
                    return Int((value >> 1) ^ -(value & 1))
                }
                shift += 7
            }
            return nil
        }
        guard let count = int() else { return nil }
        for _ in 0..<count {
            guard let length = int() else { return nil }
            position += length
        }
        return position
    }
}
