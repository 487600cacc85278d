#if canImport(Glibc)
    import Glibc
#endif
import EventLog
import LedgerCore
import Projections

// ledger-bench: generates a log of the chosen size through the real append path, then times the `ledger`
// binary as users run it (whole process, several samples, median, peak memory), and the DuckDB peer when it
// can be run. Usage: swift run -c release ledger-bench [--events N] [--samples K] [--dir DIR] [--keep]

struct Options {
    var events = 1_000_000
    var samples = 5
    var directory = "/tmp/ledger-bench"
    var reuse = false
    /// Sections to run (all when empty): parse, commands, append, peers.
    var only: Set<String> = []
}

func parseOptions() -> Options {
    var options = Options()
    var arguments = Array(CommandLine.arguments.dropFirst())
    while !arguments.isEmpty {
        let name = arguments.removeFirst()
        switch name {
        case "--events": options.events = Int(arguments.isEmpty ? "" : arguments.removeFirst()) ?? options.events
        case "--samples": options.samples = max(1, Int(arguments.isEmpty ? "" : arguments.removeFirst()) ?? options.samples)
        case "--dir": options.directory = arguments.isEmpty ? options.directory : arguments.removeFirst()
        case "--reuse": options.reuse = true
        case "--only": options.only.formUnion((arguments.isEmpty ? "" : arguments.removeFirst()).split(separator: ",").map(String.init))
        default:
            print("usage: ledger-bench [--events N] [--samples K] [--dir DIR] [--reuse] [--only parse,scan,commands,append,peers]")
            exit(2)
        }
    }
    return options
}

func now() -> Double {
    var spec = timespec()
    clock_gettime(CLOCK_MONOTONIC, &spec)
    return Double(spec.tv_sec) + Double(spec.tv_nsec) / 1e9
}

func median(_ values: [Double]) -> Double {
    let sorted = values.sorted()
    return sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
}

