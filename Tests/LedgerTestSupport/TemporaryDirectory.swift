#if canImport(Glibc)
    import Glibc
#endif

/// A fresh directory under /tmp for one test, removed when the value goes away.
public final class TemporaryDirectory: @unchecked Sendable {
    /// Its path.
    public let path: String

    /// Creates the directory.
    public init() {
        var template = Array("/tmp/ledger-test-XXXXXX".utf8CString)
        let made = template.withUnsafeMutableBufferPointer { buffer in
            buffer.baseAddress.flatMap { mkdtemp($0) }
        }
        path = made.map { String(cString: $0) } ?? "/tmp/ledger-test-fallback-\(getpid())"
    }

    deinit { _ = system("rm -rf '\(path)'") }

    /// A path inside the directory.
    public func file(_ name: String) -> String { "\(path)/\(name)" }
}

/// Reads a whole file as bytes (tests only).
public func readBytes(_ path: String) -> [UInt8] {
    guard let handle = fopen(path, "rb") else { return [] }
    defer { fclose(handle) }
    var bytes: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 65536)
    while true {
        let got = fread(&buffer, 1, buffer.count, handle)
        if got <= 0 { break }
        bytes.append(contentsOf: buffer[0..<got])
    }
    return bytes
}

/// Writes a whole file (tests only).
public func writeBytes(_ bytes: [UInt8], to path: String) {
    guard let handle = fopen(path, "wb") else { return }
    _ = bytes.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, handle) }
    fclose(handle)
}

/// The lines of a file, without newlines.
public func readLines(_ path: String) -> [String] {
    String(decoding: readBytes(path), as: UTF8.self).split(
        separator: "\n", omittingEmptySubsequences: false
    )
    .dropLast().map(String.init)
}

/// File mode bits.
public func fileMode(_ path: String) -> UInt32 {
    var info = stat()
    guard stat(path, &info) == 0 else { return 0 }
    return UInt32(info.st_mode & 0o777)
}

/// The names of the entries in a directory (not `.` or `..`), sorted.
public func fileNames(in directory: String) -> [String] {
    guard let handle = opendir(directory) else { return [] }
    defer { closedir(handle) }
    var names: [String] = []
    while let entry = readdir(handle) {
        let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
            String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
        }
        if name != "." && name != ".." { names.append(name) }
    }
    return names.sorted()
}
