#if canImport(Glibc)
    import Glibc
#endif
import CAllocator
import EventLog
import LedgerCore
import Projections

/// `ledger rebuild`: every projection written as JSON and CSV, and the dashboard, from one fold of the log,
/// writing only what changed since the folder's last rebuild.
///
/// The folder keeps a plan of what it was made from (`RebuildPlan`). When the log's head, the as-of date and
/// the window are those of the plan and every file is still the one written, nothing is read or written. Else
/// the fold comes from the projection checkpoint when it holds (as every read command's does); the projections
/// and the front page are written again when the log or the date moved; and a family's page is written again only
/// when what it is made from changed: its family's last seq (an event of it, or a redaction), the date, once it
/// reaches the next day that changes the page (`Reports.nextChange`: work falling due or overdue), or what every page reads
/// (`Dashboard.sharedInputs`, the build, a window that leaves events out). Only those families' lines are read,
/// found by the index beside the log (`FamilyLinesFile`). Every file is put in place whole.
enum RebuildWriter {
    struct Summary {
        var families: Int
        var obligations: Int
        /// Family pages written, and left as they were.
        var pagesWritten = 0
        var pagesKept = 0
        /// Whether the projection files and the front page were written (or left as they were).
        var projectionsWritten = false
        /// Nothing was read or written: the folder holds what this rebuild would write.
        var unchanged = false

        /// The rebuild's report, for standard error.
        func report(into directory: String) -> String {
            if unchanged {
                return
                    "rebuilt \(families) families, \(obligations) obligations into \(directory): nothing changed since the last rebuild, no file written"
            }
            return
                "rebuilt \(families) families, \(obligations) obligations into \(directory): \(pagesWritten) family pages written, \(pagesKept) left as they were; the projections and the front page \(projectionsWritten ? "written" : "left as they were")"
        }
    }

    /// Sets the process up for a rebuild, which holds the most at once of any command, before it reads anything
    /// or starts its threads.
    ///
    /// The C allocator: a rebuild makes and frees many large blocks (read chunks, the checkpoint's bytes, blocks
    /// of rows, pages, the front page as it grows). With glibc's defaults the threshold for mapping a block on its
    /// own rises to the largest block freed so far, after which such blocks stay in the heap, and its peak was
    /// whatever they fragmented it to (210-244 MiB from run to run on 1M events). Blocks of 256 KiB and more are
    /// mapped and given back when freed, and there is one arena per core rather than eight: a steady 186 MiB.
    ///
    /// The log is read in chunks of 1 MiB rather than 2 MiB (a few chunks are in flight in each pass): with the
    /// pages pass's smaller backlog, the peak from scratch fell from 195 to 182-184 MiB.
    ///
    /// Only the rebuild reads in smaller chunks, and only it and the commands that fold everything (`tuneAllocator`)
    /// set the allocator: caseload, verify and ingest were 7-13% slower with either.
    static func favourMemory() {
        tuneAllocator()
        ParallelLineReader.defaultChunkSize = 1 << 20
    }

    /// The allocator's settings of `favourMemory`, which `due` and `monthly` take too: they hold the whole fold,
    /// obligations and all. `due --from-scratch` on 1M events peaked at 198-200 MiB without them, 180 MiB with
    /// them, in about the same time (three interleaved runs each: 3.46 / 3.04 / 3.03 s against 3.13 / 2.83 /
    /// 2.78 s); with the checkpoint, 175 against 169 MiB.
    static func tuneAllocator() {
        _ = callocator_tune(256 << 10, Int32(clamping: ParallelLineReader.processors))
    }

    /// The fold of the log up to a head, and whether the window left out any event before it
    /// (`FoldCheckpoint.foldCovering`).
    typealias Folding = (LogHead) throws -> (fold: LedgerFold, leftOut: Bool)

