// Package parser turns HSL source text into an abstract syntax tree.
//
// The tree is plain Go structs (ast.go): every expression implements Expr,
// every statement implements Stmt, and every node carries a source
// position. That is the position of the node's first token, except for
// operator nodes (binary, assignment, conditional, subscript, call,
// property, postfix), which carry the position of their operator as their
// field comments state. ParseFile is the entry point; Dump renders a tree
// for debugging and golden tests.
//
// The work is split in three parts:
//
//   - The scanner (lexer.go) splits the source into tokens, one token type
//     per keyword and operator, and checks number, string, raw string and
//     regex literals. It is also a participle lexer definition (Lexer).
//   - Statements and expressions are parsed by recursive descent, with
//     precedence climbing for the binary operators (stmt.go, expr.go,
//     class.go). A double-quoted string is decoded into its parts when the
//     parser reaches it (literals.go), and each `${...}` expression in it
//     is scanned and parsed on its own.
//   - Imports and includes are participle grammar productions (decl.go),
//     run on the same tokens.
//
// Syntax errors are *Error values collected in an ErrorList. After an
// error in a statement the parser skips to the end of that statement and
// goes on, so one call reports up to ten errors. A lexical error, such as
// an unterminated string, ends the parse at once.
package parser
