// Command attack replays the attack run of issue 12 against a platformd
// binary and prints the figures docs/benchmarks.md ("Attack run (issue
// 12)") records, before and after the fixes:
//
//   - login: N parallel wrong logins from one address (for an unknown
//     account, so the account lock does not stop a person's login): how
//     many were checked (401) and how many refused unchecked (429),
//     platformd's peak resident memory, and the time a good login from
//     another address took meanwhile;
//   - pending: fresh box keys from many loopback addresses against
//     -max-pending 1000: how many pending boxes were stored;
//   - nonces: one box key polling with fresh nonces as fast as it can for
//     a while: polls answered per second (and accepted), resident memory
//     growth;
//   - sessions: cookieless GET /login as fast as possible: requests per
//     second (whole run and its last fifth) and sessions stored.
//
// Each runs against a fresh platformd in a temporary directory;
// tests/bench/attack.sh builds the binary (from any commit) and runs this.
package main

import (
	"crypto/ed25519"
	"crypto/rand"
	"flag"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"picket.dev/picket/src/testkit/platformproc"
)

func main() {
	bin := flag.String("platformd", "", "the platformd binary to attack")
	items := flag.String("items", "login,pending,nonces,sessions", "comma-separated attacks to run")
	logins := flag.Int("logins", 120, "parallel wrong logins (login)")
	addrs := flag.Int("addrs", 300, "client addresses, 20 fresh keys each (pending)")
	pollFor := flag.Duration("poll-for", 30*time.Second, "how long one key polls (nonces)")
	getFor := flag.Duration("get-for", 30*time.Second, "how long GET /login runs (sessions)")
	workers := flag.Int("workers", 8, "concurrent clients (pending, nonces, sessions)")
	flag.Parse()
	if *bin == "" {
		fmt.Fprintln(os.Stderr, "attack: -platformd BINARY is required")
		os.Exit(2)
	}
	tmp, err := os.MkdirTemp("", "attack-")
	if err != nil {
		fail(err)
	}
	defer os.RemoveAll(tmp)
	for i, item := range strings.Split(*items, ",") {
		dir := filepath.Join(tmp, fmt.Sprint(i))
		switch item {
		case "login":
			err = loginFlood(*bin, dir, *logins)
		case "pending":
			err = pendingFlood(*bin, dir, *addrs, *workers)
		case "nonces":
			err = nonceFlood(*bin, dir, *pollFor, *workers)
		case "sessions":
			err = sessionFlood(*bin, dir, *getFor, *workers)
		default:
			err = fmt.Errorf("unknown item %q", item)
		}
		if err != nil {
			fail(fmt.Errorf("%s: %w", item, err))
		}
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "attack:", err)
	os.Exit(1)
}

func mib(b int64) string { return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20)) }

// statuses counts answers by HTTP status (0: transport error).
type statuses struct {
	mu sync.Mutex
	n  map[int]int
}

func (s *statuses) add(code int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.n == nil {
		s.n = map[int]int{}
	}
	s.n[code]++
}

func (s *statuses) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var codes []int
	for c := range s.n {
		codes = append(codes, c)
	}
	sort.Ints(codes)
	var parts []string
	for _, c := range codes {
		parts = append(parts, fmt.Sprintf("%d×%d", s.n[c], c))
	}
	return strings.Join(parts, " ")
}

func (s *statuses) get(code int) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.n[code]
}

func loginFlood(bin, dir string, n int) error {
	p, err := platformproc.Start(bin, dir)
	if err != nil {
		return err
	}
	defer p.Kill()
	_, hwm0, err := p.Memory()
	if err != nil {
		return err
	}
	attacker := p.Client(platformproc.Loopback(0), n)
	csrf, err := p.LoginForm(attacker)
	if err != nil {
		return err
	}
	var st statuses
	var wg sync.WaitGroup
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			a, err := p.Login(attacker, csrf, "mallory", "wrong password")
			st.add(a.Status)
			_ = err
		}()
	}
	time.Sleep(200 * time.Millisecond) // the flood is on
	person := p.Client(platformproc.Loopback(1), 1)
	start := time.Now()
	good := 0
	if tok, err := p.LoginForm(person); err == nil {
		a, _ := p.Login(person, tok, platformproc.User, platformproc.Password)
		good = a.Status
	}
	took := time.Since(start)
	wg.Wait()
	rss, hwm, err := p.Memory()
	if err != nil {
		return err
	}
	fmt.Printf("login: %d parallel wrong logins from one address: %d checked (401), %d refused unchecked (429); answers %s\n", n, st.get(401), st.get(429), &st)
	fmt.Printf("login: platformd VmHWM %s before, %s after (VmRSS now %s); a good login from another address: HTTP %d in %s\n",
		mib(hwm0), mib(hwm), mib(rss), good, took.Round(time.Millisecond))
	return p.Stop()
}

