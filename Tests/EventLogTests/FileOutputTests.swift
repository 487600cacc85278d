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
}
