import EventLog
import LedgerCore
import LedgerTestSupport
import Projections
import Testing

/// The checkpoint's snapshot written as it is made (`writeSnapshot`) against the snapshot made whole.
@Suite("A fold's snapshot written in pieces")
struct SnapshotStreamTests {
    @Test(
        "in pieces of any size: the snapshot made whole, byte for byte",
        arguments: [7, 4096, 1 << 20])
    func pieces(size: Int) throws {
        let fold = try FoldEquivalenceTests.plain(try DemoLog.path(families: 120))
        let whole = fold.snapshot()
        #expect(whole.count > 50_000, "the demo fold is big enough to come in many pieces")
        var pieces: [[UInt8]] = []
        #expect(fold.writeSnapshot(pieces: size) { pieces.append($0) })
        #expect(pieces.flatMap { $0 } == whole)
        // After the string table, each piece but the last is about the size asked for (a write of a few bytes may
        // run over).
        #expect(
            pieces.dropFirst().dropLast().allSatisfy { $0.count >= size && $0.count < size + 64 })
        #expect(size > whole.count || pieces.count > 2)
    }

    @Test("what is written restores the fold: every projection as from the log")
    func restores() throws {
        let fold = try FoldEquivalenceTests.plain(try DemoLog.path(families: 120))
        var bytes: [UInt8] = []
        #expect(fold.writeSnapshot(pieces: 1000) { bytes += $0 })
        let restored = try LedgerFold(snapshot: bytes)
        #expect(FoldEquivalenceTests.rows(restored) == FoldEquivalenceTests.rows(fold))
    }
}
