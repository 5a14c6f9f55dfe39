// Package product_test boots the product image as Bazel builds it, once,
// and walks what an operator meets on a new box: the virtual board's image
// made by the same rule and the same lists as //rootfs:image_virtual
// (rootfs/products.bzl), signed with the same key, for the platform
// platform.picket.test:8443 and a throwaway CA that a build step makes
// (tests/product/devca), so scannerd is in it. It boots in qemu (TCG) under
// OVMF, its NIC on a tap in a network namespace where dnsmasq serves DHCP
// and DNS and the real platformd serves the box API at the address the
// image's platform name resolves to, with the certificate and key the
// same build step made for that CA.
//
// Before the power-on every copy of the data partition's superblock is
// zeroed, with a box identity on it: the init finds it cannot be repaired,
// makes it again and says so (DATA RESET, ACTIVATE AGAIN on the console's
// idle screen), and the box comes up with a new activation code, not the
// lost identity's, and a file system with the image's features.
//
// From the console: GRUB and the initramfs boot slot A and verify it, the
// init starts the image's three daemons (netmgrd, consoled, scannerd), the
// console menu comes up on ENTER, shows the box's MAC address and then the
// activation code. From dnsmasq: the box's lease. From the platform's web
// UI, as a manager uses it: the code on the console activates a pending
// box (so scannerd reached the platform), the box page shows the board,
// the scanner's version, the version of the image's default signature
// database (so scannerd verified the package the image build signed, with
// the release key the image carries) and the leased address the box
// reported, and the
// console then shows the name the platform gave the box, with its address.
// Each daemon ran under its own user with only the rights
// docs/privileges.md gives it, as init read them back from /proc after
// each start and printed them (uid, gid, groups, capability sets,
// no_new_privs), with its devices and data directory; the image's root
// file system holds no shell and no setuid or setgid file.
//
// Under Bazel the image, the CA and the platform's certificate and key are
// data of the test (BUILD.bazel); under go test they are read from
// bazel-bin, built by `tools/offline bazel build //tests/product:all`.
package product_test

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"net"
	"net/netip"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"picket.dev/picket/src/link/platformapi"
	"picket.dev/picket/src/panel/keyevent"
	"picket.dev/picket/src/panel/vt100input"
	"picket.dev/picket/src/system/imagebuild"
	"picket.dev/picket/src/system/manifest"
	"picket.dev/picket/src/testkit/netbench"
	"picket.dev/picket/src/testkit/testinput"
	"picket.dev/picket/src/testkit/webui"
	"picket.dev/picket/tests/qemuboot"
)

func TestMain(m *testing.M) {
	// Bazel runs tests with a bare PATH; dnsmasq and mcopy's friends live
	// in sbin and bin.
	os.Setenv("PATH", os.Getenv("PATH")+":/usr/sbin:/sbin:/usr/bin:/bin")
	os.Exit(m.Run())
}

const (
	// defaultPlatform is what tests/product/BUILD.bazel builds the image
	// for (PICKET_PLATFORM under Bazel).
	defaultPlatform = "platform.picket.test:8443"
	mac             = "52:54:00:5a:03:01"
	webListen       = "127.0.0.1:8444"
	webUser         = "admin"
	webPass         = "product-e2e-Admin-1"
	// guard bounds every wait: a hang guard, not a timing assertion (TCG
	// on a busy 2-core machine is slow).
	guard = 6 * time.Minute
)

var (
	gw        = netip.MustParseAddr("10.98.0.1")
	rangeFrom = netip.MustParseAddr("10.98.0.50")
	rangeTo   = netip.MustParseAddr("10.98.0.60")
	codeRE    = regexp.MustCompile(`\|([0-9A-Z*~$=]{4}-[0-9A-Z*~$=]{4}-[0-9A-Z*~$=]{3}) `)
	nameRE    = regexp.MustCompile(`id="name" value="([^"]*)"`)
	boardRE   = regexp.MustCompile(`<th>Board</th><td>([^<]*)</td>`)
	lanRE     = regexp.MustCompile(`<th>LAN</th><td>([^<]*)</td>`)
	// The box page's versions, each maybe followed by "(latest)" or
	// "(latest is X)"; HTML-escaped ("+" is &#43;).
	versionsRE = regexp.MustCompile(`<td id="box-versions">scanner ([^ ,<]*)[^,<]*, signatures ([^ <]*)`)
	escapeRE   = regexp.MustCompile("\x1b\\[[0-9;?]*[A-Za-z]")
)

