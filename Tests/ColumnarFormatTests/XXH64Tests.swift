import ColumnarFormat
import Testing

@Suite struct XXH64Tests {
    /// Values from the reference implementation (python-xxhash, which wraps xxhash.h).
    @Test(arguments: [
        ("", 0xEF46_DB37_51D8_E999 as UInt64),
        ("a", 0xD24E_C4F1_A98C_6E5B),
        ("abc", 0x44BC_2CF5_AD77_0999),
        ("0123456789abcdef0123456789abcdef0", 0xE876_84F0_8D6D_0816),
    ])
    func knownValues(input: String, expected: UInt64) {
        #expect(XXH64.hash(Array(input.utf8)) == expected)
    }

    @Test func hundredBytes() {
        #expect(XXH64.hash((0..<100).map { UInt8($0) }) == 0x6AC1_E580_3216_6597)
    }

    @Test func everyByteMatters() {
        var rng = SplitMix(seed: 3)
        let base = (0..<257).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
        let h = XXH64.hash(base)
        for i in stride(from: 0, to: base.count, by: 7) {
            var flipped = base
            flipped[i] ^= 0x10
            #expect(XXH64.hash(flipped) != h)
        }
    }
}

/// A small deterministic generator for test inputs.
struct SplitMix: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
