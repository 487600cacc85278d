import EventLog
import LedgerCore
import LedgerEngine
import LedgerTestSupport
import Testing

/// Tamper evidence: a flipped byte in any member, and deleted, inserted or swapped lines, are all detected
/// with the right seq.
@Suite("Hash chain and verification")
struct ChainTests {
    /// A verified log of 8 events.
    static func ledger(seed: UInt64 = 7) throws -> TestLedger {
        let ledger = try TestLedger(seed: seed)
        try ledger.append(
            Events.staff + [
                Events.referral("F-1", on: "2026-02-02"),
                Events.line(
                    id: "v-1", stream: "family:F-1", type: "visit.completed", on: "2026-02-05",
                    data: ["kind": "home"]),
                Events.line(
                    id: "v-2", stream: "family:F-1", type: "visit.completed", on: "2026-02-12",
                    data: ["kind": "school"]),
                Events.line(
                    id: "n-1", stream: "family:F-1", type: "note.recorded", on: "2026-02-12",
                    data: ["subject": "Visit", "body": "Seen with mum"]),
                Events.line(
                    id: "v-3", stream: "family:F-1", type: "visit.completed", on: "2026-02-19",
                    data: ["kind": "home"]),
            ])
        return ledger
    }

    static func failure(_ path: String) -> VerifyFailure? {
        do {
            _ = try LedgerVerifier.verify(path: path)
            return nil
        } catch let failure as VerifyFailure {
            return failure
        } catch {
            return VerifyFailure(seq: -1, line: -1, problem: "\(error)")
        }
    }

    @Test("a clean log verifies and reports its head")
    func clean() throws {
        let ledger = try Self.ledger()
        let report = try LedgerVerifier.verify(path: ledger.path)
        #expect(report.events == 10)
        #expect(report.head == (try ledger.store.file.readHead().head))
    }

    /// Members whose value can be changed in place while keeping the line valid JSON.
    static let members = [
        "seq", "id", "stream", "type", "occurredAt", "recordedAt", "actor", "dataHash", "prev",
        "hash", "data", "salt",
    ]

