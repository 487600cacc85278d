import EventLog
import LedgerCore
import LedgerEngine
import Projections

extension LedgerFold {
    /// Folds the log in `window` on every core: families are folded in shards (`EventScanner.foldByFamily`) and
    /// merged. The result is the fold of the whole log, or of `span` of it folded on top of `starting` (a fold of
    /// everything before `span`, restored from a checkpoint), and what the read covered.
    public static func scan(
        path: String, window: EventWindow, compliance: Bool = true, types: EventTypeSet? = nil,
        span: LogSpan = .all,
        starting: LedgerFold? = nil, amendments: AmendmentIndex? = nil,
        shards count: Int = ParallelLineReader.processors,
        progress: ((Int) -> Void)? = nil
    ) throws -> (fold: LedgerFold, coverage: Coverage) {
        let count = max(1, count)
        let states =
            starting.map { $0.split(into: count) }
            ?? Array(repeating: LedgerFold(compliance: compliance), count: count)
        let (shards, coverage) = try EventScanner.foldByFamily(
            path: path, window: window, types: types, span: span, amendments: amendments,
            states: states,
            progress: progress
        ) { fold, event in fold.apply(event) }
        return (LedgerFold(merging: shards), coverage)
    }
}
