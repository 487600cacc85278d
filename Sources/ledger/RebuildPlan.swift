#if canImport(Glibc)
    import Glibc
#endif
import EventLog
import LedgerCore
import Projections

/// What a rebuild's folder was made from, kept in it (`.rebuild-plan`) so that the next rebuild writes only what
/// changed: the build that made it, the line of the log it was made to (seq, size, hash), the as-of date and the
/// window, the fingerprint of what every page reads besides its family (`Dashboard.sharedInputs`), and for each
/// family its last seq (`FamilyLineIndex.lastSeq`), the span of as-of dates what is shown of it holds for (from
/// the date it was made for up to the day before the date next changes it), its page's file identity
/// (`FileIdentity`) with the seq the page names and where its timeline is in it, and where its rows are in the
/// projection files (their lengths, in family order) with the two
/// cells of its PbR row the front page counts; and for each other file its identity and, for a CSV, a digest of
/// its columns.
///
/// A derived file like the others: it is used only when its checksum (the whole file, header included, as the
/// fold checkpoints') matches, it was made by this build, and the log still holds the line it was made to. What
/// it says of a family is used only when it matches what the family's page and rows would now be made from, and
/// a file's bytes only while the file is still the one written. A plan that fails any check is ignored and
/// everything is written again: a damaged plan costs a full rebuild, never a wrong page.
struct RebuildPlan: Equatable {
    static let fileName = ".rebuild-plan"
    static let format = "ledger-rebuild-plan 3"

    /// The projection files whose rows are kept by family, in the order of `Family.segments`.
    static let segmentFiles = [
        "families.json", "families.csv", "pbr.json", "pbr.csv", "due.json", "due.csv",
    ]

    /// What one family's page and rows were made from, and where they are.
    struct Family: Equatable {
        var lastSeq: Int
        /// The first day on which the date changes what is shown of it (`Reports.nextChange`); nil when no day does.
        var changes: CivilDate?
        /// The as-of date of the rebuild that made it: what is shown of it holds from this date up to the day
        /// before `changes`.
        var madeOn: CivilDate
        var page: FileIdentity
        /// The seq its page names (its timeline's last row's; 0 when none), and where its timeline's rows are in
        /// the page: a page written again for a new date alone takes them from there.
        var madeTo: Int
        var timeline: Range<Int>
        /// The length of its rows in each of `segmentFiles` (a JSON's rows as a document's first).
        var segments: [Int]
        /// The cells of its PbR row the front page counts (`attached`, `claimable`), when it counts it.
        var pbr: JSONObject?
    }

    /// The build that made it: the fold's meaning and this executable.
    var build: String
    var stamp: LogHead
    var asOf: CivilDate
    /// The window as given (`--as-of`, `--known-at`), and whether it left out any event of the log: a window that
    /// left nothing out is the same as none.
    var window: String
    var windowLeftOut: Bool
    var shared: String
    var families: Int
    var obligations: Int
    /// By family ref.
    var entries: [String: Family] = [:]
    /// The other files, by name in the folder (`families.json`, `index.html`, `style.css`…).
    var files: [String: FileIdentity] = [:]
    /// A digest of each CSV's columns, by file name.
    var columns: [String: String] = [:]

    static func path(in directory: String) -> String { directory + "/" + fileName }

