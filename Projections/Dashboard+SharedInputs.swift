import EventLog
import LedgerCore

extension Dashboard {
    /// A fingerprint of what every family page reads besides its own family's events and the as-of date: the
    /// workers' names and whether they have left (the lead worker, the timeline's actors), every policy adopted (the rules its obligations
    /// were made by, in the fold, and the policy an open episode is judged by today) and the one in force on
    /// `asOf` (PbR's thresholds). When it changes, a rebuild writes every page again.
    ///
    /// What else goes into a page is its family's own state, which only its own events change (a correction or
    /// void is on its target's stream; a redaction is named by the family's last seq, `FamilyLineIndex`), and
    /// the days on which the date changes what the page shows (`Reports.nextChange`).
    public static func sharedInputs(of fold: LedgerFold, asOf: CivilDate) -> String {
        var hasher = SHA256()
        // Each piece with its length first: no two lists of pieces make the same bytes.
        func add(_ text: String) {
            hasher.update(Array("\(text.utf8.count):".utf8))
            hasher.update(Array(text.utf8))
        }
        add("workers \(fold.workers.count)")
        for id in fold.workers.keys.sorted() {
            add(id)
            add(fold.workers[id]?.name ?? "")
            // A leaver leads no family and is allocated to none (`Lead`): their families' pages change.
            add(fold.workers[id]?.left == true ? "left" : "")
        }
        add("policies \(fold.adoptions.count)")
        for adoption in fold.adoptions {
            add("\(adoption.seq) \(adoption.effectiveFrom)")
            switch adoption.document {
            case .profile(let name): add("profile \(name)")
            case .custom(let text): add("custom \(text)")
            }
        }
        add("in force \(fold.adopted(on: asOf)?.seq ?? 0)")
        return hasher.finalize().hex
    }
}
