/// Values the process keeps until it exits instead of freeing them when a command returns: a command that has
/// folded a million events would otherwise spend a tenth of a second taking its state apart, only to exit. The
/// kernel takes the whole address space back at once.
enum ProcessExit {
    nonisolated(unsafe) private static var kept: [Any] = []

    /// Keeps `value` (a reference to its storage) until the process exits.
    static func keep(_ value: Any) { kept.append(value) }
}
