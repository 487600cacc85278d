#if canImport(Glibc)
    import Glibc
#endif
import EventLog
import LedgerTestSupport
import Testing

@Suite("FileOutput")
struct FileOutputTests {
    /// The file's modification time in nanoseconds, and its inode: what tells a file left alone from one replaced.
    func identity(_ path: String) -> (time: Int, inode: UInt) {
        var info = stat()
        guard lstat(path, &info) == 0 else { return (-1, 0) }
        return (info.st_mtim.tv_sec * 1_000_000_000 + info.st_mtim.tv_nsec, UInt(info.st_ino))
    }

    @Test(
        "writeAtomically replaces a temporary left by a crash and refuses to write through a symlink"
    )
    func leftoversAndSymlinks() throws {
        let directory = TemporaryDirectory()
        let path = directory.file("page.html")
        writeBytes(Array("half a page".utf8), to: path + ".new")
        try FileOutput.writeAtomically(Array("whole".utf8), to: path, durable: false)
        #expect(readBytes(path) == Array("whole".utf8))
        #expect(FileOutput.size(path + ".new") == nil)
        #expect(fileMode(path) == 0o600)

        let target = directory.file("elsewhere")
        writeBytes(Array("keep".utf8), to: target)
        let link = directory.file("link.html")
        #expect(symlink(target, link) == 0)
        #expect(throws: EventLogError.self) {
            try FileOutput.writeAtomically(Array("x".utf8), to: link)
        }
        #expect(readBytes(target) == Array("keep".utf8))

