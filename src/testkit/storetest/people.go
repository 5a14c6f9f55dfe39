package storetest

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"picket.dev/picket/src/platform/store"
)

// userSessionsDeleted: DeleteUserSessions deletes every session of one
// user and no other (pre-login sessions have no user), and the expiry
// index forgets them too.
func testUserSessionsDeleted(t *testing.T, db Opener) {
	st := db(store.DefaultLimits)
	defer st.Close()
	err := st.Update(func(tx store.Tx) error {
		for i, u := range []string{"alice", "bob", "alice", ""} {
			s := store.Session{ID: fmt.Sprintf("s%d", i), User: u, Created: t0, Expires: t0.Add(time.Hour)}
			if err := tx.PutSession(s); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	err = st.Update(func(tx store.Tx) error {
		// A session that changes hands (pre-login, then logged in as
		// alice) is found by its present user.
		s, err := tx.Session("s3")
		if err != nil {
			return err
		}
		s.User = "alice"
		if err := tx.PutSession(s); err != nil {
			return err
		}
		if err := tx.DeleteUserSessions("alice"); err != nil {
			return err
		}
		for id, want := range map[string]bool{"s0": false, "s1": true, "s2": false, "s3": false} {
			if _, err := tx.Session(id); (err == nil) != want {
				t.Errorf("session %s: err %v, want kept %v", id, err, want)
			}
		}
		// The expiry index lost them too: expiring everything deletes
		// exactly the one left.
		if n, _ := tx.SessionCount(); n != 1 {
			t.Errorf("%d sessions left, want 1", n)
		}
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

func groupNames(gs []store.AssetGroup) []string {
	var names []string
	for _, g := range gs {
		names = append(names, g.Account+"/"+g.Name)
	}
	return names
}

// assetGroups: an account's groups, ordered by name, only its own; a
// group replaced keeps one record; deleting a missing one is ErrNotFound.
func testAssetGroups(t *testing.T, db Opener) {
	st := db(store.DefaultLimits)
	err := st.Update(func(tx store.Tx) error {
		for _, g := range []store.AssetGroup{{Account: "acme", Name: "office"}, {Account: "acme", Name: "lab"},
			{Account: "acme", Name: "Zoo"}, {Account: "acme2", Name: "hr"}, {Account: "acm", Name: "e"}} {
			g.CreatedBy, g.Created = "alice", t0
			if err := tx.PutAssetGroup(g); err != nil {
				return err
			}
		}
		if err := tx.PutAssetGroup(store.AssetGroup{Account: "a\nb", Name: "x"}); err == nil {
			t.Error("account with a newline accepted")
		}
		if err := tx.PutAssetGroup(store.AssetGroup{Name: "x"}); err == nil {
			t.Error("group without an account accepted")
		}
		if err := tx.PutAssetGroup(store.AssetGroup{Account: "acme"}); err == nil {
			t.Error("group without a name accepted")
		}
		// Replaced, not added.
		return tx.PutAssetGroup(store.AssetGroup{Account: "acme", Name: "lab", CreatedBy: "bob", Created: t0})
	})
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	st = db(store.DefaultLimits) // persisted
	defer st.Close()
	err = st.Update(func(tx store.Tx) error {
		gs, err := tx.AssetGroups("acme")
		if err != nil {
			return err
		}
		// Ordered by name, byte order (capitals first), only the
		// account's ("acme2" and "acm" + "e" share a prefix).
		if names := groupNames(gs); !slices.Equal(names, []string{"acme/Zoo", "acme/lab", "acme/office"}) {
			t.Errorf("groups %v", names)
		}
		if len(gs) == 3 && (gs[1].CreatedBy != "bob" || !gs[1].Created.Equal(t0)) {
			t.Errorf("replaced group %+v", gs[1])
		}
		if gs, err := tx.AssetGroups("nobody"); err != nil || len(gs) != 0 {
			t.Errorf("groups of an account without any: %v, %v", gs, err)
		}
		if err := tx.DeleteAssetGroup("acme", "lab"); err != nil {
			return err
		}
		if err := tx.DeleteAssetGroup("acme", "lab"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("deleting it again: %v, want ErrNotFound", err)
		}
		if err := tx.DeleteAssetGroup("acme2", "office"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("deleting another account's name: %v, want ErrNotFound", err)
		}
		gs, _ = tx.AssetGroups("acme")
		if names := groupNames(gs); !slices.Equal(names, []string{"acme/Zoo", "acme/office"}) {
			t.Errorf("after delete: %v", names)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// auditLog: entries are an account's only, newest first, paged by Seq,
// every field kept; the sequence survives a reopen.
func testAuditLog(t *testing.T, db Opener) {
	st := db(store.DefaultLimits)
	err := st.Update(func(tx store.Tx) error {
		for i := range 7 {
			for _, acct := range []string{"acme", "acme2"} {
				e := store.AuditEntry{Account: acct, Time: t0.Add(time.Duration(i) * time.Second), User: "alice",
					Action: "login", Object: "alice", Detail: fmt.Sprint(i), Addr: "192.0.2.1"}
				if err := tx.AppendAudit(e); err != nil {
					return err
				}
			}
		}
		if err := tx.AppendAudit(store.AuditEntry{Action: "login"}); err == nil {
			t.Error("entry without an account accepted")
		}
		if err := tx.AppendAudit(store.AuditEntry{Account: "a\nb", Action: "login"}); err == nil {
			t.Error("entry of an account with a newline accepted")
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	st = db(store.DefaultLimits) // the sequence and entries survive a reopen
	defer st.Close()
	page := func(before uint64, limit int) (details []string, seqs []uint64) {
		t.Helper()
		err := st.View(func(tx store.Tx) error {
			es, err := tx.AuditLog("acme", before, limit)
			for _, e := range es {
				if e.Account != "acme" || e.Addr != "192.0.2.1" || e.User != "alice" || e.Object != "alice" {
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
	if d, _ := page(0, 0); len(d) != 0 {
		t.Errorf("a page of 0 entries: %v", d)
	}
	st.View(func(tx store.Tx) error {
		es, err := tx.AuditLog("acme", s1[0], 1)
		if err != nil || len(es) != 1 || es[0].Detail != "5" || !es[0].Time.Equal(t0.Add(5*time.Second)) || es[0].Action != "login" {
			t.Errorf("the entry before the newest: %+v, %v", es, err)
		}
		if es, err := tx.AuditLog("acm", 0, 100); err != nil || len(es) != 0 {
			t.Errorf("entries of an account without any: %+v, %v", es, err)
		}
		return nil
	})
	err = st.Update(func(tx store.Tx) error {
		return tx.AppendAudit(store.AuditEntry{Account: "acme", User: "alice", Object: "alice", Action: "logout", Detail: "7", Addr: "192.0.2.1"})
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

// auditConcurrent: people acting at once (concurrent transactions) each
// get their entries appended with distinct Seqs, each person's in the
// order they were appended; an Update that fails leaves no entry.
func testAuditConcurrent(t *testing.T, db Opener) {
	st := db(store.DefaultLimits)
	defer st.Close()
	AuditConcurrently(t, []store.Store{st}, 4, 12)
}

// AuditConcurrently has writers append n entries each, one transaction
// per entry, at once, spread over the stores (replicas of one database),
// and checks what the log of the first store then holds: every entry
// once, Seqs distinct and going down, each writer's entries in the order
// it appended them, the same pages whatever their size; the entries of
// failed transactions are not there.
func AuditConcurrently(t *testing.T, sts []store.Store, writers, n int) {
	t.Helper()
	errFail := errors.New("this action fails")
	var wg sync.WaitGroup
	errs := make([]error, writers)
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			st := sts[w%len(sts)]
			for i := range n {
				e := store.AuditEntry{Account: "acme", Time: t0, User: fmt.Sprint("user", w), Action: "box.rename", Detail: fmt.Sprint(i)}
				err := st.Update(func(tx store.Tx) error {
					// A read of what the action changes, as the web UI's
					// handlers do, so that concurrent ones may conflict.
					if _, err := tx.AuditLog("acme", 0, 1); err != nil {
						return err
					}
					return tx.AppendAudit(e)
				})
				if err != nil {
					errs[w] = err
					return
				}
				err = st.Update(func(tx store.Tx) error {
					if err := tx.AppendAudit(store.AuditEntry{Account: "acme", User: e.User, Action: "failed"}); err != nil {
						return err
					}
					return errFail
				})
				if !errors.Is(err, errFail) {
					errs[w] = fmt.Errorf("failing update: %v", err)
					return
				}
			}
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	var all []store.AuditEntry
	err := sts[0].View(func(tx store.Tx) error {
		var err error
		all, err = tx.AuditLog("acme", 0, writers*n+10)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != writers*n {
		t.Fatalf("%d entries, want %d", len(all), writers*n)
	}
	next := map[string]int{} // per writer, the Detail expected next, walking down
	for i, e := range all {
		if e.Action != "box.rename" {
			t.Errorf("entry %+v of a failed transaction", e)
		}
		if i > 0 && e.Seq >= all[i-1].Seq {
			t.Errorf("entry %d: seq %d after %d, want going down", i, e.Seq, all[i-1].Seq)
		}
		if _, ok := next[e.User]; !ok {
			next[e.User] = n - 1
		}
		if e.Detail != fmt.Sprint(next[e.User]) {
			t.Errorf("%s's entry %s where %d was due: their entries out of order", e.User, e.Detail, next[e.User])
		}
		next[e.User]--
	}
	for _, size := range []int{1, 5, 7} {
		var got []store.AuditEntry
		before := uint64(0)
		for len(got) <= len(all) {
			var es []store.AuditEntry
			err := sts[len(sts)-1].View(func(tx store.Tx) error {
				var err error
				es, err = tx.AuditLog("acme", before, size)
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			if len(es) == 0 {
				break
			}
			got = append(got, es...)
			before = es[len(es)-1].Seq
		}
		if !slices.EqualFunc(got, all, func(a, b store.AuditEntry) bool { return a.Seq == b.Seq && a.Detail == b.Detail }) {
			t.Errorf("pages of %d: %d entries, not the %d of one read", size, len(got), len(all))
		}
	}
}
