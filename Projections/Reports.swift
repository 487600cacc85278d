import EventLog
import LedgerCore

/// Builds the rows of each projection from a finished fold. Rows are ordered JSON objects, sorted by a stable
/// key, so the same log always gives the same bytes.
public struct Reports: Sendable {
    public let fold: LedgerFold
    /// "Today" for statuses: the --as-of date, else the caller's today.
    public let asOf: CivilDate

    public init(fold: LedgerFold, asOf: CivilDate) {
        self.fold = fold
        self.asOf = asOf
    }

    /// The families in ref order: the order of the `families` and `pbr` rows (sorted on each call).
    public var sortedFamilies: [FamilyState] { fold.families.values.sorted { $0.ref < $1.ref } }

    // MARK: families

    /// Every status `status(of:)` gives, in the order a family moves through them.
    public static let familyStatuses = [
        "referred", "triaged", "allocated", "engaged", "stepped-up", "closed",
    ]

    public static func status(of episode: Episode, roster: [String: WorkerInfo]) -> String {
        if !episode.isOpen { return "closed" }
        if episode.stepUpAcceptedOn != nil { return "stepped-up" }
        if episode.engaged { return "engaged" }
        if Lead.anyAllocated(episode, roster: roster) { return "allocated" }
        if episode.triaged { return "triaged" }
        return "referred"
    }

    public func families() -> [JSONObject] { sortedFamilies.compactMap(familyRow) }

    /// The members of every `familyRow`, in order (a test holds the rows to it).
    public static let familyMembers = [
        "family", "ufrn", "status", "level", "episode", "openedOn", "closedOn", "closeReason",
        "lead", "workers", "members",
        "youngestChild", "latestStar", "firstStar", "nextReviewBy", "requirementsMet", "criteria",
        "reReferral",
        "awaitingTriageDays",
    ]

    /// The CSV columns of `families`, one value per cell: the members of `familyMembers`, those that hold objects
    /// flattened (`members.name`, `latestStar.scores.routine`). A test holds them to `RowWriter.allColumns` of
    /// rows that have every part.
    public static let familyColumns = familyMembers.flatMap { member -> [String] in
        switch member {
        case "members": return ["id", "name", "dob", "role"].map { "members.\($0)" }
        case "latestStar", "firstStar":
            return (["event", "on"] + FamilyStar.domains.map { "scores.\($0)" }).map {
                "\(member).\($0)"
            }
        default: return [member]
        }
    }

    /// The members of every `pbrRow`, in order (a test holds the rows to it).
    public static let pbrMembers = [
        "family", "level", "criteria", "criteriaNeeded", "attached", "progress", "employment",
        "claimable", "claimed", "claimChecks",
    ]

    /// The CSV columns of `pbr`: `pbrMembers` with `progress` a status and an evidence column per criterion and
    /// `employment` a column per member of its records.
    public static let pbrColumns = pbrMembers.flatMap { member -> [String] in
        switch member {
        case "progress":
            return PbRCriterion.all.flatMap {
                ["progress.\($0).status", "progress.\($0).evidence"]
            }
        case "employment":
            return [
                "event", "memberId", "adult", "benefit", "continuousWeeks", "weeksNeeded",
                "qualifies",
            ]
            .map {
                "employment.\($0)"
            }
        default: return [member]
        }
    }

    /// The CSV columns of `caseload`'s workers: a worker's limit as its minimum, maximum and unit (empty where the
    /// policy sets none).
    public static let caseloadColumns = [
        "worker", "name", "role", "team", "fte", "families", "children", "limit.min", "limit.max",
        "limit.unit", "status",
    ]

    /// The CSV columns of `caseload`'s teams and its service row (`caseload-teams.csv`): a team's row names it in
    /// `team` (and `name` where the team is defined), the service row in `service`, with the open and unallocated
    /// families.
    public static let caseloadTeamColumns = [
        "team", "name", "service", "workers", "fte", "families", "children", "capacity.min",
        "capacity.max", "capacity.unit", "status", "withoutLimit", "openFamilies", "unallocated",
    ]

