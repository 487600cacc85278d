import CAllocator
import Testing

@Suite("The allocator's settings")
struct AllocatorTests {
    /// A rebuild relies on these taking (its peak memory does): a build where the C side compiled its fallback
    /// (as it once did, when glibc's macro was tested before any header defined it) returns 0 here.
    @Test("the mapping threshold and the arena count are set on Linux", .enabled(if: isLinux))
    func tuned() {
        #expect(callocator_tune(256 << 10, 2) == 1)
    }
}

#if os(Linux)
    let isLinux = true
#else
    let isLinux = false
#endif