// inputs are the build outputs the test boots and serves.
type inputs struct {
	image, ca, cert, key, platformd string
	// repo is the update repository (tests/product:repo): this image's
	// release N, N+1 (+ota1) and the broken N+2 (+ota2).
	repo       string
	host, port string
}

func findInputs(t *testing.T) inputs {
	t.Helper()
	for _, tool := range []string{"qemu-system-x86_64", "dnsmasq", "mcopy", "dumpe2fs", "debugfs", "e2fsck"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s is needed (tools/fetch installs it): %v", tool, err)
		}
	}
	platform := os.Getenv("PICKET_PLATFORM")
	if platform == "" {
		platform = defaultPlatform
	}
	host, port, err := net.SplitHostPort(platform)
	if err != nil {
		t.Fatalf("platform %q: %v", platform, err)
	}
	const target = "//tests/product:all"
	return inputs{
		image:     testinput.Built(t, "PICKET_PRODUCT_IMAGE", "tests/product/image_virtual.img", target),
		ca:        testinput.Built(t, "PICKET_PLATFORM_CA", "tests/product/ca/dev-ca.pem", target),
		cert:      testinput.Built(t, "PICKET_PLATFORM_CERT", "tests/product/ca/dev-cert.pem", target),
		key:       testinput.Built(t, "PICKET_PLATFORM_KEY", "tests/product/ca/dev-key.pem", target),
		repo:      testinput.Built(t, "PICKET_UPDATE_REPO", "tests/product/repo", target),
		platformd: testinput.Command(t, "platformd"),
		host:      host, port: port,
	}
}

// imageVersion is the board and version the image's signed manifest for
// slot A names (read as data: the box verifies the signature itself).
func imageVersion(t *testing.T, image string) manifest.Manifest {
	t.Helper()
	f, err := os.Open(image)
	if err != nil {
		t.Fatal(err)
	}
	parts, err := imagebuild.ReadPartitions(f)
	f.Close()
	if err != nil {
		t.Fatalf("%s: %v", image, err)
	}
	var esp string
	for _, p := range parts {
		if p.Name == imagebuild.PartBoot {
			esp = fmt.Sprintf("%s@@%d", image, p.Offset())
		}
	}
	if esp == "" {
		t.Fatalf("no %s partition in %s: %v", imagebuild.PartBoot, image, parts)
	}
	b, err := imagebuild.ReadFAT(context.Background(), esp, "slot-a.manifest")
	if err != nil {
		t.Fatal(err)
	}
	var signed manifest.SignedManifest
	var m manifest.Manifest
	if err := json.Unmarshal(b, &signed); err != nil {
		t.Fatalf("slot-a.manifest: %v", err)
	}
	if err := json.Unmarshal(signed.Manifest, &m); err != nil {
		t.Fatalf("slot-a.manifest: %v", err)
	}
	return m
}

// shells are programs a root file system of a box must not hold: the
// test's own list (the image build has one too).
var shells = []string{"sh", "bash", "dash", "ash", "busybox", "toybox", "zsh", "ksh", "mksh", "csh", "tcsh", "fish", "python3", "perl"}

// checkRootfs lists the root file system of the image's slot A
// (unsquashfs -lln: modes, numeric owners, paths) and fails on a shell or
// interpreter, a setuid or setgid file, or a file not root's; and checks
// that /etc/passwd and /etc/group name each daemon with the uid and gid
// of docs/privileges.md.
func checkRootfs(t *testing.T, image string, privs qemuboot.Privileges) {
	t.Helper()
	f, err := os.Open(image)
	if err != nil {
		t.Fatal(err)
	}
	parts, err := imagebuild.ReadPartitions(f)
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	off := int64(-1)
	for _, p := range parts {
		if p.Name == imagebuild.PartRootfsA {
			off = p.Offset()
		}
	}
	if off < 0 {
		t.Fatalf("no %s partition in %s", imagebuild.PartRootfsA, image)
	}
	unsquash := func(args ...string) string {
		t.Helper()
		out, err := exec.Command("unsquashfs", append([]string{"-o", strconv.FormatInt(off, 10)}, args...)...).Output()
		if err != nil {
			t.Fatalf("unsquashfs %v (squashfs-tools, which tools/fetch installs): %v", args, err)
		}
		return string(out)
	}
	files := 0
	for _, l := range strings.Split(unsquash("-lln", image), "\n") {
		f := strings.Fields(l)
		if len(f) < 6 || len(f[0]) != 10 {
			continue
		}
		files++
		mode, owner, path := f[0], f[1], f[5]
		if strings.ContainsAny(mode[3:4], "sS") || strings.ContainsAny(mode[6:7], "sS") {
			t.Errorf("the image holds a setuid or setgid file: %s", l)
		}
		if owner != "0/0" {
			t.Errorf("the image holds a file not root's: %s", l)
		}
		if slices.Contains(shells, filepath.Base(path)) {
			t.Errorf("the image holds a shell: %s", l)
		}
	}
	if files < 10 {
		t.Fatalf("unsquashfs listed %d files of the image's root file system", files)
	}
	passwd, group := unsquash("-cat", image, "etc/passwd"), unsquash("-cat", image, "etc/group")
	for name, r := range privs.Daemons {
		if want := fmt.Sprintf("\n%s:x:%d:%d:", name, r.UID, r.GID); !strings.Contains("\n"+passwd, want) {
			t.Errorf("/etc/passwd of the image has no %q:\n%s", want[1:], passwd)
		}
		if want := fmt.Sprintf("\n%s:x:%d:", name, r.GID); !strings.Contains("\n"+group, want) {
			t.Errorf("/etc/group of the image has no %q:\n%s", want[1:], group)
		}
	}
}

