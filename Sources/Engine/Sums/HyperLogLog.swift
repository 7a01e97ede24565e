#if canImport(Glibc)
    import Glibc
#endif

/// A distinct count in fixed memory: HyperLogLog (Flajolet, Fusy, Gandouet and Meunier, 2007)
/// over 64-bit hashes, with 2^12 one-byte registers (4 KiB) and linear counting below 2.5 × 2^12.
///
/// Its relative standard error is 1.04 / √4096 ≈ 1.6% (linear counting, used for the small
/// counts most windows hold, is typically closer). Registers combine by maximum, so the sketch of
/// a union is the same whatever the grouping or order of the parts: states of shards, or of
/// separately ingested datasets, merge exactly when the hashes come from ids (`XXH64` of the id's
/// bytes), never from a dataset's codes.
public struct HyperLogLog: Sendable, Equatable {
    /// log2 of the register count.
    public static let precision = 12
    public static let registerCount = 1 << precision

    public private(set) var registers: [UInt8]

    public init() { registers = [UInt8](repeating: 0, count: Self.registerCount) }

    /// Registers as a state file holds them; nil when their count or a value is impossible.
    public init?(registers: [UInt8]) {
        guard registers.count == Self.registerCount, registers.allSatisfy({ $0 <= 64 - Self.precision + 1 }) else { return nil }
        self.registers = registers
    }

    /// Adds a 64-bit hash: its top 12 bits choose the register, the position of the first set bit
    /// of the rest is the register's candidate value.
    @inline(__always)
    public mutating func add(hash h: UInt64) {
        let index = Int(truncatingIfNeeded: h >> UInt64(64 - Self.precision))
        let rest = (h << UInt64(Self.precision)) | (1 << UInt64(Self.precision - 1))
        let rank = UInt8(truncatingIfNeeded: rest.leadingZeroBitCount + 1)
        registers.withUnsafeMutableBufferPointer { r in
            if r[index] < rank { r[index] = rank }
        }
    }

    /// The sketch of the union of both sketches' sets.
    public mutating func merge(_ other: HyperLogLog) {
        for i in 0..<Self.registerCount where other.registers[i] > registers[i] { registers[i] = other.registers[i] }
    }

    /// The estimated number of distinct hashes added (0 for none).
    public var estimate: Double {
        let m = Double(Self.registerCount)
        var sum = 0.0
        var zeros = 0
        for r in registers {
            sum += 1 / Double(UInt64(1) << UInt64(r))
            if r == 0 { zeros += 1 }
        }
        let raw = 0.7213 / (1 + 1.079 / m) * m * m / sum
        if raw <= 2.5 * m && zeros > 0 { return m * log(m / Double(zeros)) }
        return raw
    }
}
