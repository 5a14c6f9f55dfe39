package main

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"picket.dev/picket/src/link/platformapi"
	"picket.dev/picket/src/platform/server"
	"picket.dev/picket/src/platform/store"
	"picket.dev/picket/src/platform/store/postgres"
	"picket.dev/picket/src/scan/result"
)

// pgStats reads what a step cost the database: its server processes'
// CPU (the postmaster and its children, from /proc: the cluster runs on
// this machine), the WAL written and the transactions.
type pgStats struct {
	pool       *pgxpool.Pool
	postmaster int
}

func newPGStats(st store.Store) (*pgStats, error) {
	ps, ok := st.(*postgres.Store)
	if !ok {
		return nil, fmt.Errorf("store %T is not PostgreSQL", st)
	}
	var dataDir string
	if err := ps.Pool().QueryRow(context.Background(), "SHOW data_directory").Scan(&dataDir); err != nil {
		return nil, fmt.Errorf("the cluster's data directory (a superuser's connection is needed): %w", err)
	}
	b, err := os.ReadFile(filepath.Join(dataDir, "postmaster.pid"))
	if err != nil {
		return nil, fmt.Errorf("the postmaster's pid (the cluster must run on this machine): %w", err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(strings.SplitN(string(b), "\n", 2)[0]))
	if err != nil {
		return nil, fmt.Errorf("postmaster.pid: %w", err)
	}
	return &pgStats{pool: ps.Pool(), postmaster: pid}, nil
}

// snapshot is the counters at one moment.
type snapshot struct {
	cpu      time.Duration // this process: servers and load generator
	pg       bool
	pgCPU    time.Duration
	wal, txs int64
}

// costs are a step's costs per poll, formatted.
type costs struct {
	cpu            time.Duration
	pgCPU, wal, tx string
}

func (a snapshot) minus(b snapshot, polls int) costs {
	if polls == 0 {
		return costs{pgCPU: "-", wal: "-", tx: "-"}
	}
	c := costs{cpu: (a.cpu - b.cpu) / time.Duration(polls), pgCPU: "-", wal: "-", tx: "-"}
	if a.pg {
		c.pgCPU = ms((a.pgCPU - b.pgCPU) / time.Duration(polls))
		c.wal = fmt.Sprintf("%.0fB", float64(a.wal-b.wal)/float64(polls))
		c.tx = fmt.Sprintf("%.2f", float64(a.txs-b.txs)/float64(polls))
	}
	return c
}

func sample(pg *pgStats) (snapshot, error) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return snapshot{}, fmt.Errorf("getrusage: %w", err)
	}
	s := snapshot{cpu: time.Duration(ru.Utime.Nano() + ru.Stime.Nano())}
	if pg == nil {
		return s, nil
	}
	s.pg = true
	s.pgCPU = clusterCPU(pg.postmaster)
	err := pg.pool.QueryRow(context.Background(), `SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')::bigint,
		(SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = current_database())`).Scan(&s.wal, &s.txs)
	if err != nil {
		return s, fmt.Errorf("PostgreSQL's counters: %w", err)
	}
	return s, nil
}

// clockTick is the unit of /proc's CPU times (USER_HZ, 100 on Linux).
const clockTick = 10 * time.Millisecond

// clusterCPU is the CPU time of the postmaster, of its children that
// ended (cutime, cstime) and of those running.
func clusterCPU(postmaster int) time.Duration {
	total := int64(0)
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			continue
		}
		// Fields after the command's closing parenthesis: state ppid ...
		f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
		if len(f) < 15 {
			continue
		}
		ppid, _ := strconv.Atoi(f[1])
		if pid != postmaster && ppid != postmaster {
			continue
		}
		n := 2 // utime, stime
		if pid == postmaster {
			n = 4 // and cutime, cstime
		}
		for _, v := range f[11 : 11+n] {
			x, _ := strconv.ParseInt(v, 10, 64)
			total += x
		}
	}
	return time.Duration(total) * clockTick
}

// history is the job history -size adds: boxes of the sample, done jobs
// each, hosts per job.
type history struct{ boxes, jobs, hosts int }

