/// A bit-exact port of Go's `math/rand` generator, i.e. what `rand.New(rand.NewSource(seed))` returns.
///
/// Use it where results must match a Go program draw for draw, e.g. seeded resampling that has to
/// reproduce a Go tool's output for the same seed. The source is an additive lagged Fibonacci
/// generator (length 607, tap 273, by D. P. Mitchell and J. A. Reeds) whose state is seeded with a
/// Lehmer generator and XORed with Go's `rngCooked` table. `intn` and `float64` follow Go 1.19's
/// `Rand.Intn` and `Rand.Float64`, including their rejection sampling, so they consume the same
/// number of draws as Go does.
///
/// This is not a cryptographic generator.
public struct GoRandom: Sendable {
    /// Length of the lagged Fibonacci state (`rngLen` in Go).
    private static let length = 607
    /// Lag between the two taps (`rngTap` in Go).
    private static let tapDistance = 273
    /// `1<<31 - 1`, the Lehmer modulus and Go's `int32max`.
    private static let int32Max: Int64 = (1 << 31) - 1

    /// The generator state (`rngSource.vec` in Go).
    private var state: [Int64]
    /// Index of the lagging tap.
    private var tap: Int
    /// Index of the element that is read and overwritten.
    private var feed: Int

    /// Seeds the generator exactly as Go's `rngSource.Seed` does.
    ///
    /// Like Go, only `seed % (1<<31 - 1)` matters; negative seeds are shifted into range, and a zero
    /// residue is replaced by 89482311 (so seeds 0 and 2147483647 give the same stream).
    public init(seed: Int64) {
        var reduced = seed % Self.int32Max
        if reduced < 0 {
            reduced += Self.int32Max
        }
        if reduced == 0 {
            reduced = 89_482_311
        }

        var state = [Int64](repeating: 0, count: Self.length)
        var x = Int32(reduced)
        for i in -20..<Self.length {
            x = Self.seedStep(x)
            if i >= 0 {
                var u = Int64(x) << 40
                x = Self.seedStep(x)
                u ^= Int64(x) << 20
                x = Self.seedStep(x)
                u ^= Int64(x)
                u ^= goRandomCooked[i]
                state[i] = u
            }
        }
        self.state = state
        self.tap = 0
        self.feed = Self.length - Self.tapDistance
    }

    /// One step of the Lehmer generator x' = 48271·x mod (2^31 − 1), computed with Schrage's method
    /// so it stays within 32 bits (Go's `seedrand`).
    private static func seedStep(_ x: Int32) -> Int32 {
        let a: Int32 = 48_271
        let q: Int32 = 44_488
        let r: Int32 = 3_399
        let hi = x / q
        let lo = x % q
        var next = a * lo - r * hi
        if next < 0 {
            next += Int32(int32Max)
        }
        return next
    }

    /// The next raw 64-bit output (Go's `rngSource.Uint64`); additions wrap as in Go.
    private mutating func next() -> UInt64 {
        tap -= 1
        if tap < 0 {
            tap += Self.length
        }
        feed -= 1
        if feed < 0 {
            feed += Self.length
        }
        let x = state[feed] &+ state[tap]
        state[feed] = x
        return UInt64(bitPattern: x)
    }

    /// A non-negative pseudo-random 63-bit integer (Go's `Int63`).
    public mutating func int63() -> Int64 {
        Int64(bitPattern: next() & UInt64(Int64.max))
    }

    /// A non-negative pseudo-random 31-bit integer (Go's `Int31`): the top 31 bits of `int63()`.
    public mutating func int31() -> Int32 {
        Int32(truncatingIfNeeded: int63() >> 32)
    }

    /// A pseudo-random integer in `0..<n` (Go's `Intn`).
    ///
    /// Like Go, `n` up to `Int32.max` goes through `Int31n` (31-bit draws) and larger `n` through
    /// `Int63n`; both mask for powers of two and otherwise reject draws above the largest multiple
    /// of `n`, so the result is unbiased and the number of draws consumed matches Go.
    public mutating func intn(_ n: Int) -> Int {
        precondition(n > 0, "GoRandom.intn requires n > 0")
        if n <= Int(Int32.max) {
            return Int(int31n(Int32(n)))
        }
        return Int(int63n(Int64(n)))
    }

    /// Go's `Int31n` for `n > 0`.
    private mutating func int31n(_ n: Int32) -> Int32 {
        if n & (n - 1) == 0 {
            return int31() & (n - 1)
        }
        let max = Int32.max - Int32((UInt32(1) << 31) % UInt32(n))
        var v = int31()
        while v > max {
            v = int31()
        }
        return v % n
    }

    /// Go's `Int63n` for `n > 0`.
    private mutating func int63n(_ n: Int64) -> Int64 {
        if n & (n - 1) == 0 {
            return int63() & (n - 1)
        }
        let max = Int64.max - Int64((UInt64(1) << 63) % UInt64(n))
        var v = int63()
        while v > max {
            v = int63()
        }
        return v % n
    }

    /// A pseudo-random `Double` in `[0, 1)` (Go's `Float64`).
    ///
    /// Go divides `Int63()` by 2^63; when rounding makes that exactly 1 it draws again, and so does
    /// this, to stay on Go's value stream.
    public mutating func float64() -> Double {
        while true {
            let f = Double(int63()) / 9_223_372_036_854_775_808.0
            if f < 1 {
                return f
            }
        }
    }
}