    /// Writes everything into `directory` that is not there already, holding the folder's lock: a second rebuild
    /// into the same folder waits for this one (and says so) rather than both writing the same temporary files at
    /// once, which failed one of them half-way ("rename failed on site/families.json") and left every page stale.
    /// `fold` is called only when something is to be written. `fromScratch` trusts no plan and no index.
    static func write(
        log: String, window: EventWindow, asOf: CivilDate, fromScratch: Bool,
        to directory: String, fold: Folding
    ) throws -> Summary {
        try FileOutput.makeDirectory(directory)
        return try FileOutput.withDirectoryLock(
            directory,
            waiting: {
                Console.err("rebuild: waiting for another rebuild into \(directory) to finish")
            }
        ) {
            try writeLocked(
                log: log, window: window, asOf: asOf, fromScratch: fromScratch, to: directory,
                fold: fold)
        }
    }

    /// The files of a folder besides the family pages, by name.
    static let projectionNames = [
        "families", "pbr", "caseload", "caseload-teams", "due", "monthly",
    ]
    static var otherFiles: [String] {
        projectionNames.flatMap { ["\($0).json", "\($0).csv"] } + [
            "index.html", Dashboard.styleSheetName,
        ]
    }

    /// The last rebuild's plan, when this build made it from this log (the log still holds the line it was made
    /// to); nil otherwise.
    static func usablePlan(in directory: String, log: String, head: LogHead) -> RebuildPlan? {
        guard let plan = RebuildPlan.load(from: directory) else { return nil }
        guard plan.build == RebuildPlan.build else {
            RebuildPlan.trace("not used: made by another build")
            return nil
        }
        guard plan.stamp.size <= head.size, FoldCheckpoint.verifiedStamp(plan.stamp, in: log) != nil
        else {
            RebuildPlan.trace("not used: the log does not hold seq \(plan.stamp.seq) as it states")
            return nil
        }
        return plan
    }

    /// Whether every file the plan names is still the one it wrote, and the folder holds no page it does not
    /// name.
    static func untouched(_ plan: RebuildPlan, in directory: String) -> Bool {
        for name in otherFiles where FileIdentity(path: "\(directory)/\(name)") != plan.files[name]
        {
            return false
        }
        let pages = directory + "/families"
        for (name, page) in plan.pages where FileIdentity(path: "\(pages)/\(name)") != page.file {
            return false
        }
        return FileOutput.fileNames(in: pages, endingWith: ".html").count == plan.pages.count
            && FileOutput.size(directory + "/" + FamilyPages.spareDirectory) == nil
    }

