// Package appliance boots the whole virtual appliance image under qemu
// (TCG) and UEFI firmware (OVMF): GRUB picks the slot, the initramfs
// (src/cmd/initramfs) verifies it against its signed manifest, the init
// (src/cmd/init) starts the daemons and marks the slot good. The box's
// NIC is a tap in a network namespace this test makes, where dnsmasq
// serves DHCP; its serial console is a socket the test reads and types
// into. One test walks an appliance's life on one disk, each step a
// separate power-on (and each power-off a pulled plug):
//
//  1. first boot: boot messages, the console menu, a DHCP lease, slot A
//     marked good;
//  2. a byte flipped in slot A, which is then put on trial: the initramfs
//     refuses it at boot and the box comes up on slot B (the image's
//     second copy).
//
// Updates (a slot written, tried, kept or rolled back by boot counting)
// are walked by tests/product on the product image, through the real
// updater: a good release kept, one that never reaches the platform
// back on the previous slot by itself.
//
// The image is built here with `imgtool build` and a throwaway key, from
// the same daemons, init, initramfs and kernel modules as
// //rootfs:image_virtual (under Bazel from its data; with go test built
// with the go command).
package appliance

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"picket.dev/picket/src/panel/keyevent"
	"picket.dev/picket/src/panel/vt100input"
	"picket.dev/picket/src/system/imagebuild"
	"picket.dev/picket/src/system/pid1"
	"picket.dev/picket/src/system/slots"
	"picket.dev/picket/src/testkit/netbench"
	"picket.dev/picket/src/testkit/testinput"
	"picket.dev/picket/tests/qemuboot"
)

func TestMain(m *testing.M) {
	// Bazel runs tests with a bare PATH; mkfs.* live in sbin.
	os.Setenv("PATH", os.Getenv("PATH")+":/usr/sbin:/sbin:/usr/bin:/bin")
	os.Exit(m.Run())
}

const (
	mac = "52:54:00:5a:01:02"
	// The trial deadline of the images built here: long enough for the
	// daemons' stable period (stable_seconds) on an emulated CPU, short
	// enough that a failing update uses up its tries quickly.
	stableSeconds = 5
	trialSeconds  = 40
	// guard bounds every wait for the console: a hang guard, not a timing
	// assertion (TCG on a busy 2-core machine is slow).
	guard = 6 * time.Minute
)

// builder makes disk images the way //rootfs:image_virtual does.
type builder struct {
	dir, imgtool, kernelDir, key string
	bins                         map[string]string // netmgrd, consoled, init, initramfs
}

func newBuilder(t *testing.T) *builder {
	t.Helper()
	dir := t.TempDir()
	b := &builder{dir: dir, bins: map[string]string{}}
	b.imgtool = testinput.Command(t, "imgtool")
	for _, name := range []string{"init", "initramfs", "netmgrd", "consoled"} {
		b.bins[name] = testinput.Path(t, "PICKET_"+strings.ToUpper(name), func() string { return testinput.GoBuild(t, "./src/cmd/"+name, "amd64", "") })
	}
	vmlinuz := testinput.Path(t, "PICKET_KERNEL", func() string { return testinput.Fetched(t, "kernel-amd64/vmlinuz") })
	b.kernelDir = filepath.Dir(vmlinuz)
	keys := filepath.Join(dir, "keys")
	if err := os.Mkdir(keys, 0o700); err != nil {
		t.Fatal(err)
	}
	testinput.Run(t, b.imgtool, "keygen", "-out", keys)
	b.key = filepath.Join(keys, "release.key")
	return b
}

