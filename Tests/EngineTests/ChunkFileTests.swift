import ColumnarFormat
import ColumnarStorage
import Foundation
import Testing

/// `ChunkFile`, the reads behind every chunk a dataset reader hands out: the bytes of any range,
/// from many threads at once through reused buffers, and an error (not a short buffer) when the
/// file shrinks under an open reader.
@Suite struct ChunkFileTests {
    static func temporaryFile(_ bytes: [UInt8]) throws -> String {
        let path = NSTemporaryDirectory() + "chunkfile-\(UUID().uuidString).bin"
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    @Test func rangesHoldTheFilesBytes() throws {
        var g = SystemRandomNumberGenerator()
        let bytes = (0..<300_000).map { _ in UInt8.random(in: 0...255, using: &g) }
        let path = try Self.temporaryFile(bytes)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let file = try ChunkFile(path: path)
        #expect(file.count == bytes.count)
        // Small, empty, whole-file and growing ranges: a buffer reused for a larger read is regrown.
        let ranges = [0..<0, 0..<1, 17..<4113, 0..<bytes.count, 299_990..<300_000, 5..<200_005, 100..<101]
        for r in ranges {
            let got = try file.withBytes(r) { b in Array(b) }
            #expect(got == Array(bytes[r]), "range \(r)")
        }
    }

    @Test func concurrentReadsDoNotShareBuffers() throws {
        let bytes = (0..<1 << 20).map { UInt8(truncatingIfNeeded: ($0 &* 2_654_435_761) >> 13) }
        let path = try Self.temporaryFile(bytes)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let file = try ChunkFile(path: path)
        // Each task reads its own ranges and hashes them inside the call; a buffer handed to two
        // callers at once would make some hash differ from the one of the same bytes in memory.
        let failures = Mutex()
        nonisolated(unsafe) var mismatches = 0
        DispatchQueue.concurrentPerform(iterations: 64) { i in
            for k in 0..<20 {
                let start = (i * 7919 + k * 104_729) % (bytes.count - 70_000)
                let r = start..<(start + 1000 + (i * k) % 69_000)
                let want = bytes.withUnsafeBytes { XXH64.hash(UnsafeRawBufferPointer(rebasing: $0[r])) }
                let got = try? file.withBytes(r) { b in XXH64.hash(b) }
                if got != want { failures.withLock { mismatches += 1 } }
            }
        }
        #expect(mismatches == 0)
    }

    /// A range past `largestBuffered` is mapped for the call, not buffered: the same bytes, at an
    /// offset that is not page-aligned.
    @Test func aRangeLargerThanTheBuffersIsMapped() throws {
        let n = ChunkFile.largestBuffered + 3 * 4096 + 123
        let bytes = (0..<n).map { UInt8(truncatingIfNeeded: ($0 &* 2_654_435_761) >> 11) }
        let path = try Self.temporaryFile(bytes)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let file = try ChunkFile(path: path)
        let r = 4097..<(n - 5)
        #expect(r.count > ChunkFile.largestBuffered)
        let got = try file.withBytes(r) { b in (b.count, XXH64.hash(b)) }
        let want = bytes.withUnsafeBytes { XXH64.hash(UnsafeRawBufferPointer(rebasing: $0[r])) }
        #expect(got.0 == r.count && got.1 == want)
    }

    @Test func aFileThatShrinksWhileOpenIsAnError() throws {
        let path = try Self.temporaryFile([UInt8](repeating: 7, count: 10_000))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let file = try ChunkFile(path: path)
        #expect(truncate(path, 5_000) == 0)
        let error = #expect(throws: StorageError.self) { try file.withBytes(4_000..<6_000) { b in b.count } }
        let message = error.map { "\($0)" } ?? ""
        #expect(message.contains("shrank") && message.contains(path), "\(message)")
        // What is still there reads as before.
        #expect(try file.withBytes(0..<5_000) { b in b.allSatisfy { $0 == 7 } })
    }

    @Test func aDirectoryIsNotAChunkFile() {
        #expect(throws: StorageError.self) { try ChunkFile(path: NSTemporaryDirectory()) }
    }
}
