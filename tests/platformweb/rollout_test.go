package platformweb_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"picket.dev/picket/src/link/platformapi"
	"picket.dev/picket/src/platform/releases"
	"picket.dev/picket/src/platform/server"
	"picket.dev/picket/src/platform/store"
	"picket.dev/picket/src/testkit/tufrepo"
	"picket.dev/picket/src/testkit/webui"
)

// rolloutBucket is a box's place in a rollout as docs/architecture.md and
// package rollout document it, written again here: the first 8 bytes of
// SHA-256("picket-rollout\n" + channel + "\n" + version + "\n" + box id),
// big-endian, modulo 100; a rollout to P% reaches the buckets below P.
func rolloutBucket(channel, version, boxID string) int {
	s := sha256.Sum256([]byte("picket-rollout\n" + channel + "\n" + version + "\n" + boxID))
	return int(binary.BigEndian.Uint64(s[:8]) % 100)
}

// TestRolloutInBrowser: platformd serves an update repository with
// software 1.1.0 and 1.2.0 for the virtual board. Six boxes on 1.1.0 and
// one already on 1.2.0 poll; a manager opens the Releases page in
// chromium, sees the boxes per version, and rolls 1.2.0 out to 50%. At
// their next poll exactly the boxes on 1.1.0 in the lower half of the
// documented hash hear of 1.2.0; the page counts them. Rolled out to
// everyone, every box on 1.1.0 hears of it, the one on 1.2.0 never. The
// repository's metadata is served on the box API's listener.
func TestRolloutInBrowser(t *testing.T) {
	if _, err := os.Stat(chromium); err != nil {
		t.Fatalf("this test needs Debian's chromium at %s (apt-get install chromium): %v", chromium, err)
	}
	dir := t.TempDir()
	repoDir := filepath.Join(dir, "updates")
	if err := tufrepo.New(repoDir).Publish(
		tufrepo.Software("virtual", "1.1.0", []byte("image 1.1.0")),
		tufrepo.Software("virtual", "1.2.0", []byte("image 1.2.0")),
		tufrepo.Signatures("2026.12.01", []byte("signatures")),
	); err != nil {
		t.Fatal(err)
	}
	pf := startPlatform(t, dir, func(p *server.Server, log *slog.Logger) {
		p.UseRepository(releases.New(repoDir, time.Now, log))
	})
	addr, base, pool, client := pf.addr, pf.base, pf.pool, pf.client()

	// The boxes: keys drawn until both halves of the 50% stage have
	// three boxes on 1.1.0 (so the test does not hang on chance), and
	// one more on 1.2.0. Each is activated through the web UI.
	const channel = "software/virtual"
	type simBox struct {
		*box
		id      string
		version string
		in50    bool
	}
	var boxes []simBox
	in, out := 0, 0
	for in < 3 || out < 3 {
		_, key, _ := ed25519.GenerateKey(rand.Reader)
		id := store.BoxID(key.Public().(ed25519.PublicKey))
		half := rolloutBucket(channel, "1.2.0", id) < 50
		if half && in == 3 || !half && out == 3 {
			continue
		}
		if half {
			in++
		} else {
			out++
		}
		boxes = append(boxes, simBox{&box{key: key, client: client, base: base}, id, "1.1.0", half})
	}
	_, key, _ := ed25519.GenerateKey(rand.Reader)
	boxes = append(boxes, simBox{&box{key: key, client: client, base: base}, store.BoxID(key.Public().(ed25519.PublicKey)), "1.2.0", false})
	pollOf := func(b simBox) platformapi.PollRequest {
		return platformapi.PollRequest{Board: "virtual", Versions: platformapi.Versions{Scanner: b.version, Signatures: "2026.12.01", Update: "idle"},
			Capacity: platformapi.Capacity{CPUs: 2, MaxScans: 1, ScannerOnline: true}}
	}
	web := webui.New(t, "127.0.0.1", pool, func(ctx context.Context, network string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, network, addr)
	})
	web.Login("alice", password, "/activate")
	for _, b := range boxes {
		b.poll(t, pollOf(b))
		if _, err := web.Activate(platformapi.ActivationCode(b.key.Public().(ed25519.PublicKey))); err != nil {
			t.Fatal(err)
		}
		web.Do("GET", "/activate", nil)
	}
	// pollAll polls every box (reporting its version) and returns the
	// ids of those told of software 1.2.0; no other notice may come.
	pollAll := func() map[string]bool {
		t.Helper()
		told := map[string]bool{}
		for _, b := range boxes {
			resp := b.poll(t, pollOf(b))
			for _, n := range resp.Updates {
				if n != (platformapi.UpdateNotice{Kind: platformapi.UpdateSoftware, Version: "1.2.0", Target: "software/virtual/1.2.0/rootfs.img"}) {
					t.Errorf("box %s: unexpected notice %+v", b.id, n)
					continue
				}
				told[b.id] = true
			}
		}
		return told
	}
	if told := pollAll(); len(told) != 0 {
		t.Fatalf("notices before any rollout: %v", told)
	}

	bctx := startChrome(t, chromium, 120*time.Second)
	c := css
	sec := `section[data-channel="software/virtual"] `
	chromeDo(t, bctx, "log in and open the releases",
		chromedp.Navigate(base+"/login"),
		chromedp.WaitVisible(c("#username")),
		chromedp.SendKeys(c("#username"), "alice"),
		chromedp.SendKeys(c("#password"), password),
		chromedp.Click(c("#login")),
		chromedp.WaitVisible(c("#whoami")),
		chromedp.Click(c("#nav-releases")),
		chromedp.WaitVisible(c(sec+"form.rollout-form")),
	)
	if got := chromeText(t, bctx, sec+`table.box-versions tr[data-version="1.1.0"] td.count`); got != "6" {
		t.Errorf("boxes on 1.1.0: %q, want 6", got)
	}
	if got := chromeText(t, bctx, sec+`table.box-versions tr[data-version="1.2.0"] td.count`); got != "1" {
		t.Errorf("boxes on 1.2.0: %q, want 1", got)
	}
	chromeDo(t, bctx, "roll 1.2.0 out to 50%",
		chromedp.SetValue(c(sec+"select.version"), "1.2.0"),
		chromedp.Click(c(sec+"input.stage-percent")),
		chromedp.SetValue(c(sec+"input.percent"), "50"),
		chromedp.Click(c(sec+"button.start")),
		chromedp.WaitVisible(c("#notice")),
	)
	if got := chromeText(t, bctx, sec+"p.rollout-state"); !strings.Contains(got, "Rolling out 1.2.0 to 50% of the boxes.") {
		t.Errorf("rollout state: %q", got)
	}

	told := pollAll()
	for _, b := range boxes {
		if want := b.version == "1.1.0" && b.in50; told[b.id] != want {
			t.Errorf("50%%: box %s (on %s, bucket %d) told: %v, want %v", b.id, b.version, rolloutBucket(channel, "1.2.0", b.id), told[b.id], want)
		}
	}
	// In the stage: the three on 1.1.0 in the lower half, and the box on
	// 1.2.0 if its bucket is there too (it is not told: it has it).
	inStage := 3
	if rolloutBucket(channel, "1.2.0", boxes[len(boxes)-1].id) < 50 {
		inStage = 4
	}
	// Opened afresh, without the notice (the next step waits for one).
	chromeDo(t, bctx, "reopen the releases", chromedp.Navigate(base+"/releases"), chromedp.WaitVisible(c(sec+"p.rollout-state")))
	if got, want := chromeText(t, bctx, sec+"p.rollout-state"), fmt.Sprintf("%d of 7 boxes are in the stage; 3 are told to update now.", inStage); !strings.Contains(got, want) {
		t.Errorf("rollout state %q, want %q", got, want)
	}

	chromeDo(t, bctx, "roll out to everyone",
		chromedp.Click(c(sec+"button.everyone")),
		chromedp.WaitVisible(c("#notice")),
	)
	told = pollAll()
	for _, b := range boxes {
		if want := b.version == "1.1.0"; told[b.id] != want {
			t.Errorf("everyone: box %s (on %s) told: %v, want %v", b.id, b.version, told[b.id], want)
		}
	}

	// The boxes fetch the metadata from the same listener, never cached.
	resp, err := client.Get(base + platformapi.PathUpdateMetadata + "timestamp.json")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	want, _ := os.ReadFile(filepath.Join(repoDir, "metadata", "timestamp.json"))
	if resp.StatusCode != 200 || string(body) != string(want) || resp.Header.Get("Cache-Control") != "no-cache" {
		t.Errorf("timestamp.json over the box API's listener: %s, cache %q, %d bytes", resp.Status, resp.Header.Get("Cache-Control"), len(body))
	}
}
