import EventLog
@testable import LedgerEngine
import Testing

@testable import LedgerCore

/// The live environment's randomness: the kernel's bytes, read a page at a time, each handed out once.
@Suite("Kernel randomness")
struct KernelRandomTests {
    @Test(
        "every request gets the bytes it asked for, across the pool's refills",
        arguments: [0, 1, 16, 4095, 4096, 4097, 10_000])
    func lengths(count: Int) {
        #expect(KernelRandom.shared.bytes(count).count == count)
        #expect(KernelRandom.fromGenerator(count).count == count)
    }

    @Test("no salt repeats, and the bytes are not stuck")
    func distinct() {
        // 600 salts of 16 bytes cross two refills of the 4 KiB pool.
        let salts = (0..<600).map { _ in LedgerEnvironment.live.makeSalt() }
        #expect(Set(salts).count == salts.count)
        #expect(salts.allSatisfy { $0.utf8.count == 32 && Hex.isLowercaseHex($0.utf8, count: 32) })
        // Over 9,600 bytes every value of a byte turns up (a pool handed out twice, or zeroed, would not).
        let bytes = KernelRandom.shared.bytes(9_600)
        #expect(Set(bytes).count == 256)
    }

    @Test("generated ids are version-4 UUIDs and differ")
    func uuids() {
        let ids = (0..<100).map { _ in LedgerEnvironment.live.makeUUID() }
        #expect(Set(ids).count == 100)
        for id in ids {
            let groups = id.split(separator: "-")
            #expect(groups.map(\.count) == [8, 4, 4, 4, 12])
            #expect(groups[2].first == "4")
        }
    }
}
