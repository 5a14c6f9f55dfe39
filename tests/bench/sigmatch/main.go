// Command sigmatch is the signature matching benchmark of issue 14
// (tests/bench/sigmatch.sh, docs/benchmarks.md "Signature matching"): it
// generates a database of N signatures and H hosts of S services each,
// and prints the compile time, the compiled size, the match time of the
// indexed matcher and of a naive linear one (every signature against every
// service) on one core in the same run, and memory.
package main

import (
	"flag"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"os"
	"runtime"
	"strings"
	"syscall"
	"time"

	"picket.dev/picket/src/scan/result"
	"picket.dev/picket/src/scan/sigdb"
)

func main() {
	nsigs := flag.Int("sigs", 10000, "signatures to generate")
	nhosts := flag.Int("hosts", 1000, "hosts")
	nsvc := flag.Int("services", 20, "open ports (services) per host")
	products := flag.Int("products", 400, "distinct products the signatures and services draw from")
	runs := flag.Int("runs", 3, "runs of each measurement (the best is printed)")
	flag.Parse()
	runtime.GOMAXPROCS(1)
	rng := rand.New(rand.NewPCG(14, 2026))

	src := generateDB(rng, *nsigs, *products)
	fmt.Printf("GOMAXPROCS=%d, %s, %d CPUs, load average %s\n", runtime.GOMAXPROCS(0), runtime.Version(), runtime.NumCPU(), loadavg())
	for _, path := range flag.Args() {
		b, err := os.ReadFile(path)
		if err != nil {
			fail(err)
		}
		measureCompile(path, b, *runs)
	}
	db := measureCompile(fmt.Sprintf("generated (%d signatures)", *nsigs), src, *runs)
	hosts := generateHosts(rng, *nhosts, *nsvc, *products)

	var indexed, linear int
	bestIdx, bestLin := time.Duration(1<<62), time.Duration(1<<62)
	cpuIdx, cpuLin := time.Duration(1<<62), time.Duration(1<<62)
	var allocIdx uint64
	for range *runs {
		runtime.GC()
		var m0, m1 runtime.MemStats
		runtime.ReadMemStats(&m0)
		c, t := cpuTime(), time.Now()
		indexed = 0
		for i := range hosts {
			indexed += len(db.Match(&hosts[i], nil))
		}
		d := time.Since(t)
		cpuIdx = min(cpuIdx, cpuTime()-c)
		runtime.ReadMemStats(&m1)
		if d < bestIdx {
			bestIdx, allocIdx = d, m1.TotalAlloc-m0.TotalAlloc
		}
	}
	for range min(*runs, 2) {
		runtime.GC()
		c, t := cpuTime(), time.Now()
		linear = 0
		for i := range hosts {
			linear += len(db.MatchLinear(&hosts[i]))
		}
		bestLin = min(bestLin, time.Since(t))
		cpuLin = min(cpuLin, cpuTime()-c)
	}
	var ms runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms)
	fmt.Printf("match %d hosts x %d services = %d services against %d signatures, one core:\n", *nhosts, *nsvc, *nhosts**nsvc, db.Len())
	fmt.Printf("  indexed: %v wall, %v CPU (%.2f us a service), %d findings, %.1f MiB allocated\n", bestIdx.Round(time.Millisecond),
		cpuIdx.Round(time.Millisecond), float64(cpuIdx.Microseconds())/float64(*nhosts**nsvc), indexed, float64(allocIdx)/(1<<20))
	fmt.Printf("  linear:  %v wall, %v CPU (%.2f us a service), %d findings, %.0fx the indexed CPU time\n", bestLin.Round(time.Millisecond),
		cpuLin.Round(time.Millisecond), float64(cpuLin.Microseconds())/float64(*nhosts**nsvc), linear, float64(cpuLin)/float64(cpuIdx))
	fmt.Printf("memory: heap in use %.1f MiB after the runs (database, hosts and their services held)\n", float64(ms.HeapInuse)/(1<<20))
	if indexed != linear {
		fail(fmt.Errorf("indexed and linear matchers disagree: %d and %d findings", indexed, linear))
	}
	runtime.KeepAlive(db)
	runtime.KeepAlive(hosts)
}

// measureCompile compiles src runs times, printing the best time and the
// heap the compiled database keeps (HeapAlloc after a GC, with the
// database alive, minus before: a memory measurement, not a serialized
// size), and the source size.
func measureCompile(name string, src []byte, runs int) *sigdb.DB {
	var db *sigdb.DB
	best := time.Duration(1 << 62)
	var kept uint64
	for range runs {
		db = nil
		runtime.GC()
		var m0, m1 runtime.MemStats
		runtime.ReadMemStats(&m0)
		t := time.Now()
		d, err := sigdb.Compile(src)
		el := time.Since(t)
		if err != nil {
			fail(fmt.Errorf("%s: %w", name, err))
		}
		runtime.GC()
		runtime.ReadMemStats(&m1)
		db = d
		if el < best {
			best = el
			kept = m1.HeapAlloc - min(m1.HeapAlloc, m0.HeapAlloc)
		}
	}
	fmt.Printf("%s: source %.1f KiB, %d signatures, compile %v, compiled database %.1f MiB of heap (HeapAlloc delta after GC)\n",
		name, float64(len(src))/1024, db.Len(), best.Round(time.Microsecond), float64(kept)/(1<<20))
	return db
}

