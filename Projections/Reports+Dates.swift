import EventLog
import LedgerCore

extension Reports {
    /// The day after which an offence counts against `crime-asb` (PbR progress) on the as-of date: the policy's
    /// offence-free months back from it (6 when it sets none).
    func offenceFreeSince(policy: Policy?) -> CivilDate {
        asOf.adding(months: -(policy?.pbr.offenceFreeMonths ?? 6))
    }

    /// Whether what the projections show of `family` (its families, PbR and due rows, its dashboard page) may
    /// change with the as-of date alone, on this as-of date or any later one; `obligations` are its obligations
    /// (`obligations(of:)`). False only where nothing of it reads the date: no open episode (statuses, the time
    /// waiting for triage, the episode's length), no obligation whose standing still turns on the date (open,
    /// past its warning point or overdue, with its days late), and no offence recent enough to leave the
    /// `crime-asb` window later. A rebuild writes such a family's page again only when its events change (the page
    /// names the seq it was made to, not the date), and the differential test holds the rule to the pages made on
    /// later dates.
    public func dependsOnDate(_ family: FamilyState, obligations: [Obligation]) -> Bool {
        if family.hasOpenEpisode { return true }
        for obligation in obligations {
            switch obligation.status(asOf: asOf) {
            case .open, .warning, .overdue: return true
            case .met, .metLate, .lapsed, .breached: continue
            }
        }
        let since = offenceFreeSince(policy: fold.policy(on: asOf))
        return family.offences.contains { $0.date > since }
    }
}