// platform is the real platformd in the LAN namespace and a manager's
// browser session on its web UI (on the namespace's loopback).
type platform struct {
	t    *testing.T
	proc *netbench.Proc
	web  *webui.Session
}

func startPlatform(t *testing.T, ns *netbench.NS, in inputs) *platform {
	t.Helper()
	dir := t.TempDir()
	data := filepath.Join(dir, "platform")
	pw := filepath.Join(dir, "admin.pw")
	if err := os.WriteFile(pw, []byte(webPass+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := ns.Try(in.platformd, "-data", data, "-create-user", webUser, "-password-file", pw); err != nil {
		t.Fatalf("platformd -create-user: %v\n%s", err, out)
	}
	p := &platform{t: t}
	p.proc = ns.Start("platformd", in.platformd, "-data", data,
		"-listen", net.JoinHostPort(gw.String(), in.port), "-web-listen", webListen,
		"-cert", in.cert, "-key", in.key, "-updates", in.repo)
	pem, err := os.ReadFile(in.ca)
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(pem) {
		t.Fatalf("%s: no certificate", in.ca)
	}
	// The web UI's certificate is the one the box checks, for the
	// platform's name, issued by the CA in the image.
	p.web = webui.New(t, in.host, roots, func(ctx context.Context, network string) (net.Conn, error) {
		return ns.DialContext(ctx, network, webListen)
	})
	deadline := time.Now().Add(30 * time.Second)
	for _, addr := range []string{net.JoinHostPort(gw.String(), in.port), webListen} {
		for {
			c, err := ns.Dial("tcp", addr)
			if err == nil {
				c.Close()
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("platformd does not listen on %s:\n%s", addr, p.proc.Output())
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	return p
}

// activate activates the box by the code it shows and returns its page's
// path.
func (p *platform) activate(code string) string {
	p.t.Helper()
	box, err := p.web.Activate(code)
	if err != nil {
		p.t.Fatalf("%v\nplatformd:\n%s", err, p.proc.Output())
	}
	return box
}

// serial is the box's serial console: qemu's stdio.
type serial struct {
	con  *qemuboot.Console
	in   io.Writer
	done chan struct{} // closed when qemu exits
	kill func()        // cuts the power and waits for qemu to exit
}

func (s *serial) wait(t *testing.T, from int, text string) int {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), guard)
	defer cancel()
	at, err := s.con.Wait(ctx, s.done, from, text)
	if err != nil {
		t.Fatal(err)
	}
	return at
}

// screen is what the console printed after from, without the terminal's
// escape sequences: the text of each row drawn, one after the other.
func (s *serial) screen(from int) string {
	out := s.con.String()
	return escapeRE.ReplaceAllString(out[min(from, len(out)):], "")
}

// waitScreen waits until re matches the screen after from and returns
// the match.
func (s *serial) waitScreen(t *testing.T, from int, what string, re *regexp.Regexp) []string {
	t.Helper()
	deadline := time.Now().Add(guard)
	for {
		if m := re.FindStringSubmatch(s.screen(from)); m != nil {
			return m
		}
		select {
		case <-s.done:
			t.Fatalf("qemu exited before the console showed %s", what)
		case <-time.After(200 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("the console never showed %s", what)
		}
	}
}

func (s *serial) press(t *testing.T, script string) {
	t.Helper()
	evs, err := keyevent.ParseScript(script)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.in.Write(vt100input.Encode(evs)); err != nil {
		t.Fatalf("type on the console: %v", err)
	}
}

// powerOn boots disk in qemu, its NIC on tap0 of ns: a power-on that
// lasts through the box's own reboots (no -no-reboot: an update's reboot
// into the new slot, the trial deadline, the fallback), writing to disk,
// which the next power-on boots again. kill cuts the power.
func powerOn(t *testing.T, ns *netbench.NS, boots *qemuboot.Boots, disk, name string) *serial {
	t.Helper()
	dir := qemuboot.Dir(t)
	s := &serial{con: boots.New(name), done: make(chan struct{})}
	args := []string{"qemu-system-x86_64", "-machine", "q35", "-cpu", "max", "-m", "512",
		"-display", "none", "-monitor", "none", "-nodefaults",
		"-netdev", "tap,id=n0,ifname=tap0,script=no,downscript=no",
		"-device", qemuboot.NICDevice("virtio-net-pci", "n0", mac),
		// A USB serial adapter (qemu's FTDI FT232) on an xHCI
		// controller: the box loads their drivers for them, and none
		// for hardware it does not have.
		// (always-plugged: attached though its chardev is never opened.)
		"-device", "qemu-xhci,id=xhci", "-chardev", "null,id=usbserial", "-device", "usb-serial,bus=xhci.0,chardev=usbserial,always-plugged=on",
		"-serial", "stdio"}
	args = append(args, qemuboot.Firmware(t, dir, "/usr/share/OVMF/OVMF_CODE.fd", "/usr/share/OVMF/OVMF_VARS.fd")...)
	args = append(args, qemuboot.DiskDevice(disk, false)...)
	cmd := ns.Command(args...)
	cmd.Stdout, cmd.Stderr = s.con, s.con
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	s.in = in
	if err := cmd.Start(); err != nil {
		t.Fatalf("start qemu: %v", err)
	}
	go func() { cmd.Wait(); close(s.done) }()
	s.kill = func() {
		cmd.Process.Kill()
		<-s.done
	}
	t.Cleanup(s.kill)
	return s
}

// writableCopy copies the built image (read-only, and shared with other
// runs) to a file of the test, sparse, for a box that writes its disk.
func writableCopy(t *testing.T, image string) string {
	t.Helper()
	disk := filepath.Join(qemuboot.Dir(t), "disk.img")
	if out, err := exec.Command("cp", "--sparse=always", image, disk).CombinedOutput(); err != nil {
		t.Fatalf("copy the image: %v\n%s", err, out)
	}
	if err := os.Chmod(disk, 0o644); err != nil {
		t.Fatal(err)
	}
	return disk
}

func TestProductImage(t *testing.T) {
	start := time.Now()
	in := findInputs(t)
	m := imageVersion(t, in.image)
	if m.Board != "virtual" {
		t.Fatalf("the image's manifest is for board %q, want virtual", m.Board)
	}
	checkRootfs(t, in.image, qemuboot.ReadPrivileges(t))

	bench := netbench.New(t)
	ns := bench.NS("lan")
	ns.Run("ip", "link", "set", "lo", "up")
	ns.Run("ip", "tuntap", "add", "dev", "tap0", "mode", "tap")
	ns.Run("ip", "addr", "add", gw.String()+"/24", "dev", "tap0")
	ns.Run("ip", "link", "set", "tap0", "up")
	dhcp := netbench.Dnsmasq(ns, netbench.DnsmasqOptions{
		Interface:  "tap0",
		Range4From: rangeFrom, Range4To: rangeTo,
		LeaseTime: time.Hour,
		Router:    gw,
		DNS:       []netip.Addr{gw},
		Domain:    "picket.test",
		DNSPort:   53,
		// The name the image is built for, at the platform's address.
		HostRecords: []netbench.HostRecord{{Name: in.host, Addrs: []netip.Addr{gw}}},
	})
	plat := startPlatform(t, ns, in)
	plat.web.Login(webUser, webPass, "/activate")

	boots := qemuboot.Keep(t)
	disk := writableCopy(t, in.image)
	// The first power-on meets a data partition that cannot be repaired:
	// a box identity on it (as if the box had been activated before), and
	// every copy of its superblock zeroed.
	old, _ := qemuboot.PlantIdentity(t, disk)
	features := qemuboot.DataFeatures(t, disk)
	qemuboot.WipeSuperblocks(t, disk)
	boot := time.Now()
	con := powerOn(t, ns, boots, disk, "product image, first boot")
	at := con.wait(t, 0, "picket: booting slot a")
	at = con.wait(t, at, "picket: slot a: virtual "+m.Version)
	at = con.wait(t, at, "signature verified, blocks checked as read")
	// init: the mount fails, e2fsck finds no superblock (8) and the
	// partition is made again, before any daemon starts.
	at = con.wait(t, at, "checking the data partition (e2fsck -p)")
	checking := time.Now()
	at = con.wait(t, at, "init: e2fsck -p: exit status 8")
	at = con.wait(t, at, "the data partition cannot be repaired")
	at = con.wait(t, at, "new data partition made and mounted")
	t.Logf("the data partition's reset at boot: %v from the failed mount to the new file system mounted (e2fsck -p, mke2fs, the mount)", time.Since(checking).Round(100*time.Millisecond))
	// The product's services for the virtual board: netmgrd, consoled,
	// scannerd (the image has a platform CA, so scannerd is in it) and
	// updaterd.
	at = con.wait(t, at, "init: slot a, starting 4 daemons")
	// The run-time modules the devices called for: the virtio NIC's
	// driver, the xHCI controller's and the FTDI adapter's (qemu's
	// devices), ext4 and 802.1Q (asked for by name); none for the
	// Intel ports, VMware's NIC or a USB Ethernet adapter, absent here.
	// The USB adapter comes up after the controller's driver is loaded,
	// so init loads its driver either in its first look at the devices
	// or from the device's uevent ("init: device ...: loaded ...").
	con.wait(t, 0, "ftdi_sio")
	loadedRE := regexp.MustCompile(`init: (?:\d+ of \d+ modules loaded in [^:]+|device \S+: loaded)(?::)? ([^\r\n]*)`)
	var mods string
	for _, m := range loadedRE.FindAllStringSubmatch(con.con.String(), -1) {
		mods += " " + strings.ReplaceAll(m[1], ",", "")
	}
	if mods == "" {
		t.Fatal("init printed no list of the run-time modules it loaded")
	}
	for _, m := range []string{"virtio_net", "xhci_pci", "ftdi_sio", "usbserial", "ext4", "8021q"} {
		if !strings.Contains(mods+" ", " "+m+" ") {
			t.Errorf("run-time modules: %s not loaded: %q", m, mods)
		}
	}
	for _, m := range []string{"e1000e", "igb", "igc", "vmxnet3", "r8152", "cdc_ether", "pl2303"} {
		if strings.Contains(mods+" ", " "+m+" ") {
			t.Errorf("run-time modules: %s loaded without its device: %q", m, mods)
		}
	}
	at = con.wait(t, at, "Press ENTER to start")
	toMenu := time.Since(boot)
	con.press(t, "ENTER")
	// The MAC address and the idle screen together (the guide: ENTER
	// displays the console and the MAC address; the next ENTER is the
	// menu's).
	at = con.wait(t, at, "MAC address of LAN: "+mac)
	// The idle screen says the data was reset, and (RIGHT) that the box
	// must be activated again; the operator then opens the menu and
	// leaves it (the last item, EXIT THIS MENU), which puts those pages
	// away.
	at = con.wait(t, at, "DATA RESET")
	at = con.wait(t, at, "DEFAULTS IN USE")
	con.press(t, "RIGHT")
	at = con.wait(t, at, "ACTIVATE AGAIN")
	at = con.wait(t, at, "NEW BOX IDENTITY")
	con.press(t, "ENTER DOWN*30 ENTER")

	// The idle screen: the activation code, once scannerd has reached the
	// platform (the code is derived from the box's own key, so the
	// platform knows it only from the box's polls). On the console's 16x2
	// frame the title and the navigation indicators do not fit one row,
	// so the code is on the top row, drawn before ACTIVATION CODE under
	// it: the code is looked for on all that was drawn since the ENTER.
	shown := at
	at = con.wait(t, at, "ACTIVATION CODE")
	code := con.waitScreen(t, shown, "an activation code", codeRE)[1]
	if _, err := platformapi.NormalizeCode(code); err != nil {
		t.Fatalf("the console shows activation code %q: %v", code, err)
	}
	// A new identity: the code is not the one of the key that was on
	// the lost partition.
	if code == old.Code() {
		t.Fatalf("the box shows activation code %s, the one of the identity on the data partition it lost", code)
	}
	toCode := time.Since(boot)

	if err := dhcp.WaitLog("DHCPACK", guard); err != nil {
		t.Fatalf("no DHCP lease: %v\n%s", err, dhcp.Log())
	}
	var lease string
	for _, l := range strings.Split(dhcp.Leases(), "\n") {
		if f := strings.Fields(l); len(f) >= 3 && strings.EqualFold(f[1], mac) {
			lease = f[2]
		}
	}
	if lease == "" {
		t.Fatalf("no lease for %s in:\n%s", mac, dhcp.Leases())
	}

	// The manager types the code into the platform's web UI: it names a
	// box waiting for activation.
	box := plat.activate(code)
	_, page := plat.web.Do("GET", box, nil)
	name := nameRE.FindStringSubmatch(page)
	if name == nil || name[1] == "" {
		t.Fatalf("the activated box's page has no name:\n%s", page)
	}
	boxName := html.UnescapeString(name[1])
	// Poll every 10 s (the default is 180 s), so that what the platform
	// says later reaches the box soon: set before the box's next poll,
	// which then brings it.
	plat.web.Post(box, box+"/settings", url.Values{"name": {boxName}, "poll_interval": {"10"}, "ipv6_method": {"off"}})
	// The box learns it is active at its next poll (15 s while waiting
	// for activation) and shows its name and address: <NAME>-<IP>, on one
	// row or two.
	con.waitScreen(t, at, "the name "+boxName+" and the address "+lease,
		regexp.MustCompile(regexp.QuoteMeta(boxName)+`-(?:[^|\n]*\|[ ]*\|)?`+regexp.QuoteMeta(lease)+`[ |]`))
	toActive := time.Since(boot)

	// What the box reported to the platform.
	deadline := time.Now().Add(guard)
	for {
		_, page = plat.web.Do("GET", box, nil)
		board, lan, ver := boardRE.FindStringSubmatch(page), lanRE.FindStringSubmatch(page), versionsRE.FindStringSubmatch(page)
		if board != nil && lan != nil && ver != nil && strings.Contains(lan[1], lease) {
			ver[1], ver[2] = html.UnescapeString(ver[1]), html.UnescapeString(ver[2])
			if board[1] != "virtual" {
				t.Errorf("the platform says the box is board %q, want virtual", board[1])
			}
			if ver[1] != m.Version {
				t.Errorf("the platform says the scanner is version %q, want the image's %q", ver[1], m.Version)
			}
			// scannerd verified the image's default signature package
			// with the image's release key and reports its version.
			if want := sourceVersion(t); ver[2] != want {
				t.Errorf("the platform says the signatures are version %q, want the image's default %q (the version line of $PICKET_SIGNATURES_SOURCE)", ver[2], want)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the platform never showed the box's LAN address %s:\n%s", lease, page)
		}
		time.Sleep(time.Second)
	}

	// Every daemon stayed up for the init's stable period.
	good := con.wait(t, 0, "init: marked good")
	toGood := time.Since(boot)
	// The new file system has the features of the one the image was
	// built with (the box's mke2fs and the build's share their options).
	if got := qemuboot.DataFeatures(t, disk); got != features {
		t.Errorf("the data partition the box made has features %q; the image's had %q", got, features)
	}
	// Each daemon ran under its own user with only its rights, as init
	// read them back from /proc after each start, had its devices (the
	// booted slot is A, partition 2 of the virtual board's disk) and its
	// data directory: docs/privileges.md's tables.
	privs := qemuboot.ReadPrivileges(t)
	daemons := []string{"netmgrd", "consoled", "scannerd", "updaterd"}
	// The daemons that need the network started once the network
	// manager answered on its socket, then each when the CPU had time to
	// spare (docs/architecture.md, init): init says so, and reads their
	// rights back only after their start.
	booted := con.con.String()[:good]
	if ready := strings.Index(booted, "init: netmgrd ready: /run/picket/netmgr.sock answers"); ready < 0 {
		t.Errorf("the console never said the network manager was ready (init: netmgrd ready: ...)")
	} else {
		prev := ready
		for _, d := range []string{"scannerd", "updaterd"} {
			turn := strings.Index(booted, "init: "+d+" starts: the CPU ")
			if turn < prev {
				t.Errorf("init said %q at console offset %d, want it after offset %d (the network manager ready, then scannerd's turn, then updaterd's)", "init: "+d+" starts: the CPU ...", turn, prev)
			}
			if i := strings.Index(booted, "init: "+d+" rights"); i < turn {
				t.Errorf("%s's rights read at console offset %d, before its turn (offset %d): it started too soon", d, i, turn)
			}
			prev = turn
		}
	}
	slotsA := map[string]string{"idle slot": "/dev/vda3", "booted slot": "/dev/vda2"}
	qemuboot.CheckRights(t, booted, privs, "virtual", daemons, slotsA)

	o := &ota{t: t, ns: ns, boots: boots, disk: disk, plat: plat, box: box, name: boxName, con: con, from: m.Version}
	o.run()
	// The daemons of every boot of the last power-on (the new slot B, the
	// broken release's trial on A, the fallback to B), whose slots change
	// from boot to boot: the slots' devices are left out.
	qemuboot.CheckRights(t, o.con.con.String(), privs, "virtual", daemons, nil)
	t.Logf("boot to the console prompt %v, to the activation code %v, to active %v, marked good %v; whole test %v",
		toMenu.Round(time.Second), toCode.Round(time.Second), toActive.Round(time.Second), toGood.Round(time.Second), time.Since(start).Round(time.Second))
}

// sourceVersion reads the version line of the header of the image's
// default signature database source (docs/signatures.md), read as text.
func sourceVersion(t *testing.T) string {
	t.Helper()
	src := testinput.Path(t, "PICKET_SIGNATURES_SOURCE", func() string {
		return filepath.Join(testinput.ModuleRoot(t), "src/scan/sigdb/starter/starter.sigs")
	})
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatalf("the image's signature source (PICKET_SIGNATURES_SOURCE): %v", err)
	}
	m := regexp.MustCompile(`(?m)^version: *(\S+)$`).FindSubmatch(b)
	if m == nil {
		t.Fatal("the image's signature source has no version line")
	}
	return string(m[1])
}

// ota walks the box's over-the-air updates from release N (the image it
// booted) as an operator and a release manager meet them: the box's
// management traffic goes through squid (set on the console), the
// manager rolls releases out on the platform's Releases page, and what the
// box does is read on its console and on the platform.
type ota struct {
	t     *testing.T
	ns    *netbench.NS
	boots *qemuboot.Boots
	disk  string
	plat  *platform
	box   string // the box's page on the platform
	name  string
	con   *serial
	from  string // release N
	// timeline is what happened when, for the note.
	timeline []string
	start    time.Time
}

var (
	updaterRE = regexp.MustCompile(`<td id="box-updater">([^<]*)</td>`)
	versionRE = regexp.MustCompile(`<td id="box-versions">scanner ([^ ,<]*)`)
)

func (o *ota) mark(format string, args ...any) {
	line := fmt.Sprintf("%6.1fs  ", time.Since(o.start).Seconds()) + fmt.Sprintf(format, args...)
	o.timeline = append(o.timeline, line)
	o.t.Log("OTA " + line)
}

// boxState is the scanner version and updater state the box reported.
func (o *ota) boxState() (version, updater string) {
	_, page := o.plat.web.Do("GET", o.box, nil)
	if m := versionRE.FindStringSubmatch(page); m != nil {
		version = html.UnescapeString(m[1])
	}
	if m := updaterRE.FindStringSubmatch(page); m != nil {
		updater = html.UnescapeString(m[1])
	}
	return version, updater
}

// waitBox waits until the box reports what ok accepts.
func (o *ota) waitBox(what string, ok func(version, updater string) bool) (string, string) {
	o.t.Helper()
	deadline := time.Now().Add(guard)
	for {
		v, u := o.boxState()
		if ok(v, u) {
			return v, u
		}
		if time.Now().After(deadline) {
			o.t.Fatalf("the box never reported %s; it reports scanner %q, updater %q\nplatformd:\n%s", what, v, u, o.plat.proc.Output())
		}
		time.Sleep(time.Second)
	}
}

// rollOut starts a rollout of the virtual board's release version to
// every box, on the Releases page as a manager does.
func (o *ota) rollOut(version string) {
	o.t.Helper()
	o.plat.web.Post("/releases", "/releases", url.Values{"channel": {"software/virtual"}, "action": {"start"},
		"version": {version}, "stage": {"percent"}, "percent": {"100"}})
	o.mark("rollout of %s to 100%% of the boxes started", version)
}

// wait waits for text on the console after at; on failure it says what
// the box last reported to the platform.
func (o *ota) wait(at int, text string) int {
	o.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), guard)
	defer cancel()
	next, err := o.con.con.Wait(ctx, o.con.done, at, text)
	if err != nil {
		v, u := o.boxState()
		o.t.Fatalf("%v; the box last reported scanner %q, updater %q\nOTA timeline so far:\n%s", err, v, u, strings.Join(o.timeline, "\n"))
	}
	return next
}

// busyRE is the console's sign that the updater has an update in hand:
// LED S2 lit, or the idle screen's UPDATING nn%.
var busyRE = regexp.MustCompile(`LED S2 \(update running\): on|UPDATING +[0-9]+%`)

// waitBusy waits until the box shows an update of version in hand: on
// the console (after from), which reads updater.sock every second (the
// terminal redraws only what changed, so LED S2's line may not come whole),
// or in what it reported to the platform (a heartbeat every poll).
func (o *ota) waitBusy(from int, version string) string {
	o.t.Helper()
	deadline := time.Now().Add(guard)
	for next := time.Now(); ; time.Sleep(100 * time.Millisecond) {
		if m := busyRE.FindString(o.con.screen(from)); m != "" {
			return "console: " + m
		}
		if time.Now().After(next) {
			v, u := o.boxState()
			if strings.Contains(u, version) && !strings.HasPrefix(u, "failed") {
				return "platform: " + u
			}
			if time.Now().After(deadline) {
				o.t.Fatalf("the box never showed an update of %s in hand; it reports scanner %q, updater %q", version, v, u)
			}
			next = time.Now().Add(time.Second)
		}
	}
}

func (o *ota) run() {
	t := o.t
	o.start = time.Now()
	v1, v2 := o.from+"+ota1", o.from+"+ota2"

	// The box's management traffic through the customer's proxy: squid
	// on the gateway, port 3128, set on the console (ENABLE PROXY, the
	// host pre-filled with the gateway, port 3128, no user).
	squid := netbench.Squid(o.ns, netbench.SquidOptions{Listen: netip.AddrPortFrom(gw, 3128), ConnectPorts: []int{8443},
		Hosts: []netbench.HostRecord{{Name: "platform.picket.test", Addrs: []netip.Addr{gw}}}})
	o.con.press(t, `ENTER DOWN*4 ENTER ENTER ENTER CLEAR "3128" ENTER ENTER ENTER ENTER`)
	if err := squid.WaitAccessLogLine(guard, "CONNECT", "platform.picket.test:8443"); err != nil {
		t.Fatalf("the box's polls never went through the proxy: %v\nsquid:\n%s\nconsole:\n%s", err, squid.AccessLog(), o.con.screen(0))
	}
	o.mark("proxy enabled on the console; the box reaches the platform through squid")

	// N+1, with a power cut at a random point of its install.
	seed := time.Now().UnixNano()
	cut := time.Duration(seed%3000) * time.Millisecond
	from := len(o.con.con.String())
	o.rollOut(v1)
	o.mark("update in hand (%s)", o.waitBusy(from, v1))
	time.Sleep(cut)
	o.con.kill()
	o.mark("power cut %v later (seed %d)", cut, seed)
	o.con = powerOn(t, o.ns, o.boots, o.disk, "after the power cut during the install of "+v1)
	o.wait(0, "signature verified, blocks checked as read")
	o.mark("powered on again: a verified slot boots")
	// The install goes on (or the new slot's trial boot comes again,
	// when the cut came after the reboot into it) until slot b runs N+1.
	at := o.wait(0, "picket: slot b: virtual "+v1)
	at = o.wait(at, "signature verified, blocks checked as read")
	o.mark("booting slot b, %s, verified", v1)
	at = o.wait(at, "init: marked good")
	o.mark("slot b marked good (the box reached the platform from it)")
	o.waitBox("scanner "+v1, func(v, _ string) bool { return v == v1 })
	o.mark("the platform shows scanner %s", v1)
	if err := squid.WaitAccessLogLine(guard, "CONNECT", "platform.picket.test:8443"); err != nil {
		t.Fatal(err)
	}

	// N+2 never reaches the platform: one trial boot, then back to N+1.
	o.rollOut(v2)
	at = o.wait(at, "picket: slot a: virtual "+v2)
	o.mark("rebooted into slot a, %s", v2)
	at = o.wait(at, "used up its tries; falling back to slot b")
	o.mark("the trial ran out: GRUB falls back to slot b")
	at = o.wait(at, "picket: slot b: virtual "+v1)
	o.wait(at, "signature verified, blocks checked as read")
	_, u := o.waitBox(v2+" reported as failed", func(v, u string) bool { return v == v1 && strings.HasPrefix(u, "failed") && strings.Contains(u, v2) })
	o.mark("back on %s; the box reports %q", v1, u)

	// A downgrade to N: the platform offers nothing older than what runs,
	// and the box stays on N+1 (its own refusal of an older release a
	// platform names is tested in tests/updater).
	o.rollOut(o.from)
	time.Sleep(20 * time.Second) // two polls
	if v, u := o.boxState(); v != v1 || strings.Contains(u, o.from+" ") {
		t.Errorf("after a rollout of the older %s the box reports scanner %q, updater %q; want %s and nothing of the older release", o.from, v, u, v1)
	}
	o.mark("rollout of the older %s: the box stays on %s", o.from, v1)
	t.Logf("OTA timeline:\n%s", strings.Join(o.timeline, "\n"))
}