    /// The build's identity: the fold's meaning and this executable file (device, inode, size, time), so that
    /// another build, which may write any page differently, never trusts this one's plan.
    static let build: String = {
        var buffer = [CChar](repeating: 0, count: 4096)
        let count = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        let executable =
            count > 0
            ? String(
                decoding: buffer[0..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self) : ""
        guard let file = FileIdentity(path: executable) else {
            // Not known: a plan this process writes is never trusted by another.
            return "unknown-\(getpid())-\(time(nil))"
        }
        return "\(LedgerFold.meaning)/\(file.device).\(file.inode).\(file.size).\(file.modified)"
    }()

    /// The window's text in a plan.
    static func windowText(_ window: EventWindow) -> String {
        "as-of \(window.asOf.map { "\($0)" } ?? "-") known-at \(window.knownAt.map { "\($0.seconds).\($0.nanoseconds)" } ?? "-")"
    }

    /// A digest of a CSV's columns.
    static func digest(columns: [String]) -> String {
        var header: [UInt8] = []
        RowWriter.appendCSVHeader(columns, into: &header)
        return String(SHA256.hash(header).hex.prefix(16))
    }

    // MARK: reading

    /// The plan in `directory`, when its checksum matches and it reads whole; nil otherwise (`LEDGER_TRACE` says
    /// why). Whether it was made by this build and from this log is the caller's to check.
    static func load(from directory: String) -> RebuildPlan? {
        guard let bytes = FileOutput.read(path(in: directory)) else {
            trace("none yet")
            return nil
        }
        guard let newline = bytes.firstIndex(of: 0x0A) else {
            trace("not used: not a plan")
            return nil
        }
        let checksumStart = bytes[..<newline].lastIndex(of: 0x09).map { $0 + 1 } ?? newline
        let header = String(decoding: bytes[..<newline], as: UTF8.self).split(
            separator: "\t", omittingEmptySubsequences: false)
        guard header.count == 13, header[0] == Substring(Self.format),
            FoldCheckpoint.checksum(
                header: bytes[..<checksumStart], payload: SHA256.hash(bytes[(newline + 1)...]))
                == header[12]
        else {
            trace("not used: not a plan of this version, or its checksum does not match")
            return nil
        }
        guard let seq = Int(header[2]), let size = Int(header[3]),
            let asOf = Int(header[5]).map(CivilDate.init(dayNumber:)),
            header[7] == "0" || header[7] == "1", let families = Int(header[9]),
            let obligations = Int(header[10]), let count = Int(header[11])
        else {
            trace("not used: its header cannot be read")
            return nil
        }
        var plan = RebuildPlan(
            build: String(header[1]), stamp: LogHead(seq: seq, hash: String(header[4]), size: size),
            asOf: asOf, window: String(header[6]), windowLeftOut: header[7] == "1",
            shared: String(header[8]), families: families, obligations: obligations)
        plan.entries.reserveCapacity(families)
        var lines = 0
        var fields = Fields(bytes: bytes, at: newline + 1)
        while !fields.atEnd {
            lines += 1
            guard plan.read(&fields) else {
                trace("not used: a line of it cannot be read")
                return nil
            }
        }
        guard lines == count, plan.entries.count + plan.files.count + plan.columns.count == count
        else {
            trace("not used: it does not hold what it says")
            return nil
        }
        return plan
    }

    /// Reads one line of the plan's body into it; false when the line is not one.
    private mutating func read(_ fields: inout Fields) -> Bool {
        guard let kind = fields.text() else { return false }
        switch kind {
        case "P":
            guard let ref = fields.text(), let lastSeq = fields.number(),
                let changes = fields.optionalNumber(), let madeOn = fields.number(),
                let page = fields.identity(), let madeTo = fields.number(),
                let timelineStart = fields.number(), let timelineLength = fields.number(),
                timelineStart >= 0, timelineLength >= 0
            else { return false }
            var segments: [Int] = []
            for _ in Self.segmentFiles {
                guard let length = fields.number(), length >= 0 else { return false }
                segments.append(length)
            }
            guard let pbrText = fields.text(), fields.endOfLine() else { return false }
            var pbr: JSONObject?
            if pbrText != "-" {
                let parts = pbrText.split(separator: ":", omittingEmptySubsequences: false)
                guard parts.count == 2, parts[0] == "A" || parts[0] == "N" else { return false }
                pbr = JSONObject([
                    JSONMember("attached", .bool(parts[0] == "A")),
                    JSONMember(
                        "claimable",
                        .array(
                            parts[1].split(separator: ",").map { .string(String($0)) })),
                ])
            }
            entries[ref] = Family(
                lastSeq: lastSeq, changes: changes.map(CivilDate.init(dayNumber:)),
                madeOn: CivilDate(dayNumber: madeOn), page: page, madeTo: madeTo,
                timeline: timelineStart..<(timelineStart + timelineLength), segments: segments,
                pbr: pbr)
        case "F":
            guard let name = fields.text(), let file = fields.identity(), fields.endOfLine() else {
                return false
            }
            files[name] = file
        case "C":
            guard let name = fields.text(), let digest = fields.text(), fields.endOfLine() else {
                return false
            }
            columns[name] = digest
        default:
            return false
        }
        return true
    }

    /// The tab-separated fields of the plan's lines, read in place.
    private struct Fields {
        let bytes: [UInt8]
        var index: Int

        init(bytes: [UInt8], at index: Int) {
            self.bytes = bytes
            self.index = index
        }

        var atEnd: Bool { index >= bytes.count }

        /// The next field's bytes (up to a tab or the line's end, which is left to `endOfLine`).
        private mutating func field() -> ArraySlice<UInt8>? {
            guard index < bytes.count, bytes[index] != 0x0A else { return nil }
            let start = index
            while index < bytes.count, bytes[index] != 0x09, bytes[index] != 0x0A { index += 1 }
            let found = bytes[start..<index]
            if index < bytes.count, bytes[index] == 0x09 { index += 1 }
            return found
        }

        mutating func text() -> String? { field().map { String(decoding: $0, as: UTF8.self) } }

        mutating func number() -> Int? {
            guard let digits = field(), !digits.isEmpty, digits.count <= 19 else { return nil }
            var value = 0
            var negative = false
            for (offset, byte) in digits.enumerated() {
                if offset == 0 && byte == UInt8(ascii: "-") && digits.count > 1 {
                    negative = true
                    continue
                }
                guard (0x30...0x39).contains(byte) else { return nil }
                value = value * 10 + Int(byte - 0x30)
            }
            return negative ? -value : value
        }

        /// A number, or "-" for none (nil inside); nil when neither.
        mutating func optionalNumber() -> Int?? {
            if index < bytes.count, bytes[index] == UInt8(ascii: "-"),
                index + 1 < bytes.count, bytes[index + 1] == 0x09
            {
                index += 2
                return .some(nil)
            }
            return number().map { .some($0) }
        }

        mutating func identity() -> FileIdentity? {
            guard let device = number(), let inode = number(), let size = number(),
                let modified = number(), size >= 0
            else { return nil }
            return FileIdentity(
                device: UInt64(bitPattern: Int64(device)), inode: UInt64(bitPattern: Int64(inode)),
                size: size, modified: Int64(modified))
        }

        /// Whether the line ends here (and steps past its newline).
        mutating func endOfLine() -> Bool {
            guard index < bytes.count, bytes[index] == 0x0A else { return false }
            index += 1
            return true
        }
    }

    // MARK: writing

    private static func text(_ file: FileIdentity) -> String {
        "\(Int64(bitPattern: file.device))\t\(Int64(bitPattern: file.inode))\t\(file.size)\t\(file.modified)"
    }

    /// The plan's bytes: the header, with its checksum, then a line per family, per other file and per CSV's
    /// columns, in name order.
    func encoded() -> [UInt8] {
        var body = ""
        body.reserveCapacity(entries.count * 130)
        for ref in entries.keys.sorted() {
            guard let family = entries[ref] else { continue }
            var pbrText = "-"
            if let pbr = family.pbr {
                let kinds = pbr["claimable"]?.arrayValue?.compactMap(\.stringValue) ?? []
                pbrText =
                    (pbr["attached"]?.boolValue == true ? "A:" : "N:")
                    + kinds.joined(separator: ",")
            }
            body +=
                "P\t\(ref)\t\(family.lastSeq)\t\(family.changes.map { String($0.dayNumber) } ?? "-")\t\(family.madeOn.dayNumber)\t\(Self.text(family.page))\t\(family.madeTo)\t\(family.timeline.lowerBound)\t\(family.timeline.count)\t\(family.segments.map(String.init).joined(separator: "\t"))\t\(pbrText)\n"
        }
        for name in files.keys.sorted() {
            guard let file = files[name] else { continue }
            body += "F\t\(name)\t\(Self.text(file))\n"
        }
        for name in columns.keys.sorted() {
            guard let digest = columns[name] else { continue }
            body += "C\t\(name)\t\(digest)\n"
        }
        let payload = Array(body.utf8)
        let start = Array(
            ([
                Self.format, build, String(stamp.seq), String(stamp.size), stamp.hash,
                String(asOf.dayNumber), window, windowLeftOut ? "1" : "0", shared, String(families),
                String(obligations), String(entries.count + files.count + columns.count),
            ].joined(separator: "\t") + "\t").utf8)
        return start
            + Array(FoldCheckpoint.checksum(header: start, payload: SHA256.hash(payload)).utf8)
            + [0x0A] + payload
    }

    /// Writes the plan into `directory`, atomically (not synced: a plan lost to a crash costs a full rebuild).
    func save(in directory: String) throws {
        try FileOutput.writeAtomically(encoded(), to: Self.path(in: directory), durable: false)
    }

    static func trace(_ message: @autoclosure () -> String) {
        if Console.environment("LEDGER_TRACE") != nil {
            Console.err("rebuild plan: \(message())")
        }
    }
}
