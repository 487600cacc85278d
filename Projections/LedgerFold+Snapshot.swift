import EventLog
import LedgerCore

extension LedgerFold {
    /// The version of the fold's meaning: a snapshot made by a ledger whose fold worked differently must not be
    /// read by this one. Bump it with any change to how events change the fold's state.
    static let snapshotVersion = 2

    /// The fold's meaning (`meaning`, the fingerprint of what it answers over a fixed demo log) recorded for each
    /// snapshot version. A golden test holds `meaning` to the entry for `snapshotVersion`: a change of meaning
    /// fails it until the version is bumped and the new fingerprint recorded here, beside it.
    static let meanings: [Int: String] = [
        2: "19b02d293eef5024642c769ff3c1480a65cdbc938b107319ae30d428626d0870"
    ]

    /// The fold's whole state as bytes, to be restored by `init(snapshot:)` (or `FoldSnapshot`, family by family)
    /// and folded on from there: the same state, so the same projections, as folding the log again.
    ///
    /// Layout after the string table: the organisation (version, obligations or not, policies adopted, workers,
    /// teams), each family's record in the order of their refs, an index of (ref, where its record starts), and
    /// eight bytes saying where the index starts.
    public func snapshot() -> [UInt8] {
        var writer = SnapshotWriter()
        write(to: &writer)
        return writer.bytes()
    }

    /// `snapshot()`'s bytes handed to `write` about `pieces` bytes at a time, never all held: the fold is walked
    /// twice, first for its strings (the table, which comes first), then for the rest. False (after some bytes
    /// were handed over) if the second walk met a string the first did not, which would be a fault in this code:
    /// what was written must then be thrown away.
    public func writeSnapshot(pieces: Int = 1 << 20, _ write: @escaping ([UInt8]) -> Void) -> Bool {
        var gathered = SnapshotWriter.gatheringStrings()
        self.write(to: &gathered)
        gathered.finish()
        for part in gathered.tableParts() { write(part) }
        var writer = SnapshotWriter(strings: gathered, chunkSize: pieces, sink: write)
        self.write(to: &writer)
        writer.finish()
        return writer.stringCount == gathered.stringCount
    }

    private func write(to writer: inout SnapshotWriter) {
        writer.int(Self.snapshotVersion)
        writer.bool(compliance)
        writer.array(adoptions) { writer, adopted in
            writer.date(adopted.effectiveFrom)
            writer.int(adopted.seq)
            switch adopted.document {
            case .profile(let name):
                writer.bool(false)
                writer.string(name)
            case .custom(let text):
                writer.bool(true)
                writer.string(text)
            }
        }
        writer.array(workers.values.sorted { $0.id < $1.id }) { writer, worker in
            writer.string(worker.id)
            writer.string(worker.name)
            writer.string(worker.role)
            writer.string(worker.team)
            writer.double(worker.fte)
            writer.optional(worker.caseload) { writer, limit in
                writer.int(limit.min)
                writer.int(limit.max)
            }
            writer.bool(worker.left)
        }
        writer.array(teams.values.sorted { $0.id < $1.id }) { writer, team in
            writer.string(team.id)
            writer.string(team.name)
            writer.optional(team.locality) { $0.string($1) }
            writer.optional(team.service) { $0.string($1) }
        }
        var index: [(ref: String, offset: Int)] = []
        for ref in families.keys.sorted() {
            guard let family = families[ref] else { continue }
            index.append((ref, writer.position))
            writer.family(family)
        }
        let indexStart = writer.position
        writer.array(index) { writer, entry in
            writer.string(entry.ref)
            writer.int(entry.offset)
        }
        writer.fixed(indexStart)
    }

    /// A fold restored from `snapshot()`'s bytes; throws `SnapshotError` when they are not a snapshot of this version.
    public init(snapshot bytes: [UInt8]) throws {
        self = try FoldSnapshot(bytes).fold()
    }
}

/// A fold snapshot read as needed: the organisation at once, families only when asked for (a query after a few
/// appends reads back only the families those appends touch).
public struct FoldSnapshot {
    private var reader: SnapshotReader
    private let organisation: LedgerFold
    /// Every family's ref and where its record starts, in the order of the refs.
    public let index: [(ref: String, offset: Int)]