    /// One family's row of `families` (nil before its first referral).
    public func familyRow(_ family: FamilyState) -> JSONObject? {
        guard let episode = family.current else { return nil }
        // Members in column order, each once (a row is made for every family, several times in a rebuild).
        return JSONObject([
            JSONMember("family", .string(family.ref)),
            JSONMember("ufrn", family.ufrn.map(JSONValue.string) ?? .null),
            JSONMember("status", .string(Self.status(of: episode, roster: fold.workers))),
            JSONMember("level", episode.level.map(JSONValue.string) ?? .null),
            JSONMember("episode", .int(episode.number)),
            JSONMember("openedOn", .string(episode.openedOn.description)),
            JSONMember("closedOn", episode.closedOn.map { .string($0.description) } ?? .null),
            JSONMember("closeReason", episode.closeReason.map(JSONValue.string) ?? .null),
            JSONMember(
                "lead", Lead.current(episode, roster: fold.workers).map(JSONValue.string) ?? .null),
            JSONMember(
                "workers",
                .array(Lead.allocated(episode, roster: fold.workers).map(JSONValue.string))),
            JSONMember("members", .array(family.members.sorted { $0.id < $1.id }.map(Self.person))),
            JSONMember("youngestChild", family.youngestChild.map { .string($0.id) } ?? .null),
            JSONMember("latestStar", episode.latestStar.map(Self.star) ?? .null),
            JSONMember("firstStar", episode.firstStar.map(Self.star) ?? .null),
            JSONMember(
                "nextReviewBy", episode.nextReviewBy.map { .string($0.description) } ?? .null),
            JSONMember(
                "requirementsMet", .array(episode.requirementsMet.sorted().map(JSONValue.string))),
            JSONMember("criteria", .array(Self.orderedCriteria(family).map(JSONValue.string))),
            JSONMember("reReferral", .bool(episode.reReferral)),
            // Days since the referral while no one has triaged, allocated or engaged the family (issue 21).
            JSONMember(
                "awaitingTriageDays",
                Self.status(of: episode, roster: fold.workers) == "referred"
                    ? .int(episode.openedOn.days(until: max(asOf, episode.openedOn))) : .null),
        ])
    }

    static func person(_ person: Person) -> JSONValue {
        var object = JSONObject([
            JSONMember("id", .string(person.id)), JSONMember("name", .string(person.name)),
        ])
        if let dob = person.dob { object["dob"] = .string(dob.description) }
        object["role"] = .string(person.role)
        return .object(object)
    }

    static func star(_ reading: StarReading) -> JSONValue {
        var scores = JSONObject()
        for (index, domain) in FamilyStar.domains.enumerated() {
            scores[domain] = .int(reading.scores[index])
        }
        return .object(
            JSONObject([
                JSONMember("event", .string(reading.eventID)),
                JSONMember("on", .string(reading.date.description)),
                JSONMember("scores", .object(scores)),
            ]))
    }

    static func orderedCriteria(_ family: FamilyState) -> [String] {
        PbRCriterion.all.filter { family.criteria[$0] != nil }
    }

    // MARK: caseload

    /// The limit that applies to a worker: their own override, else the policy's for their role and level.
    func limit(for worker: WorkerInfo, levels distinct: Set<String>, policy: Policy?) -> (
        min: Int, max: Int, unit: String
    )? {
        if let own = worker.caseload {
            let unit = policy?.limits.first(where: { $0.role == worker.role })?.unit ?? "families"
            return (own.min, own.max, unit)
        }
        guard let policy else { return nil }
        let forRole = policy.limits.filter { $0.role == worker.role }
        if distinct.count == 1, let level = distinct.first,
            let specific = forRole.first(where: { $0.level == level })
        {
            return (specific.min, specific.max, specific.unit)
        }
        if let general = forRole.first(where: { $0.level == nil }) {
            return (general.min, general.max, general.unit)
        }
        return forRole.first.map { ($0.min, $0.max, $0.unit) }
    }

    /// A team's or the service's figures as its workers are added up.
    struct CapacityTally {
        var workers = 0, fte = 0.0, families = 0, children = 0
        /// Workers with a limit, and the families and children they hold.
        var limited = 0, limitedFamilies = 0, limitedChildren = 0
        var min = 0.0, max = 0.0
        var units: Set<String> = []
    }

    public struct CaseloadFigures: Sendable {
        public var workers: [JSONObject]
        public var teams: [JSONObject]
        public var service: JSONObject
        /// Whose row each of `workers` is, and which team each of `teams` is (for filters, which judge the fold's
        /// values rather than the rendered rows).
        public var workerInfo: [WorkerInfo] = []
        public var teamNames: [String] = []

        /// Only the rows of the workers and teams `keepWorker` and `keepTeam` keep.
        public func filtered(
            workers keepWorker: (WorkerInfo) -> Bool, teams keepTeam: (String) -> Bool
        ) -> CaseloadFigures {
            var kept = self
            let workerRows = zip(workerInfo, workers).filter { keepWorker($0.0) }
            kept.workerInfo = workerRows.map(\.0)
            kept.workers = workerRows.map(\.1)
            let teamRows = zip(teamNames, teams).filter { keepTeam($0.0) }
            kept.teamNames = teamRows.map(\.0)
            kept.teams = teamRows.map(\.1)
            return kept
        }
    }

