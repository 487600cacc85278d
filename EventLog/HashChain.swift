/// One stored line's place in the hash chain (EVENTS.md §1): its seq, the `prev` it states, its hash, and whether
/// its own bytes prove it (both hashes recomputed: `hash` over the body, `dataHash` over salt and data).
///
/// Made where the line is parsed (on any thread); judged in log order by `HashChain`. `ledger verify` and every
/// read and append use these two, so a line the one refuses the others refuse with the same words.
public struct ChainLink: Sendable {
    public var seq = 0
    public var prev: SHA256.Digest?
    /// The line's hash (the one it states, which is the recomputed one unless `altered` says otherwise).
    public var hash: SHA256.Digest?
    /// Why a hash does not match its bytes, if one does not.
    public var altered: String?
    /// Why the line could not be read at all (over the size limit, not in the line format).
    public var unreadable: String?

    /// A line that could not be read.
    public init(unreadable problem: String) { unreadable = problem }

    /// The link of a line the fast scanner accepted (the digests compared with the hex in place).
    public init(_ scanned: ScannedLine, line: UnsafeBufferPointer<UInt8>) {
        let spans = ChainSpans(scanned)
        self.init(spans, line: line, digests: LineFormat.digests(spans, line: line))
    }

    /// The link of a line the fast scanner accepted, its digests computed already (`LineFormat.digests`).
    public init(_ spans: ChainSpans, line: UnsafeBufferPointer<UInt8>, digests: LineDigests) {
        seq = spans.seq
        prev = SHA256.Digest(hex: spans.hex(spans.prev, in: line))
        do { hash = try LineFormat.verifyHashes(spans, line: line, digests: digests) } catch {
            altered = "\(error)"
            hash = SHA256.Digest(hex: spans.hex(spans.hash, in: line))
        }
    }

    /// The link of a line the reference parser decoded.
    public init(_ record: LedgerRecord, line: UnsafeBufferPointer<UInt8>) {
        seq = record.seq
        prev = Array(record.prev.utf8).withUnsafeBytes { SHA256.Digest(hex: $0) }
        hash = Array(record.hash.utf8).withUnsafeBytes { SHA256.Digest(hex: $0) }
        do { try LineFormat.verifyHashes(record, line: line) } catch { altered = "\(error)" }
    }

    /// The link of a line the fast scanner did not accept: by the reference parser, or unreadable.
    init(decoding line: UnsafeBufferPointer<UInt8>, tooLong: Bool) {
        if tooLong {
            self.init(unreadable: "line longer than 1 MiB")
        } else {
            do { self.init(try LineFormat.decode(line), line: line) } catch {
                self.init(unreadable: "not in the line format: \(error)")
            }
        }
    }

    /// The link of any stored line (`tooLong`: it was cut at the size limit): by the fast scanner when it is in
    /// the shape the ledger writes (its data not walked: `LineScanner.scanChained`), else by the reference parser.
    public init(line: UnsafeBufferPointer<UInt8>, tooLong: Bool = false, scanner: inout LineScanner)
    {
        if !tooLong, let scanned = scanner.scanChained(line) {
            self.init(scanned, line: line)
        } else {
            self.init(decoding: line, tooLong: tooLong)
        }
    }
}

/// Makes the links of stored lines two at a time, their four hashes computed side by side
/// (`LineFormat.digests` of two lines): the links `ChainLink(line:tooLong:scanner:)` makes of each, handed on in
/// the lines' order, a line late. Each line comes with a tag of the caller's (its index, say), handed back with its
/// link. `finish` hands on the last.
public struct ChainLinker: ~Copyable {
    /// The scanner the lines are scanned with (a caller that scans them itself may use it).
    public var scanner = LineScanner()
    private var pending: (spans: ChainSpans, line: UnsafeBufferPointer<UInt8>, tag: Int)?

    public init() {}

    /// Adds a stored line (`tooLong`: cut at the size limit), scanned here for the chain.
    public mutating func add(
        _ line: UnsafeBufferPointer<UInt8>, tooLong: Bool = false, tag: Int,
        _ emit: (ChainLink, Int) throws -> Void
    ) rethrows {
        if !tooLong, let scanned = scanner.scanChained(line) {
            try add(ChainSpans(scanned), line: line, tag: tag, emit)
        } else {
            try finish(emit)
            try emit(ChainLink(decoding: line, tooLong: tooLong), tag)
        }
    }

