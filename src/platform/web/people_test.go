package web_test

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"picket.dev/picket/src/platform/store"
)

// people (newPeopleOn) is a bench on a store with a whole account: the manager alice, the unit
// manager uma (groups lab and office), the readers rita (lab) and vic
// (all groups), an empty group, a box in lab with a running job and a
// box in office with a done job, and another account's box.
type people struct {
	*bench
	lab, office, foreign store.Box
	labJob, officeJob    string
}

func newPeopleOn(t *testing.T, st store.Store) *people {
	t.Helper()
	b := newBenchOn(t, st)
	b.w.HashParams = testParams
	b.addUser(t, store.User{Name: "rita", Role: store.RoleReader, Account: "acme", AssetGroups: []string{"lab"}})
	b.addUser(t, store.User{Name: "vic", Role: store.RoleReader, Account: "acme"})
	b.addUser(t, store.User{Name: "zed", Role: store.RoleManager, Account: "zeta"})
	p := &people{bench: b}
	p.lab = p.box(t, "acme", "lab", "lab-box")
	p.office = p.box(t, "acme", "office", "office-box")
	p.foreign = p.box(t, "zeta", "lab", "zeta-box")
	err := b.st.Update(func(tx store.Tx) error {
		for _, g := range []string{"lab", "office", "empty"} {
			if err := tx.PutAssetGroup(store.AssetGroup{Account: "acme", Name: g}); err != nil {
				return err
			}
		}
		p.labJob, p.officeJob = "job-lab", "job-office"
		now := b.clock.Now()
		if err := tx.PutJob(store.Job{ID: p.labJob, BoxID: p.lab.ID, Targets: []string{"10.0.0.0/24"}, Ports: "22", State: "running", CreatedBy: "uma", Created: now, Updated: now}); err != nil {
			return err
		}
		return tx.PutJob(store.Job{ID: p.officeJob, BoxID: p.office.ID, Targets: []string{"10.1.0.0/24"}, Ports: "22", State: "done", CreatedBy: "uma", Created: now, Updated: now})
	})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// box stores an active box of account in group.
func (p *people) box(t *testing.T, account, group, name string) store.Box {
	t.Helper()
	_, bx := p.pendingBox(t)
	bx.State, bx.Account, bx.AssetGroup, bx.Name, bx.ActivatedBy = store.BoxActive, account, group, name, "alice"
	if err := p.st.Update(func(tx store.Tx) error { return tx.PutBox(bx) }); err != nil {
		t.Fatal(err)
	}
	return bx
}

// auditActions are the actions of acme's audit log, oldest first.
func (p *people) audit(t *testing.T, account string) []store.AuditEntry {
	t.Helper()
	var es []store.AuditEntry
	err := p.st.View(func(tx store.Tx) error {
		var err error
		es, err = tx.AuditLog(account, 0, 1000)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.Reverse(es)
	return es
}

func actions(es []store.AuditEntry) []string {
	var out []string
	for _, e := range es {
		out = append(out, e.User+" "+e.Action+" "+e.Object)
	}
	return out
}

// TestRoleAuthorization: every route that changes something, posted
// with the person's own valid CSRF token, by each role. Who may do what
// is the roles' definition (package people's doc): managers everything;
// unit managers boxes and jobs, not people, groups or releases; readers
// nothing but their own password and logging out. A refused request
// gets 403 and leaves no trace in the audit log (nothing happened).
func TestRoleAuthorization(t *testing.T) { testRoleAuthorization(t, boltStore) }

func testRoleAuthorization(t *testing.T, open opener) {
	const (
		mgr = 1 << iota
		unit
		reader
		all = mgr | unit | reader
	)
	type endpoint struct {
		path  string
		form  func(p *people) url.Values
		who   int    // the roles allowed
		trace string // the audit action an allowed request leaves
	}
	form := func(kv ...string) func(*people) url.Values {
		return func(*people) url.Values {
			v := url.Values{}
			for i := 0; i < len(kv); i += 2 {
				v.Add(kv[i], kv[i+1])
			}
			return v
		}
	}
	eps := []endpoint{
		{"/activate", func(p *people) url.Values {
			code, _ := p.pendingBox(t)
			return url.Values{"code": {code}, "group": {"lab"}}
		}, mgr | unit, "box.activated"},
		{"/appliances/{lab}/settings", form("name", "renamed-box", "poll_interval", "300"), mgr | unit, "box.settings"},
		{"/appliances/{lab}/jobs", form("targets", "10.0.0.1", "ports", "22"), mgr | unit, "job.launched"},
		{"/appliances/{lab}/jobs/{labJob}/cancel", form(), mgr | unit, "job.canceled"},
		{"/appliances/{lab}/jobs/{labJob}/delete", form(), mgr | unit, "job.deleted"},
		{"/releases", form("channel", "signatures", "action", "start", "version", "2026.12.01", "stage", "percent", "percent", "10"), mgr, "rollout.changed"},
		{"/people", form("name", "newbie", "role", "reader", "scope", "all", "password", "a temporary one"), mgr, "user.created"},
		{"/people/vic/change", form("role", "reader", "scope", "some", "groups", "office"), mgr, "user.changed"},
		{"/people/vic/disable", form(), mgr, "user.disabled"},
		{"/people/vic/enable", form(), mgr, "user.enabled"},
		{"/people/vic/reset", form("password", "a temporary one"), mgr, "user.reset"},
		{"/groups", form("name", "dmz"), mgr, "group.created"},
		{"/groups/rename", form("group", "office", "name", "branch"), mgr, "group.renamed"},
		{"/groups/delete", form("group", "empty"), mgr, "group.deleted"},
		{"/groups/move", func(p *people) url.Values { return url.Values{"box": {p.lab.ID}, "group": {"office"}} }, mgr, "box.moved"},
		{"/password", form("current", password, "new", "my own new password", "repeat", "my own new password"), all, "password.changed"},
		{"/logout", form(), all, "logout"},
	}
	for _, ep := range eps {
		for _, role := range []struct {
			bit  int
			user string
		}{{mgr, "alice"}, {unit, "uma"}, {reader, "rita"}} {
			t.Run(fmt.Sprintf("%s by %s", ep.path, role.user), func(t *testing.T) {
				p := newPeopleOn(t, open(t))
				if ep.trace == "rollout.changed" {
					p.withRepo(t)
				}
				br := p.browser(t)
				token := br.loggedIn(role.user)
				path := strings.NewReplacer("{lab}", p.lab.ID, "{labJob}", p.labJob).Replace(ep.path)
				f := ep.form(p)
				f.Set("csrf", token)
				before := len(p.audit(t, "acme"))
				resp, body := br.post(path, f)
				traced := slices.ContainsFunc(p.audit(t, "acme")[before:], func(e store.AuditEntry) bool { return e.Action == ep.trace })
				if ep.who&role.bit != 0 {
					if resp.StatusCode != http.StatusSeeOther || !traced {
						t.Errorf("allowed: %s (audited %v), want 303 and a %s entry\n%s", resp.Status, traced, ep.trace, body)
					}
					return
				}
				if resp.StatusCode != http.StatusForbidden || traced {
					t.Errorf("not allowed: %s (audited %v), want 403 and no entry\n%s", resp.Status, traced, body)
				}
			})
		}
	}
	// The manager's pages, and the activation form, are refused likewise.
	p := newPeopleOn(t, open(t))
	for user, paths := range map[string][]string{"uma": {"/people", "/groups", "/audit", "/releases"}, "rita": {"/people", "/groups", "/audit", "/releases", "/activate"}} {
		br := p.browser(t)
		br.loggedIn(user)
		for _, path := range paths {
			if resp, _ := br.get(path); resp.StatusCode != http.StatusForbidden {
				t.Errorf("GET %s by %s: %s, want 403", path, user, resp.Status)
			}
		}
	}
}

// TestVisibility: a unit manager or reader sees only the boxes of their
// asset groups (all of the account's with none); another group's box, or
// its jobs and exports, asked for by id is 404, as is another account's
// box to a manager.
func TestVisibility(t *testing.T) { testVisibility(t, boltStore) }

func testVisibility(t *testing.T, open opener) {
	p := newPeopleOn(t, open(t))
	p.addUser(t, store.User{Name: "ursula", Role: store.RoleUnitManager, Account: "acme", AssetGroups: []string{"office"}})
	sees := map[string][]store.Box{
		"alice":  {p.lab, p.office},
		"uma":    {p.lab, p.office},
		"rita":   {p.lab},
		"vic":    {p.lab, p.office},
		"ursula": {p.office},
	}
	all := []store.Box{p.lab, p.office, p.foreign}
	jobOf := map[string]string{p.lab.ID: p.labJob, p.office.ID: p.officeJob}
	for user, boxes := range sees {
		br := p.browser(t)
		token := br.loggedIn(user)
		_, list := br.get("/appliances")
		for _, bx := range all {
			visible := slices.ContainsFunc(boxes, func(o store.Box) bool { return o.ID == bx.ID })
			if strings.Contains(list, bx.ID) != visible {
				t.Errorf("%s: box %s (%s) in the list: %v, want %v", user, bx.Name, bx.AssetGroup, !visible, visible)
			}
			want := http.StatusOK
			if !visible {
				want = http.StatusNotFound
			}
			paths := []string{"/appliances/" + bx.ID}
			if j := jobOf[bx.ID]; j != "" {
				base := "/appliances/" + bx.ID + "/jobs/" + j
				paths = append(paths, base, base+".json", base+".csv", base+".findings.json", base+".findings.csv", base+"/report")
			}
			for _, path := range paths {
				if resp, body := br.get(path); resp.StatusCode != want || !visible && strings.Contains(body, bx.Name) {
					t.Errorf("%s: GET %s: %s, want %d", user, path, resp.Status, want)
				}
			}
			if !visible && (user == "alice" || user == "ursula") {
				// A change to a box one cannot see is 404 too.
				if resp, _ := br.post("/appliances/"+bx.ID+"/settings", url.Values{"csrf": {token}, "name": {"x"}, "poll_interval": {"300"}}); resp.StatusCode != http.StatusNotFound {
					t.Errorf("%s: settings of %s: %s, want 404", user, bx.Name, resp.Status)
				}
			}
		}
	}
	// A manager cannot move another account's box, nor change its people.
	br := p.browser(t)
	token := br.loggedIn("alice")
	if resp, _ := br.post("/groups/move", url.Values{"csrf": {token}, "box": {p.foreign.ID}, "group": {"lab"}}); resp.StatusCode != http.StatusNotFound {
		t.Errorf("moving another account's box: %s, want 404", resp.Status)
	}
	if resp, _ := br.post("/people/zed/disable", url.Values{"csrf": {token}}); resp.StatusCode != http.StatusNotFound {
		t.Errorf("disabling another account's manager: %s, want 404", resp.Status)
	}
	// Readers see no forms that change anything.
	rb := p.browser(t)
	rb.loggedIn("rita")
	_, page := rb.get("/appliances/" + p.lab.ID)
	for _, form := range []string{`id="job-form"`, `id="settings-form"`, `class="cancel-job"`, `class="delete-job"`, `id="nav-activate"`, `id="nav-people"`} {
		if strings.Contains(page, form) {
			t.Errorf("reader's box page has %s", form)
		}
	}
}

// TestAuditLog: each action a person takes is in their account's log
// with who, what, when (the server's clock) and from where, with no
// password or token in it; the page is managers', newest first, paged
// and filtered.
func TestAuditLog(t *testing.T) { testAuditLog(t, boltStore) }

func testAuditLog(t *testing.T, open opener) {
	p := newPeopleOn(t, open(t))
	p.withRepo(t)
	alice := p.browser(t)
	at := alice.loggedIn("alice")
	if resp, _ := p.browser(t).login("rita", "guessed-Pw-x1"); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("wrong password: %s", resp.Status)
	}
	p.browser(t).login("nobody", "guessed-Pw-x1") // an unknown name: no account's business
	code, pending := p.pendingBox(t)
	steps := []struct {
		path string
		form url.Values
	}{
		{"/activate", url.Values{"code": {code}, "group": {"lab"}}},
		{"/appliances/" + p.lab.ID + "/settings", url.Values{"name": {"lab-box"}, "poll_interval": {"600"}}},
		{"/appliances/" + p.lab.ID + "/jobs", url.Values{"targets": {"10.0.0.7"}, "ports": {"80"}}},
		{"/appliances/" + p.lab.ID + "/jobs/" + p.labJob + "/cancel", url.Values{}},
		{"/releases", url.Values{"channel": {"signatures"}, "action": {"start"}, "version": {"2026.12.01"}, "stage": {"group"}, "group": {"lab"}}},
		{"/people", url.Values{"name": {"newbie"}, "role": {"reader"}, "scope": {"some"}, "groups": {"lab"}, "password": {"temporary secret 1"}}},
		{"/people/newbie/change", url.Values{"role": {"unit_manager"}, "scope": {"some"}, "groups": {"lab", "office"}}},
		{"/people/newbie/reset", url.Values{"password": {"temporary secret 2"}}},
		{"/people/newbie/disable", url.Values{}},
		{"/groups", url.Values{"name": {"dmz"}}},
		{"/groups/move", url.Values{"box": {p.office.ID}, "group": {"dmz"}}},
		{"/groups/rename", url.Values{"group": {"dmz"}, "name": {"perimeter"}}},
		{"/groups/delete", url.Values{"group": {"empty"}}},
	}
	for _, s := range steps {
		s.form.Set("csrf", at)
		if resp, body := alice.post(s.path, s.form); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("%s: %s\n%s", s.path, resp.Status, body)
		}
	}
	rb := p.browser(t)
	rb.loggedIn("vic")
	if resp, body := rb.post("/password", url.Values{"csrf": {csrf(t, func() string { _, pg := rb.get("/password"); return pg }())},
		"current": {password}, "new": {"vic's own secret"}, "repeat": {"vic's own secret"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("password: %s\n%s", resp.Status, body)
	}
	_, pg := rb.get("/appliances")
	rb.post("/logout", url.Values{"csrf": {csrf(t, pg)}})

	es := p.audit(t, "acme")
	var jobID string
	p.st.View(func(tx store.Tx) error {
		js, _ := tx.JobsOf(p.lab.ID)
		for _, j := range js {
			if j.ID != p.labJob {
				jobID = j.ID
			}
		}
		return nil
	})
	want := []string{
		"alice login alice",
		"rita login.failed rita",
		"alice box.activated " + pending.ID,
		"alice box.settings " + p.lab.ID,
		"alice job.launched " + jobID,
		"alice job.canceled " + p.labJob,
		"alice rollout.changed signatures",
		"alice user.created newbie",
		"alice user.changed newbie",
		"alice user.reset newbie",
		"alice user.disabled newbie",
		"alice group.created dmz",
		"alice box.moved " + p.office.ID,
		"alice group.renamed dmz",
		"alice group.deleted empty",
		"vic login vic",
		"vic password.changed vic",
		"vic logout vic",
	}
	if got := actions(es); !slices.Equal(got, want) {
		t.Errorf("audit log:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	for _, e := range es {
		if e.Addr != "127.0.0.1" || !e.Time.Equal(p.clock.Now()) || e.Account != "acme" {
			t.Errorf("entry %+v: want from 127.0.0.1 at %v in acme", e, p.clock.Now())
		}
		for _, secret := range []string{password, "temporary secret", "own secret", "guessed-Pw", at, code} {
			if strings.Contains(e.Object+e.Detail, secret) {
				t.Errorf("entry %+v holds a secret (%q)", e, secret)
			}
		}
	}
	if other := p.audit(t, "zeta"); len(other) != 0 {
		t.Errorf("zeta's log: %v", actions(other))
	}
	for _, e := range es {
		if e.Action == "user.changed" && e.Detail != "role reader, groups lab → role unit_manager, groups lab, office" {
			t.Errorf("change detail %q", e.Detail)
		}
	}

	// The page: newest first, filtered by user and action.
	_, page := alice.get("/audit")
	first := strings.Index(page, `<td class="action">logout</td>`)
	if first < 0 || first > strings.Index(page, `<td class="action">login</td>`) || !strings.Contains(page, `<td class="addr">127.0.0.1</td>`) {
		t.Errorf("audit page not newest first or without addresses:\n%s", page)
	}
	_, page = alice.get("/audit?user=vic")
	if n := strings.Count(page, `class="entry"`); n != 3 {
		t.Errorf("filtered by vic: %d entries, want 3", n)
	}
	_, page = alice.get("/audit?action=user.reset")
	if n := strings.Count(page, `class="entry"`); n != 1 || !strings.Contains(page, "newbie") {
		t.Errorf("filtered by user.reset: %d entries, want 1", n)
	}
}

// TestAuditPaging: 50 entries a page, the next page's link continues
// where the page ended, with the filter.
func TestAuditPaging(t *testing.T) { testAuditPaging(t, boltStore) }

func testAuditPaging(t *testing.T, open opener) {
	p := newPeopleOn(t, open(t))
	err := p.st.Update(func(tx store.Tx) error {
		for i := range 120 {
			who := "uma"
			if i%2 == 1 {
				who = "rita"
			}
			if err := tx.AppendAudit(store.AuditEntry{Account: "acme", User: who, Action: "login", Detail: fmt.Sprintf("n%03d", i)}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	br := p.browser(t)
	br.loggedIn("alice")
	var got []string
	next := "/audit?user=uma"
	for pages := 0; next != ""; pages++ {
		if pages > 3 {
			t.Fatal("too many pages")
		}
		_, page := br.get(next)
		for _, part := range strings.Split(page, `<td class="detail">`)[1:] {
			got = append(got, part[:4])
		}
		next = ""
		if i := strings.Index(page, `<a href="/audit?`); i >= 0 {
			rest := page[i+len(`<a href="`):]
			next = strings.ReplaceAll(rest[:strings.Index(rest, `"`)], "&amp;", "&")
		}
	}
	if len(got) != 60 || got[0] != "n118" || got[59] != "n000" {
		t.Errorf("uma's entries over the pages: %d, %v", len(got), got)
	}
}

// TestDisableAndReset: a disabled user's session ends at once and they
// cannot log in; a reset ends the sessions and makes the person choose a
// new password before anything else; the account keeps a manager.
func TestDisableAndReset(t *testing.T) { testDisableAndReset(t, boltStore) }

func testDisableAndReset(t *testing.T, open opener) {
	p := newPeopleOn(t, open(t))
	alice := p.browser(t)
	at := alice.loggedIn("alice")
	rita := p.browser(t)
	rt := rita.loggedIn("rita")
	if resp, _ := alice.post("/people/rita/disable", url.Values{"csrf": {at}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("disable: %s", resp.Status)
	}
	if resp, _ := rita.get("/appliances"); resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/login" {
		t.Errorf("disabled user's next page: %s to %q, want the login page", resp.Status, resp.Header.Get("Location"))
	}
	if resp, _ := rita.post("/password", url.Values{"csrf": {rt}, "current": {password}, "new": {"x1234567890"}, "repeat": {"x1234567890"}}); resp.StatusCode != http.StatusForbidden {
		t.Errorf("disabled user's POST: %s, want 403", resp.Status)
	}
	if resp, body := rita.login("rita", password); resp.StatusCode != http.StatusForbidden || !strings.Contains(body, "disabled") {
		t.Errorf("disabled user's login: %s", resp.Status)
	}
	alice.post("/people/rita/enable", url.Values{"csrf": {at}})
	rt = rita.loggedIn("rita")

	// Reset: rita is logged out; her old password no longer works; the
	// temporary one leads to the password page only.
	if resp, _ := alice.post("/people/rita/reset", url.Values{"csrf": {at}, "password": {"short"}}); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("reset to a short password: %s, want 400", resp.Status)
	}
	if resp, _ := alice.post("/people/rita/reset", url.Values{"csrf": {at}, "password": {"temporary pass"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("reset: %s", resp.Status)
	}
	if resp, _ := rita.get("/appliances"); resp.Header.Get("Location") != "/login" {
		t.Errorf("after reset, rita's session: %s %q", resp.Status, resp.Header.Get("Location"))
	}
	if resp, _ := rita.login("rita", password); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("old password after reset: %s", resp.Status)
	}
	resp, _ := rita.login("rita", "temporary pass")
	if resp.Header.Get("Location") != "/password" {
		t.Fatalf("login with the temporary password: %s to %q, want /password", resp.Status, resp.Header.Get("Location"))
	}
	if resp, _ := rita.get("/appliances/" + p.lab.ID); resp.Header.Get("Location") != "/password" {
		t.Errorf("a page before choosing a password: %s %q", resp.Status, resp.Header.Get("Location"))
	}
	_, page := rita.get("/password")
	rt = csrf(t, page)
	if !strings.Contains(page, `id="must-change"`) {
		t.Errorf("password page does not say why:\n%s", page)
	}
	for _, bad := range []url.Values{
		{"current": {"temporary pass"}, "new": {"temporary pass"}, "repeat": {"temporary pass"}},
		{"current": {"temporary pass"}, "new": {"rita's own one"}, "repeat": {"rita's own 1"}},
		{"current": {"temporary pass"}, "new": {"short"}, "repeat": {"short"}},
		{"current": {"not the one!"}, "new": {"rita's own one"}, "repeat": {"rita's own one"}},
	} {
		bad.Set("csrf", rt)
		if resp, _ := rita.post("/password", bad); resp.StatusCode != http.StatusBadRequest {
			t.Errorf("password %v: %s, want 400", bad, resp.Status)
		}
	}
	if resp, _ := rita.post("/password", url.Values{"csrf": {rt}, "current": {"temporary pass"}, "new": {"rita's own one"}, "repeat": {"rita's own one"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("choose a password: %s", resp.Status)
	}
	if resp, _ := rita.get("/appliances"); resp.StatusCode != http.StatusOK {
		t.Errorf("after choosing a password: %s", resp.Status)
	}

	// The last manager: alice can neither disable nor demote herself;
	// with another manager she can.
	for path, form := range map[string]url.Values{
		"/people/alice/disable": {},
		"/people/alice/change":  {"role": {"reader"}, "scope": {"all"}},
	} {
		form.Set("csrf", at)
		if resp, body := alice.post(path, form); resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "at least one enabled manager") {
			t.Errorf("%s as the last manager: %s", path, resp.Status)
		}
	}
	if resp, _ := alice.post("/people/uma/change", url.Values{"csrf": {at}, "role": {"manager"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("promote uma: %s", resp.Status)
	}
	if resp, _ := alice.post("/people/alice/change", url.Values{"csrf": {at}, "role": {"reader"}, "scope": {"all"}}); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("demote herself with another manager: %s", resp.Status)
	}
	// Her next request is a reader's.
	if resp, _ := alice.get("/people"); resp.StatusCode != http.StatusForbidden {
		t.Errorf("demoted alice's GET /people: %s", resp.Status)
	}
	// A group list may not be emptied into "everything".
	ub := p.browser(t)
	ub.loggedIn("uma")
	_, page = ub.get("/people")
	if resp, body := ub.post("/people/rita/change", url.Values{"csrf": {csrf(t, page)}, "role": {"reader"}, "scope": {"some"}}); resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "at least one") {
		t.Errorf("no group ticked: %s", resp.Status)
	}
}
