// Package layers_test enforces the import rules written in
// docs/architecture.md ("Import rules"): it reads the rule tables from that
// file, asks the go command for every package's imports, and fails on each
// arrow the rules forbid. The rules live in the document, not here, so the
// map a newcomer reads and the check that CI runs cannot drift apart.
//
// It needs the go command (go list), so it runs under go test only; the
// test command (tools/test) runs it with -count=1, since go's test cache
// does not know that a changed import anywhere in the tree changes its
// result.
package layers_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
)

const module = "picket.dev/picket/"

// pkg is what go list says of one package.
type pkg struct {
	ImportPath   string
	Imports      []string
	TestImports  []string
	XTestImports []string
	Error        *struct{ Err string }
}

// rules are the tables of docs/architecture.md, section "Import rules".
type rules struct {
	layers    []layer             // bottom first
	within    map[[2]string]bool  // allowed arrows inside one layer
	forbidden [][2]string         // pattern -> pattern, whatever the layers say
	confined  map[string][]string // package pattern -> what it may import (project packages)
	noIO      []string            // patterns of packages that do no I/O
	noIOStd   []string            // standard packages those may not import (patterns as for match)
	thirdPty  map[string][]string // module path prefix -> package patterns allowed to import it
	testOnly  []string            // patterns only _test files and tests/ may import
}

type layer struct {
	level    int
	name     string
	patterns []string
}

// match reports whether a package path (relative to the module) matches a
// pattern: an exact path, or "dir/..." for dir and everything below it.
func match(pattern, path string) bool {
	if p, ok := strings.CutSuffix(pattern, "/..."); ok {
		return path == p || strings.HasPrefix(path, p+"/")
	}
	return path == pattern
}

func matchAny(patterns []string, path string) bool {
	for _, p := range patterns {
		if match(p, path) {
			return true
		}
	}
	return false
}

// layerOf gives the layer a package belongs to (the most specific pattern
// wins, so "src/base/..." can hold one package placed elsewhere).
func (r *rules) layerOf(path string) (layer, bool) {
	best, bestLen, found := layer{}, -1, false
	for _, l := range r.layers {
		for _, p := range l.patterns {
			if match(p, path) && len(p) > bestLen {
				best, bestLen, found = l, len(p), true
			}
		}
	}
	return best, found
}

// cells returns the backquoted items of a markdown table cell.
var codeRe = regexp.MustCompile("`([^`]+)`")

func cells(s string) []string {
	var out []string
	for _, m := range codeRe.FindAllStringSubmatch(s, -1) {
		out = append(out, m[1])
	}
	return out
}

// parseRules reads the tables between "<!-- rules:NAME -->" markers: each
// marker names the table that follows it.
func parseRules(t *testing.T, doc []byte) *rules {
	t.Helper()
	r := &rules{within: map[[2]string]bool{}, confined: map[string][]string{}, thirdPty: map[string][]string{}}
	var table string
	seen := map[string]bool{}
	sc := bufio.NewScanner(bytes.NewReader(doc))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if m := regexp.MustCompile(`^<!-- rules:([a-z-]+) -->$`).FindStringSubmatch(line); m != nil {
			table = m[1]
			seen[table] = true
			continue
		}
		if table == "" {
			continue
		}
		if !strings.HasPrefix(line, "|") {
			if line != "" {
				table = ""
			}
			continue
		}
		cols := strings.Split(strings.Trim(line, "|"), "|")
		if strings.HasPrefix(strings.TrimSpace(cols[0]), "---") || len(cells(line)) == 0 {
			continue // header separator or header
		}
		bad := func(why string) { t.Fatalf("docs/architecture.md:%d: rules:%s: %s: %s", n, table, why, line) }
		switch table {
		case "layers": // | level | layer | packages |
			if len(cols) != 3 {
				bad("want 3 columns")
			}
			lv, err := strconv.Atoi(strings.TrimSpace(cols[0]))
			if err != nil {
				bad("level is not a number")
			}
			r.layers = append(r.layers, layer{lv, strings.TrimSpace(cols[1]), cells(cols[2])})
		case "within": // | from | to |
			if len(cols) < 2 || len(cells(cols[0])) != 1 || len(cells(cols[1])) == 0 {
				bad("want one package and the packages it may import")
			}
			for _, to := range cells(cols[1]) {
				r.within[[2]string{cells(cols[0])[0], to}] = true
			}
		case "forbidden": // | from | to | why |
			if len(cols) < 2 || len(cells(cols[0])) != 1 || len(cells(cols[1])) != 1 {
				bad("want one pattern on each side")
			}
			r.forbidden = append(r.forbidden, [2]string{cells(cols[0])[0], cells(cols[1])[0]})
		case "confined": // | packages | may import only |
			for _, p := range cells(cols[0]) {
				r.confined[p] = cells(cols[1])
			}
		case "no-io": // | packages | standard packages they may not import |
			r.noIO = append(r.noIO, cells(cols[0])...)
			r.noIOStd = append(r.noIOStd, cells(cols[1])...)
		case "third-party": // | module | allowed in |
			if len(cells(cols[0])) != 1 {
				bad("want one module")
			}
			r.thirdPty[cells(cols[0])[0]] = cells(cols[1])
		case "test-only": // | packages |
			r.testOnly = append(r.testOnly, cells(cols[0])...)
		default:
			bad("unknown table")
		}
	}
	for _, want := range []string{"layers", "within", "forbidden", "confined", "no-io", "third-party", "test-only"} {
		if !seen[want] {
			t.Fatalf("docs/architecture.md has no <!-- rules:%s --> table", want)
		}
	}
	sort.SliceStable(r.layers, func(i, j int) bool { return r.layers[i].level < r.layers[j].level })
	return r
}

