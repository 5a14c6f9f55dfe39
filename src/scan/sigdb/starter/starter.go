// Package starter is the starter signature database (issue 14): the
// checks baked into the image, as the source text of docs/signatures.md's
// format (starter.sigs), written by the project from public advisories.
// The image build signs and packages the file; tests compile it and run it
// over the scan bench (tests/vuln). docs/starter-checks.md lists the checks
// with their bench cases.
package starter

import _ "embed"

//go:embed starter.sigs
var source string

// Source returns the database's source text (a fresh copy: callers may keep
// or change it).
func Source() []byte { return []byte(source) }
