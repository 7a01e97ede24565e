import ArgumentParser
import ColumnarStorage
import LogGenerator

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

struct GenCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gen",
        abstract: "Generate deterministic synthetic exposure, outcome and assignment logs.",
        discussion: """
            Writes exposures.jsonl, outcomes.jsonl and assignments.jsonl into --out (with \
            --compress zstd: .jsonl.zst, one zstd frame each, which `ingest` reads directly; \
            about 8x smaller, for logs larger than the disk). The same --exposures and --seed \
            always give byte-identical files (and the same lines whatever the compression). Each \
            file appears only once it is complete.

            --table writes only the tables named (the others are still generated, since the \
            three share one random stream, and their lines are the same as in a full run). With \
            --out - the one table named goes to standard output as plain JSONL, for `ingest` to \
            read from a pipe: logs larger than the disk never touch it. For example, with \
            `set -o pipefail` (so a failed generator fails the pipeline):

              receval gen --exposures N --all-fields --compress zstd \\
                  --table outcomes --table assignments --out logs
              receval gen --exposures N --all-fields --table exposures --out - \\
                | receval ingest --exposures - --outcomes logs/outcomes.jsonl.zst \\
                    --assignments logs/assignments.jsonl.zst --partitions P -o d.rcv

            `ingest` cannot size a stream before reading it, so give --partitions: the power of two \
            at or above the JSONL bytes over a sixth of --memory-limit (all-fields logs are about \
            2 KB per exposure: 128 for 100M exposures at --memory-limit 14G).
            """)

    @Option(name: .long, help: ArgumentHelp("Number of exposure lines to generate.", valueName: "n"))
    var exposures: Int

    @Option(name: .long, help: ArgumentHelp("Random seed.", valueName: "s"))
    var seed: UInt64 = 42

    @Option(
        name: .long, help: ArgumentHelp("Output folder (created if missing), or - for standard output (one --table).", valueName: "dir"))
    var out: String = "."

    @Option(
        name: .customLong("table"),
        help: ArgumentHelp("Write only this table: exposures, outcomes or assignments (repeatable; default all three).", valueName: "name"))
    var tables: [String] = []

    @Option(
        name: .customLong("malformed-rate"),
        help: ArgumentHelp(
            "Share of lines in each file replaced by a malformed line (0 to 1).", valueName: "r"))
    var malformedRate: Double = 0

    @Flag(
        name: .customLong("all-fields"),
        help: "Exercise every optional field of the log contracts (propensities, context, values, timestamp styles).")
    var allFields = false

    @Flag(
        name: .customLong("interleaving-teams"),
        help: "Label every shown item with an interleaving team (\"team\": \"A\" or \"B\"), for `run --mode interleaving`.")
    var interleavingTeams = false

    @Flag(
        name: .customLong("monitor-fields"),
        help:
            "Add the context keys `run --mode monitor` reads: model_version (v1, then a canary v2 with higher latencies) and exploration.")
    var monitorFields = false

    @Option(help: "none, or zstd to write .jsonl.zst files.")
    var compress: String = "none"

    func validate() throws {
        guard ["none", "zstd"].contains(compress) else { throw ValidationError("--compress must be none or zstd, not '\(compress)'") }
        for t in tables where LogTable(rawValue: t) == nil {
            throw ValidationError("--table must be exposures, outcomes or assignments, not '\(t)'")
        }
        if out == "-" {
            guard Set(tables).count == 1 else { throw ValidationError("--out - writes one table to standard output: name it with --table") }
            guard compress == "none" else { throw ValidationError("--out - writes plain JSONL; leave out --compress") }
        }
        guard exposures >= 0 else {
            throw ValidationError("--exposures must be 0 or more.")
        }
        guard malformedRate >= 0 && malformedRate <= 1 else {
            throw ValidationError("--malformed-rate must be between 0 and 1.")
        }
    }

    func run() throws {
        var config = LogGeneratorConfig(exposures: exposures, seed: seed)
        config.malformedRate = malformedRate
        config.allFields = allFields
        config.interleavingTeams = interleavingTeams
        config.monitorFields = monitorFields

        let chosen = tables.isEmpty ? LogTable.allCases : LogTable.allCases.filter { tables.contains($0.rawValue) }
        // One output per table written: plain or zstd-compressed, written as generated, shown
        // when complete; or the one table to standard output.
        var outputs: [LogTable: (write: (UnsafeRawBufferPointer) throws -> Void, commit: () throws -> Void)] = [:]
        if out == "-" {
            outputs[chosen[0]] = ({ try StandardOutputWriter.write($0) }, {})
        } else {
            try GenCommand.makeDirectories(out)
        }
        let base = out.hasSuffix("/") ? out : out + "/"
        for table in chosen where out != "-" {
            if compress == "zstd" {
                let file = try ZstdOutputFile(path: base + table.fileName + ".zst")
                outputs[table] = ({ try file.write($0) }, { try file.commit() })
            } else {
                let file = try AtomicOutputFile(path: base + table.fileName)
                outputs[table] = ({ try file.write($0) }, { try file.commit() })
            }
        }
        let summary = try LogGenerator(config).generate { table, bytes in try outputs[table]?.write(bytes) }
        for table in chosen { try outputs[table]!.commit() }
        var line = summary.description + "\n"
        line.withUTF8 { u in
            _ = write(2, u.baseAddress, u.count)
        }
    }

    /// Creates `path` and any missing parents.
    static func makeDirectories(_ path: String) throws {
        var prefix = path.hasPrefix("/") ? "/" : ""
        for part in path.split(separator: "/", omittingEmptySubsequences: true) {
            prefix += part
            if mkdir(prefix, 0o755) != 0 {
                let e = errno
                guard e == EEXIST else { throw StorageError.system(op: "mkdir", path: prefix, errno: e) }
                var st = stat()
                guard stat(prefix, &st) == 0, (st.st_mode & S_IFMT) == S_IFDIR else {
                    throw StorageError.system(op: "mkdir", path: prefix, errno: ENOTDIR)
                }
            }
            prefix += "/"
        }
    }
}
