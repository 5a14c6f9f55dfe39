package platformha

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"picket.dev/picket/src/link/platformapi"
	"picket.dev/picket/src/link/platformlink"
	"picket.dev/picket/src/platform/store"
	"picket.dev/picket/src/platform/store/postgres"
	"picket.dev/picket/src/scan/result"
	"picket.dev/picket/src/testkit/platformproc"
)

// TestReplicas runs three replicas on one database (one cluster for all
// cases, started once: about 4 s) and then haproxy in front of them.
func TestReplicas(t *testing.T) {
	e := newEnv(t, 3)
	src := 0
	next := func() netip.Addr { src++; return platformproc.Loopback(src) }
	t.Run("ReplayRefusedOnAnotherReplica", func(t *testing.T) {
		b := newBox(t)
		req := b.sign(t, platformapi.PathPoll, platformapi.PollRequest{})
		if a, err := send(e.client(e.reps[0].Addr, next()), req, nil); err != nil || a.status != http.StatusOK {
			t.Fatalf("first poll on replica 0: %v, HTTP %d %+v", err, a.status, a.err)
		}
		for i, r := range e.reps {
			a, err := send(e.client(r.Addr, next()), req, nil)
			if err != nil || a.status != http.StatusUnauthorized || a.err.Code != platformapi.ErrReplay {
				t.Errorf("the same request replayed to replica %d: %v, HTTP %d %+v; want 401 %s", i, err, a.status, a.err, platformapi.ErrReplay)
			}
		}
	})
	t.Run("SessionAndCSRFOnEveryReplica", func(t *testing.T) {
		p := e.person(e.reps[0].Addr, next())
		// The login form of replica 0 (its cookie and token), posted to
		// replica 1: the forms' key is shared.
		p.do("GET", "/login", nil)
		p.to = e.reps[1].Addr
		if st, _, body := p.do("POST", "/login", url.Values{"username": {platformproc.User}, "password": {platformproc.Password}}); st != http.StatusSeeOther {
			t.Fatalf("login form of replica 0 posted to replica 1: HTTP %d\n%s", st, body)
		}
		// The session made by replica 1 on replica 2; the CSRF token of
		// replica 2's page posted to replica 0.
		p.to = e.reps[2].Addr
		if st, _, body := p.do("GET", "/appliances", nil); st != http.StatusOK || !strings.Contains(body, "Appliances") {
			t.Fatalf("replica 1's session on replica 2: HTTP %d", st)
		}
		p.to = e.reps[0].Addr
		if st, h, _ := p.do("POST", "/logout", url.Values{}); st != http.StatusSeeOther || h.Get("Location") != "/login" {
			t.Fatalf("logout on replica 0 with replica 2's CSRF token: HTTP %d to %q", st, h.Get("Location"))
		}
		// Logged out everywhere: the session was deleted from the store.
		for i, r := range e.reps {
			p.to = r.Addr
			if st, h, _ := p.do("GET", "/appliances", nil); st != http.StatusSeeOther || h.Get("Location") != "/login" {
				t.Errorf("replica %d after the logout: HTTP %d to %q, want the login page", i, st, h.Get("Location"))
			}
		}
	})
	t.Run("LoginLockoutAcrossReplicas", func(t *testing.T) {
		// Per account: 5 wrong passwords, each from another address and
		// to the next replica, lock the name on every replica.
		wrong := func(p *person, name string) (int, string) {
			p.do("GET", "/login", nil)
			st, _, body := p.do("POST", "/login", url.Values{"username": {name}, "password": {"wrong"}})
			return st, body
		}
		for i := range 5 {
			if st, _ := wrong(e.person(e.reps[i%3].Addr, next()), "mallory"); st != http.StatusUnauthorized {
				t.Fatalf("wrong password %d: HTTP %d, want 401", i+1, st)
			}
		}
		for i, r := range e.reps {
			if st, body := wrong(e.person(r.Addr, next()), "mallory"); st != http.StatusTooManyRequests || !strings.Contains(body, "for this account") {
				t.Errorf("sixth attempt on replica %d: HTTP %d, want 429 for this account", i, st)
			}
		}
		// Per address: 5 wrong logins for five names from one address,
		// to the three replicas in turn, lock the address everywhere.
		addr := next()
		for i := range 5 {
			if st, _ := wrong(e.person(e.reps[i%3].Addr, addr), fmt.Sprint("name", i)); st != http.StatusUnauthorized {
				t.Fatalf("wrong login %d from one address: HTTP %d", i+1, st)
			}
		}
		for i, r := range e.reps {
			if st, body := wrong(e.person(r.Addr, addr), "another"); st != http.StatusTooManyRequests || !strings.Contains(body, "from your address") {
				t.Errorf("sixth from the address on replica %d: HTTP %d, want 429 from your address", i, st)
			}
		}
	})
	t.Run("ActivationRace", func(t *testing.T) {
		// Two people on two replicas enter the same code at the same
		// moment, round after round: one wins, the other is told the
		// box is already activated.
		const rounds = 8
		for round := range rounds {
			b := newBox(t)
			b.poll(t, e.client(e.reps[round%3].Addr, next()))
			ps := []*person{e.person(e.reps[round%3].Addr, next()), e.person(e.reps[(round+1)%3].Addr, next())}
			for _, p := range ps {
				p.login()
				p.do("GET", "/activate", nil)
			}
			status := make([]int, 2)
			// do fails the test on a transport error only (from the
			// goroutine: t.Fatalf there would not stop the test, but the
			// status check below fails it).
			bodies := make([]string, 2)
			parallel(2, func(i int) {
				status[i], _, bodies[i] = ps[i].do("POST", "/activate", url.Values{"code": {b.code}})
			})
			won, lost := 0, 0
			for i := range 2 {
				switch {
				case status[i] == http.StatusSeeOther:
					won++
				case status[i] == http.StatusBadRequest && strings.Contains(bodies[i], "already activated"):
					lost++
				default:
					t.Errorf("round %d, person %d: HTTP %d\n%s", round, i, status[i], bodies[i])
				}
			}
			if won != 1 || lost != 1 {
				t.Fatalf("round %d: %d won, %d told the box is already activated; want one each", round, won, lost)
			}
			if r := b.poll(t, e.client(e.reps[(round+2)%3].Addr, next())); r.State != platformapi.StateActive {
				t.Fatalf("round %d: the box hears %q", round, r.State)
			}
		}
	})
	t.Run("JobAcceptedOnce", func(t *testing.T) {
		b := newBox(t)
		b.poll(t, e.client(e.reps[0].Addr, next()))
		p := e.person(e.reps[1].Addr, next())
		p.login()
		page := p.activate(b.code)
		p.to = e.reps[2].Addr
		job := p.launch(page, "192.0.2.1")
		// Polls at once on the three replicas: the job waits for its box
		// until the box accepts it, so each answer may carry it (the box
		// takes a job once, by its id), and only to this box.
		var offered atomic.Int32
		clients := []*http.Client{e.client(e.reps[0].Addr, next()), e.client(e.reps[1].Addr, next()), e.client(e.reps[2].Addr, next())}
		parallel(3, func(i int) {
			var resp platformapi.PollResponse
			a, err := send(clients[i], b.sign(t, platformapi.PathPoll, platformapi.PollRequest{}), &resp)
			if err != nil || a.status != http.StatusOK {
				t.Errorf("poll on replica %d: %v, HTTP %d %+v", i, err, a.status, a.err)
			}
			for _, j := range resp.Jobs {
				if j.ID == job {
					offered.Add(1)
				}
			}
		})
		if offered.Load() == 0 {
			t.Fatal("no poll was offered the job")
		}
		other := newBox(t)
		other.poll(t, e.client(e.reps[1].Addr, next()))
		// The box accepts it on every replica at once, as its link does
		// (one upload id per job's acceptance): one update applies, the
		// others are duplicates.
		accept := b.sign(t, platformapi.PathJobUpdate, platformapi.JobUpdate{UploadID: platformlink.AcceptedUploadID(job), JobID: job, State: platformapi.JobAccepted})
		// The same update, signed afresh each time (a retry is a new
		// request).
		reqs := []signed{accept, accept, accept}
		for i := 1; i < 3; i++ {
			reqs[i] = b.sign(t, platformapi.PathJobUpdate, platformapi.JobUpdate{UploadID: platformlink.AcceptedUploadID(job), JobID: job, State: platformapi.JobAccepted})
		}
		clients = []*http.Client{e.client(e.reps[0].Addr, next()), e.client(e.reps[1].Addr, next()), e.client(e.reps[2].Addr, next())}
		var applied, dup atomic.Int32
		parallel(3, func(i int) {
			var resp platformapi.JobUpdateResponse
			a, err := send(clients[i], reqs[i], &resp)
			if err != nil || a.status != http.StatusOK {
				t.Errorf("accept on replica %d: %v, HTTP %d %+v", i, err, a.status, a.err)
				return
			}
			if resp.Duplicate {
				dup.Add(1)
			} else {
				applied.Add(1)
			}
		})
		if applied.Load() != 1 || dup.Load() != 2 {
			t.Fatalf("acceptance sent to 3 replicas at once: %d applied, %d duplicates; want 1 and 2", applied.Load(), dup.Load())
		}
		// Accepted: no replica offers it again.
		for i, r := range e.reps {
			for _, j := range b.poll(t, e.client(r.Addr, next())).Jobs {
				if j.ID == job {
					t.Errorf("replica %d offers the accepted job again", i)
				}
			}
		}
	})

	// Behind the load balancer.
	e.balance()
	t.Run("ProxyProtocolClientAddresses", func(t *testing.T) {
		// Two clients behind the balancer: to the replicas every
		// connection comes from haproxy's address, and only the PROXY
		// header tells them apart. Five wrong logins from a lock a out;
		// b, through the same balancer, is not locked (without the
		// header both would be the balancer's address, and b's first try
		// would be refused too).
		a, b := next(), next()
		wrong := func(src netip.Addr, name string) (int, string) {
			p := e.person(e.lb, src)
			p.do("GET", "/login", nil)
			st, _, body := p.do("POST", "/login", url.Values{"username": {name}, "password": {"wrong"}})
			return st, body
		}
		for i := range 5 {
			if st, _ := wrong(a, fmt.Sprint("pp-name", i)); st != http.StatusUnauthorized {
				t.Fatalf("wrong login %d from %s through the balancer: HTTP %d, want 401", i+1, a, st)
			}
		}
		if st, body := wrong(a, "pp-another"); st != http.StatusTooManyRequests || !strings.Contains(body, "from your address") {
			t.Errorf("sixth wrong login from %s: HTTP %d, want 429 from your address", a, st)
		}
		if st, _ := wrong(b, "pp-another"); st != http.StatusUnauthorized {
			t.Errorf("a wrong login from %s after %s was locked out: HTTP %d, want 401 (its own count)", b, a, st)
		}
		// b logs in: the audit log says from b's address.
		p := e.person(e.lb, b)
		p.login()
		st, err := postgres.Open(context.Background(), e.db)
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		var log []store.AuditEntry
		if err := st.View(func(tx store.Tx) error {
			var err error
			log, err = tx.AuditLog("default", 0, 5)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		if len(log) == 0 || log[0].Action != "login" || log[0].User != platformproc.User || log[0].Addr != b.String() {
			t.Errorf("newest audit entry %+v, want %s's login from %s (not the balancer's %s)", log, platformproc.User, b, balancerAddr)
		}
	})
	t.Run("ProxyHeaderOnlyFromTheBalancer", func(t *testing.T) {
		// A client that writes a header itself, straight to a replica,
		// claiming another address: refused, nothing answered.
		d := net.Dialer{LocalAddr: &net.TCPAddr{IP: next().AsSlice()}, Timeout: 5 * time.Second}
		c, err := d.Dial("tcp", e.reps[0].Addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		// PROXY v2, TCP over IPv4, 192.0.2.1:1234 -> 127.0.0.1:8443.
		c.Write([]byte("\r\n\r\n\x00\r\nQUIT\n\x21\x11\x00\x0c\xc0\x00\x02\x01\x7f\x00\x00\x01\x04\xd2\x20\xfb"))
		c.SetReadDeadline(time.Now().Add(5 * time.Second))
		if n, err := c.Read(make([]byte, 64)); err == nil || errors.Is(err, os.ErrDeadlineExceeded) {
			t.Errorf("a forged header from an untrusted address: read %d bytes, %v; want the connection closed", n, err)
		}
		// And from the balancer's address, a connection without the
		// header is refused: TLS straight away fails.
		if _, err := send(e.client(e.reps[0].Addr, netip.MustParseAddr(balancerAddr)), newBox(t).sign(t, platformapi.PathPoll, platformapi.PollRequest{}), nil); err == nil {
			t.Error("a connection from the balancer's address without a PROXY header was served")
		}
	})
	t.Run("ResultsStoredOnce", func(t *testing.T) {
		b := newBox(t)
		b.poll(t, e.client(e.lb, next()))
		p := e.person(e.lb, next())
		p.login()
		job := p.launch(p.activate(b.code), "192.0.2.0/28")
		updates := []platformapi.JobUpdate{
			{UploadID: platformlink.AcceptedUploadID(job), JobID: job, State: platformapi.JobAccepted},
			{UploadID: "u1", JobID: job, State: platformapi.JobRunning, Hosts: hosts(0, 5)},
			{UploadID: "u2", JobID: job, State: platformapi.JobRunning, Hosts: hosts(5, 4)},
			{UploadID: "u3", JobID: job, State: platformapi.JobDone, Hosts: hosts(9, 3)},
		}
		// Each update sent three times through the balancer (round robin:
		// three replicas), as a box whose answers were lost retries.
		for _, u := range updates {
			for try := range 3 {
				var resp platformapi.JobUpdateResponse
				a, err := send(e.client(e.lb, next()), b.sign(t, platformapi.PathJobUpdate, u), &resp)
				if err != nil || a.status != http.StatusOK || resp.Duplicate != (try > 0) {
					t.Fatalf("update %s, try %d: %v, HTTP %d %+v, duplicate %v", u.UploadID, try, err, a.status, a.err, resp.Duplicate)
				}
			}
		}
		st, err := postgres.Open(context.Background(), e.db)
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		st.View(func(tx store.Tx) error {
			j, err := tx.Job(job)
			if err != nil {
				t.Fatal(err)
			}
			n := 0
			tx.EachHost(job, 0, func(result.Host) error { n++; return nil })
			if j.State != platformapi.JobDone || j.Hosts != 12 || n != 12 {
				t.Errorf("job after every update three times: %s, %d hosts counted, %d stored; want done, 12", j.State, j.Hosts, n)
			}
			return nil
		})
	})
	t.Run("ReplicaKilledUnderLoad", func(t *testing.T) {
		boxes := register(t, e, 40, &src)
		l := load(t, e, boxes, 400*time.Millisecond)
		time.Sleep(2 * time.Second)
		killed := time.Now()
		if err := syscall.Kill(e.reps[2].PID(), syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		time.Sleep(4 * time.Second)
		res := l.stop()
		t.Logf("%d polls, %d failed (%v); killed at +2 s", res.ok+len(res.failed), len(res.failed), res.failed)
		// Only requests in flight when the replica died may fail: at most
		// one per box, and none started 500 ms after the kill.
		if len(res.failed) > len(boxes) {
			t.Errorf("%d requests failed, more than the %d boxes could have had in flight", len(res.failed), len(boxes))
		}
		for _, f := range res.failed {
			if f.start.After(killed.Add(500 * time.Millisecond)) {
				t.Errorf("a poll started %v after the kill failed: %s", f.start.Sub(killed), f.why)
			}
		}
		for i, n := range res.after(killed.Add(time.Second)) {
			if n == 0 {
				t.Errorf("box %d was not answered after the kill", i)
			}
		}
	})
	t.Run("PostgreSQLRestarted", func(t *testing.T) {
		boxes := register(t, e, 20, &src)
		l := load(t, e, boxes, 500*time.Millisecond)
		time.Sleep(time.Second)
		down := time.Now()
		if err := e.pg.Stop(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(3 * time.Second)
		if err := e.pg.Start(); err != nil {
			t.Fatal(err)
		}
		up := time.Now()
		time.Sleep(5 * time.Second)
		res := l.stop()
		t.Logf("%d polls answered, %d failed; database down %v", res.ok, len(res.failed), up.Sub(down).Round(time.Millisecond))
		// While it was down: refused at once with 503, none hung.
		refused := 0
		for _, f := range res.failed {
			if f.status == http.StatusServiceUnavailable && f.took < 3*time.Second {
				refused++
			} else {
				t.Errorf("a poll failed otherwise than with a prompt 503: %s after %v", f.why, f.took)
			}
			if f.start.After(up.Add(2 * time.Second)) {
				t.Errorf("a poll %v after the database came back failed: %s", f.start.Sub(up), f.why)
			}
		}
		if refused == 0 {
			t.Error("no poll was refused while the database was down")
		}
		// The replicas reconnected by themselves: every box answered.
		for i, n := range res.after(up.Add(2 * time.Second)) {
			if n == 0 {
				t.Errorf("box %d was not answered after the database came back", i)
			}
		}
	})
}

// hosts are n hosts from 192.0.2.from.
func hosts(from, n int) []result.Host {
	var hs []result.Host
	for i := range n {
		hs = append(hs, result.Host{Addr: netip.AddrFrom4([4]byte{192, 0, 2, byte(from + i)}), Up: true, UpReason: result.ReasonSYNACK})
	}
	return hs
}

// register makes n boxes pending with a first poll on the replicas
// directly (from addresses of their own: behind the balancer every box
// comes from its address, and new boxes are limited per address).
func register(t *testing.T, e *env, n int, src *int) []*box {
	var boxes []*box
	for i := range n {
		b := newBox(t)
		*src++
		b.poll(t, e.client(e.reps[i%2].Addr, platformproc.Loopback(*src)))
		boxes = append(boxes, b)
	}
	return boxes
}

// failure is one poll that was not answered 200.
type failure struct {
	start  time.Time
	took   time.Duration
	status int
	why    string
}

func (f failure) String() string { return f.why }

type loadResult struct {
	ok      int
	failed  []failure
	answers [][]time.Time // per box, when each answered poll started
}

// after counts each box's answered polls started after at.
func (r loadResult) after(at time.Time) []int {
	out := make([]int, len(r.answers))
	for i, as := range r.answers {
		for _, a := range as {
			if a.After(at) {
				out[i]++
			}
		}
	}
	return out
}

type loader struct {
	stop func() loadResult
}

// load has every box poll through the balancer every every (each poll
// on a new connection) until stop.
func load(t *testing.T, e *env, boxes []*box, every time.Duration) loader {
	done := make(chan struct{})
	var mu sync.Mutex
	res := loadResult{answers: make([][]time.Time, len(boxes))}
	var wg sync.WaitGroup
	for i, b := range boxes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := e.client(e.lb, platformproc.Loopback(60000+i))
			tick := time.NewTicker(every)
			defer tick.Stop()
			for {
				start := time.Now()
				a, err := send(c, b.sign(t, platformapi.PathPoll, platformapi.PollRequest{Board: "ha"}), nil)
				mu.Lock()
				switch {
				case err == nil && a.status == http.StatusOK:
					res.ok++
					res.answers[i] = append(res.answers[i], start)
				case err != nil:
					res.failed = append(res.failed, failure{start, a.took, 0, err.Error()})
				default:
					res.failed = append(res.failed, failure{start, a.took, a.status, fmt.Sprintf("HTTP %d %s", a.status, a.err.Message)})
				}
				mu.Unlock()
				select {
				case <-done:
					return
				case <-tick.C:
				}
			}
		}()
	}
	return loader{stop: func() loadResult {
		close(done)
		wg.Wait()
		return res
	}}
}
