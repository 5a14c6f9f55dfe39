// Package appliance boots the whole virtual appliance image under qemu
// (TCG) and UEFI firmware (OVMF): GRUB picks the slot, the initramfs
// (src/cmd/initramfs) verifies it against its signed manifest, the init
// (src/daemon/initd) starts the daemons and marks the slot good. The box's
// NIC is a tap in a network namespace this test makes, where dnsmasq
// serves DHCP; its serial console is a socket the test reads and types
// into. Its second serial port is the rack appliance's front panel: a
// socket where the serial LCD module's emulator (testkit/lcdmodule, a
// CFA-635) answers lcdd, which drives it with its real driver
// (lcdd -display serial-module -lcd-device /dev/ttyS1, package lcdserial),
// and where the test presses the module's keys. One test walks an
// appliance's life on one disk, in two power-ons:
//
//  1. first boot: boot messages, the console menu, a DHCP lease, slot A
//     marked good, each daemon under its own user with only its rights
//     (init's console lines of what /proc says, against
//     docs/privileges.md); then SYSTEM REBOOT from the console (asked on
//     init.sock as consoled's user): init stops the
//     daemons, last started first, and the box comes back to the console
//     menu; then SYSTEM SHUTDOWN from the module's keypad: init tells
//     lcdd the box is powering off, stops the other daemons, unmounts
//     the data partition, then tells lcdd the box is halted; the console
//     says it is safe to unplug the box within the spec's 60 s, so does
//     the module once the emulator has powered off by itself, and the
//     data partition was unmounted cleanly (its ext4 superblock read from
//     the disk image);
//  2. a byte flipped in slot A, which is then put on trial: the initramfs
//     refuses it at boot and the box comes up on slot B (the image's
//     second copy); and the data partition's root inode zeroed, with a
//     box identity on it: the init's mount fails, e2fsck -p stops, e2fsck
//     -y repairs, the identity is brought back from lost+found (the key
//     file read back after the power-on is the one put there), and the
//     front panel shows DATA REPAIRED; this power-off is a pulled plug.
//
// Updates (a slot written, tried, kept or rolled back by boot counting)
// are walked by tests/product on the product image, through the real
// updater: a good release kept, one that never reaches the platform
// back on the previous slot by itself.
//
// The image is built here with `imgtool build` and a throwaway key, from
// the same daemons, init, initramfs and kernel modules as
// //rootfs:image_virtual (under Bazel from its data; with go test built
// with the go command), init and the daemons one binary with several
// names as there (src/cmd/picketbox).
package appliance

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"picket.dev/picket/src/link/boxid"
	"picket.dev/picket/src/panel/keyevent"
	"picket.dev/picket/src/panel/vt100input"
	"picket.dev/picket/src/panel/vt100screen"
	"picket.dev/picket/src/system/imagebuild"
	"picket.dev/picket/src/system/linuxsys"
	"picket.dev/picket/src/system/pid1"
	"picket.dev/picket/src/system/slots"
	"picket.dev/picket/src/testkit/lcdmodule"
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
	// safeWithin is the product spec's bound from the operator's
	// confirmation of SYSTEM SHUTDOWN to "It's now safe to unplug the
	// box" on the console.
	safeWithin = 60 * time.Second
)

// builder makes disk images the way //rootfs:image_virtual does.
type builder struct {
	dir, imgtool, kernelDir, key string
	bins                         map[string]string // picketbox (init and the daemons), initramfs
	// e2fsprogs are the image's e2fsck and mke2fs with their libraries
	// (tools/fetch's amd64 tree, as rootfs/products.bzl puts it in).
	e2fsprogs []imagebuild.File
}

