package fleet

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"picket.dev/picket/src/link/platformapi"
	"picket.dev/picket/src/net/netcfg"
	"picket.dev/picket/src/platform/store"
	"picket.dev/picket/src/testkit/webui"
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
		Routes: "10.9.0.0/16 10.1.0.1 far\n", IPv6Method: "static", IPv6Address: "2001:db8::5/64", IPv6Gateway: "fe80::1",
		SigsMaxAge: " 14 "}
	s, err := ok.Validate()
	if err != nil {
		t.Fatalf("valid edit: %v", err)
	}
	want := []netcfg.ScanVLAN{{ID: 100, Name: "lab", Address: netip.MustParsePrefix("10.1.0.5/24")}, {ID: 200, Address: netip.MustParsePrefix("2001:db8:1::5/64")}}
	if len(s.ScanVLANs) != 2 || s.ScanVLANs[0] != want[0] || s.ScanVLANs[1] != want[1] || s.ScanIPv6.Method != netcfg.ScanIPv6Static || s.Routes[0].Name != "far" || s.SignaturesMaxAgeDays != 14 {
		t.Errorf("settings %+v", s)
	}
	// Round trip through the form.
	back, err := EditOf(store.Box{Name: "b", Settings: s}).Validate()
	if err != nil || len(back.ScanVLANs) != 2 || back.Routes[0] != s.Routes[0] || back.ScanIPv6 != s.ScanIPv6 || back.SignaturesMaxAgeDays != 14 {
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
		{"sigs age 0", func(e *Edit) { e.SigsMaxAge = "0" }, "sigs_max_age", "0 days is out of range; allowed: 1-365, or empty for the default (7)"},
		{"sigs age 366", func(e *Edit) { e.SigsMaxAge = "366" }, "sigs_max_age", "366 days is out of range"},
		{"sigs age words", func(e *Edit) { e.SigsMaxAge = "a week" }, "sigs_max_age", `"a week" is not a number of days`},
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
	// Empty: the box's default, sent as 0.
	if d, err := (Edit{Name: "b", PollInterval: "60"}).Validate(); err != nil || d.SignaturesMaxAgeDays != 0 {
		t.Errorf("no age limit given: %d, %v; want 0 (the default)", d.SignaturesMaxAgeDays, err)
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
		b, err := Activate(st, pending(), alice, "", t0, nil)
		if err != nil || b.Name != want || b.Settings.Version != 1 || b.Settings.Name != want {
			t.Errorf("box %d: %+v %v, want name %s, settings version 1", i, b.Name, err, want)
		}
	}
	uma := store.User{Name: "uma", Role: store.RoleUnitManager, Account: "acme"}
	if _, err := Activate(st, pending(), uma, " ", t0, nil); err == nil || !strings.Contains(err.Error(), "asset group: required") {
		t.Errorf("unit manager without group: %v", err)
	}
	b, err := Activate(st, pending(), uma, "lab", t0, nil)
	if err != nil || b.AssetGroup != "lab" {
		t.Fatalf("unit manager with group: %+v %v", b, err)
	}
	limited := store.User{Name: "lim", Role: store.RoleUnitManager, Account: "acme", AssetGroups: []string{"office"}}
	if Visible(limited, b) || !Visible(alice, b) || Visible(store.User{Account: "other"}, b) {
		t.Error("visibility of a lab box: want alice yes, office-only unit manager no, other account no")
	}
}

