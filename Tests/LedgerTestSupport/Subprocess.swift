#if canImport(Glibc)
    import Glibc
#endif

/// Runs the built `ledger` binary (or any program) as a child process, for CLI and crash tests.
public enum Subprocess {
    /// The result of a finished run.
    public struct Result: Sendable {
        public var status: Int32
        public var stdout: String
        public var stderr: String
    }

    /// Path of the `ledger` executable built beside the test bundle.
    public static var ledgerBinary: String {
        var buffer = [CChar](repeating: 0, count: 4096)
        let count = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        let exe =
            count > 0
            ? String(decoding: buffer[0..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self) : ""
        var directory = exe
        if let slash = directory.lastIndex(of: "/") { directory = String(directory[..<slash]) }
        // The test runner sits in <build>/debug/ledgerPackageTests.xctest (a file on Linux) or inside a bundle.
        while !directory.isEmpty {
            let candidate = directory + "/ledger"
            if access(candidate, X_OK) == 0 { return candidate }
            guard let slash = directory.lastIndex(of: "/") else { break }
            directory = String(directory[..<slash])
        }
        return ".build/debug/ledger"
    }

    /// Starts `arguments` with `environment` added; stdin from `input` (or /dev/null), output to files.
    public static func spawn(
        _ arguments: [String], environment: [String: String] = [:],
        stdoutPath: String = "/dev/null",
        stderrPath: String = "/dev/null", stdinPath: String = "/dev/null"
    ) -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, stdinPath, O_RDONLY, 0)
        posix_spawn_file_actions_addopen(
            &actions, 1, stdoutPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_addopen(
            &actions, 2, stderrPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        var env: [String] = []
        var index = 0
        while let entry = environ[index] {
            let text = String(cString: entry)
            let name = String(text.prefix(while: { $0 != "=" }))
            // The caller's terminal width would change a table's: a test gives COLUMNS when it means one.
            if environment[name] == nil && name != "LEDGER_FAULT" && name != "LEDGER_NOW"
                && name != "COLUMNS"
            {
                env.append(text)
            }
            index += 1
        }
        for (name, value) in environment { env.append("\(name)=\(value)") }
        let argv = arguments.map { strdup($0) } + [nil]
        let envp = env.map { strdup($0) } + [nil]
        defer {
            for pointer in argv { free(pointer) }
            for pointer in envp { free(pointer) }
        }
        var pid: pid_t = 0
        let result = posix_spawn(&pid, arguments[0], &actions, nil, argv, envp)
        return result == 0 ? pid : -1
    }

    /// Waits for `pid` and returns its exit status (128 + signal when killed).
    public static func wait(_ pid: pid_t) -> Int32 {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        if status & 0x7F == 0 { return (status >> 8) & 0xFF }
        return 128 + (status & 0x7F)
    }

    /// Runs `ledger` with `arguments` to completion.
    public static func ledger(
        _ arguments: [String], environment: [String: String] = [:], stdin: String? = nil,
        in directory: TemporaryDirectory
    ) -> Result {
        let out = directory.file(".out-\(counter())")
        let err = directory.file(".err-\(counter())")
        var stdinPath = "/dev/null"
        if let stdin {
            stdinPath = directory.file(".in-\(counter())")
            writeBytes(Array(stdin.utf8), to: stdinPath)
        }
        let pid = spawn(
            [ledgerBinary] + arguments, environment: environment, stdoutPath: out, stderrPath: err,
            stdinPath: stdinPath)
        let status = wait(pid)
        return Result(
            status: status, stdout: String(decoding: readBytes(out), as: UTF8.self),
            stderr: String(decoding: readBytes(err), as: UTF8.self))
    }

    /// Runs `ledger` with `arguments` to completion, its standard error a terminal (a pseudo-terminal this process
    /// reads) and its standard output a file: what a person at a terminal sees on standard error, byte for byte as
    /// the terminal gets it (the terminal writes each line break as CR LF). Nil when no pseudo-terminal can be had.
    public static func ledgerOnTerminal(
        _ arguments: [String], environment: [String: String] = [:], in directory: TemporaryDirectory
    ) -> Result? {
        // The C library's pseudo-terminal calls, which the Glibc module does not declare.
        typealias Open = @convention(c) (Int32) -> Int32
        typealias Name = @convention(c) (Int32, UnsafeMutablePointer<CChar>?, Int) -> Int32
        guard let openSymbol = dlsym(nil, "posix_openpt"), let grantSymbol = dlsym(nil, "grantpt"),
            let unlockSymbol = dlsym(nil, "unlockpt"), let nameSymbol = dlsym(nil, "ptsname_r")
        else { return nil }
        let master = unsafeBitCast(openSymbol, to: Open.self)(O_RDWR | O_NOCTTY)
        guard master >= 0 else { return nil }
        defer { close(master) }
        var name = [CChar](repeating: 0, count: 256)
        guard unsafeBitCast(grantSymbol, to: Open.self)(master) == 0,
            unsafeBitCast(unlockSymbol, to: Open.self)(master) == 0,
            unsafeBitCast(nameSymbol, to: Name.self)(master, &name, name.count) == 0
        else { return nil }
        let terminal = String(
            decoding: name.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        // Held open here too, so that reading the master waits for output rather than failing before the child has
        // opened its side.
        let held = open(terminal, O_RDWR | O_NOCTTY)
        guard held >= 0 else { return nil }
        let out = directory.file(".out-\(counter())")
        let pid = spawn(
            [ledgerBinary] + arguments, environment: environment, stdoutPath: out,
            stderrPath: terminal)
        guard pid > 0 else {
            close(held)
            return nil
        }
        var seen: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        var status: Int32?
        while true {
            var poll = pollfd(fd: master, events: Int16(POLLIN), revents: 0)
            if Glibc.poll(&poll, 1, 50) > 0 {
                let count = read(master, &buffer, buffer.count)
                if count > 0 {
                    seen += buffer[0..<count]
                    continue
                }
            }
            // Nothing waiting: once the child has exited, everything it wrote has been read.
            if let status {
                close(held)
                return Result(
                    status: status, stdout: String(decoding: readBytes(out), as: UTF8.self),
                    stderr: String(decoding: seen, as: UTF8.self))
            }
            var raw: Int32 = 0
            if waitpid(pid, &raw, WNOHANG) == pid {
                status = raw & 0x7F == 0 ? (raw >> 8) & 0xFF : 128 + (raw & 0x7F)
            }
        }
    }

    nonisolated(unsafe) private static var next = 0
    private static func counter() -> Int {
        next += 1
        return next
    }

    /// Sleeps for `microseconds`.
    public static func sleep(microseconds: UInt32) { usleep(microseconds) }

    /// Sends SIGKILL.
    public static func kill(_ pid: pid_t) { _ = Glibc.kill(pid, SIGKILL) }
}
