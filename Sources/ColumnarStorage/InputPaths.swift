#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The files one input argument names, as production dumps come: a file, a directory of shards,
/// or a glob pattern that receval expands itself (a quoted pattern reaches it unexpanded, and
/// some shells and job runners never expand one).
///
/// | argument | files, in the order they are read |
/// |---|---|
/// | `-` | standard input |
/// | an existing file (even one whose name holds `*`, `?` or `[`) | that file |
/// | a directory | every regular file directly in it (not in subdirectories), hidden (`.name`) files skipped |
/// | a pattern with `*`, `?` or `[` | every match of glob(3) except directories; hidden files match only a pattern naming the dot |
/// | anything else | that path, so that opening it reports the error |
///
/// A directory's and a pattern's files come sorted by the bytes of their paths (as `LC_ALL=C ls`
/// sorts), never in the file system's or the locale's order, so the same dump is always read in
/// the same order. A directory or pattern that names no file is an error naming it: an ingest that
/// silently reads nothing would be worse than one that stops.
public enum InputPaths {
    /// The files `argument` names (see the table above); at least one.
    public static func expand(_ argument: String) throws(StorageError) -> [String] {
        precondition(!argument.isEmpty, "an input path is not empty")
        if argument == "-" { return [argument] }
        var st = stat()
        if stat(argument, &st) == 0 {
            return (st.st_mode & S_IFMT) == S_IFDIR ? try listDirectory(argument) : [argument]
        }
        if argument.contains(where: { $0 == "*" || $0 == "?" || $0 == "[" }) { return try match(argument) }
        return [argument]
    }

    /// Orders paths by their UTF-8 bytes (Swift's `<` on `String` compares Unicode scalars after
    /// normalisation, which is not the byte order this type promises).
    static func sortedByBytes(_ paths: [String]) -> [String] {
        paths.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
    }

    private static func listDirectory(_ directory: String) throws(StorageError) -> [String] {
        guard let dir = opendir(directory) else { throw .system(op: "opendir", path: directory, errno: errno) }
        defer { closedir(dir) }
        let prefix = directory.hasSuffix("/") ? directory : directory + "/"
        var paths: [String] = []
        while true {
            errno = 0
            guard let entry = readdir(dir) else {
                if errno != 0 { throw .system(op: "readdir", path: directory, errno: errno) }
                break
            }
            let name = withUnsafePointer(to: &entry.pointee.d_name) {
                String(validatingCString: UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self))
            }
            guard let name else {
                throw .input(path: directory, reason: "holds a file whose name is not valid UTF-8; rename it or move it out")
            }
            if name.hasPrefix(".") { continue }
            // stat, not d_type: some file systems leave d_type unknown, and a symbolic link to a
            // regular file counts as one.
            var st = stat()
            let path = prefix + name
            if stat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFREG { paths.append(path) }
        }
        guard !paths.isEmpty else {
            throw .input(path: directory, reason: "directory holds no input file (regular files whose names do not start with '.')")
        }
        return sortedByBytes(paths)
    }

    private static func match(_ pattern: String) throws(StorageError) -> [String] {
        var g = glob_t()
        defer { globfree(&g) }
        // GLOB_ERR: a directory the pattern passes through that cannot be read stops the ingest
        // instead of silently dropping its shards. GLOB_MARK appends `/` to directories.
        let rc = glob(pattern, GLOB_ERR | GLOB_MARK | GLOB_NOSORT, nil, &g)
        switch rc {
        case 0: break
        case GLOB_NOMATCH: throw .input(path: pattern, reason: "pattern matches no file")
        case GLOB_ABORTED where errno == ENOENT:
            throw .input(path: pattern, reason: "pattern matches no file (a directory it names does not exist)")
        case GLOB_ABORTED: throw .system(op: "glob (reading a directory of the pattern)", path: pattern, errno: errno)
        default: throw .input(path: pattern, reason: "cannot expand the pattern (glob error \(rc))")
        }
        var paths: [String] = []
        for i in 0..<Int(g.gl_pathc) {
            guard let p = g.gl_pathv[i] else { continue }
            guard let path = String(validatingCString: p) else {
                throw .input(path: pattern, reason: "matches a file whose name is not valid UTF-8; rename it or move it out")
            }
            if !path.hasSuffix("/") { paths.append(path) }
        }
        guard !paths.isEmpty else { throw .input(path: pattern, reason: "pattern matches only directories, no file") }
        return sortedByBytes(paths)
    }
}
