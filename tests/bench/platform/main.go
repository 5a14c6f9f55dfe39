// Command platform is the benchmark of the platform server: one platformd
// (run in this process, on a loopback HTTPS port, with its bbolt store in
// a temporary directory) holding N simulated boxes polling at the default
// rate, N/180 polls a second; it reports the largest N whose p99 poll
// latency stays under 100 ms: it tries the -n steps, then grows N by
// -grow until the p99 passes -p99 (the knee), then tries once halfway
// between the last step under it and the first over it. With -db it runs -replicas platform servers
// (each its own store and connection pool, as separate platformd
// processes would have) on that PostgreSQL database, and with more than
// one, Debian's haproxy in front of them (TCP passthrough, round robin),
// which the boxes poll.
//
// Each simulated box has its own ed25519 key and signs every poll; boxes
// are activated (steady state: settings already applied, so a poll is a
// heartbeat that rewrites the box's record). Polls arrive as a Poisson
// process of rate N/interval (what N boxes with independent jittered
// timers add up to), open loop: a slow server does not slow the arrivals.
// Every poll opens a new TLS 1.3 connection, as a box polling every three
// minutes would. Latency is measured by the client from sending the
// signed request to reading the whole answer. The load generator runs on
// the same machine and takes CPU from the server, so the figures are a
// lower bound.
//
// Each step also reports what a poll costs: CPU of this process (server
// and load generator together) per poll, and on PostgreSQL the database
// processes' CPU, WAL bytes and transactions per poll. At the end (-size)
// it measures the database: bytes per box (every box's record as a poll
// leaves it), per guard row, and per job and per host of a job history
// added to a sample of the boxes (realistic results: open ports with
// services, TLS and SSH facts, findings), on bbolt the file's size.
//
// tests/bench/platform.sh runs it; docs/benchmarks.md ("Platform server")
// records the figures.
package main

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math"
	"math/big"
	mrand "math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"picket.dev/picket/src/link/platformapi"
	"picket.dev/picket/src/platform/server"
	"picket.dev/picket/src/platform/store"
)

func main() {
	steps := flag.String("n", "10000,50000,100000,150000,200000,250000,300000,400000", "comma-separated box counts to try, increasing")
	dur := flag.Duration("duration", 30*time.Second, "how long each step polls")
	interval := flag.Duration("interval", platformapi.DefaultPollInterval, "poll interval of every box")
	limit := flag.Duration("p99", 100*time.Millisecond, "stop at the first step whose p99 exceeds this")
	dir := flag.String("data", "", "data directory (default: a temporary one, removed at the end)")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile of the whole run here")
	db := flag.String("db", "", "PostgreSQL connection string of an empty database (default: the embedded bbolt store in -data)")
	replicas := flag.Int("replicas", 1, "platform servers on the -db database (more than one: behind haproxy)")
	grow := flag.Float64("grow", 1.25, "after the -n steps, grow N by this factor until the p99 passes -p99 (1: only the -n steps)")
	maxBoxes := flag.Int("max-boxes", 1000000, "stop growing at this many boxes")
	size := flag.Bool("size", true, "at the end, measure the database's size per box, and per job and host of a job history added to a sample of boxes")
	sample := flag.String("history", "500x4x20", "job history of -size: BOXESxJOBSxHOSTS (boxes of the sample, done jobs each, hosts per job)")
	flag.Parse()
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err != nil {
			fmt.Fprintf(os.Stderr, "bench: %v\n", err)
			os.Exit(1)
		}
		pprof.StartCPUProfile(f)
		defer pprof.StopCPUProfile()
	}
	cfg := config{steps: *steps, dur: *dur, interval: *interval, limit: *limit, dir: *dir, db: *db, replicas: *replicas,
		grow: *grow, maxBoxes: *maxBoxes, size: *size, history: *sample}
	if err := run(cfg); err != nil {
		fmt.Fprintf(os.Stderr, "bench: %v\n", err)
		pprof.StopCPUProfile()
		os.Exit(1)
	}
}