// measureSize measures the database holding the boxes of keys: per box
// (and per guard row, on PostgreSQL), then per job and per host of the
// job history h added to the first h.boxes boxes.
func measureSize(st store.Store, dir, db string, keys []ed25519.PrivateKey, interval time.Duration, h history) error {
	n := len(keys)
	size := func() (int64, map[string][2]int64, error) {
		if db == "" {
			// The bytes a copy holds (the pages up to the highest in
			// use, free ones among them, as a running store has them):
			// the file itself is grown ahead in large steps.
			b, ok := st.(*store.Bolt)
			if !ok {
				return 0, nil, fmt.Errorf("store %T is not the embedded one", st)
			}
			n, err := b.Backup(io.Discard)
			return n, nil, err
		}
		return pgSizes(st.(*postgres.Store).Pool())
	}
	// Let the write-behind heartbeats of the last polls land.
	time.Sleep(2 * time.Second)
	total, tables, err := size()
	if err != nil {
		return fmt.Errorf("database size: %w", err)
	}
	fmt.Printf("\ndatabase with %d boxes (records as a poll leaves them) and the guard's rows of the polls above:\n", n)
	perBox := float64(total) / float64(n)
	if db == "" {
		fi, _ := os.Stat(filepath.Join(dir, server.DBFile))
		fmt.Printf("  bbolt: %d bytes in use (file %d bytes, grown ahead): %.0f bytes per box (the guard is in memory)\n", total, fi.Size(), perBox)
	} else {
		fmt.Printf("  %-14s %10s %12s %10s\n", "table", "rows", "bytes", "bytes/row")
		for _, t := range []string{"boxes", "guard_nonces", "guard_buckets", "jobs", "job_hosts", "job_tracking", "uploads"} {
			v := tables[t]
			per := "-"
			if v[0] > 0 {
				per = fmt.Sprintf("%.0f", float64(v[1])/float64(v[0]))
			}
			fmt.Printf("  %-14s %10d %12d %10s\n", t, v[0], v[1], per)
		}
		row := func(t string) float64 {
			if v := tables[t]; v[0] > 0 {
				return float64(v[1]) / float64(v[0])
			}
			return 0
		}
		// A nonce is kept until the request's time leaves the skew
		// window, and purged every minute: SkewWindow + 30 s on average.
		nonces := (platformapi.SkewWindow + 30*time.Second).Seconds() / interval.Seconds()
		steady := row("boxes") + row("guard_buckets") + nonces*row("guard_nonces")
		fmt.Printf("  database %d bytes (%.0f per box); per box at steady state: record %.0f + bucket %.0f + %.1f nonces × %.0f = %.0f bytes\n",
			total, perBox, row("boxes"), row("guard_buckets"), nonces, row("guard_nonces"), steady)
	}

	// The job history.
	h.boxes = min(h.boxes, n)
	start := time.Now()
	if err := addHistory(st, keys[:h.boxes], h); err != nil {
		return err
	}
	took := time.Since(start)
	time.Sleep(time.Second)
	total2, tables2, err := size()
	if err != nil {
		return fmt.Errorf("database size: %w", err)
	}
	jobs, hosts := h.boxes*h.jobs, h.boxes*h.jobs*h.hosts
	d := total2 - total
	fmt.Printf("job history: %d boxes × %d done jobs × %d hosts (open ports with services, TLS, SSH and HTTP facts, findings) written in %s:\n",
		h.boxes, h.jobs, h.hosts, took.Round(time.Millisecond))
	fmt.Printf("  database +%d bytes: %.0f bytes per job, %.0f per host\n", d, float64(d)/float64(jobs), float64(d)/float64(hosts))
	if db != "" {
		j, jh := tables2["jobs"][1]-tables["jobs"][1], tables2["job_hosts"][1]-tables["job_hosts"][1]
		fmt.Printf("  jobs +%d bytes (%.0f per job), job_hosts +%d bytes (%.0f per host)\n", j, float64(j)/float64(jobs), jh, float64(jh)/float64(hosts))
	}
	return nil
}

