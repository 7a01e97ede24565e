import ColumnarStorage
import Ingest

/// Opens the dataset a dataset config describes: a `receval` source is used directly; JSONL
/// sources are ingested on the fly into a temporary dataset that is removed when the loader goes.
public final class DatasetLoader {
    public let reader: DatasetReader
    private let temporary: String?

    public init(config: DatasetConfig, scratchDirectory: String, threads: Int) throws {
        let sources = [config.exposures, config.outcomes, config.assignments].compactMap { $0 }
        if let direct = sources.first(where: { $0.type == "receval" }) {
            guard sources.allSatisfy({ $0.type == "receval" && $0.path == direct.path }) else {
                throw ConfigError(file: "dataset config", "a receval dataset holds every table: give the same path for each source")
            }
            reader = try DatasetReader(path: direct.path)
            temporary = nil
            return
        }
        let path = scratchDirectory + "/.receval-run-\(UInt64.random(in: 0...UInt64.max)).rcv"
        var o = IngestOptions(output: path, threads: threads)
        o.exposures = config.exposures.map { [$0.path] } ?? []
        o.outcomes = config.outcomes.map { [$0.path] } ?? []
        o.assignments = config.assignments.map { [$0.path] } ?? []
        o.rejectsPath = path + ".rejects.jsonl"
        do {
            _ = try IngestJob(options: o).run()
        } catch {
            FileSystem.removeIfExists(path)
            throw error
        }
        reader = try DatasetReader(path: path)
        temporary = path
        // The mapping stays valid after the name is removed.
        FileSystem.removeIfExists(path)
        FileSystem.removeIfExists(path + ".rejects.jsonl")
    }

    deinit {
        if let temporary { FileSystem.removeIfExists(temporary) }
    }
}