    private static func writeLocked(
        log: String, window: EventWindow, asOf: CivilDate, fromScratch: Bool,
        to directory: String, fold folding: Folding
    ) throws -> Summary {
        var phases = RebuildPhases()
        let head = try LedgerFile(path: log).readHead().head
        let previous = fromScratch ? nil : usablePlan(in: directory, log: log, head: head)
        let windowText = RebuildPlan.windowText(window)
        // The same log, date and window as the last rebuild: the folder already holds what this one would write.
        let sameInputs =
            previous.map {
                $0.stamp == head && $0.asOf == asOf && $0.window == windowText
            } ?? false
        if let previous, sameInputs, untouched(previous, in: directory) {
            return Summary(
                families: previous.families, obligations: previous.obligations,
                pagesKept: previous.pages.count, unchanged: true)
        }
        phases.done("plan read and checked")
        let (fold, leftOut) = try folding(head)
        phases.done("fold")
        let reports = Reports(fold: fold, asOf: asOf)
        try FileOutput.makeDirectory(directory + "/families")
        let sorted = reports.sortedFamilies
        // The obligations are made from the fold where they are needed (the due file, each family's page), never
        // all held at once. First, on every core, what the rest needs to know of all of them, and which families'
        // pages depend on the date.
        let tally = ObligationTally.of(sorted, reports: reports)
        var plan = RebuildPlan(
            build: RebuildPlan.build, stamp: head, asOf: asOf, window: windowText,
            windowLeftOut: leftOut, shared: Dashboard.sharedInputs(of: fold, asOf: asOf),
            families: fold.families.count, obligations: tally.count)
        var summary = Summary(families: plan.families, obligations: plan.obligations)
        phases.done("obligations tallied")

        // The projections and the front page read every family and the date: written again unless the last
        // rebuild was made from the same log, date and window and they are still the files it wrote.
        if let previous, sameInputs,
            otherFiles.allSatisfy({
                $0 == Dashboard.styleSheetName
                    || FileIdentity(path: "\(directory)/\($0)") == previous.files[$0]
            })
        {
            plan.files = previous.files.filter { $0.key != Dashboard.styleSheetName }
        } else {
            try writeProjections(reports: reports, sorted: sorted, tally: tally, to: directory)
            for name in otherFiles where name != Dashboard.styleSheetName {
                plan.files[name] = try identity(of: "\(directory)/\(name)")
            }
            summary.projectionsWritten = true
        }
        phases.done("projections and front page")
        let sheet = "\(directory)/\(Dashboard.styleSheetName)"
        if FileIdentity(path: sheet) != previous?.files[Dashboard.styleSheetName]
            || FileOutput.read(sheet) != Dashboard.styleSheet
        {
            try FileOutput.writeAtomically(Dashboard.styleSheet, to: sheet)
        }
        plan.files[Dashboard.styleSheetName] = try identity(of: sheet)

        // The family pages: those whose family, date or shared inputs changed since the last rebuild.
        let lines = try FamilyLinesFile.index(log: log, head: head, fromScratch: fromScratch)
        phases.done("family lines index")
        let pagesHold =
            previous.map {
                $0.shared == plan.shared && $0.windowLeftOut == leftOut
                    && (!leftOut || $0.window == windowText)
            } ?? false
        let folder = directory + "/families"
        var written: [Int] = []
        for (position, family) in sorted.enumerated() {
            let name = HTML.familyPageName(family.ref)
            let lastSeq = lines.lastSeq(ofFamily: family.ref) ?? 0
            // The page made for an as-of date holds up to the day before the date next changes it.
            if pagesHold, let page = previous?.pages[name], page.lastSeq == lastSeq,
                page.madeOn <= asOf, page.changes.map({ asOf < $0 }) ?? true,
                page.changes == tally.changes[position],
                FileIdentity(path: "\(folder)/\(name)") == page.file
            {
                plan.pages[name] = page
                summary.pagesKept += 1
            } else {
                written.append(position)
            }
        }
        phases.done("pages chosen")
        let pages = FamilyPages(
            directory: folder, reports: reports, policy: fold.policy(on: asOf),
            workerNames: fold.workers.mapValues(\.name), window: window)
        for (position, file) in try pages.write(
            sorted, positions: written, changes: tally.changes, log: log, head: head, lines: lines)
        {
            let family = sorted[position]
            plan.pages[HTML.familyPageName(family.ref)] = RebuildPlan.Page(
                lastSeq: lines.lastSeq(ofFamily: family.ref) ?? 0,
                changes: tally.changes[position], madeOn: asOf, file: file)
        }
        summary.pagesWritten = written.count
        phases.done("\(written.count) pages written")
        pages.removeStalePages(keeping: Set(plan.pages.keys))
        FamilyPages.removeSpares(in: directory)
        try plan.save(in: directory)
        phases.done("stale pages removed, plan kept")
        return summary
    }

    /// The identity of a file just written.
    static func identity(of path: String) throws -> FileIdentity {
        guard let identity = FileIdentity(path: path) else {
            throw RebuildError(message: "\(path) is not there after it was written")
        }
        return identity
    }

