// Package updater_test kills the real updaterd with SIGKILL at every stage
// of a software install and checks that a restart always ends the install
// cleanly. The parts around it are real: a repository built and signed
// with the release package and served over TLS on loopback (updaterepo),
// file-backed A/B slots (-slot-a, -slot-b), init.sock served by this
// process with init's own pid1.Control over a directory ESP holding a
// grubenv and the slots' manifests, and the hand-over POSTed on
// updater.sock as scannerd posts it after a poll. Each stage is reached
// deterministically: the repository or init holds the request that marks
// it until the process is dead.
package updater_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"picket.dev/picket/src/link/platformapi"
	"picket.dev/picket/src/system/initapi"
	"picket.dev/picket/src/system/manifest"
	"picket.dev/picket/src/system/pid1"
	"picket.dev/picket/src/system/slots"
	"picket.dev/picket/src/testkit/testinput"
	"picket.dev/picket/src/testkit/updaterepo"
	"picket.dev/picket/src/update/tuf"
	"picket.dev/picket/src/update/updateapi"
)

const (
	slotSize    = 4 << 20
	imageSize   = 3<<20 + 4321
	commitEvery = 512 << 10
)

// gate holds the request that marks a stage until the test has killed
// updaterd.
type gate struct {
	mu      sync.Mutex
	armed   string
	reached chan string
	release chan struct{}
}

func newGate() *gate { return &gate{reached: make(chan string, 1), release: make(chan struct{})} }

func (g *gate) arm(point string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.armed = point
	g.release = make(chan struct{})
}

// at blocks the caller at point if it is armed, until opened (after the
// kill), and then reports true: the request it held is dropped, as the
// process that made it is gone.
func (g *gate) at(point string) bool {
	g.mu.Lock()
	if g.armed != point {
		g.mu.Unlock()
		return false
	}
	g.armed = ""
	rel := g.release
	g.mu.Unlock()
	g.reached <- point
	<-rel
	return true
}

func (g *gate) open() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.armed = ""
	select {
	case <-g.release:
	default:
		close(g.release)
	}
}

// initGate is init.sock: init's real Control, with the gate before and
// after the calls the updater makes, and a count of each.
type initGate struct {
	*pid1.Control
	g  *gate
	mu sync.Mutex
	n  map[string]int
}

func (i *initGate) count(what string) {
	i.mu.Lock()
	i.n[what]++
	i.mu.Unlock()
}

func (i *initGate) calls(what string) int {
	i.mu.Lock()
	defer i.mu.Unlock()
	return i.n[what]
}

var errDropped = errors.New("the caller was killed")

func (i *initGate) WriteManifest(ctx context.Context, slot string, b []byte) error {
	if i.g.at("init:manifest") {
		return errDropped
	}
	i.count("manifest")
	return i.Control.WriteManifest(ctx, slot, b)
}

func (i *initGate) Try(ctx context.Context, slot string) error {
	if i.g.at("init:try") {
		return errDropped
	}
	i.count("try")
	err := i.Control.Try(ctx, slot)
	if i.g.at("init:tried") {
		return errDropped
	}
	return err
}

func (i *initGate) Reboot(ctx context.Context) error {
	if i.g.at("init:reboot") {
		return errDropped
	}
	i.count("reboot")
	return i.Control.Reboot(ctx)
}

// imageReader serves the image and stops at the armed offset: the bytes
// before it are flushed to the box, then the gate holds the rest.
type imageReader struct {
	*bytes.Reader
	g     *gate
	stops []int64
	flush func()
}

func (r *imageReader) Read(p []byte) (int, error) {
	pos := r.Size() - int64(r.Len())
	for _, s := range r.stops {
		if pos == s {
			r.flush()
			if r.g.at(fmt.Sprintf("image@%d", s)) {
				return 0, errDropped
			}
		} else if pos < s && pos+int64(len(p)) > s {
			p = p[:s-pos]
		}
	}
	return r.Reader.Read(p)
}

// bench is what every run shares: the binary, the repository and the
// release it installs.
type bench struct {
	bin            string
	board, version string // the binary's
	repo           *updaterepo.Repo
	running, old   []byte // slot a's image, slot b's before
	oldManifest    []byte
	rel            updaterepo.Release
	g              *gate
	mu             sync.Mutex
	whole          bool // the chunk index answers 404
	stops          []int64
}