// build writes an image of version with these services (pid1's boot
// configuration) and returns its path.
func (b *builder) build(t *testing.T, version string, services []pid1.ServiceConfig) string {
	t.Helper()
	cfg, err := json.Marshal(pid1.BootConfig{Hostname: "picket-virtual", Services: services,
		StableSeconds: stableSeconds, TrialSeconds: trialSeconds})
	if err != nil {
		t.Fatal(err)
	}
	cfgPath := filepath.Join(b.dir, version+".init.json")
	if err := os.WriteFile(cfgPath, cfg, 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(b.dir, version+".img")
	t.Log(strings.TrimSpace(testinput.Run(t, b.imgtool, "build", "-board", "virtual", "-version", version,
		"-kernel", filepath.Join(b.kernelDir, "vmlinuz"), "-initramfs-init", b.bins["initramfs"],
		"-kernel-modules", b.kernelDir,
		"-rootfs-file", "sbin/init="+b.bins["init"],
		"-rootfs-file", "usr/bin/netmgrd="+b.bins["netmgrd"],
		"-rootfs-file", "usr/bin/consoled="+b.bins["consoled"],
		"-rootfs-data", "etc/picket/init.json="+cfgPath,
		"-key", b.key, "-slot-mib", "64", "-data-mib", "32", "-out", out)))
	return out
}

// The product's services, as rootfs/BUILD.bazel lists them for the
// virtual board (without scannerd: this test has no platform).
var productServices = []pid1.ServiceConfig{
	{Name: "netmgrd", Path: "/usr/bin/netmgrd"},
	{Name: "consoled", Path: "/usr/bin/consoled", Args: []string{"-power", "init"}},
}

// part returns the byte offset and size of the named partition of disk.
func part(t *testing.T, disk, name string) (off, size int64) {
	t.Helper()
	f, err := os.Open(disk)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	parts, err := imagebuild.ReadPartitions(f)
	if err != nil {
		t.Fatalf("%s: %v", disk, err)
	}
	for _, p := range parts {
		if p.Name == name {
			return p.Offset(), p.Size()
		}
	}
	t.Fatalf("no %q partition in %s: %v", name, disk, parts)
	return 0, 0
}

func esp(t *testing.T, disk string) string {
	off, _ := part(t, disk, imagebuild.PartBoot)
	return fmt.Sprintf("%s@@%d", disk, off)
}

func readESP(t *testing.T, disk, name string) []byte {
	t.Helper()
	b, err := imagebuild.ReadFAT(context.Background(), esp(t, disk), name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func writeESP(t *testing.T, disk, name string, data []byte) {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	testinput.Run(t, "mcopy", "-o", "-i", esp(t, disk), p, "::/"+name)
}

func bootState(t *testing.T, disk string) slots.State {
	t.Helper()
	env, err := slots.Parse(readESP(t, disk, "grubenv"))
	if err != nil {
		t.Fatal(err)
	}
	st, err := slots.FromEnv(env)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func setBootState(t *testing.T, disk string, st slots.State) {
	t.Helper()
	b, err := st.Encode()
	if err != nil {
		t.Fatal(err)
	}
	writeESP(t, disk, "grubenv", b)
}

// console is the box's serial port: everything it printed, and a way to
// type.
type console struct {
	mu   sync.Mutex
	seen bytes.Buffer
	more chan struct{}
	conn net.Conn
	log  *qemuboot.Console // the same bytes, printed if the test fails
}

func (c *console) read(conn net.Conn) {
	buf := make([]byte, 4096)
	for {
		n, err := conn.Read(buf)
		if n > 0 {
			c.mu.Lock()
			c.seen.Write(buf[:n])
			c.mu.Unlock()
			c.log.Write(buf[:n])
			select {
			case c.more <- struct{}{}:
			default:
			}
		}
		if err != nil {
			return
		}
	}
}

func (c *console) text() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return strings.ReplaceAll(c.seen.String(), "\r", "")
}

// waitFor waits for text after offset from and returns the offset after
// it.
func (c *console) waitFor(t *testing.T, from int, text string) int {
	t.Helper()
	deadline := time.After(guard)
	for {
		out := c.text()
		if i := strings.Index(out[min(from, len(out)):], text); i >= 0 {
			return from + i + len(text)
		}
		select {
		case <-c.more:
		case <-deadline:
			t.Fatalf("console never showed %q; after offset %d it printed:\n%s", text, from, tail(out[min(from, len(out)):], 6000))
		}
	}
}

func (c *console) send(t *testing.T, script string) {
	t.Helper()
	evs, err := keyevent.ParseScript(script)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.conn.Write(vt100input.Encode(evs)); err != nil {
		t.Fatalf("type on the console: %v", err)
	}
}

func tail(s string, n int) string {
	if len(s) > n {
		return "..." + s[len(s)-n:]
	}
	return s
}

// box is one power-on of the disk in qemu, its NIC on the tap of ns.
type box struct {
	con  *console
	cmd  *exec.Cmd
	done chan struct{}
}

func powerOn(t *testing.T, boots *qemuboot.Boots, ns *netbench.NS, disk string) *box {
	t.Helper()
	dir := qemuboot.Dir(t)
	sock := filepath.Join(dir, "console.sock")
	ln, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	b := &box{con: &console{more: make(chan struct{}, 1), log: boots.New(t.Name())}, done: make(chan struct{})}
	var log bytes.Buffer
	// No -no-reboot: the box's own reboots (trial deadline, refused slot)
	// happen inside this power-on, as on hardware.
	args := []string{"-machine", "q35", "-cpu", "max", "-m", "512",
		"-display", "none", "-monitor", "none", "-nodefaults",
		"-netdev", "tap,id=n0,ifname=tap0,script=no,downscript=no",
		"-device", qemuboot.NICDevice("virtio-net-pci", "n0", mac),
		"-chardev", "socket,id=con,path=" + sock,
		"-serial", "chardev:con"}
	args = append(args, qemuboot.Firmware(t, dir, "/usr/share/OVMF/OVMF_CODE.fd", "/usr/share/OVMF/OVMF_VARS.fd")...)
	args = append(args, qemuboot.DiskDevice(disk, false)...)
	b.cmd = ns.Command(append([]string{"qemu-system-x86_64"}, args...)...)
	b.cmd.Stdout, b.cmd.Stderr = &log, &log
	if err := b.cmd.Start(); err != nil {
		t.Fatalf("start qemu: %v", err)
	}
	go func() { b.cmd.Wait(); close(b.done) }()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, err := ln.Accept()
		if err == nil {
			accepted <- c
		}
	}()
	select {
	case c := <-accepted:
		b.con.conn = c
		go b.con.read(c)
	case <-b.done:
		t.Fatalf("qemu exited before connecting its console: %s", log.String())
	case <-time.After(time.Minute):
		b.cmd.Process.Kill()
		t.Fatalf("qemu never connected its console: %s", log.String())
	}
	t.Cleanup(func() { b.pullPlug(); b.con.conn.Close() })
	return b
}

// pullPlug stops the emulator without warning the box.
func (b *box) pullPlug() {
	select {
	case <-b.done:
		return
	default:
	}
	b.cmd.Process.Kill()
	<-b.done
}

func TestApplianceLife(t *testing.T) {
	for _, tool := range []string{"qemu-system-x86_64", "mksquashfs", "mkfs.vfat", "mkfs.ext4", "mcopy", "dnsmasq"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s is needed (tools/fetch installs it): %v", tool, err)
		}
	}
	bld := newBuilder(t)
	disk := bld.build(t, "1.0.0-test", productServices)
	boots := qemuboot.Keep(t)

	bench := netbench.New(t)
	ns := bench.NS("app")
	ns.Run("ip", "tuntap", "add", "dev", "tap0", "mode", "tap")
	ns.Run("ip", "addr", "add", "10.99.0.1/24", "dev", "tap0")
	ns.Run("ip", "link", "set", "tap0", "up")
	dhcp := netbench.Dnsmasq(ns, netbench.DnsmasqOptions{
		Interface:  "tap0",
		Range4From: netip.MustParseAddr("10.99.0.50"), Range4To: netip.MustParseAddr("10.99.0.60"),
		Router: netip.MustParseAddr("10.99.0.1"),
	})

	t.Run("first boot: console menu and DHCP and slot A good", func(t *testing.T) {
		b := powerOn(t, boots, ns, disk)
		c := b.con
		at := c.waitFor(t, 0, "picket: booting slot a")
		at = c.waitFor(t, at, "picket: slot a: virtual 1.0.0-test")
		at = c.waitFor(t, at, "signature and contents verified")
		at = c.waitFor(t, at, "init: slot a, starting 2 daemons")
		at = c.waitFor(t, at, "Press ENTER to start")
		c.send(t, "ENTER")
		c.waitFor(t, at, "MAC address")
		if err := dhcp.WaitLog("DHCPACK", guard); err != nil {
			t.Fatalf("no DHCP lease: %v\n%s", err, dhcp.Log())
		}
		var addr string
		for _, l := range strings.Split(dhcp.Leases(), "\n") {
			if f := strings.Fields(l); len(f) >= 3 && strings.EqualFold(f[1], mac) {
				addr = f[2]
			}
		}
		if addr == "" {
			t.Fatalf("no lease for %s in:\n%s", mac, dhcp.Leases())
		}
		// The address is up on the box: a TCP connection to it is
		// refused (the kernel answers with a reset), which also shows
		// the box listens on none of these ports.
		for _, port := range []string{"22", "80", "443", "8443"} {
			var err error
			for i := 0; i < 30; i++ {
				ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
				var conn net.Conn
				conn, err = ns.DialContext(ctx, "tcp", net.JoinHostPort(addr, port))
				cancel()
				if conn != nil {
					conn.Close()
					t.Fatalf("the box accepted a connection on %s port %s", addr, port)
				}
				if errors.Is(err, syscall.ECONNREFUSED) {
					break
				}
				time.Sleep(time.Second)
			}
			if !errors.Is(err, syscall.ECONNREFUSED) {
				t.Fatalf("box at %s port %s: %v; want connection refused (the address up, nothing listening)", addr, port, err)
			}
		}
		c.waitFor(t, 0, "init: marked good")
		b.pullPlug()
		if st := bootState(t, disk); st != (slots.State{Active: "a"}) {
			t.Errorf("boot state %v, want active a", st)
		}
	})

	t.Run("flipped byte in slot A refused at boot", func(t *testing.T) {
		off, _ := part(t, disk, imagebuild.PartRootfsA)
		f, err := os.OpenFile(disk, os.O_RDWR, 0)
		if err != nil {
			t.Fatal(err)
		}
		one := make([]byte, 1)
		at := off + 1<<20 // inside the squashfs (well below its size)
		if _, err := f.ReadAt(one, at); err != nil {
			t.Fatal(err)
		}
		one[0] ^= 0x01
		if _, err := f.WriteAt(one, at); err != nil {
			t.Fatal(err)
		}
		f.Close()
		setBootState(t, disk, slots.State{Active: "b", Trying: "a", Tries: 1})
		b := powerOn(t, boots, ns, disk)
		c := b.con
		i := c.waitFor(t, 0, "picket: booting slot a")
		i = c.waitFor(t, i, "picket: slot a refused: ")
		i = c.waitFor(t, i, "sha256")
		i = c.waitFor(t, i, "picket: booting slot b")
		i = c.waitFor(t, i, "picket: slot b: virtual 1.0.0-test")
		c.waitFor(t, i, "init: marked good")
		if strings.Contains(c.text(), "init: slot a") {
			t.Errorf("the init of the altered slot A ran:\n%s", c.text())
		}
		b.pullPlug()
		if st := bootState(t, disk); st.Active != "b" || st.Trying == "a" {
			t.Errorf("boot state %v, want active b and A no longer on trial", st)
		}
	})
}
