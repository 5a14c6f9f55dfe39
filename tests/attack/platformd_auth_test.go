package attack_test

// Issue 12's attacks on platformd's logins, sessions and box API, replayed
// against the real binary on loopback (src/testkit/platformproc): the
// login flood (item 1), the pending-box flood (item 2), the fresh-nonce
// poll flood (item 4) and the cookieless login-page flood (item 5). Each
// asserts counts (passwords checked, boxes and sessions stored, polls
// served) and memory from /proc with a generous bound, never a duration.

import (
	"crypto/ed25519"
	"crypto/rand"
	"net/http"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"picket.dev/picket/src/testkit/platformproc"
	"picket.dev/picket/src/testkit/testinput"
)

// authLimits are platformd's limits the attacks run into, from the issue
// and the defaults platformd documents (web.New, boxapi.New): 5 login
// attempts per address before a lock, 20 box requests at once and then
// one per 3 s.
const (
	authLoginAttempts = 5
	authBoxBurst      = 20
	authBoxEvery      = 3 * time.Second
	// authMemoryLimit is a generous bound on platformd's peak resident
	// memory under each attack: argon2id takes 19 MiB a check, and the
	// unfixed platformd reached 2.3 GB under the login flood.
	authMemoryLimit = 400 << 20
)

// authStart runs platformd in a temporary directory; it is killed at the
// end of the test if still running.
func authStart(t *testing.T, args ...string) *platformproc.Proc {
	t.Helper()
	p, err := platformproc.Start(testinput.Command(t, "platformd"), filepath.Join(t.TempDir(), "platform"), args...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Kill)
	return p
}

// authStop stops platformd and returns what its database holds.
func authStop(t *testing.T, p *platformproc.Proc) platformproc.Stored {
	t.Helper()
	if err := p.Stop(); err != nil {
		t.Fatal(err)
	}
	s, err := p.Stored()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// authPeak fails t when platformd's peak resident memory exceeds
// authMemoryLimit.
func authPeak(t *testing.T, p *platformproc.Proc, what string) {
	t.Helper()
	rss, hwm, err := p.Memory()
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%s: platformd VmRSS %d MiB, VmHWM %d MiB", what, rss>>20, hwm>>20)
	if hwm > authMemoryLimit {
		t.Errorf("%s: platformd's peak resident memory %d MiB, want at most %d MiB", what, hwm>>20, authMemoryLimit>>20)
	}
}

// authCounts counts answers by status; 0 is a transport error.
type authCounts struct {
	mu sync.Mutex
	n  map[int]int
}

func (c *authCounts) add(status int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.n == nil {
		c.n = map[int]int{}
	}
	c.n[status]++
}

// TestPlatformdAuthLoginFlood: 120 wrong logins sent at once from one
// address (for an account that does not exist, so that no account lock
// stands in a person's way) are counted before their password is
// checked: at most 5 are checked (401), the rest refused unchecked (429,
// with Retry-After); platformd's memory stays bounded; and a person's
// login from another address, sent while the flood is on, goes through.
// Unfixed: 120 checked, 2.3 GB resident.
func TestPlatformdAuthLoginFlood(t *testing.T) {
	p := authStart(t)
	const n = 120
	attacker := p.Client(platformproc.Loopback(0), n)
	token, err := p.LoginForm(attacker)
	if err != nil {
		t.Fatal(err)
	}
	var counts authCounts
	var wg sync.WaitGroup
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			a, err := p.Login(attacker, token, "mallory", "wrong password")
			if err != nil {
				t.Errorf("wrong login: %v", err)
				counts.add(0)
				return
			}
			if a.Status == http.StatusTooManyRequests {
				if s, err := strconv.Atoi(a.Header.Get("Retry-After")); err != nil || s < 1 {
					t.Errorf("429 without a Retry-After: %q", a.Header.Get("Retry-After"))
				}
			}
			counts.add(a.Status)
		}()
	}
	person := p.Client(platformproc.Loopback(1), 1)
	personToken, err := p.LoginForm(person)
	if err != nil {
		t.Fatal(err)
	}
	good, err := p.Login(person, personToken, platformproc.User, platformproc.Password)
	if err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	if good.Status != http.StatusSeeOther {
		t.Errorf("a good login from another address during the flood: HTTP %d, want 303\n%s", good.Status, good.Body)
	}
	checked, refused := counts.n[http.StatusUnauthorized], counts.n[http.StatusTooManyRequests]
	if checked > authLoginAttempts || checked+refused != n {
		t.Errorf("%d parallel wrong logins: answers %v; want at most %d checked (401) and the rest refused (429)", n, counts.n, authLoginAttempts)
	}
	authPeak(t, p, "login flood")
}