func newBench(t *testing.T) *bench {
	b := &bench{bin: testinput.Command(t, "updaterd"), g: newGate()}
	out := strings.Fields(testinput.Run(t, b.bin, "-version"))
	if len(out) < 3 || !strings.HasPrefix(out[2], "board=") {
		t.Fatalf("updaterd -version: %q", out)
	}
	b.version, b.board = out[1], strings.TrimPrefix(out[2], "board=")
	b.repo = updaterepo.New(t, time.Now())
	b.running = updaterepo.Image(imageSize, 1)
	b.old = updaterepo.Image(imageSize-1000, 2)
	m, err := manifest.Describe(bytes.NewReader(b.old), b.board, "0.old")
	if err != nil {
		t.Fatal(err)
	}
	sm, err := manifest.Sign(m, b.repo.ReleaseKey())
	if err != nil {
		t.Fatal(err)
	}
	if b.oldManifest, err = sm.Encode(); err != nil {
		t.Fatal(err)
	}
	// A release newer than the binary's version (Debian order: a "+"
	// suffix sorts after the version alone) changing three stretches.
	b.rel = b.repo.AddSoftware(b.board, b.version+"+ota1", updaterepo.Change(b.running, "ota1", 512<<10, 3<<19, 5<<19))
	imgURL, chunksURL := b.rel.URLPath(tuf.FileImage), b.rel.URLPath(tuf.FileChunks)
	manifestURL := b.rel.URLPath(tuf.FileManifest)
	b.repo.SetHook(func(w http.ResponseWriter, r *http.Request, next http.Handler) {
		b.mu.Lock()
		whole, stops := b.whole, b.stops
		b.mu.Unlock()
		switch r.URL.Path {
		case platformapi.PathUpdateMetadata + "timestamp.json":
			if b.g.at("timestamp") {
				return
			}
		case chunksURL:
			if b.g.at("chunks") {
				return
			}
			if whole {
				http.NotFound(w, r)
				return
			}
		case manifestURL:
			if b.g.at("manifest") {
				return
			}
		case imgURL:
			f, _ := w.(http.Flusher)
			ir := &imageReader{Reader: bytes.NewReader(b.rel.Image), g: b.g, stops: stops, flush: func() {
				if f != nil {
					f.Flush()
				}
			}}
			w.Header().Set("Content-Type", "application/octet-stream") // no sniffing read
			http.ServeContent(w, r, "", time.Time{}, ir)
			return
		}
		next.ServeHTTP(w, r)
	})
	return b
}

// box is one box: its slots, data partition, ESP, init.sock and the
// updaterd running on them.
type box struct {
	t            *testing.T
	b            *bench
	dir, sockDir string
	init         *initGate
	reboots      int
	mu           sync.Mutex
	cmd          *exec.Cmd
	logs         []string
	exited       chan struct{}
}

func (b *bench) newBox(t *testing.T) *box {
	x := &box{t: t, b: b, dir: t.TempDir()}
	var err error
	if x.sockDir, err = os.MkdirTemp("", "updaterd"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(x.sockDir) })
	for _, d := range []string{"data", "esp"} {
		if err := os.Mkdir(filepath.Join(x.dir, d), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	x.write("slot-a", append(bytes.Clone(b.running), make([]byte, slotSize-len(b.running))...))
	x.write("slot-b", append(bytes.Clone(b.old), make([]byte, slotSize-len(b.old))...))
	x.write("esp/"+pid1.ManifestName("b"), b.oldManifest)
	if err := slots.Write(x.path("esp", pid1.Grubenv), slots.State{Active: "a"}); err != nil {
		t.Fatal(err)
	}
	x.write("tuf-root.json", b.repo.Root())
	x.write("release.pub", b.repo.ReleasePubPEM())
	x.write("platform-ca.pem", b.repo.CAPEM())

	ctl := &pid1.Control{ESP: &pid1.DirESP{Dir: x.path("esp")}, Slot: "a", Board: b.board,
		Keys:    []ed25519.PublicKey{b.repo.ReleasePub()},
		Verdict: func() { t.Error("a verdict for the running slot, which is not on trial") },
		Stop: func(powerOff bool) {
			x.mu.Lock()
			x.reboots++
			x.mu.Unlock()
		}}
	x.init = &initGate{Control: ctl, g: b.g, n: map[string]int{}}
	ln, err := initapi.Listen(filepath.Join(x.sockDir, "init.sock"))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); initapi.NewServer(x.init, nil, nil).Serve(ctx, ln) }()
	t.Cleanup(func() { b.g.open(); x.kill(); cancel(); <-done })
	return x
}

