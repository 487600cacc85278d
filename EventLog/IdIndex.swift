#if canImport(Glibc)
    import Glibc
#endif

/// A derived, rebuildable index from event `id` to the offset of its line, so an append can tell a duplicate
/// from a new event without rescanning the log.
///
/// Layout: a 128-byte header (magic, capacity, count, the stamp of the log position it covers: seq, byte
/// offset, hash; then the SHA-256 of everything before it, its first 64 bits in hex), then `capacity` slots of
/// 16 bytes: `key` (the first 8 bytes of SHA-256(id), never 0) and a word holding `offset + 1` of the line in
/// its low 40 bits and a 24-bit check of the key, the offset and the slot's place in its high 24. An empty slot
/// is all zeros. Open addressing with linear probing, at most half full.
///
/// Nothing the index says is taken on trust. A key match is only a candidate: the line at the offset is read
/// and its id compared, so collisions and stale slots are harmless. An id is absent only when the probe from
/// its home slot reaches an empty slot across slots whose checks all hold: since linear probing keeps an id
/// between its home slot and the first empty one, a flipped bit in the slot that held it is met on the way and
/// fails its check. A failed check (or a header whose checksum fails) means the index is rebuilt from the log
/// before the answer is given (`rebuild`), never an answer from a damaged index.
///
/// Write order: slots, `fsync`, then header; a crash in between leaves an older stamp and the next open catches
/// up by re-inserting, which is idempotent. A stamp that does not match the log means a rebuild from scratch.
/// The file is mapped into memory (shared), so a probe or an insert is a memory access, not a system call; its
/// blocks are allocated before it is mapped (`Syscalls.allocate`), so a store through the map cannot meet a full
/// disk. Only the writers' lock holder ever has it open.
public final class IdIndex {
    static let magic: UInt64 = 0x3230_5844_4944_4C4C  // "LLDIDX02"
    static let headerSize = 128
    static let slotSize = 16
    /// The header bytes the checksum covers, and where the checksum's 16 bytes sit.
    static let checksumAt = 112
    /// Line offsets are held in 40 bits (a log up to 1 TiB), the check in the 24 above them.
    static let offsetBits: UInt64 = 40
    static let offsetMask: UInt64 = (1 << 40) - 1

    /// A slot or a header that fails its check.
    struct Damaged: Error {}

    /// The index file's path.
    public let path: String
    /// The log it indexes, held under its lock for the index's life.
    private let ledger: LockedLedger
    private var descriptor: Int32
    /// The file, mapped: the header, then the slots.
    private var mapped: UnsafeMutableRawPointer
    private(set) var capacity: Int
    private(set) var count: Int
    /// The log position the index covers.
    public private(set) var covered: LogHead
    /// How many times this index was found damaged and rebuilt (for tests and the caller's warning).
    public private(set) var rebuilds = 0

    private init(
        path: String, ledger: LockedLedger, descriptor: Int32, capacity: Int, count: Int,
        covered: LogHead
    ) throws {
        self.path = path
        self.ledger = ledger
        self.descriptor = descriptor
        self.capacity = capacity
        self.count = count
        self.covered = covered
        mapped = try Syscalls.mapShared(
            descriptor, length: Self.headerSize + capacity * Self.slotSize, path: path)
    }

    deinit {
        // A capacity of -1 marks an index whose file another took over (`rebuild`).
        guard capacity >= 0 else { return }
        Syscalls.unmap(mapped, length: Self.headerSize + capacity * Self.slotSize)
        Syscalls.close(descriptor)
    }

    /// Opens (or creates, or rebuilds) the index beside `ledger` and brings it up to the ledger's head.
    /// Must be called with the ledger's lock held.
    public static func open(for ledger: LockedLedger, progress: ((Int) -> Void)? = nil)
        throws(EventLogError) -> IdIndex
    {
        let path = ledger.path + ".ids"
        let index = try mapErrors { () throws -> IdIndex in
            if let existing = try? load(path: path, ledger: ledger),
                try existing.stampMatches(ledger)
            {
                return existing
            }
            return try create(path: path, ledger: ledger, capacity: 1024)
        }
        try index.catchUp(with: ledger, progress: progress)
        return index
    }

