package netcfg

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"strings"
	"testing"
)

func TestDefaults(t *testing.T) {
	tests := []struct {
		name string
		c    Config
		mode Mode
		want string // the JSON of the defaults, which spells them out
	}{
		{"factory default", Default(), ModeDual,
			`{"mode":"ipv4+v6","lan":{"method":"dhcp","address":"","gateway":"","dns1":"","dns2":"","wins1":"","wins2":"","domain":""},` +
				`"lan_v6":{"method":"auto","address":"","gateway":"","dns1":"","dns2":""},"vlan":0,` +
				`"wan":{"method":"off","address":"","gateway":"","dns1":"","dns2":""},"proxy":{"host":"","port":0,"user":""},` +
				`"link":{"lan":"AUTO","wan":"AUTO"},"platform":{"scan_ipv6":{"method":"off","address":"","gateway":""}}}`},
		{"IPv6-only default", DefaultFor(ModeIPv6Only), ModeIPv6Only,
			`{"mode":"ipv6-only","lan":{"method":"dhcp","address":"","gateway":"","dns1":"","dns2":"","wins1":"","wins2":"","domain":""},` +
				`"lan_v6":{"method":"auto","address":"","gateway":"","dns1":"","dns2":""},"vlan":0,` +
				`"wan":{"method":"off","address":"","gateway":"","dns1":"","dns2":""},"proxy":{"host":"","port":0,"user":""},` +
				`"link":{"lan":"AUTO","wan":"AUTO"},"platform":{"scan_ipv6":{"method":"off","address":"","gateway":""}}}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.c.Validate(); err != nil {
				t.Fatalf("defaults do not validate: %v", err)
			}
			if tc.c.Mode != tc.mode || tc.c.Proxy.Enabled() || tc.c.WAN.Split() || tc.c.VLAN != 0 {
				t.Errorf("defaults = %+v", tc.c)
			}
			b, err := json.Marshal(tc.c)
			if err != nil {
				t.Fatal(err)
			}
			if string(b) != tc.want {
				t.Errorf("JSON =\n%s\nwant\n%s", b, tc.want)
			}
		})
	}
	// A file that predates every field decodes to the factory default.
	var c Config
	if err := json.Unmarshal([]byte(`{}`), &c); err != nil || !Equal(c, Default()) {
		t.Errorf("{} decodes to %+v, %v", c, err)
	}
}

func TestResetAndSwitchMode(t *testing.T) {
	dual := fullDual()
	v6 := fullV6()
	v6.Platform = dual.Platform.Clone()
	tests := []struct {
		name string
		got  Config
		want Config
	}{
		{"reset IPv4+v6", dual.Reset(), Config{Platform: dual.Platform}},
		{"reset IPv6-only", v6.Reset(), Config{Mode: ModeIPv6Only, Platform: dual.Platform}},
		{"switch to IPv6-only", dual.SwitchMode(ModeIPv6Only), Config{Mode: ModeIPv6Only, Platform: dual.Platform}},
		{"switch to IPv4+v6", v6.SwitchMode(ModeDual), Config{Platform: dual.Platform}},
		{"reset defaults is a no-op", Default().Reset(), Default()},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if d := Diff(tc.got, tc.want); len(d) != 0 {
				t.Errorf("differs: %v", d)
			}
			// The spec's list: static addresses, proxy and its stored
			// credentials, WAN and Ethernet link settings are gone.
			if tc.got.LAN.Address.IsValid() || tc.got.LANv6.Address.IsValid() || tc.got.Proxy.Enabled() ||
				!tc.got.Proxy.Password.IsZero() || tc.got.WAN.Split() || tc.got.Link != (Links{}) || tc.got.VLAN != 0 {
				t.Errorf("reset kept a panel setting: %+v", tc.got)
			}
			if err := tc.got.Validate(); err != nil {
				t.Errorf("reset result does not validate: %v", err)
			}
		})
	}
	// The reset copy shares nothing with the original.
	r := dual.Reset()
	r.Platform.ScanVLANs[0].ID = 99
	if dual.Platform.ScanVLANs[0].ID != 30 {
		t.Error("Reset shares the scanning VLAN list with the original")
	}
}

func TestClone(t *testing.T) {
	a := fullDual()
	b := a.Clone()
	b.Platform.Routes[0].Gateway = addr("10.30.0.2")
	b.Platform.ScanVLANs = append(b.Platform.ScanVLANs[:1], ScanVLAN{ID: 99, Address: pfx("10.99.0.1/24")})
	if !Equal(a, fullDual()) {
		t.Errorf("changing a clone changed the original: %v", Diff(fullDual(), a))
	}
}

func TestJSONRoundTrip(t *testing.T) {
	for _, c := range []Config{fullDual(), fullV6(), Default(), DefaultFor(ModeIPv6Only)} {
		c.Proxy.Password = Secret{} // a set secret is not marshalled; see TestSecretJSON
		b, err := json.Marshal(c)
		if err != nil {
			t.Fatal(err)
		}
		var back Config
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatal(err)
		}
		if d := Diff(c, back); len(d) != 0 {
			t.Errorf("round trip changed %v\n%s", d, b)
		}
	}
}

func TestEnumJSON(t *testing.T) {
	tests := []struct {
		in      string
		want    Links
		wantErr string
	}{
		{`{"lan":"AUTO","wan":"10baseT/Half"}`, Links{LinkAuto, Link10Half}, ""},
		{`{"lan":"1gbaset/full"}`, Links{LAN: Link1000Full}, ""},
		{`{"lan":"2.5GbaseT/Full"}`, Links{}, `unknown link mode "2.5GbaseT/Full"; allowed: AUTO, 1GbaseT/Full, 100baseT/Full, 100baseT/Half, 10baseT/Full, 10baseT/Half`},
	}
	for _, tc := range tests {
		var l Links
		err := json.Unmarshal([]byte(tc.in), &l)
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("%s: err = %v, want %q", tc.in, err, tc.wantErr)
			}
			continue
		}
		if err != nil || l != tc.want {
			t.Errorf("%s: got %+v, %v; want %+v", tc.in, l, err, tc.want)
		}
	}
	if _, err := json.Marshal(Links{LAN: 42}); err == nil {
		t.Error("an unknown link mode marshals")
	}
	for _, m := range []Mode{ModeDual, ModeIPv6Only} {
		var back Mode
		b, _ := m.MarshalText()
		if err := back.UnmarshalText(b); err != nil || back != m {
			t.Errorf("mode %v round trip = %v, %v", m, back, err)
		}
	}
	if s := Mode(9).String(); s != "unknown(9)" {
		t.Errorf("Mode(9).String() = %q", s)
	}
}

func TestLinkModes(t *testing.T) {
	tests := []struct {
		m      LinkMode
		name   string
		mbps   int
		full   bool
		forced bool
	}{
		{LinkAuto, "AUTO", 0, false, false},
		{Link1000Full, "1GbaseT/Full", 1000, true, true},
		{Link100Full, "100baseT/Full", 100, true, true},
		{Link100Half, "100baseT/Half", 100, false, true},
		{Link10Full, "10baseT/Full", 10, true, true},
		{Link10Half, "10baseT/Half", 10, false, true},
	}
	if len(LinkModes()) != len(tests) {
		t.Fatalf("LinkModes() has %d modes, want %d", len(LinkModes()), len(tests))
	}
	for i, tc := range tests {
		if LinkModes()[i] != tc.m {
			t.Errorf("LinkModes()[%d] = %v, want %v (the panel's order)", i, LinkModes()[i], tc.m)
		}
		mbps, full, forced := tc.m.Forced()
		if tc.m.String() != tc.name || mbps != tc.mbps || full != tc.full || forced != tc.forced {
			t.Errorf("%v: %q %d %v %v", tc.m, tc.m.String(), mbps, full, forced)
		}
	}
}

func TestNTLMDomain(t *testing.T) {
	tests := []struct{ user, domain, name string }{
		{`CORP\alice`, "CORP", "alice"},
		{"alice", "", "alice"},
		{"alice@corp.example", "", "alice@corp.example"},
	}
	for _, tc := range tests {
		d, u := Proxy{User: tc.user}.NTLMDomain()
		if d != tc.domain || u != tc.name {
			t.Errorf("NTLMDomain(%q) = %q, %q", tc.user, d, u)
		}
	}
}

func TestSecretNeverPrinted(t *testing.T) {
	c := fullDual()
	var logged bytes.Buffer
	slog.New(slog.NewTextHandler(&logged, nil)).Info("config", "password", c.Proxy.Password, "proxy", c.Proxy)
	outputs := map[string]string{"slog": logged.String()}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d", "%T"} {
		outputs["config "+verb] = fmt.Sprintf(verb, c)
		outputs["proxy "+verb] = fmt.Sprintf(verb, c.Proxy)
		outputs["pointer "+verb] = fmt.Sprintf(verb, &c.Proxy)
		outputs["secret "+verb] = fmt.Sprintf(verb, c.Proxy.Password)
	}
	outputs["error"] = fmt.Errorf("apply %v: %w", c, errors.New("x")).Error()
	outputs["diff"] = fmt.Sprint(Diff(Default(), c))
	for name, out := range outputs {
		if strings.Contains(out, "s3cret") || strings.Contains(out, fmt.Sprintf("%x", testPassword)) {
			t.Errorf("%s reveals the password: %s", name, out)
		}
	}
	if !strings.Contains(outputs["proxy %+v"], "Password:"+Redacted) {
		t.Errorf("proxy %%+v = %s; want the password shown as %s", outputs["proxy %+v"], Redacted)
	}
	if got := fmt.Sprintf("%#v", c.Proxy.Password); got != `netcfg.Secret("[redacted]")` {
		t.Errorf("%%#v = %s", got)
	}
	if got := fmt.Sprint(Secret{}); got != "" {
		t.Errorf("empty secret prints %q", got)
	}
	if c.Proxy.Password.Reveal() != testPassword {
		t.Error("Reveal does not return the clear text")
	}
}

func TestSecretJSON(t *testing.T) {
	c := fullDual()
	if _, err := json.Marshal(c); !errors.Is(err, ErrSecretMarshal) {
		t.Errorf("marshalling a set password: err = %v, want ErrSecretMarshal", err)
	}
	var p Proxy
	if err := json.Unmarshal([]byte(`{"host":"p","password":"pa ss"}`), &p); err != nil || p.Password.Reveal() != "pa ss" {
		t.Errorf("unmarshal: %v %q", err, p.Password.Reveal())
	}
	err := json.Unmarshal([]byte(`{"password":12345678}`), &p)
	if err == nil || strings.Contains(err.Error(), "12345678") {
		t.Errorf("unmarshal of a number: %v (must fail without echoing the input)", err)
	}
}

func TestSecretEqual(t *testing.T) {
	if !NewSecret("a").Equal(NewSecret("a")) || NewSecret("a").Equal(NewSecret("b")) || NewSecret("a").Equal(Secret{}) {
		t.Error("Secret.Equal is wrong")
	}
}

func TestDiff(t *testing.T) {
	base := fullDual()
	tests := []struct {
		name string
		mod  func(*Config)
		want []Change
	}{
		{"same", func(*Config) {}, nil},
		{"lists emptied", func(c *Config) { c.Platform.Routes = []Route{}; c.Platform.ScanVLANs = nil }, []Change{
			{"platform.scan_vlans[0]", "{ID:30 Name:servers Address:10.30.0.5/24}", ""},
			{"platform.scan_vlans[1]", "{ID:31 Name: Address:10.31.0.5/24}", ""},
			{"platform.scan_vlans[2]", "{ID:32 Name: Address:2001:db8:32::5/64}", ""},
			{"platform.routes[0]", "{Name:lab Destination:10.40.0.0/16 Gateway:10.30.0.1}", ""},
			{"platform.routes[1]", "{Name: Destination:2001:db8:40::/48 Gateway:fe80::1}", ""},
		}},
		{"gateway", func(c *Config) { c.LAN.Gateway = addr("192.0.2.2") }, []Change{{"lan.gateway", "192.0.2.1", "192.0.2.2"}}},
		{"cleared DNS2 and new mode", func(c *Config) { c.LAN.DNS2 = netip.Addr{}; c.Mode = ModeIPv6Only },
			[]Change{{"mode", "ipv4+v6", "ipv6-only"}, {"lan.dns2", "192.0.2.54", ""}}},
		{"password", func(c *Config) { c.Proxy.Password = NewSecret("other") }, []Change{{"proxy.password", Redacted, Redacted + " (changed)"}}},
		{"link and VLAN", func(c *Config) { c.Link.LAN = LinkAuto; c.VLAN = 21 },
			[]Change{{"vlan", "20", "21"}, {"link.lan", "100baseT/Full", "AUTO"}}},
		{"route added", func(c *Config) {
			c.Platform.Routes = append(c.Platform.Routes, Route{Destination: pfx("10.7.0.0/16"), Gateway: addr("10.30.0.1")})
			c.Platform.ScanVLANs[1].ID = 33
		}, []Change{
			{"platform.scan_vlans[1].id", "31", "33"},
			{"platform.routes[2]", "", "{Name: Destination:10.7.0.0/16 Gateway:10.30.0.1}"},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := base.Clone()
			tc.mod(&c)
			got := Diff(base, c)
			if fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Errorf("Diff =\n%v\nwant\n%v", got, tc.want)
			}
			if Equal(base, c) != (len(tc.want) == 0) {
				t.Errorf("Equal = %v with diff %v", Equal(base, c), got)
			}
		})
	}
	empty, withEmpty := Default(), Default()
	withEmpty.Platform.Routes = []Route{}
	if !Equal(empty, withEmpty) {
		t.Error("a nil and an empty route list differ")
	}
}
