import Testing

@testable import Statistics

/// `GoRandom` against Go's `rand.New(rand.NewSource(seed))`. All expected values were produced by
/// Go 1.19.8 math/rand and written here.
@Suite struct GoRandomTests {
    /// One seed's expected streams, each drawn in this order from a single generator: five `Int63`,
    /// ten `Intn(10)`, three `Intn(1000000007)` (rejection path of `Int31n`), three `Intn(1<<40)`
    /// (`Int63n` power-of-two path), then three `Float64`.
    struct Expected: Sendable {
        let seed: Int64
        let int63: [Int64]
        let intn10: [Int]
        let intnPrime: [Int]
        let intn2To40: [Int]
        let float64: [Double]
    }

    static let zeroSeedStream = Expected(
        seed: 0,
        int63: [
            8_717_895_732_742_165_505, 2_259_404_117_704_393_152, 6_050_128_673_802_995_827, 501_233_450_539_197_794,
            3_390_393_562_759_376_202,
        ],
        intn10: [6, 7, 7, 8, 8, 8, 7, 9, 8, 2],
        intnPrime: [544_722_126, 663_557_304, 37_539_650],
        intn2To40: [974_654_756_035, 406_656_863_948, 598_464_962_410],
        float64: [0.42619205467717924, 0.5102423328818813, 0.24043190328608438])

    static let streams: [Expected] = [
        zeroSeedStream,
        Expected(
            seed: -5,
            int63: [
                1_811_683_815_564_572_222, 4_427_849_682_616_757_295, 188_166_459_856_594_692, 3_720_612_653_564_574_438,
                4_799_732_044_643_461_975,
            ],
            intn10: [7, 3, 4, 7, 9, 2, 0, 9, 3, 0],
            intnPrime: [509_344_471, 799_719_446, 262_397_757],
            intn2To40: [562_255_903_498, 161_823_420_546, 417_012_408_668],
            float64: [0.34007442086803685, 0.3235025509334213, 0.027386873436781332]),
        Expected(
            seed: 7,
            int63: [
                8_475_284_246_537_043_955, 2_135_276_795_452_531_224, 2_226_407_336_114_473_942, 8_407_677_068_955_557_379,
                6_440_086_189_707_786_506,
            ],
            intn10: [8, 2, 2, 2, 6, 8, 1, 0, 0, 1],
            intnPrime: [386_588_120, 493_980_905, 875_996_455],
            intn2To40: [334_460_626_482, 336_435_750_085, 121_654_750_303],
            float64: [0.3092275498600531, 0.8021985381013601, 0.0018447227228839634]),
        // 2147483647 % (1<<31 - 1) == 0, so Go substitutes the same seed as for 0.
        Expected(
            seed: 2_147_483_647, int63: zeroSeedStream.int63, intn10: zeroSeedStream.intn10, intnPrime: zeroSeedStream.intnPrime,
            intn2To40: zeroSeedStream.intn2To40, float64: zeroSeedStream.float64),
        Expected(
            seed: 1 << 40,
            int63: [
                5_470_237_361_722_394_362, 6_322_525_149_314_491_254, 1_177_463_506_020_107_830, 1_565_541_666_764_780_662,
                7_675_952_003_761_928_004,
            ],
            intn10: [0, 8, 8, 2, 5, 9, 5, 4, 2, 2],
            intnPrime: [230_119_427, 941_090_190, 749_768_001],
            intn2To40: [155_021_616_593, 11_821_398_726, 308_766_085_310],
            float64: [0.20953686278744282, 0.5748656892284669, 0.25018182896102464]),
    ]

    @Test func tableHasGosLengthAndEnds() {
        #expect(goRandomCooked.count == 607)
        #expect(goRandomCooked.first == -4_181_792_142_133_755_926)
        #expect(goRandomCooked.last == 4_152_330_101_494_654_406)
    }

    @Test func int63MatchesGoForSeed42() {
        var random = GoRandom(seed: 42)
        let values = (0..<5).map { _ in random.int63() }
        #expect(
            values == [
                3_440_579_354_231_278_675, 608_747_136_543_856_411, 5_571_782_338_101_878_760, 1_926_012_586_526_624_009,
                404_153_945_743_547_657,
            ])
    }

    @Test func int63MatchesGoForSeed1() {
        var random = GoRandom(seed: 1)
        let values = (0..<3).map { _ in random.int63() }
        #expect(values == [5_577_006_791_947_779_410, 8_674_665_223_082_153_551, 6_129_484_611_666_145_821])
    }

    @Test func int31IsTheTopOfInt63() {
        var random = GoRandom(seed: 42)
        let values = (0..<5).map { _ in random.int31() }
        #expect(values == [801_072_305, 141_734_987, 1_297_281_668, 448_434_750, 94_099_423])
    }

    @Test func intnOfPowerOfTwoMasks() {
        var random = GoRandom(seed: 42)
        let digits = (0..<32).map { _ in String(random.intn(2)) }.joined()
        #expect(digits == "11001110011110010110000101011100")
    }

    @Test func intnRejectsLikeGo() {
        var random = GoRandom(seed: 42)
        let values = (0..<20).map { _ in random.intn(3) }
        #expect(values == [2, 2, 2, 0, 1, 1, 0, 2, 2, 1, 1, 2, 0, 1, 2, 0, 2, 2, 2, 2])
    }

    @Test(arguments: streams)
    func mixedStreamMatchesGo(_ expected: Expected) {
        var random = GoRandom(seed: expected.seed)
        #expect((0..<5).map { _ in random.int63() } == expected.int63)
        #expect((0..<10).map { _ in random.intn(10) } == expected.intn10)
        #expect((0..<3).map { _ in random.intn(1_000_000_007) } == expected.intnPrime)
        #expect((0..<3).map { _ in random.intn(1 << 40) } == expected.intn2To40)
        #expect((0..<3).map { _ in random.float64() } == expected.float64)
    }

    /// The `Int31n` boundary (n == Int32.max) and `Int63n`'s rejection path (n not a power of two).
    @Test func intnBoundariesMatchGo() {
        var random = GoRandom(seed: 99)
        #expect((0..<3).map { _ in random.intn(3_000_000_000_000) } == [399_724_039_541, 541_603_903_257, 1_365_232_470_547])
        #expect((0..<3).map { _ in random.intn(2_147_483_647) } == [1_349_919_882, 967_398_182, 2_053_586_203])
    }

    @Test func float64StaysInUnitInterval() {
        var random = GoRandom(seed: 123)
        for _ in 0..<10_000 {
            let f = random.float64()
            #expect(f >= 0 && f < 1)
        }
    }
}
