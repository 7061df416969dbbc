import CLibPQ
import Foundation

/// Opens raw libpq connections (blocking: call it on a dedicated thread). Shared by connection
/// actors and the listener.
enum PostgresConnector {
    static func connect(_ configuration: PostgresConfiguration) -> Result<OpaquePointer, PostgresError> {
        do {
            _ = try configuration.parsedOptions()  // a readable error for a malformed string
        } catch {
            return .failure(error)
        }
        let parameters = configuration.connectParameters
        let keywords = parameters.map { strdup($0.0) }
        let values = parameters.map { strdup($0.1) }
        defer {
            keywords.forEach { free($0) }
            values.forEach { free($0) }
        }
        let connection = (keywords.map { UnsafePointer($0) } + [nil]).withUnsafeBufferPointer { keys in
            (values.map { UnsafePointer($0) } + [nil]).withUnsafeBufferPointer { vals in
                PQconnectdbParams(keys.baseAddress, vals.baseAddress, 1)
            }
        }
        guard let connection, PQstatus(connection) == CONNECTION_OK else {
            let message = connection.map { String(cString: PQerrorMessage($0)) } ?? "out of memory"
            let target = connection.map(target(of:)) ?? configuration.description
            if let connection { PQfinish(connection) }
            return .failure(PostgresError(
                .connectionFailed,
                message: "cannot connect to PostgreSQL at \(target): \(configuration.redact(message.oneLine))"))
        }
        // Notices (e.g. "relation already exists, skipping") would otherwise go to stderr.
        PQsetNoticeProcessor(connection, { _, _ in }, nil)
        return .success(connection)
    }

    /// `host:port/database` of a connection object, as libpq resolved it.
    private static func target(of connection: OpaquePointer) -> String {
        func text(_ value: UnsafeMutablePointer<CChar>?) -> String { value.map { String(cString: $0) } ?? "?" }
        return "\(text(PQhost(connection))):\(text(PQport(connection)))/\(text(PQdb(connection)))"
    }
}
