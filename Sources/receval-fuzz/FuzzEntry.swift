import Foundation

// The entry points of `receval-fuzz`. Built normally, it replays inputs (files or folders of
// files) through the targets, so a corpus or a crash found by the fuzzer reruns as a plain
// program. Built by tools/fuzz/run.sh with `-sanitize=fuzzer -DRECEVAL_FUZZ`, libFuzzer drives
// `LLVMFuzzerTestOneInput` instead.

#if RECEVAL_FUZZ
    /// libFuzzer's driver, for programs that have their own `main` (SwiftPM gives every
    /// executable one).
    @_silgen_name("LLVMFuzzerRunDriver")
    func llvmFuzzerRunDriver(
        _ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
        _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
    ) -> CInt

    @main
    struct FuzzDriver {
        static func main() {
            var argc = CommandLine.argc
            var argv = CommandLine.unsafeArgv
            exit(
                llvmFuzzerRunDriver(&argc, &argv) { data, size in
                    FuzzTargets.run(UnsafeRawBufferPointer(start: data, count: size))
                    return 0
                })
        }
    }
#else
    @main
    struct FuzzReplay {
        static func main() throws {
            var inputs = 0
            for arg in CommandLine.arguments.dropFirst() {
                var isDirectory: ObjCBool = false
                guard FileManager.default.fileExists(atPath: arg, isDirectory: &isDirectory) else {
                    FileHandle.standardError.write(Data("receval-fuzz: no such file or folder: \(arg)\n".utf8))
                    exit(2)
                }
                let files =
                    isDirectory.boolValue
                    ? try FileManager.default.contentsOfDirectory(atPath: arg).sorted().map { arg + "/" + $0 } : [arg]
                for f in files {
                    let bytes = try Data(contentsOf: URL(fileURLWithPath: f))
                    bytes.withUnsafeBytes { FuzzTargets.run($0) }
                    inputs += 1
                }
            }
            print("replayed \(inputs) input(s) without a crash")
        }
    }
#endif
