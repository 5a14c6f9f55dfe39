package netcfg

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

// FuzzConfigJSON decodes arbitrary bytes as a configuration, as the
// network manager's store and local API do, and validates it. Nothing may
// panic; no problem message may repeat a long piece of the input (a
// message goes back to the caller and into logs); a configuration that
// passes Validate survives its JSON round trip unchanged and still passes.
func FuzzConfigJSON(f *testing.F) {
	seeds := []Config{
		Default(),
		DefaultFor(ModeIPv6Only),
		fullDual(),
		fullV6(),
	}
	for _, c := range seeds {
		c.Proxy.Password = Secret{}
		b, err := json.Marshal(c)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"mode":"IPV6-ONLY","lan":{"method":"static","address":"10.0.0.1/8"},"proxy":{"host":"` + strings.Repeat("a.", 200) + `"}}`))
	f.Add([]byte(`{"platform":{"scan_vlans":[{"id":7,"name":"` + strings.Repeat("n", 100) + `","address":"10.7.0.2/24"}],"routes":[{"destination":"10.8.0.0/16","gateway":"10.7.0.1"}]}}`))
	f.Add([]byte(`{"proxy":{"host":"socks5://x","scheme":"socks5","password":"p"}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var c Config
		if err := json.Unmarshal(data, &c); err != nil {
			if len(err.Error()) > 1024 {
				t.Fatalf("decode error of %d bytes", len(err.Error()))
			}
			return
		}
		err := c.Validate()
		for _, p := range Problems(err) {
			if len(p.Problem) > 512 {
				t.Fatalf("problem of %d bytes for %s: %.200q", len(p.Problem), p.Field, p.Problem)
			}
		}
		if err != nil {
			if len(Problems(err)) == 0 {
				t.Fatalf("Validate error without problems: %v", err)
			}
			return
		}
		pw := c.Proxy.Password
		c.Proxy.Password = Secret{}
		b, err := json.Marshal(c)
		if err != nil {
			t.Fatalf("valid configuration does not marshal: %v", err)
		}
		var back Config
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatalf("marshalled configuration does not decode: %v\n%s", err, b)
		}
		b2, _ := json.Marshal(back)
		if !bytes.Equal(b, b2) {
			t.Fatalf("round trip changed the configuration:\n%s\n%s", b, b2)
		}
		back.Proxy.Password = pw
		if err := back.Validate(); err != nil {
			t.Fatalf("valid configuration invalid after its round trip: %v\n%s", err, b)
		}
		if d := Diff(c, back); len(d) != 0 && pw.IsZero() {
			t.Fatalf("round trip differs: %v", d)
		}
	})
}
