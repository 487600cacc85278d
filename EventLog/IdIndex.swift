#if canImport(Glibc)
    import Glibc
#endif

/// A derived, rebuildable index from event `id` to the offset of its line, so an append can tell a duplicate
/// from a new event without rescanning the log.
///
/// Layout: a 128-byte header (magic, capacity, count, and the stamp of the log position it covers: seq, byte
/// offset, hash), then `capacity` slots of 16 bytes (`key`: first 8 bytes of SHA-256(id), never 0; `offset + 1`
/// of the line). Open addressing with linear probing, at most half full. A key match is only a candidate: the
/// line at the offset is read and its id compared, so collisions and stale slots left by a crash are harmless.
/// Write order: slots, `fsync`, then header; a crash in between leaves an older stamp and the next open catches
/// up by re-inserting, which is idempotent. A stamp that does not match the log means a rebuild from scratch.
/// The file is mapped into memory (shared), so a probe or an insert is a memory access, not a system call; only
/// the writers' lock holder ever has it open.
public final class IdIndex {
    static let magic: UInt64 = 0x3130_5844_4944_4C4C  // "LLDIDX01"
    static let headerSize = 128
    static let slotSize = 16

    /// The index file's path.
    public let path: String
    private var descriptor: Int32
    /// The file, mapped: the header, then the slots.
    private var mapped: UnsafeMutableRawPointer
    private(set) var capacity: Int
    private(set) var count: Int
    /// The log position the index covers.
    public private(set) var covered: LogHead

    private init(path: String, descriptor: Int32, capacity: Int, count: Int, covered: LogHead) throws {
        self.path = path
        self.descriptor = descriptor
        self.capacity = capacity
        self.count = count
        self.covered = covered
        mapped = try Syscalls.mapShared(descriptor, length: Self.headerSize + capacity * Self.slotSize, path: path)
    }

    deinit {
        Syscalls.unmap(mapped, length: Self.headerSize + capacity * Self.slotSize)
        Syscalls.close(descriptor)
    }

    /// Opens (or creates, or rebuilds) the index beside `ledger` and brings it up to the ledger's head.
    /// Must be called with the ledger's lock held.
    public static func open(for ledger: LockedLedger, progress: ((Int) -> Void)? = nil) throws(EventLogError) -> IdIndex {
        let path = ledger.path + ".ids"
        let index = try mapErrors { () throws -> IdIndex in
            if let existing = try? load(path: path), try existing.stampMatches(ledger) {
                return existing
            }
            return try create(path: path, capacity: 1024)
        }
        try index.catchUp(with: ledger, progress: progress)
        return index
    }