    /// The caseload figures, from the fold's families or from their `entries` when the caller has them (a
    /// checkpoint keeps them, so that a query after a few appends need not read every family back).
    public func caseload(entries given: [CaseloadEntry]? = nil) -> CaseloadFigures {
        let policy = fold.policy(on: asOf)
        let entries = given ?? CaseloadEntry.entries(of: fold)
        var perWorker: [String: (families: Int, children: Int, levels: Set<String>)] = [:]
        let openFamilies = entries.count
        var unallocated = 0
        for entry in entries {
            // A family whose every worker has left has no one working with it: unallocated, as a manager counts
            // it (the leavers are not listed below, so their families would otherwise be on no one's caseload).
            if !entry.workers.contains(where: { Lead.serving($0, roster: fold.workers) }) {
                unallocated += 1
            }
            for worker in entry.workers {
                // In place: copying the entry out and back would copy its set every time.
                perWorker[worker, default: (0, 0, [])].families += 1
                perWorker[worker, default: (0, 0, [])].children += entry.children
                if let level = entry.level {
                    perWorker[worker, default: (0, 0, [])].levels.insert(level)
                }
            }
        }
        var rows: [JSONObject] = []
        var rowWorkers: [WorkerInfo] = []
        var teams: [String: CapacityTally] = [:]
        // Every registered worker who has not left is listed, those with no families too (a manager looks here for
        // who has room); a worker the policy sets no limit for has a null limit and status ("no limit set").
        for worker in fold.workers.values.sorted(by: { $0.id < $1.id }) where !worker.left {
            let load = perWorker[worker.id] ?? (0, 0, [])
            let applicable = limit(for: worker, levels: load.levels, policy: policy)
            var row = JSONObject()
            row["worker"] = .string(worker.id)
            row["name"] = .string(worker.name)
            row["role"] = .string(worker.role)
            row["team"] = .string(worker.team)
            row["fte"] = .number(Self.decimal(worker.fte))
            row["families"] = .int(load.families)
            row["children"] = .int(load.children)
            var team = teams[worker.team] ?? CapacityTally()
            team.workers += 1
            team.fte += worker.fte
            team.families += load.families
            team.children += load.children
            if let limit = applicable {
                let low = Double(limit.min) * worker.fte
                let high = Double(limit.max) * worker.fte
                row["limit"] = .object(
                    JSONObject([
                        JSONMember("min", .number(Self.decimal(low))),
                        JSONMember("max", .number(Self.decimal(high))),
                        JSONMember("unit", .string(limit.unit)),
                    ]))
                let count = Double(limit.unit == "children" ? load.children : load.families)
                row["status"] = .string(count > high ? "over" : count < low ? "under" : "within")
                team.limited += 1
                team.limitedFamilies += load.families
                team.limitedChildren += load.children
                team.min += low
                team.max += high
                team.units.insert(limit.unit)
            } else {
                row["limit"] = .null
                row["status"] = .null
            }
            teams[worker.team] = team
            rows.append(row)
            rowWorkers.append(worker)
        }
        func total(_ name: String, _ key: String, _ figures: CapacityTally) -> JSONObject {
            var row = JSONObject()
            row[key] = .string(name)
            if key == "team", let info = fold.teams[name] { row["name"] = .string(info.name) }
            row["workers"] = .int(figures.workers)
            row["fte"] = .number(Self.decimal(figures.fte))
            row["families"] = .int(figures.families)
            row["children"] = .int(figures.children)
            // Capacity is the sum of the limits there are, judged against the work of those who have one; with
            // none, there is no capacity to state (not "0–0").
            guard figures.limited > 0 else {
                row["capacity"] = .null
                row["status"] = .null
                row["withoutLimit"] = .int(figures.workers)
                return row
            }
            let unit = figures.units.count == 1 ? figures.units.first ?? "families" : "families"
            row["capacity"] = .object(
                JSONObject([
                    JSONMember("min", .number(Self.decimal(figures.min))),
                    JSONMember("max", .number(Self.decimal(figures.max))),
                    JSONMember("unit", .string(unit)),
                ]))
            let count = Double(
                unit == "children" ? figures.limitedChildren : figures.limitedFamilies)
            row["status"] = .string(
                count > figures.max ? "over" : count < figures.min ? "under" : "within")
            row["withoutLimit"] = .int(figures.workers - figures.limited)
            return row
        }
        var service = CapacityTally()
        var teamRows: [JSONObject] = []
        for (name, figures) in teams.sorted(by: { $0.key < $1.key }) {
            teamRows.append(total(name, "team", figures))
            service.workers += figures.workers
            service.fte += figures.fte
            service.families += figures.families
            service.children += figures.children
            service.limited += figures.limited
            service.limitedFamilies += figures.limitedFamilies
            service.limitedChildren += figures.limitedChildren
            service.min += figures.min
            service.max += figures.max
            service.units.formUnion(figures.units)
        }
        // Open families with nobody allocated count towards the service, not to anyone's caseload.
        var serviceRow = total("service", "service", service)
        serviceRow["openFamilies"] = .int(openFamilies)
        serviceRow["unallocated"] = .int(unallocated)
        return CaseloadFigures(
            workers: rows, teams: teamRows, service: serviceRow, workerInfo: rowWorkers,
            teamNames: teams.keys.sorted())
    }

