import ArgumentParser
import ColumnarStorage
import Evaluation

#if os(Linux)
    import CMalloc
#endif

@main
struct ReceVal: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "receval",
        abstract: "Evaluate recommender systems from their production logs.",
        discussion: """
            Typical flow: `receval ingest` turns JSONL logs into one columnar dataset file; \
            `receval inspect` and `receval export` look inside it; `receval validate` checks JSONL \
            against the exposure.v1 / outcome.v1 / assignment.v1 contracts; `receval gen` makes \
            synthetic logs to try it all on; `receval run` evaluates (offline, experiment, \
            aa-check, ope, interleaving, monitor).

            \(ExitStatus.summary)
            """,
        version: receValVersion,
        subcommands: [
            IngestCommand.self, RunCommand.self, MergeCommand.self, ValidateCommand.self, InspectCommand.self, ExportCommand.self,
            GenCommand.self,
            QualityCommand.self,
            BenchCommand.self,
        ])

    /// Every scan decodes each partition's columns into fresh arrays of several MiB. By default
    /// glibc serves those with `mmap` and returns them on `free`, so every partition pays page
    /// faults and kernel zeroing for memory it just gave back (about 15% of an OPE run's CPU).
    /// Serving them from the heap and keeping freed memory there lets the next partition reuse
    /// the pages; peak RSS does not change, since partitions of the same size follow each other.
    /// Ingest's batches gain the same way (page clearing was a quarter of its time before).
    static func keepFreedMemoryForReuse() {
        #if os(Linux)
            _ = mallopt(M_MMAP_THRESHOLD, 32 << 20)
            _ = mallopt(M_TRIM_THRESHOLD, Int32.max)
        #endif
    }

    /// One malloc arena for every thread, for the commands that scan a dataset: with glibc's
    /// arena per thread, memory one worker freed stays in its arena while the other allocates
    /// anew, so a run's peak depended on which thread freed what. An aa-check at 3M exposures
    /// peaked at 104-118 MB (98-103 MB with one arena), and its growth from 1M to 3M swung
    /// between 31 and 51 MiB (31-35 MiB); scans allocate a partition's arrays at a time, and
    /// their times did not move. Ingest keeps an arena per thread (`ingest`, and a `run` from
    /// JSONL or PostgreSQL sources): its workers allocate per chunk and partition, and one arena
    /// cost it 2-4% (its memory is bounded by --memory-limit).
    static func oneArena() {
        #if os(Linux)
            _ = mallopt(M_ARENA_MAX, 1)
        #endif
    }

    /// Runs the command; a flag error exits with status 1 like every other error (ArgumentParser
    /// would use 64), so the statuses mean the same thing across commands.
    static func main() {
        keepFreedMemoryForReuse()
        InputFaultGuard.install()
        do {
            var command = try parseAsRoot()
            if !(command is IngestCommand) && !(command is RunCommand) { oneArena() }
            try command.run()
        } catch {
            let code = exitCode(for: error)
            if code == .success || code.rawValue == ExitStatus.error.rawValue || (2...5).contains(code.rawValue) {
                exit(withError: error)
            }
            // Usage errors: ArgumentParser's message and usage, then status 1.
            Terminal.err(fullMessage(for: error) + "\n")
            Self.exit(withError: ExitCode(ExitStatus.error.rawValue))
        }
    }
}
