package platformweb_test

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"picket.dev/picket/src/link/platformapi"
	"picket.dev/picket/src/platform/store"
	"picket.dev/picket/src/testkit/webui"
)

// TestPeopleInBrowser: the manager alice, in chromium, creates a unit
// manager and a reader limited to one asset group each. The reader logs
// in with her temporary password, must choose her own, then sees only
// her group's box and no launch button; a POST she forges from the page
// (with her own valid CSRF token) is refused 403 and launches nothing.
// Alice disables her from another client: the reader's next page is the
// login page. The audit log shows those actions with the client address.
func TestPeopleInBrowser(t *testing.T) {
	if _, err := os.Stat(chromium); err != nil {
		t.Fatalf("this test needs Debian's chromium at %s (apt-get install chromium): %v", chromium, err)
	}
	start := time.Now()
	dir := t.TempDir()
	pf := startPlatform(t, dir, nil)
	base := pf.base
	web := webui.New(t, "127.0.0.1", pf.pool, func(ctx context.Context, network string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, network, pf.addr)
	})
	web.Login("alice", password, "/activate")
	ids := map[string]string{}
	for _, group := range []string{"lab", "office"} {
		bx := pf.newBox()
		bx.poll(t, boxPoll)
		pub := bx.key.Public().(ed25519.PublicKey)
		web.Post("/activate", "/activate", url.Values{"code": {platformapi.ActivationCode(pub)}, "group": {group}})
		ids[group] = store.BoxID(pub)
	}

	bctx := startChrome(t, chromium, 60*time.Second)
	c := css
	do := func(what string, steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		chromeDo(t, bctx, what, steps...)
	}
	login := func(user, pw string, then string) {
		t.Helper()
		do("log in as "+user,
			chromedp.Navigate(base+"/login"),
			chromedp.WaitVisible(c("#username")),
			chromedp.SendKeys(c("#username"), user),
			chromedp.SendKeys(c("#password"), pw),
			chromedp.Click(c("#login")),
			chromedp.WaitVisible(c(then)),
		)
	}
	login("alice", password, "#whoami")
	for _, p := range []struct{ name, role, group, pw string }{
		{"ursula", "unit_manager", "office", "temporary pass 1"},
		{"rita", "reader", "lab", "temporary pass 2"},
	} {
		do("create "+p.name,
			chromedp.Click(c("#nav-people")),
			chromedp.WaitVisible(c("#new-user")),
			chromedp.SendKeys(c("#new-name"), p.name),
			chromedp.SetValue(c("#new-role"), p.role),
			chromedp.Click(c("#new-some")),
			chromedp.Click(c(fmt.Sprintf(`#new-user input.group[value="%s"]`, p.group))),
			chromedp.SendKeys(c("#new-password"), p.pw),
			chromedp.Click(c("#create-user")),
			chromedp.WaitVisible(c("#notice")),
		)
		row := "#user-" + p.name
		if got, err := chromedp.Run(bctx, chromedp.Evaluate[string](fmt.Sprintf(
			`(r => r.querySelector("select.role").value + " " + [...r.querySelectorAll("input.group:checked")].map(e => e.value).join(",") + " " + r.querySelector(".must-change").textContent)(document.querySelector(%q))`, row))); err != nil || got != p.role+" "+p.group+" temporary" {
			t.Errorf("%s's row: %q (%v), want %q", p.name, got, err, p.role+" "+p.group+" temporary")
		}
	}
	do("log out", chromedp.Click(c("#logout")), chromedp.WaitVisible(c("#login-form")))

	// The reader: her temporary password leads to the password page.
	login("rita", "temporary pass 2", "#must-change")
	do("choose a password",
		chromedp.SendKeys(c("#current"), "temporary pass 2"),
		chromedp.SendKeys(c("#new"), "rita's own password"),
		chromedp.SendKeys(c("#repeat"), "rita's own password"),
		chromedp.Click(c("#change-password")),
		chromedp.WaitVisible(c("#notice")),
	)
	if n, err := chromedp.Run(bctx, chromedp.Evaluate[int](fmt.Sprintf(`document.querySelectorAll("#box-%s").length * 10 + document.querySelectorAll("#box-%s").length`, ids["lab"], ids["office"]))); err != nil || n != 10 {
		t.Errorf("reader's list: lab box %d, office box %d (%v); want the lab box only", n/10, n%10, err)
	}
	do("reader's box page",
		chromedp.Click(c("#box-"+ids["lab"]+" td.name a")),
		chromedp.WaitVisible(c("#box-id")),
	)
	if n, err := chromedp.Run(bctx, chromedp.Evaluate[int](`document.querySelectorAll("#launch, #job-form, #settings-form, #save, #nav-activate, #nav-people").length`)); err != nil || n != 0 {
		t.Errorf("reader's box page has %d forms or links to change things (%v)", n, err)
	}
	// The launch form the page does not have, posted anyway with her own
	// session's token.
	forge := fmt.Sprintf(`fetch("/appliances/%s/jobs", {method: "POST", headers: {"Content-Type": "application/x-www-form-urlencoded"},
		body: "csrf=" + encodeURIComponent(document.querySelector("input[name=csrf]").value) + "&targets=10.0.0.1&ports=22"}).then(r => r.status)`, ids["lab"])
	if status, err := chromedp.Run(bctx, chromedp.Evaluate[int](forge, chromedp.EvalAwaitPromise)); err != nil || status != http.StatusForbidden {
		t.Errorf("reader's forged launch: %d (%v), want 403", status, err)
	}
	pf.st.View(func(tx store.Tx) error {
		if jobs, _ := tx.JobsOf(ids["lab"]); len(jobs) != 0 {
			t.Errorf("the forged launch made jobs: %+v", jobs)
		}
		return nil
	})

	// Disabled from another client: her session is gone at once.
	web.Post("/people", "/people/rita/disable", url.Values{})
	do("reader's next page after being disabled",
		chromedp.Navigate(base+"/appliances"),
		chromedp.WaitVisible(c("#login-form")),
	)

	login("alice", password, "#whoami")
	do("audit log", chromedp.Click(c("#nav-audit")), chromedp.WaitVisible(c("#audit")))
	rows, err := chromedp.Run(bctx, chromedp.Evaluate[[]string](
		`[...document.querySelectorAll("#audit tr.entry")].map(r => [...r.querySelectorAll("td.user, td.action, td.object, td.addr")].map(td => td.textContent).join(" "))`))
	if err != nil {
		t.Fatal(err)
	}
	// Newest first.
	want := []string{
		"alice login alice 127.0.0.1",
		"alice user.disabled rita 127.0.0.1",
		"rita password.changed rita 127.0.0.1",
		"rita login rita 127.0.0.1",
		"alice logout alice 127.0.0.1",
		"alice user.created rita 127.0.0.1",
		"alice user.created ursula 127.0.0.1",
		"alice login alice 127.0.0.1",
		"alice box.activated " + ids["office"] + " 127.0.0.1",
		"alice box.activated " + ids["lab"] + " 127.0.0.1",
		"alice login alice 127.0.0.1",
	}
	if strings.Join(rows, "\n") != strings.Join(want, "\n") {
		t.Errorf("audit page:\n%s\nwant:\n%s", strings.Join(rows, "\n"), strings.Join(want, "\n"))
	}
	t.Logf("people in the browser: %v", time.Since(start).Round(10*time.Millisecond))
}