    /// Writes the projection files and the front page.
    private static func writeProjections(
        reports: Reports, sorted: [FamilyState], tally: ObligationTally, to directory: String
    ) throws {
        let fold = reports.fold
        let asOf = reports.asOf
        // Families and PbR: a row per family, made when written (and again for its page), never all held. Their
        // columns are known without making the rows first.
        let policy = fold.policy(on: asOf)
        let familyColumns = Reports.columns(Reports.familyColumns, ofRowsFor: sorted)
        try ProjectionFiles.write(
            directory, "families", count: sorted.count, columns: familyColumns
        ) { reports.familyRow(sorted[$0]) }
        // The front page counts the families attached or with a claim to make: of those rows, the two cells it
        // counts are kept.
        let pbrColumns = Reports.columns(Reports.pbrColumns, ofRowsFor: sorted)
        let pbrCounted = try ProjectionFiles.write(
            directory, "pbr", count: sorted.count, columns: pbrColumns,
            keep: { row in
                guard
                    row["attached"]?.boolValue == true
                        || row["claimable"]?.arrayValue?.isEmpty == false
                else { return nil }
                return JSONObject([
                    JSONMember("attached", row["attached"] ?? .null),
                    JSONMember("claimable", row["claimable"] ?? .null),
                ])
            }
        ) { reports.pbrRow(sorted[$0], policy: policy) }
        let caseload = reports.caseload()
        try ProjectionFiles.write(directory, "caseload", caseload.workers)
        try ProjectionFiles.write(directory, "caseload-teams", caseload.teams + [caseload.service])
        // The longest projection: each family's obligations, a block of families at a time, each row written
        // straight to the files' bytes.
        let detail = tally.detail
        try ProjectionFiles.write(
            directory, "due", count: sorted.count,
            columns: Reports.obligationColumns(detail: detail), block: 64,
            append: { position, json, index, csv in
                let obligations = reports.obligations(of: sorted[position])
                for (offset, obligation) in obligations.enumerated() {
                    reports.appendDueJSON(obligation, index: index + offset, into: &json)
                    reports.appendDueCSV(obligation, detailColumn: detail, into: &csv)
                }
                return obligations.count
            })
        // Every month from the first referral to the as-of month, from one walk of the episodes.
        var starts: [CivilDate] = []
        let firstDate =
            fold.families.values.compactMap { $0.episodes.first?.openedOn }.min() ?? asOf
        var month = CivilDate(year: firstDate.year, month: firstDate.month, day: 1) ?? asOf
        while month <= asOf {
            starts.append(month)
            month = month.adding(months: 1)
        }
        let months = reports.monthly(months: starts, timeliness: tally.timeliness)
        try ProjectionFiles.write(directory, "monthly", months)
        let thisMonth =
            starts.last.map { $0.year == asOf.year && $0.month == asOf.month } == true
            ? months[months.count - 1]
            : reports.monthly(year: asOf.year, month: asOf.month, timeliness: tally.timeliness)
        let policyName = policy?.name ?? "none"
        try FileOutput.writeAtomically(
            text: Dashboard.index(
                reports: reports, caseload: caseload, obligations: tally.listed, pbr: pbrCounted,
                monthly: thisMonth,
                policyName: policyName),
            to: "\(directory)/index.html")
    }
}

/// What a rebuild needs to know of all the obligations before writing them: how many, whether any has a detail
/// (the due file's last column), those the front page lists (overdue, or due soon: open and due within a week or past
/// a warning point, in the order
/// of the due rows), every month's timeliness, and by family (in the order given) the next day the date changes
/// what is shown of it (`Reports.nextChange`).
struct ObligationTally: Sendable {
    var count = 0
    var detail = false
    var listed: [Obligation] = []
    var timeliness = Reports.Timeliness()
    var changes: [CivilDate?] = []

    /// The tally of the families' obligations (`families` in ref order), counted a block of families per core.
    static func of(_ families: [FamilyState], reports: Reports) -> ObligationTally {
        let asOf = reports.asOf
        let parts = ParallelMap.map(ranges: families.count, size: 256) { range in
            var tally = ObligationTally()
            tally.changes.reserveCapacity(range.count)
            for family in families[range] {
                let obligations = reports.obligations(of: family)
                for obligation in obligations {
                    tally.count += 1
                    tally.detail = tally.detail || obligation.detail != nil
                    let status = obligation.status(asOf: asOf)
                    if status == .overdue || obligation.isDueSoon(asOf: asOf) {
                        tally.listed.append(obligation)
                    }
                    tally.timeliness.count(obligation, asOf: asOf)
                }
                tally.changes.append(reports.nextChange(family, obligations: obligations))
            }
            return tally
        }
        var tally = ObligationTally()
        tally.changes.reserveCapacity(families.count)
        for part in parts {
            tally.count += part.count
            tally.detail = tally.detail || part.detail
            tally.listed += part.listed
            tally.timeliness.merge(part.timeliness)
            tally.changes += part.changes
        }
        return tally
    }
}