    /// Reads the organisation and the index of `bytes`; throws `SnapshotError` when they are not a snapshot of
    /// this version.
    public init(_ bytes: [UInt8]) throws {
        reader = try SnapshotReader(bytes)
        let version = try reader.int()
        guard version == LedgerFold.snapshotVersion else {
            throw SnapshotError(
                reason:
                    "made by another version of the fold (\(version), this is \(LedgerFold.snapshotVersion))"
            )
        }
        var fold = LedgerFold(compliance: try reader.bool())
        fold.adoptions = try reader.array { (reader) throws in
            let from = try reader.date()
            let seq = try reader.int()
            let document: AdoptedPolicy.Document =
                try reader.bool() ? .custom(try reader.string()) : .profile(try reader.string())
            guard let adopted = AdoptedPolicy(document, effectiveFrom: from, seq: seq) else {
                throw SnapshotError(reason: "a policy adopted at seq \(seq) cannot be read")
            }
            return adopted
        }
        for worker in try reader.array({ (reader) throws in
            WorkerInfo(
                id: try reader.string(), name: try reader.string(), role: try reader.string(),
                team: try reader.string(),
                fte: try reader.double(),
                caseload: try reader.optional { (reader) throws in
                    (try reader.int(), try reader.int())
                },
                left: try reader.bool())
        }) {
            fold.workers[worker.id] = worker
        }
        for team in try reader.array({ (reader) throws in
            TeamInfo(
                id: try reader.string(), name: try reader.string(),
                locality: try reader.optional { try $0.string() },
                service: try reader.optional { try $0.string() })
        }) {
            fold.teams[team.id] = team
        }
        organisation = fold
        let indexStart = try reader.trailer()
        try reader.seek(toBody: indexStart)
        index = try reader.array { (reader) throws in (try reader.string(), try reader.int()) }
        guard reader.remaining == 8 else {
            throw SnapshotError(reason: "bytes between the index and the trailer")
        }
    }

    /// The fold with the organisation and the families `refs`. A ref not in the snapshot is skipped: that family
    /// starts afresh when its first event comes.
    public func fold(families refs: some Collection<String>) throws -> LedgerFold {
        var fold = organisation
        var reader = self.reader
        fold.families.reserveCapacity(refs.count)
        for ref in refs {
            guard let offset = offset(of: ref) else { continue }
            try reader.seek(toBody: offset)
            fold.families[ref] = try reader.family()
        }
        return fold
    }

    /// The whole fold.
    public func fold() throws -> LedgerFold {
        var fold = organisation
        var reader = self.reader
        fold.families.reserveCapacity(index.count)
        for entry in index {
            try reader.seek(toBody: entry.offset)
            fold.families[entry.ref] = try reader.family()
        }
        return fold
    }

    private func offset(of ref: String) -> Int? {
        var low = 0
        var high = index.count
        while low < high {
            let middle = (low + high) / 2
            if index[middle].ref == ref { return index[middle].offset }
            if index[middle].ref < ref { low = middle + 1 } else { high = middle }
        }
        return nil
    }
}

extension SnapshotWriter {
    mutating func family(_ family: FamilyState) {
        string(family.ref)
        optional(family.ufrn) { $0.string($1) }
        array(family.members) { writer, person in
            writer.string(person.id)
            writer.string(person.name)
            writer.optional(person.dob) { $0.date($1) }
            writer.string(person.role)
        }
        array(family.episodes) { $0.episode($1) }
        array(family.criteria.keys.sorted()) { writer, criterion in
            writer.string(criterion)
            writer.array(family.criteria[criterion] ?? []) { $0.string($1) }
        }
        array(family.attendance.keys.sorted()) { writer, member in
            guard let reading = family.attendance[member] else { return }
            writer.string(member)
            writer.string(reading.id)
            writer.date(reading.to)
            writer.double(reading.percent)
        }
        array(family.offences) { writer, offence in
            writer.string(offence.id)
            writer.date(offence.date)
        }
        array(family.employment) { writer, record in
            writer.string(record.id)
            writer.string(record.memberId)
            writer.string(record.benefit)
            writer.int(record.weeks)
        }
        array(family.claims.keys.sorted()) { writer, kind in
            writer.string(kind)
            writer.array(family.claims[kind] ?? []) { $0.string($1) }
        }
    }

