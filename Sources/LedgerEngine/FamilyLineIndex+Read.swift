import EventLog
import LedgerCore

// Reading the log is the engine's: the index itself (LedgerCore) only codes what it is given.
extension FamilyLineIndex {
    /// Extends the index over the lines of the log at `path` after what it covers, up to `end` (the end of the
    /// line of seq `seq`: the log's head), read on every core.
    ///
    /// `only`: the routes of the families to keep lines of (nil: every family). An index made so holds a few
    /// families' lines for a reader that needs no more (the fold's refolding beside a whole fold in memory: every
    /// family's lines took a rebuild without a checkpoint past 200 MB); it is not a file's index, never saved.
    public mutating func extend(
        path: String, to end: Int, seq head: Int, only routes: Set<UInt64>? = nil
    ) throws {
        guard end > size else { return }
        struct Found: Sendable {
            var lines: [(route: UInt64, line: Line)] = []
            /// The families named by `record.redacted` lines: by route, the seq of the record.
            var redactions: [(route: UInt64, seq: Int)] = []
        }
        try ParallelLineReader(path: path).read(
            from: size, to: end,
            parse: { slice in
                var found = Found()
                found.lines.reserveCapacity(slice.range.count / 400)
                slice.forEachLine { line, start, _, tooLong in
                    guard !tooLong else { return }
                    let offset = slice.chunkOffset + start
                    if let peeked = LineScanner.peek(line) {
                        let type = UnsafeBufferPointer(rebasing: line[peeked.type])
                        let route = StoredEvent.route(
                            of: UnsafeBufferPointer(rebasing: line[peeked.stream]))
                        if route != 0 {
                            if routes?.contains(route) ?? true {
                                found.lines.append(
                                    (
                                        route,
                                        Line(offset: offset, length: line.count, seq: peeked.seq)
                                    )
                                )
                            }
                        } else if type.elementsEqual(Self.redactionType),
                            let record = try? LineFormat.decode(line),
                            let family = record.content.data.objectValue?["family"]?.stringValue
                        {
                            found.redactions.append((Self.route(ofFamily: family), record.seq))
                        }
                        return
                    }
                    // A line in another shape than the ledger writes: the reference parser says whose it is.
                    guard let record = try? LineFormat.decode(line) else { return }
                    let route = StoredEvent.route(of: record.content.stream)
                    if route != 0 {
                        if routes?.contains(route) ?? true {
                            found.lines.append(
                                (route, Line(offset: offset, length: line.count, seq: record.seq)))
                        }
                    } else if record.content.type == "record.redacted",
                        let family = record.content.data.objectValue?["family"]?.stringValue
                    {
                        found.redactions.append((Self.route(ofFamily: family), record.seq))
                    }
                }
                return found
            },
            consume: { piece in
                guard case .parsed(let found) = piece else { return }
                for (route, line) in found.lines { families[route, default: Family()].add(line) }
                for (route, seq) in found.redactions where routes?.contains(route) ?? true {
                    var family = families[route] ?? Family()
                    family.lastSeq = max(family.lastSeq, seq)
                    families[route] = family
                }
            })
        size = end
        seq = head
    }
}
