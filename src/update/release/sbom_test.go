package release

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

const modulesTxt = `# example.com/used v1.2.3
## explicit; go 1.22
example.com/used
example.com/used/sub
# example.com/unused v0.1.0
## explicit
# example.com/old v1.0.0 => example.com/fork v1.0.1
example.com/old
`

const goSum = `example.com/used v1.2.3 h1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=
example.com/used v1.2.3/go.mod h1:BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB=
example.com/unused v0.1.0 h1:CCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCC=
example.com/fork v1.0.1 h1:DDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDD=
`

const inputsLock = `# kind name version sha256
apt      squid                             -                                -
deb      linux-image-6.1.0-56-amd64        6.1.192-2                        a86e2049672f52354c4536a089203b6c82639420424d31c91cf31a181fd4d8f1
deb      linux-image-6.1.0-56-arm64:arm64  6.1.192-2                        6f4ed2d1cb9106bc977c2b1960008f175e2eed5740340634b7894e65ef5acc82
`

// TestSBOM: SPDX 2.3 with the modules compiled in (not the unused one),
// their go.sum hashes (a replacement's own), and the board architecture's
// Debian packages with their archive SHA-256; the same inputs give the same
// bytes.
func TestSBOM(t *testing.T) {
	in := SBOMInput{Board: "virtual", Version: "1.4.0", ModulesTxt: []byte(modulesTxt), GoSum: []byte(goSum),
		InputsLock: []byte(inputsLock), GoVersion: "go1.26.8", Created: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	b, err := SBOM(in)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		SPDXVersion string `json:"spdxVersion"`
		Packages    []struct {
			Name, VersionInfo, Comment string
			Checksums                  []struct{ Algorithm, ChecksumValue string }
		}
		Relationships []struct{ RelationshipType string }
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	if doc.SPDXVersion != "SPDX-2.3" {
		t.Errorf("spdxVersion %q", doc.SPDXVersion)
	}
	got := map[string]string{}
	for _, p := range doc.Packages {
		parts := []string{p.VersionInfo}
		if p.Comment != "" {
			parts = append(parts, p.Comment)
		}
		for _, c := range p.Checksums {
			parts = append(parts, c.Algorithm+":"+c.ChecksumValue)
		}
		got[p.Name] = strings.Join(parts, " ")
	}
	want := map[string]string{
		"picket-virtual":             "1.4.0 Slot image of board virtual (amd64).",
		"stdlib":                     "go1.26.8",
		"example.com/used":           "v1.2.3 go.sum h1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
		"example.com/old":            "v1.0.0 go.sum h1:DDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDD=; replaced by example.com/fork v1.0.1",
		"linux-image-6.1.0-56-amd64": "6.1.192-2 SHA256:a86e2049672f52354c4536a089203b6c82639420424d31c91cf31a181fd4d8f1",
	}
	for n, w := range want {
		if got[n] != w {
			t.Errorf("package %s: %q, want %q", n, got[n], w)
		}
	}
	if len(got) != len(want) {
		t.Errorf("packages %v, want exactly %d", got, len(want))
	}
	if again, _ := SBOM(in); string(again) != string(b) {
		t.Error("same inputs, different document")
	}
	for name, bad := range map[string]SBOMInput{
		"missing sum":   {Board: "virtual", Version: "1", ModulesTxt: []byte(modulesTxt), GoSum: []byte(goSum[:strings.Index(goSum, "example.com/fork")]), Created: in.Created},
		"unknown board": {Board: "toaster", Version: "1", ModulesTxt: []byte(modulesTxt), GoSum: []byte(goSum), Created: in.Created},
		"bad deb line":  {Board: "virtual", Version: "1", ModulesTxt: []byte(modulesTxt), GoSum: []byte(goSum), InputsLock: []byte("deb x 1.0\n"), Created: in.Created},
		"dir replace":   {Board: "virtual", Version: "1", ModulesTxt: []byte("# a.com/x v1.0.0 => ../x\na.com/x\n"), GoSum: []byte(goSum), Created: in.Created},
	} {
		if _, err := SBOM(bad); err == nil {
			t.Errorf("%s: accepted", name)
		} else {
			t.Logf("%s: %v", name, err)
		}
	}
}