    @Test("changing one byte of any member of any line is detected at that seq", arguments: members)
    func flippedByte(member: String) throws {
        for target in 2...8 {
            let ledger = try Self.ledger()
            var lines = readLines(ledger.path)
            lines[target - 1] = try Self.alter(member, in: lines[target - 1])
            writeBytes(Array((lines.joined(separator: "\n") + "\n").utf8), to: ledger.path)
            let failure = try #require(
                Self.failure(ledger.path), "\(member) of seq \(target) not detected")
            #expect(failure.seq == target, "\(member) of seq \(target): \(failure)")
        }
    }

    @Test(
        "links made two lines at a time (hashes side by side) are each line's own link, tampered and odd lines too"
    )
    func pairedLinks() throws {
        let ledger = try Self.ledger()
        let clean = readLines(ledger.path)
        // Every member of every line altered in turn, a line off the fast path (a space: the reference parser), one
        // over the size limit, and runs of odd and even length.
        var logs: [[String]] = [clean, Array(clean.prefix(3)), Array(clean.prefix(1))]
        for member in Self.members {
            for target in 0..<clean.count {
                var lines = clean
                lines[target] = try Self.alter(member, in: lines[target])
                logs.append(lines)
            }
        }
        var spaced = clean
        spaced[4] = spaced[4].replacing("\"v\":1", with: "\"v\": 1", maxReplacements: 1)
        logs.append(spaced)
        for lines in logs {
            // The lines in one buffer, as a read holds them (a line is linked once the next has come).
            var bytes: [UInt8] = []
            var ranges: [Range<Int>] = []
            for line in lines {
                ranges.append(bytes.count..<(bytes.count + line.utf8.count))
                bytes += Array(line.utf8)
            }
            bytes += [UInt8](repeating: 0x20, count: 10)
            ranges.append((bytes.count - 10)..<bytes.count)
            var single = LineScanner()
            var expected: [ChainLink] = []
            var linker = ChainLinker()
            var paired = [ChainLink?](repeating: nil, count: ranges.count)
            bytes.withUnsafeBufferPointer { buffer in
                for (index, range) in ranges.enumerated() {
                    let line = UnsafeBufferPointer(rebasing: buffer[range])
                    // The last: a line cut at the size limit.
                    let tooLong = index == ranges.count - 1
                    expected.append(ChainLink(line: line, tooLong: tooLong, scanner: &single))
                    linker.add(line, tooLong: tooLong, tag: index) { paired[$1] = $0 }
                }
                linker.finish { paired[$1] = $0 }
            }
            for (index, link) in expected.enumerated() {
                let made = try #require(paired[index], "line \(index) not linked")
                #expect(made.seq == link.seq && made.prev == link.prev && made.hash == link.hash)
                #expect(made.altered == link.altered && made.unreadable == link.unreadable)
            }
        }
    }

    @Test(
        "a line's link from the fast scan is the reference parser's link, whatever its actor object holds",
        arguments: [
            #"{"id":"w-x"}"#, #"{"role":"fsw","id":"w-x"}"#,
            #"{"id":"w-x","role":"fsw","team":"t"}"#,
            #"{"id":"w\u002dx","role":"fsw"}"#, #"{}"#, #"{"id":1,"role":"fsw"}"#,
        ])
    func actorObjects(actor: String) throws {
        let ledger = try Self.ledger()
        var lines = readLines(ledger.path)
        let target = lines.count - 2
        let start = try #require(lines[target].firstRange(of: #""actor":"#)?.upperBound)
        let end = try #require(lines[target][start...].firstIndex(of: "}"))
        lines[target] =
            String(lines[target][..<start]) + actor
            + lines[target][lines[target].index(after: end)...]
        lines = rechained(lines)
        var scanner = LineScanner()
        var chain = HashChain()
        for line in lines {
            let bytes = Array(line.utf8)
            try bytes.withUnsafeBufferPointer { buffer in
                let fast = ChainLink(line: buffer, scanner: &scanner)
                let reference = ChainLink(try LineFormat.decode(buffer), line: buffer)
                #expect(fast.seq == reference.seq && fast.prev == reference.prev)
                #expect(fast.hash == reference.hash && fast.altered == reference.altered)
                #expect(fast.unreadable == nil)
                do throws(ChainBreak) { try chain.accept(fast) } catch {
                    Issue.record("\(actor): \(error)")
                }
            }
        }
    }

    /// Changes one character inside `member`'s value, keeping JSON valid.
    static func alter(_ member: String, in line: String) throws -> String {
        var bytes = Array(line.utf8)
        let key = Array("\"\(member)\":".utf8)
        let start = try #require(bytes.indices.first { bytes[$0...].starts(with: key) })
        var index = start + key.count
        // Find the first hex digit, letter or digit in the value and change it.
        while index < bytes.count {
            let byte = bytes[index]
            if (byte >= 0x30 && byte <= 0x39) {
                bytes[index] = byte == 0x39 ? 0x38 : byte + 1
                break
            }
            if (byte >= 0x61 && byte <= 0x66) {  // a-f: keep hex valid
                bytes[index] = byte == 0x66 ? 0x65 : byte + 1
                break
            }
            if (byte >= 0x67 && byte <= 0x7A) || (byte >= 0x41 && byte <= 0x5A) {
                bytes[index] = byte == 0x7A ? 0x79 : byte + 1
                break
            }
            index += 1
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    @Test("a deleted line is detected at its seq")
    func deleted() throws {
        for target in 2...7 {
            let ledger = try Self.ledger()
            var lines = readLines(ledger.path)
            lines.remove(at: target - 1)
            writeBytes(Array((lines.joined(separator: "\n") + "\n").utf8), to: ledger.path)
            #expect(Self.failure(ledger.path)?.seq == target)
        }
    }

    @Test("an inserted line is detected where it stands")
    func inserted() throws {
        for target in 2...7 {
            let ledger = try Self.ledger()
            var lines = readLines(ledger.path)
            lines.insert(lines[target - 1], at: target)
            writeBytes(Array((lines.joined(separator: "\n") + "\n").utf8), to: ledger.path)
            #expect(Self.failure(ledger.path)?.seq == target + 1)
        }
    }

    @Test("swapped lines are detected at the first of them")
    func swapped() throws {
        for target in 2...7 {
            let ledger = try Self.ledger()
            var lines = readLines(ledger.path)
            lines.swapAt(target - 1, target)
            writeBytes(Array((lines.joined(separator: "\n") + "\n").utf8), to: ledger.path)
            #expect(Self.failure(ledger.path)?.seq == target)
        }
    }

    @Test("a rewrite with the chain recomputed is caught by --expect-head; so is truncation")
    func anchoredHead() throws {
        let ledger = try Self.ledger()
        let head = try ledger.store.file.readHead().head
        // Truncate to 6 lines: the chain itself is still valid.
        let lines = readLines(ledger.path)
        writeBytes(Array((lines[0..<6].joined(separator: "\n") + "\n").utf8), to: ledger.path)
        #expect(Self.failure(ledger.path) == nil)
        #expect(throws: VerifyFailure.self) {
            try LedgerVerifier.verify(path: ledger.path, expectHead: (head.seq, head.hash))
        }
        // A different log of the same length (rewritten, chain recomputed) fails the anchor at that seq.
        let other = try Self.ledger(seed: 8)
        let failure = #expect(throws: VerifyFailure.self) {
            try LedgerVerifier.verify(path: other.path, expectHead: (head.seq, head.hash))
        }
        #expect(failure?.seq == 10)
        // The genuine log extends its own head.
        writeBytes(Array((lines.joined(separator: "\n") + "\n").utf8), to: ledger.path)
        #expect(
            try LedgerVerifier.verify(path: ledger.path, expectHead: (head.seq, head.hash)).events
                == 10)
    }

    @Test("a torn last line fails verification, and recover keeps its bytes in a side file")
    func tornTail() throws {
        let ledger = try Self.ledger()
        let clean = readBytes(ledger.path)
        let partial = Array(#"{"seq":9,"id":"half"#.utf8)
        writeBytes(clean + partial, to: ledger.path)
        #expect(Self.failure(ledger.path)?.problem.contains("torn") == true)
        let report = try ledger.store.file.withLock { try $0.recover() }
        #expect(report.movedBytes == partial.count)
        let side = try #require(report.sideFile)
        #expect(readBytes(side) == partial)
        #expect(fileMode(side) == 0o600)
        #expect(readBytes(ledger.path) == clean)
        #expect(try LedgerVerifier.verify(path: ledger.path).events == 10)
    }

    @Test("a torn tail longer than the line limit still leaves every whole line in the log")
    func longTornTail() throws {
        let ledger = try Self.ledger()
        let clean = readBytes(ledger.path)
        let garbage = [UInt8](
            repeating: UInt8(ascii: "x"), count: LineFormat.maxLineBytes + 200_000)
        writeBytes(clean + garbage, to: ledger.path)
        let report = try ledger.store.file.withLock { try $0.recover() }
        #expect(report.movedBytes == garbage.count)
        #expect(report.head.seq == 10)
        #expect(readBytes(ledger.path) == clean)
    }

    @Test("an append on a torn log recovers it first, under the lock, and says so")
    func appendRecovers() throws {
        let ledger = try Self.ledger()
        writeBytes(readBytes(ledger.path) + Array(#"{"seq":9"#.utf8), to: ledger.path)
        let summary = try ledger.store.append(
            .lines([
                Array(
                    Events.line(
                        id: "v-9", stream: "family:F-1", type: "visit.completed", on: "2026-02-20",
                        data: ["kind": "home"]
                    ).utf8)
            ]),
            mode: .atomic)
        #expect(summary.recovery?.movedBytes == 8)
        #expect(summary.appended == 1)
        #expect(try LedgerVerifier.verify(path: ledger.path).events == 11)
    }

    @Test("derived files are rebuilt when they do not match the log")
    func staleDerivedFiles() throws {
        let ledger = try Self.ledger()
        // Corrupt the id index and the state checkpoint: appends still dedupe and validate correctly.
        writeBytes([1, 2, 3], to: ledger.path + ".ids")
        writeBytes(Array("ledger-write-state 1\nH\t99\t1\tdead\n".utf8), to: ledger.path + ".state")
        let again = try ledger.append([
            Events.line(
                id: "v-1", stream: "family:F-1", type: "visit.completed", on: "2026-02-05",
                data: ["kind": "home"])
        ])
        #expect(again == [.duplicate(seq: 7, id: "v-1")])
        let closedFamily = try ledger.refusal(
            Events.referral("F-1", id: "ref-twice", on: "2026-03-01"))
        #expect(closedFamily?.rule.contains("already has an open episode") == true)
    }
}
