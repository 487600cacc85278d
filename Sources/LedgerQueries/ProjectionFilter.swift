import LedgerCore
import Projections

/// The `--family`, `--worker`, `--team` and `--status` filters of the read commands, judged on the fold's own
/// values (a family's episode, an obligation, a worker's registration), never on the rows rendered from them.
public struct ProjectionFilter: Sendable {
    public var family: String?
    public var worker: String?
    public var team: String?
    /// A family's status, as `families` shows it (`Reports.status(of:)`).
    public var status: String?

    /// A filter naming a family, worker or team the log has never seen (PROJECTIONS.md: an error, not an empty
    /// answer).
    public struct Unknown: Error, CustomStringConvertible {
        public let description: String
        public init(description: String) { self.description = description }
    }

    public init(
        family: String? = nil, worker: String? = nil, team: String? = nil, status: String? = nil
    ) {
        self.family = family
        self.worker = worker
        self.team = team
        self.status = status
    }

    /// Refuses a family, worker or team `fold` does not hold (a team is known from `team.defined` or a worker's
    /// registration). In a window (`windowed`: `--as-of`, `--known-at`) a name may be one the log holds only
    /// later, and no answer there is an answer; without one, the fold holds the whole log.
    public func check(against fold: LedgerFold, windowed: Bool) throws {
        guard !windowed else { return }
        if let family, fold.families[family] == nil {
            throw Unknown(description: "--family \(family): no such family in the log")
        }
        if let worker, fold.workers[worker] == nil {
            throw Unknown(description: "--worker \(worker): no such worker in the log")
        }
        if let team, fold.teams[team] == nil,
            !fold.workers.values.contains(where: { $0.team == team })
        {
            throw Unknown(description: "--team \(team): no such team in the log")
        }
    }

    /// Whether a family's row is kept: its ref, a worker on its current episode, its lead's team, its status.
    public func keeps(_ state: FamilyState, workers: [String: WorkerInfo]) -> Bool {
        if let family, state.ref != family { return false }
        guard worker != nil || team != nil || status != nil else { return true }
        guard let episode = state.current else { return false }
        if let worker, !Lead.isAllocated(worker, to: episode, roster: workers) { return false }
        if let team {
            guard let lead = Lead.current(episode, roster: workers), workers[lead]?.team == team
            else {
                return false
            }
        }
        if let status, Reports.status(of: episode, roster: workers) != status { return false }
        return true
    }

    /// Whether an obligation is kept: its family, the worker responsible, that worker's team.
    public func keeps(_ obligation: Obligation, workers: [String: WorkerInfo]) -> Bool {
        if let family, obligation.family != family { return false }
        if let worker, obligation.responsible != worker { return false }
        if let team {
            guard let responsible = obligation.responsible, workers[responsible]?.team == team
            else {
                return false
            }
        }
        return true
    }

    /// Whether a worker's caseload is kept: the worker, and the worker's team.
    public func keeps(worker info: WorkerInfo?) -> Bool {
        if let worker, info?.id != worker { return false }
        if let team, info?.team != team { return false }
        return true
    }

    /// Whether a team's caseload is kept.
    public func keeps(team name: String) -> Bool { team.map { $0 == name } ?? true }
}
