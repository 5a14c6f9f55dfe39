package netbench

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// CaptureSession is a tcpdump running on one interface of a namespace.
type CaptureSession struct {
	ns    *NS
	file  string
	proc  *Proc
	lines []string
	done  bool
}

// Capture starts tcpdump on iface inside ns, writing every frame matching
// the pcap filter (empty: all) to a file, and waits until it listens. Stop
// it to read what it caught.
func Capture(ns *NS, iface, filter string) *CaptureSession {
	ns.b.t.Helper()
	return CaptureWith(ns, iface, filter, CaptureOptions{})
}

// CaptureOptions tune a capture.
type CaptureOptions struct {
	// Snaplen keeps only the first Snaplen bytes of each frame (tcpdump
	// -s; 0: whole frames). A capture of thousands of frames a second
	// needs a small one: in immediate mode libpcap gives every frame a
	// ring slot of the snapshot length, so whole frames (256 KiB slots)
	// fill the 32 MiB ring after about a hundred and the kernel drops the
	// rest.
	Snaplen int
}

// CaptureWith is Capture with options.
func CaptureWith(ns *NS, iface, filter string, opt CaptureOptions) *CaptureSession {
	t := ns.b.t
	t.Helper()
	file := filepath.Join(t.TempDir(), iface+".pcap")
	// -Z root: tcpdump would otherwise drop to its own user, which cannot
	// write into the test's temp dir.
	// --immediate-mode: without it frames wait in the kernel's ring
	// buffer block and are lost when the capture stops.
	// -B: a 32 MiB kernel buffer, so a burst (a port scan's thousands
	// of frames a second) is not dropped before tcpdump writes it.
	args := []string{"tcpdump", "-i", iface, "-nn", "-e", "-U", "--immediate-mode", "-B", "32768", "-Z", "root", "-w", file}
	if opt.Snaplen > 0 {
		args = append(args, "-s", fmt.Sprint(opt.Snaplen))
	}
	if filter != "" {
		args = append(args, filter)
	}
	p, err := startProc(ns.Command(args...), "tcpdump")
	if err != nil {
		t.Fatalf("netbench: start tcpdump in %s: %v", ns.Name, err)
	}
	c := &CaptureSession{ns: ns, file: file, proc: p}
	t.Cleanup(func() { p.Stop() })
	if err := p.WaitOutput("listening", 30*time.Second, func(s string) bool {
		return strings.Contains(s, "listening on")
	}); err != nil {
		t.Fatalf("netbench: %v", err)
	}
	return c
}

// Stop ends the capture and returns the frames caught, one line each as
// "tcpdump -nn -e -r" prints them: with MAC addresses, 802.1Q tags
// ("ethertype 802.1Q (0x8100), length 64: vlan 10, p 0, ...") and the
// decoded packet. Calling it again returns the same lines.
func (c *CaptureSession) Stop() []string {
	t := c.ns.b.t
	t.Helper()
	if c.done {
		return c.lines
	}
	c.done = true
	// tcpdump stops at SIGINT without draining what the kernel already
	// holds for it, so let it catch up first: -U writes every frame as it
	// is processed, and a file that stopped growing means it is idle.
	c.settle()
	// SIGINT makes tcpdump flush and close the file.
	_ = c.proc.Signal(syscall.SIGINT)
	select {
	case <-c.proc.Exited():
	case <-time.After(10 * time.Second):
	}
	c.proc.Stop()
	out, err := c.ns.Command("tcpdump", "-nn", "-e", "-r", c.file).Output()
	if err != nil {
		t.Fatalf("netbench: read capture %s: %v\ntcpdump said:\n%s", c.file, err, c.proc.Output())
	}
	for _, l := range strings.Split(strings.TrimRight(string(out), "\n"), "\n") {
		if l != "" {
			c.lines = append(c.lines, l)
		}
	}
	return c.lines
}

func (c *CaptureSession) settle() {
	last, stable := int64(-1), 0
	for i := 0; i < 100 && stable < 5; i++ {
		size := int64(0)
		if fi, err := os.Stat(c.file); err == nil {
			size = fi.Size()
		}
		if size == last {
			stable++
		} else {
			stable = 0
		}
		last = size
		time.Sleep(50 * time.Millisecond)
	}
}

// Dropped is the number of frames tcpdump reported lost ("packets
// dropped by kernel": its buffer overflowed), read after Stop; ok is
// false when tcpdump did not say.
func (c *CaptureSession) Dropped() (n int, ok bool) {
	for _, l := range strings.Split(c.proc.Output(), "\n") {
		if strings.HasSuffix(strings.TrimSpace(l), "packets dropped by kernel") {
			if _, err := fmt.Sscan(l, &n); err == nil {
				return n, true
			}
		}
	}
	return 0, false
}

// File is the pcap file (complete after Stop).
func (c *CaptureSession) File() string { return c.file }