/// The dashboard's family pages, each made from its family's state in the fold and its timeline, read from the
/// family's own lines of the log (found by `FamilyLineIndex`), a block of families at a time on every core. Each
/// page is put in place whole (written to a temporary file renamed over it: a reader never sees half a page) but
/// not synced one by one: tens of thousands of `fsync`s would cost more than the rest of the rebuild, and a page
/// lost to a crash no longer has the identity the plan noted, so the next rebuild writes it again. The projection
/// files and `index.html` are synced.
final class FamilyPages: Sendable {
    /// Where a rebuild before this one kept the page before each page (to exchange it with the new one), in the
    /// rebuild's folder: removed, since a rebuild now writes only the pages that changed, and those spares doubled
    /// the folder and held what a family's page no longer shows.
    static let spareDirectory = ".previous-pages"

    let directory: String
    let reports: Reports
    let policy: Policy?
    let workerNames: [String: String]
    let window: EventWindow

    init(
        directory: String, reports: Reports, policy: Policy?, workerNames: [String: String],
        window: EventWindow
    ) {
        self.directory = directory
        self.reports = reports
        self.policy = policy
        self.workerNames = workerNames
        self.window = window
    }

    /// What became of one family's page.
    enum Outcome: Sendable {
        case written(FileIdentity)
        /// Its lines were not where the index says (a stale index): to be read again from a new one.
        case stale
        /// The log could not be read (a line whose bytes no longer match its hashes, say).
        case unreadable(EventLogError)
        case failed(String)
    }

    /// Writes the pages of `families` at `positions` (`changes` by position: the next day the date changes each),
    /// reading their lines with `lines` (made again from the log, once, when it proves stale); returns each page's
    /// file, by position.
    func write(
        _ families: [FamilyState], positions: [Int], changes: [CivilDate?], log: String,
        head: LogHead,
        lines given: FamilyLineIndex
    ) throws -> [(position: Int, file: FileIdentity)] {
        guard !positions.isEmpty else { return [] }
        let reader = try ScatteredLineReader(path: log)
        var lines = given
        var pending = positions
        var done: [(position: Int, file: FileIdentity)] = []
        for attempt in 0..<2 {
            let index = lines
            let todo = pending
            let outcomes = ParallelMap.map(ranges: todo.count, size: 16) { [self] range in
                var book = TimelineBook(workerNames: workerNames)
                return range.map { slot -> Outcome in
                    let position = todo[slot]
                    return page(
                        families[position], changes: changes[position], lines: index,
                        reader: reader,
                        book: &book)
                }
            }.flatMap { $0 }
            var stale: [Int] = []
            for (slot, outcome) in outcomes.enumerated() {
                switch outcome {
                case .written(let file): done.append((pending[slot], file))
                case .stale: stale.append(pending[slot])
                case .unreadable(let error): throw error
                case .failed(let message): throw RebuildError(message: message)
                }
            }
            if stale.isEmpty { break }
            guard attempt == 0 else {
                throw RebuildError(
                    message:
                        "the lines of family \(families[stale[0]].ref) are not where the log's own index says (run ledger verify)"
                )
            }
            FamilyLinesFile.trace("stale: a family's lines were not where it says; made again")
            lines = try FamilyLinesFile.index(log: log, head: head, fromScratch: true)
            pending = stale
        }
        return done
    }

