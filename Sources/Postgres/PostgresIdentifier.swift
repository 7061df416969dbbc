/// Quoting for identifiers (names of databases, channels), which PostgreSQL cannot take as parameters.
public enum PostgresIdentifier {
    /// `"name"` with embedded quotes doubled, so any string is one identifier and never SQL.
    public static func quote(_ name: String) -> String {
        "\"" + name.split(separator: "\"", omittingEmptySubsequences: false).joined(separator: "\"\"") + "\""
    }
}
