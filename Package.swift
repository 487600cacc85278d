// swift-tools-version: 6.0
import PackageDescription

let package = Package(
    // Linux only: the storage engine calls Glibc (flock, fallocate, renameat2, mmap) directly, so no Apple
    // platform is claimed.
    name: "ledger",
    products: [
        .executable(name: "ledger", targets: ["ledger"]),
        .library(name: "LedgerCore", targets: ["LedgerCore"]),
    ],
    targets: [
        // Storage engine: line format, hash chain, locking, append, read, recover. Knows nothing of families.
        .target(name: "EventLog", dependencies: ["CSHA256"], path: "EventLog"),
        // SHA-256 block compression with the processor's SHA extensions (C intrinsics); EventLog falls back to
        // portable Swift where they are missing.
        .target(name: "CSHA256", path: "Sources/CSHA256"),
        // The C allocator's settings (glibc's mallopt, which Swift's Glibc module does not declare).
        .target(name: "CAllocator", path: "Sources/CAllocator"),
        // Domain: JSON, catalogue, validation, policies, working-day calendar.
        .target(name: "LedgerCore", dependencies: ["EventLog"], path: "Sources/LedgerCore"),
        // Pure folds over the event stream, and their writers.
        .target(name: "Projections", dependencies: ["LedgerCore"], path: "Projections"),
        // The Swift runtime linked in, not loaded: a single `ledger append` is a whole process, and resolving the
        // runtime's shared libraries took a few of its milliseconds.
        .executableTarget(
            name: "ledger", dependencies: ["CAllocator", "EventLog", "LedgerCore", "Projections"],
            path: "Sources/ledger",
            linkerSettings: [.unsafeFlags(["-static-stdlib"], .when(platforms: [.linux]))]),
        // The benchmark: `swift run -c release ledger-bench` (see BENCHMARKS.md).
        .executableTarget(
            name: "ledger-bench", dependencies: ["EventLog", "LedgerCore", "Projections"],
            path: "Benchmarks"),
        .target(
            name: "LedgerTestSupport", dependencies: ["EventLog", "LedgerCore"],
            path: "Tests/LedgerTestSupport"),
        .testTarget(
            name: "EventLogTests",
            dependencies: ["CAllocator", "EventLog", "LedgerCore", "LedgerTestSupport"]),
        .testTarget(
            name: "LedgerCoreTests", dependencies: ["LedgerCore", "EventLog", "LedgerTestSupport"]),
        .testTarget(
            name: "ProjectionsTests",
            dependencies: ["Projections", "LedgerCore", "LedgerTestSupport"]),
        .testTarget(
            name: "LedgerCLITests", dependencies: ["EventLog", "LedgerCore", "LedgerTestSupport"]),
    ],
    swiftLanguageModes: [.v6]
)

for target in package.targets where !["CSHA256", "CAllocator"].contains(target.name) {
    var settings = target.swiftSettings ?? []
    settings.append(.enableUpcomingFeature("ExistentialAny"))
    settings.append(.enableUpcomingFeature("MemberImportVisibility"))
    target.swiftSettings = settings
}
