package postgres_test

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"picket.dev/picket/src/platform/store"
	"picket.dev/picket/src/platform/store/postgres"
	"picket.dev/picket/src/scan/result"
	"picket.dev/picket/src/testkit/pgtest"
	"picket.dev/picket/src/testkit/storetest"
)

func open(t *testing.T, url string) *postgres.Store {
	t.Helper()
	st, err := postgres.Open(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// TestPostgres runs everything on one throwaway cluster (initdb is most
// of the time), a database per case.
func TestPostgres(t *testing.T) {
	c := pgtest.Start(t)
	t.Run("Contract", func(t *testing.T) {
		storetest.Run(t, func(t *testing.T) storetest.Opener {
			url := c.NewDB(t)
			return func(lim store.Limits) store.Store {
				st := open(t, url)
				st.Limits = lim
				return st
			}
		})
	})
	t.Run("Guard", func(t *testing.T) {
		storetest.RunGuard(t, func(t *testing.T) store.Store {
			st := open(t, c.NewDB(t))
			t.Cleanup(func() { st.Close() })
			return st
		})
	})
	// Two stores on one database: two replicas' Guards are one.
	t.Run("GuardReplicas", func(t *testing.T) {
		storetest.RunGuardReplicas(t, func(t *testing.T) (store.Store, store.Store) {
			url := c.NewDB(t)
			a, b := open(t, url), open(t, url)
			t.Cleanup(func() { a.Close(); b.Close() })
			return a, b
		})
	})
	t.Run("MigrationsFromEveryVersion", func(t *testing.T) { testMigrationsFromEveryVersion(t, c) })
	t.Run("NewerSchemaRefused", func(t *testing.T) { testNewerSchemaRefused(t, c) })
	t.Run("ConcurrentStarts", func(t *testing.T) { testConcurrentStarts(t, c) })
	t.Run("AuditAcrossReplicas", func(t *testing.T) { testAuditAcrossReplicas(t, c) })
	t.Run("Import", func(t *testing.T) { testImport(t, c) })
	t.Run("NoPasswordInErrors", func(t *testing.T) { testNoPasswordInErrors(t, c) })
}

// testMigrationsFromEveryVersion: for every schema version k, a database
// made at version k holding that version's fixture (testdata) is
// migrated to the latest and reads back through the Tx as written, and
// takes writes (sessions found by user, audit entries after the
// fixture's).
func testMigrationsFromEveryVersion(t *testing.T, c *pgtest.Cluster) {
	ctx := context.Background()
	if postgres.Latest() < 1 {
		t.Fatalf("no schema migrations embedded")
	}
	for k := 1; k <= postgres.Latest(); k++ {
		t.Run(fmt.Sprint("v", k), func(t *testing.T) {
			url := c.NewDB(t)
			if err := postgres.Migrate(ctx, url, k); err != nil {
				t.Fatal(err)
			}
			if v, err := postgres.SchemaVersion(ctx, url); err != nil || v != k {
				t.Fatalf("schema version %d, %v; want %d", v, err, k)
			}
			fixture, err := os.ReadFile(filepath.Join("testdata", fmt.Sprintf("fixture_%04d.sql", k)))
			if err != nil {
				t.Fatalf("every schema version needs its fixture: %v", err)
			}
			db := url[strings.LastIndex(url, "/")+1 : strings.Index(url, "?")]
			if err := c.Exec(db, string(fixture)); err != nil {
				t.Fatal(err)
			}
			st := open(t, url)
			defer st.Close()
			if v, err := postgres.SchemaVersion(ctx, url); err != nil || v != postgres.Latest() {
				t.Errorf("schema version after Open: %d, %v; want %d", v, err, postgres.Latest())
			}
			checkFixture(t, st, k)
			checkWrites(t, st)
			// Version 3: the Guard's secrets (made afresh before; an
			// import from the embedded store, whose Guard is in memory,
			// makes them afresh too).
			sec, err := st.Secret("fixture")
			if err != nil {
				t.Fatal(err)
			}
			if got := fmt.Sprintf("%x", sec); (got == "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f") != (k >= 3) {
				t.Errorf("secret of the fixture at version %d: %s", k, got)
			}
		})
	}
}

// checkFixture reads the records of testdata/fixture_*.sql of version
// (those of version 1 are in every fixture).
func checkFixture(t *testing.T, st store.Store, version int) {
	t.Helper()
	err := st.View(func(tx store.Tx) error {
		for _, get := range []func() (store.Box, error){
			func() (store.Box, error) { return tx.Box("b0000000000000001") },
			func() (store.Box, error) { return tx.BoxByKey("KEY-ACTIVE") },
			func() (store.Box, error) { return tx.BoxByCode("CODE-ACTIVE") },
			func() (store.Box, error) { return tx.BoxByName("lab") },
		} {
			b, err := get()
			if err != nil || b.ID != "b0000000000000001" || b.State != store.BoxActive || b.Settings.Version != 1 {
				t.Errorf("active box: %+v, %v", b, err)
			}
		}
		if n, err := tx.PendingCount(); n != 1 || err != nil {
			t.Errorf("pending boxes: %d, %v; want 1", n, err)
		}
		if u, err := tx.User("alice"); err != nil || u.Account != "acme" {
			t.Errorf("user: %+v, %v", u, err)
		}
		jobs, err := tx.JobsOf("b0000000000000001")
		if err != nil || len(jobs) != 2 || jobs[0].ID != "job-1" || jobs[1].ID != "job-2" {
			t.Errorf("jobs, oldest first: %+v, %v", jobs, err)
		}
		var hosts []string
		tx.EachHost("job-1", 0, func(h result.Host) error { hosts = append(hosts, h.Addr.String()); return nil })
		var withFindings []string
		tx.EachFindingHost("job-1", 0, func(h result.Host) error { withFindings = append(withFindings, h.Addr.String()); return nil })
		if fmt.Sprint(hosts, withFindings) != "[10.0.0.1 10.0.0.2] [10.0.0.2]" {
			t.Errorf("hosts %v, with findings %v", hosts, withFindings)
		}
		if tr, err := tx.Tracking("job-1"); err != nil || tr.Job != "job-1" {
			t.Errorf("tracking: %+v, %v", tr, err)
		}
		if up, err := tx.Upload("b0000000000000001", "u1"); err != nil || up.JobID != "job-1" {
			t.Errorf("upload: %+v, %v", up, err)
		}
		if s, err := tx.Session("s1"); err != nil || s.User != "alice" {
			t.Errorf("session: %+v, %v", s, err)
		}
		if r, err := tx.Rollouts("acme"); err != nil || len(r) != 1 || r[0].Version != "2026.12.01" {
			t.Errorf("rollouts: %+v, %v", r, err)
		}
		// Version 2: asset groups and the audit log (none before).
		var groups, audit []string
		gs, err := tx.AssetGroups("acme")
		for _, g := range gs {
			groups = append(groups, g.Name+" by "+g.CreatedBy)
		}
		if err != nil {
			t.Errorf("asset groups: %v", err)
		}
		es, err := tx.AuditLog("acme", 0, 10)
		for _, e := range es {
			audit = append(audit, fmt.Sprintf("%s %s %s %s %s", e.Time.Format(time.TimeOnly), e.User, e.Action, e.Object, e.Addr))
		}
		if err != nil {
			t.Errorf("audit log: %v", err)
		}
		if len(es) == 2 {
			if older, err := tx.AuditLog("acme", es[0].Seq, 10); err != nil || len(older) != 1 || older[0].Seq != es[1].Seq {
				t.Errorf("audit log before the newest: %+v, %v", older, err)
			}
		}
		want := "[] []"
		if version >= 2 {
			want = "[lab by alice office by alice] [06:00:02 alice group.create lab 192.0.2.1 06:00:00 alice login  192.0.2.1]"
		}
		if got := fmt.Sprint(groups, audit); got != want {
			t.Errorf("groups and audit log of acme: %s; want %s", got, want)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// checkWrites writes to a store holding a fixture: alice's session is
// found by her name (a session of version 1 too), and an audit entry
// appended comes after the fixture's.
func checkWrites(t *testing.T, st store.Store) {
	t.Helper()
	var newest uint64
	err := st.Update(func(tx store.Tx) error {
		if err := tx.DeleteUserSessions("alice"); err != nil {
			return err
		}
		if _, err := tx.Session("s1"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("alice's session after DeleteUserSessions: %v", err)
		}
		for _, acct := range []string{"acme2", "acme"} {
			es, err := tx.AuditLog(acct, 0, 1)
			if err != nil {
				return err
			}
			if len(es) > 0 {
				newest = max(newest, es[0].Seq)
			}
		}
		return tx.AppendAudit(store.AuditEntry{Account: "acme", User: "alice", Action: "logout"})
	})
	if err != nil {
		t.Fatal(err)
	}
	st.View(func(tx store.Tx) error {
		es, err := tx.AuditLog("acme", 0, 1)
		if err != nil || len(es) != 1 || es[0].Action != "logout" || es[0].Seq <= newest {
			t.Errorf("audit entry appended: %+v, %v; want the newest, with a seq above %d", es, err, newest)
		}
		return nil
	})
}

// testAuditAcrossReplicas: replicas (stores on one database) appending
// audit entries at once give each a distinct Seq, each person's in order
// (storetest.AuditConcurrently), read alike from either.
func testAuditAcrossReplicas(t *testing.T, c *pgtest.Cluster) {
	url := c.NewDB(t)
	a, b := open(t, url), open(t, url)
	defer a.Close()
	defer b.Close()
	storetest.AuditConcurrently(t, []store.Store{a, b}, 6, 10)
}

// testNewerSchemaRefused: a database a newer platformd migrated is
// refused, naming both versions, and left as it was.
func testNewerSchemaRefused(t *testing.T, c *pgtest.Cluster) {
	ctx := context.Background()
	url := c.NewDB(t)
	open(t, url).Close()
	newer := postgres.Latest() + 1
	db := url[strings.LastIndex(url, "/")+1 : strings.Index(url, "?")]
	if err := c.Exec(db, fmt.Sprintf("INSERT INTO schema_migrations (version, name) VALUES (%d, 'from_the_future')", newer)); err != nil {
		t.Fatal(err)
	}
	_, err := postgres.Open(ctx, url)
	if !errors.Is(err, postgres.ErrNewerSchema) || !strings.Contains(err.Error(), fmt.Sprintf("schema version %d", newer)) ||
		!strings.Contains(err.Error(), fmt.Sprintf("up to %d", postgres.Latest())) {
		t.Errorf("open of a newer database: %v; want ErrNewerSchema naming versions %d and %d", err, newer, postgres.Latest())
	}
	if v, err := postgres.SchemaVersion(ctx, url); v != newer || err != nil {
		t.Errorf("schema version after the refusal: %d, %v", v, err)
	}
}

// testConcurrentStarts: replicas opening a new database at once migrate
// it once (the advisory lock), and all of them start.
func testConcurrentStarts(t *testing.T, c *pgtest.Cluster) {
	url := c.NewDB(t)
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			st, err := postgres.Open(context.Background(), url)
			if err == nil {
				st.Close()
			}
			errs[i] = err
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("replica %d: %v", i, err)
		}
	}
	st := open(t, url)
	defer st.Close()
	var n int
	if err := st.Pool().QueryRow(context.Background(), "SELECT count(*) FROM schema_migrations").Scan(&n); err != nil || n != postgres.Latest() {
		t.Errorf("%d migrations recorded, %v; want %d", n, err, postgres.Latest())
	}
}

// testImport: records of an embedded store arrive byte for byte, found
// by every index; a second import into the now non-empty database is
// refused.
func testImport(t *testing.T, c *pgtest.Cluster) {
	src, err := store.Open(filepath.Join(t.TempDir(), "p.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	// The fixture's records, through the embedded store's Tx.
	fx := c.NewDB(t)
	db := fx[strings.LastIndex(fx, "/")+1 : strings.Index(fx, "?")]
	if err := postgres.Migrate(context.Background(), fx, postgres.Latest()); err != nil {
		t.Fatal(err)
	}
	fixture, err := os.ReadFile(fmt.Sprintf("testdata/fixture_%04d.sql", postgres.Latest()))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Exec(db, string(fixture)); err != nil {
		t.Fatal(err)
	}
	from := open(t, fx)
	defer from.Close()
	if err := copyAll(from, src); err != nil {
		t.Fatal(err)
	}
	checkFixture(t, src, postgres.Latest())

	dst := open(t, c.NewDB(t))
	defer dst.Close()
	counts, err := dst.Import(src)
	if err != nil {
		t.Fatal(err)
	}
	if got := counts.String(); got != "2 boxes, 1 users, 2 jobs, 2 job_hosts, 1 job_tracking, 1 uploads, 1 sessions, 1 rollouts, 3 asset_groups, 3 audit" {
		t.Errorf("counts: %s", got)
	}
	checkFixture(t, dst, postgres.Latest())
	if _, err := dst.Import(src); err == nil || !strings.Contains(err.Error(), "not empty") {
		t.Errorf("second import: %v; want a refusal of a non-empty database", err)
	}
	// The audit sequence starts after the entries copied: the first
	// append takes no second attempt (a duplicate seq would be retried).
	dst.MaxAttempts = 1
	checkWrites(t, dst)
}

// copyAll writes what from holds into to through the Tx (the fixture's
// records).
func copyAll(from, to store.Store) error {
	return from.View(func(ftx store.Tx) error {
		return to.Update(func(ttx store.Tx) error {
			boxes, _ := ftx.Boxes()
			for _, b := range boxes {
				if err := ttx.PutBox(b); err != nil {
					return err
				}
				jobs, _ := ftx.JobsOf(b.ID)
				for _, j := range jobs {
					var hosts []result.Host
					ftx.EachHost(j.ID, 0, func(h result.Host) error { hosts = append(hosts, h); return nil })
					j.Hosts, j.HostBytes = 0, 0
					if err := ttx.PutJob(j); err != nil {
						return err
					}
					if _, err := ttx.AppendHosts(j.ID, hosts); err != nil {
						return err
					}
					if tr, err := ftx.Tracking(j.ID); err == nil {
						if err := ttx.PutTracking(tr); err != nil {
							return err
						}
					}
				}
			}
			users, _ := ftx.Users()
			for _, u := range users {
				ttx.PutUser(u)
			}
			for _, acct := range []string{"acme", "acme2"} {
				gs, _ := ftx.AssetGroups(acct)
				for _, g := range gs {
					if err := ttx.PutAssetGroup(g); err != nil {
						return err
					}
				}
			}
			// The audit log, oldest first, interleaved across accounts as
			// the fixture's sequence has it.
			var es []store.AuditEntry
			for _, acct := range []string{"acme", "acme2"} {
				got, _ := ftx.AuditLog(acct, 0, 100)
				es = append(es, got...)
			}
			slices.SortFunc(es, func(a, b store.AuditEntry) int { return cmp.Compare(a.Seq, b.Seq) })
			for _, e := range es {
				if err := ttx.AppendAudit(e); err != nil {
					return err
				}
			}
			up, _ := ftx.Upload("b0000000000000001", "u1")
			s, _ := ftx.Session("s1")
			rs, _ := ftx.Rollouts("acme")
			if err := errors.Join(ttx.PutUpload(up), ttx.PutSession(s), ttx.PutRollout(rs[0])); err != nil {
				return err
			}
			return nil
		})
	})
}

// testNoPasswordInErrors: a connection string's password is in no error
// (a log line would keep it).
func testNoPasswordInErrors(t *testing.T, c *pgtest.Cluster) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, url := range []string{
		"postgres://picket:s3cret-pw@/nosuchdb?host=" + c.Dir,
		"postgres://picket:s3cret-pw@[::1:5432/db",                      // not a URL
		"host=" + c.Dir + " user=picket password=s3cret-pw dbname=nope", // key=value
		"postgres://picket:s3cret-pw@/db?host=" + c.Dir + "&sslmode=bogus",
	} {
		_, err := postgres.Open(ctx, url)
		if err == nil {
			t.Errorf("open %q: no error", url)
			continue
		}
		if strings.Contains(err.Error(), "s3cret") {
			t.Errorf("an error repeats the password: %v", err)
		}
		if d := postgres.Describe(url); strings.Contains(d, "s3cret") {
			t.Errorf("Describe repeats the password: %s", d)
		}
	}
}
