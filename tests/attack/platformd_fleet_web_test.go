package attack_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"picket.dev/picket/src/link/platformapi"
)

// TestFleetAttackNotice replays item 7: a link with ?notice=<any text>
// put that text on the appliances page; only fixed notices show now.
func TestFleetAttackNotice(t *testing.T) {
	p := fleetStart(t, map[string]string{"mgr": "acme"})
	s := p.fleetSession("mgr")
	const lure = "Your session expired: log in again at https://evil.example/login"
	for _, path := range []string{"/appliances", "/appliances/" + strings.Repeat("x", 8)} {
		_, page := s.Do("GET", path+"?notice="+url.QueryEscape(lure), nil)
		if strings.Contains(page, "evil.example") {
			t.Errorf("GET %s shows the notice from the query", path)
		}
	}
	_, page := s.Do("GET", "/appliances?notice=saved", nil)
	if !strings.Contains(page, "Settings saved.") {
		t.Errorf("the fixed notice 'saved' is not shown")
	}
}

// TestFleetAttackHSTS replays item 8: every HTTPS answer of platformd
// carries Strict-Transport-Security, web UI and box API alike.
func TestFleetAttackHSTS(t *testing.T) {
	p := fleetStart(t, map[string]string{"mgr": "acme"})
	s := p.fleetSession("mgr")
	for _, path := range []string{"/login", "/appliances", "/static/style.css", "/nothing-here"} {
		resp, _ := s.Do("GET", path, nil)
		if got := resp.Header.Get("Strict-Transport-Security"); !strings.HasPrefix(got, "max-age=") || got == "max-age=0" {
			t.Errorf("GET %s (HTTP %d): Strict-Transport-Security %q", path, resp.StatusCode, got)
		}
	}
	box := p.fleetNewBox()
	req, _ := http.NewRequest(http.MethodGet, "https://"+fleetHost+platformapi.PathPoll, nil)
	resp, err := box.c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if got := resp.Header.Get("Strict-Transport-Security"); !strings.HasPrefix(got, "max-age=") {
		t.Errorf("box API (HTTP %d): Strict-Transport-Security %q", resp.StatusCode, got)
	}
}

// TestFleetAttackInvalidUTF8 replays item 9: names and other texts that
// are not valid UTF-8 are refused, not stored.
func TestFleetAttackInvalidUTF8(t *testing.T) {
	p := fleetStart(t, map[string]string{"mgr": "acme"})
	s := p.fleetSession("mgr")
	box := p.fleetNewBox()
	page := fleetActivate(t, s, box)
	for _, tc := range []struct {
		what string
		path string
		form url.Values
	}{
		{"box name", page + "/settings", url.Values{"name": {"lab\xff\xfe"}, "poll_interval": {"60"}, "ipv6_method": {"off"}}},
		{"VLAN name", page + "/settings", url.Values{"name": {"lab"}, "poll_interval": {"60"}, "ipv6_method": {"off"}, "vlans": {"100 10.1.0.5/24 l\xffb"}}},
		{"route name", page + "/settings", url.Values{"name": {"lab"}, "poll_interval": {"60"}, "ipv6_method": {"off"}, "routes": {"10.9.0.0/16 10.0.0.1 r\xc3"}}},
		{"target", page + "/jobs", url.Values{"targets": {"host\xff"}, "ports": {"80"}}},
		{"asset group", "/activate", url.Values{"code": {p.fleetNewBox().code()}, "group": {"g\xff"}}},
	} {
		s.Do("GET", page, nil)
		if resp, _ := s.Do("POST", tc.path, tc.form); resp.StatusCode != http.StatusBadRequest {
			t.Errorf("%s with invalid UTF-8: HTTP %d, want 400", tc.what, resp.StatusCode)
		}
	}
	answer, _ := box.poll(platformapi.PollRequest{})
	if answer.Name != "pk_mgr" || strings.ContainsRune(answer.Name, '\uFFFD') {
		t.Errorf("box name is now %q", answer.Name)
	}
}

// TestFleetAttackActivationGuessing replays item 11: activation codes
// guessed in parallel from one session are rate-limited (the code is
// counted before it is tried), and a code activated in another account
// answers as unknown.
func TestFleetAttackActivationGuessing(t *testing.T) {
	p := fleetStart(t, map[string]string{"mgr": "acme", "eve": "evil"})
	mgr := p.fleetSession("mgr")
	box := p.fleetNewBox()
	fleetActivate(t, mgr, box)

	eve := p.fleetSession("eve")
	resp, body := eve.Do("POST", "/activate", url.Values{"code": {box.code()}})
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "no box is waiting with code "+box.code()) || strings.Contains(body, "already activated") {
		t.Fatalf("another account's code: HTTP %d; want the unknown code's answer", resp.StatusCode)
	}
	// 200 guesses in parallel (a valid check symbol each, as a guesser
	// sends) from 10 sessions of the same person: few get tried.
	const guesses, sessions = 200, 10
	var mu sync.Mutex
	count := map[int]int{}
	var wg sync.WaitGroup
	for k := range sessions {
		es := eve
		if k > 0 {
			es = p.fleetSession("eve")
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := k; i < guesses; i += sessions {
				r, _ := es.Do("POST", "/activate", url.Values{"code": {fleetGuess(i)}})
				mu.Lock()
				count[r.StatusCode]++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	t.Logf("%d parallel guesses: %v", guesses, count)
	// One wrong code was counted before (the other account's).
	if tried := count[http.StatusBadRequest]; tried > 10 || count[http.StatusTooManyRequests] < guesses-10 {
		t.Fatalf("%d guesses: %v; want at most 10 tried, the rest 429", guesses, count)
	}
	// The lock holds for a real code too, and for another person at the
	// same address.
	pending := p.fleetNewBox()
	pending.poll(platformapi.PollRequest{})
	if r, _ := eve.Do("POST", "/activate", url.Values{"code": {pending.code()}}); r.StatusCode != http.StatusTooManyRequests {
		t.Errorf("a real code while locked: HTTP %d, want 429", r.StatusCode)
	}
	other := p.fleetSession("mgr")
	if r, body := other.Do("POST", "/activate", url.Values{"code": {pending.code()}}); r.StatusCode != http.StatusTooManyRequests || !strings.Contains(body, "from your address") {
		t.Errorf("another person from the same address: HTTP %d, want 429", r.StatusCode)
	}
}

// fleetGuess is the i-th code with a valid check symbol.
func fleetGuess(i int) string {
	for n := i * 37; ; n++ {
		c := fmt.Sprintf("%010d", n)
		for _, check := range "0123456789ABCDEFGHJKMNPQRSTVWXYZ*~$=U" {
			if code, err := platformapi.NormalizeCode(c + string(check)); err == nil {
				return code
			}
		}
	}
}