// repoRoot is the module's directory, from the go command.
func repoRoot(t *testing.T) string {
	t.Helper()
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		t.Fatalf("go env GOMOD: %v (this test needs the go command)", err)
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == os.DevNull {
		t.Fatal("not inside the picket module")
	}
	return filepath.Dir(gomod)
}

func listPackages(t *testing.T, root string) []pkg {
	t.Helper()
	cmd := exec.Command("go", "list", "-e", "-json=ImportPath,Imports,TestImports,XTestImports,Error", "./...")
	cmd.Dir = root
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v: %s", err, stderr.Bytes())
	}
	var pkgs []pkg
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p pkg
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			t.Fatalf("go list output: %v", err)
		}
		if p.Error != nil {
			t.Errorf("go list %s: %s", p.ImportPath, p.Error.Err)
		}
		pkgs = append(pkgs, p)
	}
	return pkgs
}

// isStd reports whether an import path is of the standard library (no dot
// in its first element).
func isStd(path string) bool {
	first, _, _ := strings.Cut(path, "/")
	return !strings.Contains(first, ".")
}

// check returns every violation of the rules by the packages, one line
// each, "from -> to: rule".
func check(r *rules, pkgs []pkg) []string {
	var bad []string
	add := func(from, to, why string, args ...any) {
		bad = append(bad, fmt.Sprintf("%s -> %s: %s", from, to, fmt.Sprintf(why, args...)))
	}
	for _, p := range pkgs {
		from, ok := strings.CutPrefix(p.ImportPath, module)
		if !ok {
			continue
		}
		inSrc := match("src/...", from) || match("platforms/...", from)
		// Test files of any package: never cmd/, and src/ never tests/.
		for _, imp := range slices.Concat(p.Imports, p.TestImports, p.XTestImports) {
			to, ok := strings.CutPrefix(imp, module)
			if !ok || to == from {
				continue
			}
			if match("src/cmd/...", to) {
				add(from, to, "nothing imports a main (src/cmd/...)")
			}
			if inSrc && match("tests/...", to) {
				add(from, to, "src/ imports nothing from tests/ (test helpers live in src/testkit)")
			}
		}
		if !inSrc {
			continue // tests/ may import any src/ package that is not a main
		}
		fromLayer, placed := r.layerOf(from)
		if !placed {
			add(from, "(any)", "package is in no layer of docs/architecture.md: place it there")
			continue
		}
		for _, imp := range p.Imports {
			to, ours := strings.CutPrefix(imp, module)
			if !ours {
				if isStd(imp) {
					if matchAny(r.noIO, from) {
						for _, s := range r.noIOStd {
							if match(s, imp) {
								add(from, imp, "a no-I/O package imports an I/O package of the standard library")
							}
						}
					}
					continue
				}
				if matchAny(r.noIO, from) {
					add(from, imp, "a no-I/O package imports a third-party package")
				}
				for mod, allowed := range r.thirdPty {
					if (imp == mod || strings.HasPrefix(imp, mod+"/")) && !matchAny(allowed, from) {
						add(from, imp, "%s is confined to %s", mod, strings.Join(allowed, " "))
					}
				}
				continue
			}
			if matchAny(r.testOnly, to) && !matchAny(r.testOnly, from) {
				add(from, to, "test-only package imported by non-test code")
			}
			toLayer, placed := r.layerOf(to)
			if !placed {
				continue // reported as its own package
			}
			switch {
			case toLayer.level > fromLayer.level:
				add(from, to, "upward: layer %d %s imports layer %d %s", fromLayer.level, fromLayer.name, toLayer.level, toLayer.name)
			case toLayer.level == fromLayer.level && toLayer.name == fromLayer.name && !matchAny(r.testOnly, from):
				allowed := false
				for e := range r.within {
					if match(e[0], from) && match(e[1], to) {
						allowed = true
					}
				}
				if !allowed {
					add(from, to, "sideways inside layer %d %s, not a listed edge", fromLayer.level, fromLayer.name)
				}
			}
			for _, f := range r.forbidden {
				if match(f[0], from) && match(f[1], to) {
					add(from, to, "forbidden edge")
				}
			}
			for c, allowed := range r.confined {
				if match(c, from) && !matchAny(allowed, to) {
					add(from, to, "%s may import only %s", c, strings.Join(allowed, " "))
				}
			}
			if matchAny(r.noIO, from) && !matchAny(r.noIO, to) && !match("platforms/board", to) {
				add(from, to, "a no-I/O package imports a package that is not no-I/O")
			}
		}
	}
	sort.Strings(bad)
	return slices.Compact(bad)
}