type config struct {
	steps                string
	dur, interval, limit time.Duration
	dir, db              string
	replicas             int
	grow                 float64
	maxBoxes             int
	size                 bool
	history              string
}

type stepResult struct {
	n                  int
	rate               float64
	sent, errs         int
	p50, p90, p99, max time.Duration
}

func run(cfg config) error {
	stepsS, dur, interval, limit, dir, db, replicas := cfg.steps, cfg.dur, cfg.interval, cfg.limit, cfg.dir, cfg.db, cfg.replicas
	var hist history
	if _, err := fmt.Sscanf(cfg.history, "%dx%dx%d", &hist.boxes, &hist.jobs, &hist.hosts); err != nil || hist.boxes <= 0 || hist.jobs <= 0 || hist.hosts <= 0 {
		return fmt.Errorf("-history %q: want BOXESxJOBSxHOSTS, e.g. 500x4x20", cfg.history)
	}
	var steps []int
	for _, s := range strings.Split(stepsS, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n <= 0 {
			return fmt.Errorf("-n: %q is not a positive count", s)
		}
		steps = append(steps, n)
	}
	if dir == "" {
		d, err := os.MkdirTemp("", "picket-platform-bench-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(d)
		dir = d
	}
	if db == "" && replicas != 1 {
		return errors.New("-replicas: several replicas need a shared database (-db)")
	}
	cert, pool, err := throwawayTLS()
	if err != nil {
		return err
	}
	var st store.Store
	var addrs []string
	for range max(1, replicas) {
		rst, desc, err := server.OpenDB(context.Background(), dir, db)
		if err != nil {
			return err
		}
		defer rst.Close()
		if st == nil {
			st = rst
			fmt.Printf("store: %s, %d replica(s)\n", desc, max(1, replicas))
		}
		p := server.New(rst, time.Now, slog.New(slog.NewTextHandler(io.Discard, nil)))
		defer p.Close()
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return err
		}
		hs := &http.Server{Handler: p.Handler(), TLSConfig: server.TLSConfig(cert), ReadHeaderTimeout: 10 * time.Second,
			ErrorLog: slog.NewLogLogger(slog.NewTextHandler(io.Discard, nil).WithGroup("x"), slog.LevelError)}
		go hs.ServeTLS(ln, "", "")
		defer hs.Close()
		addrs = append(addrs, ln.Addr().String())
	}
	addr := addrs[0]
	if len(addrs) > 1 {
		lb, stop, err := haproxy(addrs)
		if err != nil {
			return err
		}
		defer stop()
		addr = lb
	}
	url := "https://" + addr + platformapi.PathPoll
	client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS13}, DisableKeepAlives: true, MaxConnsPerHost: 0}}

	fmt.Printf("platform server benchmark: %d CPUs (%s), Go %s, %s per step, poll interval %s, one new TLS connection per poll, load generator in the same process\n",
		runtime.NumCPU(), cpuModel(), runtime.Version(), dur, interval)
	var pg *pgStats
	if db != "" {
		if pg, err = newPGStats(st); err != nil {
			return err
		}
	}
	fmt.Printf("%9s %9s %8s %7s %9s %9s %9s %9s %10s %10s %9s %7s\n", "boxes", "polls/s", "polls", "errors", "p50", "p90", "p99", "max",
		"cpu/poll", "pgcpu/poll", "WAL/poll", "tx/poll")
	var keys []ed25519.PrivateKey
	best, knee := 0, 0
	try := func(n int) (bool, error) {
		if err := addBoxes(st, &keys, n); err != nil {
			return false, err
		}
		before, err := sample(pg)
		if err != nil {
			return false, err
		}
		r := step(client, url, keys[:n], interval, dur)
		// The stats of the last transactions reach pg_stat_database when
		// their backends are next idle (at most a second later).
		time.Sleep(1500 * time.Millisecond)
		after, err := sample(pg)
		if err != nil {
			return false, err
		}
		c := after.minus(before, r.sent)
		fmt.Printf("%9d %9.1f %8d %7d %9s %9s %9s %9s %10s %10s %9s %7s\n", r.n, r.rate, r.sent, r.errs, ms(r.p50), ms(r.p90), ms(r.p99), ms(r.max),
			ms(c.cpu), c.pgCPU, c.wal, c.tx)
		return r.p99 <= limit && r.errs == 0, nil
	}
	for i := 0; ; i++ {
		var n int
		switch {
		case i < len(steps):
			n = steps[i]
		case cfg.grow > 1 && best > 0:
			n = max(best+1000, int(math.Round(float64(best)*cfg.grow/1000))*1000)
		}
		if n == 0 || n > cfg.maxBoxes {
			break
		}
		ok, err := try(n)
		if err != nil {
			return err
		}
		if !ok {
			knee = n
			break
		}
		best = n
	}
	if best > 0 && knee > 0 && knee-best > 2000 {
		// Once halfway, on the boxes already made (the first mid).
		mid := (best + knee) / 2 / 1000 * 1000
		ok, err := try(mid)
		if err != nil {
			return err
		}
		if ok {
			best = mid
		} else {
			knee = mid
		}
	}
	switch {
	case best == 0:
		fmt.Printf("no step kept p99 under %s\n", limit)
	case knee == 0:
		fmt.Printf("largest N with p99 under %s: %d boxes; no knee up to there\n", limit, best)
	default:
		fmt.Printf("knee: p99 under %s at %d boxes (%.0f polls/s), over it at %d\n", limit, best, float64(best)/interval.Seconds(), knee)
	}
	if cfg.size {
		return measureSize(st, dir, db, keys, interval, hist)
	}
	return nil
}