// pgSizes is the database's size and each table's rows and total size
// (with indexes and TOAST), after a VACUUM (dead rows' space reusable,
// as autovacuum keeps it in a running system).
func pgSizes(pool *pgxpool.Pool) (int64, map[string][2]int64, error) {
	ctx := context.Background()
	if _, err := pool.Exec(ctx, "VACUUM"); err != nil {
		return 0, nil, fmt.Errorf("vacuum: %w", err)
	}
	var total int64
	if err := pool.QueryRow(ctx, "SELECT pg_database_size(current_database())").Scan(&total); err != nil {
		return 0, nil, err
	}
	rows, err := pool.Query(ctx, "SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
	if err != nil {
		return 0, nil, err
	}
	var names []string
	for rows.Next() {
		var t string
		if err := rows.Scan(&t); err != nil {
			return 0, nil, err
		}
		names = append(names, t)
	}
	if err := rows.Err(); err != nil {
		return 0, nil, err
	}
	out := map[string][2]int64{}
	for _, t := range names {
		var cnt, bytes int64
		q := fmt.Sprintf(`SELECT (SELECT count(*) FROM %q), pg_total_relation_size('%s')`, t, t)
		if err := pool.QueryRow(ctx, q).Scan(&cnt, &bytes); err != nil {
			return 0, nil, fmt.Errorf("size of %s: %w", t, err)
		}
		out[t] = [2]int64{cnt, bytes}
	}
	return total, out, nil
}

// addHistory gives each box of keys h.jobs done jobs of h.hosts hosts.
func addHistory(st store.Store, keys []ed25519.PrivateKey, h history) error {
	now := time.Now()
	hosts := sampleHosts(h.hosts)
	for bi, key := range keys {
		boxID := store.BoxID(key.Public().(ed25519.PublicKey))
		err := st.Update(func(tx store.Tx) error {
			for j := range h.jobs {
				at := now.Add(-time.Duration(h.jobs-j) * 7 * 24 * time.Hour) // weekly scans
				job := store.Job{ID: fmt.Sprintf("%016x", bi*1000+j), BoxID: boxID, Targets: []string{"10.0.0.0/24"}, Ports: "1-1024",
					State: platformapi.JobDone, CreatedBy: "bench", Created: at, Updated: at.Add(20 * time.Minute)}
				if err := tx.PutJob(job); err != nil {
					return err
				}
				if _, err := tx.AppendHosts(job.ID, hosts); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("job history of box %d: %w", bi, err)
		}
	}
	return nil
}

// sampleHosts are n hosts as an office /24 scan finds them: SSH, a web
// server with TLS, one finding each.
func sampleHosts(n int) []result.Host {
	now := time.Now()
	var hs []result.Host
	for i := range n {
		tlsFacts := &result.TLSFacts{Versions: []string{"TLSv1.2", "TLSv1.3"}, CipherSuite: "TLS_AES_128_GCM_SHA256",
			Chain: []result.Cert{{Subject: fmt.Sprintf("CN=host%d.office.example", i), Issuer: "CN=Office CA", SANs: []string{fmt.Sprintf("host%d.office.example", i)},
				NotBefore: now.AddDate(-1, 0, 0), NotAfter: now.AddDate(1, 0, 0), KeyType: "RSA", KeyBits: 2048, SigAlg: "SHA256-RSA",
				SHA256: strings.Repeat("ab", 32)}}}
		hs = append(hs, result.Host{
			Addr: netip.AddrFrom4([4]byte{10, 0, 0, byte(i + 1)}), Up: true, UpReason: result.ReasonARP,
			MAC: fmt.Sprintf("52:54:00:12:34:%02x", i), Vendor: "QEMU virtual NIC", RTTMicros: 420,
			Ports: []result.Port{
				{Proto: result.TCP, Port: 22, State: result.Open, Reason: result.ReasonSYNACK, Service: &result.Service{Name: "ssh", Product: "OpenSSH",
					Version: "9.2p1", Extra: "Debian 2+deb12u3", OS: "Debian", Banner: "SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3", Method: "banner",
					SSH: &result.SSHFacts{Banner: "SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3", Kex: []string{"sntrup761x25519-sha512@openssh.com", "curve25519-sha256"},
						HostKeyAlgs: []string{"rsa-sha2-512", "ecdsa-sha2-nistp256", "ssh-ed25519"}, Ciphers: []string{"chacha20-poly1305@openssh.com", "aes128-ctr", "aes256-gcm@openssh.com"},
						MACs: []string{"umac-64-etm@openssh.com", "hmac-sha2-256-etm@openssh.com"}, Compression: []string{"none", "zlib@openssh.com"}}}},
				{Proto: result.TCP, Port: 443, State: result.Open, Reason: result.ReasonSYNACK, Service: &result.Service{Name: "https", Product: "nginx",
					Version: "1.22.1", Method: "probe:GetRequest", TLS: tlsFacts, HTTP: &result.HTTPFacts{Status: 200, Server: "nginx/1.22.1", Title: "Welcome to nginx!"}}},
			},
			NotShown: map[result.State]int{result.Closed: 1022},
			Findings: []result.Finding{{ID: "PKT-SSH-0007", Title: "OpenSSH 9.2p1: regreSSHion (signal handler race)", Class: result.ClassVersion,
				Severity: result.High, CVSS: 8.1, Vector: "CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:H/A:H", CVEs: []string{"CVE-2024-6387"}, CWEs: []string{"CWE-364"},
				Proto: result.TCP, Port: 22, Evidence: "OpenSSH 9.2p1 Debian 2+deb12u3", Remediation: "Upgrade OpenSSH to the fixed Debian package (1:9.2p1-2+deb12u3 or later).",
				References: []string{"https://www.qualys.com/2024/07/01/cve-2024-6387/regresshion.txt"}}},
		})
	}
	return hs
}
