package store_test

import (
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"picket.dev/picket/src/platform/store"
)

func TestUserSessionsDeleted(t *testing.T) {
	st := open(t, filepath.Join(t.TempDir(), "p.db"))
	defer st.Close()
	err := st.Update(func(tx store.Tx) error {
		for i, u := range []string{"alice", "bob", "alice", ""} {
			s := store.Session{ID: fmt.Sprintf("s%d", i), User: u, Created: t0, Expires: t0.Add(time.Hour)}
			if err := tx.PutSession(s); err != nil {
				return err
			}
		}
		if err := tx.DeleteUserSessions("alice"); err != nil {
			return err
		}
		for id, want := range map[string]bool{"s0": false, "s1": true, "s2": false, "s3": true} {
			if _, err := tx.Session(id); (err == nil) != want {
				t.Errorf("session %s: err %v, want kept %v", id, err, want)
			}
		}
		// The expiry index lost them too: expiring everything deletes
		// exactly the two left.
		if err := tx.DeleteExpiredSessions(t0.Add(2 * time.Hour)); err != nil {
			return err
		}
		if n, _ := tx.SessionCount(); n != 0 {
			t.Errorf("%d sessions after all expired, want 0", n)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestAssetGroups(t *testing.T) {
	st := open(t, filepath.Join(t.TempDir(), "p.db"))
	defer st.Close()
	err := st.Update(func(tx store.Tx) error {
		for _, g := range []store.AssetGroup{{Account: "acme", Name: "office"}, {Account: "acme", Name: "lab"}, {Account: "acme2", Name: "hr"}} {
			if err := tx.PutAssetGroup(g); err != nil {
				return err
			}
		}
		if err := tx.PutAssetGroup(store.AssetGroup{Account: "a\nb", Name: "x"}); err == nil {
			t.Error("account with a newline accepted")
		}
		if err := tx.PutAssetGroup(store.AssetGroup{Account: "acme"}); err == nil {
			t.Error("group without a name accepted")
		}
		gs, err := tx.AssetGroups("acme")
		if err != nil {
			return err
		}
		var names []string
		for _, g := range gs {
			names = append(names, g.Account+"/"+g.Name)
		}
		// Ordered by name, only the account's ("acme2" shares a prefix).
		if !slices.Equal(names, []string{"acme/lab", "acme/office"}) {
			t.Errorf("groups %v", names)
		}
		if err := tx.DeleteAssetGroup("acme", "lab"); err != nil {
			return err
		}
		if err := tx.DeleteAssetGroup("acme", "lab"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("deleting it again: %v, want ErrNotFound", err)
		}
		gs, _ = tx.AssetGroups("acme")
		if len(gs) != 1 || gs[0].Name != "office" {
			t.Errorf("after delete: %+v", gs)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestAuditLog(t *testing.T) {
	path := filepath.Join(t.TempDir(), "p.db")
	st := open(t, path)
	err := st.Update(func(tx store.Tx) error {
		for i := range 7 {
			for _, acct := range []string{"acme", "acme2"} {
				e := store.AuditEntry{Account: acct, Time: t0.Add(time.Duration(i) * time.Second), User: "alice",
					Action: "login", Detail: fmt.Sprint(i), Addr: "192.0.2.1"}
				if err := tx.AppendAudit(e); err != nil {
					return err
				}
			}
		}
		if err := tx.AppendAudit(store.AuditEntry{Action: "login"}); err == nil {
			t.Error("entry without an account accepted")
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	st = open(t, path) // the sequence and entries survive a reopen
	defer st.Close()
	page := func(before uint64, limit int) (details []string, seqs []uint64) {
		t.Helper()
		err := st.View(func(tx store.Tx) error {
			es, err := tx.AuditLog("acme", before, limit)
			for _, e := range es {
				if e.Account != "acme" || e.Addr != "192.0.2.1" {
					t.Errorf("entry %+v", e)
				}
				details, seqs = append(details, e.Detail), append(seqs, e.Seq)
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		return details, seqs
	}
	d1, s1 := page(0, 3)
	if !slices.Equal(d1, []string{"6", "5", "4"}) {
		t.Fatalf("newest page %v", d1)
	}
	d2, s2 := page(s1[2], 3)
	if !slices.Equal(d2, []string{"3", "2", "1"}) {
		t.Fatalf("next page %v", d2)
	}
	if d3, _ := page(s2[2], 10); !slices.Equal(d3, []string{"0"}) {
		t.Fatalf("last page %v", d3)
	}
	err = st.Update(func(tx store.Tx) error {
		return tx.AppendAudit(store.AuditEntry{Account: "acme", Action: "logout", Detail: "7", Addr: "192.0.2.1"})
	})
	if err != nil {
		t.Fatal(err)
	}
	if d, s := page(0, 1); d[0] != "7" || s[0] <= s1[0] {
		t.Errorf("after reopen: newest %v seq %v, want 7 with a seq above %d", d, s, s1[0])
	}
	if d, _ := page(0, 100); len(d) != 8 {
		t.Errorf("%d entries of acme, want 8", len(d))
	}
}
