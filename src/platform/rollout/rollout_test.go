package rollout_test

import (
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"picket.dev/picket/src/link/platformapi"
	"picket.dev/picket/src/platform/releases"
	"picket.dev/picket/src/platform/rollout"
	"picket.dev/picket/src/platform/store"
	"picket.dev/picket/src/testkit/tufrepo"
)

var t0 = time.Date(2026, 12, 1, 6, 0, 0, 0, time.UTC)

func catalog(t *testing.T) releases.Catalog {
	t.Helper()
	dir := t.TempDir()
	err := tufrepo.New(dir).Publish(
		tufrepo.Software("virtual", "1.1.0", []byte("a")), tufrepo.Software("virtual", "1.2.0", []byte("b")),
		tufrepo.Software("rpi4", "1.2.0", []byte("c")), tufrepo.Signatures("2026.12.01", []byte("s")))
	if err != nil {
		t.Fatal(err)
	}
	c, err := releases.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func box(i int, board, scanner, sigs string) store.Box {
	return store.Box{ID: fmt.Sprintf("%016x", i*7919), State: store.BoxActive, Account: "acme", Board: board,
		Versions: platformapi.Versions{Scanner: scanner, Signatures: sigs}}
}

// bucket is the documented formula, written again from the package doc.
func bucket(channel, version, id string) int {
	s := sha256.Sum256([]byte("picket-rollout\n" + channel + "\n" + version + "\n" + id))
	return int(binary.BigEndian.Uint64(s[:8]) % 100)
}

// TestPercentStage: a 50% rollout reaches the boxes whose bucket (the
// documented hash) is below 50, about half of many; raising it to 80
// keeps every box already in and adds some; boxes on the release or newer
// (and "dev" builds) get no notice, nor do other boards.
func TestPercentStage(t *testing.T) {
	cat := catalog(t)
	r := store.Rollout{Account: "acme", Channel: "software/virtual", Version: "1.2.0", Target: "software/virtual/1.2.0/rootfs.img", Percent: 50}
	in50 := map[string]bool{}
	n := 0
	for i := range 1000 {
		b := box(i, "virtual", "1.1.0", "2026.12.01")
		got := rollout.Notices([]store.Rollout{r}, cat, b)
		want := bucket("software/virtual", "1.2.0", b.ID) < 50
		if (len(got) == 1) != want {
			t.Fatalf("box %s: notices %+v, want one: %v", b.ID, got, want)
		}
		if want {
			in50[b.ID] = true
			n++
			if got[0] != (platformapi.UpdateNotice{Kind: "software", Version: "1.2.0", Target: "software/virtual/1.2.0/rootfs.img"}) {
				t.Fatalf("notice %+v", got[0])
			}
		}
	}
	if n < 430 || n > 570 {
		t.Errorf("50%% reached %d boxes of 1000", n)
	}
	r.Percent = 80
	added := 0
	for i := range 1000 {
		b := box(i, "virtual", "1.1.0", "")
		in := rollout.InStage(r, b)
		if in50[b.ID] && !in {
			t.Fatalf("box %s left the rollout when it grew to 80%%", b.ID)
		}
		if in && !in50[b.ID] {
			added++
		}
	}
	if added == 0 {
		t.Error("80% added no box")
	}
	r.Percent = 100
	for _, b := range []store.Box{box(1, "virtual", "1.2.0", ""), box(2, "virtual", "1.10.0", ""), box(3, "virtual", "dev", ""), box(4, "rpi4", "1.0.0", "")} {
		if got := rollout.Notices([]store.Rollout{r}, cat, b); len(got) != 0 {
			t.Errorf("box on %s (%s): notices %+v, want none", b.Versions.Scanner, b.Board, got)
		}
	}
	if got := rollout.Notices([]store.Rollout{r}, cat, box(5, "virtual", "", "")); len(got) != 1 {
		t.Errorf("box reporting no version: notices %+v, want one", got)
	}
}

// TestGroupEveryonePaused: a group stage reaches that group only, then
// everyone; a paused rollout, one of another account, or one whose
// release left the repository sends nothing. Signatures are their own
// channel: a box without a database ("none") gets them, with force.
func TestGroupEveryonePaused(t *testing.T) {
	cat := catalog(t)
	lab, office := box(1, "virtual", "1.1.0", "none"), box(2, "virtual", "1.1.0", "2026.11.27")
	lab.AssetGroup, office.AssetGroup = "lab", "office"
	sw := store.Rollout{Account: "acme", Channel: "software/virtual", Version: "1.2.0", Target: "software/virtual/1.2.0/rootfs.img", Group: "lab"}
	sig := store.Rollout{Account: "acme", Channel: "signatures", Version: "2026.12.01", Target: "signatures/2026.12.01/signatures.pkg", Everyone: true, Force: true}
	rs := []store.Rollout{sig, sw}
	if got := rollout.Notices(rs, cat, lab); len(got) != 2 || got[0].Kind != "software" || got[1].Kind != "signatures" || !got[1].Force || got[0].Force {
		t.Errorf("lab box: %+v", got)
	}
	if got := rollout.Notices(rs, cat, office); len(got) != 1 || got[0].Kind != "signatures" {
		t.Errorf("office box, software to lab only: %+v", got)
	}
	rs[1].Everyone = true
	if got := rollout.Notices(rs, cat, office); len(got) != 2 {
		t.Errorf("office box, everyone: %+v", got)
	}
	rs[1].Paused = true
	if got := rollout.Notices(rs, cat, office); len(got) != 1 {
		t.Errorf("office box, software paused: %+v", got)
	}
	other := office
	other.Account = "other"
	if got := rollout.Notices(rs, cat, other); len(got) != 0 {
		t.Errorf("another account's box: %+v", got)
	}
	gone := store.Rollout{Account: "acme", Channel: "software/virtual", Version: "1.3.0", Target: "software/virtual/1.3.0/rootfs.img", Everyone: true}
	if got := rollout.Notices([]store.Rollout{gone}, cat, office); len(got) != 0 {
		t.Errorf("a release the repository no longer lists: %+v", got)
	}
}

// TestApply: the form's rules (managers only, a listed release, a stage)
// and its actions; raising the percentage keeps the rollout's start.
func TestApply(t *testing.T) {
	cat := catalog(t)
	st, err := store.Open(filepath.Join(t.TempDir(), "p.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	alice := store.User{Name: "alice", Role: store.RoleManager, Account: "acme"}
	uma := store.User{Name: "uma", Role: store.RoleUnitManager, Account: "acme"}
	start := rollout.Form{Channel: "software/virtual", Action: "start", Version: "1.2.0", Stage: "percent", Percent: "10"}
	var fe *rollout.FormError
	for name, tc := range map[string]struct {
		u    store.User
		f    rollout.Form
		want string
	}{
		"unit manager":     {uma, start, "only managers"},
		"unknown release":  {alice, rollout.Form{Channel: "software/virtual", Action: "start", Version: "9.9", Stage: "percent", Percent: "1"}, `no release "9.9"`},
		"percentage range": {alice, rollout.Form{Channel: "software/virtual", Action: "start", Version: "1.2.0", Stage: "percent", Percent: "101"}, "0 to 100"},
		"no group":         {alice, rollout.Form{Channel: "software/virtual", Action: "start", Version: "1.2.0", Stage: "group"}, "asset group"},
		"pause nothing":    {alice, rollout.Form{Channel: "signatures", Action: "pause"}, "start one first"},
		"bad channel":      {alice, rollout.Form{Channel: "firmware", Action: "start"}, "no update channel"},
	} {
		if _, err := rollout.Apply(st, tc.u, cat, tc.f, t0, nil); !errors.As(err, &fe) || !strings.Contains(fe.Msg, tc.want) {
			t.Errorf("%s: %v, want a form error with %q", name, err, tc.want)
		}
	}
	r, err := rollout.Apply(st, alice, cat, start, t0, nil)
	if err != nil || r.Percent != 10 || r.Target != "software/virtual/1.2.0/rootfs.img" || !r.Started.Equal(t0) {
		t.Fatalf("start: %+v, %v", r, err)
	}
	start.Percent, start.Force = "50%", true
	r, err = rollout.Apply(st, alice, cat, start, t0.Add(time.Hour), nil)
	if err != nil || r.Percent != 50 || !r.Force || !r.Started.Equal(t0) || !r.Updated.Equal(t0.Add(time.Hour)) {
		t.Fatalf("raise to 50%%: %+v, %v", r, err)
	}
	for _, step := range []struct {
		action            string
		paused, everybody bool
	}{{"pause", true, false}, {"resume", false, false}, {"pause", true, false}, {"everyone", false, true}} {
		r, err = rollout.Apply(st, alice, cat, rollout.Form{Channel: "software/virtual", Action: step.action}, t0, nil)
		if err != nil || r.Paused != step.paused || r.Everyone != step.everybody || r.Percent != 50 {
			t.Fatalf("%s: %+v, %v", step.action, r, err)
		}
	}
	// Another release starts afresh.
	r, err = rollout.Apply(st, alice, cat, rollout.Form{Channel: "software/virtual", Action: "start", Version: "1.1.0", Stage: "group", Group: "lab"}, t0.Add(2*time.Hour), nil)
	if err != nil || r.Group != "lab" || r.Everyone || r.Force || !r.Started.Equal(t0.Add(2*time.Hour)) {
		t.Fatalf("start 1.1.0 to lab: %+v, %v", r, err)
	}
}

// TestSummarize: boxes counted per channel and version, newest first,
// with those in the stage and those told now.
func TestSummarize(t *testing.T) {
	cat := catalog(t)
	boxes := []store.Box{box(1, "virtual", "1.1.0", "none"), box(2, "virtual", "1.2.0", "none"), box(3, "virtual", "1.1.0", "2026.12.01"), box(4, "rpi4", "1.2.0", "none")}
	boxes[0].AssetGroup, boxes[1].AssetGroup = "lab", "lab"
	rs := []store.Rollout{{Account: "acme", Channel: "software/virtual", Version: "1.2.0", Target: "software/virtual/1.2.0/rootfs.img", Group: "lab"}}
	cs := rollout.Summarize(cat, rs, boxes)
	if len(cs) != 3 || cs[0].Name != "signatures" || cs[1].Name != "software/rpi4" || cs[2].Name != "software/virtual" {
		t.Fatalf("channels %+v", cs)
	}
	v := cs[2]
	if v.Boxes != 3 || v.InStage != 2 || v.Notified != 1 || v.Rollout == nil || len(v.Versions) != 2 ||
		v.Versions[0] != (rollout.VersionCount{Version: "1.2.0", Boxes: 1}) || v.Versions[1] != (rollout.VersionCount{Version: "1.1.0", Boxes: 2}) {
		t.Errorf("software/virtual: %+v", v)
	}
	if s := cs[0]; s.Boxes != 4 || s.Rollout != nil || len(s.Versions) != 2 || s.Versions[0].Version != "2026.12.01" || s.Versions[1] != (rollout.VersionCount{Version: "none", Boxes: 3}) {
		// "none" (no database) is the oldest, though letters order after
		// digits in Debian order.
		t.Errorf("signatures: %+v", s)
	}
	if got := rollout.Latest(cat, "software/virtual", "1.1.0"); got != "latest is 1.2.0" {
		t.Errorf("Latest(1.1.0) = %q", got)
	}
	if got := rollout.Latest(cat, "software/virtual", "1.2.0"); got != "latest" {
		t.Errorf("Latest(1.2.0) = %q", got)
	}
	if got := rollout.Latest(cat, "software/armv7", "1.2.0"); got != "" {
		t.Errorf("Latest of a channel without releases = %q", got)
	}
}

// TestApplyAuditInItsTransaction: a rollout change whose audit entry
// cannot be written is not applied; one whose entry is written is stored
// with it.
func TestApplyAuditInItsTransaction(t *testing.T) {
	cat := catalog(t)
	st, err := store.Open(filepath.Join(t.TempDir(), "p.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	alice := store.User{Name: "alice", Role: store.RoleManager, Account: "acme"}
	start := rollout.Form{Channel: "software/virtual", Action: "start", Version: "1.2.0", Stage: "percent", Percent: "10"}
	broken := errors.New("audit log full")
	if _, err := rollout.Apply(st, alice, cat, start, t0, func(store.Tx, store.Rollout) error { return broken }); !errors.Is(err, broken) {
		t.Fatalf("apply with a failing audit: %v, want %v", err, broken)
	}
	rollouts := func() ([]store.Rollout, []store.AuditEntry) {
		var rs []store.Rollout
		var es []store.AuditEntry
		st.View(func(tx store.Tx) error {
			rs, _ = tx.Rollouts("acme")
			es, _ = tx.AuditLog("acme", 0, 10)
			return nil
		})
		return rs, es
	}
	if rs, _ := rollouts(); len(rs) != 0 {
		t.Fatalf("after a failed audit: rollouts %+v, want none", rs)
	}
	if _, err := rollout.Apply(st, alice, cat, start, t0, func(tx store.Tx, r store.Rollout) error {
		return tx.AppendAudit(store.AuditEntry{Account: "acme", Time: t0, User: "alice", Action: "rollout.changed", Object: r.Channel, Detail: fmt.Sprint(r.Percent)})
	}); err != nil {
		t.Fatal(err)
	}
	if rs, es := rollouts(); len(rs) != 1 || len(es) != 1 || es[0].Object != "software/virtual" || es[0].Detail != "10" {
		t.Fatalf("rollouts %+v, audit %+v; want the rollout and its entry", rs, es)
	}
}