    /// Reads one family's lines and writes its page.
    private func page(
        _ family: FamilyState, changes: CivilDate?, lines index: FamilyLineIndex,
        reader: ScatteredLineReader, book: inout TimelineBook
    ) -> Outcome {
        let events: [StoredEvent]
        do {
            guard let lines = index.lines(ofFamily: family.ref),
                let read = try EventScanner.events(of: lines, reader: reader, window: window)
            else { return .stale }
            events = read
        } catch let error as EventLogError {
            return .unreadable(error)
        } catch {
            return .failed("\(error)")
        }
        // Only the family's own events (another stream may share its route), with the workers' names as the fold
        // has them (as `timeline` shows).
        var rows: [UInt8] = []
        var lastSeq: Int?
        for event in events {
            guard let (ref, entry) = book.entry(for: event), ref == family.ref else { continue }
            Dashboard.appendTimelineRow(entry, to: &rows)
            lastSeq = event.seq
        }
        let bytes = Dashboard.familyPage(
            family: family, row: reports.familyRow(family),
            obligations: reports.obligations(of: family),
            pbr: reports.pbrRow(family, policy: policy), timelineRows: rows, lastSeq: lastSeq,
            asOf: reports.asOf, workers: reports.fold.workers, changes: changes)
        let path = "\(directory)/\(HTML.familyPageName(family.ref))"
        do {
            let output = try AtomicOutput(path: path)
            try output.write(bytes)
            try output.commit(durable: false)
            guard let file = FileIdentity(path: path) else {
                return .failed("\(path) is not there after it was written")
            }
            return .written(file)
        } catch {
            return .failed("\(error)")
        }
    }

    /// Removes the pages no family of this rebuild has (`keeping` names those it has): a family no longer in
    /// the log (its referral voided), or a page named as an older build named pages, where one name could stand
    /// for two refs (`.a` and `_.a` were both `_.a.html`). Left, such a page would show a family's old or another
    /// family's children to anyone who had kept its address. Only `.html` files are removed (and the temporary
    /// files of pages a crash left half-made), and only from the rebuild's own folder.
    func removeStalePages(keeping current: Set<String>) {
        for name in FileOutput.fileNames(in: directory, endingWith: ".html")
        where !current.contains(name) {
            FileOutput.remove(directory + "/" + name)
        }
        for name in FileOutput.fileNames(in: directory, endingWith: ".html.new") {
            FileOutput.remove(directory + "/" + name)
        }
    }

    /// Removes the spares of an older build's rebuilds (`spareDirectory`), pages and all.
    static func removeSpares(in folder: String) {
        let spares = folder + "/" + spareDirectory
        guard FileOutput.size(spares) != nil else { return }
        for name in FileOutput.fileNames(in: spares, endingWith: ".html") {
            FileOutput.remove(spares + "/" + name)
        }
        _ = rmdir(spares)
    }
}

struct RebuildError: Error, CustomStringConvertible {
    let message: String
    var description: String { "a family page could not be written: \(message)" }
}

/// With `LEDGER_TRACE` set, how long each phase of a rebuild took, on standard error (for people wondering where
/// a rebuild's time goes, and for the benchmark's notes).
struct RebuildPhases {
    private let on = Console.environment("LEDGER_TRACE") != nil
    private var last = RebuildPhases.now()

    /// The time, and the CPU time the process has taken (user and system, every thread's), in seconds.
    static func now() -> (wall: Double, cpu: Double) {
        var spec = timespec()
        clock_gettime(CLOCK_MONOTONIC, &spec)
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        let cpu =
            Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec)
            + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
        return (Double(spec.tv_sec) + Double(spec.tv_nsec) / 1e9, cpu)
    }

    /// Says how long the phase that ends now took, and the CPU time it took.
    mutating func done(_ phase: @autoclosure () -> String) {
        guard on else { return }
        let time = Self.now()
        Console.err(
            "rebuild: \(phase()) in \(Int((time.wall - last.wall) * 1000)) ms (CPU \(Int((time.cpu - last.cpu) * 1000)) ms)"
        )
        last = time
    }
}
