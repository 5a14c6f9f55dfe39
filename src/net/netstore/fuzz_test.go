package netstore

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"picket.dev/picket/src/net/netcfg"
)

// fuzzSeal stands in for the sealing with the box key: reversible, and
// refusing what it did not seal, like the real open.
func fuzzSeal(clear string) (string, error) { return "sealed:" + clear, nil }

func fuzzOpen(sealed string) (string, error) {
	clear, ok := strings.CutPrefix(sealed, "sealed:")
	if !ok {
		return "", errors.New("not sealed here")
	}
	return clear, nil
}

// FuzzDecode feeds arbitrary bytes to the store's reader, as a damaged or
// hand-edited network.json would be. Nothing may panic; a file it accepts
// holds a valid configuration, and writing that back and reading it again
// gives the same configuration.
func FuzzDecode(f *testing.F) {
	full := netcfg.Default()
	full.VLAN = 20
	full.Proxy = netcfg.Proxy{Host: "proxy.example.com", Port: 3128, User: "u", Password: netcfg.NewSecret("pw")}
	for _, c := range []netcfg.Config{netcfg.Default(), netcfg.DefaultFor(netcfg.ModeIPv6Only), full} {
		b, err := encode(c, fuzzSeal)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"version":1,"lan":{"dhcp":false,"ip":"10.0.0.2","netmask":"255.255.255.0","gateway":"10.0.0.1","dns":["10.0.0.1"]},"proxy":{"enabled":true,"host":"p","port":8080,"password_sealed":"sealed:x"}}`))
	f.Add([]byte(`{"version":2,"config":{"proxy":{"password":"clear"}}}`))
	f.Add([]byte(`{"version":3}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, _, err := decode(data, fuzzOpen)
		if err != nil {
			return
		}
		if err := c.Validate(); err != nil {
			t.Fatalf("accepted an invalid configuration: %v", err)
		}
		b, err := encode(c, fuzzSeal)
		if err != nil {
			t.Fatalf("accepted configuration does not encode: %v", err)
		}
		back, from, err := decode(b, fuzzOpen)
		if err != nil || from != FormatVersion {
			t.Fatalf("re-encoded file refused (version %d): %v\n%s", from, err, b)
		}
		b2, err := encode(back, fuzzSeal)
		if err != nil || !bytes.Equal(b, b2) {
			t.Fatalf("round trip changed the configuration (%v):\n%s\n%s", err, b, b2)
		}
		if back.Proxy.Password.Reveal() != c.Proxy.Password.Reveal() {
			t.Fatal("round trip changed the proxy password")
		}
	})
}