func newBuilder(t *testing.T) *builder {
	t.Helper()
	dir := t.TempDir()
	b := &builder{dir: dir, bins: map[string]string{}}
	b.imgtool = testinput.Command(t, "imgtool")
	for _, name := range []string{"picketbox", "initramfs"} {
		b.bins[name] = testinput.Path(t, "PICKET_"+strings.ToUpper(name), func() string { return testinput.GoBuild(t, "./src/cmd/"+name, "amd64", "") })
	}
	vmlinuz := testinput.Path(t, "PICKET_KERNEL", func() string { return testinput.Fetched(t, "kernel-amd64/vmlinuz") })
	b.kernelDir = filepath.Dir(vmlinuz)
	e2fsck := testinput.Path(t, "PICKET_E2FSPROGS", func() string { return testinput.Fetched(t, "e2fsprogs-amd64/sbin/e2fsck") })
	files, err := imagebuild.DirFiles(filepath.Dir(filepath.Dir(e2fsck)))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if !strings.HasPrefix(f.Name, ".") {
			b.e2fsprogs = append(b.e2fsprogs, f)
		}
	}
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
		StableSeconds: stableSeconds, TrialSeconds: trialSeconds, APIGroup: apiGroup})
	if err != nil {
		t.Fatal(err)
	}
	cfgPath := filepath.Join(b.dir, version+".init.json")
	if err := os.WriteFile(cfgPath, cfg, 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(b.dir, version+".img")
	args := []string{"build", "-board", "virtual", "-version", version,
		"-kernel", filepath.Join(b.kernelDir, "vmlinuz"), "-initramfs-init", b.bins["initramfs"],
		"-kernel-modules", b.kernelDir,
		// One binary for init and the daemons, as the product has it.
		"-rootfs-file", "sbin/init=" + b.bins["picketbox"],
		"-rootfs-link", "usr/bin/netmgrd=sbin/init",
		"-rootfs-link", "usr/bin/consoled=sbin/init",
		"-rootfs-link", "usr/bin/lcdd=sbin/init",
		"-rootfs-data", "etc/picket/init.json=" + cfgPath,
		"-key", b.key, "-slot-mib", "64", "-data-mib", "32", "-out", out}
	for _, f := range b.e2fsprogs {
		args = append(args, "-rootfs-file", f.Name+"="+f.Source)
	}
	t.Log(strings.TrimSpace(testinput.Run(t, b.imgtool, args...)))
	return out
}

// The product's services, as rootfs/products.bzl lists them for the
// appliance board, in its order (without scannerd and updaterd: this test
// has no platform). The image is the virtual board's, so lcdd is told
// where the appliance's module is: on the second serial port, which it
// opens itself (the test's side of the port is the module's emulator).
// It is the panel daemon init stops last on a power off (stop_last, as
// rootfs/image.bzl marks it). Each runs under its user with the rights
// rootfs/products.bzl gives it on the appliance board (the devices: the
// appliance's console and module ports), which the test checks against
// docs/privileges.md on the booted box.
var productServices = []pid1.ServiceConfig{
	{Name: "netmgrd", Path: "/usr/bin/netmgrd", Args: []string{"-data", "/data/netmgrd", "-panel-uids", "104,105"},
		User: &pid1.UserConfig{UID: 101, GID: 101, Groups: []uint32{apiGroup}, Caps: []string{"CAP_NET_ADMIN", "CAP_NET_BIND_SERVICE", "CAP_NET_RAW"}, Data: "netmgrd", Migrate: []string{"config", "keys"}}},
	{Name: "consoled", Path: "/usr/bin/consoled", Args: []string{"-power", "init"},
		User: &pid1.UserConfig{UID: 104, GID: 104, Groups: []uint32{apiGroup}, Devices: []pid1.DeviceConfig{{Path: "/dev/ttyS0", Write: true}}, Init: []string{"reboot", "poweroff"}}},
	{Name: "lcdd", Path: "/usr/bin/lcdd", Args: []string{"-power", "init", "-display", "serial-module", "-lcd-device", "/dev/ttyS1", "-scanner=", "-updater="}, StopLast: true,
		User: &pid1.UserConfig{UID: 105, GID: 105, Groups: []uint32{apiGroup}, Devices: []pid1.DeviceConfig{{Path: "/dev/ttyS1", Write: true}}, Init: []string{"reboot", "poweroff"}}},
}

// apiGroup is the group of /run/picket (rootfs/products.bzl API_GROUP).
const apiGroup = 100

// rebootOrder is init's console lines of a reboot, in order: the daemons
// stopped, the last started first, so that a daemon can still use those
// it depends on (netmgrd) while it shuts down.
func rebootOrder() []string {
	var lines []string
	for i := len(productServices) - 1; i >= 0; i-- {
		lines = append(lines, productServices[i].Name+" stopped")
	}
	return lines
}

// powerOffOrder is init's console lines of a power off, in order: the
// panel daemon (stop_last) told first that the box is powering off, the
// others stopped as for a reboot, the data partition unmounted, and only
// then the panel daemon told the box is halted, which ends it.
func powerOffOrder() []string {
	var lines, last []string
	for i := len(productServices) - 1; i >= 0; i-- {
		if svc := productServices[i]; svc.StopLast {
			lines = append(lines, svc.Name+" told the box is powering off")
			last = append(last, svc.Name+" told the box is halted", svc.Name+" stopped")
		}
	}
	for i := len(productServices) - 1; i >= 0; i-- {
		if svc := productServices[i]; !svc.StopLast {
			lines = append(lines, svc.Name+" stopped")
		}
	}
	lines = append(lines, "/data unmounted")
	return append(lines, last...)
}