    mutating func episode(_ episode: Episode) {
        int(episode.number)
        string(episode.referralID)
        date(episode.openedOn)
        int(episode.openedSeq)
        optional(episode.source) { $0.string($1) }
        bool(episode.reReferral)
        optional(episode.stepDownFrom) { $0.string($1) }
        optional(episode.level) { $0.string($1) }
        bool(episode.triaged)
        bool(episode.engaged)
        optional(episode.closedOn) { $0.date($1) }
        optional(episode.closeReason) { $0.string($1) }
        array(episode.workers.keys.sorted()) { writer, worker in
            writer.string(worker)
            writer.string(episode.workers[worker] ?? "")
        }
        optional(episode.lead) { $0.string($1) }
        optional(episode.firstAllocationOn) { $0.date($1) }
        optional(episode.firstStar) { $0.star($1) }
        optional(episode.latestStar) { $0.star($1) }
        optional(episode.nextReviewBy) { $0.date($1) }
        array(episode.requirementsMet.sorted()) { $0.string($1) }
        optional(episode.stepUpAcceptedOn) { $0.date($1) }
        bool(episode.stepUpRequested)
        optional(episode.stepDownOn) { $0.date($1) }
        bool(episode.consentGiven)
        optional(episode.lastReviewOn) { $0.date($1) }
        array(episode.contactAttempts) { writer, attempt in
            writer.string(attempt.method)
            writer.date(attempt.date)
        }
        array(episode.justifications) { writer, justification in
            writer.string(justification.type)
            writer.date(justification.date)
            writer.string(justification.role)
        }
        array(episode.obligations) { $0.obligation($1) }
        array(episode.firstSeen.sorted()) { $0.string($1) }
        array(episode.recurringCurrent.keys.sorted()) { writer, rule in
            writer.string(rule)
            writer.int(episode.recurringCurrent[rule] ?? 0)
        }
        optional(episode.visitEveryDays) { $0.int($1) }
    }

    mutating func star(_ star: StarReading) {
        string(star.eventID)
        date(star.date)
        string(star.type)
        array(star.scores) { $0.int($1) }
    }

    mutating func obligation(_ obligation: Obligation) {
        string(obligation.family)
        int(obligation.episode)
        string(obligation.rule)
        string(obligation.label)
        string(obligation.source)
        string(obligation.kind.rawValue)
        int(obligation.fromSeq)
        date(obligation.fromDate)
        date(obligation.dueOn)
        optional(obligation.metOn) { $0.date($1) }
        optional(obligation.metSeq) { $0.int($1) }
        optional(obligation.lapsedOn) { $0.date($1) }
        optional(obligation.checkPassed) { $0.bool($1) }
        optional(obligation.detail) { $0.string($1) }
        optional(obligation.extendable) { $0.string($1) }
        array(obligation.targets) { $0.string($1.description) }
        optional(obligation.responsible) { $0.string($1) }
        optional(obligation.warnOn) { $0.date($1) }
    }
}

extension SnapshotReader {
    mutating func family() throws -> FamilyState {
        var family = FamilyState(ref: try string())
        family.ufrn = try optional { try $0.string() }
        family.members = try array { (reader) throws in
            Person(
                id: try reader.string(), name: try reader.string(),
                dob: try reader.optional { try $0.date() }, role: try reader.string())
        }
        family.episodes = try array { try $0.episode() }
        for _ in 0..<(try count()) {
            family.criteria[try string()] = try array { try $0.string() }
        }
        for _ in 0..<(try count()) {
            let member = try string()
            family.attendance[member] = (try string(), try date(), try double())
        }
        family.offences = try array { (reader) throws in (try reader.string(), try reader.date()) }
        family.employment = try array { (reader) throws in
            (try reader.string(), try reader.string(), try reader.string(), try reader.int())
        }
        for _ in 0..<(try count()) {
            family.claims[try string()] = try array { try $0.string() }
        }
        return family
    }

