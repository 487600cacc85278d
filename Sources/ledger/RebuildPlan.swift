#if canImport(Glibc)
    import Glibc
#endif
import EventLog
import LedgerCore
import Projections

/// What a rebuild's folder was made from, kept in it (`.rebuild-plan`) so that the next rebuild writes only what
/// changed: the build that made it, the line of the log it was made to (seq, size, hash), the as-of date and the
/// window, the fingerprint of what every page reads besides its family (`Dashboard.sharedInputs`), and for each
/// family page the family's last seq (`FamilyLineIndex.lastSeq`), the span of as-of dates it holds for (from the
/// date it was made for up to the next day the date changes it), and the identity of the file written (`FileIdentity`); the same identity for each of the other files.
///
/// A derived file like the others: it is used only when its checksum (the whole file, header included, as the
/// fold checkpoints') matches, it was made by this build, and the log still holds the line it was made to. A
/// page is kept only when its plan entry matches what the page would now be made from and the file is still the
/// one written. A plan that fails any check is ignored and everything is written again: a damaged plan costs a
/// full rebuild, never a wrong page.
struct RebuildPlan: Equatable {
    static let fileName = ".rebuild-plan"
    static let format = "ledger-rebuild-plan 1"

    /// One family page: what it was made from, and the file written.
    struct Page: Equatable {
        var lastSeq: Int
        /// The first day on which the date changes what it shows (`Reports.nextChange`); nil when no day does.
        var changes: CivilDate?
        /// The as-of date of the rebuild that made it: the page holds from this date up to the day before
        /// `changes`.
        var madeOn: CivilDate
        var file: FileIdentity
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
    var pages: [String: Page] = [:]
    /// The other files, by name in the folder (`families.json`, `index.html`, `style.css`…).
    var files: [String: FileIdentity] = [:]

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
        guard let seq = Int(header[2]), let size = Int(header[3]), let asOf = day(header[5]),
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
        var lines = 0
        for line in bytes[(newline + 1)...].split(separator: 0x0A) {
            lines += 1
            let fields = String(decoding: line, as: UTF8.self).split(
                separator: "\t", omittingEmptySubsequences: false)
            if fields.count == 9, fields[0] == "P", let lastSeq = Int(fields[2]),
                let madeOn = day(fields[4]), let file = identity(fields[5...8])
            {
                let changes = fields[3] == "-" ? nil : day(fields[3])
                if changes == nil && fields[3] != "-" { return nil }
                plan.pages[String(fields[1])] = Page(
                    lastSeq: lastSeq, changes: changes, madeOn: madeOn, file: file)
            } else if fields.count == 6, fields[0] == "F", let file = identity(fields[2...5]) {
                plan.files[String(fields[1])] = file
            } else {
                trace("not used: a line of it cannot be read")
                return nil
            }
        }
        guard lines == count, plan.pages.count + plan.files.count == count else {
            trace("not used: it does not hold what it says")
            return nil
        }
        return plan
    }

    private static func day(_ text: Substring) -> CivilDate? {
        Int(text).map { CivilDate(dayNumber: $0) }
    }

    private static func identity(_ fields: ArraySlice<Substring>) -> FileIdentity? {
        let values = fields.map { Int64($0) }
        guard values.count == 4, let device = values[values.startIndex],
            let inode = values[values.startIndex + 1], let size = values[values.startIndex + 2],
            let modified = values[values.startIndex + 3], size >= 0
        else { return nil }
        return FileIdentity(
            device: UInt64(bitPattern: device), inode: UInt64(bitPattern: inode), size: Int(size),
            modified: modified)
    }

    private static func text(_ file: FileIdentity) -> String {
        "\(Int64(bitPattern: file.device))\t\(Int64(bitPattern: file.inode))\t\(file.size)\t\(file.modified)"
    }

    /// The plan's bytes: the header, with its checksum, then a line per page and per other file, in name order.
    func encoded() -> [UInt8] {
        var body = ""
        body.reserveCapacity(pages.count * 90)
        for name in pages.keys.sorted() {
            guard let page = pages[name] else { continue }
            body +=
                "P\t\(name)\t\(page.lastSeq)\t\(page.changes.map { String($0.dayNumber) } ?? "-")\t\(page.madeOn.dayNumber)\t\(Self.text(page.file))\n"
        }
        for name in files.keys.sorted() {
            guard let file = files[name] else { continue }
            body += "F\t\(name)\t\(Self.text(file))\n"
        }
        let payload = Array(body.utf8)
        let start = Array(
            ([
                Self.format, build, String(stamp.seq), String(stamp.size), stamp.hash,
                String(asOf.dayNumber), window, windowLeftOut ? "1" : "0", shared, String(families),
                String(obligations), String(pages.count + files.count),
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