// haproxy starts haproxy in front of the servers at addrs (TCP
// passthrough, round robin, connect checks) and returns its address and
// how to stop it.
func haproxy(addrs []string) (string, func(), error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	lb := ln.Addr().String()
	ln.Close()
	cfg := fmt.Sprintf("global\n\tmaxconn 8000\ndefaults\n\tmode tcp\n\ttimeout connect 2s\n\ttimeout client 30s\n\ttimeout server 30s\n\tretries 3\n\toption redispatch 1\n"+
		"frontend platform\n\tbind %s\n\tdefault_backend replicas\nbackend replicas\n\tbalance roundrobin\n", lb)
	for i, a := range addrs {
		cfg += fmt.Sprintf("\tserver r%d %s check inter 1s\n", i, a)
	}
	f, err := os.CreateTemp("", "picket-bench-haproxy-*.cfg")
	if err != nil {
		return "", nil, err
	}
	defer os.Remove(f.Name())
	if _, err := f.WriteString(cfg); err != nil {
		return "", nil, err
	}
	f.Close()
	cmd := exec.Command("haproxy", "-db", "-f", f.Name())
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		return "", nil, fmt.Errorf("start haproxy (Debian's haproxy, tools/fetch): %w", err)
	}
	stop := func() { cmd.Process.Kill(); cmd.Wait() }
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if c, err := net.Dial("tcp", lb); err == nil {
			c.Close()
			// Read the configuration before the file goes.
			return lb, stop, nil
		}
		if time.Now().After(deadline) {
			stop()
			return "", nil, fmt.Errorf("haproxy does not listen on %s", lb)
		}
	}
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1fms", float64(d)/1e6) }

