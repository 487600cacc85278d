import EventLog
import LedgerCore

/// What one family with an open episode adds to the caseload: its children, its workers, its level.
public struct CaseloadEntry: Sendable, Equatable {
    public var family: String
    public var children: Int
    /// Allocated workers, in any relationship, sorted.
    public var workers: [String]
    public var level: String?

    /// The entry of `family`, if its latest episode is open.
    public init?(_ family: FamilyState) {
        guard let last = family.episodes.indices.last, family.episodes[last].isOpen else {
            return nil
        }
        self.family = family.ref
        children = 0
        for member in family.members where member.role == "child" { children += 1 }
        workers = family.episodes[last].workers.keys.sorted()
        level = family.episodes[last].level
    }

    init(family: String, children: Int, workers: [String], level: String?) {
        self.family = family
        self.children = children
        self.workers = workers
        self.level = level
    }

    /// The entries of every family of `fold` with an open episode, by family.
    public static func entries(of fold: LedgerFold) -> [CaseloadEntry] {
        fold.families.values.compactMap(CaseloadEntry.init).sorted { $0.family < $1.family }
    }

    /// `entries` as bytes, for a checkpoint.
    public static func encode(_ entries: [CaseloadEntry]) -> [UInt8] {
        var writer = SnapshotWriter()
        writer.array(entries)
        return writer.bytes()
    }

    /// Entries read back from `encode`'s bytes; throws `SnapshotError` when they are not.
    public static func decode(_ bytes: [UInt8]) throws -> [CaseloadEntry] {
        var reader = try SnapshotReader(bytes)
        let entries: [CaseloadEntry] = try reader.array()
        guard reader.isAtEnd else {
            throw SnapshotError(reason: "bytes after the caseload entries")
        }
        return entries
    }
}

extension CaseloadEntry: SnapshotCodable {
    func encode(into writer: inout SnapshotWriter) {
        writer.string(family)
        writer.int(children)
        writer.array(workers) { $0.string($1) }
        writer.optional(level) { $0.string($1) }
    }

    init(from reader: inout SnapshotReader) throws {
        self.init(
            family: try reader.string(), children: try reader.int(),
            workers: try reader.array { try $0.string() },
            level: try reader.optional { try $0.string() })
    }
}
