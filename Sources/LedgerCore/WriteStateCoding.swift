import EventLog

/// The write state's file format (`<log>.state` and `<log>.state-delta`, described at `WriteStateStore`, which
/// reads and writes the files): how a stream's state is written as a line and read back, a delta block's check,
/// stamps and policy adoptions. Kept beside the state it saves, with no I/O of its own.
package enum WriteStateCoding {
    package static let magic = "ledger-write-state 11"

    // MARK: Encoding one stream

    package static func encodeStream(_ stream: String, state: WriteState) -> String {
        let key = StreamName.key(of: stream)
        var line = "\(stream)\t\(state.count(of: stream))"
        line += "\t" + state.voided(on: stream).map(String.init).joined(separator: ";")
        func text(_ value: Int?) -> String { value.map(String.init) ?? "-" }
        switch StreamName.kind(of: stream) {
        case .family?:
            // Seqs, not ids, and a member's seqs only when they are not the opening referral's: the base is read
            // whole by every append.
            let family = state.family(key) ?? WriteState.Family()
            let members = family.members.sorted(by: { $0.key < $1.key }).map {
                var member =
                    "\($0.key),\($0.value.role),\($0.value.dob.map(String.init(describing:)) ?? "-")"
                if $0.value.stays != [WriteState.Member.Stay(since: family.openedAt, until: nil)] {
                    for stay in $0.value.stays {
                        member += ",\(stay.since),\(text(stay.until)),\(stay.added ? "a" : "r")"
                    }
                }
                return member
            }.joined(separator: ";")
            line +=
                "\tF\t\(family.open ? 1 : 0)\t\(family.closureApproved ? 1 : 0)\t\(family.openedAt)"
            line += "\t\(text(family.lastClosure))\t\(text(family.approval))\t\(members)"
            line += "\t\(holds(family.holds))\t\(family.dependents)\t"
            line += family.ufrns.map(String.init).joined(separator: ";") + "\t"
            line += family.signOffs.map { "\($0.closure),\($0.on),\(text($0.approval))" }.joined(
                separator: ";")
            line += "\t" + (family.disposed.map { "\($0.seq),\($0.on),\($0.id)" } ?? "-")
            line +=
                "\t"
                + family.spans.map {
                    "\($0.opened),\($0.closed.map(String.init(describing:)) ?? "-"),\(text($0.closedSeq))"
                }
                .joined(separator: ";")
            line += "\t" + (family.work.floor.map(String.init(describing:)) ?? "-")
            line += "\t" + family.work.kept.map { "\($0.date),\($0.seq)" }.joined(separator: ";")
            line += "\t" + family.lateEntries.map(String.init).joined(separator: ";")
        case .worker?:
            if let worker = state.worker(key) {
                line += "\tW\t\(worker.role)\t\(worker.left ? 1 : 0)\t"
                line += worker.periods.map {
                    "\($0.from),\(text($0.until)),\(text($0.firstAllocation))"
                }.joined(separator: ";")
                line += "\t"
                line += worker.roles.map {
                    "\($0.from),\($0.role),\(text($0.firstAct)),\($0.firstActID ?? "-"),\($0.on),\($0.setsRole ? 1 : 0)"
                }.joined(separator: ";")
                line += "\t\(text(worker.firstNamed)),\(worker.firstNamedType ?? "-")"
            } else {
                line += "\tO"
            }
        case .system?:
            if let system = state.system(key) {
                line += "\tS\t\(system.retired ? 1 : 0)\t\(system.purpose)\t\(system.since)"
                line += "\t\(text(system.firstAct)),\(system.firstActID ?? "-")"
                line += "\t\(text(system.firstHRAct)),\(system.firstHRActID ?? "-")"
            } else {
                line += "\tO"
            }
        case .org?:
            line += "\tG\t\(holds(state.orgHoldList))"
        default:
            line += "\tO"
        }
        return line + "\n"
    }

    /// Holds as `id@date;…` (an id has no `@`, `;`, `,` or tab).
    static func holds(_ holds: [WriteState.Hold]) -> String {
        holds.map { "\($0.id)@\($0.placed)" }.joined(separator: ";")
    }

    static func holds(_ text: Substring) -> [WriteState.Hold]? {
        var holds: [WriteState.Hold] = []
        for item in text.split(separator: ";") {
            let parts = item.split(separator: "@", omittingEmptySubsequences: false)
            guard parts.count == 2, let placed = CivilDate(parts[1]) else { return nil }
            holds.append(WriteState.Hold(id: String(parts[0]), placed: placed))
        }
        return holds
    }

    /// One decoded stream line.
    package struct StreamRecord {
        package var stream: String
        package var count: Int
        package var family: WriteState.Family?
        package var worker: WriteState.Worker?
        package var system: WriteState.System?
        /// The holds in force on `org`.
        package var orgHolds: [WriteState.Hold]?
        /// The seqs of the stream's voided events.
        package var voided: [Int] = []
    }

    package static func decodeStream(_ line: Substring) -> StreamRecord? {
        let all = line.split(separator: "\t", omittingEmptySubsequences: false)
        guard all.count >= 4, let count = Int(all[1]) else { return nil }
        var record = StreamRecord(stream: String(all[0]), count: count)
        var voided: [Int] = []
        for seq in all[2].split(separator: ";") {
            guard let value = Int(seq) else { return nil }
            voided.append(value)
        }
        record.voided = voided
        // The kind's fields, numbered as they were before the voided seqs.
        let fields = [all[0], all[1]] + all[3...]
        func optional(_ text: Substring) -> String? { text == "-" ? nil : String(text) }
        func number(_ text: Substring) -> Int?? {
            text == "-" ? .some(nil) : Int(text).map { Optional($0) }
        }
        func parts(_ text: Substring, _ count: Int) -> [[Substring]]? {
            var all: [[Substring]] = []
            for item in text.split(separator: ";") {
                let parts = item.split(separator: ",", omittingEmptySubsequences: false)
                guard parts.count == count else { return nil }
                all.append(parts)
            }
            return all
        }
        switch fields[2] {
        case "F":
            guard fields.count == 18, let openedAt = Int(fields[5]),
                let lastClosure = number(fields[6]), let approval = number(fields[7]),
                let dependents = Int(fields[10]), let signOffs = parts(fields[12], 3)
            else { return nil }
            var family = WriteState.Family()
            family.open = fields[3] == "1"
            family.closureApproved = fields[4] == "1"
            family.openedAt = openedAt
            family.lastClosure = lastClosure
            family.approval = approval
            for member in fields[8].split(separator: ";") {
                let parts = member.split(separator: ",", omittingEmptySubsequences: false)
                var known = WriteState.Member(role: "", dob: nil, since: openedAt)
                guard parts.count >= 3, (parts.count - 3) % 3 == 0 else { return nil }
                if parts.count > 3 { known.stays = [] }
                for start in stride(from: 3, to: parts.count, by: 3) {
                    guard let since = Int(parts[start]), let until = number(parts[start + 1]) else {
                        return nil
                    }
                    known.stays.append(
                        WriteState.Member.Stay(
                            since: since, until: until, added: parts[start + 2] == "a"))
                }
                known.role = String(parts[1])
                known.dob = CivilDate(parts[2])
                family.members[String(parts[0])] = known
            }
            guard let holds = holds(fields[9]) else { return nil }
            family.holds = holds
            if fields[13] != "-" {
                let parts = fields[13].split(
                    separator: ",", maxSplits: 2, omittingEmptySubsequences: false)
                guard parts.count == 3, let seq = Int(parts[0]), let on = CivilDate(parts[1]) else {
                    return nil
                }
                family.disposed = WriteState.Disposal(seq: seq, id: String(parts[2]), on: on)
            }
            family.dependents = dependents
            guard let spans = parts(fields[14], 3) else { return nil }
            var episodes: [WriteState.EpisodeSpan] = []
            for span in spans {
                guard let opened = CivilDate(span[0]), let closedSeq = number(span[2]) else {
                    return nil
                }
                let closed = CivilDate(span[1])
                guard closed != nil || span[1] == "-" else { return nil }
                episodes.append(
                    WriteState.EpisodeSpan(opened: opened, closed: closed, closedSeq: closedSeq))
            }
            family.spans = episodes
            var floor: CivilDate?
            if fields[15] != "-" {
                guard let date = CivilDate(fields[15]) else { return nil }
                floor = date
            }
            guard let works = parts(fields[16], 2), works.count <= 3 else { return nil }
            var kept: [WriteState.WorkDate] = []
            for work in works {
                guard let date = CivilDate(work[0]), let seq = Int(work[1]) else { return nil }
                kept.append(WriteState.WorkDate(date: date, seq: seq))
            }
            family.work = WriteState.WorkDates(floor: floor, kept: kept)
            for seq in fields[17].split(separator: ";") {
                guard let value = Int(seq) else { return nil }
                family.lateEntries.append(value)
            }
            for seq in fields[11].split(separator: ";") {
                guard let value = Int(seq) else { return nil }
                family.ufrns.append(value)
            }
            for signOff in signOffs {
                guard let closure = Int(signOff[0]), let on = CivilDate(signOff[1]),
                    let approval = number(signOff[2])
                else { return nil }
                family.signOffs.append(
                    WriteState.SignOff(approval: approval, closure: closure, on: on))
            }
            record.family = family
        case "W":
            guard fields.count == 8, let periods = parts(fields[5], 3),
                let roles = parts(fields[6], 6), let named = parts(fields[7], 2), named.count == 1,
                let firstNamed = number(named[0][0])
            else { return nil }
            var worker = WriteState.Worker(role: String(fields[3]), left: fields[4] == "1")
            for period in periods {
                guard let from = Int(period[0]), let until = number(period[1]),
                    let allocated = number(period[2])
                else { return nil }
                worker.periods.append(
                    WriteState.Period(from: from, until: until, firstAllocation: allocated))
            }
            for span in roles {
                guard let from = Int(span[0]), let firstAct = number(span[2]),
                    let on = CivilDate(span[4])
                else { return nil }
                worker.roles.append(
                    WriteState.RoleSpan(
                        from: from, role: String(span[1]), on: on, setsRole: span[5] == "1",
                        firstAct: firstAct, firstActID: optional(span[3])))
            }
            worker.firstNamed = firstNamed
            worker.firstNamedType = optional(named[0][1])
            worker.settle()
            record.worker = worker
        case "S":
            guard fields.count == 8, let since = Int(fields[5]), let acts = parts(fields[6], 2),
                let hrActs = parts(fields[7], 2), acts.count == 1, hrActs.count == 1,
                let act = number(acts[0][0]), let hrAct = number(hrActs[0][0])
            else { return nil }
            record.system = WriteState.System(
                retired: fields[3] == "1", purpose: String(fields[4]), since: since, firstAct: act,
                firstActID: optional(acts[0][1]), firstHRAct: hrAct,
                firstHRActID: optional(hrActs[0][1]))
        case "G":
            guard fields.count == 4 else { return nil }
            guard let holds = holds(fields[3]) else { return nil }
            record.orgHolds = holds
        case "O":
            break
        default:
            return nil
        }
        return record
    }

    /// The first 64 bits of the SHA-256 of `bytes`, in hex: the check of a delta block.
    package static func check<Bytes: Sequence>(_ bytes: Bytes) -> String
    where Bytes.Element == UInt8 {
        String(SHA256.hash(bytes).hex.prefix(16))
    }

    /// A delta file read: the base it extends and its blocks, each checked.
    package struct DeltaBlocks {
        /// The checksum of the base the delta extends (its `B` line).
        package var base: String
        private var body: ArraySlice<UInt8>

        /// Nil when the file does not start with a whole `B` line (empty, or cut short when it was begun).
        package init?(_ bytes: [UInt8]) {
            guard let end = bytes.firstIndex(of: 0x0A) else { return nil }
            let first = String(decoding: bytes[..<end], as: UTF8.self)
            guard first.hasPrefix("B\t") else { return nil }
            base = String(first.dropFirst(2))
            body = bytes[(end + 1)...]
        }

        /// Applies every whole block, in order. Returns the last stamp applied (nil: no block yet), or nil in the
        /// outer optional when a block fails its check and is not the last thing in the file: damage, not a
        /// write cut short, so the caller rebuilds from the log.
        package func apply(to state: inout WriteState) -> LogHead?? {
            var head: LogHead?
            var blockStart = body.startIndex
            var position = body.startIndex
            var pending: [StreamRecord] = []
            var pendingAdoptions: [WriteState.Adoption] = []
            while position < body.endIndex {
                // cut short: ignored
                guard let end = body[position...].firstIndex(of: 0x0A) else { break }
                let line = Substring(String(decoding: body[position..<end], as: UTF8.self))
                let next = end + 1
                if line.hasPrefix("H\t") {
                    let fields = line.split(separator: "\t", omittingEmptySubsequences: false)
                    guard fields.count == 5,
                        let stamp = decodeStamp(fields[0..<4].joined(separator: "\t")[...]),
                        fields[4]
                            == check(
                                body[blockStart..<position]
                                    + Array(fields[0..<4].joined(separator: "\t").utf8))
                    else { return next < body.endIndex ? .some(nil) : .some(head) }
                    for record in pending { state.restore(record) }
                    state.adoptions.append(contentsOf: pendingAdoptions)
                    pending.removeAll()
                    pendingAdoptions.removeAll()
                    head = stamp
                    blockStart = next
                } else if line.hasPrefix("P\t"), let adoption = decodeAdoption(line) {
                    pendingAdoptions.append(adoption)
                } else if let record = decodeStream(line) {
                    pending.append(record)
                } else {
                    // A line that is no line of ours: the end of a cut-short block, or damage if more follows.
                    return next < body.endIndex ? .some(nil) : .some(head)
                }
                position = next
            }
            return .some(head)
        }
    }

    package static func decodeStamp(_ line: Substring) -> LogHead? {
        let fields = line.split(separator: "\t", omittingEmptySubsequences: false)
        guard fields.count == 4, let seq = Int(fields[1]), let size = Int(fields[2]) else {
            return nil
        }
        return LogHead(seq: seq, hash: String(fields[3]), size: size)
    }

    package static func decodeAdoption(_ line: Substring) -> WriteState.Adoption? {
        let fields = line.split(separator: "\t", omittingEmptySubsequences: false)
        guard fields.count == 4, let date = CivilDate(fields[1]), let seq = Int(fields[3]) else {
            return nil
        }
        return WriteState.Adoption(effectiveFrom: date, needsManager: fields[2] == "1", seq: seq)
    }

    /// An adoption's line in the header or a delta block.
    package static func encodeAdoption(_ adoption: WriteState.Adoption) -> String {
        "P\t\(adoption.effectiveFrom)\t\(adoption.needsManager ? 1 : 0)\t\(adoption.seq)\n"
    }
}

extension WriteState {
    /// Puts a record from the checkpoint delta into memory.
    package mutating func restore(_ record: WriteStateCoding.StreamRecord) {
        streamCounts[record.stream] = record.count
        let key = StreamName.key(of: record.stream)
        if let family = record.family { families[key] = family }
        if let worker = record.worker { workers[key] = worker }
        if let system = record.system { systems[key] = system }
        if let holds = record.orgHolds { orgHoldsHeld = holds }
        voidedHeld[record.stream] = record.voided
    }
}