func pendingFlood(bin, dir string, addrs, workers int) error {
	p, err := platformproc.Start(bin, dir, "-max-pending", "1000")
	if err != nil {
		return err
	}
	defer p.Kill()
	var st statuses
	next := atomic.Int64{}
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				a := int(next.Add(1)) - 1
				if a >= addrs {
					return
				}
				c := p.Client(platformproc.Loopback(a), 1)
				for range 20 {
					_, key, _ := ed25519.GenerateKey(rand.Reader)
					ans, err := p.Poll(c, key, time.Now())
					if err != nil {
						st.add(0)
						continue
					}
					st.add(ans.Status)
				}
				c.CloseIdleConnections()
			}
		}()
	}
	wg.Wait()
	if err := p.Stop(); err != nil {
		return err
	}
	s, err := p.Stored()
	if err != nil {
		return err
	}
	fmt.Printf("pending: %d fresh keys from %d addresses, -max-pending 1000: %d pending boxes stored; answers %s\n", addrs*20, addrs, s.Pending, &st)
	return nil
}

func nonceFlood(bin, dir string, d time.Duration, workers int) error {
	p, err := platformproc.Start(bin, dir)
	if err != nil {
		return err
	}
	defer p.Kill()
	_, key, _ := ed25519.GenerateKey(rand.Reader)
	c := p.Client(platformproc.Loopback(0), workers)
	if _, err := p.Poll(c, key, time.Now()); err != nil {
		return err
	}
	rss0, _, err := p.Memory()
	if err != nil {
		return err
	}
	var st statuses
	end := time.Now().Add(d)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(end) {
				a, err := p.Poll(c, key, time.Now())
				if err != nil {
					st.add(0)
					continue
				}
				st.add(a.Status)
			}
		}()
	}
	wg.Wait()
	rss, hwm, err := p.Memory()
	if err != nil {
		return err
	}
	total := 0
	for _, v := range st.n {
		total += v
	}
	secs := d.Seconds()
	fmt.Printf("nonces: one key, fresh nonces, %d clients for %s: %.0f polls/s answered, %.1f/s accepted (200); answers %s\n",
		workers, d, float64(total)/secs, float64(st.get(200))/secs, &st)
	fmt.Printf("nonces: platformd VmRSS %s → %s (+%s), VmHWM %s\n", mib(rss0), mib(rss), mib(rss-rss0), mib(hwm))
	return p.Stop()
}

func sessionFlood(bin, dir string, d time.Duration, workers int) error {
	p, err := platformproc.Start(bin, dir)
	if err != nil {
		return err
	}
	defer p.Kill()
	c := p.Client(platformproc.Loopback(0), workers)
	c.Jar = nil // cookieless: every GET is a new visitor
	var st statuses
	var last atomic.Int64
	start := time.Now()
	end := start.Add(d)
	tail := end.Add(-d / 5)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(end) {
				a, err := p.Get(c, "/login")
				if err != nil {
					st.add(0)
					continue
				}
				st.add(a.Status)
				if time.Now().After(tail) {
					last.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	if err := p.Stop(); err != nil {
		return err
	}
	s, err := p.Stored()
	if err != nil {
		return err
	}
	fmt.Printf("sessions: cookieless GET /login, %d clients for %s: %.0f requests/s overall, %.0f/s in the last fifth; %d sessions stored; answers %s\n",
		workers, d, float64(st.get(http.StatusOK))/d.Seconds(), float64(last.Load())/(d.Seconds()/5), s.Sessions, &st)
	return nil
}
