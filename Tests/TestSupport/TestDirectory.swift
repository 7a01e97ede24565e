import Foundation

/// Temporary directories for the tests, all made inside one root folder per test process, which
/// is removed when the process exits.
///
/// Why one root per process rather than one per test (a `TestScoping` trait with a `@TaskLocal`
/// root): nothing has to be attached to each suite, and every kind of user keeps working, namely
/// helpers shared across suites, `static let` data generated once and read by many tests,
/// subprocesses given the paths, and code on other threads. A directory then lives until the
/// process ends, so it outlives every test that uses it, and since each process has its own root,
/// no test process removes what another one (or anything else in /tmp) is using. The cost is that
/// the files stay on disk until the run ends; tests that `defer` removing their directory still
/// free it earlier. swift-testing ends the process with `exit`, which runs the `atexit` handler
/// (a run killed by a signal leaves its one root behind).
public enum TestDirectory {
    /// `<tmp>/receval-tests-<pid>-<uuid>`, made on first use.
    public static let root: String = {
        let root = FileManager.default.temporaryDirectory
            .appendingPathComponent("receval-tests-\(getpid())-\(UUID().uuidString)").path
        try! FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        atexit { try? FileManager.default.removeItem(atPath: TestDirectory.root) }
        return root
    }()

    /// A new, empty directory `<root>/<prefix>-<uuid>`, there until the test process exits.
    public static func make(_ prefix: String) throws -> String {
        let dir = root + "/\(prefix)-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: false)
        return dir
    }
}
