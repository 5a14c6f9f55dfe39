package web_test

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"picket.dev/picket/src/platform/store"
	"picket.dev/picket/src/platform/store/postgres"
	"picket.dev/picket/src/testkit/pgtest"
)

// TestOnPostgreSQL runs the people's flows (who may do what, what each
// role sees, the audit log, disabling and resetting accounts) and the
// audit's transactions on PostgreSQL, as the tests named after them run
// them on the embedded store: one throwaway cluster, a database per case.
func TestOnPostgreSQL(t *testing.T) {
	c := pgtest.Start(t)
	// One database and one store on it, emptied for each case (the role
	// table alone is 50 cases; a new database and store each would cost
	// ~0.3 s): every table but the schema's version and the Guard's
	// secret, which the migrations made.
	url := c.NewDB(t)
	st, err := postgres.Open(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	empty := pgtest.NewEmptier(t, url, "schema_migrations", "guard_secrets")
	pg := func(t *testing.T) store.Store {
		t.Helper()
		if err := empty.Empty(); err != nil {
			t.Fatal(err)
		}
		return st
	}
	for _, tc := range []struct {
		name string
		test func(*testing.T, opener)
	}{
		{"RoleAuthorization", testRoleAuthorization},
		{"Visibility", testVisibility},
		{"AuditLog", testAuditLog},
		{"AuditPaging", testAuditPaging},
		{"DisableAndReset", testDisableAndReset},
		{"AuditFailureUndoesTheAction", testAuditFailureUndoesTheAction},
	} {
		t.Run(tc.name, func(t *testing.T) { tc.test(t, pg) })
	}
}

// failingAudit is a store whose audit writes fail (a full disk, a lost
// database at the wrong moment): every other write works.
type failingAudit struct{ store.Store }

var errAuditFull = errors.New("audit log full")

func (f failingAudit) Update(fn func(store.Tx) error) error {
	return f.Store.Update(func(tx store.Tx) error { return fn(failingAuditTx{tx}) })
}

func (f failingAudit) Batch(fn func(store.Tx) error) error {
	return f.Store.Batch(func(tx store.Tx) error { return fn(failingAuditTx{tx}) })
}

type failingAuditTx struct{ store.Tx }

func (failingAuditTx) AppendAudit(store.AuditEntry) error { return errAuditFull }

func TestAuditFailureUndoesTheAction(t *testing.T) {
	testAuditFailureUndoesTheAction(t, boltStore)
}

// testAuditFailureUndoesTheAction: the box, job and rollout actions and
// their audit entries are one transaction, so when the entry cannot be
// written the action is not applied either: the person gets an error
// (500), the box stays pending, the settings unchanged, no job is
// launched, canceled or deleted, no rollout started.
func testAuditFailureUndoesTheAction(t *testing.T, open opener) {
	st := open(t)
	p := newPeopleOn(t, failingAudit{st})
	p.withRepo(t)
	br := p.browser(t)
	token := br.loggedIn("alice") // the login's own entry is lost (logged), the login is not
	code, pending := p.pendingBox(t)
	labJobs := func() int {
		var n int
		st.View(func(tx store.Tx) error {
			js, err := tx.JobsOf(p.lab.ID)
			n = len(js)
			return err
		})
		return n
	}
	jobsBefore := labJobs()
	for _, tc := range []struct {
		path string
		form url.Values
	}{
		{"/activate", url.Values{"code": {code}, "group": {"lab"}}},
		{"/appliances/" + p.lab.ID + "/settings", url.Values{"name": {"renamed-box"}, "poll_interval": {"300"}}},
		{"/appliances/" + p.lab.ID + "/jobs", url.Values{"targets": {"10.0.0.1"}, "ports": {"22"}}},
		{"/appliances/" + p.lab.ID + "/jobs/" + p.labJob + "/cancel", url.Values{}},
		{"/appliances/" + p.office.ID + "/jobs/" + p.officeJob + "/delete", url.Values{}},
		{"/releases", url.Values{"channel": {"signatures"}, "action": {"start"}, "version": {"2026.12.01"}, "stage": {"percent"}, "percent": {"10"}}},
	} {
		tc.form.Set("csrf", token)
		if resp, body := br.post(tc.path, tc.form); resp.StatusCode != http.StatusInternalServerError {
			t.Errorf("POST %s with the audit log failing: %s, want 500\n%s", tc.path, resp.Status, body)
		}
	}
	err := st.View(func(tx store.Tx) error {
		b, err := tx.Box(pending.ID)
		if err != nil || b.State != store.BoxPending {
			t.Errorf("the box whose activation could not be audited: %s %v, want still pending", b.State, err)
		}
		lab, err := tx.Box(p.lab.ID)
		if err != nil || lab.Name != "lab-box" {
			t.Errorf("the box whose settings could not be audited is named %q (%v), want lab-box", lab.Name, err)
		}
		if j, err := tx.Job(p.labJob); err != nil || j.State != "running" {
			t.Errorf("the job whose cancel could not be audited: %s %v, want still running", j.State, err)
		}
		if _, err := tx.Job(p.officeJob); err != nil {
			t.Errorf("the job whose deletion could not be audited is gone: %v", err)
		}
		if rs, err := tx.Rollouts("acme"); err != nil || len(rs) != 0 {
			t.Errorf("rollouts after a start that could not be audited: %+v %v, want none", rs, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n := labJobs(); n != jobsBefore {
		t.Errorf("%d jobs on the lab box after a launch that could not be audited, want %d", n, jobsBefore)
	}
	// The same store with its audit log working again: the actions go
	// through with their entries.
	ok := newBenchOn(t, st)
	ok.w.HashParams = testParams
	alice := ok.browser(t)
	at := alice.loggedIn("alice")
	if resp, body := alice.post("/activate", url.Values{"csrf": {at}, "code": {code}, "group": {"lab"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("activate with the audit log working: %s\n%s", resp.Status, body)
	}
	es := p.audit(t, "acme")
	if len(es) == 0 || es[len(es)-1].Action != "box.activated" || !strings.Contains(es[len(es)-1].Detail, "asset group lab") {
		t.Errorf("audit log after the activation: %+v, want a box.activated entry last", es)
	}
}
