package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"picket.dev/picket/src/link/platformapi"
	"picket.dev/picket/src/platform/releases"
	"picket.dev/picket/src/platform/store"
	"picket.dev/picket/src/testkit/tufrepo"
)

// withRepo gives the bench's web UI a repository with software 1.1.0 and
// 1.2.0 for the virtual board and one signature release.
func (b *bench) withRepo(t *testing.T) *releases.Repo {
	t.Helper()
	dir := t.TempDir()
	err := tufrepo.New(dir).Publish(tufrepo.Software("virtual", "1.1.0", []byte("a")), tufrepo.Software("virtual", "1.2.0", []byte("b")),
		tufrepo.Target{Path: "software/virtual/1.2.0/rootfs.manifest", Data: []byte("m")},
		tufrepo.Signatures("2026.12.01", []byte("s")))
	if err != nil {
		t.Fatal(err)
	}
	r := releases.New(dir, b.clock.Now, b.w.Log)
	b.w.Releases = r.Catalog
	return r
}

func (b *bench) report(t *testing.T, id, board string, v platformapi.Versions) {
	t.Helper()
	err := b.st.Update(func(tx store.Tx) error {
		bx, err := tx.Box(id)
		if err != nil {
			return err
		}
		bx.Board, bx.Versions, bx.LastPoll = board, v, b.clock.Now()
		return tx.PutBox(bx)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestVersionsLatest: the list and a box's page say whether the box's
// software and signatures are the repository's latest, and show the
// updater's state.
func TestVersionsLatest(t *testing.T) {
	b := newBench(t)
	b.withRepo(t)
	br := b.browser(t)
	old := b.activeBox(t, br, br.loggedIn("alice"))
	cur := b.activeBox(t, br, csrf(t, func() string { _, p := br.get("/appliances"); return p }()))
	b.report(t, old.ID, "virtual", platformapi.Versions{Scanner: "1.1.0", Signatures: "none", Update: "downloading 41%"})
	b.report(t, cur.ID, "virtual", platformapi.Versions{Scanner: "1.2.0", Signatures: "2026.12.01", Update: "idle"})
	_, page := br.get("/appliances")
	for _, want := range []string{
		`<td class="scanner">1.1.0 <span class="latest behind">(latest is 1.2.0)</span></td>`,
		`<td class="signatures">none <span class="latest behind">(latest is 2026.12.01)</span></td><td class="updater">downloading 41%</td>`,
		`<td class="scanner">1.2.0 <span class="latest">(latest)</span></td>`,
		`<td class="signatures">2026.12.01 <span class="latest">(latest)</span></td><td class="updater">idle</td>`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("appliances list lacks %s:\n%s", want, page)
		}
	}
	_, page = br.get("/appliances/" + old.ID)
	if !strings.Contains(page, `scanner 1.1.0 (latest is 1.2.0), signatures none (latest is 2026.12.01)`) || !strings.Contains(page, `<td id="box-updater">downloading 41%</td>`) {
		t.Errorf("box page:\n%s", page)
	}
}

// TestReleasesPage: managers only; the releases per channel, boxes per
// version; the rollout form needs the CSRF token, refuses an unknown
// release, starts, pauses and extends a rollout.
func TestReleasesPage(t *testing.T) {
	b := newBench(t)
	b.withRepo(t)
	uma := b.browser(t)
	uma.loggedIn("uma")
	if resp, _ := uma.get("/releases"); resp.StatusCode != http.StatusForbidden {
		t.Errorf("unit manager GET /releases: %s", resp.Status)
	}
	_, page := uma.get("/appliances")
	if strings.Contains(page, "nav-releases") {
		t.Error("a unit manager's pages link to Releases")
	}
	if resp, _ := uma.post("/releases", url.Values{"csrf": {csrf(t, page)}, "channel": {"signatures"}, "action": {"start"}, "version": {"2026.12.01"}, "stage": {"percent"}, "percent": {"100"}}); resp.StatusCode != http.StatusForbidden {
		t.Errorf("unit manager POST /releases: %s", resp.Status)
	}

	br := b.browser(t)
	token := br.loggedIn("alice")
	box := b.activeBox(t, br, token)
	b.report(t, box.ID, "virtual", platformapi.Versions{Scanner: "1.1.0", Signatures: "none"})
	resp, page := br.get("/releases")
	if resp.StatusCode != 200 {
		t.Fatalf("GET /releases: %s\n%s", resp.Status, page)
	}
	for _, want := range []string{`id="channel-software/virtual"`, `id="channel-signatures"`, `<tr class="release" data-version="1.2.0"><td>1.2.0</td><td><code>software/virtual/1.2.0/rootfs.img</code>`,
		`<tr data-version="1.1.0"><td>1.1.0</td><td class="count">1</td></tr>`, "No rollout.", "Targets metadata version 1"} {
		if !strings.Contains(page, want) {
			t.Errorf("releases page lacks %s:\n%s", want, page)
		}
	}
	form := url.Values{"channel": {"software/virtual"}, "action": {"start"}, "version": {"1.2.0"}, "stage": {"percent"}, "percent": {"50"}, "force": {"1"}}
	if resp, _ := br.post("/releases", form); resp.StatusCode != http.StatusForbidden {
		t.Errorf("rollout without the CSRF token: %s", resp.Status)
	}
	form.Set("csrf", token)
	form.Set("version", "9.9.9")
	if resp, page := br.post("/releases", form); resp.StatusCode != http.StatusBadRequest || !strings.Contains(page, `no release &#34;9.9.9&#34;`) {
		t.Errorf("unknown release: %s\n%s", resp.Status, page)
	}
	form.Set("version", "1.2.0")
	if resp, page := br.post("/releases", form); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("start: %s\n%s", resp.Status, page)
	}
	var r store.Rollout
	b.st.View(func(tx store.Tx) error { r, _ = tx.Rollout("acme", "software/virtual"); return nil })
	if r.Version != "1.2.0" || r.Percent != 50 || !r.Force || r.UpdatedBy != "alice" || r.Paused {
		t.Fatalf("stored rollout %+v", r)
	}
	_, page = br.get("/releases?notice=rollout-start")
	if !strings.Contains(page, "Rolling out <strong>1.2.0</strong> to 50% of the boxes, forced") || !strings.Contains(page, `value="pause"`) {
		t.Errorf("releases page after start:\n%s", page)
	}
	for _, step := range []struct{ action, want string }{{"pause", ": <span class=\"error\">paused</span>"}, {"everyone", "to every box"}} {
		if resp, page := br.post("/releases", url.Values{"csrf": {token}, "channel": {"software/virtual"}, "action": {step.action}}); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("%s: %s\n%s", step.action, resp.Status, page)
		}
		if _, page := br.get("/releases"); !strings.Contains(page, step.want) {
			t.Errorf("after %s the page lacks %q:\n%s", step.action, step.want, page)
		}
	}
	// Everyone: the one box is in the stage and told.
	if _, page := br.get("/releases"); !strings.Contains(page, "1 of 1 boxes are in the stage; 1 are told to update now.") {
		t.Errorf("counts after everyone:\n%s", page)
	}
}

// TestReleasesWithoutRepository: without -updates the page says so.
func TestReleasesWithoutRepository(t *testing.T) {
	b := newBench(t)
	br := b.browser(t)
	br.loggedIn("alice")
	if _, page := br.get("/releases"); !strings.Contains(page, `id="no-repository"`) {
		t.Errorf("page:\n%s", page)
	}
}