func (x *box) path(p ...string) string { return filepath.Join(append([]string{x.dir}, p...)...) }

func (x *box) write(name string, data []byte) {
	x.t.Helper()
	if err := os.WriteFile(x.path(name), data, 0o600); err != nil {
		x.t.Fatal(err)
	}
}

func (x *box) read(name ...string) []byte {
	x.t.Helper()
	b, err := os.ReadFile(x.path(name...))
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		x.t.Fatal(err)
	}
	return b
}

func (x *box) sock() string { return filepath.Join(x.sockDir, "updater.sock") }

// start runs updaterd on the box and waits until it answers.
func (x *box) start() {
	x.t.Helper()
	x.cmd = exec.Command(x.b.bin,
		"-data", x.path("data"), "-socket", x.sock(), "-init", filepath.Join(x.sockDir, "init.sock"), "-scanner", "",
		"-platform-ca", x.path("platform-ca.pem"), "-release-pub", x.path("release.pub"), "-tuf-root", x.path("tuf-root.json"),
		"-slot-a", x.path("slot-a"), "-slot-b", x.path("slot-b"), "-commit-every", fmt.Sprint(commitEvery))
	stderr, err := x.cmd.StderrPipe()
	if err != nil {
		x.t.Fatal(err)
	}
	if err := x.cmd.Start(); err != nil {
		x.t.Fatal(err)
	}
	x.exited = make(chan struct{})
	go func(exited chan struct{}) {
		s := bufio.NewScanner(stderr)
		for s.Scan() {
			x.mu.Lock()
			x.logs = append(x.logs, s.Text())
			x.mu.Unlock()
		}
		close(exited)
	}(x.exited)
	c := updateapi.Dial(x.sock())
	defer c.Close()
	deadline := time.Now().Add(10 * time.Second)
	for {
		st, err := c.State(context.Background())
		if err == nil && st.Slot != "" {
			return
		}
		if time.Now().After(deadline) {
			x.fatal("updaterd does not answer on updater.sock: %v", err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// kill sends SIGKILL and waits until the process is gone.
func (x *box) kill() {
	if x.cmd == nil || x.cmd.Process == nil {
		return
	}
	x.cmd.Process.Signal(syscall.SIGKILL)
	<-x.exited
	x.cmd.Wait()
	x.cmd = nil
}

func (x *box) fatal(format string, args ...any) {
	x.t.Helper()
	x.mu.Lock()
	logs := strings.Join(x.logs, "\n")
	x.mu.Unlock()
	x.t.Fatalf(format+"\nupdaterd's log:\n%s", append(args, logs)...)
}

// handover posts what scannerd posts after a poll that named the release.
func (x *box) handover() {
	x.t.Helper()
	c := updateapi.Dial(x.sock())
	defer c.Close()
	now := time.Now()
	_, err := c.Handover(context.Background(), updateapi.Link{Platform: x.b.repo.URL(), PlatformTime: now, PolledAt: now,
		Updates: []platformapi.UpdateNotice{{Kind: platformapi.UpdateSoftware, Version: x.b.rel.Version, Target: x.b.rel.Path(tuf.FileImage)}}})
	if err != nil {
		x.fatal("hand-over: %v", err)
	}
}

func (x *box) state() updateapi.State {
	c := updateapi.Dial(x.sock())
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	st, err := c.State(ctx)
	if err != nil {
		return updateapi.State{Phase: "(" + err.Error() + ")"}
	}
	return st
}

func (x *box) rebootsAsked() int {
	x.mu.Lock()
	defer x.mu.Unlock()
	return x.reboots
}

func (x *box) journalPhase() string {
	var j struct {
		Phase string `json:"phase"`
	}
	json.Unmarshal(x.read("data", "updates", "state.json"), &j)
	if j.Phase == "" {
		return "-"
	}
	return j.Phase
}

// invariant: the running slot is as it was, and a slot the grubenv tries
// verifies against the manifest on the ESP.
func (x *box) invariant(when string) slots.State {
	x.t.Helper()
	if !bytes.Equal(x.read("slot-a")[:len(x.b.running)], x.b.running) {
		x.fatal("%s: the running slot's bytes changed", when)
	}
	st, err := slots.Read(x.path("esp", pid1.Grubenv))
	if err != nil {
		x.fatal("%s: grubenv: %v", when, err)
	}
	if st.Trying == "b" {
		m, err := manifest.Verify(x.read("esp", pid1.ManifestName("b")), []ed25519.PublicKey{x.b.repo.ReleasePub()})
		if err != nil {
			x.fatal("%s: slot b is tried but its manifest on the ESP does not verify: %v", when, err)
		}
		if err := manifest.VerifyImage(io.LimitReader(bytes.NewReader(x.read("slot-b")), m.Size), m); err != nil || m.Board != x.b.board {
			x.fatal("%s: slot b is tried but does not verify against its manifest (board %s): %v", when, m.Board, err)
		}
	}
	return st
}

// settled waits until the progress stops moving: what the box received
// before the repository held the download is written and committed.
func (x *box) settled() updateapi.State {
	last, same := x.state(), 0
	for deadline := time.Now().Add(5 * time.Second); same < 3 && time.Now().Before(deadline); {
		time.Sleep(40 * time.Millisecond)
		st := x.state()
		if st.Percent == last.Percent && st.Phase == last.Phase {
			same++
		} else {
			same = 0
		}
		last = st
	}
	return last
}

// waitReboot waits for the install's end: init asked to reboot, the
// updater saying so.
func (x *box) waitReboot() updateapi.State {
	x.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		st := x.state()
		if x.rebootsAsked() > 0 && st.Phase == updateapi.PhaseRebooting {
			return st
		}
		if time.Now().After(deadline) {
			x.fatal("no reboot asked; state %+v", st)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// checkEnd asserts how every run must end.
func (x *box) checkEnd() {
	x.t.Helper()
	x.invariant("at the end")
	rel := x.b.rel
	if got := sha256.Sum256(x.read("slot-b")[:len(rel.Image)]); got != rel.SHA256 {
		x.fatal("slot b's first %d bytes have sha256 %x, the signed target %x", len(rel.Image), got, rel.SHA256)
	}
	onESP := x.read("esp", pid1.ManifestName("b"))
	m, err := manifest.Verify(onESP, []ed25519.PublicKey{x.b.repo.ReleasePub()})
	if err != nil || !bytes.Equal(onESP, rel.Manifest) || m.Version != rel.Version {
		x.fatal("ESP's slot-b.manifest: %v (version %q; the release's bytes: %v)", err, m.Version, bytes.Equal(onESP, rel.Manifest))
	}
	st, _ := slots.Read(x.path("esp", pid1.Grubenv))
	if st != (slots.State{Active: "a", Trying: "b", Tries: slots.MaxTries}) {
		x.fatal("grubenv %s: want active a, trying b with %d tries", st, slots.MaxTries)
	}
	if n := x.init.calls("try"); n != 1 {
		x.fatal("slot b set to be tried %d times, want once", n)
	}
	if x.rebootsAsked() < 1 {
		x.fatal("no reboot asked")
	}
}

// stage is where a run is killed.
type stage struct {
	name  string
	whole bool   // the chunk index is not to be had: the whole image
	point string // the gate's point
	// settle: the kill waits until the written bytes are committed (the
	// progress stops moving); otherwise it comes at once, bytes in flight.
	settle bool
}

type outcome struct {
	stage                   stage
	phase, journal, grubenv string // when killed
	refetched               int64  // image bytes fetched after the restart
}

// run installs the release on a new box, killing updaterd at each of
// stages in turn (each restart goes on until the next), then lets it
// finish.
func (b *bench) run(t *testing.T, whole bool, stages ...stage) []outcome {
	b.mu.Lock()
	b.whole, b.stops = whole, nil
	for _, s := range stages {
		var off int64
		if _, err := fmt.Sscanf(s.point, "image@%d", &off); err == nil {
			b.stops = append(b.stops, off)
		}
	}
	b.mu.Unlock()
	x := b.newBox(t)
	imgURL := b.rel.URLPath(tuf.FileImage)
	var outs []outcome
	var servedAt []int64 // image bytes served when each kill came
	x.start()
	for _, s := range stages {
		b.g.arm(s.point)
		x.handover()
		select {
		case <-b.g.reached:
		case <-time.After(30 * time.Second):
			x.fatal("stage %q not reached; state %+v", s.name, x.state())
		}
		st := x.state()
		if s.settle {
			st = x.settled()
		}
		x.kill()
		servedAt = append(servedAt, b.repo.Served(imgURL))
		gs := x.invariant("killed at " + s.name)
		outs = append(outs, outcome{stage: s, phase: fmt.Sprintf("%s %d%%", st.Phase, st.Percent), journal: x.journalPhase(), grubenv: gs.String()})
		b.g.open()
		x.start()
	}
	x.handover()
	x.waitReboot()
	x.kill()
	x.checkEnd()
	servedAt = append(servedAt, b.repo.Served(imgURL))
	for i := range outs {
		outs[i].refetched = servedAt[i+1] - servedAt[i]
		// A delta killed once its bytes were committed goes on as a
		// delta: the rest of the changed ranges, not the image.
		if !whole && outs[i].stage.settle && outs[i].refetched > int64(len(b.rel.Image))/4 {
			t.Errorf("killed at %s: %d image bytes fetched after the restart; want the delta's rest", outs[i].stage.name, outs[i].refetched)
		}
	}
	return outs
}

// TestKillAtEveryStage: SIGKILL at every stage of an install, delta and
// whole image, each followed by a restart and the next hand-over: the
// install always ends with the running slot untouched, the idle slot
// holding the signed image, its manifest on the ESP, the slot tried once
// and a reboot asked, and no kill ever leaves a tried slot that does not
// verify.
func TestKillAtEveryStage(t *testing.T) {
	b := newBench(t)
	t.Logf("updaterd %s (board %s) installs %s: %d-byte image, slots of %d bytes, commits every %d bytes", b.version, b.board, b.rel.Version, len(b.rel.Image), slotSize, commitEvery)
	delta := []stage{
		{name: "checking: timestamp.json asked", point: "timestamp"},
		{name: "delta: chunk index asked", point: "chunks"},
		{name: "delta: in the 1st fetched range", point: fmt.Sprintf("image@%d", 512<<10+40<<10)},
		{name: "delta: in the 2nd fetched range (settled)", point: fmt.Sprintf("image@%d", 3<<19+40<<10), settle: true},
		{name: "delta: in the 3rd fetched range", point: fmt.Sprintf("image@%d", 5<<19+40<<10)},
		{name: "verified: manifest asked", point: "manifest"},
		{name: "installing: init writing the manifest", point: "init:manifest"},
		{name: "installing: manifest written, trial not set", point: "init:try"},
		{name: "installing: trial set, journal not yet rebooting", point: "init:tried"},
		{name: "rebooting: init asked to reboot", point: "init:reboot"},
	}
	whole := []stage{
		{name: "whole: chunk index asked (it will be refused)", point: "chunks"},
		{name: "whole: image at 0 (headers only)", whole: true, point: "image@0"},
		{name: "whole: image at 300 KiB (before the 1st commit)", whole: true, point: fmt.Sprintf("image@%d", 300<<10)},
		{name: "whole: image at 1 MiB + 7", whole: true, point: fmt.Sprintf("image@%d", 1<<20+7)},
		{name: "whole: image at 1 MiB + 7 (settled)", whole: true, point: fmt.Sprintf("image@%d", 1<<20+7), settle: true},
		{name: "whole: image at 2 MiB (settled)", whole: true, point: fmt.Sprintf("image@%d", 2<<20), settle: true},
		{name: "whole: image 1 byte before the end (settled)", whole: true, point: fmt.Sprintf("image@%d", len(b.rel.Image)-1), settle: true},
		{name: "whole: verified, manifest asked", whole: true, point: "manifest"},
	}
	for i := range whole {
		whole[i].whole = true
	}
	var table []outcome
	for _, s := range append(append([]stage{}, delta...), whole...) {
		ok := t.Run(s.name, func(t *testing.T) {
			table = append(table, b.run(t, s.whole, s)...)
		})
		if !ok {
			break
		}
	}
	// One install killed at every stage in turn (a write resumed after a
	// cut goes on with the whole image from its last commit).
	t.Run("every stage in one install", func(t *testing.T) {
		var chain []stage
		for _, s := range delta {
			chain = append(chain, stage{name: "chain: " + s.name, point: s.point, settle: s.settle})
		}
		table = append(table, b.run(t, false, chain...)...)
	})
	var sb strings.Builder
	fmt.Fprintf(&sb, "\n%-52s | %-16s | %-11s | %-24s | %s\n", "killed at", "state (GET /v1/state)", "journal", "grubenv then", "after the restart")
	for _, o := range table {
		fmt.Fprintf(&sb, "%-52s | %-16s | %-11s | %-24s | %d image bytes fetched; slot b verified, manifest on the ESP, tried once, reboot asked\n",
			o.stage.name, o.phase, o.journal, o.grubenv, o.refetched)
	}
	t.Log(sb.String())
}