    /// Adds a stored line the caller scanned (`LineScanner.scan` or `scanChained`: `ChainSpans` of it).
    public mutating func add(
        _ spans: ChainSpans, line: UnsafeBufferPointer<UInt8>, tag: Int,
        _ emit: (ChainLink, Int) throws -> Void
    ) rethrows {
        guard let first = pending else {
            pending = (spans, line, tag)
            return
        }
        pending = nil
        let digests = LineFormat.digests(first.spans, line: first.line, spans, line: line)
        try emit(ChainLink(first.spans, line: first.line, digests: digests.0), first.tag)
        try emit(ChainLink(spans, line: line, digests: digests.1), tag)
    }

    /// Hands on the link of the line still waiting for a second, if any.
    public mutating func finish(_ emit: (ChainLink, Int) throws -> Void) rethrows {
        guard let first = pending else { return }
        pending = nil
        try emit(
            ChainLink(
                first.spans, line: first.line,
                digests: LineFormat.digests(first.spans, line: first.line)), first.tag)
    }
}

/// Where a chain breaks: the seq the first bad line should have had (its position), and why.
public struct ChainBreak: Error, Equatable, Sendable, CustomStringConvertible {
    public var seq: Int
    public var problem: String

    public init(seq: Int, problem: String) {
        self.seq = seq
        self.problem = problem
    }

    public var description: String {
        "the log's chain breaks at seq \(seq): \(problem); run `ledger verify`"
    }
}

/// The chain checked in log order, one line at a time: seq contiguous, each `prev` the hash of the line before,
/// each line's hashes true to its bytes. It starts at the log's start, or after a line whose hash was itself
/// recomputed (a checkpoint's stamp, the write state's).
public struct HashChain: Sendable, Equatable {
    /// The hash the next line's `prev` must be.
    public private(set) var previousHash: SHA256.Digest
    /// The seq the next line must have.
    public private(set) var expectedSeq: Int

    /// A chain after the line `seq` whose hash is `hash` (the log's start: seq 0, 64 zeros).
    public init(after seq: Int = 0, hash: SHA256.Digest = .zero) {
        previousHash = hash
        expectedSeq = seq + 1
    }

    /// A chain after the line `seq` whose hash is the hex `hash`; nil when it is not 64 hex digits.
    public init?(after seq: Int, hex hash: String) {
        guard let digest = Array(hash.utf8).withUnsafeBytes({ SHA256.Digest(hex: $0) }) else {
            return nil
        }
        self.init(after: seq, hash: digest)
    }

    func fail(_ problem: String) -> ChainBreak { ChainBreak(seq: expectedSeq, problem: problem) }

    /// Checks the next line; on success the chain moves past it.
    public mutating func accept(_ link: ChainLink) throws(ChainBreak) {
        if let problem = link.unreadable { throw fail(problem) }
        try accept(seq: link.seq, prev: link.prev, hash: link.hash, altered: link.altered)
    }

    /// `accept` of a line's parts (for a caller that keeps them its own way, as `ledger verify` does).
    public mutating func accept(
        seq: Int, prev: SHA256.Digest?, hash: SHA256.Digest?, altered: String?
    ) throws(ChainBreak) {
        if seq != expectedSeq {
            throw fail("seq is \(seq), expected \(expectedSeq) (a line is missing, added or moved)")
        }
        if prev != previousHash {
            throw fail(
                "prev does not match the hash of seq \(expectedSeq - 1) (a line before it was changed, removed or reordered)"
            )
        }
        if let altered { throw fail("\(altered) (the line was altered)") }
        guard let hash else { throw fail("hash: must be 64 lowercase hex digits") }
        previousHash = hash
        expectedSeq += 1
    }

    /// Checks that `links`, a run of lines checked on its own from its first line's stated seq and prev (a slice
    /// read on another thread), continues this chain; on success the chain moves past the run.
    public mutating func join(_ run: ChainRun) throws(ChainBreak) {
        guard let first = run.first, let after = run.chain else { return }
        // The run's first line against this chain; then the run's own first failure, if any (always later).
        try accept(first)
        if let failure = run.failure { throw failure }
        self = after
    }
}

/// A run of consecutive lines checked on their own (on a parse thread): linked to each other, and to whatever
/// came before by its first line, which `HashChain.join` checks in log order.
public struct ChainRun: Sendable {
    /// The first line's link.
    public private(set) var first: ChainLink?
    /// The chain after the lines checked so far (nil before the first).
    public private(set) var chain: HashChain?
    /// The first break inside the run.
    public private(set) var failure: ChainBreak?

    public init() {}

    /// Adds the next line of the run.
    public mutating func add(_ link: ChainLink) {
        guard failure == nil else { return }
        var current = chain ?? HashChain(after: link.seq - 1, hash: link.prev ?? .zero)
        if chain == nil { first = link }
        do { try current.accept(link) } catch { failure = error }
        chain = current
    }
}
