/// Who leads an episode's work, for every projection that names a lead (families, due's `responsible`, the
/// dashboard, `--team`, Annex A's team): the worker allocated as `lead`, until unallocated, replaced by another
/// lead, or moved on by a transfer. A worker allocated as `assigned` or `second` never leads: a family whose only
/// worker is a second one has no lead, as does one whose lead was unallocated, and both show it the same way.
public enum Lead {
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

    /// The workers allocated to an episode who are still with the service (`worker.left` ends every allocation:
    /// the caseload counts a family whose every worker has left as unallocated, and the other projections say the
    /// same), by id.
    ///
    /// A closed episode keeps the workers it closed with: a worker who leaves later still led the work they did.
    public static func allocated(_ episode: Episode, roster: [String: WorkerInfo]) -> [String] {
        episode.workers.keys.filter { isAllocated($0, to: episode, roster: roster) }.sorted()
    }

    /// Whether anyone is allocated to the episode (`allocated` is not empty), without listing them.
    public static func anyAllocated(_ episode: Episode, roster: [String: WorkerInfo]) -> Bool {
        episode.workers.keys.contains { isAllocated($0, to: episode, roster: roster) }
    }

    /// Whether `worker` is allocated to the episode: on its list, and, while it is open, with the service.
    public static func isAllocated(
        _ worker: String, to episode: Episode, roster: [String: WorkerInfo]
    ) -> Bool {
        episode.workers[worker] != nil && (!episode.isOpen || serving(worker, roster: roster))
    }

    /// Whether a worker is with the service: registered, and not left.
    public static func serving(_ worker: String, roster: [String: WorkerInfo]) -> Bool {
        roster[worker].map { !$0.left } ?? false
    }

    /// The episode's lead as the projections show it: none once the lead has left an open episode.
    public static func current(_ episode: Episode, roster: [String: WorkerInfo]) -> String? {
        episode.lead.flatMap { !episode.isOpen || serving($0, roster: roster) ? $0 : nil }
    }

    /// The lead once a transfer names `worker` (a transfer naming nobody leaves the lead as it was).
    static func transferring(to worker: String?, lead: String?) -> String? {
        worker ?? lead
    }
}
