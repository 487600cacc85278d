#if canImport(Glibc)
    import Glibc
#endif
import EventLog

/// Buffered standard output and unbuffered standard error, with progress shown only on a terminal.
enum Console {
    nonisolated(unsafe) private static var buffer: [UInt8] = []
    /// The first error writing standard output (a full disk, a closed pipe): the command's output is incomplete,
    /// so the process must not exit 0 (`main`).
    nonisolated(unsafe) private(set) static var outputError: Int32?

    /// Writes to standard output (buffered; flushed at exit and when large).
    static func out(_ text: String) {
        buffer.append(contentsOf: text.utf8)
        if buffer.count > 1 << 16 { flush() }
    }

    /// Writes raw bytes to standard output.
    static func outBytes(_ bytes: [UInt8]) {
        buffer.append(contentsOf: bytes)
        if buffer.count > 1 << 16 { flush() }
    }

    /// Checked before standard output's first byte is written (the access log's entry, `AccessAudit`): when it
    /// throws, nothing is ever written to standard output.
    nonisolated(unsafe) static var gate: (() throws -> Void)?
    nonisolated(unsafe) private static var closed = false

    /// Flushes standard output; a failure is kept in `outputError` (and later output is dropped).
    static func flush() {
        if let check = gate {
            gate = nil
            do { try check() } catch { closed = true }
        }
        if closed {
            buffer.removeAll()
            return
        }
        var offset = 0
        while offset < buffer.count && outputError == nil {
            let written = buffer.withUnsafeBytes { raw -> Int in
                guard let base = raw.baseAddress else { return 0 }
                return write(1, base + offset, raw.count - offset)
            }
            if written < 0 {
                if errno == EINTR { continue }
                outputError = errno
                break
            }
            if written == 0 {
                outputError = EIO
                break
            }
            offset += written
        }
        buffer.removeAll(keepingCapacity: true)
    }

    /// Writes a line to standard error (clearing a progress line first). Messages echo what they refuse (an id, a
    /// field's value, a name): every control character in them but line breaks and tabs is written visibly
    /// (`TerminalText`), so a refused line cannot retitle, clear or rewrite the terminal it is reported on.
    /// Writes `text` to standard error as one line: every control character in it, line breaks and tabs too, is
    /// written visibly (`TerminalText`). For a message that echoes what someone typed or a file held (an error,
    /// a refusal): a value holding a line break cannot start a line of its own that reads as ours
    /// ("refused: …", "appended …").
    static func errLine(_ text: String) {
        err(TerminalText.escape(text))
    }

    static func err(_ text: String) {
        let bytes = Array((TerminalText.escape(text, keeping: "\n\t") + "\n").utf8)
        progressLock.lock()
        defer { progressLock.unlock() }
        if progressShown {
            writeStandardError(Array("\r\u{1B}[K".utf8))
            progressShown = false
        }
        writeStandardError(bytes)
    }

    /// Writes `bytes` to standard error whole (a write cut short by a signal is resumed).
    private static func writeStandardError(_ bytes: [UInt8]) {
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { raw -> Int in
                guard let base = raw.baseAddress else { return 0 }
                return write(2, base + offset, raw.count - offset)
            }
            if written <= 0 {
                if written < 0 && errno == EINTR { continue }
                break
            }
            offset += written
        }
    }

    /// Whether standard error is a terminal (progress is shown only then).
    static let stderrIsTerminal = isatty(2) == 1

    /// Whether standard output is a terminal (tables by default then).
    static let stdoutIsTerminal = isatty(1) == 1

    private static let progressLock = Lock()
    nonisolated(unsafe) private static var throttle = ProgressThrottle()
    nonisolated(unsafe) private static var progressShown = false

    /// Shows progress on standard error when it is a terminal, overwriting the line (`\r`, then clearing it), at
    /// most four times a second (`ProgressThrottle`); `stage`: a new stage of the work, shown at once. Nothing when
    /// standard error is not a terminal (a pipe, a file, CI), so that what is written there is as it always was.
    static func progress(_ text: @autoclosure () -> String, stage: Bool = false) {
        guard stderrIsTerminal else { return }
        progressLock.lock()
        defer { progressLock.unlock() }
        let now = monotonicNanoseconds()
        if stage {
            throttle.shown(at: now)
        } else if !throttle.allows(at: now) {
            return
        }
        // One line: cut to the terminal's width, so that `\r` returns to its start.
        let line = TerminalText.escape(text()).prefix(max(progressWidth - 1, 1))
        writeStandardError(Array("\r\u{1B}[K\(line)".utf8))
        progressShown = true
    }

    /// Clears the progress line, if one is shown.
    static func endProgress() {
        guard stderrIsTerminal else { return }
        progressLock.lock()
        defer { progressLock.unlock() }
        guard progressShown else { return }
        writeStandardError(Array("\r\u{1B}[K".utf8))
        progressShown = false
    }

    /// The width of the terminal on standard error.
    private static let progressWidth: Int = {
        var size = winsize()
        if ioctl(2, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 { return Int(size.ws_col) }
        return 80
    }()

    private static func monotonicNanoseconds() -> UInt64 {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return UInt64(time.tv_sec) * 1_000_000_000 + UInt64(time.tv_nsec)
    }

    /// How wide a table may be: the terminal's on standard output, else `$COLUMNS`, else 100.
    static let terminalWidth: Int = {
        var size = winsize()
        if ioctl(1, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 { return Int(size.ws_col) }
        if let text = environment("COLUMNS"), let columns = Int(text), columns > 0 {
            return columns
        }
        return 100
    }()

    /// An environment variable.
    static func environment(_ name: String) -> String? {
        guard let value = getenv(name) else { return nil }
        return String(cString: value)
    }
}

/// A mutex (progress can be reported from more than one thread).
final class Lock: @unchecked Sendable {
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)

    init() { pthread_mutex_init(mutex, nil) }

    func lock() { pthread_mutex_lock(mutex) }

    func unlock() { pthread_mutex_unlock(mutex) }
}
