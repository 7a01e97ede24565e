#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Turns the fault a mapped file raises when it shrinks under the reader (`SIGBUS`: the pages past
/// its new end are gone) into an error exit with a message, instead of a crash.
///
/// Ingest maps its plain inputs (`MappedRegion`) and scans map dataset files (`MappedFile`,
/// `ChunkFile`); a file truncated or rewritten in place by another process during the run would
/// otherwise kill the process with a bus error and a core dump. Output files are written to an
/// anonymous file that only appears on success (`AtomicOutputFile`), so exiting at once leaves
/// none of them half-written (a dataset, a report, a rejects file). The handler only writes a
/// fixed message and exits (both async-signal-safe); the process-wide handler is installed once,
/// by the command-line tool.
public enum InputFaultGuard {
    /// Installs the handler for `SIGBUS`: the message, then exit status 1 (`ExitStatus.error`).
    public static func install() {
        let handler: @convention(c) (Int32) -> Void = { _ in
            let message: StaticString =
                "\nreceval: error: a file changed while it was being read (truncated or rewritten during the run); stopped before finishing\n"
            _ = write(2, message.utf8Start, message.utf8CodeUnitCount)
            _exit(1)
        }
        var action = sigaction()
        #if os(Linux)
            action.__sigaction_handler.sa_handler = handler
        #else
            action.__sigaction_u.__sa_handler = handler
        #endif
        sigemptyset(&action.sa_mask)
        action.sa_flags = 0
        _ = sigaction(SIGBUS, &action, nil)
    }
}
