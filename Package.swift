// swift-tools-version: 6.0
import PackageDescription

// Data flows one way through the targets:
// JSONL -> Ingest -> ColumnarFormat/ColumnarStorage (the dataset) -> (engine, evaluation) -> receval CLI.
let package = Package(
    name: "receval",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "receval", targets: ["receval"]),
        .library(name: "ColumnarFormat", targets: ["ColumnarFormat"]),
        .library(name: "ColumnarStorage", targets: ["ColumnarStorage"]),
        .library(name: "Ingest", targets: ["Ingest"]),
        .library(name: "Export", targets: ["Export"]),
        .library(name: "ParquetFormat", targets: ["ParquetFormat"]),
        .library(name: "Engine", targets: ["Engine"]),
        .library(name: "Statistics", targets: ["Statistics"]),
        .library(name: "Reports", targets: ["Reports"]),
        .library(name: "LogGenerator", targets: ["LogGenerator"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "5.0.1"),
        // SHA-256 for dataset fingerprints, with the CPU's SHA extensions (about 7x the portable code).
        .package(url: "https://github.com/apple/swift-crypto", "3.12.3"..<"5.0.0"),
    ],
    targets: [
        .systemLibrary(name: "CZstd", pkgConfig: "libzstd", providers: [.apt(["libzstd-dev"])]),
        .systemLibrary(name: "CLibPQ", pkgConfig: "libpq", providers: [.apt(["libpq-dev"])]),
        .systemLibrary(name: "CSnappy", pkgConfig: "snappy", providers: [.apt(["libsnappy-dev"])]),
        .systemLibrary(name: "CLZ4", pkgConfig: "liblz4", providers: [.apt(["liblz4-dev"])]),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        .systemLibrary(name: "CMalloc"),
        .systemLibrary(name: "CPrefetch"),
        .systemLibrary(name: "CWriteback"),
        // The one C kernel: AVX-512 bit unpacking behind BitPacking's checked, scalar-equal API.
        .target(name: "CBitUnpack"),
        .target(name: "ColumnarFormat", dependencies: ["CZstd", "CLZ4", "CBitUnpack"]),
        .target(name: "ColumnarStorage", dependencies: ["ColumnarFormat", "CZstd", "CZlib", "CWriteback"]),
        .target(name: "Ingest", dependencies: ["ColumnarFormat", "ColumnarStorage", "CPrefetch", "CLibPQ", "ParquetFormat"]),
        .target(name: "ParquetFormat", dependencies: ["ColumnarFormat", "CZstd", "CLZ4", "CZlib", "CSnappy"]),
        .target(name: "Export", dependencies: ["ColumnarFormat", "ColumnarStorage", "ParquetFormat"]),
        .target(name: "Engine", dependencies: ["ColumnarFormat", "ColumnarStorage", "CPrefetch"]),
        .target(name: "Statistics"),
        .target(name: "Reports", dependencies: [.product(name: "Crypto", package: "swift-crypto")]),
        .target(
            name: "Evaluation",
            dependencies: [
                "ColumnarFormat", "ColumnarStorage", "Ingest", "Engine", "Statistics", "Reports", .product(name: "Yams", package: "Yams"),
            ]),
        .target(name: "LogGenerator"),
        .executableTarget(
            name: "receval",
            dependencies: [
                "ColumnarFormat", "ColumnarStorage", "Ingest", "Export", "Engine", "Evaluation", "Reports", "LogGenerator",
                .target(name: "CMalloc", condition: .when(platforms: [.linux])),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),
        // Fuzz targets for the readers of untrusted bytes (tools/fuzz/run.sh); built normally, a replayer.
        .executableTarget(
            name: "receval-fuzz", dependencies: ["ColumnarFormat", "ColumnarStorage", "Ingest", "Export", "Engine", "Evaluation"]),
        // Shared by the test targets: temporary directories removed when the test process exits.
        .target(name: "TestSupport", path: "Tests/TestSupport"),
        .testTarget(name: "ColumnarFormatTests", dependencies: ["ColumnarFormat", "ColumnarStorage"]),
        .testTarget(
            name: "IngestTests",
            dependencies: ["Ingest", "Export", "ColumnarFormat", "ColumnarStorage", "LogGenerator", "TestSupport"],
            exclude: ["Fixtures"]),
        .testTarget(name: "ReceValCLITests", dependencies: ["receval", "TestSupport"]),
        .testTarget(name: "LogGeneratorTests", dependencies: ["LogGenerator"]),
        .testTarget(name: "ReportsTests", dependencies: ["Reports"], exclude: ["Fixtures"]),
        .testTarget(
            name: "EvaluationTests",
            dependencies: [
                "Evaluation", "Reports", "Ingest", "Engine", "ColumnarFormat", "ColumnarStorage", "LogGenerator", "Statistics",
                "TestSupport",
            ],
            exclude: ["Fixtures"]),
        .testTarget(
            name: "EngineTests",
            dependencies: ["Engine", "Ingest", "Export", "ColumnarFormat", "ColumnarStorage", "LogGenerator", "TestSupport"]),
        .testTarget(name: "StatisticsTests", dependencies: ["Statistics"]),
        .testTarget(name: "ParquetFormatTests", dependencies: ["ParquetFormat"]),
    ],
    swiftLanguageModes: [.v6]
)
