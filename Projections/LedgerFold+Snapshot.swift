import EventLog
import LedgerCore

extension LedgerFold {
    /// The version of the fold's meaning: a snapshot made by a ledger whose fold worked differently must not be
    /// read by this one. Bump it with any change to how events change the fold's state.
    static let snapshotVersion = 12

    /// The fold's meaning (`meaning`, the fingerprint of what it answers over a fixed demo log) recorded for each
    /// snapshot version. A golden test holds `meaning` to the entry for `snapshotVersion`: a change of meaning
    /// fails it until the version is bumped and the new fingerprint recorded here, beside it.
    static let meanings: [Int: String] = [
        2: "19b02d293eef5024642c769ff3c1480a65cdbc938b107319ae30d428626d0870",
        // pbr rows gain claimChecks (7fa7fb0).
        3: "54eaa802f5e417775255ef1a3b79da55371eb413d7ddc396d6dc61c85bac5ac5",
        // An episode keeps its levels in valid time; a late level change re-times recurring obligations.
        4: "c438f8b28600d01a9fcd1e8c7a88be999a8451ba187406b3da9dc493c75f6719",
        // The lead is only a worker allocated as lead (`Lead`): the fixed log had no family to show it, so the
        // version was bumped by hand, and a checkpoint of version 4 is not read.
        5: "1c2005d32680250f422af49c2b1c11c93ad374de9b5528471fa917e661e314a9",
        // The fixed log gains the cases the scenario never makes (a second worker alone, a late level change).
        6: "298e1ebe65fc0ab33e1dc3cb7754d753849942a2d9c107eaec41b8d0a675467e",
        // Valid time: Family Star readings by their dates, an event dated before an obligation's clock does not
        // meet it; PbR rows gain employment's `adult`.
        7: "b7882203590fd3fc18604b211d4f7d92841ed7ff19fcf1e598559ec209f6a386",
        // Work dated before an episode opened starts none of its clocks (and the fixed log shows it).
        8: "15f724f7066d45f8e07378f4256a28916856f8222af1dd45e3708bd239e09240",
        // Leicestershire's assessment by level: a Family Star for targeted and intensive, Signs of Wellbeing for
        // brief (the profile's rules changed; the fixed log's policy is Leicestershire's).
        9: "9cdc6d3d3199680bd690c5724de72a16ef36467aa1c31a1f4ab42e589c8b74c9",
        // A lead who has left an open episode leads it no more (`Lead`); the fixed log shows one.
        10: "bf92f81bbc79480aa29794d0885ab9261f863213dc87c03a1256a6cd5c44dbd6",
        // An obligation met again by an event dated before the one that met it, entered late; the fixed log shows
        // one (a first contact entered after a later one).
        11: "054f584ab7a1e491fe15bed400ec4885b47c10cbdd47d5435855e44cdd487b73",
        // The fold in valid time: a family whose events were entered out of date order (or judged by a policy
        // adopted late, back-dated) is folded again in date order; an extension agreed after the date it moves
        // says so; a family's latest event date is kept. The fixed log gains allocations and reviews entered out
        // of date order.
        12: "9f8a6301424d3e36ddb701c85e51e097b93e51478fc0a6aa4ec989d17ed13365",
    ]

    /// The fold's whole state as bytes, to be restored by `init(snapshot:)` (or `FoldSnapshot`, family by family)
    /// and folded on from there: the same state, so the same projections, as folding the log again.
    ///
    /// Layout after the string table: the organisation (version, obligations or not, policies adopted, workers,
    /// teams), each family's record in the order of their refs, an index of (ref, where its record starts), and
    /// eight bytes saying where the index starts.
    public func snapshot() -> [UInt8] { snapshot(version: Self.snapshotVersion) }

    /// The snapshot as a build with `snapshotVersion` set to `version` writes it (for the golden test's advice:
    /// the version is part of the bytes, so of the meaning).
    func snapshot(version: Int) -> [UInt8] {
        var writer = SnapshotWriter()
        write(to: &writer, version: version)
        return writer.bytes()
    }