    private static func load(path: String) throws -> IdIndex? {
        guard Syscalls.exists(path), !Syscalls.isSymlink(path) else { return nil }
        let descriptor = try Syscalls.open(path, O_RDWR | O_NOFOLLOW)
        var header = [UInt8](repeating: 0, count: headerSize)
        let got = try header.withUnsafeMutableBytes { try Syscalls.pread(descriptor, into: $0, at: 0, path: path) }
        func word(_ at: Int) -> UInt64 {
            header.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: at, as: UInt64.self) }
        }
        let size = try Syscalls.fileSize(descriptor, path: path)
        let capacity = Int(word(8))
        guard got == headerSize, word(0) == magic, capacity > 0, capacity & (capacity - 1) == 0,
            size == headerSize + capacity * slotSize
        else {
            Syscalls.close(descriptor)
            return nil
        }
        let hash = String(decoding: header[48..<112], as: UTF8.self)
        let covered = LogHead(seq: Int(word(24)), hash: hash, size: Int(word(32)))
        do {
            return try IdIndex(path: path, descriptor: descriptor, capacity: capacity, count: Int(word(16)), covered: covered)
        } catch {
            Syscalls.close(descriptor)
            throw error
        }
    }

    private static func create(path: String, capacity: Int) throws -> IdIndex {
        let temporary = path + ".new"
        Syscalls.unlink(temporary)
        let descriptor = try Syscalls.open(temporary, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW, 0o600)
        try Syscalls.ftruncate(descriptor, headerSize + capacity * slotSize, path: temporary)
        let index: IdIndex
        do { index = try IdIndex(path: path, descriptor: descriptor, capacity: capacity, count: 0, covered: .empty) } catch {
            Syscalls.close(descriptor)
            throw error
        }
        try index.writeHeader()
        try Syscalls.rename(temporary, path)
        return index
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
    private func catchUp(with ledger: LockedLedger, progress: ((Int) -> Void)?) throws(EventLogError) {
        guard covered.size < ledger.head.size else { return }
        var pending: [(key: UInt64, offset: Int)] = []
        var last = covered
        try mapErrors {
            try LogReader(path: ledger.path).forEachLine(from: covered.size, to: ledger.head.size) { line, position, _ in
                let record = try LineFormat.decodeStored(line, atByte: position.offset)
                pending.append((Self.key(record.content.id), position.offset))
                last = LogHead(seq: record.seq, hash: record.hash, size: position.offset + line.count + 1)
                if pending.count % 100_000 == 0 { progress?(pending.count) }
            }
        }
        try insert(pending, newStamp: last)
    }

    /// Records new lines (after they are durable in the log) and, when `stamp` is set, makes the slots durable and
    /// moves the stamp to `head`. Without it the slots are in place (a probe finds them) but the stamp stays where
    /// it was: a run of batches (ingest) syncs the index once at its end, and a crash before then leaves an older
    /// stamp, so the next open re-inserts those lines (idempotent).
    public func insert(_ entries: [(key: UInt64, offset: Int)], newStamp head: LogHead, stamp: Bool = true)
        throws(EventLogError)
    {
        try mapErrors {
            if (count + entries.count) * 2 > capacity { try grow(toHold: count + entries.count) }
            for entry in entries { try place(entry.key, entry.offset) }
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
    public func candidates(forKey key: UInt64) throws(EventLogError) -> [Int] {
        try mapErrors {
            var found: [Int] = []
            var slot = Int(truncatingIfNeeded: key) & (capacity - 1)
            while true {
                let (slotKey, value) = try readSlot(slot)
                if slotKey == 0 { return found }
                if slotKey == key { found.append(Int(value) - 1) }
                slot = (slot + 1) & (capacity - 1)
            }
        }
    }

    private func place(_ key: UInt64, _ offset: Int) throws {
        var slot = Int(truncatingIfNeeded: key) & (capacity - 1)
        var probes = 0
        while true {
            let (slotKey, value) = try readSlot(slot)
            if slotKey == 0 { break }
            if slotKey == key && Int(value) - 1 == offset { return }  // already there (re-insert after a crash)
            slot = (slot + 1) & (capacity - 1)
            probes += 1
            if probes == capacity {
                // Full: the header's count was behind the slots (a crash before the stamp, which is written with
                // the count). Growing counts the slots again.
                try grow(toHold: capacity)
                return try place(key, offset)
            }
        }
        try writeSlot(slot, key, UInt64(offset + 1))
        count += 1
    }

    private func readSlot(_ slot: Int) throws -> (UInt64, UInt64) {
        let at = Self.headerSize + slot * Self.slotSize
        return (mapped.loadUnaligned(fromByteOffset: at, as: UInt64.self), mapped.loadUnaligned(fromByteOffset: at + 8, as: UInt64.self))
    }

    private func writeSlot(_ slot: Int, _ key: UInt64, _ value: UInt64) throws {
        let at = Self.headerSize + slot * Self.slotSize
        mapped.storeBytes(of: key, toByteOffset: at, as: UInt64.self)
        mapped.storeBytes(of: value, toByteOffset: at + 8, as: UInt64.self)
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
        try header.withUnsafeBytes { try Syscalls.pwriteAll(descriptor, $0, at: 0, path: path) }
    }

    /// Rehashes into a table twice as big (or more), written beside and renamed over the old one.
    private func grow(toHold needed: Int) throws {
        var newCapacity = capacity
        while needed * 2 > newCapacity { newCapacity *= 2 }
        let temporary = path + ".new"
        let newLength = Self.headerSize + newCapacity * Self.slotSize
        Syscalls.unlink(temporary)
        let newDescriptor = try Syscalls.open(temporary, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW, 0o600)
        let newMapping: UnsafeMutableRawPointer
        do {
            try Syscalls.ftruncate(newDescriptor, newLength, path: temporary)  // zeros: every slot empty
            newMapping = try Syscalls.mapShared(newDescriptor, length: newLength, path: temporary)
        } catch {
            Syscalls.close(newDescriptor)
            Syscalls.unlink(temporary)
            throw error
        }
        var placed = 0
        for slot in 0..<capacity {
            let (key, value) = try readSlot(slot)
            guard key != 0 else { continue }
            var target = Int(truncatingIfNeeded: key) & (newCapacity - 1)
            while newMapping.loadUnaligned(fromByteOffset: Self.headerSize + target * Self.slotSize, as: UInt64.self) != 0 {
                target = (target + 1) & (newCapacity - 1)
            }
            newMapping.storeBytes(of: key, toByteOffset: Self.headerSize + target * Self.slotSize, as: UInt64.self)
            newMapping.storeBytes(of: value, toByteOffset: Self.headerSize + target * Self.slotSize + 8, as: UInt64.self)
            placed += 1
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
