#if canImport(Glibc)
    import Glibc
#endif
import EventLog
import LedgerCore
import LedgerEngine
import LedgerQueries
import Projections

/// In-process figures for the read path's building blocks over the benchmark log: reading and splitting lines,
/// the fast scanner (peek, full scan, scan and build the record) against the reference parser, and SHA-256 with
/// and without the processor's SHA extensions. One discarded warm-up, then the median of `samples`.
func parseBenchmark(log: String, samples: Int, record: (String, String) -> Void) throws {
    func time(_ name: String, lines: Int? = nil, bytes: Int? = nil, _ body: () throws -> Int)
        rethrows
    {
        _ = try body()
        var seconds: [Double] = []
        var count = 0
        for _ in 0..<samples {
            let start = now()
            count = try body()
            seconds.append(now() - start)
        }
        let elapsed = median(seconds)
        var text = "\(format3(elapsed)) s median"
        if let lines { text += ", \(Int(Double(lines) / elapsed)) lines/s" }
        if let bytes { text += ", \(Int(Double(bytes) / elapsed / 1_048_576)) MiB/s" }
        record(name, text + " (\(count) lines)")
    }
    let reader = LogReader(path: log)
    let size = fileSize(log)
    var lineCount = 0
    try reader.forEachLine { _, _, _ in lineCount += 1 }
    try time("read and split lines (LogReader)", lines: lineCount, bytes: size) {
        var count = 0
        try reader.forEachLine { _, _, _ in count += 1 }
        return count
    }
    try time("peek seq and type (fast path)", lines: lineCount) {
        var count = 0
        try reader.forEachLine { line, _, _ in if LineScanner.peek(line) != nil { count += 1 } }
        return count
    }
    try time("scan and check every member (fast path)", lines: lineCount, bytes: size) {
        var count = 0
        var scanner = LineScanner()
        try reader.forEachLine { line, _, _ in if scanner.scan(line) != nil { count += 1 } }
        return count
    }
    try time("scan and build the record (fast path)", lines: lineCount) {
        var count = 0
        var scanner = LineScanner()
        try reader.forEachLine { line, _, _ in
            if let scanned = scanner.scan(line) {
                let record = LineFormat.record(scanned, line: line)
                if record.seq > 0 { count += 1 }
            }
        }
        return count
    }
    let referenceLines = min(lineCount, 100_000)
    try time("reference parser, first \(referenceLines) lines", lines: referenceLines) {
        var count = 0
        do {
            try reader.forEachLine { line, position, _ in
                guard position.lineNumber <= referenceLines else { throw LogReader.Stop.requested }
                if (try? LineFormat.decode(line)) != nil { count += 1 }
            }
        } catch LogReader.Stop.requested {}
        return count
    }
    var bytes = [UInt8](repeating: 0, count: min(size, 256 << 20))
    let descriptor = open(log, O_RDONLY)
    _ = bytes.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
    close(descriptor)
    for implementation in [SHA256.Implementation.hardware, .portable]
    where implementation == .portable || SHA256.Implementation.fastest == .hardware {
        time("SHA-256 (\(implementation)) over \(bytes.count >> 20) MiB", bytes: bytes.count) {
            var hasher = SHA256(implementation: implementation)
            bytes.withUnsafeBytes { hasher.update($0) }
            return hasher.finalize().words.0 == 0 ? 0 : 1
        }
    }
}

/// In-process figures for the projections' read path: both passes of `EventScanner` over the benchmark log,
/// with every type or only the caseload's, with and without the fold.
func scanBenchmark(log: String, samples: Int, record: (String, String) -> Void) throws {
    func time(_ name: String, _ body: () throws -> Int) rethrows {
        _ = try body()
        var seconds: [Double] = []
        var processor: [Double] = []
        var count = 0
        for _ in 0..<samples {
            let start = now()
            let cpuStart = cpuSeconds()
            count = try body()
            seconds.append(now() - start)
            processor.append(cpuSeconds() - cpuStart)
        }
        record(
            name,
            "\(format3(median(seconds))) s median, \(format3(median(processor))) s CPU (\(count))")
    }
    try time("amendments pass (parallel)") {
        try EventScanner.amendments(path: log, window: EventWindow()).count
    }
    let amendments = try EventScanner.amendments(path: log, window: EventWindow())
    for (label, types) in [
        ("caseload types", LedgerFold.caseloadTypes), ("every type", EventTypeSet.all),
    ] {
        try time("decode events, \(label), no fold") {
            var count = 0
            try EventScanner.scan(
                path: log, window: EventWindow(), types: types, amendments: amendments
            ) { _ in count += 1 }
            return count
        }
        try time("decode events, \(label), one fold (compliance \(label == "every type"))") {
            var fold = LedgerFold(compliance: label == "every type")
            var count = 0
            try EventScanner.scan(
                path: log, window: EventWindow(), types: types, amendments: amendments
            ) {
                fold.apply($0)
                count += 1
            }
            return count
        }
        try time(
            "decode events, \(label), fold by family on every core (compliance \(label == "every type"))"
        ) {
            let fold = try LedgerFold.scan(
                path: log, window: EventWindow(), compliance: label == "every type", types: types,
                amendments: amendments)
            return fold.fold.families.count
        }
    }
}

/// User and system time of this process so far.
func cpuSeconds() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6
        + Double(usage.ru_stime.tv_sec)
        + Double(usage.ru_stime.tv_usec) / 1e6
}

/// The floor under `ledger verify`, in this process: every line read on every core as verify reads it, scanned
/// member by member with its JSON checked, and both its hashes computed and compared; nothing re-validated, no
/// id table, no state. Returns the lines whose hashes match.
func verifyFloor(log: String) throws -> Int {
    var lines = 0
    try ParallelLineReader(path: log).read(
        parse: { slice -> Int in
            var linker = ChainLinker()
            var count = 0
            slice.forEachLine { line, _, _, tooLong in
                guard !tooLong, let scanned = linker.scanner.scan(line) else { return }
                linker.add(ChainSpans(scanned), line: line, tag: 0) { link, _ in
                    if link.altered == nil { count += 1 }
                }
            }
            linker.finish { link, _ in if link.altered == nil { count += 1 } }
            return count
        },
        consume: { piece in
            if case .parsed(let count) = piece { lines += count }
        })
    return lines
}

/// This process's CPU time so far (user and system, every thread).
func processCPUSeconds() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec)
        + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1_000_000
}
