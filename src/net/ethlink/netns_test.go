package ethlink

// Tests against the real kernel, inside a network namespace they create and
// delete even on failure: a tap device (whose driver keeps whatever link
// settings it is given) and a veth pair (whose driver reports settings but
// has no way to set them). ethtool(8), run in the same namespace, checks
// what the kernel holds independently of this package.

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"picket.dev/picket/src/net/netcfg"
	"picket.dev/picket/src/testkit/netbench"
)

func run(t *testing.T, args ...string) string {
	t.Helper()
	out, err := exec.Command(args[0], args[1:]...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

func randHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// newNS creates a network namespace, deleted when the test ends
// (netbench fails the test without root: a skip would hide that nothing
// was tested).
func newNS(t *testing.T) string {
	t.Helper()
	if _, err := exec.LookPath("ethtool"); err != nil {
		t.Fatalf("ethlink tests check the kernel's state with ethtool(8), which is not installed (apt-get install ethtool; listed in third_party/inputs.lock): %v", err)
	}
	return netbench.New(t).NS("ethlink").Name
}

// inNS runs f on an OS thread in namespace ns (netbench.Enter). f must not
// call t.Fatal (other goroutine).
func inNS(t *testing.T, ns string, f func()) {
	t.Helper()
	if err := netbench.Enter(ns, func() error { f(); return nil }); err != nil {
		t.Fatal(err)
	}
}

// ethtoolSays is what `ethtool dev` prints for speed, duplex and autoneg.
func ethtoolSays(t *testing.T, ns, dev string) string {
	t.Helper()
	out := run(t, "ip", "netns", "exec", ns, "ethtool", dev)
	var fields []string
	for _, k := range []string{"Speed", "Duplex", "Auto-negotiation"} {
		m := regexp.MustCompile(`(?m)^\s*` + k + `: (.*)$`).FindStringSubmatch(out)
		if m == nil {
			t.Fatalf("ethtool %s: no %s line in\n%s", dev, k, out)
		}
		fields = append(fields, m[1])
	}
	return strings.Join(fields, " ")
}

// ethtoolWant is what ethtool should print for s.
func ethtoolWant(s Settings) string {
	an := "off"
	if s.Autoneg {
		an = "on"
	}
	return fmt.Sprintf("%dMb/s %s %s", s.SpeedMbps, strings.ToUpper(s.Duplex.String()[:1])+s.Duplex.String()[1:], an)
}

// legacyOnly is c as on a kernel without ETHTOOL_[GS]LINKSETTINGS: those
// fail with EOPNOTSUPP, the legacy requests reach the real kernel.
func legacyOnly(c *Conn) *Conn {
	real := c.ethtool
	return &Conn{fd: -1, ethtool: func(ifname string, data []byte) error {
		if cmd := ne.Uint32(data); cmd == unix.ETHTOOL_GLINKSETTINGS || cmd == unix.ETHTOOL_SLINKSETTINGS {
			return unix.EOPNOTSUPP
		}
		return real(ifname, data)
	}}
}

func TestTap(t *testing.T) {
	ns := newNS(t)
	tap := "tp" + randHex(4)
	run(t, "ip", "-n", ns, "tuntap", "add", "dev", tap, "mode", "tap")

	// The device exists only in the test's namespace: from here it is not
	// found.
	if _, err := Get(tap); !errors.Is(err, unix.ENODEV) || !strings.Contains(err.Error(), tap) {
		t.Errorf("Get(%s) outside its namespace = %v; want ENODEV naming it", tap, err)
	}

	var steps []string
	inNS(t, ns, func() {
		s, err := Get(tap)
		if err != nil {
			t.Errorf("Get(%s): %v", tap, err)
			return
		}
		// The tun driver's defaults: 10 Gb/s full, autoneg off, no modes.
		if s.Autoneg || s.SpeedMbps != 10000 || s.Duplex != DuplexFull || len(s.Supported) != 0 || s.Legacy {
			t.Errorf("new tap: Get = %+v; want 10000 Mb/s full, autoneg off, no modes reported", s)
		}
		if got, want := ethtoolSays(t, ns, tap), ethtoolWant(s); got != want {
			t.Errorf("new tap: ethtool says %q; Get %q", got, want)
		}
		c, err := Open()
		if err != nil {
			t.Errorf("Open: %v", err)
			return
		}
		defer c.Close()
		for _, step := range []struct {
			c    *Conn
			mode netcfg.LinkMode
		}{
			{c, netcfg.Link100Full}, {c, netcfg.LinkAuto},
			{c, netcfg.Link1000Full}, {c, netcfg.Link1000Full}, {c, netcfg.Link100Half},
			{c, netcfg.Link10Full}, {c, netcfg.Link10Half}, {c, netcfg.LinkAuto},
			{legacyOnly(c), netcfg.Link100Half}, {legacyOnly(c), netcfg.LinkAuto}, {legacyOnly(c), netcfg.Link10Full},
		} {
			api := "link settings"
			if step.c != c {
				api = "legacy"
			}
			if err := step.c.Set(tap, step.mode); err != nil {
				t.Errorf("Set(%s, %v) (%s): %v", tap, step.mode, api, err)
				return
			}
			for _, gc := range []*Conn{c, legacyOnly(c)} {
				s, err := gc.Get(tap)
				if err != nil {
					t.Errorf("Get(%s): %v", tap, err)
					return
				}
				if m, ok := s.Mode(); !ok || m != step.mode || s.Legacy != (gc != c) {
					t.Errorf("after Set(%v) (%s): Get = %+v (legacy=%v), mode %v", step.mode, api, s, gc != c, m)
				}
				got, want := ethtoolSays(t, ns, tap), ethtoolWant(s)
				if gc == c {
					steps = append(steps, fmt.Sprintf("Set %-13v (%s) -> Get %s; ethtool %s", step.mode, api, s, got))
				}
				if got != want {
					t.Errorf("after Set(%v) (%s): ethtool says %q; Get %q", step.mode, api, got, want)
				}
			}
		}
	})
	for _, s := range steps {
		t.Log(s)
	}
}

func TestVeth(t *testing.T) {
	ns := newNS(t)
	run(t, "ip", "-n", ns, "link", "add", "veth0", "type", "veth", "peer", "name", "veth1")
	run(t, "ip", "-n", ns, "link", "set", "veth0", "up")
	run(t, "ip", "-n", ns, "link", "set", "veth1", "up")
	before := ethtoolSays(t, ns, "veth0")
	inNS(t, ns, func() {
		s0, err := Get("veth0")
		if err != nil {
			t.Errorf("Get(veth0): %v", err)
			return
		}
		if got := ethtoolWant(s0); got != before {
			t.Errorf("Get(veth0) = %s; ethtool says %s", got, before)
		}
		for _, legacy := range []bool{false, true} {
			for _, m := range netcfg.LinkModes() {
				err := func() error {
					c, err := Open()
					if err != nil {
						return err
					}
					defer c.Close()
					if legacy {
						return legacyOnly(c).Set("veth0", m)
					}
					return c.Set("veth0", m)
				}()
				var ue *UnsupportedError
				if !errors.As(err, &ue) || !errors.Is(err, errors.ErrUnsupported) || !errors.Is(err, unix.EOPNOTSUPP) || ue.RestoreErr != nil {
					t.Errorf("Set(veth0, %v) (legacy=%v) = %v; want an *UnsupportedError from EOPNOTSUPP", m, legacy, err)
					continue
				}
				want := fmt.Sprintf("ethlink: veth0 does not support link mode %s: the driver refused it (operation not supported); it reports no selectable link modes; previous setting kept (%s)", m, s0)
				if err.Error() != want {
					t.Errorf("Set(veth0, %v) error:\n%s\nwant\n%s", m, err, want)
				}
				if m == netcfg.Link100Half {
					t.Logf("Set(veth0, %v): %v", m, err)
				}
				s, err := Get("veth0")
				if err != nil {
					t.Errorf("Get(veth0): %v", err)
				} else if ethtoolWant(s) != ethtoolWant(s0) {
					t.Errorf("after the failed Set(%v): Get = %s; want the previous %s", m, s, s0)
				}
				if got := ethtoolSays(t, ns, "veth0"); got != before {
					t.Errorf("after the failed Set(%v): ethtool says %s; want the previous %s", m, got, before)
				}
			}
		}
	})
}

func TestMain(m *testing.M) {
	// Bazel runs tests with a strict PATH without the sbin directories,
	// where ip(8) and ethtool(8) live.
	os.Setenv("PATH", os.Getenv("PATH")+":/usr/sbin:/sbin")
	os.Exit(m.Run())
}
