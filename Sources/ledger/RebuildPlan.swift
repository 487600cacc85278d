#if canImport(Glibc)
    import Glibc
#endif
import EventLog
import LedgerCore
import LedgerEngine
import LedgerQueries
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
    static let format = "ledger-rebuild-plan 6"

    /// The projection files whose rows are kept by family, in the order of `Family.segments`.
    static let segmentFiles = [
        "families.json", "families.csv", "pbr.json", "pbr.csv", "due.json", "due.csv",
    ]

    /// What one family's page and rows were made from, and where they are. Held by value, with no storage of its
    /// own (41k of them on a million events).
    struct Family: Equatable {
        var lastSeq: Int
        /// The first day on which the date changes what is shown of it (`Reports.nextChange`); nil when no day does.
        var changes: CivilDate?
        /// The as-of date of the rebuild that made its rows: they hold from this date up to the day before
        /// `changes`.
        var madeOn: CivilDate
        /// The same of its page, which shows no count of days and so changes on fewer days
        /// (`Reports.nextPageChange`): it holds from `pageMadeOn` up to the day before `pageChanges`.
        var pageChanges: CivilDate?
        var pageMadeOn: CivilDate
        var page: FileIdentity
        /// The seq its page names (its timeline's last row's; 0 when none), and where its timeline's rows are in
        /// the page: a page written again for a new date alone takes them from there.
        var madeTo: Int
        var timelineStart: Int32
        var timelineLength: Int32
        /// The length of its rows in each of `segmentFiles` (a JSON's rows as a document's first).
        var segments: Segments
        /// The cells of its PbR row the front page counts (`PbRCells`).
        var pbr: UInt8

        var timeline: Range<Int> {
            Int(timelineStart)..<(Int(timelineStart) + Int(timelineLength))
        }
    }

    /// A family's rows' lengths in each of `segmentFiles`.
    struct Segments: Equatable {
        private var lengths: (Int32, Int32, Int32, Int32, Int32, Int32) = (0, 0, 0, 0, 0, 0)

        init() {}

        subscript(index: Int) -> Int {
            get {
                switch index {
                case 0: Int(lengths.0)
                case 1: Int(lengths.1)
                case 2: Int(lengths.2)
                case 3: Int(lengths.3)
                case 4: Int(lengths.4)
                default: Int(lengths.5)
                }
            }
            set {
                let value = Int32(clamping: newValue)
                switch index {
                case 0: lengths.0 = value
                case 1: lengths.1 = value
                case 2: lengths.2 = value
                case 3: lengths.3 = value
                case 4: lengths.4 = value
                default: lengths.5 = value
                }
            }
        }

        static func == (lhs: Segments, rhs: Segments) -> Bool {
            (0..<6).allSatisfy { lhs[$0] == rhs[$0] }
        }
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
    /// The families, in ref order (as the projections' rows are), with their refs.
    var refs: [String] = []
    var entries: [Family] = []
    /// The other files, by name in the folder (`families.json`, `index.html`, `style.css`…).
    var files: [String: FileIdentity] = [:]
    /// A digest of each CSV's columns, by file name.
    var columns: [String: String] = [:]

    static func path(in directory: String) -> String { directory + "/" + fileName }

    /// The build's identity: the fold's meaning and this executable file (device, inode, size, time), so that
    /// another build, which may write any page differently, never trusts this one's plan; and the machine's boot
    /// (`boot_id`): the pages are not synced one by one, so after the machine restarts a page the plan names may
    /// not hold what was written, and a plan from another boot is not trusted either.
    static let build: String = "\(executable)/\(bootID)"

    /// The boot's id, as Linux gives it ("-" where it does not).
    static let bootID: String = {
        guard let file = fopen("/proc/sys/kernel/random/boot_id", "r") else { return "-" }
        defer { fclose(file) }
        var line = [CChar](repeating: 0, count: 64)
        guard fgets(&line, Int32(line.count), file) != nil else { return "-" }
        let text = String(
            decoding: line.prefix(while: { $0 != 0 && $0 != 0x0A }).map { UInt8(bitPattern: $0) },
            as: UTF8.self)
        return text.allSatisfy { $0.isHexDigit || $0 == "-" } && !text.isEmpty ? text : "-"
    }()

    private static let executable: String = {
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

    /// The window `windowText` wrote; nil when `text` is not one it writes.
    static func window(fromText text: String) -> EventWindow? {
        let words = text.split(separator: " ").map(String.init)
        guard words.count == 4, words[0] == "as-of", words[2] == "known-at" else { return nil }
        var window = EventWindow()
        if words[1] != "-" {
            guard let date = CivilDate(words[1]) else { return nil }
            window.asOf = date
        }
        if words[3] != "-" {
            let parts = words[3].split(separator: ".")
            guard parts.count == 2, let seconds = Int64(parts[0]), let nanoseconds = Int32(parts[1])
            else { return nil }
            window.knownAt = Timestamp(seconds: seconds, nanoseconds: nanoseconds)
        }
        guard windowText(window) == text else { return nil }
        return window
    }

    /// A digest of a CSV's columns.
    static func digest(columns: [String]) -> String {
        var header: [UInt8] = []
        RowWriter.appendCSVHeader(columns, into: &header)
        return String(SHA256.hash(header).hex.prefix(16))
    }

    // MARK: reading

    /// The plan in `directory`, when its checksum matches and it reads whole; nil otherwise (`LEDGER_TRACE` says
    /// why). Whether it was made by this build and from this log is the caller's to check. `headerOnly`: its
    /// header alone, checked as the whole is (what a rebuild asks first: was it made from the same log, date and
    /// window?), with no family, file or column read.
    static func load(from directory: String, headerOnly: Bool = false) -> RebuildPlan? {
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
        if headerOnly { return plan }
        plan.refs.reserveCapacity(families)
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
        guard lines == count, plan.entries.count + plan.files.count + plan.columns.count == count,
            zip(plan.refs, plan.refs.dropFirst()).allSatisfy({ $0 < $1 })
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
                let pageChanges = fields.optionalNumber(), let pageMadeOn = fields.number(),
                let page = fields.identity(), let madeTo = fields.number(),
                let timelineStart = fields.number(), let timelineLength = fields.number(),
                (0...Int(Int32.max)).contains(timelineStart),
                (0...Int(Int32.max)).contains(timelineLength)
            else { return false }
            var segments = Segments()
            for index in Self.segmentFiles.indices {
                guard let length = fields.number(), (0...Int(Int32.max)).contains(length) else {
                    return false
                }
                segments[index] = length
            }
            guard let pbrText = fields.text(), fields.endOfLine(),
                let pbr = PbRCells.code(text: pbrText)
            else { return false }
            refs.append(ref)
            entries.append(
                Family(
                    lastSeq: lastSeq, changes: changes.map(CivilDate.init(dayNumber:)),
                    madeOn: CivilDate(dayNumber: madeOn),
                    pageChanges: pageChanges.map(CivilDate.init(dayNumber:)),
                    pageMadeOn: CivilDate(dayNumber: pageMadeOn), page: page, madeTo: madeTo,
                    timelineStart: Int32(timelineStart), timelineLength: Int32(timelineLength),
                    segments: segments, pbr: pbr))
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

    /// The plan's bytes: the header, with its checksum, then a line per family (in ref order), per other file
    /// and per CSV's columns, in name order. A family's line is written byte by byte, its numbers in ASCII with no
    /// string made (41k lines on a million events: made with strings, 0.08 s of every rebuild that writes).
    func encoded() -> [UInt8] {
        var body: [UInt8] = []
        body.reserveCapacity(entries.count * 130)
        func add(_ text: String) { body.append(contentsOf: text.utf8) }
        func add(_ number: Int) { Self.appendDecimal(number, to: &body) }
        let tab = UInt8(ascii: "\t")
        func field(_ number: Int) {
            add(number)
            body.append(tab)
        }
        /// A day as its number, or "-" for none.
        func day(_ day: CivilDate?) {
            if let day { add(day.dayNumber) } else { body.append(UInt8(ascii: "-")) }
            body.append(tab)
        }
        for (ref, family) in zip(refs, entries) {
            body.append(UInt8(ascii: "P"))
            body.append(tab)
            add(ref)
            body.append(tab)
            field(family.lastSeq)
            day(family.changes)
            field(family.madeOn.dayNumber)
            day(family.pageChanges)
            field(family.pageMadeOn.dayNumber)
            field(Int(Int64(bitPattern: family.page.device)))
            field(Int(Int64(bitPattern: family.page.inode)))
            field(family.page.size)
            field(Int(family.page.modified))
            for number in [family.madeTo, family.timeline.lowerBound, family.timeline.count] {
                field(number)
            }
            for index in Self.segmentFiles.indices { field(family.segments[index]) }
            add(PbRCells.text(family.pbr))
            body.append(0x0A)
        }
        for name in files.keys.sorted() {
            guard let file = files[name] else { continue }
            add("F\t\(name)\t\(Self.text(file))\n")
        }
        for name in columns.keys.sorted() {
            guard let digest = columns[name] else { continue }
            add("C\t\(name)\t\(digest)\n")
        }
        let start = Array(
            ([
                Self.format, build, String(stamp.seq), String(stamp.size), stamp.hash,
                String(asOf.dayNumber), window, windowLeftOut ? "1" : "0", shared, String(families),
                String(obligations), String(entries.count + files.count + columns.count),
            ].joined(separator: "\t") + "\t").utf8)
        return start
            + Array(FoldCheckpoint.checksum(header: start, payload: SHA256.hash(body)).utf8)
            + [0x0A] + body
    }

    /// Appends `number` in decimal ASCII, as `String(number)` writes it.
    static func appendDecimal(_ number: Int, to out: inout [UInt8]) {
        if number < 0 { out.append(UInt8(ascii: "-")) }
        var magnitude = number.magnitude
        let start = out.count
        repeat {
            out.append(UInt8(ascii: "0") + UInt8(magnitude % 10))
            magnitude /= 10
        } while magnitude > 0
        out[start...].reverse()
    }

    /// For each of `refs` (in ref order, as this plan's), the index of its family in this plan; -1 for one it does
    /// not hold.
    func positions(of refs: [String]) -> [Int32] {
        var found: [Int32] = []
        found.reserveCapacity(refs.count)
        var index = 0
        for ref in refs {
            while index < self.refs.count, self.refs[index] < ref { index += 1 }
            found.append(index < self.refs.count && self.refs[index] == ref ? Int32(index) : -1)
        }
        return found
    }

    /// Writes the plan into `directory`, atomically (not synced: a plan lost to a crash costs a full rebuild).
    func save(_ encoded: [UInt8], in directory: String) throws {
        try FileOutput.writeAtomically(encoded, to: Self.path(in: directory), durable: false)
    }

    static func trace(_ message: @autoclosure () -> String) {
        if Console.environment("LEDGER_TRACE") != nil {
            Console.err("rebuild plan: \(message())")
        }
    }
}

/// The two cells of a family's PbR row the front page counts (`attached`, `claimable`), as one byte, so that a plan
/// holds them for 41k families without a heap object each: 0 when the front page does not count the row (neither
/// attached nor with a claim to make); else 1, with 2 when attached, and a bit for each kind claimable (in
/// `kinds`' order, the order `Reports.pbrRow` lists them). `uncarried`: cells with a kind it has no bit for; a
/// family whose cells it cannot carry has its rows made anew next time.
enum PbRCells {
    static let kinds = ["attachment", "progress", "employment"]
    static let uncarried: UInt8 = 0xFF

    /// The byte for a row's counted cells (nil: not counted).
    static func code(_ cells: JSONObject?) -> UInt8 {
        guard let cells else { return 0 }
        var code: UInt8 = 1
        if cells["attached"]?.boolValue == true { code |= 2 }
        for kind in cells["claimable"]?.arrayValue ?? [] {
            guard let name = kind.stringValue, let bit = kinds.firstIndex(of: name) else {
                return uncarried
            }
            code |= 4 << bit
        }
        return code
    }

    /// The counted cells of a byte (nil: not counted, or not carried).
    static func cells(_ code: UInt8) -> JSONObject? {
        code == 0 || code == uncarried ? nil : table[Int(code)]
    }

    /// Every byte's cells, made once and shared by every family with those cells.
    private static let table: [JSONObject?] = (0..<32).map { code in
        guard code & 1 == 1 else { return nil }
        return JSONObject([
            JSONMember("attached", .bool(code & 2 != 0)),
            JSONMember(
                "claimable",
                .array(kinds.indices.filter { code & (4 << $0) != 0 }.map { .string(kinds[$0]) })),
        ])
    }

    /// The byte in a plan's text: "-", "?" (not carried), or "A:" / "N:" (attached or not) and the kinds.
    static func text(_ code: UInt8) -> String {
        if code == 0 { return "-" }
        if code == uncarried { return "?" }
        return (code & 2 != 0 ? "A:" : "N:")
            + kinds.indices.filter { code & (4 << $0) != 0 }.map { kinds[$0] }.joined(
                separator: ",")
    }

    /// The byte `text` wrote; nil when the text is not one.
    static func code(text: String) -> UInt8? {
        if text == "-" { return 0 }
        if text == "?" { return uncarried }
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, parts[0] == "A" || parts[0] == "N" else { return nil }
        var code: UInt8 = parts[0] == "A" ? 3 : 1
        for kind in parts[1].split(separator: ",", omittingEmptySubsequences: false)
        where !parts[1].isEmpty {
            guard let bit = kinds.firstIndex(of: String(kind)) else { return nil }
            code |= 4 << bit
        }
        return code
    }
}
