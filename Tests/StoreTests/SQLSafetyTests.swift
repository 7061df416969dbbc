import Foundation
import Testing

/// SQL is parameterized everywhere: values travel as `$n` parameters, never spliced into SQL text.
/// This scans every string literal under Sources/ that reads like SQL and lists what it
/// interpolates. Only the reviewed, value-free fragments below may appear; a new one fails the test
/// until someone checks that it cannot carry input.
@Suite struct SQLSafetyTests {
    /// Interpolations reviewed as carrying no input: column lists, table names, placeholders and
    /// conditions built from fixed strings, numbers we produce, quoted identifiers.
    static let reviewed: Set<String> = [
        "columns", "select", "table", "filter",                        // fixed column lists and table names, a WHERE of fixed conditions
        "AddonQueries.columns",                                        // the same fixed column list, from SubscriptionQueries
        "column",                                                      // a column name from a fixed list (AddonQueries.list)
        "scope.joined(separator: \" AND \")",                          // fixed conditions with $n placeholders
        "conditions.joined(separator: \" AND \")",
        "(conditions + [after]).joined(separator: \" AND \")",
        "conditions.isEmpty ? \"\" : \"WHERE \" + conditions.joined(separator: \" AND \")",
        "placeholder(request.limit + 1)",                              // "$n"
        "comparison", "newestFirst ? \"DESC\" : \"ASC\"",              // "<" or ">", and the sort direction
        "batchSize",                                                   // an Int of ours
        "binds.count", "binds.count + 1", "binds.count + 2", "self.binds.count + 1", "cursorScope + 1", // placeholder numbers
    ]

    static func sourceFiles() throws -> [URL] {
        let sources = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../Sources").standardized
        let enumerator = FileManager.default.enumerator(at: sources, includingPropertiesForKeys: nil)
        return (enumerator?.allObjects as? [URL] ?? []).filter { $0.pathExtension == "swift" }
    }

    @Test func sqlLiteralsInterpolateOnlyReviewedFragments() throws {
        let files = try Self.sourceFiles()
        #expect(files.count > 50, "found the sources")
        var unreviewed: [String] = []
        var sqlLiterals = 0
        for file in files {
            for literal in StringLiteralScanner.literals(in: try String(contentsOf: file, encoding: .utf8)) where literal.looksLikeSQL {
                sqlLiterals += 1
                for expression in literal.interpolations where !Self.reviewed.contains(expression) {
                    unreviewed.append("\(file.lastPathComponent): \\(\(expression))")
                }
            }
        }
        #expect(sqlLiterals > 20, "the scanner recognizes the SQL")
        #expect(unreviewed.isEmpty, "SQL built from unreviewed interpolations: \(unreviewed)")
    }

    @Test func theScannerSeesInterpolationsInSQL() {
        let source = #"""
            let a = "SELECT * FROM t WHERE id = '\(id)'"
            let b = """
                UPDATE t SET x = \(value.description) WHERE y = $1
                """
            let c = "no sql \(here)"
            """#
        let found = StringLiteralScanner.literals(in: source).filter(\.looksLikeSQL).flatMap(\.interpolations)
        #expect(found == ["id", "value.description"])
    }
}

/// Swift string literals (single-line and multi-line) with the interpolated expressions taken
/// out, nested parentheses and strings inside an interpolation included.
enum StringLiteralScanner {
    struct Literal {
        var text = ""
        var interpolations: [String] = []
        var looksLikeSQL: Bool {
            // Statements, and the fragments they are built from (conditions with `$n` placeholders).
            text.range(of: #"\b(SELECT|INSERT INTO|UPDATE \w+ SET|DELETE FROM|DECLARE|FETCH|CREATE|ALTER|DROP|LISTEN|WHERE|ORDER BY|LIMIT)\b|\$\d|\$ \?"#,
                       options: .regularExpression) != nil
        }
    }

    static func literals(in source: String) -> [Literal] {
        let chars = Array(source.unicodeScalars)
        var result: [Literal] = []
        var i = 0
        func startsWith(_ s: String, at index: Int) -> Bool {
            let scalars = Array(s.unicodeScalars)
            return index + scalars.count <= chars.count && Array(chars[index..<index + scalars.count]) == scalars
        }
        while i < chars.count {
            if startsWith("//", at: i) {
                while i < chars.count && chars[i] != "\n" { i += 1 }
                continue
            }
            if chars[i] == "\"" {
                var literal = Literal()
                i = readLiteral(chars, from: i, into: &literal)
                result.append(literal)
                continue
            }
            i += 1
        }
        return result
    }

    /// Reads the literal starting at `start` (a quote, possibly `#`-less `"""`); returns the index after it.
    static func readLiteral(_ chars: [Unicode.Scalar], from start: Int, into literal: inout Literal) -> Int {
        let multiline = start + 2 < chars.count && chars[start + 1] == "\"" && chars[start + 2] == "\""
        var i = start + (multiline ? 3 : 1)
        while i < chars.count {
            if multiline, i + 2 < chars.count, chars[i] == "\"", chars[i + 1] == "\"", chars[i + 2] == "\"" { return i + 3 }
            if !multiline, chars[i] == "\"" { return i + 1 }
            if !multiline, chars[i] == "\n" { return i + 1 }
            if chars[i] == "\\", i + 1 < chars.count {
                if chars[i + 1] == "(" {
                    var depth = 1
                    var j = i + 2
                    var expression = ""
                    while j < chars.count && depth > 0 {
                        if chars[j] == "\"" {
                            var nested = Literal()
                            let end = readLiteral(chars, from: j, into: &nested)
                            expression += String(String.UnicodeScalarView(chars[j..<end]))
                            j = end
                            continue
                        }
                        if chars[j] == "(" { depth += 1 }
                        if chars[j] == ")" { depth -= 1; if depth == 0 { break } }
                        expression.unicodeScalars.append(chars[j])
                        j += 1
                    }
                    literal.interpolations.append(expression)
                    literal.text += " ? "
                    i = j + 1
                    continue
                }
                literal.text.unicodeScalars.append(chars[i + 1])
                i += 2
                continue
            }
            literal.text.unicodeScalars.append(chars[i])
            i += 1
        }
        return i
    }
}
