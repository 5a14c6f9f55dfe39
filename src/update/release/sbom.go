package release

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"time"

	"picket.dev/picket/platforms/board"
)

// SBOMInput is what a release's software bill of materials is made from:
// the build's own inputs, not a scan of the image.
type SBOMInput struct {
	// Board and Version name the release ("picket-<board>" version V).
	Board, Version string
	// ModulesTxt is vendor/modules.txt: the Go modules compiled in (those
	// with at least one vendored package), with their versions.
	ModulesTxt []byte
	// GoSum is go.sum: each module's h1: sum (the go command's hash of the
	// module's files).
	GoSum []byte
	// InputsLock is third_party/inputs.lock: its "deb" lines are the
	// Debian packages the image takes files from (kernel, boot loaders),
	// with version and the archive's SHA-256; those of the board's
	// architecture are listed.
	InputsLock []byte
	// GoVersion is the Go toolchain ("go1.26.8"), listed as the standard
	// library's package; empty leaves it out.
	GoVersion string
	// Created is the document's creation time (SOURCE_DATE_EPOCH for a
	// reproducible document).
	Created time.Time
}

// GoModule is a vendored module and its go.sum hash.
type GoModule struct {
	Path, Version string
	// Replace is "path version" of a replacement, if any.
	Replace string
	H1      string // "h1:..."
}

// DebPackage is a Debian package of inputs.lock.
type DebPackage struct {
	Name, Arch, Version string
	SHA256              string
}

// spdx* are the parts of SPDX 2.3's JSON form used here.
type spdxDoc struct {
	SPDXVersion       string             `json:"spdxVersion"`
	DataLicense       string             `json:"dataLicense"`
	SPDXID            string             `json:"SPDXID"`
	Name              string             `json:"name"`
	DocumentNamespace string             `json:"documentNamespace"`
	CreationInfo      spdxCreation       `json:"creationInfo"`
	DocumentDescribes []string           `json:"documentDescribes"`
	Packages          []spdxPackage      `json:"packages"`
	Relationships     []spdxRelationship `json:"relationships"`
}

type spdxCreation struct {
	Created  string   `json:"created"`
	Creators []string `json:"creators"`
}

type spdxPackage struct {
	SPDXID           string         `json:"SPDXID"`
	Name             string         `json:"name"`
	VersionInfo      string         `json:"versionInfo"`
	Supplier         string         `json:"supplier,omitempty"`
	DownloadLocation string         `json:"downloadLocation"`
	FilesAnalyzed    bool           `json:"filesAnalyzed"`
	Checksums        []spdxChecksum `json:"checksums,omitempty"`
	LicenseConcluded string         `json:"licenseConcluded"`
	LicenseDeclared  string         `json:"licenseDeclared"`
	CopyrightText    string         `json:"copyrightText"`
	PrimaryPurpose   string         `json:"primaryPackagePurpose,omitempty"`
	ExternalRefs     []spdxRef      `json:"externalRefs,omitempty"`
	Comment          string         `json:"comment,omitempty"`
}

type spdxChecksum struct {
	Algorithm string `json:"algorithm"`
	Value     string `json:"checksumValue"`
}

type spdxRef struct {
	Category string `json:"referenceCategory"`
	Type     string `json:"referenceType"`
	Locator  string `json:"referenceLocator"`
}

type spdxRelationship struct {
	Element string `json:"spdxElementId"`
	Type    string `json:"relationshipType"`
	Related string `json:"relatedSpdxElement"`
}

