package people_test

import (
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"picket.dev/picket/src/link/platformapi"
	"picket.dev/picket/src/platform/auth"
	"picket.dev/picket/src/platform/people"
	"picket.dev/picket/src/platform/store"
)

var (
	t0    = time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
	cheap = auth.Params{Memory: 64, Time: 1, Threads: 1}
)

func setup(t *testing.T) (store.Store, people.Actor, store.Box) {
	t.Helper()
	st, err := store.Open(filepath.Join(t.TempDir(), "p.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	pub, _, _ := ed25519.GenerateKey(rand.Reader)
	bx := store.Box{ID: store.BoxID(pub), Key: platformapi.EncodeKey(pub), Code: platformapi.ActivationCode(pub),
		State: store.BoxActive, Account: "acme", Name: "b1", AssetGroup: "lab"}
	alice := store.User{Name: "alice", Role: store.RoleManager, Account: "acme"}
	err = st.Update(func(tx store.Tx) error {
		for _, u := range []store.User{alice, {Name: "rita", Role: store.RoleReader, Account: "acme", AssetGroups: []string{"lab"}}} {
			if err := tx.PutUser(u); err != nil {
				return err
			}
		}
		if err := tx.PutRollout(store.Rollout{Account: "acme", Channel: store.ChannelSignatures, Version: "1", Group: "lab"}); err != nil {
			return err
		}
		return tx.PutBox(bx) // "lab" is named by the box and rita only: no record yet
	})
	if err != nil {
		t.Fatal(err)
	}
	return st, people.Actor{User: alice, Addr: "192.0.2.7", Now: t0}, bx
}

func userErr(t *testing.T, err error, want string) {
	t.Helper()
	var ue *people.UserError
	if !errors.As(err, &ue) || !strings.Contains(ue.Msg, want) {
		t.Errorf("error %v, want a UserError with %q", err, want)
	}
}

// TestRenameGroup: a group named only by a box and a user (from before
// groups were records) is listed, and its rename reaches the box, the
// user and the rollout staged on it.
func TestRenameGroup(t *testing.T) {
	st, a, bx := setup(t)
	var gs []people.Group
	st.View(func(tx store.Tx) error { gs, _ = people.Groups(tx, "acme"); return nil })
	if len(gs) != 1 || gs[0].Name != "lab" || gs[0].Defined || gs[0].Boxes != 1 || !slices.Equal(gs[0].Users, []string{"rita"}) {
		t.Fatalf("groups %+v", gs)
	}
	userErr(t, people.RenameGroup(st, a, "nope", "x"), "no asset group")
	if err := people.CreateGroup(st, a, "dmz"); err != nil {
		t.Fatal(err)
	}
	userErr(t, people.RenameGroup(st, a, "lab", "dmz"), "already exists")
	if err := people.RenameGroup(st, a, "lab", "branch lab"); err != nil {
		t.Fatal(err)
	}
	st.View(func(tx store.Tx) error {
		b, _ := tx.Box(bx.ID)
		u, _ := tx.User("rita")
		r, _ := tx.Rollout("acme", store.ChannelSignatures)
		if b.AssetGroup != "branch lab" || !slices.Equal(u.AssetGroups, []string{"branch lab"}) || r.Group != "branch lab" {
			t.Errorf("after rename: box %q, rita %v, rollout %q", b.AssetGroup, u.AssetGroups, r.Group)
		}
		gs, _ := tx.AssetGroups("acme")
		if len(gs) != 2 || gs[0].Name != "branch lab" || gs[1].Name != "dmz" {
			t.Errorf("group records %+v", gs)
		}
		return nil
	})
	// Not empty: refused; emptied (box moved, rita changed), deleted.
	userErr(t, people.DeleteGroup(st, a, "branch lab"), "still has 1 boxes and users rita")
	if _, err := people.MoveBox(st, a, bx.ID, "dmz"); err != nil {
		t.Fatal(err)
	}
	if _, err := people.Change(st, a, "rita", people.Form{Role: store.RoleReader, Groups: []string{"dmz"}}); err != nil {
		t.Fatal(err)
	}
	if err := people.DeleteGroup(st, a, "branch lab"); err != nil {
		t.Fatal(err)
	}
	_, err := people.MoveBox(st, a, bx.ID, "branch lab")
	userErr(t, err, "no asset group")
	var es []store.AuditEntry
	st.View(func(tx store.Tx) error { es, _ = tx.AuditLog("acme", 0, 100); return nil })
	var got []string
	for _, e := range es {
		got = append(got, e.Action+" "+e.Object+": "+e.Detail)
		if e.Addr != "192.0.2.7" || !e.Time.Equal(t0) || e.User != "alice" {
			t.Errorf("entry %+v", e)
		}
	}
	want := []string{
		"group.deleted branch lab: ",
		"user.changed rita: role reader, groups branch lab → role reader, groups dmz",
		"box.moved " + bx.ID + ": b1: group branch lab → group dmz",
		"group.renamed lab: renamed to branch lab",
		"group.created dmz: ",
	}
	if !slices.Equal(got, want) {
		t.Errorf("audit:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestOnlyManagers: a unit manager or reader acting directly on the
// package (not through the web UI) is refused too.
func TestOnlyManagers(t *testing.T) {
	st, a, bx := setup(t)
	for _, role := range []string{store.RoleUnitManager, store.RoleReader} {
		a.User.Role = role
		_, err := people.Create(st, a, "bob", people.Form{Role: store.RoleReader, AllGroups: true}, "long enough pw", cheap)
		userErr(t, err, "only managers")
		_, err = people.SetDisabled(st, a, "rita", true)
		userErr(t, err, "only managers")
		_, err = people.MoveBox(st, a, bx.ID, "")
		userErr(t, err, "only managers")
		userErr(t, people.CreateGroup(st, a, "x"), "only managers")
	}
}
