package netstore

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"picket.dev/picket/src/base/atomicfile"
	"picket.dev/picket/src/net/netcfg"
	"picket.dev/picket/src/testkit/crashfs"
)

// put writes a file into m directly, as durable content.
func put(t *testing.T, m *crashfs.FS, name string, data []byte) {
	t.Helper()
	if err := writeAtomic(m, name, data, 0o600); err != nil {
		t.Fatal(err)
	}
}

func mustRead(t *testing.T, fsys FS, name string) []byte {
	t.Helper()
	b, err := readFile(fsys, name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// sealedFor seals pw with the key of the box whose data partition is m.
func sealedFor(t *testing.T, m *crashfs.FS, pw string) string {
	t.Helper()
	key, err := loadKey(m, testRand(3), true)
	if err != nil {
		t.Fatal(err)
	}
	s, err := seal(key, testRand(4), pw, passwordAAD)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestLoadFallback(t *testing.T) {
	tests := []struct {
		name    string
		prepare func(t *testing.T, m *crashfs.FS, s *Store)
		source  Source
		config  netcfg.Config
		reasons []string // parts of Loaded.Reason, in order
	}{
		{
			name:    "nothing stored",
			prepare: func(*testing.T, *crashfs.FS, *Store) {},
			source:  FromDefaults, config: netcfg.Default(),
			reasons: []string{"config/network.json: not stored yet", "config/network.json.lkg: not stored yet"},
		},
		{
			name:    "stored",
			prepare: func(t *testing.T, _ *crashfs.FS, s *Store) { must(t, s.Save(cfgA()), s.MarkGood(cfgB())) },
			source:  FromStored, config: cfgA(),
		},
		{
			name: "stored file torn, last-known-good used",
			prepare: func(t *testing.T, m *crashfs.FS, s *Store) {
				must(t, s.Save(cfgA()), s.MarkGood(cfgB()))
				b := mustRead(t, m, ConfigFile)
				put(t, m, ConfigFile, b[:len(b)/2])
			},
			source: FromLastKnownGood, config: cfgB(),
			reasons: []string{"config/network.json: not valid JSON"},
		},
		{
			name: "stored config invalid",
			prepare: func(t *testing.T, m *crashfs.FS, s *Store) {
				must(t, s.MarkGood(cfgB()))
				put(t, m, ConfigFile, []byte(`{"version":2,"config":{"vlan":5000}}`))
			},
			source: FromLastKnownGood, config: cfgB(),
			reasons: []string{"config/network.json: invalid configuration: vlan: 5000 is out of range"},
		},
		{
			name: "newer version",
			prepare: func(t *testing.T, m *crashfs.FS, s *Store) {
				must(t, s.MarkGood(cfgB()))
				put(t, m, ConfigFile, []byte(`{"version":3,"config":{}}`))
			},
			source: FromLastKnownGood, config: cfgB(),
			reasons: []string{"version 3 was written by a newer release; this one reads versions 1 to 2"},
		},
		{
			name: "no version, unknown version",
			prepare: func(t *testing.T, m *crashfs.FS, s *Store) {
				put(t, m, ConfigFile, []byte(`{"config":{}}`))
				put(t, m, LastKnownGoodFile, []byte(`{"version":0}`))
			},
			source: FromDefaults, config: netcfg.Default(),
			reasons: []string{"config/network.json: no version field", "config/network.json.lkg: unknown version 0"},
		},
		{
			name: "unknown enum name",
			prepare: func(t *testing.T, m *crashfs.FS, s *Store) {
				put(t, m, ConfigFile, []byte(`{"version":2,"config":{"mode":"ipv5"}}`))
			},
			source: FromDefaults, config: netcfg.Default(),
			reasons: []string{`version 2: netcfg: unknown mode "ipv5"`},
		},
		{
			name: "key lost: neither copy usable",
			prepare: func(t *testing.T, m *crashfs.FS, s *Store) {
				must(t, s.Save(cfgA()), s.MarkGood(cfgA()), m.Remove(KeyFile))
			},
			source: FromDefaults, config: netcfg.Default(),
			reasons: []string{"config/network.json: proxy password: the key for stored secrets is missing", "network.json.lkg: proxy password: the key"},
		},
		{
			name: "key of the wrong size",
			prepare: func(t *testing.T, m *crashfs.FS, s *Store) {
				must(t, s.Save(cfgA()))
				put(t, m, KeyFile, []byte("short"))
			},
			source: FromDefaults, config: netcfg.Default(),
			reasons: []string{"key file keys/secret.key has 5 bytes, want 32"},
		},
		{
			name: "sealed password tampered with",
			prepare: func(t *testing.T, m *crashfs.FS, s *Store) {
				must(t, s.Save(cfgA()), s.MarkGood(cfgB()))
				var doc map[string]any
				must(t, json.Unmarshal(mustRead(t, m, ConfigFile), &doc))
				sealed := []byte(doc["proxy_password_sealed"].(string))
				sealed[len(sealed)-3] ^= 1
				doc["proxy_password_sealed"] = string(sealed)
				b, _ := json.Marshal(doc)
				put(t, m, ConfigFile, b)
			},
			source: FromLastKnownGood, config: cfgB(),
			reasons: []string{"does not decrypt with this box's key"},
		},
		{
			name: "password in clear in the file",
			prepare: func(t *testing.T, m *crashfs.FS, s *Store) {
				put(t, m, ConfigFile, []byte(`{"version":2,"config":{"proxy":{"host":"p","port":1,"user":"u","password":"Hunter2Hunter2"}}}`))
			},
			source: FromDefaults, config: netcfg.Default(),
			reasons: []string{"the proxy password is stored in clear"},
		},
		{
			name: "sealed by another box",
			prepare: func(t *testing.T, m *crashfs.FS, s *Store) {
				other := crashfs.New()
				must(t, New(other, testRand(9)).Save(cfgA()))
				must(t, s.Save(cfgB())) // this box's own key
				put(t, m, ConfigFile, mustRead(t, other, ConfigFile))
			},
			source: FromDefaults, config: netcfg.Default(),
			reasons: []string{"sealed by another box"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := crashfs.New()
			s := New(m, testRand(1))
			tc.prepare(t, m, s)
			l := s.Load()
			if l.Source != tc.source || !netcfg.Equal(l.Config, tc.config) {
				t.Errorf("Load = %v %v (reason %v); want %v %v", l.Source, l.Config, l.Reason, tc.source, tc.config)
			}
			// Only an empty data partition is a first boot; anything lost
			// or unreadable is not.
			if want := tc.name == "nothing stored"; l.FirstBoot != want {
				t.Errorf("FirstBoot = %v, want %v", l.FirstBoot, want)
			}
			if (l.Reason == nil) != (len(tc.reasons) == 0) {
				t.Fatalf("reason = %v, want parts %q", l.Reason, tc.reasons)
			}
			if l.Reason != nil {
				msg := l.Reason.Error()
				rest := msg
				for _, r := range tc.reasons {
					i := strings.Index(rest, r)
					if i < 0 {
						t.Errorf("reason %q lacks %q (in order)", msg, r)
						break
					}
					rest = rest[i+len(r):]
				}
				for _, pw := range []string{"alpha pw 1", "bravo#2", "Hunter2"} {
					if strings.Contains(msg, pw) {
						t.Errorf("reason reveals a password: %s", msg)
					}
				}
			}
		})
	}
}

func must(t *testing.T, errs ...error) {
	t.Helper()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
}

func TestSaveRefusesInvalid(t *testing.T) {
	m := crashfs.New()
	s := New(m, testRand(1))
	must(t, s.Save(cfgA()))
	before := mustRead(t, m, ConfigFile)
	ops := m.Ops
	bad := cfgA()
	bad.VLAN = 4095
	bad.Proxy.Scheme = "socks5"
	err := s.Save(bad)
	if err == nil || !strings.HasPrefix(err.Error(), "store config: invalid: ") ||
		!strings.Contains(err.Error(), "vlan: 4095") || !strings.Contains(err.Error(), "SOCKS") {
		t.Fatalf("Save(invalid) = %v", err)
	}
	if len(netcfg.Problems(err)) != 2 {
		t.Errorf("problems = %v, want 2", netcfg.Problems(err))
	}
	if m.Ops != ops || !bytes.Equal(mustRead(t, m, ConfigFile), before) {
		t.Error("an invalid config touched the filesystem")
	}
	if err := s.MarkGood(bad); err == nil {
		t.Error("MarkGood took an invalid config")
	}
	if err := s.Reset(bad); err == nil {
		t.Error("Reset took an invalid config")
	}
}

func TestPasswordSealedAtRest(t *testing.T) {
	m := crashfs.New()
	s := New(m, testRand(1))
	must(t, s.Save(cfgA()), s.MarkGood(cfgA()))
	for _, name := range []string{ConfigFile, LastKnownGoodFile} {
		b := mustRead(t, m, name)
		if bytes.Contains(b, []byte("alpha pw 1")) || bytes.Contains(b, []byte(fmt.Sprintf("%x", "alpha pw 1"))) {
			t.Errorf("%s holds the password in clear:\n%s", name, b)
		}
		var doc fileV2
		must(t, json.Unmarshal(b, &doc))
		if doc.Version != FormatVersion || !strings.HasPrefix(doc.ProxyPasswordSealed, "x1:") {
			t.Errorf("%s: version %d, sealed %q", name, doc.Version, doc.ProxyPasswordSealed)
		}
	}
	// A random nonce per write: the same password seals differently.
	var a, b fileV2
	must(t, json.Unmarshal(mustRead(t, m, ConfigFile), &a), json.Unmarshal(mustRead(t, m, LastKnownGoodFile), &b))
	if a.ProxyPasswordSealed == b.ProxyPasswordSealed {
		t.Error("two seals of one password are identical")
	}
	if l := s.Load(); l.Config.Proxy.Password.Reveal() != "alpha pw 1" {
		t.Errorf("password read back wrong: Load %v %v", l.Source, l.Reason)
	}
}

func TestKeyCreatedOnFirstUse(t *testing.T) {
	m := crashfs.New()
	s := New(m, testRand(1))
	noPW := cfgA()
	noPW.Proxy = netcfg.Proxy{}
	must(t, s.Save(noPW))
	if _, err := readFile(m, KeyFile); !isNotExist(err) {
		t.Errorf("key exists before a secret was stored: %v", err)
	}
	must(t, s.Save(cfgA()))
	key := mustRead(t, m, KeyFile)
	if mode, _ := m.Mode(KeyFile); len(key) != 32 || mode != 0o600 {
		t.Errorf("key: %d bytes, mode %v", len(key), mode)
	}
	// Later writes reuse it.
	must(t, s.Save(cfgB()), s.MarkGood(cfgA()))
	if !bytes.Equal(mustRead(t, m, KeyFile), key) {
		t.Error("the key changed")
	}
}

func TestResetDropsLastKnownGood(t *testing.T) {
	m := crashfs.New()
	s := New(m, testRand(1))
	must(t, s.Save(cfgA()), s.MarkGood(cfgA()))
	key := mustRead(t, m, KeyFile)
	r := cfgA().SwitchMode(netcfg.ModeIPv6Only)
	must(t, s.Reset(r))
	if _, err := readFile(m, LastKnownGoodFile); !isNotExist(err) {
		t.Errorf("last-known-good copy survived the reset: %v", err)
	}
	if !bytes.Equal(mustRead(t, m, KeyFile), key) {
		t.Error("reset changed the key (it must keep it)")
	}
	if bytes.Contains(mustRead(t, m, ConfigFile), []byte("proxy_password_sealed")) {
		t.Error("reset config still stores a password")
	}
	l := s.Load()
	if l.Source != FromStored || !netcfg.Equal(l.Config, r) || len(l.Config.Platform.ScanVLANs) != 1 {
		t.Errorf("after reset Load = %v %+v", l.Source, l.Config)
	}
}

func TestFactoryReset(t *testing.T) {
	m := crashfs.New()
	s := New(m, testRand(1))
	must(t, s.Save(cfgA()), s.MarkGood(cfgA()))
	put(t, m, atomicfile.TempName(ConfigFile), []byte("leftover"))
	put(t, m, atomicfile.TempName(KeyFile), []byte("leftover key"))
	must(t, s.FactoryReset())
	if names := m.Names(); len(names) != 0 {
		t.Errorf("files left after factory reset: %v", names)
	}
	if l := s.Load(); l.Source != FromDefaults || !netcfg.Equal(l.Config, netcfg.Default()) {
		t.Errorf("Load after factory reset = %v", l.Source)
	}
	// A second reset on an empty partition is fine.
	must(t, s.FactoryReset())
}

func TestMigrateV1(t *testing.T) {
	tests := []struct {
		name   string
		file   func(t *testing.T, m *crashfs.FS) string
		want   netcfg.Config
		reason string // when it cannot be migrated
	}{
		{
			name: "DHCP, VLAN, link",
			file: func(*testing.T, *crashfs.FS) string {
				return `{"version":1,"lan":{"dhcp":true},"vlan":7,"link":"10baseT/Half"}`
			},
			want: netcfg.Config{VLAN: 7, Link: netcfg.Links{LAN: netcfg.Link10Half}},
		},
		{
			name: "static with lists and a sealed proxy password",
			file: func(t *testing.T, m *crashfs.FS) string {
				return `{"version":1,"lan":{"dhcp":false,"ip":"192.0.2.10","netmask":"255.255.255.128","gateway":"192.0.2.1",` +
					`"dns":["192.0.2.53","192.0.2.54"],"wins":["192.0.2.60"],"domain":"CORP"},` +
					`"proxy":{"enabled":true,"host":"proxy.example.com","port":8080,"user":"CORP\\alice","password_sealed":"` +
					sealedFor(t, m, "old pw") + `"},"link":"AUTO"}`
			},
			want: netcfg.Config{
				LAN: netcfg.LAN{Method: netcfg.IPv4Static, Address: netip.MustParsePrefix("192.0.2.10/25"),
					Gateway: netip.MustParseAddr("192.0.2.1"), DNS1: netip.MustParseAddr("192.0.2.53"),
					DNS2: netip.MustParseAddr("192.0.2.54"), WINS1: netip.MustParseAddr("192.0.2.60"), Domain: "CORP"},
				Proxy: netcfg.Proxy{Host: "proxy.example.com", Port: 8080, User: `CORP\alice`, Password: netcfg.NewSecret("old pw")},
			},
		},
		{
			name: "disabled proxy drops its stale settings",
			file: func(*testing.T, *crashfs.FS) string {
				return `{"version":1,"lan":{"dhcp":true},"proxy":{"enabled":false,"host":"old.example","port":80,"user":"x","password_sealed":"x1:garbage"}}`
			},
			want: netcfg.Config{},
		},
		{
			name: "IPv6-only meant automatic",
			file: func(*testing.T, *crashfs.FS) string { return `{"version":1,"ipv6_only":true,"lan":{"dhcp":true}}` },
			want: netcfg.DefaultFor(netcfg.ModeIPv6Only),
		},
		{
			name: "netmask not contiguous",
			file: func(*testing.T, *crashfs.FS) string {
				return `{"version":1,"lan":{"dhcp":false,"ip":"192.0.2.10","netmask":"255.0.255.0","gateway":"192.0.2.1","dns":["192.0.2.53"]}}`
			},
			reason: "migrate version 1: netmask 255.0.255.0 is not contiguous",
		},
		{
			name: "three DNS servers",
			file: func(*testing.T, *crashfs.FS) string {
				return `{"version":1,"lan":{"dhcp":false,"ip":"192.0.2.10","netmask":"255.255.255.0","gateway":"192.0.2.1","dns":["192.0.2.53","192.0.2.54","192.0.2.55"]}}`
			},
			reason: "3 DNS and 0 WINS servers; at most 2 of each",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := crashfs.New()
			s := New(m, testRand(1))
			put(t, m, ConfigFile, []byte(tc.file(t, m)))
			l := s.Load()
			if tc.reason != "" {
				if l.Source != FromDefaults || l.Reason == nil || !strings.Contains(l.Reason.Error(), tc.reason) {
					t.Errorf("Load = %v, reason %v; want defaults because %q", l.Source, l.Reason, tc.reason)
				}
				return
			}
			if l.Source != FromStored || l.MigratedFrom != 1 || l.Reason != nil {
				t.Fatalf("Load = %v migrated from %d, reason %v", l.Source, l.MigratedFrom, l.Reason)
			}
			if d := netcfg.Diff(l.Config, tc.want); len(d) != 0 {
				t.Errorf("migrated config differs: %v", d)
			}
			// The next save writes the current format, which reads back
			// the same and unmigrated.
			must(t, s.Save(l.Config))
			var head struct{ Version int }
			must(t, json.Unmarshal(mustRead(t, m, ConfigFile), &head))
			l2 := s.Load()
			if head.Version != 2 || l2.MigratedFrom != 0 || !netcfg.Equal(l2.Config, tc.want) {
				t.Errorf("after save: version %d, migrated from %d, diff %v", head.Version, l2.MigratedFrom, netcfg.Diff(l2.Config, tc.want))
			}
		})
	}
}

func TestMaskBits(t *testing.T) {
	for bits := 0; bits <= 32; bits++ {
		mask := netip.PrefixFrom(netip.IPv4Unspecified(), bits)
		// The dotted form of /bits.
		m := netip.MustParseAddr(netMask(bits))
		got, err := maskBits(m)
		if err != nil || got != bits {
			t.Errorf("maskBits(%s) = %d, %v; want %d (%v)", m, got, err, bits, mask)
		}
	}
	for _, bad := range []string{"255.0.255.0", "0.255.255.255", "2001:db8::"} {
		if _, err := maskBits(netip.MustParseAddr(bad)); err == nil {
			t.Errorf("maskBits(%s) accepted", bad)
		}
	}
}

func netMask(bits int) string {
	n := ^uint32(0) << (32 - bits)
	if bits == 0 {
		n = 0
	}
	return fmt.Sprintf("%d.%d.%d.%d", byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
}

// TestDirFS runs the store on the real filesystem: file modes, the files
// it leaves, and reading back.
func TestDirFS(t *testing.T) {
	root := t.TempDir()
	s := New(DirFS(root), testRand(1))
	must(t, s.Save(cfgA()), s.MarkGood(cfgB()))
	for name, want := range map[string]fs.FileMode{ConfigFile: 0o600, LastKnownGoodFile: 0o600, KeyFile: 0o600} {
		fi, err := os.Stat(filepath.Join(root, name))
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != want {
			t.Errorf("%s has mode %v, want %v", name, fi.Mode().Perm(), want)
		}
	}
	entries, err := os.ReadDir(filepath.Join(root, "config"))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if strings.Join(names, " ") != "network.json network.json.lkg" {
		t.Errorf("config/ holds %v; want no temporary files left", names)
	}
	l := New(DirFS(root), testRand(2)).Load()
	if l.Source != FromStored || !netcfg.Equal(l.Config, cfgA()) {
		t.Errorf("Load = %v %v", l.Source, l.Reason)
	}
	if _, err := DirFS(root).OpenFile("../escape", os.O_RDONLY, 0); !errors.Is(err, fs.ErrInvalid) {
		t.Errorf("a path outside the root: %v", err)
	}
	must(t, s.FactoryReset())
	if _, err := os.Stat(filepath.Join(root, KeyFile)); !os.IsNotExist(err) {
		t.Errorf("key survived the factory reset: %v", err)
	}
}

func TestSourceString(t *testing.T) {
	for s, want := range map[Source]string{FromStored: "stored configuration", FromLastKnownGood: "last-known-good configuration",
		FromDefaults: "default configuration", Source(7): "Source(7)"} {
		if s.String() != want {
			t.Errorf("%d: %q", int(s), s.String())
		}
	}
}
