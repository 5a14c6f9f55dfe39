// Command slotwrite measures the install throughput of package slotwriter
// into a slot (issue 15's goal: at least 80 % of dd's): a loop device over
// a file on the disk of -dir (a block device, as on the box), written in
// turns by `dd bs=1M conv=fsync` (dd's one fsync at the end, so the bytes
// are on the disk when it returns, as slotwriter's are) and by slotwriter
// (Open, ReadFrom of the image file with its default commit interval:
// fsync and journal every 16 MiB; then Finish: the read-back of the
// partition). The image is random bytes (a squashfs of compressed files
// looks the same to a writer) in the page cache, read by both. Prints each
// round and the medians. Needs root (losetup). Run by
// tests/bench/slotwrite.sh; figures in docs/benchmarks.md.
package main

import (
	"crypto/rand"
	"crypto/sha256"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"picket.dev/picket/src/base/atomicfile"
	"picket.dev/picket/src/update/slotwriter"
)

func main() {
	mib := flag.Int64("mib", 256, "image size in MiB")
	dir := flag.String("dir", "/var/tmp", "directory on the disk to measure (the loop device's backing file goes there)")
	rounds := flag.Int("rounds", 3, "rounds (each: dd, then slotwriter)")
	commit := flag.Int64("commit-mib", 0, "slotwriter's commit interval in MiB (0: its default)")
	flag.Parse()
	if err := run(*mib<<20, *dir, *rounds, *commit<<20); err != nil {
		fmt.Fprintln(os.Stderr, "slotwrite:", err)
		os.Exit(1)
	}
}

func run(size int64, dir string, rounds int, commit int64) error {
	work, err := os.MkdirTemp(dir, "picket-slotwrite-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	img := filepath.Join(work, "rootfs.img")
	h := sha256.New()
	f, err := os.Create(img)
	if err != nil {
		return err
	}
	if _, err := io.Copy(io.MultiWriter(f, h), io.LimitReader(rand.Reader, size)); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	t := slotwriter.Target{Length: size}
	h.Sum(t.SHA256[:0])
	backing := filepath.Join(work, "slot-b")
	if err := os.WriteFile(backing, nil, 0o600); err != nil {
		return err
	}
	if err := os.Truncate(backing, size+(1<<20)); err != nil {
		return err
	}
	out, err := exec.Command("losetup", "--find", "--show", backing).Output()
	if err != nil {
		return fmt.Errorf("losetup: %w", err)
	}
	loop := strings.TrimSpace(string(out))
	defer exec.Command("losetup", "-d", loop).Run()
	running := filepath.Join(work, "slot-a")
	if err := os.WriteFile(running, make([]byte, 1<<20), 0o400); err != nil {
		return err
	}
	journal := filepath.Join(work, "data")
	if err := os.Mkdir(journal, 0o700); err != nil {
		return err
	}
	// The source in the page cache for both.
	if b, err := os.ReadFile(img); err != nil || int64(len(b)) != size {
		return fmt.Errorf("read image: %v", err)
	}
	if commit == 0 {
		commit = slotwriter.DefaultCommitEvery
	}
	fmt.Printf("image %d MiB, target %s (loop device over %s), slotwriter commits every %d MiB\n", size>>20, loop, backing, commit>>20)
	var dd, sw, swv []float64
	mbps := func(d time.Duration) float64 { return float64(size) / d.Seconds() / 1e6 }
	for i := 0; i < rounds; i++ {
		start := time.Now()
		c := exec.Command("dd", "if="+img, "of="+loop, "bs=1M", "conv=fsync", "status=none")
		if out, err := c.CombinedOutput(); err != nil {
			return fmt.Errorf("dd: %v: %s", err, out)
		}
		dd = append(dd, mbps(time.Since(start)))

		write, total, err := install(img, loop, running, journal, t, commit)
		if err != nil {
			return err
		}
		sw = append(sw, mbps(write))
		swv = append(swv, mbps(total))
		fmt.Printf("round %d: dd conv=fsync %.0f MB/s, slotwriter write %.0f MB/s, write+read-back %.0f MB/s\n", i+1, dd[i], sw[i], swv[i])
	}
	m := func(v []float64) float64 { s := append([]float64{}, v...); sort.Float64s(s); return s[len(s)/2] }
	fmt.Printf("median: dd %.0f MB/s; slotwriter write %.0f MB/s (%.0f %% of dd), with read-back %.0f MB/s (%.0f %% of dd)\n",
		m(dd), m(sw), 100*m(sw)/m(dd), m(swv), 100*m(swv)/m(dd))
	return nil
}

// install writes the image with slotwriter as the updater does and returns
// the time to the last durable byte and to the verdict.
func install(img, idle, running, journal string, t slotwriter.Target, commit int64) (time.Duration, time.Duration, error) {
	start := time.Now()
	d, err := slotwriter.OpenDevices(idle, running)
	if err != nil {
		return 0, 0, err
	}
	defer d.Close()
	fsys := atomicfile.Dir(journal)
	if err := slotwriter.Discard(fsys, "slot.journal"); err != nil {
		return 0, 0, err
	}
	w, err := slotwriter.Open(slotwriter.Config{Idle: d.Idle, IdleSize: d.IdleSize, Slot: "B", Journal: fsys, JournalName: "slot.journal", CommitEvery: commit}, t)
	if err != nil {
		return 0, 0, err
	}
	src, err := os.Open(img)
	if err != nil {
		return 0, 0, err
	}
	defer src.Close()
	if _, err := w.ReadFrom(src); err != nil {
		return 0, 0, err
	}
	write := time.Since(start)
	if err := w.Finish(); err != nil {
		return 0, 0, err
	}
	return write, time.Since(start), nil
}
