package fleet

import (
	"crypto/ed25519"
	"crypto/rand"
	"fmt"
	"net/netip"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"picket.dev/picket/src/link/platformapi"
	"picket.dev/picket/src/net/netcfg"
	"picket.dev/picket/src/platform/store"
)

var t0 = time.Date(2026, 11, 27, 6, 0, 0, 0, time.UTC)

func TestStatus(t *testing.T) {
	for _, tc := range []struct {
		since    time.Duration
		interval int
		want     string
	}{
		{0, 180, "online"},
		{270 * time.Second, 180, "online"},
		{271 * time.Second, 180, "heartbeat missed 1"},
		{7 * time.Minute, 180, "heartbeat missed 2"},
		{14*time.Minute + 59*time.Second, 180, "heartbeat missed 4"},
		{15 * time.Minute, 180, "offline"},
		{20 * time.Second, 10, "heartbeat missed 2"},
		{100 * time.Second, 0, "online"}, // no interval yet: the default
	} {
		b := store.Box{LastPoll: t0, PollIntervalSeconds: tc.interval}
		if got := Status(b, t0.Add(tc.since)); got != tc.want {
			t.Errorf("%s after the last poll, interval %d s: %q, want %q", tc.since, tc.interval, got, tc.want)
		}
	}
	if got := Status(store.Box{}, t0); got != "never seen" {
		t.Errorf("never polled: %q", got)
	}
}

func TestEditValidate(t *testing.T) {
	ok := Edit{Name: "b", PollInterval: "180", VLANs: "# comment\n100 10.1.0.5/24 lab\r\n\n200 2001:db8:1::5/64\n",
		Routes: "10.9.0.0/16 10.1.0.1 far\n", IPv6Method: "static", IPv6Address: "2001:db8::5/64", IPv6Gateway: "fe80::1"}
	s, err := ok.Validate()
	if err != nil {
		t.Fatalf("valid edit: %v", err)
	}
	want := []netcfg.ScanVLAN{{ID: 100, Name: "lab", Address: netip.MustParsePrefix("10.1.0.5/24")}, {ID: 200, Address: netip.MustParsePrefix("2001:db8:1::5/64")}}
	if len(s.ScanVLANs) != 2 || s.ScanVLANs[0] != want[0] || s.ScanVLANs[1] != want[1] || s.ScanIPv6.Method != netcfg.ScanIPv6Static || s.Routes[0].Name != "far" {
		t.Errorf("settings %+v", s)
	}
	// Round trip through the form.
	back, err := EditOf(store.Box{Name: "b", Settings: s}).Validate()
	if err != nil || len(back.ScanVLANs) != 2 || back.Routes[0] != s.Routes[0] || back.ScanIPv6 != s.ScanIPv6 {
		t.Errorf("round trip: %+v %v", back, err)
	}
	for _, tc := range []struct {
		name  string
		edit  func(*Edit)
		field string
		want  string
	}{
		{"interval 9", func(e *Edit) { e.PollInterval = "9" }, "poll_interval", "out of range"},
		{"interval 24h+1", func(e *Edit) { e.PollInterval = "86401" }, "poll_interval", "out of range"},
		{"VLAN 0", func(e *Edit) { e.VLANs = "0 10.1.0.5/24" }, "vlans", "line 1 (id): 0 is out of range"},
		{"VLAN network address", func(e *Edit) { e.VLANs = "10 10.1.0.0/24" }, "vlans", "line 1 (address)"},
		{"VLAN, 4 fields", func(e *Edit) { e.VLANs = "10 10.1.0.5/24 a b" }, "vlans", "want \"id address/prefix [name]\""},
		{"IPv6 auto with address", func(e *Edit) { e.IPv6Method = "auto" }, "ipv6", "apply only when static"},
		{"route gateway garbage", func(e *Edit) { e.Routes = "10.9.0.0/16 x" }, "routes", "gateway \"x\" is not an IP address"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := ok
			tc.edit(&e)
			_, err := e.Validate()
			fe, _ := err.(FieldErrors)
			if !strings.Contains(strings.Join(fe[tc.field], "\n"), tc.want) {
				t.Errorf("errors %v, want %q on %s", err, tc.want, tc.field)
			}
		})
	}
	var many strings.Builder
	for i := 1; i <= 4095; i++ {
		// Distinct /32s, so only the count is wrong.
		fmt.Fprintf(&many, "%d 10.%d.%d.1/32\n", i, i/256, i%256)
	}
	if _, err := (Edit{Name: "b", PollInterval: "60", VLANs: many.String()}).Validate(); err == nil || !strings.Contains(err.Error(), "4095 VLANs; at most 4094") {
		t.Errorf("4095 VLANs: %v", err)
	}
}

func TestActivateNamesAndGroups(t *testing.T) {
	st, err := store.Open(filepath.Join(t.TempDir(), "p.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	pending := func() string {
		pub, _, _ := ed25519.GenerateKey(rand.Reader)
		b := store.Box{ID: store.BoxID(pub), Key: platformapi.EncodeKey(pub), Code: platformapi.ActivationCode(pub), State: store.BoxPending}
		if err := st.Update(func(tx store.Tx) error { return tx.PutBox(b) }); err != nil {
			t.Fatal(err)
		}
		return b.Code
	}
	alice := store.User{Name: "alice", Role: store.RoleManager, Account: "acme"}
	for i, want := range []string{"pk_alice", "pk_alice_2", "pk_alice_3"} {
		b, err := Activate(st, pending(), alice, "", t0)
		if err != nil || b.Name != want || b.Settings.Version != 1 || b.Settings.Name != want {
			t.Errorf("box %d: %+v %v, want name %s, settings version 1", i, b.Name, err, want)
		}
	}
	uma := store.User{Name: "uma", Role: store.RoleUnitManager, Account: "acme"}
	if _, err := Activate(st, pending(), uma, " ", t0); err == nil || !strings.Contains(err.Error(), "asset group: required") {
		t.Errorf("unit manager without group: %v", err)
	}
	b, err := Activate(st, pending(), uma, "lab", t0)
	if err != nil || b.AssetGroup != "lab" {
		t.Fatalf("unit manager with group: %+v %v", b, err)
	}
	limited := store.User{Name: "lim", Role: store.RoleUnitManager, Account: "acme", AssetGroups: []string{"office"}}
	if Visible(limited, b) || !Visible(alice, b) || Visible(store.User{Account: "other"}, b) {
		t.Error("visibility of a lab box: want alice yes, office-only unit manager no, other account no")
	}
}
