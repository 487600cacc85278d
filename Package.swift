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
        // Domain: catalogue, type rules, policies, calendar, write-side rules. It reads and writes the line format
        // through EventLog's types but does no I/O of its own: no Glibc, no Dispatch, no files (DomainPurityTests).
        .target(name: "LedgerCore", dependencies: ["EventLog"], path: "Sources/LedgerCore"),
        // Engine: scanning and in-place validation, append sessions, verification, the write state's store, the
        // access log: the domain's rules applied to the log on disk.
        .target(
            name: "LedgerEngine", dependencies: ["EventLog", "LedgerCore"],
            path: "Sources/LedgerEngine"),
        // The demo generator (`ledger demo`, the benchmark's log, the tests' scenarios and the fold's fingerprint).
        .target(
            name: "LedgerDemo", dependencies: ["EventLog", "LedgerCore", "LedgerEngine"],
            path: "Sources/LedgerDemo"),
        // Pure folds over the event stream, and their row builders.
        .target(
            name: "Projections", dependencies: ["EventLog", "LedgerCore", "LedgerDemo"],
            path: "Projections"),
        // Queries: what a command asks of the log through the folds (the parallel scan of a fold, checkpoints).
        .target(
            name: "LedgerQueries",
            dependencies: ["EventLog", "LedgerCore", "LedgerEngine", "LedgerDemo", "Projections"],
            path: "Sources/LedgerQueries"),
        // The Swift runtime linked in, not loaded: a single `ledger append` is a whole process, and resolving the
        // runtime's shared libraries took a few of its milliseconds.
        .executableTarget(
            name: "ledger",
            dependencies: [
                "CAllocator", "EventLog", "LedgerCore", "LedgerEngine", "LedgerDemo",
                "LedgerQueries",
                "Projections",
            ],
            path: "Sources/ledger",
            linkerSettings: [.unsafeFlags(["-static-stdlib"], .when(platforms: [.linux]))]),
        // The benchmark: `swift run -c release ledger-bench` (see BENCHMARKS.md).
        .executableTarget(
            name: "ledger-bench",
            dependencies: [
                "EventLog", "LedgerCore", "LedgerEngine", "LedgerDemo", "LedgerQueries",
                "Projections",
            ],
            path: "Benchmarks"),
        .target(
            name: "LedgerTestSupport",
            dependencies: ["EventLog", "LedgerCore", "LedgerEngine", "LedgerDemo"],
            path: "Tests/LedgerTestSupport"),
        .testTarget(
            name: "EventLogTests",
            dependencies: [
                "CAllocator", "EventLog", "LedgerCore", "LedgerEngine", "LedgerTestSupport",
            ]),
        .testTarget(
            name: "LedgerCoreTests",
            dependencies: [
                "LedgerCore", "LedgerEngine", "LedgerDemo", "EventLog", "LedgerTestSupport",
            ]),
        .testTarget(
            name: "ProjectionsTests",
            dependencies: [
                "Projections", "LedgerCore", "LedgerEngine", "LedgerDemo", "LedgerQueries",
                "EventLog",
                "LedgerTestSupport",
            ]),
        .testTarget(
            name: "LedgerCLITests",
            dependencies: [
                "EventLog", "LedgerCore", "LedgerEngine", "LedgerDemo", "LedgerTestSupport",
            ]),
    ],
    swiftLanguageModes: [.v6]
)

for target in package.targets where !["CSHA256", "CAllocator"].contains(target.name) {
    var settings = target.swiftSettings ?? []
    settings.append(.enableUpcomingFeature("ExistentialAny"))
    settings.append(.enableUpcomingFeature("MemberImportVisibility"))
    target.swiftSettings = settings
}
