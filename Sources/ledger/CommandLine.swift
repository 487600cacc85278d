import EventLog

/// A usage error: exit status 2, with the command's help hint.
struct UsageError: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}

/// Parsed command-line arguments: positionals, `--name value` / `--name=value` options, and `--flag`s.
struct Arguments {
    var positionals: [String] = []
    var options: [(name: String, value: String)] = []
    var flags: Set<String> = []

    /// Parses `arguments` given the names that are flags (take no value); every other `--name` takes one. For a
    /// command that reads a log (one that knows `--log`), the log path is checked here, before the command makes
    /// anything (a rejects file, derived files beside the log, an output folder): one that is not a regular file
    /// (a FIFO, `/dev/null`, a directory, a symbolic link) is refused at once.
    ///
    /// An option may be given once, unless it is one of `repeatable` (each value counts): a second `--as-of` is
    /// refused, not read as the last one given, so a command never answers a question other than the one asked.
    init(
        _ arguments: [String], flags flagNames: Set<String>, allowAnyOption: Bool = false,
        known: Set<String> = [], repeatable: Set<String> = []
    )
        throws
    {
        var index = 0
        var onlyPositionals = false
        while index < arguments.count {
            let argument = arguments[index]
            index += 1
            if onlyPositionals || !argument.hasPrefix("--") || argument == "-" {
                positionals.append(argument)
                continue
            }
            if argument == "--" {
                onlyPositionals = true
                continue
            }
            var name = String(argument.dropFirst(2))
            var value: String?
            if let equals = name.firstIndex(of: "=") {
                value = String(name[name.index(after: equals)...])
                name = String(name[..<equals])
            }
            if flagNames.contains(name) {
                if value != nil { throw UsageError(message: "--\(name) takes no value") }
                flags.insert(name)
                continue
            }
            if !allowAnyOption && !known.contains(name) {
                throw UsageError(message: "unknown option --\(name)")
            }
            if value == nil {
                guard index < arguments.count else {
                    throw UsageError(message: "--\(name) needs a value")
                }
                value = arguments[index]
                index += 1
            }
            if !repeatable.contains(name), options.contains(where: { $0.name == name }) {
                throw UsageError(message: "--\(name) is given twice; give it once")
            }
            options.append((name, value ?? ""))
        }
        if allowAnyOption || known.contains("log") {
            try LedgerFile(path: CommandRunner.logPath(self)).checkKind()
        }
    }

    /// The value given for `name` (an option that is not repeatable is given at most once).
    func value(_ name: String) -> String? { options.last(where: { $0.name == name })?.value }

    /// Every value given for `name`.
    func values(_ name: String) -> [String] { options.filter { $0.name == name }.map(\.value) }

    /// An integer option.
    func integer(_ name: String) throws -> Int? {
        guard let text = value(name) else { return nil }
        guard let number = Int(text) else {
            throw UsageError(message: "--\(name) must be a whole number, not \"\(text)\"")
        }
        return number
    }
}