        // A temporary that is a symlink is removed, not written through.
        let other = directory.file("other.html")
        #expect(symlink(target, other + ".new") == 0)
        try FileOutput.writeAtomically(Array("new".utf8), to: other, durable: false)
        #expect(readBytes(other) == Array("new".utf8))
        #expect(readBytes(target) == Array("keep".utf8))
    }

    @Test(
        "writeIfChanged through a spare: the new bytes take the file's place, the spare keeps the old"
    )
    func throughSpare() throws {
        let directory = TemporaryDirectory()
        let path = directory.file("page.html")
        let spare = directory.file("spare.html")
        // No file yet: the spare is written and renamed into place.
        #expect(
            try FileOutput.writeIfChanged(Array("one".utf8), to: path, spare: spare, durable: false)
        )
        #expect(readBytes(path) == Array("one".utf8))
        #expect(FileOutput.size(spare) == nil)
        #expect(fileMode(path) == 0o600)

        // Then each new version is written over the spare and exchanged: the spare holds the version before,
        // and after the first exchange no file is made or freed (the two inodes swap places).
        #expect(try FileOutput.writeIfChanged(Array("second, longer".utf8), to: path, spare: spare))
        #expect(readBytes(path) == Array("second, longer".utf8))
        #expect(readBytes(spare) == Array("one".utf8))
        let inodes = Set([identity(path).inode, identity(spare).inode])
        #expect(try FileOutput.writeIfChanged(Array("3rd".utf8), to: path, spare: spare))
        #expect(
            readBytes(path) == Array("3rd".utf8),
            "written over a longer spare, and cut to its length")
        #expect(readBytes(spare) == Array("second, longer".utf8))
        #expect(Set([identity(path).inode, identity(spare).inode]) == inodes)

        let unchanged = identity(path)
        #expect(try !FileOutput.writeIfChanged(Array("3rd".utf8), to: path, spare: spare))
        #expect(identity(path) == unchanged, "the same bytes are not written again")
        #expect(readBytes(spare) == Array("second, longer".utf8))
        #expect(try FileOutput.writeIfChanged(Array("4th".utf8), to: path, spare: spare))
        #expect(readBytes(path) == Array("4th".utf8), "the same size, other bytes")
    }

    @Test(
        "writeIfChanged through a spare refuses a symlinked file, never writes through a symlinked spare"
    )
    func spareSymlinks() throws {
        let directory = TemporaryDirectory()
        let target = directory.file("elsewhere")
        writeBytes(Array("keep".utf8), to: target)
        let link = directory.file("link.html")
        #expect(symlink(target, link) == 0)
        #expect(throws: EventLogError.self) {
            try FileOutput.writeIfChanged(Array("x".utf8), to: link, spare: directory.file("s1"))
        }
        let path = directory.file("page.html")
        writeBytes(Array("before".utf8), to: path)
        let spare = directory.file("s2")
        #expect(symlink(target, spare) == 0)
        #expect(
            try FileOutput.writeIfChanged(
                Array("after".utf8), to: path, spare: spare, durable: false))
        #expect(readBytes(path) == Array("after".utf8))
        #expect(readBytes(target) == Array("keep".utf8))
        #expect(readBytes(spare) == Array("before".utf8))
    }

    /// A file written in `pieces` as the replacement of `old` (nil: there is none), with `mode` for the old file.
    func replace(
        _ old: [UInt8]?, with pieces: [[UInt8]], mode: mode_t = 0o600, links: Bool = false
    ) throws -> (bytes: [UInt8], linked: Bool, oldAfter: [UInt8]?, mode: UInt32) {
        let directory = TemporaryDirectory()
        let previous = directory.file("old.jsonl")
        if let old {
            writeBytes(old, to: previous)
            chmod(previous, mode)
            if links { #expect(link(previous, directory.file("another-name")) == 0) }
        }
        let path = directory.file("new.jsonl")
        let file = ReplacementFile(path: path, previous: previous)
        for piece in pieces { try file.append(piece) }
        try file.finish()
        let linked = old != nil && identity(path).inode == identity(previous).inode
        return (readBytes(path), linked, old.map { _ in readBytes(previous) }, fileMode(path))
    }

    @Test(
        "a replacement file is a link to the old one when its bytes are the same, else written whole, owner-only"
    )
    func replacementFiles() throws {
        let old = (0..<3_000).map { UInt8(truncatingIfNeeded: $0 % 251) }
        let pieces = [Array(old[0..<1_000]), Array(old[1_000..<2_999]), Array(old[2_999...])]
        // The same bytes, in pieces: linked, nothing written.
        let same = try replace(old, with: pieces)
        #expect(same.bytes == old && same.linked && same.mode == 0o600)
        // A byte changed in the middle, bytes added, bytes cut, the old file missing: written, whole.
        var changed = pieces
        changed[1][500] ^= 1
        let longer = pieces + [Array("more\n".utf8)]
        let shorter = [pieces[0], Array(pieces[1].prefix(10))]
        for (name, old, new) in [
            ("changed", old, changed), ("longer", old, longer), ("shorter", old, shorter),
            ("empty old", [], pieces),
        ] as [(String, [UInt8], [[UInt8]])] {
            let result = try replace(old, with: new)
            #expect(result.bytes == Array(new.joined()), "\(name)")
            #expect(!result.linked && result.mode == 0o600, "\(name)")
            #expect(result.oldAfter == old, "\(name): the old file is left as it was")
        }
        let none = try replace(nil, with: pieces)
        #expect(none.bytes == old && none.mode == 0o600)
        // The same bytes in an old file others may read, or with another name too: copied, not linked.
        let readable = try replace(old, with: pieces, mode: 0o644)
        #expect(readable.bytes == old && !readable.linked && readable.mode == 0o600)
        let shared = try replace(old, with: pieces, links: true)
        #expect(shared.bytes == old && !shared.linked)
    }

    @Test("a replacement file's old file that is a symlink is never followed")
    func replacementSymlink() throws {
        let directory = TemporaryDirectory()
        let target = directory.file("elsewhere")
        writeBytes(Array("same".utf8), to: target)
        let previous = directory.file("old.jsonl")
        #expect(symlink(target, previous) == 0)
        let path = directory.file("new.jsonl")
        let file = ReplacementFile(path: path, previous: previous)
        try file.append(Array("same".utf8))
        try file.finish()
        #expect(readBytes(path) == Array("same".utf8))
        #expect(identity(path).inode != identity(target).inode)
    }
}
