import EventLog
import LedgerCore

/// The read side: projections (see Projections/).
enum ReadCommands {
    static let all: [CommandRunner.Command] = []
}