/// Runs a program to completion; returns wall seconds and peak resident memory (MiB).
func run(_ arguments: [String], stdout: String = "/dev/null") -> (seconds: Double, peakMiB: Double, status: Int32) {
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    posix_spawn_file_actions_addopen(&actions, 1, stdout, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
    posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
    let argv = arguments.map { strdup($0) } + [nil]
    defer { for pointer in argv { free(pointer) } }
    var pid: pid_t = 0
    let start = now()
    guard posix_spawn(&pid, arguments[0], &actions, nil, argv, environ) == 0 else { return (0, 0, -1) }
    var status: Int32 = 0
    var usage = rusage()
    wait4(pid, &status, 0, &usage)
    let elapsed = now() - start
    posix_spawn_file_actions_destroy(&actions)
    return (elapsed, Double(usage.ru_maxrss) / 1024, (status >> 8) & 0xFF)
}

func ledgerBinary() -> String {
    var buffer = [CChar](repeating: 0, count: 4096)
    let count = readlink("/proc/self/exe", &buffer, buffer.count - 1)
    let exe = count > 0 ? String(decoding: buffer[0..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self) : ""
    let directory = exe.split(separator: "/", omittingEmptySubsequences: false).dropLast().joined(separator: "/")
    return directory + "/ledger"
}

func machineLine() -> String {
    var model = "unknown CPU"
    if let file = fopen("/proc/cpuinfo", "r") {
        var line = [CChar](repeating: 0, count: 512)
        while fgets(&line, 512, file) != nil {
            let text = String(decoding: line.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
            if text.hasPrefix("model name") {
                model = text.split(separator: ":", maxSplits: 1).last.map { $0.trimmingCharacters() } ?? model
                break
            }
        }
        fclose(file)
    }
    let cores = sysconf(Int32(_SC_NPROCESSORS_ONLN))
    let memory = Double(sysconf(Int32(_SC_PHYS_PAGES))) * Double(sysconf(Int32(_SC_PAGESIZE))) / 1_073_741_824
    return "\(model), \(cores) cores, \(Int(memory.rounded())) GiB"
}

extension Substring {
    func trimmingCharacters() -> String {
        String(drop(while: { $0 == " " || $0 == "\t" }).reversed().drop(while: { $0 == " " || $0 == "\n" || $0 == "\t" }).reversed())
    }
}

func fileSize(_ path: String) -> Int { FileOutput.size(path) ?? 0 }

func progress(_ text: String) {
    let bytes = Array(text.utf8)
    _ = bytes.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
}

// MARK: main

let options = parseOptions()
#if DEBUG
    print("WARNING: a debug build; figures are meaningless. Run: swift run -c release ledger-bench")
#endif
let binary = ledgerBinary()
let directory = options.directory
try FileOutput.makeDirectory(directory)
let log = "\(directory)/bench-\(options.events).jsonl"
let today = CivilDate(year: 2026, month: 11, day: 23) ?? CivilDate(dayNumber: 0)
print("ledger-bench: \(options.events) events, \(options.samples) samples (median), \(machineLine())")
print("log: \(log)")

nonisolated(unsafe) var results: [(String, String)] = []
func record(_ name: String, _ value: String) {
    results.append((name, value))
    print("  \(name): \(value)")
}

// 1. Generate and ingest through the real append path, chunk by chunk (bounded memory).
if !(options.reuse && fileSize(log) > 0) {
    DerivedFiles.removeLog(log)
    let store = LedgerStore(path: log, environment: .deterministic(now: Timestamp(startOf: today), seed: 1))
    _ = try store.initialize(policy: JSONObject([JSONMember("profile", "leicestershire-early-help")]),
        effectiveFrom: CivilDate(year: 1990, month: 1, day: 1) ?? today, id: "policy-1")
    var written = 1
    var chunk = 0
    var ingestSeconds = 0.0
    let familiesPerChunk = 2_000
    while written < options.events {
        let scenario = DemoScenario(families: familiesPerChunk, seed: 7, today: today, firstFamily: chunk * familiesPerChunk,
            organisation: chunk == 0)
        var lines = scenario.sortedEntries.map { Array($0.line.utf8) }
        if lines.count > options.events - written { lines.removeLast(lines.count - (options.events - written)) }
        let start = now()
        var firstRefusal: String?
        let summary = try store.append(.lines(lines), mode: .ingest(batchSize: 4096)) { _, outcome, _ in
            if firstRefusal == nil, case .refused(let error) = outcome { firstRefusal = error.description }
        }
        ingestSeconds += now() - start
        if summary.refused > 0 { print("  warning: \(summary.refused) generated events refused, e.g. \(firstRefusal ?? "")") }
        written += summary.appended
        chunk += 1
        progress("\r  generated \(written) events")
    }
    progress("\n")
    record("ingest (in-process, validation on, fsync per 4096)", "\(Int(Double(written - 1) / ingestSeconds)) events/s over \(written - 1) events")
}
print("  log size: \(fileSize(log) / 1_048_576) MiB")

func wants(_ section: String) -> Bool { options.only.isEmpty || options.only.contains(section) }

if wants("parse") {
    print("in-process, over the benchmark log:")
    try parseBenchmark(log: log, samples: options.samples, record: record)
}
if wants("scan") {
    print("in-process, the projections' read path:")
    try scanBenchmark(log: log, samples: options.samples, record: record)
}

// 2. Whole-process timings of the ledger binary.
func measure(_ name: String, _ arguments: [String], warmup: Bool = true) {
    if warmup { _ = run([binary] + arguments) }
    var seconds: [Double] = []
    var peak = 0.0
    var failed = false
    for _ in 0..<options.samples {
        let result = run([binary] + arguments)
        if result.status != 0 { failed = true }
        seconds.append(result.seconds)
        peak = max(peak, result.peakMiB)
    }
    let rate = Double(options.events) / median(seconds)
    record(name, "\(String(format3(median(seconds)))) s median (\(Int(rate)) events/s), peak \(Int(peak)) MiB\(failed ? " — EXIT STATUS NOT 0" : "")")
}

func format3(_ value: Double) -> String {
    let thousandths = Int((value * 1000).rounded())
    let fraction = String(thousandths % 1000)
    return "\(thousandths / 1000).\(String(repeating: "0", count: 3 - fraction.count))\(fraction)"
}

if wants("commands") {
    measure("verify", ["verify", "--log", log])
    for projection in ["caseload", "families", "due", "pbr"] {
        measure(projection, [projection, "--as-of", "2026-11-23", "--format", "json", "--log", log])
    }
    measure("monthly", ["monthly", "--month", "2026-10", "--format", "json", "--log", log])
    measure("rebuild (every projection + dashboard)", ["rebuild", "--out", "\(directory)/site", "--as-of", "2026-11-23", "--log", log], warmup: false)
}

// 3. One append of a single event to the big log, whole process.
var appendTimes: [Double] = []
for index in 0..<(wants("append") ? max(options.samples, 11) : 0) {
    let path = "\(directory)/one.jsonl"
    let line = #"{"id":"bench-append-\#(index)-\#(Int(now() * 1000))","stream":"worker:w-101","type":"worker.changed","occurredAt":"2026-11-20","actor":{"id":"hr-system","role":"system"},"data":{"fte":1}}"# + "\n"
    try FileOutput.writeAtomically(Array(line.utf8), to: path)
    appendTimes.append(run([binary, "append", path, "--log", log]).seconds)
}
if !appendTimes.isEmpty {
    record("append one event (whole process)", "\(format3(median(appendTimes) * 1000)) ms median of \(appendTimes.count)")
}

// 4. sha256sum and the DuckDB peer, side by side.
if wants("peers"), access("/usr/bin/sha256sum", X_OK) == 0 {
    let times = (0..<options.samples).map { _ in run(["/usr/bin/sha256sum", log]).seconds }
    record("sha256sum of the log (peer for verify)", "\(format3(median(times))) s median")
}
let peer = "../shared/bench/duckdb-caseload.sh"
let venvPython = (Console_environment("HOME") ?? "/root") + "/.cache/ledger-peers/bin/python"
if !wants("peers") {
} else if access(peer, X_OK) == 0 && access(venvPython, X_OK) == 0 {
    for threads in ["1", "2"] {
        let times = (0..<options.samples).map { _ in run(["/bin/bash", peer, log, threads]).seconds }
        record("DuckDB caseload peer (\(threads) thread\(threads == "1" ? "" : "s"))", "\(format3(median(times))) s median")
    }
} else {
    print("  (DuckDB peer not run: \(peer) and its venv are needed; run the script once to install DuckDB)")
}

func Console_environment(_ name: String) -> String? { getenv(name).map { String(cString: $0) } }

print("\n| measurement | result |\n|---|---|")
for (name, value) in results { print("| \(name) | \(value) |") }
