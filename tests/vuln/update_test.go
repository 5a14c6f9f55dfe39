package vuln_test

// A signature update applied while a scan runs (issue 15), through the
// real parts: the release manager publishes a newer signature package in
// the update repository platformd serves and rolls it out to everyone on
// the web UI's Releases page; the box learns of it at its next poll,
// scannerd hands it to updaterd, which checks the signed metadata,
// downloads the package through the box's management path and installs
// it through scanner.sock. scannerd does not restart, the running job
// ends on the database it started with, the next job runs on the new
// one, and the next heartbeat reports it.

import (
	"context"
	"fmt"
	"html"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"picket.dev/picket/src/scan/scanapi"
	"picket.dev/picket/src/scan/sigdb"
	"picket.dev/picket/src/scan/sigdb/starter"
	"picket.dev/picket/src/scan/sigpkg"
	"picket.dev/picket/src/update/release"
	"picket.dev/picket/src/update/updateapi"
)

// revisedMark ends every check's title in the revised database, so each
// finding says which database matched it.
const revisedMark = " (revised)"

var (
	headerVersionRE = regexp.MustCompile(`(?m)^version: (\S+)$`)
	titleRE         = regexp.MustCompile(`(?m)^title: (.*)$`)
	boxVersionsRE   = regexp.MustCompile(`<td id="box-versions">([^<]*)</td>`)
	boxUpdaterRE    = regexp.MustCompile(`<td id="box-updater">([^<]*)</td>`)
)

// revisedStarter is the starter database's next release: its header's
// version with "+upd1" (later in Debian order) and every title marked:
// the compiled database and its source.
func (x *box) revisedStarter() (*sigdb.DB, []byte) {
	x.t.Helper()
	src := starter.Source()
	m := headerVersionRE.FindSubmatchIndex(src) // the header's comes first
	if m == nil {
		x.t.Fatal("the starter database has no version line")
	}
	next := string(src[m[2]:m[3]]) + "+upd1"
	out := append([]byte{}, src[:m[2]]...)
	out = append(out, next...)
	out = append(out, titleRE.ReplaceAll(src[m[3]:], []byte("title: ${1}"+revisedMark))...)
	db, err := sigdb.Compile(out)
	if err != nil {
		x.t.Fatalf("the revised starter database: %v", err)
	}
	if db.Version() != next {
		x.t.Fatalf("the revised database is version %s, want %s", db.Version(), next)
	}
	return db, out
}

// publishSignatures packs db's source (as imgtool sigpack does), adds it
// to the repository (release add-signatures), signs the targets with the
// release key and publishes (release sign, release publish).
func (x *box) publishSignatures(db *sigdb.DB, src []byte) {
	x.t.Helper()
	pkg, err := sigpkg.Pack(db.Version(), db.Date(), src, x.releaseKey)
	if err != nil {
		x.t.Fatal(err)
	}
	f := filepath.Join(x.dir, "signatures-"+db.Version()+".pkg")
	writeFile(x.t, f, pkg, 0o644)
	if _, err := x.repo.AddSignatures(f, release.Expiry{}, time.Now()); err != nil {
		x.t.Fatal(err)
	}
	x.publish()
}

// rollOutSignatures starts the signatures channel's rollout of version in
// the Releases page's form, then extends it to every box.
func (x *box) rollOutSignatures(version string) {
	x.t.Helper()
	x.web.Post("/releases", "/releases", url.Values{"channel": {"signatures"}, "action": {"start"}, "version": {version},
		"stage": {"percent"}, "percent": {"10"}})
	x.web.Post("/releases", "/releases", url.Values{"channel": {"signatures"}, "action": {"everyone"}})
	if _, page := x.web.Do("GET", "/releases", nil); !strings.Contains(page, "to every box") {
		x.t.Fatalf("the releases page does not say the rollout reaches every box:\n%s", page)
	}
}

// scanState reads scanner.sock.
func (x *box) scanState() scanapi.State {
	x.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	st, err := x.scanner.State(ctx)
	if err != nil {
		x.t.Fatalf("scanner.sock: %v\nscannerd:\n%s", err, x.scannerd.Output())
	}
	return st
}

