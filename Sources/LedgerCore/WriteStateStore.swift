#if canImport(Glibc)
    import Glibc
#endif
import EventLog

/// Persists `WriteState` beside the log (`<log>.state`) as a compact text checkpoint stamped with the head it
/// describes. It is derived data: written to a temporary file and renamed, verified against the log before use,
/// caught up from its stamp, or rebuilt from scratch when it does not match.
///
/// Every field written here follows a grammar without tabs or newlines (ids, refs, roles, dates), so the format
/// needs no escaping.
enum WriteStateStore {
    static let magic = "ledger-write-state 1"

    static func path(for log: String) -> String { log + ".state" }

    static func encode(_ state: WriteState, head: LogHead) -> [UInt8] {
        var out = ""
        out.reserveCapacity(64 + state.families.count * 96)
        out += "\(magic)\nH\t\(head.seq)\t\(head.size)\t\(head.hash)\n"
        for (stream, count) in state.streamCounts.sorted(by: { $0.key < $1.key }) { out += "S\t\(stream)\t\(count)\n" }
        for (id, worker) in state.workers.sorted(by: { $0.key < $1.key }) {
            out += "W\t\(id)\t\(worker.role)\t\(worker.left ? 1 : 0)\n"
        }
        for adoption in state.adoptions { out += "P\t\(adoption.effectiveFrom)\t\(adoption.needsManager ? 1 : 0)\n" }
        for (ref, family) in state.families.sorted(by: { $0.key < $1.key }) {
            out += "F\t\(ref)\t\(family.open ? 1 : 0)\t\(family.closureApproved ? 1 : 0)\t"
            out += "\(family.openingReferral ?? "-")\t\(family.lastClosure ?? "-")\t\(family.approval ?? "-")\n"
            for (id, member) in family.members.sorted(by: { $0.key < $1.key }) {
                out += "M\t\(id)\t\(member.role)\t\(member.dob.map(String.init(describing:)) ?? "-")\n"
            }
        }
        return Array(out.utf8)
    }

    static func decode(_ bytes: [UInt8]) -> (WriteState, LogHead)? {
        var state = WriteState()
        var head: LogHead?
        var currentFamily: String?
        var lineNumber = 0
        for rawLine in bytes.split(separator: 0x0A, omittingEmptySubsequences: true) {
            lineNumber += 1
            let line = String(decoding: rawLine, as: UTF8.self)
            if lineNumber == 1 {
                guard line == magic else { return nil }
                continue
            }
            let fields = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            func optional(_ text: String) -> String? { text == "-" ? nil : text }
            switch fields.first {
            case "H":
                guard fields.count == 4, let seq = Int(fields[1]), let size = Int(fields[2]) else { return nil }
                head = LogHead(seq: seq, hash: fields[3], size: size)
            case "S":
                guard fields.count == 3, let count = Int(fields[2]) else { return nil }
                state.streamCounts[fields[1]] = count
            case "W":
                guard fields.count == 4 else { return nil }
                state.workers[fields[1]] = WriteState.Worker(role: fields[2], left: fields[3] == "1")
            case "P":
                guard fields.count == 3, let date = CivilDate(fields[1]) else { return nil }
                state.adoptions.append(WriteState.Adoption(effectiveFrom: date, needsManager: fields[2] == "1"))
            case "F":
                guard fields.count == 7 else { return nil }
                var family = WriteState.Family()
                family.open = fields[2] == "1"
                family.closureApproved = fields[3] == "1"
                family.openingReferral = optional(fields[4])
                family.lastClosure = optional(fields[5])
                family.approval = optional(fields[6])
                state.families[fields[1]] = family
                currentFamily = fields[1]
            case "M":
                guard fields.count == 4, let family = currentFamily else { return nil }
                state.families[family]?.members[fields[1]] = WriteState.Member(
                    role: fields[2], dob: CivilDate(fields[3]))
            default:
                return nil
            }
        }
        guard let head else { return nil }
        return (state, head)
    }

    /// Loads the checkpoint if it describes a prefix of the log; returns it with the head it covers.
    static func load(for ledger: LockedLedger) -> (WriteState, LogHead)? {
        let path = path(for: ledger.path)
        guard let bytes = readWholeFile(path), let (state, head) = decode(bytes) else { return nil }
        guard head.size <= ledger.head.size else { return nil }
        if head == ledger.head { return (state, head) }
        if head.seq == 0 { return head.size == 0 ? (state, head) : nil }
        // The line ending at head.size must be the one the stamp names.
        guard let record = try? lineEnding(at: head.size, in: ledger), record.seq == head.seq, record.hash == head.hash
        else { return nil }
        return (state, head)
    }

    static func save(_ state: WriteState, head: LogHead, for log: String) throws {
        let path = path(for: log)
        let temporary = path + ".new"
        try FileOutput.writeAtomically(encode(state, head: head), to: path, temporary: temporary)
    }

    private static func lineEnding(at end: Int, in ledger: LockedLedger) throws -> LedgerRecord? {
        // Read back up to the previous newline.
        let descriptor = open(ledger.path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        var window = 4096
        while true {
            let start = max(0, end - window)
            var buffer = [UInt8](repeating: 0, count: end - start)
            let got = buffer.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress, $0.count, off_t(start)) }
            guard got == buffer.count, buffer.last == 0x0A else { return nil }
            if let newline = buffer.dropLast().lastIndex(of: 0x0A) {
                return try LineFormat.decode(Array(buffer[(newline + 1)..<(buffer.count - 1)]))
            }
            if start == 0 { return try LineFormat.decode(Array(buffer.dropLast())) }
            if window > LineFormat.maxLineBytes + 4096 { return nil }
            window *= 4
        }
    }
}

/// The whole contents of a (small, derived) file, or nil.
func readWholeFile(_ path: String) -> [UInt8]? { FileOutput.read(path) }