// TestPlatformdAuthPendingCap: fresh box keys from 40 loopback addresses,
// five each (under the per-address limit of new boxes), against
// -max-pending 50: no more than 50 pending boxes are stored, and the
// refused polls are 429s with Retry-After. Unfixed: every key after the
// first pruning pass was stored (199 of 200).
func TestPlatformdAuthPendingCap(t *testing.T) {
	const maxPending, addrs, perAddr = 50, 40, 5
	p := authStart(t, "-max-pending", strconv.Itoa(maxPending))
	var counts authCounts
	var wg sync.WaitGroup
	for a := range addrs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := p.Client(platformproc.Loopback(a), 1)
			defer c.CloseIdleConnections()
			for range perAddr {
				_, key, _ := ed25519.GenerateKey(rand.Reader)
				ans, err := p.Poll(c, key, time.Now())
				if err != nil {
					t.Errorf("poll: %v", err)
					counts.add(0)
					continue
				}
				if ans.Status == http.StatusTooManyRequests && ans.Header.Get("Retry-After") == "" {
					t.Errorf("429 without a Retry-After")
				}
				counts.add(ans.Status)
			}
		}()
	}
	wg.Wait()
	authPeak(t, p, "pending flood")
	s := authStop(t, p)
	if s.Pending > maxPending || s.Pending < maxPending {
		t.Errorf("%d pending boxes stored after %d fresh keys with -max-pending %d; want the cap reached and held", s.Pending, addrs*perAddr, maxPending)
	}
	if counts.n[http.StatusOK] != s.Pending || counts.n[http.StatusTooManyRequests] != addrs*perAddr-s.Pending {
		t.Errorf("answers %v; want %d served (the boxes stored) and the rest 429", counts.n, s.Pending)
	}
}

// TestPlatformdAuthNonceFlood: one box key sending fresh-nonce polls as
// fast as four connections allow. Every poll served leaves a nonce in
// platformd's memory for ten minutes, so the polls served are the nonces
// stored: at most the bucket's burst and one per 3 s of the run; the rest
// are 429s with Retry-After. Unfixed: all served (5,000 a second, +50 MB
// in 30 s).
func TestPlatformdAuthNonceFlood(t *testing.T) {
	p := authStart(t)
	_, key, _ := ed25519.GenerateKey(rand.Reader)
	c := p.Client(platformproc.Loopback(0), 4)
	const n = 2000
	var counts authCounts
	var wg sync.WaitGroup
	start := time.Now()
	jobs := make(chan struct{}, n)
	for range n {
		jobs <- struct{}{}
	}
	close(jobs)
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range jobs {
				a, err := p.Poll(c, key, time.Now())
				if err != nil {
					t.Errorf("poll: %v", err)
					counts.add(0)
					continue
				}
				if a.Status == http.StatusTooManyRequests {
					if s, err := strconv.Atoi(a.Header.Get("Retry-After")); err != nil || s < 1 || s > 3 {
						t.Errorf("429 with Retry-After %q, want 1-3 s", a.Header.Get("Retry-After"))
					}
				}
				counts.add(a.Status)
			}
		}()
	}
	wg.Wait()
	// An upper bound on the tokens refilled, from the run's length on the
	// test's side (platformd's run is within it).
	bound := authBoxBurst + int(time.Since(start)/authBoxEvery) + 1
	served := counts.n[http.StatusOK]
	if served > bound || served+counts.n[http.StatusTooManyRequests] != n {
		t.Errorf("%d polls with fresh nonces from one key: answers %v; want at most %d served (nonces stored) and the rest 429", n, counts.n, bound)
	}
	authPeak(t, p, "nonce flood")
}

// TestPlatformdAuthLoginPage: 300 visits of the login page without a
// cookie store nothing; one login stores one session. Unfixed: every
// visit stored a session (and scanned all of them).
func TestPlatformdAuthLoginPage(t *testing.T) {
	p := authStart(t)
	c := p.Client(platformproc.Loopback(0), 8)
	c.Jar = nil // cookieless: every visit is a new visitor
	var counts authCounts
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 300 / 8 {
				a, err := p.Get(c, "/login")
				if err != nil {
					t.Errorf("GET /login: %v", err)
					counts.add(0)
					continue
				}
				counts.add(a.Status)
			}
		}()
	}
	wg.Wait()
	if counts.n[http.StatusOK] != 300/8*8 {
		t.Errorf("GET /login answers %v, want all 200", counts.n)
	}
	person := p.Client(platformproc.Loopback(1), 1)
	token, err := p.LoginForm(person)
	if err != nil {
		t.Fatal(err)
	}
	if a, err := p.Login(person, token, platformproc.User, platformproc.Password); err != nil || a.Status != http.StatusSeeOther {
		t.Fatalf("login: %v %d\n%s", err, a.Status, a.Body)
	}
	authPeak(t, p, "login page flood")
	if s := authStop(t, p); s.Sessions != 1 {
		t.Errorf("%d sessions stored after %d visits of the login page and one login, want 1", s.Sessions, 300/8*8)
	}
}
