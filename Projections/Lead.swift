/// Who leads an episode's work, for every projection that names a lead (families, due's `responsible`, the
/// dashboard, `--team`, Annex A's team): the worker allocated as `lead`, until unallocated, replaced by another
/// lead, or moved on by a transfer. A worker allocated as `assigned` or `second` never leads: a family whose only
/// worker is a second one has no lead, as does one whose lead was unallocated, and both show it the same way.
enum Lead {
    /// The lead once `worker` is allocated as `relationship` (the lead allocated again as another relationship
    /// no longer leads).
    static func allocating(_ worker: String, as relationship: String, lead: String?) -> String? {
        if relationship == "lead" { return worker }
        return lead == worker ? nil : lead
    }

    /// The lead once `worker` is unallocated.
    static func unallocating(_ worker: String, lead: String?) -> String? {
        lead == worker ? nil : lead
    }

    /// The lead once a transfer names `worker` (a transfer naming nobody leaves the lead as it was).
    static func transferring(to worker: String?, lead: String?) -> String? {
        worker ?? lead
    }
}
