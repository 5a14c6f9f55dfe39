// Package resolv writes the box's resolver configuration (resolv.conf)
// from the DNS servers and search domains the network manager settled on:
// configured ones, or those learned from DHCPv4, DHCPv6 or the platform.
// Render makes the text; Write puts it in place atomically, so a reader
// (or a power cut) never sees a half-written file.
package resolv

import (
	"bytes"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"strings"

	"picket.dev/picket/src/base/atomicfile"
)

// MaxServers is how many nameserver lines the C library reads
// (MAXNS in resolv.h); more would be silently ignored, so Render drops
// them itself and says so.
const MaxServers = 3

// Limits of the glibc resolver on the search list: at most 6 domains
// before glibc 2.26 and 256 characters in all; later versions lift both,
// but the box keeps to them so every resolver reads the whole list.
const (
	MaxSearch      = 6
	MaxSearchChars = 256
)

// DefaultTimeout and DefaultAttempts are the resolver options used when
// Config leaves them zero: give up on a server after 2 s, try each twice.
// The C library default (5 s, 2 attempts) makes a dead first server cost
// the connection test 10 s per name.
const (
	DefaultTimeout  = 2
	DefaultAttempts = 2
)

// Config is what goes into resolv.conf.
type Config struct {
	// Servers in order of preference. IPv6 link-local servers need their
	// zone (fe80::1%lan0); one without is dropped, since it cannot be
	// reached. Duplicates are dropped.
	Servers []netip.Addr
	// Search is the domain search list, in order.
	Search []string
	// Timeout (seconds, 1-30) and Attempts (1-5); zero means the default.
	Timeout  int
	Attempts int
	// Rotate spreads queries over the servers instead of always asking
	// the first.
	Rotate bool
}

// Render returns the resolv.conf text for c. It never fails: what cannot
// be used (a fourth server, a link-local server without zone, an invalid
// search domain) is left out with a comment saying why, so the file
// explains itself to whoever reads it on the box.
func Render(c Config) []byte {
	var b bytes.Buffer
	b.WriteString("# Written by the Picket network manager; changes here are overwritten.\n")

	var kept []netip.Addr
	for _, s := range c.Servers {
		switch {
		case !s.IsValid():
			continue
		case s.Is6() && s.IsLinkLocalUnicast() && s.Zone() == "":
			fmt.Fprintf(&b, "# dropped nameserver %s: link-local without an interface zone\n", s)
			continue
		case contains(kept, s):
			continue
		}
		kept = append(kept, s)
	}
	if len(kept) > MaxServers {
		for _, s := range kept[MaxServers:] {
			fmt.Fprintf(&b, "# dropped nameserver %s: the resolver reads at most %d\n", s, MaxServers)
		}
		kept = kept[:MaxServers]
	}

	var search []string
	n := 0
	for _, d := range c.Search {
		d = strings.TrimSuffix(strings.TrimSpace(d), ".")
		switch {
		case d == "":
			continue
		case !validDomain(d):
			fmt.Fprintf(&b, "# dropped search domain %q: not a domain name\n", d)
			continue
		case containsString(search, d):
			continue
		case len(search) == MaxSearch:
			fmt.Fprintf(&b, "# dropped search domain %s: at most %d domains\n", d, MaxSearch)
			continue
		case n+len(d)+len(search) > MaxSearchChars:
			fmt.Fprintf(&b, "# dropped search domain %s: the list may hold at most %d characters\n", d, MaxSearchChars)
			continue
		}
		search = append(search, d)
		n += len(d)
	}

	for _, s := range kept {
		fmt.Fprintf(&b, "nameserver %s\n", s) // netip prints the %zone
	}
	if len(search) > 0 {
		fmt.Fprintf(&b, "search %s\n", strings.Join(search, " "))
	}
	timeout := clamp(c.Timeout, DefaultTimeout, 1, 30)
	attempts := clamp(c.Attempts, DefaultAttempts, 1, 5)
	fmt.Fprintf(&b, "options timeout:%d attempts:%d", timeout, attempts)
	if c.Rotate {
		b.WriteString(" rotate")
	}
	b.WriteString("\n")
	return b.Bytes()
}

func clamp(v, def, lo, hi int) int {
	if v == 0 {
		return def
	}
	return max(lo, min(v, hi))
}

func contains(list []netip.Addr, a netip.Addr) bool {
	for _, x := range list {
		if x == a {
			return true
		}
	}
	return false
}

func containsString(list []string, s string) bool {
	for _, x := range list {
		if strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}

// validDomain accepts letters, digits, hyphens and underscores in labels
// of 1-63 characters, 253 in all: nothing that could break the line.
func validDomain(d string) bool {
	if len(d) > 253 {
		return false
	}
	for _, label := range strings.Split(d, ".") {
		if len(label) == 0 || len(label) > 63 {
			return false
		}
		for _, r := range label {
			if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
				return false
			}
		}
	}
	return true
}

// Write puts data at path atomically: it writes a temporary file in the
// same directory, syncs it, renames it over path and syncs the directory,
// so path holds either the old or the new content, whole, even across a
// power cut. When path already holds data it changes nothing and returns
// changed false. The file is mode 0644: every program on the box reads it.
func Write(path string, data []byte) (changed bool, err error) {
	old, err := os.ReadFile(path)
	switch {
	case err == nil && bytes.Equal(old, data):
		return false, nil
	case err != nil && !errors.Is(err, os.ErrNotExist):
		return false, fmt.Errorf("write resolver config: read %s: %w", path, err)
	}
	if err := atomicfile.Write(path, data, 0o644); err != nil {
		return false, fmt.Errorf("write resolver config: %w", err)
	}
	return true, nil
}
