import EventLog
import LedgerCore
import LedgerTestSupport
import Testing

/// The I/O fault matrix, as SQLite tests its I/O errors: each system call on the append and recover paths made to
/// fail in turn (once, and from then on), at each of its first calls. Afterwards the log holds exactly what was
/// acknowledged, verifies, and the next append works once the fault clears.
@Suite("Fault injection", .serialized)
struct FaultInjectionTests {
    static let now = ["LEDGER_NOW": "2026-11-23T12:00:00Z"]

    struct Fault: Sendable, CustomTestStringConvertible {
        var call: String
        var mode: String  // ENOSPC, EIO, EINTR, or short
        var persist: Bool
        var testDescription: String { "\(call):\(mode)\(persist ? ":persist" : "")" }
        func value(after: Int) -> String {
            mode == "short" ? "\(call):short:7" : "\(call):\(mode):\(after)\(persist ? ":persist" : "")"
        }
    }

    static let appendFaults: [Fault] = [
        Fault(call: "write", mode: "ENOSPC", persist: false), Fault(call: "write", mode: "ENOSPC", persist: true),
        Fault(call: "write", mode: "EIO", persist: false), Fault(call: "write", mode: "EINTR", persist: false),
        Fault(call: "write", mode: "short", persist: true), Fault(call: "fsync", mode: "EIO", persist: false),
        Fault(call: "fsync", mode: "EIO", persist: true), Fault(call: "open", mode: "ENOSPC", persist: false),
        Fault(call: "open", mode: "EIO", persist: true), Fault(call: "rename", mode: "EIO", persist: false),
        Fault(call: "ftruncate", mode: "EIO", persist: true),
    ]

    static func prepared() -> (TemporaryDirectory, String) {
        let (directory, log) = CLIWriteTests.initialized()
        let staff = Subprocess.ledger(["append", "--log", log], environment: now,
            stdin: (Events.staff + [Events.referral("F-1", on: "2026-02-02")]).joined(separator: "\n") + "\n", in: directory)
        #expect(staff.status == 0)
        return (directory, log)
    }

    static func visit(_ id: String) -> String {
        Events.line(id: id, stream: "family:F-1", type: "visit.completed", on: "2026-02-05", data: ["kind": "home"]) + "\n"
    }

    static func ids(_ log: String) -> [String] {
        readLines(log).compactMap { try? LineFormat.decode(Array($0.utf8)).content.id }
    }

    @Test("append: every fault ends cleanly, the log holds exactly what was acknowledged, the retry works", arguments: appendFaults)
    func append(fault: Fault) throws {
        for after in 0..<(fault.mode == "short" ? 1 : 6) {
            let (directory, log) = Self.prepared()
            let before = Self.ids(log)
            var environment = Self.now
            environment["LEDGER_FAULT"] = fault.value(after: after)
            let result = Subprocess.ledger(["append", "--log", log], environment: environment, stdin: Self.visit("v-1"), in: directory)
            let acknowledged = result.status == 0 && result.stdout.contains(" v-1")
            if fault.mode == "EINTR" || fault.mode == "short" {
                #expect(acknowledged, "\(fault) after \(after): \(result.stderr)")
            }
            if !acknowledged {
                #expect(result.status == 1, "\(fault) after \(after): status \(result.status)")
                #expect(result.stderr.contains("failed on") || result.stderr.contains("refused"), "\(result.stderr)")
            }
            // Whatever happened, the log is whole or recoverable, and verifies.
            _ = Subprocess.ledger(["recover", "--log", log], in: directory)
            let verify = Subprocess.ledger(["verify", "--log", log], in: directory)
            #expect(verify.status == 0, "\(fault) after \(after): \(verify.stdout)\(verify.stderr)")
            let after1 = Self.ids(log)
            if acknowledged { #expect(after1 == before + ["v-1"], "\(fault) after \(after): an acknowledged append was lost") }
            #expect(after1 == before || after1 == before + ["v-1"], "\(fault) after \(after): \(after1.suffix(3))")
            // The fault clears: the same append completes, exactly once.
            let retry = Subprocess.ledger(["append", "--log", log], environment: Self.now, stdin: Self.visit("v-1"), in: directory)
            #expect(retry.status == 0, "\(fault) after \(after): retry \(retry.stderr)")
            let final = Self.ids(log)
            #expect(final == before + ["v-1"], "\(fault) after \(after): \(final.suffix(3))")
            let next = Subprocess.ledger(["append", "--log", log], environment: Self.now, stdin: Self.visit("v-2"), in: directory)
            #expect(next.status == 0 && Self.ids(log).last == "v-2")
        }
    }

    static let recoverFaults: [Fault] = [
        Fault(call: "write", mode: "ENOSPC", persist: false), Fault(call: "write", mode: "EIO", persist: true),
        Fault(call: "fsync", mode: "EIO", persist: false), Fault(call: "ftruncate", mode: "EIO", persist: false),
        Fault(call: "open", mode: "EIO", persist: false), Fault(call: "rename", mode: "EIO", persist: false),
    ]

    @Test("recover: a fault never loses the torn bytes; the next recover completes", arguments: recoverFaults)
    func recover(fault: Fault) throws {
        for after in 0..<4 {
            let (directory, log) = Self.prepared()
            let clean = readBytes(log)
            let partial = Array(#"{"seq":7,"id":"half-writ"#.utf8)
            writeBytes(clean + partial, to: log)
            var environment: [String: String] = [:]
            environment["LEDGER_FAULT"] = fault.value(after: after)
            let first = Subprocess.ledger(["recover", "--log", log], environment: environment, in: directory)
            #expect(first.status == 0 || first.stderr.contains("failed on"), "\(first.stderr)")
            // The torn bytes are either still in the log or safe in a side file.
            let sideFiles = (1...3).map { $0 == 1 ? "\(log).torn-7" : "\(log).torn-7-\($0)" }.filter { readBytes($0) == partial }
            #expect(readBytes(log) == clean + partial || !sideFiles.isEmpty, "\(fault) after \(after): torn bytes lost")
            let second = Subprocess.ledger(["recover", "--log", log], in: directory)
            #expect(second.status == 0, "\(second.stderr)")
            #expect(readBytes(log) == clean)
            #expect((1...3).contains { readBytes($0 == 1 ? "\(log).torn-7" : "\(log).torn-7-\($0)") == partial })
            #expect(Subprocess.ledger(["verify", "--log", log], in: directory).status == 0)
        }
    }
}
