import EventLog
import LedgerCore
import LedgerEngine
import LedgerTestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

@Suite("Fuzzing the ingest path")
struct FuzzTests {
    @Test(
        "mutated events never crash or hang ingest; every refusal names its line; the log verifies after"
    )
    func fuzzIngest() throws {
        let iterations =
            getenv("LEDGER_FUZZ_ITERATIONS").flatMap { Int(String(cString: $0)) } ?? 2_000
        let seed = getenv("LEDGER_FUZZ_SEED").flatMap { UInt64(String(cString: $0)) } ?? 20_261_123
        var fuzzer = MutationFuzzer(seed: seed)
        let ledger = try TestLedger()
        try ledger.append(Events.staff + [Events.referral("F-1", on: "2026-02-02")])
        let templates = [
            Events.line(
                id: "ID-v", stream: "family:F-1", type: "visit.completed", on: "2026-02-05",
                data: ["kind": "home", "reflection": "Went well"]),
            Events.line(
                id: "ID-c", stream: "family:F-1", type: "contact.attempted", on: "2026-02-05",
                data: ["method": "phone", "outcome": "no-answer"]),
            Events.line(
                id: "ID-a", stream: "family:F-1", type: "assessment.completed", on: "2026-02-05",
                data: [
                    "kind": "family-star", "familyStar": Events.star(4),
                    "worries": ["home", "school"],
                ]),
        ]
        var kinds: [String: Int] = [:]
        var refused = 0
        var appended = 0
        var done = 0
        while done < iterations {
            var batch: [[UInt8]] = []
            for index in 0..<min(100, iterations - done) {
                let template = templates[(done + index) % templates.count].replacing(
                    "\"id\":\"ID-", with: "\"id\":\"f\(done + index)-")
                let (bytes, kind) = fuzzer.mutate(template)
                kinds[kind, default: 0] += 1
                batch.append(bytes)
            }
            var outcomes: [(Int, AppendOutcome)] = []
            try ledger.store.append(.lines(batch), mode: .ingest(batchSize: 37)) {
                number, outcome, _ in outcomes.append((number, outcome))
            }
            #expect(
                outcomes.map(\.0) == Array(1...batch.count),
                "every input line gets exactly one outcome, in order")
            for (number, outcome) in outcomes {
                switch outcome {
                case .refused(let error):
                    refused += 1
                    #expect(error.line == number)
                    #expect(!error.field.isEmpty && !error.rule.isEmpty)
                case .appended: appended += 1
                case .duplicate: break
                }
            }
            done += batch.count
        }
        #expect(
            appended > 0, "no mutant was valid: the fuzzer is not reaching past the first checks")
        let report = try LedgerVerifier.verify(path: ledger.path)
        #expect(report.events == 6 + appended)
        print(
            "fuzz: \(iterations) mutants from seed \(seed): \(refused) refused, \(appended) appended; \(kinds.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))"
        )
    }

    @Test(
        "1,200 lines prepared on every core give each line the outcome it gets when the lines come a few at a time"
    )
    func preparedInParallelAgrees() throws {
        var fuzzer = MutationFuzzer(seed: 7)
        let template = Events.line(
            id: "ID-v", stream: "family:F-1", type: "visit.completed", on: "2026-02-05",
            data: ["kind": "home"])
        let lines = (0..<1_200).map { index in
            let line = template.replacing("\"id\":\"ID-", with: "\"id\":\"p\(index)-")
            // Every third line mutated: the rest are valid, so both paths append as well as refuse.
            return index % 3 == 0 ? fuzzer.mutate(line).0 : Array(line.utf8)
        }
        func outcomes(_ batches: [ArraySlice<[UInt8]>]) throws -> [String] {
            let ledger = try TestLedger()
            try ledger.append(Events.staff + [Events.referral("F-1", on: "2026-02-02")])
            var seen: [String] = []
            for batch in batches {
                try ledger.store.append(.lines(Array(batch)), mode: .ingest(batchSize: 64)) {
                    number, outcome, _ in
                    switch outcome {
                    case .appended(_, _, let id): seen.append("appended \(id)")
                    case .duplicate(_, let id): seen.append("duplicate \(id)")
                    case .refused(let error):
                        #expect(error.line == number)
                        seen.append("refused \(error.field): \(error.rule)")
                    }
                }
            }
            return seen
        }
        // 1,200 lines at once take the parallel path (1,024 or more); 100 at a time, the serial one.
        let together = try outcomes([lines[...]])
        let apart = try outcomes(
            stride(from: 0, to: lines.count, by: 100).map { lines[$0..<($0 + 100)] })
        #expect(together.count == 1_200)
        #expect(together == apart)
        #expect(together.filter { $0.hasPrefix("appended") }.count >= 800)
        #expect(together.contains { $0.hasPrefix("refused") })
    }
}