    static func decimal(_ value: Double) -> String {
        let rounded = (value * 100).rounded() / 100
        if rounded == rounded.rounded() { return String(Int(rounded)) }
        var text = String(rounded)
        if text.contains("e") { text = String(Int(rounded)) }
        return text
    }

    // MARK: due

    /// Every family's obligations, by family, episode, due date, starting event and rule. Families come in order
    /// of their references and each obligation carries its family's, so each family's few are sorted on their own
    /// rather than all of them at once by string comparisons. One array, sized once (at most one more per episode
    /// than the fold holds: the open episode's duration). The list is large: a rebuild does not make it, but takes
    /// each family's (`obligations(of:)`) where it writes them.
    public func obligations() -> [Obligation] {
        let families = sortedFamilies
        var all: [Obligation] = []
        all.reserveCapacity(
            families.reduce(0) { sum, family in
                family.episodes.reduce(sum) { $0 + $1.obligations.count + 1 }
            })
        for family in families { all += obligations(of: family) }
        return all
    }

    /// One family's obligations, finished on `asOf`, in the order of their `due` rows (episode, due date,
    /// starting event, rule).
    public func obligations(of family: FamilyState) -> [Obligation] {
        fold.finishedObligations(family, asOf: asOf).sorted {
            ($0.episode, $0.dueOn, $0.fromSeq, $0.rule) < (
                $1.episode, $1.dueOn, $1.fromSeq, $1.rule
            )
        }
    }

    public func due() -> [JSONObject] { obligations().map(row) }

    /// The CSV columns of `due`: the members of `row`, `detail` last (empty where an obligation has none). The
    /// same columns whatever the rows, so a month's file lines up with the last.
    public static let obligationColumns = [
        "family", "episode", "rule", "label", "source", "from", "dueOn", "warnOn", "status",
        "metOn", "daysLate", "responsible", "detail",
    ]

    public func row(_ obligation: Obligation) -> JSONObject {
        // Members in column order, each once (a row is made for every obligation, several times in a rebuild).
        var members = [
            JSONMember("family", .string(obligation.family)),
            JSONMember("episode", .int(obligation.episode)),
            JSONMember("rule", .string(obligation.rule)),
            JSONMember("label", .string(obligation.label)),
            JSONMember("source", .string(obligation.source)),
            JSONMember("from", .int(obligation.fromSeq)),
            JSONMember("dueOn", obligation.shownDueOn.map { .string($0.description) } ?? .null),
            JSONMember("warnOn", obligation.warnOn.map { .string($0.description) } ?? .null),
            JSONMember("status", .string(obligation.status(asOf: asOf).rawValue)),
            JSONMember("metOn", obligation.metOn.map { .string($0.description) } ?? .null),
            JSONMember("daysLate", .int(obligation.daysLate(asOf: asOf))),
            JSONMember("responsible", obligation.responsible.map(JSONValue.string) ?? .null),
        ]
        if let detail = obligation.detail { members.append(JSONMember("detail", .string(detail))) }
        return JSONObject(members)
    }