func loadRules(t *testing.T, root string) *rules {
	t.Helper()
	doc, err := os.ReadFile(filepath.Join(root, "docs", "architecture.md"))
	if err != nil {
		t.Fatal(err)
	}
	return parseRules(t, doc)
}

// TestImportRules is the check itself: the tree as it is against the rules.
func TestImportRules(t *testing.T) {
	root := repoRoot(t)
	r := loadRules(t, root)
	pkgs := listPackages(t, root)
	if len(pkgs) < 50 {
		t.Fatalf("go list found %d packages; expected the whole tree", len(pkgs))
	}
	for _, v := range check(r, pkgs) {
		t.Error(v)
	}
}

// TestRulesCatch feeds the checker arrows that each rule must refuse (and
// some it must let through), so a rule table that parses but says nothing
// is noticed.
func TestRulesCatch(t *testing.T) {
	r := loadRules(t, repoRoot(t))
	p := func(path string, imports ...string) pkg {
		var full []string
		for _, i := range imports {
			if !strings.Contains(strings.Split(i, "/")[0], ".") && (strings.HasPrefix(i, "src/") || strings.HasPrefix(i, "tests/") || strings.HasPrefix(i, "platforms/")) {
				i = module + i
			}
			full = append(full, i)
		}
		return pkg{ImportPath: module + path, Imports: full}
	}
	tests := []struct {
		p       pkg
		wantBad bool
	}{
		{p("src/panel/menu", "src/panel/fieldedit", "src/net/netcfg"), false},
		{p("src/panel/menu", "os"), true},                      // menu does no I/O
		{p("src/panel/fieldedit", "net"), true},                // nor the field editors
		{p("src/panel/menu", "src/net/netapi"), true},          // a package that does I/O
		{p("src/net/netcfg", "src/net/netmgr"), true},          // upward
		{p("src/net/netmgr", "src/link/platformlink"), true},   // service to service
		{p("src/net/netmgr", "src/cmd/netmgrd"), true},         // a main
		{p("src/net/conncheck", "src/net/netapi"), true},       // forbidden edge
		{p("src/link/platformlink", "src/net/netstore"), true}, // forbidden edge
		{p("src/platform/web", "src/net/netmgr"), true},        // platform confined
		{p("src/platform/fleet", "src/net/netcfg"), false},     // config validation is shared
		{p("src/net/netmgr", "github.com/vishvananda/netlink"), true},
		{p("src/net/netapply", "github.com/vishvananda/netlink"), false},
		{p("src/net/proxy", "src/testkit/netbench"), true}, // test-only
		{p("src/net/proxy", "tests/testinput"), true},      // src never imports tests/
		{p("src/newthing", "fmt"), true},                   // unplaced package
	}
	for _, tt := range tests {
		got := check(r, []pkg{tt.p})
		if (len(got) > 0) != tt.wantBad {
			t.Errorf("%s imports %v: violations %q, want bad=%v", tt.p.ImportPath, tt.p.Imports, got, tt.wantBad)
		}
	}
	// A test file of a src package may use the test kit, never tests/.
	tp := pkg{ImportPath: module + "src/net/proxy", TestImports: []string{module + "src/testkit/netbench"}}
	if got := check(r, []pkg{tp}); len(got) != 0 {
		t.Errorf("test import of src/testkit: %q, want allowed", got)
	}
	tp.TestImports = []string{module + "tests/testinput"}
	if got := check(r, []pkg{tp}); len(got) == 0 {
		t.Error("test import of tests/ from src: allowed, want refused")
	}
}
