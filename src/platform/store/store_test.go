package store_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"picket.dev/picket/src/platform/store"
	"picket.dev/picket/src/testkit/storetest"
)

func open(t *testing.T, path string) *store.Bolt {
	t.Helper()
	st, err := store.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// TestContract runs the Store contract on the embedded store, a file per
// case.
func TestContract(t *testing.T) {
	storetest.Run(t, func(t *testing.T) storetest.Opener {
		path := filepath.Join(t.TempDir(), "p.db")
		return func(lim store.Limits) store.Store {
			st := open(t, path)
			st.Limits = lim
			return st
		}
	})
}

var t0 = time.Date(2026, 11, 27, 6, 0, 0, 0, time.UTC)

// TestSessionIndexMigration: the expiry index of a database written
// before it existed is built when it is opened; undecodable sessions go.
func TestSessionIndexMigration(t *testing.T) {
	path := filepath.Join(t.TempDir(), "p.db")
	open(t, path).Close()
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		if err := tx.DeleteBucket([]byte("session_expiry")); err != nil {
			return err
		}
		b := tx.Bucket([]byte("sessions"))
		for i, exp := range []time.Time{t0, t0.Add(time.Hour)} {
			raw, _ := json.Marshal(store.Session{ID: fmt.Sprint("old", i), Expires: exp})
			if err := b.Put(fmt.Append(nil, "old", i), raw); err != nil {
				return err
			}
		}
		return b.Put([]byte("garbage"), []byte("{"))
	})
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	st := open(t, path)
	defer st.Close()
	if err := st.Update(func(tx store.Tx) error { return tx.DeleteExpiredSessions(t0.Add(time.Minute)) }); err != nil {
		t.Fatal(err)
	}
	st.View(func(tx store.Tx) error {
		if n, _ := tx.SessionCount(); n != 1 {
			t.Errorf("%d sessions after migration and expiry, want 1 (old1)", n)
		}
		if _, err := tx.Session("old1"); err != nil {
			t.Errorf("old1: %v", err)
		}
		return nil
	})
}

// TestExportKinds: every bucket of the file is a kind of record Export
// gives or an index rebuilt from them, so a new bucket cannot be left out
// of a copy to another store (platformd -migrate-to) unnoticed; Export
// gives each record once, kind by kind.
func TestExportKinds(t *testing.T) {
	want := append(store.Kinds(), store.IndexBuckets()...)
	slices.Sort(want)
	got := store.Buckets()
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Errorf("buckets %v; Kinds and IndexBuckets name %v", got, want)
	}
	st := open(t, filepath.Join(t.TempDir(), "p.db"))
	defer st.Close()
	err := st.Update(func(tx store.Tx) error {
		if err := tx.PutUser(store.User{Name: "alice"}); err != nil {
			return err
		}
		if err := tx.PutJob(store.Job{ID: "job-1", BoxID: "box1", Created: t0}); err != nil {
			return err
		}
		if err := tx.PutSession(store.Session{ID: "s1", Expires: t0}); err != nil {
			return err
		}
		if err := tx.PutAssetGroup(store.AssetGroup{Account: "acme", Name: "lab"}); err != nil {
			return err
		}
		return tx.AppendAudit(store.AuditEntry{Account: "acme", Action: "login"})
	})
	if err != nil {
		t.Fatal(err)
	}
	var seen []string
	err = st.Export(func(kind string, key, value []byte) error {
		seen = append(seen, kind+" "+string(key))
		if !json.Valid(value) {
			t.Errorf("%s %s: not JSON: %q", kind, key, value)
		}
		return nil
	})
	if err != nil || !slices.Equal(seen, []string{"users alice", "jobs job-1", "sessions s1", "asset_groups acme\nlab", "audit acme\n00000000000000000001"}) {
		t.Errorf("exported %q, %v", seen, err)
	}
}

// TestBackup: a backup taken while the store is open is a database file
// Open takes, with what was committed.
func TestBackup(t *testing.T) {
	dir := t.TempDir()
	st := open(t, filepath.Join(dir, "p.db"))
	defer st.Close()
	if err := st.Update(func(tx store.Tx) error { return tx.PutUser(store.User{Name: "alice"}) }); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	n, err := st.Backup(&buf)
	if err != nil || n != int64(buf.Len()) || n == 0 {
		t.Fatalf("backup: %d bytes (%d written), %v", n, buf.Len(), err)
	}
	copyPath := filepath.Join(dir, "copy.db")
	if err := os.WriteFile(copyPath, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	cp := open(t, copyPath)
	defer cp.Close()
	cp.View(func(tx store.Tx) error {
		if _, err := tx.User("alice"); err != nil {
			t.Errorf("the backup's user: %v", err)
		}
		return nil
	})
}