    /// `row(obligation)` as a JSON document of rows has it (`RowBlocks.Format.json`, the `index`th row of its
    /// block), written straight to bytes: a rebuild writes hundreds of thousands of these rows, and a JSON object
    /// made for each only to be written costs more than the writing. A test holds it to the bytes of `row`.
    public func appendDueJSON(_ obligation: Obligation, index: Int, into out: inout [UInt8]) {
        func literal(_ text: StaticString) { text.withUTF8Buffer { out.append(contentsOf: $0) } }
        func string(_ text: String?) {
            if let text {
                JSONWriter.writeString(text, into: &out, display: true)
            } else {
                literal("null")
            }
        }
        RowWriter.appendJSONRowSeparator(index: index, into: &out)
        literal("{\"family\":")
        string(obligation.family)
        literal(",\"episode\":")
        out.append(contentsOf: String(obligation.episode).utf8)
        literal(",\"rule\":")
        string(obligation.rule)
        literal(",\"label\":")
        string(obligation.label)
        literal(",\"source\":")
        string(obligation.source)
        literal(",\"from\":")
        out.append(contentsOf: String(obligation.fromSeq).utf8)
        literal(",\"dueOn\":")
        string(obligation.shownDueOn?.description)
        literal(",\"warnOn\":")
        string(obligation.warnOn?.description)
        literal(",\"status\":")
        string(obligation.status(asOf: asOf).rawValue)
        literal(",\"metOn\":")
        string(obligation.metOn?.description)
        literal(",\"daysLate\":")
        out.append(contentsOf: String(obligation.daysLate(asOf: asOf)).utf8)
        literal(",\"responsible\":")
        string(obligation.responsible)
        if let detail = obligation.detail {
            literal(",\"detail\":")
            string(detail)
        }
        literal("}")
    }

    /// `row(obligation)` as a CSV line in `obligationColumns`, written straight to bytes (see `appendDueJSON`).
    public func appendDueCSV(_ obligation: Obligation, into out: inout [UInt8]) {
        func text(_ value: String?) {
            if let value { RowWriter.appendCSVText(value, into: &out) }
            out.append(UInt8(ascii: ","))
        }
        text(obligation.family)
        text(String(obligation.episode))
        text(obligation.rule)
        text(obligation.label)
        text(obligation.source)
        text(String(obligation.fromSeq))
        text(obligation.shownDueOn?.description)
        text(obligation.warnOn?.description)
        text(obligation.status(asOf: asOf).rawValue)
        text(obligation.metOn?.description)
        text(String(obligation.daysLate(asOf: asOf)))
        if let responsible = obligation.responsible {
            RowWriter.appendCSVText(responsible, into: &out)
        }
        out.append(UInt8(ascii: ","))
        if let detail = obligation.detail { RowWriter.appendCSVText(detail, into: &out) }
        out.append(contentsOf: [0x0D, 0x0A])
    }

    // MARK: pbr

    public func pbr() -> [JSONObject] {
        let policy = fold.policy(on: asOf)
        return sortedFamilies.compactMap { pbrRow($0, policy: policy) }
    }