func openStore(t *testing.T) store.Store {
	t.Helper()
	st, err := store.Open(filepath.Join(t.TempDir(), "p.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// activeBox stores an active box of u's account and returns it with its
// code.
func activeBox(t *testing.T, st store.Store, u store.User, group string) store.Box {
	t.Helper()
	pub, _, _ := ed25519.GenerateKey(rand.Reader)
	b := store.Box{ID: store.BoxID(pub), Key: platformapi.EncodeKey(pub), Code: platformapi.ActivationCode(pub), State: store.BoxPending}
	if err := st.Update(func(tx store.Tx) error { return tx.PutBox(b) }); err != nil {
		t.Fatal(err)
	}
	b, err := Activate(st, b.Code, u, group, t0, nil)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestStatusPollsFailing(t *testing.T) {
	b := store.Box{LastPoll: t0, PollIntervalSeconds: 180, PollFailures: 3, PollError: "answer larger than 1048576 bytes"}
	if got := Status(b, t0.Add(10*time.Second)); got != "polls failing" {
		t.Errorf("a box polling but failing its answers: %q, want polls failing", got)
	}
	if got := Status(b, t0.Add(time.Hour)); got != "offline" {
		t.Errorf("a failing box that stopped polling: %q, want offline", got)
	}
}

// TestEditLimits: every field of the settings form is bounded to what the
// box takes (issue 12), and invalid UTF-8 is refused, not stored.
func TestEditLimits(t *testing.T) {
	base := Edit{Name: "b", PollInterval: "180", IPv6Method: "off"}
	for _, tc := range []struct {
		name  string
		edit  func(*Edit)
		field string
		want  string // "" = accepted
	}{
		{"name of 64 bytes", func(e *Edit) { e.Name = strings.Repeat("é", 32) }, "", ""},
		{"name of 65 bytes", func(e *Edit) { e.Name = strings.Repeat("a", 65) }, "name", "65 bytes; at most 64"},
		{"name with invalid UTF-8", func(e *Edit) { e.Name = "lab\xff\xfe" }, "name", "not valid UTF-8"},
		{"name with a bidi override", func(e *Edit) { e.Name = "lab\u202e1" }, "name", `'\u202e'`},
		{"name with an escape", func(e *Edit) { e.Name = "lab\x1b[2J" }, "name", `'\x1b'`},
		{"VLAN name of 32", func(e *Edit) { e.VLANs = "100 10.1.0.5/24 " + strings.Repeat("v", 32) }, "", ""},
		{"VLAN name of 180,000", func(e *Edit) { e.VLANs = "100 10.1.0.5/24 " + strings.Repeat("v", 180000) }, "vlans", "line 1 (name): 180000 bytes; at most 32"},
		{"VLAN name with invalid UTF-8", func(e *Edit) { e.VLANs = "100 10.1.0.5/24 l\xffb" }, "vlans", "line 1 (name)"},
		{"route name of 33", func(e *Edit) { e.Routes = "10.9.0.0/16 10.0.0.1 " + strings.Repeat("r", 33) }, "routes", "line 1 (name): 33 bytes"},
		{"route gateway with a zone", func(e *Edit) { e.Routes = "2001:db8:9::/48 fe80::1%" + strings.Repeat("z", 1000) }, "routes", "zone"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := base
			tc.edit(&e)
			_, err := e.Validate()
			if tc.want == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			fe, _ := err.(FieldErrors)
			if got := strings.Join(fe[tc.field], "\n"); !strings.Contains(got, tc.want) {
				t.Fatalf("errors %v; want %q on %s", err, tc.want, tc.field)
			}
			if len(err.Error()) > 2000 {
				t.Errorf("error of %d bytes: messages must not repeat long input", len(err.Error()))
			}
		})
	}
	// 4000 bad lines: the first few are named, not all 4000.
	bad := strings.Repeat(strings.Repeat("x", 1000)+"\n", 4000)
	_, err := Edit{Name: "b", PollInterval: "60", VLANs: bad, Routes: bad}.Validate()
	fe, _ := err.(FieldErrors)
	if n := len(fe["vlans"]); n != maxFieldErrors+1 || len(err.Error()) > 10000 {
		t.Errorf("4000 bad lines: %d messages on vlans, %d bytes in all; want %d and a few kB", n, len(err.Error()), maxFieldErrors+1)
	}
}

// TestEditAtEveryLimit: the largest settings the form accepts (4094
// VLANs and 99 routes, names at their limits) validate, and are within
// the poll answer's budget (platformapi's limits).
func TestEditAtEveryLimit(t *testing.T) {
	f := webui.LimitSettings()
	e := Edit{Name: f.Get("name"), PollInterval: f.Get("poll_interval"), VLANs: f.Get("vlans"), Routes: f.Get("routes"),
		IPv6Method: f.Get("ipv6_method"), IPv6Address: f.Get("ipv6_address"), IPv6Gateway: f.Get("ipv6_gateway")}
	s, err := e.Validate()
	if err != nil {
		t.Fatal(err)
	}
	if len(s.ScanVLANs) != netcfg.MaxScanVLANs || len(s.Routes) != netcfg.MaxRoutes || len(s.Name) != platformapi.MaxNameLen {
		t.Fatalf("%d VLANs, %d routes, name of %d bytes", len(s.ScanVLANs), len(s.Routes), len(s.Name))
	}
	for _, v := range s.ScanVLANs {
		if len(v.Name) != netcfg.MaxNameLen {
			t.Fatalf("VLAN %d named %q", v.ID, v.Name)
		}
	}
	j := webui.LimitJob()
	ts, ps, err := ParseJob(j.Get("targets"), j.Get("ports"))
	if err != nil || len(ts) != platformapi.MaxJobTargets || len(ps) != platformapi.MaxPortsLen {
		t.Fatalf("job at the limits: %d targets, %d characters of ports, %v", len(ts), len(ps), err)
	}
	// The poll answer of a box with these settings and the most jobs
	// waiting, as the platform encodes it, fits what the box reads.
	resp := platformapi.PollResponse{State: platformapi.StateActive, Name: s.Name, PollIntervalSeconds: s.PollIntervalSeconds, Settings: &s}
	for i := 0; i < platformapi.MaxPendingJobs; i++ {
		resp.Jobs = append(resp.Jobs, platformapi.Job{ID: "job-0123456789abcdef", Targets: ts, Ports: ps, Created: t0})
	}
	var buf bytes.Buffer
	if err := json.NewEncoder(&buf).Encode(resp); err != nil {
		t.Fatal(err)
	}
	t.Logf("poll answer at the form's limits: %d bytes (bound %d, the box reads %d)", buf.Len(), platformapi.MaxPollResponse, platformapi.MaxBody)
	if buf.Len() > platformapi.MaxPollResponse {
		t.Errorf("%d bytes; over the bound %d", buf.Len(), platformapi.MaxPollResponse)
	}
}

func TestParseJobLimits(t *testing.T) {
	var at []string
	for i := 0; i < platformapi.MaxJobTargets; i++ {
		at = append(at, fmt.Sprintf("h%06d", i)) // 7 characters: 28 kB in all
	}
	if ts, _, err := ParseJob(strings.Join(at, " "), strings.Repeat("1,", 1023)+"1"); err != nil || len(ts) != platformapi.MaxJobTargets {
		t.Fatalf("job at the limits: %d targets, %v", len(ts), err)
	}
	// UDP ports after U: (targets.ParsePorts' syntax), kept as typed.
	if _, ps, err := ParseJob("10.0.0.1", "22, 80,U:53,161,T:443"); err != nil || ps != "22,80,U:53,161,T:443" {
		t.Errorf("job with UDP ports: %q, %v", ps, err)
	}
	for _, tc := range []struct {
		name, targets, ports, field, want string
	}{
		{"4097 targets", strings.Join(append(at, "h"), " "), "1", "targets", "4097 targets; at most 4096"},
		{"targets of 40 kB", strings.Repeat(strings.Repeat("a.", 99)+"aa ", 200), "1", "targets", "40000 characters of targets in all"},
		{"zone", "fe80::1%eth0", "1", "targets", "zone"},
		{"300 kB of ports", "10.0.0.1", strings.Repeat("80,", 100000), "ports", "300000 characters; at most 2048"},
		{"signed port", "10.0.0.1", "+80", "ports", `"+80"`},
		{"empty after U:", "10.0.0.1", "22,U:", "ports", `"U:"`},
		{"two prefixes", "10.0.0.1", "U:T:53", "ports", `"U:T:53"`},
		{"invalid UTF-8 target", "host\xff", "1", "targets", "is not an address"},
		{"long target", strings.Repeat("a", 300), "1", "targets", "300 characters; at most 253"},
	} {
		_, _, err := ParseJob(tc.targets, tc.ports)
		fe, _ := err.(FieldErrors)
		if got := strings.Join(fe[tc.field], "\n"); !strings.Contains(got, tc.want) {
			t.Errorf("%s: errors %v; want %q on %s", tc.name, err, tc.want, tc.field)
		}
		if err != nil && len(err.Error()) > 2000 {
			t.Errorf("%s: error of %d bytes", tc.name, len(err.Error()))
		}
	}
}

func TestJobsWaitingCapCancelDelete(t *testing.T) {
	st := openStore(t)
	alice := store.User{Name: "alice", Role: store.RoleManager, Account: "acme"}
	b := activeBox(t, st, alice, "")
	var jobs []store.Job
	for i := 0; i < platformapi.MaxPendingJobs; i++ {
		j, err := LaunchJob(st, b.ID, alice, "10.0.0.1", "1-1024", "", nil, t0, nil)
		if err != nil {
			t.Fatalf("job %d: %v", i+1, err)
		}
		jobs = append(jobs, j)
	}
	if _, err := LaunchJob(st, b.ID, alice, "10.0.0.1", "1-1024", "", nil, t0, nil); err == nil || !strings.Contains(err.Error(), "8 jobs it has not picked up") {
		t.Fatalf("job %d: %v; want the cap", platformapi.MaxPendingJobs+1, err)
	}
	// Someone of another account sees neither the box nor its jobs.
	mallory := store.User{Name: "mallory", Role: store.RoleManager, Account: "evil"}
	if _, err := CancelJob(st, b.ID, jobs[0].ID, mallory, t0, nil); err == nil || !strings.Contains(err.Error(), "no appliance") {
		t.Errorf("cancel by another account: %v", err)
	}
	if _, err := DeleteJob(st, b.ID, jobs[0].ID, mallory, nil); err == nil {
		t.Error("delete by another account accepted")
	}
	other := activeBox(t, st, alice, "")
	if _, err := CancelJob(st, other.ID, jobs[0].ID, alice, t0, nil); err == nil || !strings.Contains(err.Error(), "no job") {
		t.Errorf("cancel through another box: %v", err)
	}
	j, err := CancelJob(st, b.ID, jobs[0].ID, alice, t0.Add(time.Minute), nil)
	if err != nil || j.State != platformapi.JobCanceled || j.CanceledBy != "alice" {
		t.Fatalf("cancel: %+v %v", j, err)
	}
	if _, err := CancelJob(st, b.ID, jobs[0].ID, alice, t0, nil); err == nil || !strings.Contains(err.Error(), "already ended") {
		t.Errorf("second cancel: %v", err)
	}
	if _, err := DeleteJob(st, b.ID, jobs[1].ID, alice, nil); err != nil {
		t.Fatal(err)
	}
	// Two places free again.
	for i := 0; i < 2; i++ {
		if _, err := LaunchJob(st, b.ID, alice, "10.0.0.1", "1-1024", "", nil, t0, nil); err != nil {
			t.Fatalf("after cancel and delete, job %d: %v", i+1, err)
		}
	}
	st.View(func(tx store.Tx) error {
		all, _ := tx.JobsOf(b.ID)
		if len(all) != platformapi.MaxPendingJobs+1 {
			t.Errorf("%d jobs; want %d (one canceled, one deleted)", len(all), platformapi.MaxPendingJobs+1)
		}
		return nil
	})
}

// TestActivateOtherAccountsCode: a code bound in another account (or an
// asset group the person cannot see) reads as unknown; only those who
// can see the box hear that it is already activated.
func TestActivateOtherAccountsCode(t *testing.T) {
	st := openStore(t)
	alice := store.User{Name: "alice", Role: store.RoleManager, Account: "acme"}
	b := activeBox(t, st, alice, "lab")
	_, unknownErr := Activate(st, "0000-0000-000", store.User{Name: "bob", Role: store.RoleManager, Account: "other"}, "", t0, nil)
	for _, u := range []store.User{
		{Name: "bob", Role: store.RoleManager, Account: "other"},
		{Name: "lim", Role: store.RoleUnitManager, Account: "acme", AssetGroups: []string{"office"}},
	} {
		_, err := Activate(st, b.Code, u, "office", t0, nil)
		var ue *UserError
		if !errors.As(err, &ue) || !ue.Guess || !strings.Contains(ue.Msg, "no box is waiting with code "+b.Code) || strings.Contains(ue.Msg, "activated") {
			t.Errorf("%s: %v; want the unknown code's message (%v)", u.Name, err, unknownErr)
		}
	}
	_, err := Activate(st, b.Code, alice, "", t0, nil)
	var ue *UserError
	if !errors.As(err, &ue) || ue.Guess || !strings.Contains(err.Error(), "already activated (it is pk_alice)") {
		t.Errorf("alice: %v; want already activated, not counted as a guess", err)
	}
	if _, err := Activate(st, strings.Repeat("A", 100000), alice, "", t0, nil); err == nil || len(err.Error()) > 200 {
		t.Errorf("a 100 kB code: %v", err)
	}
	if _, err := Activate(st, b.Code, alice, "g\xff", t0, nil); err == nil || !strings.Contains(err.Error(), "not valid UTF-8") {
		t.Errorf("invalid UTF-8 group: %v", err)
	}
}

// ParseJobVLAN takes the LAN or one of the box's scanning VLANs; anything
// else is refused on the form's "vlan" field, naming the VLANs it has.
func TestParseJobVLAN(t *testing.T) {
	vlans := []netcfg.ScanVLAN{{ID: 20, Address: netip.MustParsePrefix("10.20.0.5/24")}, {ID: 4094, Address: netip.MustParsePrefix("10.94.0.5/24")}}
	for _, tc := range []struct {
		in    string
		vlans []netcfg.ScanVLAN
		want  int
		err   string
	}{
		{"", vlans, 0, ""},
		{"0", nil, 0, ""},
		{" 20 ", vlans, 20, ""},
		{"4094", vlans, 4094, ""},
		{"21", vlans, 0, "VLAN 21 is not one of this appliance's scanning VLANs (20, 4094)"},
		{"20", nil, 0, "VLAN 20 is not one of this appliance's scanning VLANs: it has none"},
		{"4095", vlans, 0, `"4095": want the LAN or a scanning VLAN's id, 1-4094`},
		{"+20", vlans, 0, `"+20"`},
		{"-1", vlans, 0, `"-1"`},
		{"0x14", vlans, 0, `"0x14"`},
	} {
		got, err := ParseJobVLAN(tc.in, tc.vlans)
		var fe FieldErrors
		switch {
		case tc.err == "" && (err != nil || got != tc.want):
			t.Errorf("%q: %d %v; want %d", tc.in, got, err, tc.want)
		case tc.err != "" && (!errors.As(err, &fe) || len(fe["vlan"]) != 1 || !strings.Contains(fe["vlan"][0], tc.err)):
			t.Errorf("%q: %v; want a vlan field error with %q", tc.in, err, tc.err)
		}
	}
}

// TestAuditInTheActionsTransaction: every action runs its audit hook in
// its own transaction, with what it stored; an audit write that fails
// undoes the action (nothing of it is stored), one that succeeds is
// stored with it.
func TestAuditInTheActionsTransaction(t *testing.T) {
	st := openStore(t)
	alice := store.User{Name: "alice", Role: store.RoleManager, Account: "acme"}
	broken := errors.New("audit log full")
	fail := func(tx store.Tx, _ store.Box) error { return broken }
	failJob := func(tx store.Tx, _ store.Job) error { return broken }
	// entries counts the audit entries of acme.
	entries := func() int {
		var n int
		st.View(func(tx store.Tx) error {
			es, err := tx.AuditLog("acme", 0, 1000)
			n = len(es)
			return err
		})
		return n
	}
	// audit appends an entry naming what was done (the hook sees the
	// record as stored: the box's new name, the job's id).
	audit := func(action string) func(tx store.Tx, object string) error {
		return func(tx store.Tx, object string) error {
			return tx.AppendAudit(store.AuditEntry{Account: "acme", Time: t0, User: "alice", Action: action, Object: object})
		}
	}

	// Activate.
	pub, _, _ := ed25519.GenerateKey(rand.Reader)
	pending := store.Box{ID: store.BoxID(pub), Key: platformapi.EncodeKey(pub), Code: platformapi.ActivationCode(pub), State: store.BoxPending}
	if err := st.Update(func(tx store.Tx) error { return tx.PutBox(pending) }); err != nil {
		t.Fatal(err)
	}
	if _, err := Activate(st, pending.Code, alice, "lab", t0, fail); !errors.Is(err, broken) {
		t.Fatalf("activate with a failing audit: %v, want %v", err, broken)
	}
	var b store.Box
	var groups []store.AssetGroup
	st.View(func(tx store.Tx) error {
		b, _ = tx.Box(pending.ID)
		groups, _ = tx.AssetGroups("acme")
		return nil
	})
	if b.State != store.BoxPending || b.Account != "" || len(groups) != 0 {
		t.Fatalf("after a failed audit the box is %s in %q, groups %v; want still pending, no group made", b.State, b.Account, groups)
	}
	var seen store.Box
	b, err := Activate(st, pending.Code, alice, "lab", t0, func(tx store.Tx, done store.Box) error {
		seen = done
		return audit("box.activated")(tx, done.ID)
	})
	if err != nil || b.State != store.BoxActive || seen.Name != b.Name || seen.State != store.BoxActive || entries() != 1 {
		t.Fatalf("activate: %+v %v; hook saw %q %s; %d entries, want 1", b, err, seen.Name, seen.State, entries())
	}

	// SaveSettings.
	e := EditOf(b)
	e.Name = "renamed"
	if _, err := SaveSettings(st, b.ID, alice, e, fail); !errors.Is(err, broken) {
		t.Fatalf("settings with a failing audit: %v", err)
	}
	st.View(func(tx store.Tx) error { b, _ = tx.Box(b.ID); return nil })
	if b.Name == "renamed" || b.Settings.Version != 1 {
		t.Fatalf("after a failed audit the box is %s, settings version %d; want unchanged", b.Name, b.Settings.Version)
	}
	if b, err = SaveSettings(st, b.ID, alice, e, func(tx store.Tx, done store.Box) error { return audit("box.settings")(tx, done.Name) }); err != nil || b.Name != "renamed" || entries() != 2 {
		t.Fatalf("settings: %v, %d entries", err, entries())
	}

	// LaunchJob, CancelJob, DeleteJob.
	jobs := func() []store.Job {
		var js []store.Job
		st.View(func(tx store.Tx) error { js, _ = tx.JobsOf(b.ID); return nil })
		return js
	}
	if _, err := LaunchJob(st, b.ID, alice, "10.0.0.0/24", "22", "", nil, t0, failJob); !errors.Is(err, broken) || len(jobs()) != 0 {
		t.Fatalf("launch with a failing audit: %v, %d jobs stored; want the error and none", err, len(jobs()))
	}
	j, err := LaunchJob(st, b.ID, alice, "10.0.0.0/24", "22", "", nil, t0, func(tx store.Tx, done store.Job) error { return audit("job.launched")(tx, done.ID) })
	if err != nil || len(jobs()) != 1 || entries() != 3 {
		t.Fatalf("launch: %v, %d jobs, %d entries", err, len(jobs()), entries())
	}
	if _, err := CancelJob(st, b.ID, j.ID, alice, t0, failJob); !errors.Is(err, broken) || jobs()[0].State != store.JobPending {
		t.Fatalf("cancel with a failing audit: %v, job %s; want still pending", err, jobs()[0].State)
	}
	if _, err := DeleteJob(st, b.ID, j.ID, alice, failJob); !errors.Is(err, broken) || len(jobs()) != 1 {
		t.Fatalf("delete with a failing audit: %v, %d jobs; want the job kept", err, len(jobs()))
	}
	if _, err := CancelJob(st, b.ID, j.ID, alice, t0, func(tx store.Tx, done store.Job) error { return audit("job.canceled")(tx, done.ID) }); err != nil || jobs()[0].State != platformapi.JobCanceled {
		t.Fatalf("cancel: %v", err)
	}
	if _, err := DeleteJob(st, b.ID, j.ID, alice, func(tx store.Tx, done store.Job) error { return audit("job.deleted")(tx, done.ID) }); err != nil || len(jobs()) != 0 || entries() != 5 {
		t.Fatalf("delete: %v, %d jobs, %d entries", err, len(jobs()), entries())
	}
}
