import ColumnarStorage
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Inputs that are named pipes, as when a generator writes each table into a FIFO that ingest
/// reads: the up-front probe must not open them (opening waits for the writer, and a writer whose
/// reader has closed gets a broken pipe), and the rows are the same as from files.
@Suite struct NamedPipeInputTests {
    /// Writes `text` into the FIFO at `path` on its own thread; opening blocks until ingest opens
    /// the FIFO for reading, which it does only when it reaches that input.
    static func feed(_ path: String, _ text: String, done: DispatchGroup) {
        done.enter()
        Thread.detachNewThread {
            let fd = open(path, O_WRONLY)
            if fd >= 0 {
                Array(text.utf8).withUnsafeBytes { raw in
                    var at = 0
                    while at < raw.count {
                        let n = write(fd, raw.baseAddress! + at, raw.count - at)
                        if n <= 0 { break }
                        at += n
                    }
                }
                close(fd)
            }
            done.leave()
        }
    }

    @Test func tablesFromNamedPipesIngestLikeFiles() throws {
        let tmp = Support.tempDir()
        defer { try? FileManager.default.removeItem(atPath: tmp) }
        DatasetIntegrityTests.synthetic(tmp, count: 3000)
        let fromFiles = try DatasetIntegrityTests.ingest(tmp, tmp + "/files.rcv", partitions: 4)
        let done = DispatchGroup()
        for name in ["e", "o", "a"] {
            #expect(mkfifo(tmp + "/\(name).fifo", 0o600) == 0)
            Self.feed(tmp + "/\(name).fifo", Support.read(tmp + "/\(name).jsonl"), done: done)
        }
        let fromPipes = try Support.ingest(
            exposures: [tmp + "/e.fifo"], outcomes: [tmp + "/o.fifo"], assignments: [tmp + "/a.fifo"], output: tmp + "/pipes.rcv",
            partitions: 4, maxRejectRate: 0, rowGroupRows: 500)
        #expect(done.wait(timeout: .now() + 60) == .success, "every writer finished")
        #expect(fromPipes.tables == fromFiles.tables)
        for t in ["exposures", "outcomes", "assignments"] {
            #expect(try Support.export(tmp + "/pipes.rcv", table: t) == (try Support.export(tmp + "/files.rcv", table: t)), "\(t)")
        }
    }
}
