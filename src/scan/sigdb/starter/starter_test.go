package starter

import (
	"strings"
	"testing"

	"picket.dev/picket/src/scan/result"
	"picket.dev/picket/src/scan/sigdb"
)

// The starter database compiles (the parser and compiler check every field,
// the CVSS scores against their vectors and the safety rules), holds at
// least 40 checks as issue 14 asks, and covers every check class.
func TestStarterCompiles(t *testing.T) {
	db, err := sigdb.Compile(Source())
	if err != nil {
		t.Fatalf("starter.sigs: %v", err)
	}
	if db.Len() < 40 {
		t.Errorf("%d signatures, want at least 40", db.Len())
	}
	if db.Version() == "" || db.Date().IsZero() {
		t.Errorf("header: version %q date %v", db.Version(), db.Date())
	}
	src := string(Source())
	for _, c := range result.CheckClasses {
		if !strings.Contains(src, "\nclass: "+string(c)+"\n") {
			t.Errorf("no check of class %s", c)
		}
	}
	// Every id follows the project's PKT-<AREA>-<NNNN> scheme.
	for _, id := range db.IDs() {
		if !strings.HasPrefix(id, "PKT-") {
			t.Errorf("id %s: not a PKT- id", id)
		}
	}
	t.Logf("%d signatures, version %s", db.Len(), db.Version())
}

func TestSourceIsACopy(t *testing.T) {
	a := Source()
	a[0] = 'X'
	if Source()[0] == 'X' {
		t.Error("Source shares its bytes with callers")
	}
}
