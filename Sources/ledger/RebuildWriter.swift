import CAllocator
import EventLog
import LedgerCore
import LedgerEngine
import LedgerQueries
import Projections

/// `ledger rebuild`: every projection written as JSON and CSV, and the dashboard, from one fold of the log.
///
/// The fold comes from the projection checkpoint when it holds (as every read command's does). The projections
/// are streamed to their files a row at a time, each file put in place whole. The family pages need each
/// family's whole timeline: one cheap pass finds where each family's last line is, then the log is read once
/// more, by family on every core, and a family's page is written as soon as its last line has been read, so
/// memory holds the timelines of the families in progress at that point of the log, not the whole log.
enum RebuildWriter {
    struct Summary {
        var families: Int
        var obligations: Int
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

    /// Writes everything into `directory`, holding the folder's lock: a second rebuild into the same folder waits
    /// for this one (and says so) rather than both writing the same temporary files and spares at once, which
    /// failed one of them half-way ("rename failed on site/families.json") and left every page stale.
    static func write(
        fold: LedgerFold, path: String, window: EventWindow, asOf: CivilDate, to directory: String
    ) throws
        -> Summary
    {
        try FileOutput.makeDirectory(directory)
        return try FileOutput.withDirectoryLock(
            directory,
            waiting: {
                Console.errLine("rebuild: waiting for another rebuild into \(directory) to finish")
            }
        ) {
            try writeLocked(fold: fold, path: path, window: window, asOf: asOf, to: directory)
        }
    }

    private static func writeLocked(
        fold: LedgerFold, path: String, window: EventWindow, asOf: CivilDate, to directory: String
    )
        throws -> Summary
    {
        let reports = Reports(fold: fold, asOf: asOf)
        try FileOutput.makeDirectory(directory + "/families")
        let spares = directory + "/" + FamilyPages.spareDirectory
        try FileOutput.makeDirectory(spares)

        // Families and PbR: a row per family, made when written (and again for its page), never all held. Their
        // columns are known without making the rows first.
        let sorted = reports.sortedFamilies
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
        // The obligations are made from the fold where they are needed (the due file, each family's page), never
        // all held at once. First, on every core, what the rest needs to know of all of them.
        let tally = ObligationTally.of(sorted, reports: reports)
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

        let pages = FamilyPages(
            directory: directory + "/families", spares: spares, reports: reports, policy: policy,
            lastLines: try EventScanner.lastLines(path: path))
        try pages.write(path: path, window: window, workerNames: fold.workers.mapValues(\.name))
        return Summary(families: fold.families.count, obligations: tally.count)
    }
}

/// What a rebuild needs to know of all the obligations before writing them: how many, whether any has a detail
/// (the due file's last column), those the front page lists (overdue, or due soon: open and due within a week or past
/// a warning point, in the order
/// of the due rows), and every month's timeliness.
struct ObligationTally: Sendable {
    var count = 0
    var detail = false
    var listed: [Obligation] = []
    var timeliness = Reports.Timeliness()

    /// The tally of the families' obligations (`families` in ref order), counted a block of families per core.
    static func of(_ families: [FamilyState], reports: Reports) -> ObligationTally {
        let asOf = reports.asOf
        let parts = ParallelMap.map(ranges: families.count, size: 256) { range in
            var tally = ObligationTally()
            for family in families[range] {
                for obligation in reports.obligations(of: family) {
                    tally.count += 1
                    tally.detail = tally.detail || obligation.detail != nil
                    let status = obligation.status(asOf: asOf)
                    if status == .overdue || obligation.isDueSoon(asOf: asOf) {
                        tally.listed.append(obligation)
                    }
                    tally.timeliness.count(obligation, asOf: asOf)
                }
            }
            return tally
        }
        var tally = ObligationTally()
        for part in parts {
            tally.count += part.count
            tally.detail = tally.detail || part.detail
            tally.listed += part.listed
            tally.timeliness.merge(part.timeliness)
        }
        return tally
    }
}

/// The dashboard's family pages, written as the log is read by family (see `RebuildWriter`). Each page is put in
/// place whole (a reader never sees half a page) but not synced one by one: tens of thousands of `fsync`s would
/// cost more than the rest of the rebuild, and a page lost to a crash is written again by the next rebuild. The
/// projection files and `index.html` are synced.
///
/// A page is written over its spare in `spareDirectory` (the page before, from the last rebuild) and exchanged
/// with it (`FileOutput.writeIfChanged(_:to:spare:)`), rather than written to a new file renamed over it: a
/// rebuild a day after the last, which changes every page, took 20-22 s on 1M events that way round, against
/// 10-11 s now, the difference being the file system making and freeing 41k files.
final class FamilyPages: Sendable {
    /// Where the pages' spares are kept, in the rebuild's folder: the previous version of each page. Removing it is
    /// harmless (the next rebuild makes the spares again).
    static let spareDirectory = ".previous-pages"

