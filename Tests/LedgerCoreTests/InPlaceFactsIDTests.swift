import EventLog
import LedgerCore
import LedgerEngine
import Testing

/// Facts read in place keep where their id lies in the log's chunk and build it only when asked (`verify` made a
/// string per event for it): each line's facts, wherever the line lies in a chunk of several, name that line's id,
/// as the reference's facts do, and so do the state's refusals.
@Suite("Facts read in place name their own line's id")
struct InPlaceFactsIDTests {
    static let recordedAt = InPlaceValidationTests.recordedAt

    static let lines = [
        #"{"id":"first","stream":"family:F-1","type":"visit.completed","occurredAt":"2026-02-02","actor":{"id":"w-017","role":"fsw"},"data":{"kind":"home"}}"#,
        #"{"id":"F-1-a-longer-id-than-a-small-string","stream":"family:F-1","type":"visit.completed","occurredAt":"2026-02-03","actor":{"id":"w-017","role":"fsw"},"data":{"kind":"home"}}"#,
        #"{"id":"urn:x:3","stream":"family:F-22","type":"worker.allocated","occurredAt":"2026-02-04","actor":{"id":"m-001","role":"team-manager"},"data":{"worker":"w-404","relationship":"lead"}}"#,
    ].map(InPlaceValidationTests.stored)

    /// The facts of each line, read in place from one chunk holding them all, newline-separated.
    static func factsInOneChunk() -> [EventFacts?] {
        var whole: [UInt8] = []
        var starts: [Int] = []
        for line in lines {
            starts.append(whole.count)
            whole += line + [0x0A]
        }
        let chunk = whole.withUnsafeBytes { LogChunk(copying: $0) }
        return zip(lines, starts).map { line, start in
            let buffer = UnsafeBufferPointer(start: chunk.base + start, count: line.count)
            var scanner = LineScanner()
            guard let scanned = scanner.scan(buffer) else { return nil }
            return InPlaceValidation.facts(
                scanned, line: buffer, chunk: chunk, start: start, recordedAt: recordedAt,
                recordedOn: recordedAt.londonDate)
        }
    }

    static func referenceFacts(_ line: [UInt8]) throws -> EventFacts {
        let record = try LineFormat.decode(line)
        return try EventInput.validate(record.content, recordedAt: recordedAt).facts
    }

    @Test("each line's facts, at its place in the chunk, name its id as the reference's do")
    func ids() throws {
        let facts = Self.factsInOneChunk()
        #expect(
            facts.map { $0?.id } == ["first", "F-1-a-longer-id-than-a-small-string", "urn:x:3"])
        for (line, read) in zip(Self.lines, facts) {
            #expect(read?.id == (try Self.referenceFacts(line)).id)
            #expect(read?.idSupplied == true)
        }
        // An id given later (an append gives one to an event written without) replaces the one read.
        var renamed = try #require(facts[1])
        renamed.id = "given"
        #expect(renamed.id == "given")
    }

    @Test(
        "a state refusal names the event's id, the same from facts read in place as from the reference's"
    )
    func refusalsNameTheID() throws {
        // An empty state: no worker is registered, so every one of these is refused, naming its id.
        let state = WriteState()
        for (line, read) in zip(Self.lines, Self.factsInOneChunk()) {
            let inPlace = try #require(read)
            let reference = try Self.referenceFacts(line)
            func refusal(_ facts: EventFacts) -> ValidationError? {
                do { try state.check(facts, line: 7) { _ in nil } } catch let error
                    as ValidationError
                {
                    return error
                } catch { return nil }
                return nil
            }
            let refused = try #require(refusal(inPlace))
            #expect(refused == refusal(reference))
            #expect(refused.id == reference.id)
            #expect(refused.line == 7)
        }
    }

    @Test("an error the lookup throws passes through check as it was thrown")
    func lookupErrorsPassThrough() throws {
        struct Unreadable: Error, Equatable {}
        // A manager's void on a family with an open episode, whose target is looked up.
        var state = WriteState()
        let events = [
            #"{"id":"reg","stream":"worker:m-001","type":"worker.registered","occurredAt":"2026-01-01","actor":{"id":"hr","role":"system"},"data":{"name":"M","role":"team-manager","team":"t","fte":1}}"#
        ].map(InPlaceValidationTests.stored)
        for (index, line) in events.enumerated() {
            state.apply(try Self.referenceFacts(line), seq: index + 1) { _ in nil }
        }
        let void = InPlaceValidationTests.stored(
            #"{"id":"v","stream":"worker:m-001","type":"event.voided","occurredAt":"2026-02-01","actor":{"id":"m-001","role":"team-manager"},"data":{"target":"reg","reason":"entered in error"}}"#
        )
        #expect(throws: Unreadable.self) {
            try state.check(try Self.referenceFacts(void), line: 2) { _ in throw Unreadable() }
        }
    }
}