    /// One family's row of `pbr` (nil before its first referral), under `policy` (the one in force on the as-of
    /// date).
    public func pbrRow(_ family: FamilyState, policy: Policy?) -> JSONObject? {
        let pbr = policy?.pbr
        guard let episode = family.current else { return nil }
        let level = episode.level
        let criteria = Self.orderedCriteria(family)
        // Attached only on the criteria identified, never fewer than the national two, whatever the profile
        // presumes (POLICIES.md, Payment by results; 004 §23's "assume all families ... are eligible" is an
        // instruction to workers, not a claim).
        let needed = (pbr ?? .national).criteriaNeeded(level: level)
        let attached = criteria.count >= needed
        // Claimable only once the family has been worked with: an engagement in the episode.
        let workedWith = episode.engaged
        var progress = JSONObject()
        progress.members.reserveCapacity(PbRCriterion.all.count)
        var allMet = !criteria.isEmpty
        for criterion in PbRCriterion.all {
            let (status, evidence) = progressStatus(criterion, family: family, policy: policy)
            // Each criterion once (PbRCriterion.all names each once).
            progress.members.append(
                JSONMember(
                    criterion,
                    .object(
                        JSONObject([
                            JSONMember("status", .string(status)),
                            JSONMember("evidence", .array(evidence.map(JSONValue.string))),
                        ]))))
            if criteria.contains(criterion) && status != "met" { allMet = false }
        }
        // With no policy adopted, no benefit has a number of weeks set: no employment qualifies.
        let weeks = pbr?.employmentWeeks ?? [:]
        // An adult's employment (POLICIES.md): a member of the family, 18 or over on the as-of date by their date
        // of birth, or, with none recorded, not recorded as a child. A job recorded for a child, or for someone
        // who is not (or no longer) a member, never makes the family claimable: over-claiming is repaid.
        func adult(_ memberId: String) -> Bool {
            guard let member = family.members.first(where: { $0.id == memberId }) else {
                return false
            }
            if let dob = member.dob { return AnnexA.age(born: dob, on: asOf) >= 18 }
            return member.role != "child"
        }
        let records = family.employment.map { record in
            let needed = weeks[record.benefit]
            let adult = adult(record.memberId)
            return (
                record, needed, adult,
                qualifies: adult && needed.map { record.weeks >= $0 } ?? false
            )
        }
        let employment = records.map { record, needed, adult, qualifies -> JSONValue in
            .object(
                JSONObject([
                    JSONMember("event", .string(record.id)),
                    JSONMember("memberId", .string(record.memberId)),
                    JSONMember("adult", .bool(adult)),
                    JSONMember("benefit", .string(record.benefit)),
                    JSONMember("continuousWeeks", .int(record.weeks)),
                    JSONMember("weeksNeeded", needed.map { .int($0) } ?? .null),
                    JSONMember("qualifies", .bool(qualifies)),
                ]))
        }
        let employed = records.contains(where: \.qualifies)
        // Over-claiming is what councils were asked to repay: every claim needs the family attached and worked
        // with; employment then stands in for the progress criteria. Which kinds the family supports is decided
        // once, here, and read both by `claimable` and by the checks of the claims made.
        let supports: [(kind: String, supported: Bool, otherwise: String)] = [
            ("attachment", attached && workedWith, "the family is not attached and worked with"),
            ("progress", attached && workedWith && allMet, "not every criterion's progress is met"),
            (
                "employment", attached && workedWith && employed,
                "no adult member's employment qualifies"
            ),
        ]
        let claimable = supports.filter { $0.supported && family.claims[$0.kind] == nil }.map(
            \.kind)
        // What a data officer must look at before a claim is sent or defended: a kind claimed more than once, and a
        // claim the family, as of this date, does not support (on the same facts as `claimable`, so a page's next
        // change by date, `nextChange`, covers it; the text names no date).
        var checks: [String] = []
        for (kind, ids) in family.claims.sorted(by: { $0.key < $1.key }) {
            if ids.count > 1 {
                checks.append("\(kind) claimed \(ids.count) times: \(ids.joined(separator: ", "))")
            }
            if let rule = supports.first(where: { $0.kind == kind }), !rule.supported {
                checks.append("\(kind) claimed, but \(rule.otherwise)")
            }
        }
        return JSONObject([
            JSONMember("family", .string(family.ref)),
            JSONMember("level", level.map(JSONValue.string) ?? .null),
            JSONMember("criteria", .array(criteria.map(JSONValue.string))),
            JSONMember("criteriaNeeded", .int(needed)),
            JSONMember("attached", .bool(attached)),
            JSONMember("progress", .object(progress)),
            JSONMember("employment", .array(employment)),
            JSONMember("claimable", .array(claimable.map(JSONValue.string))),
            JSONMember("claimed", .array(family.claims.keys.sorted().map(JSONValue.string))),
            JSONMember("claimChecks", .array(checks.map(JSONValue.string))),
        ])
    }

    /// A criterion's progress: met, not-met or unknown, with the events that show it, by the policy's rule for it
    /// (the national rules where no policy is adopted).
    func progressStatus(_ criterion: String, family: FamilyState, policy: Policy?) -> (
        String, [String]
    ) {
        guard let rule = (policy?.pbr ?? .national).progress[criterion] else {
            return ("unknown", [])
        }
        switch rule {
        case .familyStar(let threshold, let domains, let atLeast, let including):
            guard let star = family.episodes.reversed().lazy.compactMap(\.latestStar).first else {
                return ("unknown", [])
            }
            let reached = { (domain: String) in (star.score(domain) ?? 0) >= threshold }
            let met = domains.count(where: reached) >= atLeast && including.allSatisfy(reached)
            return (met ? "met" : "not-met", [star.eventID])
        case .attendance(let percent):
            // Not met as soon as any child's latest is below the threshold; unknown only while none is below and
            // some child has no reading (POLICIES.md; 004 §23 "work with all families to achieve 90% attendance").
            let children = family.members.filter { $0.role == "child" }
            let readings = children.compactMap { family.attendance[$0.id] }
            let evidence = readings.map(\.id).sorted()
            if readings.contains(where: { $0.percent < percent }) { return ("not-met", evidence) }
            guard !children.isEmpty, readings.count == children.count else {
                return ("unknown", evidence)
            }
            return ("met", evidence)
        case .offenceFree(let months):
            let since = asOf.adding(months: -months)
            let recent = family.offences.filter { $0.date > since && $0.date <= asOf }
            return (recent.isEmpty ? "met" : "not-met", recent.map(\.id))
        }
    }

    // MARK: monthly

    /// The `timeliness` figures of `monthly`, for every month at once: by the month they fell due, each rule's
    /// obligations that could be judged (checks, and those lapsed or still open, aside) and how many were met on
    /// time. Counted one obligation at a time, so that a rebuild never needs all of them at once.
    public struct Timeliness: Sendable {
        var months: [Int: [String: (onTime: Int, due: Int)]] = [:]

        public init() {}