    let directory: String
    let spares: String
    let reports: Reports
    let policy: Policy?
    let lastLines: [UInt64: Int]

    init(
        directory: String, spares: String, reports: Reports, policy: Policy?,
        lastLines: [UInt64: Int]
    ) {
        self.directory = directory
        self.spares = spares
        self.reports = reports
        self.policy = policy
        self.lastLines = lastLines
    }

    var families: [String: FamilyState] { reports.fold.families }

    /// One shard's work: the timelines in progress (as the rows of their pages' tables, written as each event is
    /// read), the pages written, the first failure.
    struct Shard: Sendable {
        var book: TimelineBook
        var rows: [String: [UInt8]] = [:]
        var written: Set<String> = []
        var failure: String?
    }

    func write(path: String, window: EventWindow, workerNames: [String: String]) throws {
        let shardCount = max(1, ParallelLineReader.processors)
        let shards = Array(
            repeating: Shard(book: TimelineBook(workerNames: workerNames)), count: shardCount)
        // Two slices waiting rather than four: this pass holds the rows of every family in progress, and the
        // rebuild's peak is here (5 MiB less, as fast).
        let (done, _) = try EventScanner.foldByFamily(
            path: path, window: window, states: shards, backlog: 2,
            progress: { Console.progress("rebuild: line \($0)") }
        ) { [self] shard, event in
            // Only the family's own events, with the workers' names as the fold has them (as `timeline` shows).
            guard event.route != 0, let (ref, entry) = shard.book.entry(for: event) else { return }
            Dashboard.appendTimelineRow(entry, to: &shard.rows[ref, default: []])
            guard lastLines[event.route] == event.offset else { return }
            let timeline = shard.rows.removeValue(forKey: ref) ?? []
            guard shard.failure == nil, let family = families[ref] else { return }
            do {
                try page(family, timeline: timeline)
                shard.written.insert(ref)
            } catch {
                shard.failure = "\(error)"
            }
        }
        Console.endProgress()
        if let failure = done.lazy.compactMap(\.failure).first {
            throw RebuildError(message: failure)
        }
        // Families whose last line the read did not reach (outside the window, or not in the shape the ledger
        // writes): their pages from what was read.
        var rows = done.map(\.rows)
        for (ref, family) in families.sorted(by: { $0.key < $1.key })
        where !done.contains(where: { $0.written.contains(ref) }) {
            let shard = EventScanner.shard(ofFamily: ref, count: shardCount)
            try page(family, timeline: rows[shard].removeValue(forKey: ref) ?? [])
        }
        removeStalePages()
    }

    /// Removes the pages (and spares) no family of this rebuild has: a family no longer in the log (its referral
    /// voided), or a page named as an older build named pages, where one name could stand for two refs (`.a` and
    /// `_.a` were both `_.a.html`). Left, such a page would show a family's old or another family's children to
    /// anyone who had kept its address. Only `.html` files are removed, and only from the rebuild's own folders.
    private func removeStalePages() {
        let current = Set(families.keys.lazy.map(HTML.familyPageName))
        for folder in [directory, spares] {
            for name in FileOutput.fileNames(in: folder, endingWith: ".html")
            where !current.contains(name) {
                FileOutput.remove(folder + "/" + name)
            }
        }
    }

    /// Writes a family's page; `timeline` is its timeline table's rows.
    private func page(_ family: FamilyState, timeline: [UInt8]) throws {
        let bytes = Dashboard.familyPage(
            family: family, row: reports.familyRow(family),
            obligations: reports.obligations(of: family),
            pbr: reports.pbrRow(family, policy: policy), timelineRows: timeline, asOf: reports.asOf,
            workers: reports.fold.workers)
        // A page that has not changed since the last rebuild is left as it is.
        let name = HTML.familyPageName(family.ref)
        try FileOutput.writeIfChanged(
            bytes, to: "\(directory)/\(name)", spare: "\(spares)/\(name)", durable: false)
    }
}

struct RebuildError: Error, CustomStringConvertible {
    let message: String
    var description: String { "a family page could not be written: \(message)" }
}