    /// `snapshot()`'s bytes handed to `write` about `pieces` bytes at a time, never all held: the fold is walked
    /// twice, first for its strings (the table, which comes first), then for the rest. False (after some bytes
    /// were handed over) if the second walk met a string the first did not, which would be a fault in this code:
    /// what was written must then be thrown away.
    public func writeSnapshot(pieces: Int = 1 << 20, _ write: @escaping ([UInt8]) -> Void) -> Bool {
        var gathered = SnapshotWriter.gatheringStrings()
        self.write(to: &gathered, version: Self.snapshotVersion)
        gathered.finish()
        for part in gathered.tableParts() { write(part) }
        var writer = SnapshotWriter(strings: gathered, chunkSize: pieces, sink: write)
        self.write(to: &writer, version: Self.snapshotVersion)
        writer.finish()
        return writer.stringCount == gathered.stringCount
    }

    /// The layout around the pieces of state, which code themselves: the version, the organisation, each family
    /// (`FamilyState`'s coding), the index and the trailer.
    private func write(to writer: inout SnapshotWriter, version: Int) {
        writer.int(version)
        encodeOrganisation(into: &writer)
        var index: [(ref: String, offset: Int)] = []
        for ref in families.keys.sorted() {
            guard let family = families[ref] else { continue }
            index.append((ref, writer.position))
            writer.value(family)
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

    /// A fold restored from a snapshot written as `snapshot(version:)` writes it.
    init(snapshot bytes: [UInt8], version: Int) throws {
        self = try FoldSnapshot(bytes, version: version).fold()
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
        try self.init(bytes, version: LedgerFold.snapshotVersion)
    }

    /// Reads a snapshot of `version`.
    init(_ bytes: [UInt8], version expected: Int) throws {
        reader = try SnapshotReader(bytes)
        let version = try reader.int()
        guard version == expected else {
            throw SnapshotError(
                reason: "made by another version of the fold (\(version), this is \(expected))")
        }
        organisation = try LedgerFold(organisationFrom: &reader)
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
            fold.families[ref] = try reader.value(FamilyState.self)
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
            fold.families[entry.ref] = try reader.value(FamilyState.self)
        }
        return fold
    }

    /// The whole fold, its families decoded by `decode` a window of the index at a time (`window` positions, as
    /// parts in order: several `Decoder`s on several threads, say) and added in the index's order, as `fold()`
    /// adds them.
    public func fold(
        window: Int, decode: (Range<Int>) throws -> [[(ref: String, state: FamilyState)]]
    ) throws -> LedgerFold {
        var fold = organisation
        fold.families.reserveCapacity(index.count)
        for start in stride(from: 0, to: index.count, by: max(1, window)) {
            for part in try decode(start..<min(index.count, start + max(1, window))) {
                for (ref, state) in part { fold.families[ref] = state }
            }
        }
        return fold
    }

    /// Decodes the families of the snapshot a block of the index at a time, keeping the strings it has read for
    /// the next block: one for each thread when blocks are decoded on several at once.
    public struct Decoder: Sendable {
        private var reader: SnapshotReader
        private let index: [(ref: String, offset: Int)]

        init(reader: SnapshotReader, index: [(ref: String, offset: Int)]) {
            self.reader = reader
            self.index = index
        }

        /// The families at `positions` of the index, with their refs, in its order.
        public mutating func families(at positions: Range<Int>) throws -> [(
            ref: String, state: FamilyState
        )] {
            var families: [(ref: String, state: FamilyState)] = []
            families.reserveCapacity(positions.count)
            for entry in index[positions] {
                try reader.seek(toBody: entry.offset)
                families.append((entry.ref, try reader.value(FamilyState.self)))
            }
            return families
        }
    }

    /// A decoder of the families (`Decoder`).
    public func decoder() -> Decoder { Decoder(reader: reader, index: index) }

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
