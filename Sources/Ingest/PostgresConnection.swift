import CLibPQ

/// A connection to PostgreSQL through libpq, for `type: postgres` sources (recsys-eval's: a
/// `dsn` and a `query` whose first column holds one JSON record per row). Rows stream with
/// libpq's single-row mode, so memory does not grow with the result. The DSN's password never
/// leaves this type: messages name the DSN with its password replaced (`redacted`).
public final class PostgresConnection {
    private let connection: OpaquePointer
    /// The DSN as messages may show it.
    public let shownDSN: String

    public init(dsn: String) throws(PostgresError) {
        shownDSN = Self.redacted(dsn)
        guard let c = PQconnectdb(dsn) else { throw .connect(dsn: shownDSN, reason: "libpq could not allocate a connection") }
        // Checked before `connection` is set: a failed init then never runs deinit, which
        // would finish the connection a second time.
        guard PQstatus(c) == CONNECTION_OK else {
            let reason = Self.message(c, redacting: dsn)
            PQfinish(c)
            throw .connect(dsn: shownDSN, reason: reason)
        }
        connection = c
    }

    deinit { PQfinish(connection) }

    /// Runs a statement, with text parameters ($1, $2, ...); returns nothing.
    public func execute(_ sql: String, _ parameters: [String] = []) throws(PostgresError) {
        let result = withParameters(parameters) { values in
            PQexecParams(connection, sql, Int32(parameters.count), nil, values, nil, nil, 0)
        }
        defer { PQclear(result) }
        let status = PQresultStatus(result)
        guard status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK else {
            throw .query(dsn: shownDSN, reason: String(cString: PQresultErrorMessage(result)).trimmed)
        }
    }

    /// Runs `query` and hands `row` the first column of each result row, as its bytes (nil for
    /// SQL NULL), one row at a time.
    public func stream(_ query: String, row: (UnsafeRawBufferPointer?) throws -> Void) throws {
        guard PQsendQuery(connection, query) == 1 else {
            throw PostgresError.query(dsn: shownDSN, reason: Self.message(connection, redacting: ""))
        }
        guard PQsetSingleRowMode(connection) == 1 else {
            throw PostgresError.query(dsn: shownDSN, reason: "libpq could not stream the rows one at a time")
        }
        var failure: Error? = nil
        while let result = PQgetResult(connection) {
            defer { PQclear(result) }
            switch PQresultStatus(result) {
            case PGRES_SINGLE_TUPLE:
                guard failure == nil else { continue }
                guard PQnfields(result) >= 1 else {
                    failure = PostgresError.query(
                        dsn: shownDSN, reason: "the query returns no column (its first must hold the JSON record)")
                    continue
                }
                do {
                    if PQgetisnull(result, 0, 0) == 1 {
                        try row(nil)
                    } else {
                        try row(UnsafeRawBufferPointer(start: PQgetvalue(result, 0, 0), count: Int(PQgetlength(result, 0, 0))))
                    }
                } catch {
                    failure = error
                }
            case PGRES_TUPLES_OK, PGRES_COMMAND_OK:
                break
            default:
                if failure == nil {
                    failure = PostgresError.query(dsn: shownDSN, reason: String(cString: PQresultErrorMessage(result)).trimmed)
                }
            }
        }
        if let failure { throw failure }
    }

    private func withParameters<R>(_ parameters: [String], _ body: (UnsafePointer<UnsafePointer<CChar>?>?) -> R) -> R {
        var storage = parameters.map { strdup($0) }
        defer { for p in storage { free(p) } }
        return storage.withUnsafeMutableBufferPointer { buffer in
            buffer.baseAddress!.withMemoryRebound(to: UnsafePointer<CChar>?.self, capacity: parameters.count) { body($0) }
        }
    }

    /// libpq's error message, with the DSN's password taken out should it appear.
    static func message(_ c: OpaquePointer, redacting dsn: String) -> String {
        var text = String(cString: PQerrorMessage(c)).trimmed
        if let password = password(in: dsn), !password.isEmpty { text = text.replacing(password, with: "***") }
        return text
    }

    /// The password a DSN holds (URI user info or `password=`), if any.
    static func password(in dsn: String) -> String? {
        if let m = dsn.firstMatch(of: /^postgres(?:ql)?:\/\/[^:@\/]*:([^@\/]*)@/) { return String(m.1) }
        if let m = dsn.firstMatch(of: /[?&]password=([^&]*)/) { return String(m.1) }
        if let m = dsn.firstMatch(of: /(?:^|\s)password\s*=\s*('(?:[^'\\]|\\.)*'|\S*)/) {
            var p = String(m.1)
            if p.hasPrefix("'") && p.hasSuffix("'") && p.count >= 2 { p = String(p.dropFirst().dropLast()) }
            return p
        }
        return nil
    }

    /// The DSN with its password replaced by `***` (URI and key=value forms).
    public static func redacted(_ dsn: String) -> String {
        var out = dsn.replacing(/^(postgres(?:ql)?:\/\/[^:@\/]*:)[^@\/]*@/) { "\($0.1)***@" }
        out = out.replacing(/([?&]password=)[^&]*/) { "\($0.1)***" }
        out = out.replacing(/((?:^|\s)password\s*=\s*)('(?:[^'\\]|\\.)*'|\S*)/) { "\($0.1)***" }
        return out
    }
}

/// A PostgreSQL source that could not be read; messages show the DSN without its password.
public enum PostgresError: Error, CustomStringConvertible {
    case connect(dsn: String, reason: String)
    case query(dsn: String, reason: String)

    public var description: String {
        switch self {
        case .connect(let d, let r): return "cannot connect to PostgreSQL at \(d): \(r)"
        case .query(let d, let r): return "PostgreSQL query failed on \(d): \(r)"
        }
    }
}

extension String {
    fileprivate var trimmed: String {
        var s = Substring(self)
        while let c = s.last, c == "\n" || c == " " { s.removeLast() }
        return String(s)
    }
}

#if canImport(Glibc)
    import Glibc
#endif