func cpuModel() string {
	b, _ := os.ReadFile("/proc/cpuinfo")
	for _, l := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(l, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return "unknown CPU"
}

// addBoxes creates active boxes until there are n, straight in the store
// (as if each had polled once and been activated), in batches.
func addBoxes(st store.Store, keys *[]ed25519.PrivateKey, n int) error {
	now := time.Now()
	for len(*keys) < n {
		batch := min(n-len(*keys), 2000)
		var boxes []store.Box
		for range batch {
			pub, key, err := ed25519.GenerateKey(rand.Reader)
			if err != nil {
				return err
			}
			*keys = append(*keys, key)
			i := len(*keys)
			name := fmt.Sprintf("pk_bench_%d", i)
			boxes = append(boxes, store.Box{ID: store.BoxID(pub), Key: platformapi.EncodeKey(pub), Code: platformapi.ActivationCode(pub),
				State: store.BoxActive, Name: name, Account: "bench", AssetGroup: "branch-offices", ActivatedBy: "bench", Activated: now, PollIntervalSeconds: 180,
				Settings: platformapi.Settings{Version: 1, Name: name, PollIntervalSeconds: 180}, AppliedVer: 1,
				FirstSeen: now, LastSeen: now, LastPoll: now,
				// What a poll's heartbeat leaves (boxapi/heartbeat.go),
				// so that the records have their steady-state size.
				LANv4: []string{fmt.Sprintf("10.%d.%d.5/24", i/250%250, i%250)}, LANv6: []string{"fe80::5054:ff:fe12:3456/64"},
				Board: "virtual", Versions: platformapi.Versions{Scanner: "1.4.2", Signatures: "2026.11.27", Update: "idle"},
				Capacity: platformapi.Capacity{CPUs: 4, MemoryMB: 2048, MaxScans: 2}, RemoteAddr: fmt.Sprintf("198.51.%d.%d", i/250%250, i%250)})
		}
		err := st.Update(func(tx store.Tx) error {
			for _, b := range boxes {
				if err := tx.PutBox(b); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("add boxes: %w", err)
		}
	}
	return nil
}

// step polls for dur at rate len(keys)/interval, boxes in random order.
func step(client *http.Client, url string, keys []ed25519.PrivateKey, interval, dur time.Duration) stepResult {
	n := len(keys)
	rate := float64(n) / interval.Seconds()
	order := mrand.Perm(n)
	body, _ := json.Marshal(platformapi.PollRequest{Board: "virtual", Versions: platformapi.Versions{Scanner: "0.1.0", Signatures: "2026.11.27"},
		LANv4: []string{"10.0.0.5/24"}, Capacity: platformapi.Capacity{CPUs: 4, MemoryMB: 2048, MaxScans: 2}, SettingsVersion: 1})
	var mu sync.Mutex
	var lat []time.Duration
	errs := 0
	var wg sync.WaitGroup
	ctx, cancel := context.WithTimeout(context.Background(), dur)
	defer cancel()
	start := time.Now()
	next := start
	sent := 0
	for i := 0; ctx.Err() == nil; i++ {
		next = next.Add(time.Duration(mrand.ExpFloat64() / rate * float64(time.Second)))
		if d := time.Until(next); d > 0 {
			select {
			case <-time.After(d):
			case <-ctx.Done():
			}
			if ctx.Err() != nil {
				break
			}
		}
		key := keys[order[i%n]]
		sent++
		wg.Add(1)
		go func() {
			defer wg.Done()
			req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			platformapi.Sign(req, body, key, time.Now())
			t0 := time.Now()
			resp, err := client.Do(req)
			ok := err == nil
			if ok {
				_, err = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				ok = err == nil && resp.StatusCode == http.StatusOK
			}
			d := time.Since(t0)
			mu.Lock()
			defer mu.Unlock()
			if !ok {
				errs++
				if errs <= 3 {
					fmt.Fprintf(os.Stderr, "poll failed: %v %v\n", err, statusOf(resp))
				}
				return
			}
			lat = append(lat, d)
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	slices.Sort(lat)
	q := func(p float64) time.Duration {
		if len(lat) == 0 {
			return 0
		}
		return lat[int(math.Ceil(p*float64(len(lat))))-1]
	}
	r := stepResult{n: n, rate: float64(sent) / elapsed.Seconds(), sent: sent, errs: errs, p50: q(0.5), p90: q(0.9), p99: q(0.99)}
	if len(lat) > 0 {
		r.max = lat[len(lat)-1]
	}
	return r
}

func statusOf(r *http.Response) string {
	if r == nil {
		return ""
	}
	return r.Status
}

func throwawayTLS() (tls.Certificate, *x509.CertPool, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	now := time.Now()
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour), IPAddresses: []net.IP{net.ParseIP("127.0.0.1")},
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	c, _ := x509.ParseCertificate(der)
	pool := x509.NewCertPool()
	pool.AddCert(c)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, pool, nil
}
