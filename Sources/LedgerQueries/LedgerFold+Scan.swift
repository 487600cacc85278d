import EventLog
import LedgerCore
import LedgerEngine
import Projections

extension LedgerFold {
    /// Folds the log in `window` on every core: families are folded in shards (`EventScanner.foldByFamily`) and
    /// merged. The result is the fold of the whole log, or of `span` of it folded on top of `starting` (a fold of
    /// everything before `span`, restored from a checkpoint), and what the read covered.
    ///
    /// The families whose events came out of valid-time order (`outOfOrder`: one entered late, dated before
    /// one already folded, or a policy adopted late and back-dated) are then folded again, each from all its
    /// events in the log up to the span's end (`refolding`), in date order: what the fold answers depends on
    /// the events' dates, never on the order they were appended in.
    public static func scan(
        path: String, window: EventWindow, compliance: Bool = true, types: EventTypeSet? = nil,
        span given: LogSpan = .all,
        starting: LedgerFold? = nil, amendments: AmendmentIndex? = nil,
        shards count: Int = ParallelLineReader.processors,
        progress: ((Int) -> Void)? = nil
    ) throws -> (fold: LedgerFold, coverage: Coverage) {
        var span = given
        // A family folded again is read up to where the fold read, not into lines appended since.
        if span.to == nil { span.to = try LedgerFile(path: path).readHead().head.size }
        let count = max(1, count)
        let states =
            starting.map { $0.split(into: count) }
            ?? Array(repeating: LedgerFold(compliance: compliance), count: count)
        let (shards, coverage) = try EventScanner.foldByFamily(
            path: path, window: window, types: types, span: span, amendments: amendments,
            states: states,
            progress: progress
        ) { fold, event in fold.apply(event) }
        var fold = LedgerFold(merging: shards)
        try fold.refoldOutOfOrder(path: path, to: span.to ?? 0, window: window, types: types)
        return (fold, coverage)
    }

    /// Folds again every family out of order, from its lines in the log up to `end` (found by an index of those
    /// families' lines made for the purpose: one look at each line's stream; the families' own lines are then
    /// read where they lie), those `window` lets in, of `types`, corrections applied. The index keeps only their
    /// lines: every family's, beside the whole fold, took a rebuild without a checkpoint on a million events from
    /// 185 to 200 MiB.
    mutating func refoldOutOfOrder(
        path: String, to end: Int, window: EventWindow, types: EventTypeSet?
    ) throws {
        guard !outOfOrder.isEmpty else { return }
        // `LEDGER_TRACE` says how often it happens (a log entered mostly in date order: rarely).
        FoldCheckpoint.tracer?("fold: \(outOfOrder.count) families folded again in date order")
        var index = FamilyLineIndex()
        try index.extend(
            path: path, to: end, seq: 0, only: Set(outOfOrder.map(FamilyLineIndex.route(ofFamily:)))
        )
        let reader = try ScatteredLineReader(path: path)
        for ref in outOfOrder.sorted() {
            guard let lines = index.lines(ofFamily: ref),
                let events = try EventScanner.events(of: lines, reader: reader, window: window)
            else {
                throw EventLogError.malformedLine(
                    seq: nil, lineNumber: 0,
                    problem:
                        "the lines of family \(ref) changed while they were read (run ledger verify)"
                )
            }
            refold(
                ref,
                events: types.map { types in events.filter { types.contains($0.type) } } ?? events)
        }
    }
}