        /// Counts `obligation` as it stands on `asOf`.
        public mutating func count(_ obligation: Obligation, asOf: CivilDate) {
            guard obligation.kind != .check else { return }
            let status = obligation.status(asOf: asOf)
            if status == .lapsed || status == .open || status == .warning { return }
            let key = Reports.monthKey(obligation.dueOn)
            var entry = months[key, default: [:]][obligation.rule] ?? (0, 0)
            entry.due += 1
            if status == .met { entry.onTime += 1 }
            months[key, default: [:]][obligation.rule] = entry
        }

        /// Adds another count's figures to these.
        public mutating func merge(_ other: Timeliness) {
            for (key, rules) in other.months {
                for (rule, figures) in rules {
                    var entry = months[key, default: [:]][rule] ?? (0, 0)
                    entry.onTime += figures.onTime
                    entry.due += figures.due
                    months[key, default: [:]][rule] = entry
                }
            }
        }

        func month(year: Int, month: Int) -> [String: (onTime: Int, due: Int)] {
            months[year * 12 + month] ?? [:]
        }
    }

    /// The figures of a month. Its timeliness is counted from the fold's obligations, unless `timeliness` has
    /// counted them already.
    public func monthly(year: Int, month: Int, timeliness given: Timeliness? = nil) -> JSONObject {
        let first = CivilDate(year: year, month: month, day: 1) ?? asOf
        return monthly(months: [first], timeliness: given)[0]
    }

    /// The figures of each month of `months` (their first days), in that order, from one walk of the episodes
    /// rather than one per month (a rebuild writes every month since the first referral). Their timeliness is
    /// counted from the fold's obligations, unless `timeliness` has counted them already.
    public func monthly(months: [CivilDate], timeliness given: Timeliness? = nil) -> [JSONObject] {
        guard let lowest = months.map(Self.monthKey).min(),
            let highest = months.map(Self.monthKey).max()
        else { return [] }
        /// A month's counts, by `monthKey`; those outside `months` are never made.
        struct Figures {
            var referrals = 0, reReferrals = 0, allocations = 0, stepUps = 0, stepDowns = 0
            var closures: [String: Int] = [:]
            var daysOpen: [Int] = []
            var starChanges: [Double] = []
        }
        var figures: [Int: Figures] = [:]
        for key in months.map(Self.monthKey) { figures[key] = Figures() }
        /// Changes in the number open at a month's end, from month `lowest`: an episode is open at the end of every
        /// month from its opening's up to (not including) its closing's.
        var openChanges = [Int](repeating: 0, count: highest - lowest + 2)
        func change(_ key: Int, by amount: Int) {
            openChanges[min(max(key, lowest), highest + 1) - lowest] += amount
        }
        for family in fold.families.values {
            for episode in family.episodes {
                let opened = Self.monthKey(episode.openedOn)
                if figures[opened] != nil {
                    figures[opened]?.referrals += 1
                    if episode.reReferral { figures[opened]?.reReferrals += 1 }
                }
                if let date = episode.firstAllocationOn {
                    figures[Self.monthKey(date)]?.allocations += 1
                }
                if let date = episode.stepUpAcceptedOn {
                    figures[Self.monthKey(date)]?.stepUps += 1
                }
                if let date = episode.stepDownOn { figures[Self.monthKey(date)]?.stepDowns += 1 }
                if let closed = episode.closedOn, figures[Self.monthKey(closed)] != nil {
                    figures[Self.monthKey(closed)]?.closures[
                        episode.closeReason ?? "unknown", default: 0] += 1
                    figures[Self.monthKey(closed)]?.daysOpen.append(
                        episode.openedOn.days(until: closed))
                }
                let closes = episode.closedOn.map(Self.monthKey) ?? highest + 1
                if opened < closes && opened <= highest && closes > lowest {
                    change(opened, by: 1)
                    change(closes, by: -1)
                }
                if let firstStar = episode.firstStar, let latest = episode.latestStar,
                    latest.eventID != firstStar.eventID,
                    figures[Self.monthKey(latest.date)] != nil
                {
                    let change =
                        Double(latest.scores.reduce(0, +) - firstStar.scores.reduce(0, +)) / 10
                    figures[Self.monthKey(latest.date)]?.starChanges.append(change)
                }
            }
        }
        var openAtEnd = [Int](repeating: 0, count: openChanges.count)
        var running = 0
        for index in openChanges.indices {
            running += openChanges[index]
            openAtEnd[index] = running
        }
        let timeliness: Timeliness
        if let given {
            timeliness = given
        } else {
            // Counted family by family: the finished, sorted list of every obligation is not needed to count them.
            var counted = Timeliness()
            for family in fold.families.values {
                for obligation in fold.finishedObligations(family, asOf: asOf)
                where figures[Self.monthKey(obligation.dueOn)] != nil {
                    counted.count(obligation, asOf: asOf)
                }
            }
            timeliness = counted
        }
        return months.map { first in
            let key = Self.monthKey(first)
            let month = figures[key] ?? Figures()
            let rules = timeliness.month(year: first.year, month: first.month)
            var row = JSONObject()
            row["month"] = .string(String(first.description.prefix(7)))
            row["referrals"] = .int(month.referrals)
            row["reReferrals"] = .int(month.reReferrals)
            row["allocations"] = .int(month.allocations)
            row["closures"] = .object(
                JSONObject(
                    month.closures.sorted { $0.key < $1.key }.map {
                        JSONMember($0.key, .int($0.value))
                    }))
            row["closuresTotal"] = .int(month.closures.values.reduce(0, +))
            row["stepUps"] = .int(month.stepUps)
            row["stepDowns"] = .int(month.stepDowns)
            row["openAtMonthEnd"] = .int(openAtEnd[key - lowest])
            row["meanDaysOpenAtClosure"] =
                month.daysOpen.isEmpty
                ? .null
                : .number(
                    Self.decimal(Double(month.daysOpen.reduce(0, +)) / Double(month.daysOpen.count))
                )
            row["timeliness"] = .object(
                JSONObject(
                    rules.sorted { $0.key < $1.key }.map {
                        JSONMember(
                            $0.key,
                            .object(
                                JSONObject([
                                    JSONMember("onTime", .int($0.value.onTime)),
                                    JSONMember("due", .int($0.value.due)),
                                ])))
                    }))
            row["meanStarChange"] =
                month.starChanges.isEmpty
                ? .null
                : .number(
                    Self.decimal(month.starChanges.reduce(0, +) / Double(month.starChanges.count)))
            return row
        }
    }

