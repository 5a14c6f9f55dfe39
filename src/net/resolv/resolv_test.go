package resolv

import (
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func addrs(s ...string) []netip.Addr {
	var out []netip.Addr
	for _, a := range s {
		out = append(out, netip.MustParseAddr(a))
	}
	return out
}

const header = "# Written by the Picket network manager; changes here are overwritten.\n"

func TestRender(t *testing.T) {
	long := strings.Repeat("a", 60) + "." + strings.Repeat("b", 60) + ".test"
	for _, tc := range []struct {
		name string
		c    Config
		want string
	}{
		{"empty", Config{}, "options timeout:2 attempts:2\n"},
		{"IPv4 and IPv6 servers with search", Config{Servers: addrs("192.0.2.53", "fd42:1::53"), Search: []string{"bench.test", "corp.example."}},
			"nameserver 192.0.2.53\nnameserver fd42:1::53\nsearch bench.test corp.example\noptions timeout:2 attempts:2\n"},
		{"at most three servers", Config{Servers: addrs("192.0.2.1", "192.0.2.2", "192.0.2.3", "192.0.2.4", "fd42::5")},
			"# dropped nameserver 192.0.2.4: the resolver reads at most 3\n# dropped nameserver fd42::5: the resolver reads at most 3\n" +
				"nameserver 192.0.2.1\nnameserver 192.0.2.2\nnameserver 192.0.2.3\noptions timeout:2 attempts:2\n"},
		{"duplicates and invalid dropped", Config{Servers: []netip.Addr{{}, netip.MustParseAddr("192.0.2.1"), netip.MustParseAddr("192.0.2.1")}, Search: []string{"a.test", "A.test", " "}},
			"nameserver 192.0.2.1\nsearch a.test\noptions timeout:2 attempts:2\n"},
		{"link-local with zone", Config{Servers: addrs("fe80::1%lan0", "fe80::2")},
			"# dropped nameserver fe80::2: link-local without an interface zone\nnameserver fe80::1%lan0\noptions timeout:2 attempts:2\n"},
		{"bad search domain", Config{Search: []string{"ok.test", "bad domain\nnameserver 6.6.6.6"}},
			"# dropped search domain \"bad domain\\nnameserver 6.6.6.6\": not a domain name\nsearch ok.test\noptions timeout:2 attempts:2\n"},
		{"search list limits", Config{Search: []string{"d1.t", "d2.t", "d3.t", long, long + "x", "d6.t", "d7.t", "d8.t"}},
			"# dropped search domain " + long + "x: the list may hold at most 256 characters\n# dropped search domain d8.t: at most 6 domains\n" +
				"search d1.t d2.t d3.t " + long + " d6.t d7.t\noptions timeout:2 attempts:2\n"},
		{"options", Config{Timeout: 99, Attempts: 3, Rotate: true}, "options timeout:30 attempts:3 rotate\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := string(Render(tc.c)); got != header+tc.want {
				t.Errorf("Render =\n%s\nwant\n%s", got, header+tc.want)
			}
		})
	}
}

func TestSearchCharsBoundary(t *testing.T) {
	// Two domains of 127 and 128 characters with the space: exactly 256.
	a := strings.Repeat("a", 63) + "." + strings.Repeat("b", 63)        // 127
	b := strings.Repeat("c", 63) + "." + strings.Repeat("d", 62) + ".e" // 128
	out := string(Render(Config{Search: []string{a, b}}))
	if !strings.Contains(out, "search "+a+" "+b+"\n") {
		t.Errorf("a 256-character list was cut:\n%s", out)
	}
}

// files lists dir's entries, to show that Write leaves no temporary file.
func files(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	return names
}

func TestWrite(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "resolv.conf")
	first := Render(Config{Servers: addrs("192.0.2.53")})
	second := Render(Config{Servers: addrs("fd42:1::53"), Search: []string{"bench.test"}})

	for i, step := range []struct {
		data        []byte
		wantChanged bool
	}{{first, true}, {first, false}, {second, true}, {second, false}, {first, true}} {
		changed, err := Write(path, step.data)
		if err != nil {
			t.Fatalf("write %d: %v", i, err)
		}
		if changed != step.wantChanged {
			t.Errorf("write %d: changed = %v, want %v", i, changed, step.wantChanged)
		}
		got, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != string(step.data) {
			t.Errorf("write %d: file holds\n%s\nwant\n%s", i, got, step.data)
		}
		// Only the final file: the temporary one was renamed, not left.
		if names := files(t, dir); len(names) != 1 || names[0] != "resolv.conf" {
			t.Errorf("write %d: directory holds %q, want only resolv.conf", i, names)
		}
		if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o644 {
			t.Errorf("write %d: mode %v (%v), want 0644", i, fi.Mode(), err)
		}
	}
}

// TestWriteReplacesNotRewrites: the new content arrives by rename, so a
// reader holding the old file keeps reading the old content whole; an
// in-place rewrite would show it a truncated or mixed file.
func TestWriteReplacesNotRewrites(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "resolv.conf")
	old := Render(Config{Servers: addrs("192.0.2.1", "192.0.2.2", "192.0.2.3")})
	if _, err := Write(path, old); err != nil {
		t.Fatal(err)
	}
	reader, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer reader.Close()
	before, _ := os.Stat(path)

	if _, err := Write(path, Render(Config{})); err != nil {
		t.Fatal(err)
	}
	after, _ := os.Stat(path)
	if os.SameFile(before, after) {
		t.Errorf("Write rewrote the file in place; want a new file renamed over it")
	}
	held := make([]byte, 4096)
	n, _ := reader.Read(held)
	if string(held[:n]) != string(old) {
		t.Errorf("a reader of the old file saw %q, want the old content whole", held[:n])
	}
}

func TestWriteErrors(t *testing.T) {
	dir := t.TempDir()
	// The directory does not exist: nothing is written, the error says where.
	_, err := Write(filepath.Join(dir, "nosuch", "resolv.conf"), []byte("x"))
	if err == nil || !strings.Contains(err.Error(), "nosuch") {
		t.Errorf("Write into a missing directory: %v", err)
	}
	// The path is a directory: the rename fails and the temporary file goes.
	target := filepath.Join(dir, "isdir")
	if err := os.Mkdir(target, 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := Write(target, []byte("x")); err == nil {
		t.Errorf("Write over a directory succeeded")
	}
	if names := files(t, dir); len(names) != 1 || names[0] != "isdir" {
		t.Errorf("failed Write left %q behind", names)
	}
}