func esp(t *testing.T, disk string) string {
	off, _ := qemuboot.Partition(t, disk, imagebuild.PartBoot)
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

// console is one of the box's serial ports: everything it printed, what
// a terminal on it shows now, and a way to type.
type console struct {
	mu   sync.Mutex
	seen bytes.Buffer
	more chan struct{}
	conn net.Conn
	scr  *qemuboot.Screen
	log  *qemuboot.Console // the same bytes, printed if the test fails
}

func newConsole(log *qemuboot.Console) *console {
	return &console{more: make(chan struct{}, 1), scr: qemuboot.NewScreen(vt100screen.Rows, vt100screen.Cols), log: log}
}

func (c *console) read(conn net.Conn) {
	buf := make([]byte, 4096)
	for {
		n, err := conn.Read(buf)
		if n > 0 {
			c.mu.Lock()
			c.seen.Write(buf[:n])
			c.mu.Unlock()
			c.scr.Write(buf[:n])
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
	return c.waitWithin(t, from, text, guard)
}

// waitWithin is waitFor with its own bound.
func (c *console) waitWithin(t *testing.T, from int, text string, d time.Duration) int {
	t.Helper()
	deadline := time.After(d)
	for {
		out := c.text()
		if i := strings.Index(out[min(from, len(out)):], text); i >= 0 {
			return from + i + len(text)
		}
		select {
		case <-c.more:
		case <-deadline:
			t.Fatalf("%s never showed %q within %v; after offset %d it printed:\n%s", c.log.Name(), text, d, from, tail(out[min(from, len(out)):], 6000))
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
		t.Fatalf("type on %s: %v", c.log.Name(), err)
	}
}

func (c *console) panel() string                  { return c.scr.Panel() }
func (c *console) changed() <-chan struct{}       { return c.scr.Changed() }
func (c *console) press(t *testing.T, key string) { t.Helper(); c.send(t, key) }
func (c *console) screen() string                 { return c.scr.String() }

// frontEnd is a front panel the test works as an operator does: it
// reads the panel picture on screen and presses keys. The console
// (consoled on ttyS0) is a VT100 terminal; the front panel is the serial
// LCD module's emulator on ttyS1's socket (module): its panel is the
// module's display text, press sends its key reports.
type frontEnd interface {
	// panel is the text of the panel picture now shown, its lines joined
	// by a space, without the navigation indicators.
	panel() string
	// changed is closed when what is shown next changes.
	changed() <-chan struct{}
	press(t *testing.T, key string)
	// screen is everything shown, for failure messages.
	screen() string
}

// keyAnswer bounds the wait for a front end to redraw after a key: an
// emulated CPU on a busy machine is slow, but a key that is not answered
// in this time is not going to be.
const keyAnswer = 20 * time.Second

// settle waits until f has redrawn since was (a changed channel taken
// before the key) and then stayed still for a moment, so that a picture
// drawn in several writes is read whole.
func settle(f frontEnd, was <-chan struct{}) {
	select {
	case <-was:
	case <-time.After(keyAnswer):
		return
	}
	for {
		select {
		case <-f.changed():
		case <-time.After(500 * time.Millisecond):
			return
		}
	}
}

// pressUntil presses key on f until its panel satisfies want (up to max
// presses), reading the panel after each: the menu's layout may change,
// the operator's walk does not (press DOWN until SYSTEM REBOOT shows).
func pressUntil(t *testing.T, name string, f frontEnd, key string, max int, what string, want func(panel string) bool) {
	t.Helper()
	for i := 0; ; i++ {
		if want(f.panel()) {
			return
		}
		if i == max {
			t.Fatalf("%s: %s did not show after %d presses of %s; the screen:\n%s", name, what, max, key, f.screen())
		}
		was := f.changed()
		f.press(t, key)
		settle(f, was)
	}
}

// waitPanel waits until f's panel satisfies want.
func waitPanel(t *testing.T, name string, f frontEnd, d time.Duration, what string, want func(panel string) bool) {
	t.Helper()
	deadline := time.After(d)
	for {
		ch := f.changed()
		if want(f.panel()) {
			return
		}
		select {
		case <-ch:
		case <-deadline:
			t.Fatalf("%s: no %s within %v; the screen:\n%s", name, what, d, f.screen())
		}
	}
}

// item matches a menu list screen showing label as its (selected) item.
func item(label string) func(string) bool {
	return func(p string) bool { return strings.HasPrefix(p, label) }
}

// says matches a panel showing text (wrapped however it fits).
func says(text string) func(string) bool {
	return func(p string) bool { return strings.Contains(p, text) }
}

// toMainMenu presses ENTER on f until the menu opens at its first item:
// from the console's first screens (the MAC address) or the idle screen.
func toMainMenu(t *testing.T, name string, f frontEnd) {
	t.Helper()
	pressUntil(t, name, f, "ENTER", 4, "the menu (SETUP NETWORK)", item("SETUP NETWORK"))
}

// confirmOn walks f's main menu to label (DOWN until it shows), opens it,
// and waits for the REALLY ...? prompt; it does not confirm.
func confirmOn(t *testing.T, name string, f frontEnd, label, really string) {
	t.Helper()
	pressUntil(t, name, f, "DOWN", 30, label, item(label))
	pressUntil(t, name, f, "ENTER", 1, really, says(really))
}

// module is the appliance's front panel: the serial LCD module's emulator
// (a CFA-635, 20x4, as the appliance has) serving ttyS1's socket. lcdd
// draws the board's 16x2 at its top left; the keys are pressed and let go
// on its keypad, as a person does.
type module struct {
	emu    *lcdmodule.Module
	served chan error // Serve's end, once the box's port closed

	mu      sync.Mutex
	redrawn chan struct{} // closed at the next change of the display
}

// panelRows and panelCols are the board's panel, at the module's top left.
const panelRows, panelCols = 2, 16

func newModule() *module {
	return &module{emu: lcdmodule.New(lcdmodule.Config{Model: "CFA635"}), served: make(chan error, 1), redrawn: make(chan struct{})}
}

// serve answers lcdd on conn until it closes (the emulator powered off).
func (m *module) serve(conn net.Conn) {
	done := make(chan struct{})
	go func() { m.served <- m.emu.Serve(conn); close(done) }()
	go func() {
		last := m.emu.Codes()
		for {
			select {
			case <-m.emu.Changed():
			case <-done:
				return
			}
			if now := m.emu.Codes(); !slices.EqualFunc(now, last, bytes.Equal) {
				last = now
				m.mu.Lock()
				close(m.redrawn)
				m.redrawn = make(chan struct{})
				m.mu.Unlock()
			}
		}
	}()
}

func (m *module) changed() <-chan struct{} {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.redrawn
}

// panel is the text of the board's 16x2 at the module's top left, rows
// joined by a space, runs of blanks cut to one, without the navigation
// indicators (the module's custom characters, codes 0-7).
func (m *module) panel() string {
	var codes [][]byte
	var text []string
	// The codes and their text from one picture: read again if a command
	// came in between.
	for {
		codes, text = m.emu.Codes(), m.emu.Text()
		if slices.EqualFunc(codes, m.emu.Codes(), bytes.Equal) {
			break
		}
	}
	for r := range text {
		row := []rune(text[r])
		for c := range row {
			if codes[r][c] < 8 {
				row[c] = ' '
			}
		}
		text[r] = string(row)
	}
	return panelText(text)
}

// panelText is the board's 16x2 of a module's text (lcdmodule's Text),
// rows joined by a space, runs of blanks cut to one.
func panelText(text []string) string {
	var words []string
	for _, row := range text[:panelRows] {
		words = append(words, strings.Fields(string([]rune(row)[:panelCols]))...)
	}
	return strings.Join(words, " ")
}

var moduleKeys = map[string]lcdmodule.Key{
	"UP": lcdmodule.KeyUp, "DOWN": lcdmodule.KeyDown, "LEFT": lcdmodule.KeyLeft,
	"RIGHT": lcdmodule.KeyRight, "ENTER": lcdmodule.KeyEnter,
}

func (m *module) press(t *testing.T, key string) {
	t.Helper()
	k, ok := moduleKeys[key]
	if !ok {
		t.Fatalf("the module has no key %q", key)
	}
	for _, send := range []func(lcdmodule.Key) (bool, error){m.emu.Press, m.emu.Release} {
		if sent, err := send(k); err != nil || !sent {
			t.Fatalf("%s on the module's keypad: reported %v, %v (lcdd switches the five keys' reports on)", key, sent, err)
		}
	}
}

func (m *module) screen() string {
	return strings.Join(m.emu.Text(), "\n") + fmt.Sprintf("\n(custom characters as *; %d packets received, %d bytes dropped)", len(m.emu.Received()), m.emu.Dropped())
}

// ledsSetOff checks that lcdd switched the LED dies of S1 (GPIO 11) and
// S2 (GPIO 9) off itself (command 34 with level 0), not merely that they
// were never lit, and that they are off now.
func (m *module) ledsSetOff(t *testing.T, when string) {
	t.Helper()
	set := map[byte][]byte{}
	for _, p := range m.emu.Received() {
		if p.Type == 34 && len(p.Data) >= 2 {
			set[p.Data[0]] = append(set[p.Data[0]], p.Data[1])
		}
	}
	for _, led := range []struct {
		name string
		gpio byte
	}{{"S1", 11}, {"S2", 9}} {
		if levels := set[led.gpio]; !slices.Contains(levels, 0) || m.emu.GPIO(int(led.gpio)) != 0 {
			t.Errorf("%s: LED %s (GPIO %d) set to %v by lcdd, now %d; want switched off, and off", when, led.name, led.gpio, levels, m.emu.GPIO(int(led.gpio)))
		}
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
	con  *console // ttyS0: the kernel's console, init's, consoled's
	lcd  *module  // ttyS1: the serial LCD module lcdd drives
	cmd  *exec.Cmd
	done chan struct{}
}

func powerOn(t *testing.T, boots *qemuboot.Boots, ns *netbench.NS, disk, name string) *box {
	t.Helper()
	dir := qemuboot.Dir(t)
	b := &box{
		con:  newConsole(boots.New(name + ": console (ttyS0)")),
		lcd:  newModule(),
		done: make(chan struct{}),
	}
	var lns []net.Listener
	var args []string
	for _, port := range []string{"con", "lcd"} {
		sock := filepath.Join(dir, port+".sock")
		ln, err := net.Listen("unix", sock)
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		lns = append(lns, ln)
		args = append(args, "-chardev", "socket,id="+port+",path="+sock, "-serial", "chardev:"+port)
	}
	var log bytes.Buffer
	// No -no-reboot: the box's own reboots (trial deadline, refused slot,
	// SYSTEM REBOOT) happen inside this power-on, as on hardware; a power
	// off (SYSTEM SHUTDOWN) ends qemu.
	args = append([]string{"-machine", "q35", "-cpu", "max", "-m", "512",
		"-display", "none", "-monitor", "none", "-nodefaults",
		"-netdev", "tap,id=n0,ifname=tap0,script=no,downscript=no",
		"-device", qemuboot.NICDevice("virtio-net-pci", "n0", mac)}, args...)
	args = append(args, qemuboot.Firmware(t, dir, "/usr/share/OVMF/OVMF_CODE.fd", "/usr/share/OVMF/OVMF_VARS.fd")...)
	args = append(args, qemuboot.DiskDevice(disk, false)...)
	b.cmd = ns.Command(append([]string{"qemu-system-x86_64"}, args...)...)
	b.cmd.Stdout, b.cmd.Stderr = &log, &log
	if err := b.cmd.Start(); err != nil {
		t.Fatalf("start qemu: %v", err)
	}
	go func() { b.cmd.Wait(); close(b.done) }()
	var lcdConn net.Conn
	for i, ln := range lns {
		accepted := make(chan net.Conn, 1)
		go func() {
			c, err := ln.Accept()
			if err == nil {
				accepted <- c
			}
		}()
		select {
		case conn := <-accepted:
			if i == 0 {
				b.con.conn = conn
				go b.con.read(conn)
			} else {
				lcdConn = conn
				b.lcd.serve(conn)
			}
		case <-b.done:
			t.Fatalf("qemu exited before connecting its serial ports: %s", log.String())
		case <-time.After(time.Minute):
			b.cmd.Process.Kill()
			t.Fatalf("qemu never connected its serial ports: %s", log.String())
		}
	}
	t.Cleanup(func() { b.pullPlug(); b.con.conn.Close(); lcdConn.Close() })
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

// stoppedInOrder waits, after offset at of c, for init's lines (its
// rebootOrder or powerOffOrder) in order, and the end of the stops, and
// returns the offset after it. A daemon init had to kill (it did not stop
// on SIGTERM, or on the halted notice, within init's timeout) fails the
// test.
func stoppedInOrder(t *testing.T, c *console, at int, lines []string) int {
	t.Helper()
	from := at
	for _, l := range lines {
		at = c.waitFor(t, at, "init: "+l)
	}
	at = c.waitFor(t, at, "init: all daemons stopped")
	if down := c.text()[from:at]; strings.Contains(down, " killed") {
		t.Errorf("init had to kill a daemon:\n%s", down)
	}
	return at
}

// dataState returns the ext4 superblock's state and features of the
// disk's data partition, as dumpe2fs reads them from the image.
func dataState(t *testing.T, disk string) (state, features string) {
	t.Helper()
	off, _ := qemuboot.Partition(t, disk, imagebuild.PartData)
	out := testinput.Run(t, "dumpe2fs", "-h", fmt.Sprintf("%s?offset=%d", disk, off))
	for _, l := range strings.Split(out, "\n") {
		k, v, ok := strings.Cut(l, ":")
		switch k = strings.TrimSpace(k); {
		case !ok:
		case k == "Filesystem state":
			state = strings.TrimSpace(v)
		case k == "Filesystem features":
			features = strings.TrimSpace(v)
		}
	}
	if state == "" || features == "" {
		t.Fatalf("dumpe2fs of the data partition: no state or features in:\n%s", out)
	}
	return state, features
}

// daemonLog is init's ring log (the daemons' output, lcdd's included) as
// the data partition holds it, read with debugfs without replaying the
// journal: for a failure message, where the serial ports do not show it.
func daemonLog(t *testing.T, disk string) string {
	off, _ := qemuboot.Partition(t, disk, imagebuild.PartData)
	var out []string
	for _, f := range []string{"/log/picket.log.1", "/log/picket.log"} {
		b, err := exec.Command("debugfs", "-R", "cat "+f, fmt.Sprintf("%s?offset=%d", disk, off)).Output()
		if err != nil {
			out = append(out, fmt.Sprintf("(debugfs cat %s: %v)", f, err))
		}
		out = append(out, string(b))
	}
	return strings.Join(out, "")
}

func TestApplianceLife(t *testing.T) {
	for _, tool := range []string{"qemu-system-x86_64", "mksquashfs", "mkfs.vfat", "mkfs.ext4", "mcopy", "dnsmasq", "dumpe2fs", "debugfs"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s is needed (tools/fetch installs it): %v", tool, err)
		}
	}
	bld := newBuilder(t)
	disk := bld.build(t, "1.0.0-test", productServices)
	boots := qemuboot.Keep(t)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("the daemons' log (init's ring log on the data partition, as last written back):\n%s", tail(daemonLog(t, disk), 8000))
		}
	})

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

	// The first power-on lasts three subtests: the box is shut down from
	// its front panel at the end, or the plug pulled if a step failed.
	b := powerOn(t, boots, ns, disk, "first power-on")
	up := t.Run("first boot: console menu and DHCP and slot A good", func(t *testing.T) {
		c := b.con
		at := c.waitFor(t, 0, "picket: booting slot a")
		at = c.waitFor(t, at, "picket: slot a: virtual 1.0.0-test")
		at = c.waitFor(t, at, "signature verified, blocks checked as read")
		at = c.waitFor(t, at, fmt.Sprintf("init: slot a, starting %d daemons", len(productServices)))
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
		// Each daemon ran under its own user with only its rights (as init
		// read them back from /proc), with its devices and data
		// directory: docs/privileges.md's rows of the appliance board.
		var names []string
		for _, svc := range productServices {
			names = append(names, svc.Name)
		}
		qemuboot.CheckRights(t, c.text(), qemuboot.ReadPrivileges(t), "appliance", names, nil)
	})

	up = up && t.Run("SYSTEM REBOOT from the console", func(t *testing.T) {
		c := b.con
		toMainMenu(t, "console", c)
		confirmOn(t, "console", c, "SYSTEM REBOOT", "REALLY REBOOT SYSTEM?")
		from := len(c.text())
		c.press(t, "ENTER")
		at := c.waitFor(t, from, "init: reboot requested")
		at = stoppedInOrder(t, c, at, rebootOrder())
		at = c.waitFor(t, at, "init: rebooting")
		// The same power-on: the firmware, GRUB and the same slot again,
		// back to the console menu.
		at = c.waitFor(t, at, "picket: booting slot a")
		at = c.waitFor(t, at, fmt.Sprintf("init: slot a, starting %d daemons", len(productServices)))
		c.waitFor(t, at, "Press ENTER to start")
		waitPanel(t, "console", c, guard, "the console's first screen", func(string) bool { return strings.Contains(c.screen(), "Press ENTER to start") })
		toMainMenu(t, "console", c)
		// Once the daemons are marked good again, init prints nothing more
		// until the next shutdown.
		c.waitFor(t, at, "init: marked good")
	})

	up = up && t.Run("SYSTEM SHUTDOWN from the front panel", func(t *testing.T) {
		c, lcd := b.con, b.lcd
		// lcdd is up on the module (the box was marked good): nothing
		// scans or updates, so S1 and S2 are off, switched off by lcdd.
		lcd.ledsSetOff(t, "idle")
		dropped := lcd.emu.Dropped()
		toMainMenu(t, "front panel", lcd)
		confirmOn(t, "front panel", lcd, "SYSTEM SHUTDOWN", "REALLY SHUTDOWN SYSTEM?")
		from, drawnFrom, shown := len(c.text()), len(lcd.emu.Received()), lcd.emu.Codes()
		lcd.press(t, "ENTER")
		confirmed := time.Now()
		at := c.waitFor(t, from, "init: power off requested")
		at = stoppedInOrder(t, c, at, powerOffOrder())
		c.waitWithin(t, at, linuxsys.SafeMessage, safeWithin-time.Since(confirmed))
		safe := time.Since(confirmed)
		t.Logf("%q on the console %.1f s after the shutdown was confirmed (spec: within %v)", linuxsys.SafeMessage, safe.Seconds(), safeWithin)
		select {
		case <-b.done:
		case <-time.After(time.Minute):
			t.Fatalf("the emulator is still running a minute after %q: the box did not power off", linuxsys.SafeMessage)
		}
		if strings.Contains(c.text()[at:], "picket: booting") {
			t.Errorf("the box booted again instead of powering off:\n%s", tail(c.text()[at:], 3000))
		}
		t.Logf("the console from the confirmation on:\n%s", tail(c.text()[from:], 3000))
		// Every file system was unmounted, none only remounted read-only
		// because something still held it.
		if down := c.text()[from:]; strings.Contains(down, "init: unmount ") {
			t.Errorf("a file system was busy at the power off:\n%s", down)
		}
		// Every byte lcdd sent from the idle screen to the end was a good
		// packet. (Before lcdd runs, whatever the firmware writes on the
		// port is dropped as not a packet, as a module does.)
		if n := lcd.emu.Dropped() - dropped; n != 0 {
			t.Errorf("the module dropped %d bytes as not a packet while lcdd drove it", n)
		}
		t.Logf("the module: %d packets received, %d bytes dropped in all", len(lcd.emu.Received()), lcd.emu.Dropped())
		// The module keeps the last picture lcdd drew, once init told it
		// the box was halted (after the data partition was unmounted),
		// with the LEDs off: what the spec says the panel shows after
		// shutdown.
		if got, want := lcd.panel(), linuxsys.SafeMessage; got != want {
			t.Errorf("the front panel was left showing %q, want %q; its screen:\n%s", got, want, lcd.screen())
		}
		lcd.ledsSetOff(t, "powered off")
		// What lcdd drew from the ENTER on: SHUTTING DOWN SYSTEM, then
		// the safe message, and no other screen in between (no "starting
		// up" when netmgrd stopped, no menu).
		var pics []string
		for _, p := range lcd.emu.Pictures(shown, lcd.emu.Received()[drawnFrom:]) {
			pics = append(pics, panelText(p))
		}
		i := slices.Index(pics, "SHUTTING DOWN SYSTEM")
		if i < 0 || pics[len(pics)-1] != linuxsys.SafeMessage || slices.ContainsFunc(pics[i:], func(p string) bool {
			return strings.Contains(p, "starting") || strings.Contains(p, "MENU") || strings.Contains(p, "SETUP")
		}) {
			t.Errorf("the pictures on the module after the ENTER:\n%s\nwant SHUTTING DOWN SYSTEM, then nothing but the way to %q", strings.Join(pics, "\n"), linuxsys.SafeMessage)
		}
		select {
		case err := <-lcd.served:
			if err != nil {
				t.Errorf("the module's emulator: %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Error("the module's emulator still serves after the power off")
		}
		// No daemon died in this power-on (init restarts one that does,
		// and says so on the console): lcdd opened the module at its first
		// start, past the firmware's text on the port.
		for _, svc := range productServices {
			if i := strings.Index(c.text(), "init: "+svc.Name+" exited"); i >= 0 {
				t.Errorf("%s died during the power-on: %s", svc.Name, strings.SplitN(c.text()[i:], "\n", 2)[0])
			}
		}
		state, features := dataState(t, disk)
		if state != "clean" || strings.Contains(features, "needs_recovery") {
			t.Errorf("data partition after the shutdown: state %q, features %q; want clean and no journal to replay (unmounted cleanly)", state, features)
		}
		if st := bootState(t, disk); st != (slots.State{Active: "a"}) {
			t.Errorf("boot state %v, want active a", st)
		}
	})
	b.pullPlug()
	if !up {
		return
	}

	t.Run("flipped byte in slot A refused at boot", func(t *testing.T) {
		off, _ := qemuboot.Partition(t, disk, imagebuild.PartRootfsA)
		f, err := os.OpenFile(disk, os.O_RDWR, 0)
		if err != nil {
			t.Fatal(err)
		}
		// The last byte of the squashfs (bytes_used, at offset 40 of
		// its superblock): its tables, which the mount reads through
		// dm-verity, so the block is refused before the slot's init
		// runs. (A block nobody reads at boot is refused when it is
		// read, with the box then rebooting into the other slot:
		// tests/boot.)
		super := make([]byte, 48)
		if _, err := f.ReadAt(super, off); err != nil {
			t.Fatal(err)
		}
		one := make([]byte, 1)
		at := off + int64(binary.LittleEndian.Uint64(super[40:])) - 1
		if _, err := f.ReadAt(one, at); err != nil {
			t.Fatal(err)
		}
		one[0] ^= 0x01
		if _, err := f.WriteAt(one, at); err != nil {
			t.Fatal(err)
		}
		f.Close()
		setBootState(t, disk, slots.State{Active: "b", Trying: "a", Tries: 1})
		// The same power-on meets a data partition that does not mount:
		// a box identity on it, and its root directory's inode zeroed.
		_, key := qemuboot.PlantIdentity(t, disk)
		qemuboot.BreakRootInode(t, disk)
		b := powerOn(t, boots, ns, disk, "slot A altered, data partition broken")
		c := b.con
		i := c.waitFor(t, 0, "picket: booting slot a")
		i = c.waitFor(t, i, "picket: slot a refused: a block does not match the signed hash tree (dm-verity)")
		i = c.waitFor(t, i, "picket: booting slot b")
		i = c.waitFor(t, i, "picket: slot b: virtual 1.0.0-test")
		// init: the mount fails, e2fsck -p stops at the root inode and
		// leaves it to a person (4), e2fsck -y repairs (1), the identity
		// directory is in lost+found and the key is put back.
		i = c.waitFor(t, i, "checking the data partition (e2fsck -p)")
		checking := time.Now()
		i = c.waitFor(t, i, "init: e2fsck -p: exit status 4")
		i = c.waitFor(t, i, "init: e2fsck -y: exit status 1")
		i = c.waitFor(t, i, "init: data partition repaired")
		i = c.waitFor(t, i, "found in /data/lost+found/")
		i = c.waitFor(t, i, "put back: kept")
		t.Logf("the data partition's repair at boot: %v from the failed mount to the identity put back (e2fsck -p, -y, the mount, lost+found)", time.Since(checking).Round(100*time.Millisecond))
		c.waitFor(t, i, "init: marked good")
		if strings.Contains(c.text(), "init: slot a") {
			t.Errorf("the init of the altered slot A ran:\n%s", c.text())
		}
		if down := c.text(); strings.Contains(down, "mke2fs") || strings.Contains(down, "activated again") {
			t.Errorf("the repairable data partition was made again, or its identity given up:\n%s", down)
		}
		// The front panel says so, first thing on its idle screen.
		waitPanel(t, "front panel", b.lcd, guard, "DATA REPAIRED", says("DATA REPAIRED CHECK SETTINGS"))
		b.pullPlug()
		if got := qemuboot.ReadData(t, disk, boxid.KeyFile); !bytes.Equal(got, key) {
			t.Errorf("box identity after the repair: %q, want the key from before, %q", got, key)
		}
		// The pulled plug left the data partition mounted: its journal
		// must be replayed at the next mount. (The control for the clean
		// state the shutdown above leaves.)
		if _, features := dataState(t, disk); !strings.Contains(features, "needs_recovery") {
			t.Errorf("data partition after a pulled plug: features %q, want needs_recovery", features)
		}
		if st := bootState(t, disk); st.Active != "b" || st.Trying == "a" {
			t.Errorf("boot state %v, want active b and A no longer on trial", st)
		}
	})
}