// updState reads updater.sock.
func (x *box) updState() updateapi.State {
	x.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	st, err := x.updater.State(ctx)
	if err != nil {
		x.t.Fatalf("updater.sock: %v\nupdaterd:\n%s", err, x.updaterd.Output())
	}
	return st
}

// poll calls cond every 200 ms until it holds or timeout passes.
func (x *box) poll(what string, timeout time.Duration, cond func() bool) {
	x.t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			x.t.Fatalf("%s: not after %s\nscannerd:\n%s\nupdaterd:\n%s", what, timeout, x.scannerd.Output(), x.updaterd.Output())
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// procStart is the process's start time in clock ticks since boot
// (/proc/PID/stat field 22): a restarted daemon has another.
func procStart(pid int) string {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return ""
	}
	// Fields after the command name, which is in parentheses and may
	// hold spaces: state is field 3, start time field 22.
	f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
	if len(f) < 20 {
		return ""
	}
	return f[19]
}

// updateSignaturesDuring publishes the revised starter database, launches
// a job of targets and ports, rolls the revised database out at once,
// and waits until updaterd has installed it. The job reaches the box in
// the same poll answer as the update notice, or one poll before it (when
// the box polled between the job form and the rollout form). The job
// must still run when the install is done (else the test would prove
// nothing), and scannerd must be the process it was. It returns the job,
// the revised database and scannerd's start time.
func (x *box) updateSignaturesDuring(targets, ports string) (job string, next *sigdb.DB, started string) {
	x.t.Helper()
	pid := x.scannerd.Pid()
	started = procStart(pid)
	next, src := x.revisedStarter()
	x.publishSignatures(next, src)
	job = x.launchJob(targets, ports)
	began := time.Now()
	x.rollOutSignatures(next.Version())
	x.t.Logf("job %s launched and signatures %s rolled out (in force: %s)", job, next.Version(), x.sigs.Version())
	x.poll("scannerd runs job "+job, 90*time.Second, func() bool {
		st := x.scanState()
		return st.Running && st.JobID == job
	})
	var upd updateapi.State
	x.poll("updaterd installs signatures "+next.Version(), 60*time.Second, func() bool {
		upd = x.updState()
		return upd.Signatures == next.Version()
	})
	st := x.scanState()
	x.t.Logf("signatures %s installed %v after the rollout began; job %s running %v (phase %s)",
		next.Version(), time.Since(began).Round(time.Millisecond), job, st.Running, phaseOf(st))
	if !st.Running || st.JobID != job {
		x.t.Fatalf("job %s ended before the update was installed (scanner state %+v): lengthen the job, the test proves nothing", job, st)
	}
	if st.Signatures == nil || st.Signatures.Version != next.Version() {
		x.t.Errorf("scanner.sock says signatures %+v in force after the install, want %s", st.Signatures, next.Version())
	}
	if upd.Error != "" {
		x.t.Errorf("updaterd's state after the install: %+v", upd)
	}
	if procStart(pid) != started || started == "" {
		x.t.Errorf("scannerd (pid %d) restarted: start time %q, then %q", pid, started, procStart(pid))
	}
	return job, next, started
}

func phaseOf(st scanapi.State) string {
	if st.Progress == nil {
		return ""
	}
	return st.Progress.Phase
}

// waitHeartbeat waits until the box's page on the platform says the box
// runs signatures version, the latest, and its updater is idle: what the
// heartbeat after the install reports.
func (x *box) waitHeartbeat(version string) {
	x.t.Helper()
	var versions, updater string
	x.poll("the box's page shows signatures "+version+" (latest)", 60*time.Second, func() bool {
		_, page := x.web.Do("GET", x.page, nil)
		versions, updater = "", ""
		if m := boxVersionsRE.FindStringSubmatch(page); m != nil {
			versions = html.UnescapeString(m[1]) // "1.0.1&#43;upd1"
		}
		if m := boxUpdaterRE.FindStringSubmatch(page); m != nil {
			updater = html.UnescapeString(m[1])
		}
		if strings.Contains(versions, "signatures "+version+" (latest)") {
			return true
		}
		x.t.Logf("the box's page says %q, updater %q", versions, updater)
		return false
	})
	if updater != updateapi.PhaseIdle {
		x.t.Errorf("the box's page says its updater is %q, want %s", updater, updateapi.PhaseIdle)
	}
	x.t.Logf("the box's page: %s; updater %s", versions, updater)
}
