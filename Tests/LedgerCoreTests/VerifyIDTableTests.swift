import EventLog
import Foundation
import LedgerCore
import LedgerTestSupport
import Testing

@testable import LedgerEngine

/// `ledger verify`'s table of the ids seen (duplicates, and what a correction or void points at) holds each
/// event's id and stream as bytes: those the scanner found on the line, or the reference parser's strings when
/// the scanner declined the line. Either way an id is the same id, and a target has the same type and stream.
@Suite("Verification's id table")
struct VerifyIDTableTests {
    @Test("ids are told apart and found again as the table grows, with their kind and stream")
    func growth() {
        let table = SeenEvents()
        let kinds = EventKind.allCases
        func insert(_ number: Int) -> Bool {
            var id = "ev-\(number)"
            var stream = "family:F-\(number % 97)"
            return id.withUTF8 { id in
                stream.withUTF8 { stream in
                    table.insert(
                        id: id, kind: kinds[number % kinds.count], stream: stream,
                        key: SeenEvents.key(id))
                }
            }
        }
        // Four times the table's first size: it grows twice.
        let count = 4 * 65_536
        #expect((0..<count).allSatisfy(insert))
        #expect((0..<count).filter { $0 % 1_000 == 0 }.allSatisfy { !insert($0) })
        for number in stride(from: 0, to: count, by: 997) {
            let found = table.target(of: "ev-\(number)")
            #expect(found?.type == kinds[number % kinds.count].name)
            #expect(found?.stream == "family:F-\(number % 97)")
        }
        #expect(table.target(of: "ev-\(count)") == nil)
        #expect(table.target(of: "") == nil)
    }

    @Test(
        "ids whose keys agree in the slot's bits, or in the half a slot keeps, are told apart by their bytes"
    )
    func keysThatCollide() {
        let table = SeenEvents()
        func insert(_ id: String, key: UInt64) -> Bool {
            var id = id
            var stream = "family:F-1"
            return id.withUTF8 { id in
                stream.withUTF8 { table.insert(id: id, kind: .noteRecorded, stream: $0, key: key) }
            }
        }
        // The same slot and the same kept half; the same slot only; the same kept half only.
        #expect(insert("a", key: 0x1234_5678_0000_0001))
        #expect(insert("b", key: 0x1234_5678_0000_0001))
        #expect(insert("c", key: 0x9999_5678_0000_0001))
        #expect(insert("d", key: 0x1234_5678_0000_0002))
        #expect(!insert("a", key: 0x1234_5678_0000_0001))
        #expect(!insert("b", key: 0x1234_5678_0000_0001))
        #expect(!insert("c", key: 0x9999_5678_0000_0001))
        #expect(!insert("d", key: 0x1234_5678_0000_0002))
        #expect(insert("e", key: 0x1234_5678_0000_0001))
    }

    /// The stored lines of `events` after the policy, staff and two referrals (the events from seq 8), the ids
    /// of the lines at `escaped` seqs written with JSON escapes (`-` as `\u002d`), so that the scanner declines
    /// those lines and the reference parser reads them; the chain made good again.
    static func log(_ events: [String], escaping escaped: Set<Int>) throws -> String {
        let directory = TemporaryDirectory()
        let path = directory.file("raw.jsonl")
        try RawLog.write(VerifyRefusalTests.log(events), to: path)
        let stored = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n")
        var lines: [String] = []
        for (index, line) in stored.enumerated() {
            var text = String(line)
            if escaped.contains(index + 1) {
                // The event's id is the first `"id":` of its line (seq comes before it).
                let start = try #require(text.range(of: ",\"id\":\"")).upperBound
                let end = try #require(text[start...].firstIndex(of: "\""))
                text.replaceSubrange(
                    start..<end,
                    with: text[start..<end].replacingOccurrences(of: "-", with: "\\u002d"))
            }
            lines.append(text)
        }
        return try rechained(lines)
    }

    /// `lines` with each `prev` the hash of the line before and each `hash` that of its own body.
    static func rechained(_ lines: [String]) throws -> String {
        var previous = LineFormat.genesisHash
        var out = ""
        for line in lines {
            var text = line
            let prev = try #require(text.range(of: "\"prev\":\""))
            let prevEnd = text.index(prev.upperBound, offsetBy: 64)
            text.replaceSubrange(prev.upperBound..<prevEnd, with: previous)
            let bodyEnd = text.index(after: prevEnd)
            let hash = Array(text[..<bodyEnd].utf8).withUnsafeBytes { SHA256.hash($0).hex }
            let stated = try #require(text.range(of: "\"hash\":\""))
            text.replaceSubrange(
                stated.upperBound..<text.index(stated.upperBound, offsetBy: 64), with: hash)
            previous = hash
            out += text + "\n"
        }
        return out
    }

    static func verify(_ log: String, shards: Int) throws -> VerifyFailure? {
        let directory = TemporaryDirectory()
        let path = directory.file("log.jsonl")
        writeBytes(Array(log.utf8), to: path)
        do {
            _ = try LedgerVerifier.verify(path: path, shards: shards)
            return nil
        } catch let failure as VerifyFailure {
            return failure
        }
    }

    static func void(_ target: String, id: String) -> String {
        Events.line(
            id: id, stream: "family:F-1", type: "event.voided", on: "2026-02-05",
            data: ["target": .string(target), "reason": "typo"])
    }

    @Test(
        "an id read by the reference parser and the same id read by the scanner are one id, in either order",
        arguments: [1, 2])
    func duplicateAcrossReaders(shards: Int) throws {
        let events = [
            VerifyRefusalTests.visit("F-1", id: "dup-1"),
            VerifyRefusalTests.visit("F-2", id: "dup-1"),
        ]
        // The first read by the reference parser, then the second; then neither.
        for escaped: Set<Int> in [[8], [9], []] {
            let log = try Self.log(events, escaping: escaped)
            #expect(log.contains(#""id":"dup\u002d1""#) == !escaped.isEmpty)
            let failure = try #require(try Self.verify(log, shards: shards), "escaping \(escaped)")
            #expect(failure.seq == 9, "escaping \(escaped): \(failure)")
            #expect(
                failure.problem == "id \"dup-1\" appears twice", "escaping \(escaped): \(failure)")
        }
    }

    @Test(
        "a void read by either reader finds its target read by either, with its stream",
        arguments: [1, 2])
    func targetsAcrossReaders(shards: Int) throws {
        let events = [
            VerifyRefusalTests.visit("F-1", id: "seen-1"),
            VerifyRefusalTests.visit("F-2", id: "other-2"),
            Self.void("seen-1", id: "void-1"), Self.void("other-2", id: "void-2"),
        ]
        for escaped: Set<Int> in [[], [8, 9], [10, 11], [8, 11]] {
            let failure = try #require(
                try Self.verify(try Self.log(events, escaping: escaped), shards: shards),
                "escaping \(escaped)")
            // The first void is accepted (same family); the second names the other family's event.
            #expect(failure.seq == 11, "escaping \(escaped): \(failure)")
            #expect(
                failure.problem.hasSuffix(
                    "data.target: \"other-2\" is on family:F-2, not family:F-1"),
                "escaping \(escaped): \(failure)")
        }
    }
}
