#if canImport(Glibc)
    import Glibc
#endif
import CAllocator
import Dispatch
import EventLog
import LedgerCore
import LedgerEngine
import LedgerQueries
import Projections

/// `ledger rebuild`: every projection written as JSON and CSV, and the dashboard, from one fold of the log,
/// writing only what changed since the folder's last rebuild.
///
/// The folder keeps a plan of what it was made from (`RebuildPlan`). When the log's head, the as-of date and
/// the window are those of the plan and every file is still the one written, nothing is read or written. Else
/// the fold comes from the projection checkpoint when it holds (as every read command's does); the projections
/// and the front page are written again when the log or the date moved; and a family's page is written again only
/// when what it is made from changed: its family's last seq (an event of it, or a redaction), the date, once it
/// reaches the next day that changes the page (`Reports.nextPageChange`: work reaching its warning point or falling
/// overdue; the page counts no days), or what every page reads
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
        try refuseFile(directory)
        try FileOutput.makeDirectory(directory)
        return try FileOutput.withDirectoryLock(
            directory,
            waiting: {
                Console.errLine("rebuild: waiting for another rebuild into \(directory) to finish")
            }
        ) {
            // Under the lock: another rebuild's mark is whole by now (it is the first thing written under it).
            try refuseForeign(directory)
            if FileOutput.size(directory + "/" + mark) == nil {
                try FileOutput.writeAtomically(text: markText, to: directory + "/" + mark)
            }
            return try writeLocked(
                log: log, window: window, asOf: asOf, fromScratch: fromScratch, to: directory,
                fold: fold)
        }
    }

    /// The mark a rebuild puts in its folder before anything else, so that a folder it was writing when it was
    /// stopped is still known as its own (its plan is written last).
    static let mark = ".ledger-dashboard"
    static let markText =
        "A dashboard written by `ledger rebuild`: the next rebuild replaces what is here.\n"

    /// Refuses a folder that `--out` names when it holds anything and no rebuild wrote it (it has neither a
    /// rebuild's mark nor its plan): a rebuild writes its own `index.html` over the one there and removes the pages
    /// it did not write, and those files are someone's.
    static func refuseForeign(_ directory: String) throws {
        let all = FileOutput.names(in: directory)
        guard !all.contains(mark), !all.contains(RebuildPlan.fileName) else { return }
        // The mark's own temporary file, left by a rebuild stopped while writing it, is no one else's.
        let names = all.filter { !$0.hasPrefix(mark) }
        guard let first = names.first else { return }
        throw UsageError(
            message:
                "--out \(directory) holds \(first)\(names.count > 1 ? " and \(names.count - 1) more" : "") that no rebuild wrote, which a rebuild would replace or remove: give a new or empty folder, or one a rebuild wrote"
        )
    }

    /// Refuses `--out` naming something that is not a folder.
    static func refuseFile(_ directory: String) throws {
        guard FileOutput.size(directory) != nil, !DirectoryTree.isDirectory(directory) else {
            return
        }
        throw UsageError(message: "--out \(directory) is a file, not a folder")
    }

    /// The files of a folder besides the family pages, by name.
    static let projectionNames = [
        "families", "pbr", "caseload", "caseload-teams", "due", "monthly",
    ]
    static var otherFiles: [String] {
        projectionNames.flatMap { ["\($0).json", "\($0).csv"] } + ["index.html"] + sharedNames
    }

    /// The files every page shares (`Dashboard.sharedFiles`), by name.
    static var sharedNames: [String] { Dashboard.sharedFiles.map(\.name) }

    /// The last rebuild's plan, when this build made it from this log (the log still holds the line it was made
    /// to); nil otherwise.
    static func usablePlan(
        in directory: String, log: String, head: LogHead, headerOnly: Bool = false
    ) -> RebuildPlan? {
        guard let plan = RebuildPlan.load(from: directory, headerOnly: headerOnly) else {
            return nil
        }
        guard plan.build == RebuildPlan.build else {
            RebuildPlan.trace("not used: made by another build, or before the machine last started")
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
        for (ref, entry) in zip(plan.refs, plan.entries)
        where FileIdentity(path: "\(pages)/\(HTML.familyPageName(ref))") != entry.page {
            return false
        }
        return FileOutput.fileNames(in: pages, endingWith: ".html").count == plan.entries.count
    }

    private static func writeLocked(
        log: String, window: EventWindow, asOf: CivilDate, fromScratch: Bool,
        to directory: String, fold folding: Folding
    ) throws -> Summary {
        var phases = RebuildPhases()
        let head = try LedgerFile(path: log).readHead().head
        // Its header first: whether the last rebuild was made by this build from the same log, date and window.
        let header =
            fromScratch ? nil : usablePlan(in: directory, log: log, head: head, headerOnly: true)
        let windowText = RebuildPlan.windowText(window)
        // The same log, date and window as the last rebuild: the folder already holds what this one would write.
        let sameInputs =
            header.map {
                $0.stamp == head && $0.asOf == asOf && $0.window == windowText
            } ?? false
        if sameInputs, let whole = usablePlan(in: directory, log: log, head: head),
            untouched(whole, in: directory)
        {
            return Summary(
                families: whole.families, obligations: whole.obligations,
                pagesKept: whole.entries.count, unchanged: true)
        }
        phases.done("plan read and checked")
        // The plan is read whole after the fold is restored, which holds the most of any step (held through it,
        // on a million events, 12 MiB more at the peak).
        let planned = header != nil
        var previous: RebuildPlan?
        // The families' last seqs, by their streams' routes, from the index of their lines, made or brought up to
        // date before the fold is there (a new index holds every line at once while it is made: on a million events
        // the first rebuild peaked 15-25 MiB higher with the index made after the fold). The index itself is let
        // go of, and read again for the pages that are written.
        // When the kept index covers the log already, it is read where it lies: decoding every family's lines
        // only to keep their last seqs left 41k small blocks in the heap, which the fold then grew past (5 MiB
        // on the peak of a rebuild without a checkpoint).
        var lastSeqByRoute =
            try (fromScratch ? nil : FamilyLinesFile.locator(log: log, head: head))?.lastSeqs
            ?? FamilyLinesFile.index(log: log, head: head, fromScratch: fromScratch).lastSeqs
        phases.done("family lines index")
        let (fold, leftOut) = try folding(head)
        if planned { previous = usablePlan(in: directory, log: log, head: head) }
        phases.done("fold")
        let reports = Reports(fold: fold, asOf: asOf)
        try FileOutput.makeDirectory(directory + "/families")
        try FileOutput.makeDirectory(directory + "/" + FamilyPages.spareDirectory)
        var sorted = reports.sortedFamilies
        // The obligations are made from the fold where they are needed (the due file, each family's page), never
        // all held at once. First, on every core, what the rest needs to know of all of them, and the next day
        // the date changes what is shown of each family.
        var tally = ObligationTally.of(sorted, reports: reports)
        var plan = RebuildPlan(
            build: RebuildPlan.build, stamp: head, asOf: asOf, window: windowText,
            windowLeftOut: leftOut, shared: Dashboard.sharedInputs(of: fold, asOf: asOf),
            families: fold.families.count, obligations: tally.count)
        var summary = Summary(families: plan.families, obligations: plan.obligations)
        phases.done("obligations tallied")
        let lastSeqs = sorted.map {
            lastSeqByRoute[FamilyLineIndex.route(ofFamily: $0.ref)] ?? 0
        }
        lastSeqByRoute = [:]

        // What the last rebuild made of each family still holds when it was made from the same family (its last
        // seq), the same shared inputs and window, for an as-of date before the date next changes it. By position:
        // the family's index in the last plan (-1: none), and whether its rows (`held`) and its page (`pageHeld`:
        // the page counts no days, `Reports.nextPageChange`, and so holds on days its rows do not) still hold.
        let sharedHolds =
            previous.map {
                $0.shared == plan.shared && $0.windowLeftOut == leftOut
                    && (!leftOut || $0.window == windowText)
            } ?? false
        let before =
            previous?.positions(of: sorted.map(\.ref))
            ?? Array(repeating: -1, count: sorted.count)
        var held = Array(repeating: false, count: sorted.count)
        var pageHeld = held
        for position in sorted.indices {
            guard sharedHolds, let previous, before[position] >= 0 else { continue }
            let entry = previous.entries[Int(before[position])]
            guard entry.lastSeq == lastSeqs[position] else { continue }
            held[position] =
                entry.madeOn <= asOf && entry.pbr != PbRCells.uncarried
                && (entry.changes.map { asOf < $0 } ?? true)
                && entry.changes == tally.changes[position]
            pageHeld[position] =
                entry.pageMadeOn <= asOf && (entry.pageChanges.map { asOf < $0 } ?? true)
                && entry.pageChanges == tally.pageChanges[position]
        }
        /// The last plan's entry of the family at `position`, when what it made still holds.
        func heldEntry(_ position: Int) -> RebuildPlan.Family? {
            guard held[position], let previous else { return nil }
            return previous.entries[Int(before[position])]
        }

        // The projections and the front page read every family and the date: left as they are when the last
        // rebuild was made from the same log, date and window and they are still the files it wrote; else
        // written again, each family's rows copied from the last output where they still hold.
        var rows: ProjectionRows?
        let projectionsStand =
            previous.map { previous in
                sameInputs && !held.contains(false)
                    && otherFiles.allSatisfy({
                        sharedNames.contains($0)
                            || FileIdentity(path: "\(directory)/\($0)") == previous.files[$0]
                    })
            } ?? false
        if let previous, projectionsStand {
            plan.files = previous.files.filter { !sharedNames.contains($0.key) }
            plan.columns = previous.columns
            rows = ProjectionRows(
                segments: sorted.indices.map { heldEntry($0)?.segments ?? RebuildPlan.Segments() },
                pbr: sorted.indices.map { heldEntry($0)?.pbr ?? 0 })
        }
        for (name, bytes) in Dashboard.sharedFiles {
            let path = "\(directory)/\(name)"
            if FileIdentity(path: path) != previous?.files[name] || FileOutput.read(path) != bytes {
                try FileOutput.writeAtomically(bytes, to: path)
            }
            plan.files[name] = try identity(of: path)
        }

        // The family pages: those whose family, shared inputs or date changed since the last rebuild, and any no
        // longer the file it wrote.
        let folder = directory + "/families"
        var written: [Int] = []
        // By position: a page kept, as it is; for a page to write, the page it replaces when that page's timeline
        // still holds (a page written again for a new date alone: its family's events and the shared inputs the
        // same, the file the one the last rebuild wrote), which it takes its timeline from.
        var made: [FamilyPages.Made?] = Array(repeating: nil, count: sorted.count)
        var pageKept = Array(repeating: false, count: sorted.count)
        // From here on the families are found by ref in the fold: the sorted copies (4-5 MiB on a million events)
        // are let go of before the pages, which hold the most at once after the fold.
        let refs = sorted.map(\.ref)
        // Each page the last rebuild wrote, as it is now, looked at on every core (41k `lstat`s on a million events).
        let pageFiles: [FileIdentity?] =
            previous == nil
            ? []
            : ParallelMap.map(ranges: refs.count, size: 2048) { range in
                range.map { position -> FileIdentity? in
                    guard before[position] >= 0 else { return nil }
                    return FileIdentity(path: "\(folder)/\(HTML.familyPageName(refs[position]))")
                }
            }.flatMap { $0 }
        for position in sorted.indices {
            if pageHeld[position], let previous,
                case let entry = previous.entries[Int(before[position])],
                pageFiles[position] == entry.page
            {
                made[position] = FamilyPages.Made(
                    file: entry.page, madeTo: entry.madeTo, timeline: entry.timeline)
                pageKept[position] = true
                summary.pagesKept += 1
                continue
            }
            written.append(position)
            if sharedHolds, let previous, before[position] >= 0 {
                let entry = previous.entries[Int(before[position])]
                if entry.lastSeq == lastSeqs[position], pageFiles[position] == entry.page {
                    made[position] = FamilyPages.Made(
                        file: entry.page, madeTo: entry.madeTo, timeline: entry.timeline)
                }
            }
        }
        let madeOn = sorted.indices.map { heldEntry($0)?.madeOn ?? asOf }
        // A page kept keeps the date it was made for; one written is made for this one.
        let pageMadeOn = sorted.indices.map { position in
            pageKept[position] ? previous?.entries[Int(before[position])].pageMadeOn ?? asOf : asOf
        }
        phases.done("pages chosen")
        // The projections and the front page, when they are to be written. On a morning (most pages stand) on a
        // thread of their own beside the family pages: writing them is mostly the kernel's copying of the rows
        // that still hold (200 MB on a million events, file to file) and the front page is made on one thread,
        // while the pages' threads wait on the file system for much of their time; so both cores are kept busy.
        // From scratch one after the other, before the pages: a page whose timeline is read from the log holds
        // its family's events, and with every page written so the front page beside them took the peak from 184
        // to 190 MiB on a million events, against issue 5's 190.7.
        let beside = written.count * 2 < refs.count
        // What they read of the sorted families and of the last plan is taken first: both are let go of before
        // the pages (on a million events, without a checkpoint, the peak beside the pages was 193 MiB holding
        // them).
        let rowsBefore = previous.map(RowsBefore.init)
        let columns = (families: Reports.familyColumns, pbr: Reports.pbrColumns)
        let projections =
            rows != nil
            ? nil
            : try ProjectionsWork(beside: beside, directory: directory) {
                [reports, refs, tally, held, before] phases in
                try writeProjections(
                    reports: reports, refs: refs, columns: columns, tally: tally, held: held,
                    before: before, previous: rowsBefore, dueBeside: beside, to: directory,
                    phases: &phases)
            }
        sorted = []
        previous = nil
        tally.listed = []
        let lines: FamilyLines
        let pages: FamilyPages
        do {
            lines =
                written.isEmpty
                ? .memory(FamilyLineIndex()) : try FamilyLines.of(log: log, head: head)
            // The pages' timelines are read from their families' lines where they lie, even when every page is
            // written: one read of the whole log in order, writing each page as it passed the family's last
            // line, was 30-40% faster from scratch on a million events but held the timelines of every family in
            // progress (25 MiB over the fold: 197 MiB, past issue 5's 200 MB; two such reads of half the families
            // each, 191 MiB and slower than this).
            pages = FamilyPages(
                directory: folder, spares: directory + "/" + FamilyPages.spareDirectory,
                reports: reports, policy: fold.policy(on: asOf),
                workerNames: fold.workers.mapValues(\.name), window: window)
            for (position, page) in try pages.write(
                refs, positions: written, changes: tally.pageChanges, timelines: made, log: log,
                head: head, lines: lines)
            {
                made[position] = page
            }
        } catch {
            // The projections and the front page are not left being written once the folder's lock is let go of.
            _ = try? projections?.wait()
            throw error
        }
        if let projections {
            let made = try projections.wait()
            for name in otherFiles where !sharedNames.contains(name) {
                plan.files[name] = try identity(of: "\(directory)/\(name)")
            }
            plan.columns = made.columns
            rows = made
            summary.projectionsWritten = true
        }
        guard let rows else { throw RebuildError(message: "the projections were not written") }
        summary.pagesWritten = written.count
        phases.done(
            "\(written.count) pages written, \(pages.keptTimelines) with the timeline of the page before\(projections?.beside == true ? ", and the projections and the front page beside them" : "")"
        )
        plan.refs.reserveCapacity(refs.count)
        plan.entries.reserveCapacity(refs.count)
        for (position, ref) in refs.enumerated() {
            guard let page = made[position] else {
                throw RebuildError(message: "the page of \(ref) was not written")
            }
            plan.refs.append(ref)
            plan.entries.append(
                RebuildPlan.Family(
                    lastSeq: lastSeqs[position], changes: tally.changes[position],
                    madeOn: madeOn[position], pageChanges: tally.pageChanges[position],
                    pageMadeOn: pageMadeOn[position], page: page.file,
                    madeTo: page.madeTo, timelineStart: Int32(clamping: page.timeline.lowerBound),
                    timelineLength: Int32(clamping: page.timeline.count),
                    segments: rows.segments[position], pbr: rows.pbr[position]))
        }
        // Spares no page of this rebuild has, and every spare when the last plan was not used (an older build's
        // spares held each page's version before, whatever had changed in it).
        // The plan is made while they are removed (both are work for a core: three listings of 41k names, and
        // 5 MB of plan on a million events), and kept once they are gone.
        let names = Set(refs.lazy.map(HTML.familyPageName))
        let removal = BackgroundWork { [planned] in
            pages.removeStalePages(keeping: planned ? names : [], pages: names)
        }
        let encoded = plan.encoded()
        try removal.wait()
        try plan.save(encoded, in: directory)
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

    /// What the projections read of the last plan (`RebuildPlan`): its files and CSV columns, and by family (in its
    /// order) where the rows are and the PbR cells the front page counts. Only this is held while they are written
    /// beside the pages, not the whole plan.
    struct RowsBefore: Sendable {
        var files: [String: FileIdentity]
        var columns: [String: String]
        var segments: [RebuildPlan.Segments]
        var pbr: [UInt8]

        init(_ plan: RebuildPlan) {
            files = plan.files
            columns = plan.columns
            segments = plan.entries.map(\.segments)
            pbr = plan.entries.map(\.pbr)
        }
    }

    /// Where each family's rows are in the projection files, and the PbR cells the front page counts, by family
    /// (in ref order), and a digest of each CSV's columns.
    struct ProjectionRows {
        var segments: [RebuildPlan.Segments]
        /// `PbRCells`.
        var pbr: [UInt8]
        var columns: [String: String] = [:]
    }

    /// Writes one projection of rows by family (`name.json` and `name.csv`): each family's rows copied from the last
    /// output where what the last rebuild made of the family still holds (`held`; `before` gives its index in the
    /// last plan) and the files are still the ones it wrote, and made by `render` otherwise (its JSON rows from
    /// `index`, as `RowWriter.appendJSONRow` does; it returns how many). Returns each family's lengths.
    private static func writeRows(
        _ name: String, columns: [String], block: Int, count: Int, held: [Bool], before: [Int32],
        previous: RowsBefore?, to directory: String,
        render: @escaping @Sendable (Int, Int, inout [UInt8], inout [UInt8]) -> Int
    ) throws -> SegmentLengths {
        let copier =
            previous.flatMap {
                RowCopier(
                    name: name, in: directory, previous: $0,
                    columnsDigest: RebuildPlan.digest(columns: columns), held: held,
                    before: before)
            }
        /// Writes both files, copying with `copier` when there is one; each family's lengths.
        func attempt(_ copier: RowCopier?) throws -> SegmentLengths {
            let lengths = SegmentLengths(count: count)
            if let copier {
                try ProjectionFiles.write(
                    directory, name, count: count, columns: columns, block: block,
                    copyingFrom: (copier.jsonFile, copier.csvFile)
                ) { positions, bytes in
                    copier.copy(positions, lengths: lengths, into: &bytes, render: render)
                }
            } else {
                try ProjectionFiles.write(
                    directory, name, count: count, columns: columns, block: block
                ) { positions, json, csv in
                    RowCopier.render(
                        positions, lengths: lengths, json: &json, csv: &csv, render: render)
                }
            }
            return lengths
        }
        let copiedFrom = copier.map { [$0.jsonFile.path, $0.csvFile.path] } ?? []
        do {
            return try attempt(copier)
        } catch let error as SystemCallError
            where copier != nil && (error.call == "sendfile" || copiedFrom.contains(error.path))
        {
            // A copy of the rows that still hold failed (a file before that changed under the rebuild and
            // ends too soon, say): every row made anew.
            RebuildPlan.trace("\(name): \(error); its rows made anew")
            return try attempt(nil)
        }
    }

    /// Writes the projection files, and returns what the front page is made from; each family's rows in the
    /// families, PbR and due files are copied from the last output where what the last rebuild made of the family
    /// still holds (`writeRows`). `dueBeside`: the due files (the longest) are written on a thread of their own
    /// while the others and the front page are, which is then written here (the result holds no front page).
    private static func writeProjections(
        reports: Reports, refs: [String], columns: (families: [String], pbr: [String]),
        tally: ObligationTally, held: [Bool], before: [Int32], previous: RowsBefore?,
        dueBeside: Bool, to directory: String, phases: inout RebuildPhases
    ) throws -> (ProjectionRows, FrontPage?) {
        let fold = reports.fold
        let asOf = reports.asOf
        let count = refs.count
        // The families by position, found by ref in the fold.
        let families = fold.families
        var result = ProjectionRows(
            segments: Array(repeating: RebuildPlan.Segments(), count: count),
            pbr: Array(repeating: 0, count: count))
        /// Records where one projection's rows are, by family.
        func record(_ name: String, columns: [String], _ lengths: SegmentLengths) {
            result.columns["\(name).csv"] = RebuildPlan.digest(columns: columns)
            let offset = RebuildPlan.segmentFiles.firstIndex(of: "\(name).json") ?? 0
            for position in 0..<count {
                result.segments[position][offset] = lengths.json[position]
                result.segments[position][offset + 1] = lengths.csv[position]
            }
        }
        func copied(_ lengths: SegmentLengths) -> Int {
            lengths.copied.reduce(0) { $0 + ($1 ? 1 : 0) }
        }
        /// Writes one projection of rows by family (`writeRows`) and records where they are.
        func write(
            _ name: String, columns: [String], block: Int,
            render: @escaping @Sendable (Int, Int, inout [UInt8], inout [UInt8]) -> Int
        ) throws {
            let lengths = try writeRows(
                name, columns: columns, block: block, count: count, held: held, before: before,
                previous: previous, to: directory, render: render)
            record(name, columns: columns, lengths)
            phases.done("\(name).json, .csv, \(copied(lengths)) families' rows copied")
        }
        // The longest projection: each family's obligations, each row written straight to the files' bytes.
        let dueColumns = Reports.obligationColumns
        let due: @Sendable (Int, Int, inout [UInt8], inout [UInt8]) -> Int = {
            position, index, json, csv in
            guard let family = families[refs[position]] else { return 0 }
            let obligations = reports.obligations(of: family)
            for (offset, obligation) in obligations.enumerated() {
                reports.appendDueJSON(obligation, index: index + offset, into: &json)
                reports.appendDueCSV(obligation, into: &csv)
            }
            return obligations.count
        }
        /// On a morning (`dueBeside`), one projection's rows written on a thread of their own (`writeRows`): the
        /// work, and where its lengths are once it is waited for; nil otherwise.
        func writeBeside(
            _ name: String, columns: [String], block: Int,
            render: @escaping @Sendable (Int, Int, inout [UInt8], inout [UInt8]) -> Int
        ) -> (work: BackgroundWork, lengths: LengthsBox)? {
            guard dueBeside else { return nil }
            let box = LengthsBox()
            let work = BackgroundWork {
                var phases = RebuildPhases()
                let lengths = try writeRows(
                    name, columns: columns, block: block, count: count, held: held, before: before,
                    previous: previous, to: directory, render: render)
                box.lengths = lengths
                let copied = lengths.copied.reduce(0) { $0 + ($1 ? 1 : 0) }
                phases.done(
                    "\(name).json, .csv, \(copied) families' rows copied, on a thread of its own")
            }
            return (work, box)
        }
        let dueWork = writeBeside("due", columns: dueColumns, block: 64, render: due)
        // Families: a row per family, made when written (and again for its page), never all held; its columns are
        // known without making the rows first. On a morning on a thread of its own too: the front page does not
        // read it, so the PbR rows, the caseload, the monthly rows and the front page are made beside it (one
        // thread writing all but the due files was the morning's longest, its cores half idle).
        let familyRows: @Sendable (Int, Int, inout [UInt8], inout [UInt8]) -> Int = {
            position, index, json, csv in
            guard let family = families[refs[position]], let row = reports.familyRow(family)
            else { return 0 }
            RowWriter.appendJSONRow(row, index: index, into: &json)
            RowWriter.appendCSV(row, columns: Reports.familyColumns, into: &csv)
            return 1
        }
        let familyWork = writeBeside(
            "families", columns: columns.families, block: RowBlocks.block, render: familyRows)
        /// The families (unless beside), PbR, caseload, due (unless beside) and monthly files; what the front page
        /// is made from.
        func writeOthers() throws -> FrontPage {
            // PbR: a row per family, as the families' are.
            let policy = fold.policy(on: asOf)
            if familyWork == nil {
                try write(
                    "families", columns: columns.families, block: RowBlocks.block,
                    render: familyRows)
            }
            // The front page counts the families attached or with a claim to make: of those rows, the two cells it
            // counts are kept (or, for a row copied, taken from the plan).
            let kept = KeptCells(count: count)
            for position in 0..<count where held[position] {
                kept.cells[position] = previous?.pbr[Int(before[position])] ?? 0
            }
            try write("pbr", columns: columns.pbr, block: RowBlocks.block) {
                position, index, json, csv in
                guard let family = families[refs[position]],
                    let row = reports.pbrRow(family, policy: policy)
                else {
                    kept.cells[position] = 0
                    return 0
                }
                RowWriter.appendJSONRow(row, index: index, into: &json)
                RowWriter.appendCSV(row, columns: Reports.pbrColumns, into: &csv)
                kept.keep(
                    row["attached"]?.boolValue == true
                        || row["claimable"]?.arrayValue?.isEmpty == false
                        ? JSONObject([
                            JSONMember("attached", row["attached"] ?? .null),
                            JSONMember("claimable", row["claimable"] ?? .null),
                        ]) : nil, at: position)
                return 1
            }
            result.pbr = Array(kept.cells)
            let pbrCounted = kept.counted
            let caseload = reports.caseload()
            try ProjectionFiles.write(
                directory, "caseload", caseload.workers, columns: Reports.caseloadColumns)
            try ProjectionFiles.write(
                directory, "caseload-teams", caseload.teams + [caseload.service],
                columns: Reports.caseloadTeamColumns)
            phases.done("caseload")
            if dueWork == nil { try write("due", columns: dueColumns, block: 64, render: due) }
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
            try ProjectionFiles.write(
                directory, "monthly", months, columns: reports.monthlyColumns(months)
            ) { [reports] row in reports.monthlyCSVRow(row, columnsOf: months) }
            phases.done("monthly")
            let thisMonth =
                starts.last.map { $0.year == asOf.year && $0.month == asOf.month } == true
                ? months[months.count - 1]
                : reports.monthly(year: asOf.year, month: asOf.month, timeliness: tally.timeliness)
            return FrontPage(
                reports: reports, caseload: caseload, listed: tally.listed, pbr: pbrCounted,
                thisMonth: thisMonth, policyName: policy?.name ?? "none")
        }

        do {
            let front = try writeOthers()
            guard let dueWork, let familyWork else { return (result, front) }
            try front.write(to: directory)
            phases.done("front page")
            for (name, header, beside) in [
                ("due", dueColumns, dueWork), ("families", columns.families, familyWork),
            ] {
                try beside.work.wait()
                guard let lengths = beside.lengths.lengths else {
                    throw RebuildError(message: "the \(name) rows were not written")
                }
                record(name, columns: header, lengths)
            }
            return (result, nil)
        } catch {
            // The due and families files are not left being written once the rebuild gives up.
            _ = try? dueWork?.work.wait()
            _ = try? familyWork?.work.wait()
            throw error
        }
    }

    /// What the front page is made from, once the rows are written: it is made when the rebuild holds the least
    /// beside it.
    struct FrontPage: Sendable {
        let reports: Reports
        let caseload: Reports.CaseloadFigures
        let listed: [Obligation]
        let pbr: [JSONObject]
        let thisMonth: JSONObject
        let policyName: String

        /// Writes `index.html`, a part at a time as it is made (synced, then put in place whole).
        func write(to directory: String) throws {
            let output = try AtomicOutput(path: "\(directory)/index.html")
            try Dashboard.index(
                reports: reports, caseload: caseload, obligations: listed, pbr: pbr,
                monthly: thisMonth, policyName: policyName
            ) { part in
                var part = part
                try part.withUTF8 { try output.write(UnsafeRawBufferPointer($0)) }
            }
            try output.commit()
        }
    }
}

/// A projection's lengths by family (`SegmentLengths`), set by the thread that wrote it and read after it is waited
/// for.
final class LengthsBox: @unchecked Sendable {
    var lengths: SegmentLengths?
}

/// Each family's rows' lengths in one projection's JSON (as a document's first) and CSV, filled in by the blocks
/// that write them (each position by one block).
final class SegmentLengths: @unchecked Sendable {
    let json: UnsafeMutableBufferPointer<Int>
    let csv: UnsafeMutableBufferPointer<Int>
    /// Whether each family's rows were copied from the last output.
    let copied: UnsafeMutableBufferPointer<Bool>

    init(count: Int) {
        json = .allocate(capacity: count)
        json.initialize(repeating: 0)
        csv = .allocate(capacity: count)
        csv.initialize(repeating: 0)
        copied = .allocate(capacity: count)
        copied.initialize(repeating: false)
    }

    deinit {
        json.deallocate()
        csv.deallocate()
        copied.deallocate()
    }
}

/// The PbR cells the front page counts (`PbRCells`), by family, filled in by the blocks that write the PbR rows
/// (each position by one block).
final class KeptCells: @unchecked Sendable {
    let cells: UnsafeMutableBufferPointer<UInt8>
    /// The cells themselves where their byte cannot carry them (`PbRCells.uncarried`).
    let uncarried: UnsafeMutableBufferPointer<JSONObject?>

    init(count: Int) {
        cells = .allocate(capacity: count)
        cells.initialize(repeating: 0)
        uncarried = .allocate(capacity: count)
        uncarried.initialize(repeating: nil)
    }

    deinit {
        cells.deallocate()
        uncarried.deinitialize()
        uncarried.deallocate()
    }

    /// Records a row's counted cells (nil: not counted) at `position`.
    func keep(_ counted: JSONObject?, at position: Int) {
        let code = PbRCells.code(counted)
        cells[position] = code
        if code == PbRCells.uncarried { uncarried[position] = counted }
    }

    /// The counted cells, in order.
    var counted: [JSONObject] {
        cells.indices.compactMap {
            cells[$0] == PbRCells.uncarried ? uncarried[$0] : PbRCells.cells(cells[$0])
        }
    }
}

/// Copies families' rows of one projection (its JSON and CSV) from the last output, where they lie in the files
/// the last rebuild wrote: found by the lengths its plan gives each family's rows, in family order, and used only
/// while both files are still the ones it wrote, their columns the same, and the lengths add up to the files'
/// sizes.
struct RowCopier: Sendable {
    /// Where one family's rows are in the old files.
    struct Place: Sendable {
        var json: Range<Int>
        var csv: Range<Int>
    }

    let jsonFile: ScatteredLineReader
    let csvFile: ScatteredLineReader
    /// By position in this rebuild's families; nil where the rows are to be made anew.
    let places: [Place?]

    init?(
        name: String, in directory: String, previous: RebuildWriter.RowsBefore,
        columnsDigest: String,
        held: [Bool], before: [Int32]
    ) {
        let jsonPath = "\(directory)/\(name).json"
        let csvPath = "\(directory)/\(name).csv"
        guard previous.columns["\(name).csv"] == columnsDigest,
            let jsonIdentity = previous.files["\(name).json"],
            let csvIdentity = previous.files["\(name).csv"],
            FileIdentity(path: jsonPath) == jsonIdentity,
            FileIdentity(path: csvPath) == csvIdentity,
            let offset = RebuildPlan.segmentFiles.firstIndex(of: "\(name).json"),
            let json = try? ScatteredLineReader(path: jsonPath),
            let csv = try? ScatteredLineReader(path: csvPath),
            json.size == jsonIdentity.size, csv.size == csvIdentity.size,
            let headerLength = Self.headerLength(of: csv)
        else { return nil }
        // The old files' layout: "[" and each family's JSON rows, joined by ",", then the end; the CSV's header and
        // each family's lines. By the family's index in the last plan.
        var jsonAt = 1
        var csvAt = headerLength
        var first = true
        var old: [Place] = []
        old.reserveCapacity(previous.segments.count)
        for segments in previous.segments {
            let jsonLength = segments[offset]
            let csvLength = segments[offset + 1]
            if jsonLength > 0 {
                if !first { jsonAt += 1 }
                first = false
            }
            old.append(
                Place(json: jsonAt..<(jsonAt + jsonLength), csv: csvAt..<(csvAt + csvLength)))
            jsonAt += jsonLength
            csvAt += csvLength
        }
        guard jsonAt + RowWriter.jsonEnd.count == json.size, csvAt == csv.size else { return nil }
        jsonFile = json
        csvFile = csv
        places = held.indices.map { held[$0] ? old[Int(before[$0])] : nil }
    }

    /// The length of a CSV's header line (up to and with its CRLF), read from the file.
    private static func headerLength(of csv: ScatteredLineReader) -> Int? {
        guard csv.size > 0 else { return 0 }
        guard let start = try? csv.bytes(at: 0, count: min(csv.size, 1 << 16)),
            let end = start.firstIndex(of: 0x0A)
        else { return nil }
        return end + 1
    }

    /// Writes the rows of `positions`: copied where they hold (as splices of the old files, joined where they
    /// lie together there), made by `render` where not; records each position's lengths and returns how many rows
    /// it wrote (a copied family's rows count as one).
    func copy(
        _ positions: Range<Int>, lengths: SegmentLengths,
        into bytes: inout ProjectionFiles.BlockBytes,
        render: @Sendable (Int, Int, inout [UInt8], inout [UInt8]) -> Int
    ) -> Int {
        var rows = 0
        // The bytes of the block so far, made and spliced.
        var spliced = (json: 0, csv: 0)
        for position in positions {
            let jsonBefore = bytes.json.count + spliced.json
            let csvBefore = bytes.csv.count + spliced.csv
            let separated = rows > 0
            if let place = places[position] {
                if !place.json.isEmpty {
                    // Two rows that lie together in the old file are joined by its comma.
                    if separated, let last = bytes.jsonSplices.last, last.at == bytes.json.count,
                        last.range.upperBound + 1 == place.json.lowerBound
                    {
                        bytes.jsonSplices[bytes.jsonSplices.count - 1].range =
                            last.range.lowerBound..<place.json.upperBound
                        spliced.json += 1
                    } else {
                        if separated { bytes.json.append(UInt8(ascii: ",")) }
                        bytes.jsonSplices.append(.init(at: bytes.json.count, range: place.json))
                    }
                    spliced.json += place.json.count
                    rows += 1
                }
                if !place.csv.isEmpty {
                    if let last = bytes.csvSplices.last, last.at == bytes.csv.count,
                        last.range.upperBound == place.csv.lowerBound
                    {
                        bytes.csvSplices[bytes.csvSplices.count - 1].range =
                            last.range.lowerBound..<place.csv.upperBound
                    } else {
                        bytes.csvSplices.append(.init(at: bytes.csv.count, range: place.csv))
                    }
                    spliced.csv += place.csv.count
                }
                lengths.copied[position] = true
            } else {
                rows += render(position, rows, &bytes.json, &bytes.csv)
            }
            let written = bytes.json.count + spliced.json - jsonBefore
            lengths.json[position] = written > 0 && separated ? written - 1 : written
            lengths.csv[position] = bytes.csv.count + spliced.csv - csvBefore
        }
        return rows
    }

    /// `copy` with nothing to copy.
    static func render(
        _ positions: Range<Int>, lengths: SegmentLengths, json: inout [UInt8], csv: inout [UInt8],
        render: @Sendable (Int, Int, inout [UInt8], inout [UInt8]) -> Int
    ) -> Int {
        var rows = 0
        for position in positions {
            let jsonBefore = json.count
            let csvBefore = csv.count
            let separated = rows > 0
            rows += render(position, rows, &json, &csv)
            let written = json.count - jsonBefore
            lengths.json[position] = written > 0 && separated ? written - 1 : written
            lengths.csv[position] = csv.count - csvBefore
        }
        return rows
    }
}

/// What a rebuild needs to know of all the obligations before writing them: how many, those the front page lists (overdue, or due soon: open and due within a week or past
/// a warning point, in the order
/// of the due rows), every month's timeliness, and by family (in the order given) the next day the date changes
/// what is shown of it (`Reports.nextChange`).
struct ObligationTally: Sendable {
    var count = 0
    var listed: [Obligation] = []
    var timeliness = Reports.Timeliness()
    var changes: [CivilDate?] = []
    /// By family, the next day the date changes its page (`Reports.nextPageChange`).
    var pageChanges: [CivilDate?] = []

    /// The tally of the families' obligations (`families` in ref order), counted a block of families per core.
    static func of(_ families: [FamilyState], reports: Reports) -> ObligationTally {
        let asOf = reports.asOf
        let parts = ParallelMap.map(ranges: families.count, size: 256) { range in
            var tally = ObligationTally()
            tally.changes.reserveCapacity(range.count)
            tally.pageChanges.reserveCapacity(range.count)
            for family in families[range] {
                let obligations = reports.obligations(of: family)
                for obligation in obligations {
                    tally.count += 1
                    let status = obligation.status(asOf: asOf)
                    if status == .overdue || obligation.isDueSoon(asOf: asOf) {
                        tally.listed.append(obligation)
                    }
                    tally.timeliness.count(obligation, asOf: asOf)
                }
                tally.changes.append(reports.nextChange(family, obligations: obligations))
                tally.pageChanges.append(reports.nextPageChange(family, obligations: obligations))
            }
            return tally
        }
        var tally = ObligationTally()
        tally.changes.reserveCapacity(families.count)
        tally.pageChanges.reserveCapacity(families.count)
        for part in parts {
            tally.count += part.count
            tally.listed += part.listed
            tally.timeliness.merge(part.timeliness)
            tally.changes += part.changes
            tally.pageChanges += part.pageChanges
        }
        return tally
    }
}

/// The dashboard's family pages, each made from its family's state in the fold and its timeline, read from the
/// family's own lines of the log (found by `FamilyLineIndex`), a block of families at a time on every core. Each
/// page is put in place whole (a reader never sees half a page) but not synced one by one: tens of thousands of
/// `fsync`s would cost more than the rest of the rebuild, and a plan made in another boot of the machine is not
/// trusted (`RebuildPlan`), so a page a crash lost is written again. The projection files and `index.html` are
/// synced.
///
/// A page written again for the date alone (its family's events the same) is written over its spare in
/// `spareDirectory` and exchanged with it in one atomic step (`FileOutput.writeIfChanged`), so that the spare
/// holds the page as it was the day before, to be written over next time: replacing a page by a new file renamed
/// over it makes one file and frees another, and on this machine's file system (ext4 without a journal, with
/// `discard`) 5,000 pages took 4.7-5.4 s that way against 0.12-0.23 s by exchange. A spare then shows the same
/// events as its page, a day's standing older. A page whose family changed (an event, a correction, a
/// redaction) is written to a new file renamed over it, and its spare removed: no spare keeps what a page no
/// longer shows.
final class FamilyPages: Sendable {
    /// Where the pages' spares are kept, in the rebuild's folder. Removing it is harmless.
    static let spareDirectory = ".previous-pages"

    let directory: String
    let spares: String
    let reports: Reports
    let policy: Policy?
    let workerNames: [String: String]
    let window: EventWindow
    /// How many pages the last `write` wrote with the timeline of the page before.
    nonisolated(unsafe) var keptTimelines = 0

    init(
        directory: String, spares: String, reports: Reports, policy: Policy?,
        workerNames: [String: String], window: EventWindow
    ) {
        self.directory = directory
        self.spares = spares
        self.reports = reports
        self.policy = policy
        self.workerNames = workerNames
        self.window = window
    }

    /// A family's page as written: its file, the seq it names, and where its timeline's rows are in it.
    struct Made: Sendable {
        var file: FileIdentity
        var madeTo: Int
        var timeline: Range<Int>
    }

    /// What became of one family's page.
    enum Outcome: Sendable {
        /// Written, with its timeline taken from the page before (or read from the log).
        case written(Made, keptTimeline: Bool)
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
        _ refs: [String], positions: [Int], changes: [CivilDate?],
        timelines: [Made?], log: String, head: LogHead, lines given: FamilyLines
    ) throws -> [(position: Int, page: Made)] {
        let families = reports.fold.families
        guard !positions.isEmpty else { return [] }
        let reader = try ScatteredLineReader(path: log)
        var lines = given
        var pending = positions
        var done: [(position: Int, page: Made)] = []
        keptTimelines = 0
        for attempt in 0..<2 {
            let index = lines
            let todo = pending
            let outcomes = ParallelMap.map(ranges: todo.count, size: 16) { [self] range in
                var book = TimelineBook(workerNames: workerNames)
                return range.map { slot -> Outcome in
                    let position = todo[slot]
                    guard let family = families[refs[position]] else {
                        return .failed("no family \(refs[position]) in the fold")
                    }
                    return page(
                        family, changes: changes[position],
                        timeline: timelines[position], lines: index, reader: reader, book: &book)
                }
            }.flatMap { $0 }
            var stale: [Int] = []
            for (slot, outcome) in outcomes.enumerated() {
                switch outcome {
                case .written(let page, let kept):
                    done.append((pending[slot], page))
                    if kept { keptTimelines += 1 }
                case .stale: stale.append(pending[slot])
                case .unreadable(let error): throw error
                case .failed(let message): throw RebuildError(message: message)
                }
            }
            if stale.isEmpty { break }
            guard attempt == 0 else {
                throw RebuildError(
                    message:
                        "the lines of family \(refs[stale[0]]) are not where the log's own index says (run ledger verify)"
                )
            }
            FamilyLinesFile.trace("stale: a family's lines were not where it says; made again")
            lines = .memory(try FamilyLinesFile.index(log: log, head: head, fromScratch: true))
            pending = stale
        }
        return done
    }

    /// Writes one family's page, its timeline taken from the page it replaces (`timeline`) or read from its
    /// lines.
    private func page(
        _ family: FamilyState, changes: CivilDate?, timeline old: Made?,
        lines index: FamilyLines,
        reader: ScatteredLineReader, book: inout TimelineBook
    ) -> Outcome {
        let path = "\(directory)/\(HTML.familyPageName(family.ref))"
        var rows: [UInt8] = []
        var lastSeq: Int?
        var kept = false
        if let old, let before = Self.rows(of: path, in: old) {
            rows = before
            lastSeq = old.madeTo > 0 ? old.madeTo : nil
            kept = true
        } else {
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
            // Only the family's own events (another stream may share its route), with the workers' names as the
            // fold has them (as `timeline` shows).
            for event in events {
                guard let (ref, entry) = book.entry(for: event), ref == family.ref else { continue }
                Dashboard.appendTimelineRow(entry, to: &rows)
                lastSeq = event.seq
            }
        }
        return finish(family, rows: rows, lastSeq: lastSeq, changes: changes, kept: kept)
    }

    /// Makes a family's page from its timeline's rows (`kept`: taken from the page before) and writes it.
    private func finish(
        _ family: FamilyState, rows: [UInt8], lastSeq: Int?, changes: CivilDate?, kept: Bool
    ) -> Outcome {
        let path = "\(directory)/\(HTML.familyPageName(family.ref))"
        let (bytes, timeline) = Dashboard.familyPageWithRows(
            family: family, row: reports.familyRow(family),
            obligations: reports.obligations(of: family),
            pbr: reports.pbrRow(family, policy: policy), timelineRows: rows, lastSeq: lastSeq,
            asOf: reports.asOf, workers: reports.fold.workers, changes: changes)
        do {
            let spare = "\(spares)/\(HTML.familyPageName(family.ref))"
            if kept {
                try FileOutput.writeIfChanged(bytes, to: path, spare: spare, durable: false)
            } else {
                let output = try AtomicOutput(path: path)
                try output.write(bytes)
                try output.commit(durable: false)
                FileOutput.remove(spare)
            }
            guard let file = FileIdentity(path: path) else {
                return .failed("\(path) is not there after it was written")
            }
            return .written(
                Made(file: file, madeTo: lastSeq ?? 0, timeline: timeline), keptTimeline: kept)
        } catch {
            return .failed("\(error)")
        }
    }

    /// The timeline's rows of the page at `path`, where the plan says they are, when the file is still the one
    /// written and they read as rows; nil otherwise (then they are read from the log).
    static func rows(of path: String, in page: Made) -> [UInt8]? {
        guard let file = try? ScatteredLineReader(path: path), file.size == page.file.size,
            FileIdentity(path: path) == page.file,
            let rows = try? file.bytes(at: page.timeline.lowerBound, count: page.timeline.count),
            rows.isEmpty
                || (rows.starts(with: Array("<tr>".utf8))
                    && rows.suffix(5).elementsEqual("</tr>".utf8))
        else { return nil }
        return rows
    }

    /// Removes the pages (and spares) no family of this rebuild has (`keeping` names those it has, and the spares
    /// worth keeping): a family no longer in the log (its referral voided), or a page named as an older build
    /// named pages, where one name could stand for two refs (`.a` and `_.a` were both `_.a.html`). Left, such a
    /// page would show a family's old or another family's children to anyone who had kept its address. Only
    /// `.html` files are removed (and the temporary files of pages a crash left half-made), and only from the
    /// rebuild's own folders.
    func removeStalePages(keeping current: Set<String>, pages: Set<String>) {
        for name in FileOutput.fileNames(in: directory, endingWith: ".html")
        where !pages.contains(name) {
            FileOutput.remove(directory + "/" + name)
        }
        for name in FileOutput.fileNames(in: directory, endingWith: ".html.new") {
            FileOutput.remove(directory + "/" + name)
        }
        for name in FileOutput.fileNames(in: spares, endingWith: ".html")
        where !current.contains(name) {
            FileOutput.remove(spares + "/" + name)
        }
    }
}

/// Work run on a thread of its own while the caller goes on, waited for (always, before the caller returns:
/// `wait`) by the thread that started it.
final class BackgroundWork: @unchecked Sendable {
    private let done = DispatchSemaphore(value: 0)
    /// Set by the work's thread before it signals `done`, read only after `done` is waited for.
    private var failure: (any Error)?
    /// Whether `done` was waited for: it is signalled once, and a second wait on it would never return (a caller
    /// that waits, is thrown the work's failure, and waits again as it gives up: a rebuild on a full disk hung
    /// holding its folder's lock).
    private var waited = false

    init(_ work: @escaping @Sendable () throws -> Void) {
        DispatchQueue.global(qos: .userInitiated).async {
            do { try work() } catch { self.failure = error }
            self.done.signal()
        }
    }

    /// Waits for the work to end; rethrows what it threw (every time it is asked).
    func wait() throws {
        if !waited {
            done.wait()
            waited = true
        }
        if let failure { throw failure }
    }
}

/// The projection files and the front page (`RebuildWriter.writeProjections`, then `FrontPage.write`), written on a
/// thread of their own beside the family pages (`beside`) or at once; `wait` gives where each family's rows are.
final class ProjectionsWork: @unchecked Sendable {
    let beside: Bool
    private var work: BackgroundWork?
    /// Set by the work before it ends, read only after `wait`.
    private var rows: RebuildWriter.ProjectionRows?

    /// Starts the work (`beside`), or does it (and throws what it throws).
    init(
        beside: Bool, directory: String,
        _ write:
            @escaping @Sendable (inout RebuildPhases) throws -> (
                RebuildWriter.ProjectionRows, RebuildWriter.FrontPage?
            )
    ) throws {
        self.beside = beside
        let run: @Sendable () throws -> Void = { [unowned self] in
            var phases = RebuildPhases()
            let (rows, front) = try write(&phases)
            // Unless it was written already, beside the due files.
            if let front {
                try front.write(to: directory)
                phases.done("front page")
            }
            self.rows = rows
        }
        if beside { work = BackgroundWork(run) } else { try run() }
    }

    /// Waits for the work to end; rethrows what it threw.
    func wait() throws -> RebuildWriter.ProjectionRows {
        try work?.wait()
        guard let rows else { throw RebuildError(message: "the projections were not written") }
        return rows
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

    /// The process's peak resident memory so far (`VmHWM`), in MiB.
    static func peakMiB() -> Int { memoryMiB("VmHWM:") }

    /// A figure of `/proc/self/status` in MiB (`VmHWM:`, the peak; `VmRSS:`, now).
    static func memoryMiB(_ field: String) -> Int {
        guard let file = fopen("/proc/self/status", "r") else { return 0 }
        defer { fclose(file) }
        var line = [CChar](repeating: 0, count: 256)
        while fgets(&line, Int32(line.count), file) != nil {
            let text = String(
                decoding: line.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) },
                as: UTF8.self)
            if text.hasPrefix(field) {
                return (text.split(separator: " ").compactMap { Int($0) }.first ?? 0) / 1024
            }
        }
        return 0
    }

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
            "rebuild: \(phase()) in \(Int((time.wall - last.wall) * 1000)) ms (CPU \(Int((time.cpu - last.cpu) * 1000)) ms, \(Self.memoryMiB("VmRSS:")) MiB, peak \(Self.peakMiB()) MiB)"
        )
        last = time
    }
}
