import Foundation
import Ingest
import Testing

/// Random byte-level damage to valid lines (replace, insert, delete, truncate): the scanner
/// never traps, every line is accounted for, and whatever is accepted exports as valid JSON.
@Suite struct MutationFuzzTests {
    @Test(arguments: [TableKind.exposures, .outcomes, .assignments])
    func damagedLinesNeverCrashTheScanner(table: TableKind) throws {
        let source: [String]
        switch table {
        case .exposures: source = RoundTripTests.richExposures
        case .outcomes: source = RoundTripTests.richOutcomes
        case .assignments: source = RoundTripTests.richAssignments
        }
        var rng = SystemRandomNumberGenerator()
        let alphabet = Array(#"{}[]":,\/ 0123456789.eE+-truefalsnul"#.utf8) + [0x00, 0x7F, 0x80, 0xC3, 0xE2, 0xF0, 0xFF]
        var lines: [[UInt8]] = []
        for _ in 0..<3000 {
            var b = Array(source.randomElement(using: &rng)!.utf8)
            for _ in 0..<Int.random(in: 1...4, using: &rng) {
                let i = Int.random(in: 0..<max(1, b.count), using: &rng)
                switch Int.random(in: 0..<4, using: &rng) {
                case 0: if !b.isEmpty { b[i] = alphabet.randomElement(using: &rng)! }
                case 1: b.insert(alphabet.randomElement(using: &rng)!, at: min(i, b.count))
                case 2: if !b.isEmpty { b.remove(at: i) }
                default: b = Array(b.prefix(i))
                }
            }
            lines.append(b.filter { $0 != 0x0A })
        }
        let tmp = Support.tempDir()
        var bytes: [UInt8] = []
        for l in lines { bytes += l + [0x0A] }
        Support.writeBytes(bytes, to: tmp + "/in.jsonl")
        let file = tmp + "/in.jsonl"
        let s = try Support.ingest(
            exposures: table == .exposures ? [file] : [], outcomes: table == .outcomes ? [file] : [],
            assignments: table == .assignments ? [file] : [], output: tmp + "/d.rcv")
        let c = s.counts(table)
        #expect(c.read + c.blank == lines.count)
        #expect(c.read == c.written + c.rejected)
        // Accepted lines export as JSON that parses.
        let exported = try Support.export(tmp + "/d.rcv", table: table.description)
        #expect(Support.records(exported).count == c.written)
    }
}