var (
	modulePathRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._~/+-]*$`)
	modVersionRE = regexp.MustCompile(`^v[0-9][A-Za-z0-9.+-]*$`)
	h1RE         = regexp.MustCompile(`^h1:[A-Za-z0-9+/]{43}=$`)
	debNameRE    = regexp.MustCompile(`^[a-z0-9][a-z0-9+.-]+$`)
	debVersionRE = regexp.MustCompile(`^[0-9A-Za-z.+~:-]+$`)
	idRE         = regexp.MustCompile(`[^A-Za-z0-9.-]+`)
)

// ParseGoModules reads the modules of vendor/modules.txt that have
// vendored packages (the ones compiled in), with their h1: sums from
// go.sum. A module without a sum, or a malformed line, is an error naming
// the line.
func ParseGoModules(modulesTxt, goSum []byte) ([]GoModule, error) {
	sums := map[string]string{}
	for i, line := range lines(goSum) {
		if line == "" {
			continue
		}
		f := strings.Fields(line)
		if len(f) != 3 {
			return nil, fmt.Errorf("go.sum line %d: want \"module version h1:hash\"", i+1)
		}
		if strings.HasSuffix(f[1], "/go.mod") {
			continue
		}
		if !h1RE.MatchString(f[2]) {
			return nil, fmt.Errorf("go.sum line %d: %q is not an h1: hash", i+1, f[2])
		}
		sums[f[0]+" "+f[1]] = f[2]
	}
	var mods []GoModule
	var cur *GoModule // the module whose packages follow
	used := false
	flush := func() {
		if cur != nil && used {
			mods = append(mods, *cur)
		}
		cur, used = nil, false
	}
	for i, line := range lines(modulesTxt) {
		switch {
		case line == "" || strings.HasPrefix(line, "## "):
		case strings.HasPrefix(line, "# "):
			flush()
			f := strings.Fields(line[2:])
			var m GoModule
			switch {
			case len(f) == 2:
				m = GoModule{Path: f[0], Version: f[1]}
			case len(f) == 5 && f[2] == "=>":
				m = GoModule{Path: f[0], Version: f[1], Replace: f[3] + " " + f[4]}
			case len(f) >= 3 && (f[1] == "=>" || f[2] == "=>"):
				return nil, fmt.Errorf("modules.txt line %d: %s is replaced by a directory: not a release build", i+1, f[0])
			default:
				return nil, fmt.Errorf("modules.txt line %d: want \"# module version\"", i+1)
			}
			if !modulePathRE.MatchString(m.Path) || !modVersionRE.MatchString(m.Version) {
				return nil, fmt.Errorf("modules.txt line %d: module %q version %q", i+1, m.Path, m.Version)
			}
			key := m.Path + " " + m.Version
			if m.Replace != "" {
				key = m.Replace
			}
			h1, ok := sums[key]
			if !ok {
				return nil, fmt.Errorf("modules.txt line %d: no go.sum hash for %s", i+1, key)
			}
			m.H1 = h1
			cur = &m
		case strings.HasPrefix(line, "#"):
			return nil, fmt.Errorf("modules.txt line %d: unknown line", i+1)
		default:
			if cur == nil {
				return nil, fmt.Errorf("modules.txt line %d: package %q before any module", i+1, line)
			}
			used = true
		}
	}
	flush()
	if len(mods) == 0 {
		return nil, errors.New("modules.txt: no vendored module")
	}
	return mods, nil
}

// ParseDebs reads the "deb" lines of inputs.lock ("deb NAME[:ARCH]
// VERSION SHA256"); arch is the package's Debian architecture (the build
// host's, amd64, when the name has none).
func ParseDebs(inputsLock []byte) ([]DebPackage, error) {
	var out []DebPackage
	for i, line := range lines(inputsLock) {
		if strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Fields(line)
		if len(f) == 0 || f[0] != "deb" {
			continue
		}
		if len(f) != 4 {
			return nil, fmt.Errorf("inputs.lock line %d: want \"deb name[:arch] version sha256\"", i+1)
		}
		name, arch, ok := strings.Cut(f[1], ":")
		if !ok {
			arch = "amd64"
		}
		if !debNameRE.MatchString(name) || !debNameRE.MatchString(arch) || !debVersionRE.MatchString(f[2]) || !sha256RE.MatchString(f[3]) {
			return nil, fmt.Errorf("inputs.lock line %d: deb %q version %q sha256 %q: malformed", i+1, f[1], f[2], f[3])
		}
		out = append(out, DebPackage{Name: name, Arch: arch, Version: f[2], SHA256: f[3]})
	}
	return out, nil
}

var sha256RE = regexp.MustCompile(`^[0-9a-f]{64}$`)

// debArch is Debian's name of a board's architecture.
func debArch(goarch string) string {
	if goarch == "arm" {
		return "armhf"
	}
	return goarch
}

// lines splits b into its lines without trailing white space; index i is
// the file's line i+1 (empty lines are kept, as "", so errors count right).
func lines(b []byte) []string {
	var out []string
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		out = append(out, strings.TrimRight(sc.Text(), " \t\r"))
	}
	return out
}

func spdxID(kind, name, version string) string {
	return "SPDXRef-" + kind + "-" + strings.Trim(idRE.ReplaceAllString(name+"-"+version, "-"), "-")
}

// SBOM writes the SPDX 2.3 JSON document of a release: the product
// package (picket-<board> at the release version) that CONTAINS every
// vendored Go module (version, go.sum h1: hash, purl pkg:golang/...), the
// Go standard library, and the Debian packages of inputs.lock for the
// board's architecture (version, the .deb's SHA-256, purl pkg:deb/debian/...).
// The document is a function of its inputs: the same inputs give the same
// bytes (its namespace is derived from their hash).
func SBOM(in SBOMInput) ([]byte, error) {
	b, err := board.Lookup(in.Board)
	if err != nil {
		return nil, fmt.Errorf("sbom: %w", err)
	}
	if !debVersionRE.MatchString(in.Version) || in.Version == "" {
		return nil, fmt.Errorf("sbom: version %q: want letters, digits and . + ~ : -", in.Version)
	}
	if in.Created.IsZero() {
		return nil, errors.New("sbom: no creation time")
	}
	mods, err := ParseGoModules(in.ModulesTxt, in.GoSum)
	if err != nil {
		return nil, fmt.Errorf("sbom: %w", err)
	}
	debs, err := ParseDebs(in.InputsLock)
	if err != nil {
		return nil, fmt.Errorf("sbom: %w", err)
	}
	product := "picket-" + b.Name
	top := spdxPackage{
		SPDXID: "SPDXRef-Product", Name: product, VersionInfo: in.Version,
		Supplier: "Organization: Picket", DownloadLocation: "NOASSERTION",
		LicenseConcluded: "NOASSERTION", LicenseDeclared: "NOASSERTION", CopyrightText: "NOASSERTION",
		PrimaryPurpose: "FIRMWARE",
		Comment:        fmt.Sprintf("Slot image of board %s (%s).", b.Name, b.GOARCH),
	}
	pkgs := []spdxPackage{top}
	rels := []spdxRelationship{{"SPDXRef-DOCUMENT", "DESCRIBES", top.SPDXID}}
	seen := map[string]bool{}
	add := func(p spdxPackage) error {
		if seen[p.SPDXID] {
			return fmt.Errorf("sbom: %s %s listed twice", p.Name, p.VersionInfo)
		}
		seen[p.SPDXID] = true
		pkgs = append(pkgs, p)
		rels = append(rels, spdxRelationship{top.SPDXID, "CONTAINS", p.SPDXID})
		return nil
	}
	if in.GoVersion != "" {
		if !strings.HasPrefix(in.GoVersion, "go") {
			return nil, fmt.Errorf("sbom: Go version %q: want go1.N.M", in.GoVersion)
		}
		if err := add(spdxPackage{
			SPDXID: spdxID("Go", "stdlib", in.GoVersion), Name: "stdlib", VersionInfo: in.GoVersion,
			DownloadLocation: "https://go.dev/dl/", LicenseConcluded: "NOASSERTION", LicenseDeclared: "BSD-3-Clause",
			CopyrightText: "NOASSERTION", PrimaryPurpose: "LIBRARY",
			ExternalRefs: []spdxRef{{"PACKAGE-MANAGER", "purl", "pkg:golang/stdlib@" + strings.TrimPrefix(in.GoVersion, "go")}},
		}); err != nil {
			return nil, err
		}
	}
	for _, m := range mods {
		p := spdxPackage{
			SPDXID: spdxID("Go", m.Path, m.Version), Name: m.Path, VersionInfo: m.Version,
			DownloadLocation: "https://proxy.golang.org/" + m.Path + "/@v/" + m.Version + ".zip",
			LicenseConcluded: "NOASSERTION", LicenseDeclared: "NOASSERTION", CopyrightText: "NOASSERTION",
			PrimaryPurpose: "LIBRARY",
			ExternalRefs:   []spdxRef{{"PACKAGE-MANAGER", "purl", "pkg:golang/" + m.Path + "@" + m.Version}},
			// The h1: hash is the go command's hash of the module's file
			// tree (not of the zip), so not an SPDX checksum.
			Comment: "go.sum " + m.H1,
		}
		if m.Replace != "" {
			p.Comment += "; replaced by " + m.Replace
		}
		if err := add(p); err != nil {
			return nil, err
		}
	}
	want := debArch(b.GOARCH)
	for _, d := range debs {
		if d.Arch != want {
			continue
		}
		if err := add(spdxPackage{
			SPDXID: spdxID("Deb", d.Name, d.Version), Name: d.Name, VersionInfo: d.Version,
			Supplier:         "Organization: Debian",
			DownloadLocation: "NOASSERTION", FilesAnalyzed: false,
			Checksums:        []spdxChecksum{{"SHA256", d.SHA256}},
			LicenseConcluded: "NOASSERTION", LicenseDeclared: "NOASSERTION", CopyrightText: "NOASSERTION",
			PrimaryPurpose: "OPERATING-SYSTEM",
			ExternalRefs:   []spdxRef{{"PACKAGE-MANAGER", "purl", fmt.Sprintf("pkg:deb/debian/%s@%s?arch=%s", d.Name, d.Version, d.Arch)}},
		}); err != nil {
			return nil, err
		}
	}
	sort.SliceStable(pkgs[1:], func(i, j int) bool { return pkgs[1+i].SPDXID < pkgs[1+j].SPDXID })
	sort.SliceStable(rels[1:], func(i, j int) bool { return rels[1+i].Related < rels[1+j].Related })
	h := sha256.New()
	for _, part := range [][]byte{in.ModulesTxt, in.GoSum, in.InputsLock, []byte(in.Board), []byte(in.Version), []byte(in.GoVersion)} {
		fmt.Fprintf(h, "%d:", len(part))
		h.Write(part)
	}
	doc := spdxDoc{
		SPDXVersion: "SPDX-2.3", DataLicense: "CC0-1.0", SPDXID: "SPDXRef-DOCUMENT",
		Name:              product + "-" + in.Version,
		DocumentNamespace: "https://picket.dev/spdx/" + product + "/" + in.Version + "/" + hex.EncodeToString(h.Sum(nil)[:16]),
		CreationInfo: spdxCreation{
			Created:  in.Created.UTC().Format(time.RFC3339),
			Creators: []string{"Tool: picket-release"},
		},
		DocumentDescribes: []string{top.SPDXID},
		Packages:          pkgs,
		Relationships:     rels,
	}
	out, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("sbom: %w", err)
	}
	return append(out, '\n'), nil
}