    /// The CSV columns of `monthly` over `rows`: every figure, closures by every reason of the catalogue and
    /// timeliness (on time, due) by every timed rule of the policies adopted, whatever the months hold, so that one
    /// month's file lines up with the next (a reason or rule a row holds beyond those is added, never dropped).
    public func monthlyColumns(_ rows: [JSONObject]) -> [String] {
        let (reasons, rules) = monthlyKeys(rows)
        var columns: [String] = []
        for key in Self.monthlyMembers {
            switch key {
            case "closures": columns += reasons.map { "closures.\($0)" }
            case "timeliness":
                columns += rules.flatMap { ["timeliness.\($0).onTime", "timeliness.\($0).due"] }
            default: columns.append(key)
            }
        }
        return columns
    }

    /// `row` of `monthly` as its CSV line reads it: every closure reason and timed rule of `monthlyColumns`
    /// present, 0 where the month had none.
    public func monthlyCSVRow(_ row: JSONObject, columnsOf rows: [JSONObject]) -> JSONObject {
        let (reasons, rules) = monthlyKeys(rows)
        var row = row
        let closures = row["closures"]?.objectValue ?? JSONObject()
        row["closures"] = .object(
            JSONObject(reasons.map { JSONMember($0, closures[$0] ?? .int(0)) }))
        let timeliness = row["timeliness"]?.objectValue ?? JSONObject()
        row["timeliness"] = .object(
            JSONObject(
                rules.map { rule in
                    JSONMember(
                        rule,
                        timeliness[rule]
                            ?? .object(
                                JSONObject([
                                    JSONMember("onTime", .int(0)), JSONMember("due", .int(0)),
                                ])))
                }))
        return row
    }

    /// The members of a `monthly` row, in order.
    static let monthlyMembers = [
        "month", "referrals", "reReferrals", "allocations", "closures", "closuresTotal", "stepUps",
        "stepDowns", "openAtMonthEnd", "meanDaysOpenAtClosure", "timeliness", "meanStarChange",
    ]

    /// The closure reasons (the catalogue's, then any other `rows` hold) and the timed rules (the adopted
    /// policies', and any other `rows` hold, sorted) of `monthlyColumns`.
    private func monthlyKeys(_ rows: [JSONObject]) -> (reasons: [String], rules: [String]) {
        var reasons = CaseClosure.reasons
        var rules = fold.timedRuleIDs
        for row in rows {
            for key in row["closures"]?.objectValue?.keys ?? [] where !reasons.contains(key) {
                reasons.append(key)
            }
            rules.formUnion(row["timeliness"]?.objectValue?.keys ?? [])
        }
        return (reasons, rules.sorted())
    }

    /// A month as a number (`year * 12 + month`), as `Timeliness` keys them.
    static func monthKey(_ date: CivilDate) -> Int { date.year * 12 + date.month }
}
