import EventLog
import LedgerCore

extension EventScanner {
    /// The events of some lines of the log (one family's, found by a `FamilyLineIndex`), in the order given (log
    /// order), those the window lets in, with the window's corrections and voids among those lines applied: what
    /// `scan` hands over of them, as long as every amendment of them is among them, as for a family's lines (a
    /// correction or void is on its target's stream, EVENTS.md; the writer refuses any other).
    ///
    /// Each line is checked as it is read: a whole line where the index says (`ScatteredLineReader`), its seq the
    /// one the index states, and both its hashes recomputed from its bytes (`ChainLink`; where it sits in the chain
    /// was checked when the index was made, and by every read that covered it). Nil when a line is not where the
    /// index says or has another seq (the index is stale: make it again); an error naming the seq when a line's
    /// bytes no longer match its hashes.
    public static func events(
        of lines: [FamilyLineIndex.Line], reader: ScatteredLineReader, window: EventWindow
    ) throws -> [StoredEvent]? {
        guard
            let (chunk, starts) = try reader.read(lines.map { ($0.offset, $0.length) })
        else { return nil }
        var decoded = DecodedSlice(chunk: chunk)
        decoded.records.reserveCapacity(lines.count)
        var scanner = LineScanner()
        for (index, line) in lines.enumerated() {
            let bytes = chunk.bytes(starts[index]..<(starts[index] + line.length))
            let link = ChainLink(line: bytes, scanner: &scanner)
            guard link.unreadable == nil, link.seq == line.seq else { return nil }
            if let altered = link.altered {
                throw EventLogError.chainBroken(
                    seq: line.seq, lineNumber: line.seq, problem: altered)
            }
            decoded.add(
                bytes, start: starts[index], offset: line.offset, index: index,
                window: EventWindow(), scanner: &scanner)
            if let failure = decoded.failure {
                throw EventLogError.malformedLine(
                    seq: line.seq, lineNumber: line.seq,
                    problem: "\(failure.problem) (run ledger verify)")
            }
        }
        let events = decoded.records.map(decoded.event)
        var byTarget: [String: [Amendment]] = [:]
        let counted = window.amendments
        for event in events where counted.includes(date: event.date, recordedAt: event.recordedAt) {
            if let (target, amendment) = amendment(event) {
                byTarget[target, default: []].append(amendment)
            }
        }
        let amendments = AmendmentIndex(byTarget: byTarget)
        return events.compactMap { event in
            guard window.includes(date: event.date, recordedAt: event.recordedAt) else {
                return nil
            }
            var event = event
            if amendments.amends(event) { amendments.apply(to: &event) }
            return event
        }
    }
}