var services = []string{"ssh", "http", "https", "ftp", "smtp", "imap", "pop3", "domain", "snmp", "ntp", "mysql", "postgresql", "redis", "ldap", "telnet", "microsoft-ds"}

func productName(i int) string { return fmt.Sprintf("Product%03d server", i) }

func version(rng *rand.Rand) string {
	switch rng.IntN(3) {
	case 0:
		return fmt.Sprintf("%d.%d.%d", rng.IntN(4), rng.IntN(30), rng.IntN(60))
	case 1:
		return fmt.Sprintf("%d.%dp%d", 5+rng.IntN(5), rng.IntN(10), 1+rng.IntN(2))
	}
	return fmt.Sprintf("%d.%d%c", 1+rng.IntN(3), rng.IntN(10), 'a'+rune(rng.IntN(6)))
}

const vectors = "9.8 CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H|7.5 CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N|5.3 CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:L/I:N/A:N|3.7 CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:L/I:N/A:N"

// generateDB writes a database of n signatures: 80% version ranges of a
// product (a third with a Debian backport list), 8% banner patterns of a
// service, 5% facts, 4% TLS, 3% SSH.
func generateDB(rng *rand.Rand, n, products int) []byte {
	var b strings.Builder
	b.WriteString("format: picket-signatures/1\nversion: 9.0.10000-1\ndate: 2026-12-07\n")
	vecs := strings.Split(vectors, "|")
	for i := range n {
		fmt.Fprintf(&b, "\nid: GEN-%05d\ntitle: generated %d\ncvss: %s\nremediation: upgrade\n", i, i, vecs[rng.IntN(len(vecs))])
		switch k := rng.IntN(100); {
		case k < 80:
			lo, hi := version(rng), version(rng)
			fmt.Fprintf(&b, "class: version\nservice: %s\nproduct: %s\nversion: >= %s, < %s || < %s\n",
				services[rng.IntN(len(services))], productName(rng.IntN(products)), lo, hi, lo)
			if k < 27 {
				fmt.Fprintf(&b, "fixed-debian: 1:%s-%d+deb12u%d\n", lo, 1+rng.IntN(3), 1+rng.IntN(4))
			}
			b.WriteString("evidence: {product} {version} {extra}\n")
		case k < 88:
			fmt.Fprintf(&b, "class: banner\nservice: %s\nbanner: ^%s/%d\\.[0-9]+ \\(build %d\\)\n", services[rng.IntN(len(services))], productName(rng.IntN(products))[:10], rng.IntN(10), rng.IntN(1000))
		case k < 93:
			fmt.Fprintf(&b, "class: exposed\nfact: gen.key%d = v%d\n", rng.IntN(50), rng.IntN(5))
		case k < 97:
			fmt.Fprintf(&b, "class: tls\ntls: version TLSv1.%d\ntls: key RSA < %d\n", rng.IntN(2), 1024+1024*rng.IntN(2))
		default:
			fmt.Fprintf(&b, "class: ssh\nssh: kex gen-kex-%d, diffie-hellman-group%d-sha1\n", rng.IntN(100), rng.IntN(20))
		}
	}
	return []byte(b.String())
}

// generateHosts builds hosts whose services draw from the same products
// and services as the signatures (so that the index has work to do), with
// TLS facts on a tenth and SSH facts on ssh ports.
func generateHosts(rng *rand.Rand, n, per, products int) []result.Host {
	hosts := make([]result.Host, n)
	for i := range hosts {
		h := &hosts[i]
		h.Addr = netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)})
		h.Up = true
		for k := range per {
			name := services[rng.IntN(len(services))]
			sv := &result.Service{Name: name, Product: productName(rng.IntN(products)), Version: version(rng), Method: "banner"}
			sv.Banner = fmt.Sprintf("%s/%d.%d (build %d)", sv.Product[:10], rng.IntN(10), rng.IntN(10), rng.IntN(1000))
			if rng.IntN(3) == 0 {
				sv.Extra = fmt.Sprintf("Debian %d+deb12u%d", 1+rng.IntN(3), rng.IntN(5))
			}
			sv.Facts = map[string]string{fmt.Sprintf("gen.key%d", rng.IntN(50)): fmt.Sprintf("v%d", rng.IntN(5))}
			if rng.IntN(10) == 0 {
				sv.TLS = &result.TLSFacts{Versions: []string{"TLSv1.1", "TLSv1.2"}, Chain: []result.Cert{{KeyType: "RSA", KeyBits: 2048}}}
			}
			if name == "ssh" {
				sv.SSH = &result.SSHFacts{Kex: []string{"curve25519-sha256", fmt.Sprintf("gen-kex-%d", rng.IntN(100))}}
			}
			h.Ports = append(h.Ports, result.Port{Proto: result.TCP, Port: uint16(1000 + k), State: result.Open, Service: sv})
		}
	}
	return hosts
}

// cpuTime is the process's user and system time (the wall time of a
// shared machine counts other processes' turns too).
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		fail(fmt.Errorf("getrusage: %w", err))
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func loadavg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	return strings.Join(f[:3], " ")
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "sigmatch:", err)
	os.Exit(1)
}