    mutating func episode() throws -> Episode {
        var episode = Episode(
            number: try int(), referralID: try string(), openedOn: try date(), openedSeq: try int())
        episode.source = try optional { try $0.string() }
        episode.reReferral = try bool()
        episode.stepDownFrom = try optional { try $0.string() }
        episode.level = try optional { try $0.string() }
        episode.triaged = try bool()
        episode.engaged = try bool()
        episode.closedOn = try optional { try $0.date() }
        episode.closeReason = try optional { try $0.string() }
        for _ in 0..<(try count()) {
            episode.workers[try string()] = try string()
        }
        episode.lead = try optional { try $0.string() }
        episode.firstAllocationOn = try optional { try $0.date() }
        episode.firstStar = try optional { try $0.star() }
        episode.latestStar = try optional { try $0.star() }
        episode.nextReviewBy = try optional { try $0.date() }
        episode.requirementsMet = Set(try array { try $0.string() })
        episode.stepUpAcceptedOn = try optional { try $0.date() }
        episode.stepUpRequested = try bool()
        episode.stepDownOn = try optional { try $0.date() }
        episode.consentGiven = try bool()
        episode.lastReviewOn = try optional { try $0.date() }
        episode.contactAttempts = try array { (reader) throws in
            (try reader.string(), try reader.date())
        }
        episode.justifications = try array { (reader) throws in
            (try reader.string(), try reader.date(), try reader.string())
        }
        episode.obligations = try array { try $0.obligation() }
        episode.firstSeen = Set(try array { try $0.string() })
        for _ in 0..<(try count()) {
            episode.recurringCurrent[try string()] = try int()
        }
        episode.visitEveryDays = try optional { try $0.int() }
        return episode
    }

    mutating func star() throws -> StarReading {
        StarReading(
            eventID: try string(), date: try date(), type: try string(),
            scores: try array { try $0.int() })
    }

    /// The event patterns named by `texts`, made once per distinct list (an obligation's targets are its rule's).
    mutating func patterns(_ texts: [String]) throws -> [EventPattern] {
        if let known = patternLists[texts] { return known }
        var made: [EventPattern] = []
        made.reserveCapacity(texts.count)
        for text in texts {
            guard let pattern = EventPattern(text) else {
                throw SnapshotError(reason: "event pattern \(text)")
            }
            made.append(pattern)
        }
        patternLists[texts] = made
        return made
    }

    mutating func obligation() throws -> Obligation {
        let family = try string()
        let episode = try int()
        // The terms' strings by their places in the table, read as strings when first seen.
        var key = [try stringIndex(), try stringIndex(), try stringIndex(), try stringIndex()]
        let fromSeq = try int()
        let fromDate = try date()
        let dueOn = try date()
        let metOn = try optional { try $0.date() }
        let metSeq = try optional { try $0.int() }
        let lapsedOn = try optional { try $0.date() }
        let checkPassed = try optional { try $0.bool() }
        let detail = try optional { try $0.string() }
        key.append(try optional { try $0.stringIndex() } ?? -1)
        key += try array { try $0.stringIndex() }
        let terms =
            try obligationTerms[key]
            ?? {
                guard let kind = Obligation.Kind(rawValue: string(at: key[3])) else {
                    throw SnapshotError(reason: "obligation kind")
                }
                let made = ObligationTerms(
                    rule: string(at: key[0]), label: string(at: key[1]), source: string(at: key[2]),
                    kind: kind,
                    extendable: key[4] < 0 ? nil : string(at: key[4]),
                    targets: try patterns(key[5...].map { string(at: $0) }))
                obligationTerms[key] = made
                return made
            }()
        var obligation = Obligation(
            family: family, episode: episode, terms: terms, fromSeq: fromSeq, fromDate: fromDate,
            dueOn: dueOn,
            checkPassed: checkPassed, detail: detail)
        obligation.metOn = metOn
        obligation.metSeq = metSeq
        obligation.lapsedOn = lapsedOn
        obligation.responsible = try optional { try $0.string() }
        obligation.warnOn = try optional { try $0.date() }
        return obligation
    }
}