    private static func load(path: String, ledger: LockedLedger) throws -> IdIndex? {
        guard Syscalls.exists(path), !Syscalls.isSymlink(path) else { return nil }
        let descriptor = try Syscalls.open(path, O_RDWR | O_NOFOLLOW)
        var header = [UInt8](repeating: 0, count: headerSize)
        let got = try header.withUnsafeMutableBytes {
            try Syscalls.pread(descriptor, into: $0, at: 0, path: path)
        }
        func word(_ at: Int) -> UInt64 {
            header.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: at, as: UInt64.self) }
        }
        let size = try Syscalls.fileSize(descriptor, path: path)
        let capacity = Int(truncatingIfNeeded: word(8))
        guard got == headerSize, word(0) == magic,
            Self.checksum(of: header) == header[checksumAt...],
            capacity > 0, capacity & (capacity - 1) == 0, size == headerSize + capacity * slotSize
        else {
            Syscalls.close(descriptor)
            return nil
        }
        let hash = String(decoding: header[48..<112], as: UTF8.self)
        let covered = LogHead(
            seq: Int(truncatingIfNeeded: word(24)), hash: hash,
            size: Int(truncatingIfNeeded: word(32)))
        do {
            return try IdIndex(
                path: path, ledger: ledger, descriptor: descriptor, capacity: capacity,
                count: Int(truncatingIfNeeded: word(16)), covered: covered)
        } catch {
            Syscalls.close(descriptor)
            throw error
        }
    }

    private static func create(path: String, ledger: LockedLedger, capacity: Int) throws -> IdIndex
    {
        let temporary = path + ".new"
        Syscalls.unlink(temporary)
        let descriptor = try Syscalls.open(temporary, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW, 0o600)
        let index: IdIndex
        do {
            try Syscalls.allocate(
                descriptor, length: headerSize + capacity * slotSize, path: temporary)
            index = try IdIndex(
                path: path, ledger: ledger, descriptor: descriptor, capacity: capacity, count: 0,
                covered: .empty)
        } catch {
            Syscalls.close(descriptor)
            Syscalls.unlink(temporary)
            throw error
        }
        try index.writeHeader()
        try Syscalls.rename(temporary, path)
        return index
    }

    /// The first 64 bits of the SHA-256 of the header's bytes before the checksum, in hex (16 bytes).
    static func checksum(of header: [UInt8]) -> ArraySlice<UInt8> {
        let digest = header.withUnsafeBytes {
            SHA256.hash(UnsafeRawBufferPointer(rebasing: $0[0..<checksumAt]))
        }
        return digest.hexBytes[0..<(headerSize - checksumAt)]
    }

    /// Builds the index anew from the whole log, in place of this damaged one: every line up to the ledger's
    /// head, which includes every batch this call has already made durable.
    private func rebuild() throws {
        let fresh = try Self.create(path: path, ledger: ledger, capacity: 1024)
        try fresh.catchUp(with: ledger, progress: nil)
        // Take over the fresh index's file; it gives up its own (the mapping is moved, not unmapped).
        Syscalls.unmap(mapped, length: Self.headerSize + capacity * Self.slotSize)
        Syscalls.close(descriptor)
        descriptor = fresh.descriptor
        mapped = fresh.mapped
        capacity = fresh.capacity
        count = fresh.count
        covered = fresh.covered
        fresh.descriptor = -1
        fresh.capacity = -1
        rebuilds += 1
    }

    private func stampMatches(_ ledger: LockedLedger) throws -> Bool {
        if covered.seq == 0 { return covered.size == 0 }
        guard covered.size <= ledger.head.size else { return false }
        // The line ending at covered.size must be the one stamped.
        guard let start = try ledger.lineStart(endingAt: covered.size),
            let line = try ledger.line(at: start), let record = try? LineFormat.decode(line)
        else { return false }
        return record.seq == covered.seq && record.hash == covered.hash
    }

    /// Adds every line between the stamp and the ledger's head.
    private func catchUp(with ledger: LockedLedger, progress: ((Int) -> Void)?)
        throws(EventLogError)
    {
        guard covered.size < ledger.head.size else { return }
        var pending: [(key: UInt64, offset: Int)] = []
        var last = covered
        try mapErrors {
            try LogReader(path: ledger.path).forEachLine(from: covered.size, to: ledger.head.size) {
                line, position, _ in
                let record = try LineFormat.decodeStored(line, atByte: position.offset)
                pending.append((Self.key(record.content.id), position.offset))
                last = LogHead(
                    seq: record.seq, hash: record.hash, size: position.offset + line.count + 1)
                if pending.count % 100_000 == 0 { progress?(pending.count) }
            }
        }
        try insert(pending, newStamp: last)
    }

    /// Records new lines (after they are durable in the log) and, when `stamp` is set, makes the slots durable and
    /// moves the stamp to `head`. Without it the slots are in place (a probe finds them) but the stamp stays where
    /// it was: a run of batches (ingest) syncs the index once at its end, and a crash before then leaves an older
    /// stamp, so the next open re-inserts those lines (idempotent).
    public func insert(
        _ entries: [(key: UInt64, offset: Int)], newStamp head: LogHead, stamp: Bool = true
    )
        throws(EventLogError)
    {
        try mapErrors {
            do {
                if (count + entries.count) * 2 > capacity {
                    try grow(toHold: count + entries.count)
                }
                for entry in entries { try place(entry.key, entry.offset) }
            } catch is Damaged {
                // The entries' lines are durable in the log already, so the rebuilt index holds them.
                try rebuild()
                return
            }
            guard stamp else { return }
            try Syscalls.fsync(descriptor, path: path)
            covered = head
            try writeHeader()
        }
    }

    /// The index key of an id.
    public static func key(_ id: String) -> UInt64 {
        var id = id
        return id.withUTF8 { key($0) }
    }

    /// The index key of an id given as its UTF-8 bytes.
    public static func key(_ id: UnsafeBufferPointer<UInt8>) -> UInt64 {
        let digest = SHA256.hash(UnsafeRawBufferPointer(id))
        let key = UInt64(digest.words.0) << 32 | UInt64(digest.words.1)
        return key == 0 ? 1 : key
    }

    /// Offsets of lines whose id may be the one with index key `key` (`key(_:)`; candidates: the caller reads
    /// each line and compares). Lines after the stamp are not covered: callers keep those ids themselves.
    /// A damaged slot on the way makes the index be rebuilt from the log first.
    public func candidates(forKey key: UInt64) throws(EventLogError) -> [Int] {
        try mapErrors {
            do { return try probe(key) } catch is Damaged {
                try rebuild()
                return try probe(key)
            }
        }
    }

    private func probe(_ key: UInt64) throws -> [Int] {
        var found: [Int] = []
        var slot = Int(truncatingIfNeeded: key) & (capacity - 1)
        for _ in 0..<capacity {
            let (slotKey, offset) = try readSlot(slot)
            if slotKey == 0 { return found }
            if slotKey == key { found.append(offset) }
            slot = (slot + 1) & (capacity - 1)
        }
        throw Damaged()  // no empty slot in a table kept at most half full
    }

    /// The 24-bit check of a slot's key and offset at its place.
    static func check(key: UInt64, offsetPlusOne: UInt64, slot: Int) -> UInt64 {
        var mixed =
            key ^ (offsetPlusOne &* 0x9E37_79B9_7F4A_7C15) ^ (UInt64(slot) &* 0xC2B2_AE3D_27D4_EB4F)
        mixed ^= mixed >> 31
        mixed &*= 0xBF58_476D_1CE4_E5B9
        mixed ^= mixed >> 29
        mixed &*= 0x94D0_49BB_1331_11EB
        mixed ^= mixed >> 32
        return mixed & 0xFF_FFFF
    }

    /// A slot's word after its key: the offset plus one and its check.
    static func slotValue(key: UInt64, offset: Int, slot: Int) -> UInt64 {
        let offsetPlusOne = UInt64(offset + 1)
        return offsetPlusOne | check(key: key, offsetPlusOne: offsetPlusOne, slot: slot)
            << offsetBits
    }

    private func place(_ key: UInt64, _ offset: Int) throws {
        var slot = Int(truncatingIfNeeded: key) & (capacity - 1)
        var probes = 0
        while true {
            let (slotKey, found) = try readSlot(slot)
            if slotKey == 0 { break }
            // already there (re-insert after a crash)
            if slotKey == key && found == offset { return }
            slot = (slot + 1) & (capacity - 1)
            probes += 1
            if probes == capacity {
                // Full: the header's count was behind the slots (a crash before the stamp, which is written with
                // the count). Growing counts the slots again.
                try grow(toHold: capacity)
                return try place(key, offset)
            }
        }
        guard UInt64(offset + 1) <= Self.offsetMask else {
            throw SystemCallError(call: "index (log over 1 TiB)", errno: EFBIG, path: path)
        }
        Self.writeSlot(slot, key, Self.slotValue(key: key, offset: offset, slot: slot), in: mapped)
        count += 1
    }

    /// A slot's key and line offset (key 0: empty). Throws `Damaged` when the slot fails its check.
    private func readSlot(_ slot: Int) throws -> (key: UInt64, offset: Int) {
        let at = Self.headerSize + slot * Self.slotSize
        let key = mapped.loadUnaligned(fromByteOffset: at, as: UInt64.self)
        let value = mapped.loadUnaligned(fromByteOffset: at + 8, as: UInt64.self)
        if key == 0 {
            guard value == 0 else { throw Damaged() }
            return (0, -1)
        }
        let offsetPlusOne = value & Self.offsetMask
        guard offsetPlusOne > 0,
            value >> Self.offsetBits
                == Self.check(key: key, offsetPlusOne: offsetPlusOne, slot: slot)
        else { throw Damaged() }
        return (key, Int(offsetPlusOne) - 1)
    }

    private static func writeSlot(
        _ slot: Int, _ key: UInt64, _ value: UInt64, in mapping: UnsafeMutableRawPointer
    ) {
        let at = headerSize + slot * slotSize
        mapping.storeBytes(of: key, toByteOffset: at, as: UInt64.self)
        mapping.storeBytes(of: value, toByteOffset: at + 8, as: UInt64.self)
    }

    private func writeHeader() throws {
        var header = [UInt8](repeating: 0, count: Self.headerSize)
        header.withUnsafeMutableBytes { raw in
            raw.storeBytes(of: Self.magic, toByteOffset: 0, as: UInt64.self)
            raw.storeBytes(of: UInt64(capacity), toByteOffset: 8, as: UInt64.self)
            raw.storeBytes(of: UInt64(count), toByteOffset: 16, as: UInt64.self)
            raw.storeBytes(of: UInt64(covered.seq), toByteOffset: 24, as: UInt64.self)
            raw.storeBytes(of: UInt64(covered.size), toByteOffset: 32, as: UInt64.self)
        }
        header.replaceSubrange(48..<112, with: Array(covered.hash.utf8.prefix(64)))
        header.replaceSubrange(Self.checksumAt..<Self.headerSize, with: Self.checksum(of: header))
        try header.withUnsafeBytes { try Syscalls.pwriteAll(descriptor, $0, at: 0, path: path) }
    }

    /// Rehashes into a table twice as big (or more), written beside and renamed over the old one.
    private func grow(toHold needed: Int) throws {
        var newCapacity = capacity
        while needed * 2 > newCapacity { newCapacity *= 2 }
        let temporary = path + ".new"
        let newLength = Self.headerSize + newCapacity * Self.slotSize
        Syscalls.unlink(temporary)
        let newDescriptor = try Syscalls.open(
            temporary, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW, 0o600)
        let newMapping: UnsafeMutableRawPointer
        do {
            // zeros: every slot empty
            try Syscalls.allocate(newDescriptor, length: newLength, path: temporary)
            newMapping = try Syscalls.mapShared(newDescriptor, length: newLength, path: temporary)
        } catch {
            Syscalls.close(newDescriptor)
            Syscalls.unlink(temporary)
            throw error
        }
        var placed = 0
        do {
            for slot in 0..<capacity {
                let (key, offset) = try readSlot(slot)
                guard key != 0 else { continue }
                var target = Int(truncatingIfNeeded: key) & (newCapacity - 1)
                while newMapping.loadUnaligned(
                    fromByteOffset: Self.headerSize + target * Self.slotSize, as: UInt64.self) != 0
                {
                    target = (target + 1) & (newCapacity - 1)
                }
                Self.writeSlot(
                    target, key, Self.slotValue(key: key, offset: offset, slot: target),
                    in: newMapping)
                placed += 1
            }
        } catch {
            Syscalls.unmap(newMapping, length: newLength)
            Syscalls.close(newDescriptor)
            Syscalls.unlink(temporary)
            throw error
        }
        Syscalls.unmap(mapped, length: Self.headerSize + capacity * Self.slotSize)
        Syscalls.close(descriptor)
        descriptor = newDescriptor
        mapped = newMapping
        capacity = newCapacity
        count = placed
        try writeHeader()
        try Syscalls.fsync(newDescriptor, path: temporary)
        try Syscalls.rename(temporary, path)
    }
}
