package modload

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"picket.dev/picket/src/system/kmod"
)

// kernel stands in for sysfs and finit_module: loading a driver of a
// bus brings that bus's devices up, as the kernel's probe does.
type kernel struct {
	t      *testing.T
	mu     sync.Mutex // modules load concurrently
	sysfs  string
	loads  []string
	brings map[string]map[string]string // module -> device path -> modalias
	fail   map[string]error
	list   []kmod.Module // the loader's, if not list
	// Loads in progress now, and the most at once.
	busy, most int
}

func (k *kernel) device(path, modalias string) {
	dir := filepath.Join(k.sysfs, path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		k.t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "modalias"), []byte(modalias+"\n"), 0o444); err != nil {
		k.t.Fatal(err)
	}
}

func (k *kernel) load(path string) error {
	n := kmod.Name(path)
	k.mu.Lock()
	defer k.mu.Unlock()
	l := k.list
	if l == nil {
		l = list
	}
	for _, m := range l {
		if m.Name() != n {
			continue
		}
		for _, d := range m.Needs {
			if !slices.Contains(k.loads, d) {
				k.t.Errorf("%s loaded before %s, which it needs", n, d)
			}
		}
	}
	k.loads = append(k.loads, n)
	if err := k.fail[n]; err != nil {
		return err
	}
	for p, a := range k.brings[n] {
		k.device(p, a)
	}
	return nil
}

var list = []kmod.Module{
	{Path: "/lib/modules/virtio_ring.ko"},
	{Path: "/lib/modules/virtio.ko", Needs: []string{"virtio_ring"}},
	{Path: "/lib/modules/virtio_pci.ko", Needs: []string{"virtio", "virtio_ring"}, Aliases: []string{"pci:v00001AF4d*sv*sd*bc*sc*i*"}},
	{Path: "/lib/modules/virtio_blk.ko", Needs: []string{"virtio", "virtio_ring"}, Aliases: []string{"virtio:d00000002v*"}},
	{Path: "/lib/modules/virtio_net.ko", Needs: []string{"virtio", "virtio_ring"}, Aliases: []string{"virtio:d00000001v*"}},
	{Path: "/lib/modules/e1000e.ko", Aliases: []string{"pci:v00008086d000010D3sv*sd*bc*sc*i*"}},
	{Path: "/lib/modules/usbnet.ko"},
	{Path: "/lib/modules/r8152.ko", Needs: []string{"usbnet"}, Aliases: []string{"usb:v0BDAp8153d*dc*dsc*dp*ic*isc*ip*in*"}},
	{Path: "/lib/modules/squashfs.ko"},
}

func TestScanThenHotplug(t *testing.T) {
	k := &kernel{t: t, sysfs: t.TempDir(), brings: map[string]map[string]string{
		"virtio_pci": {
			"bus/virtio/devices/virtio0": "virtio:d00000001v00001AF4",
			"bus/virtio/devices/virtio1": "virtio:d00000002v00001AF4",
		},
	}}
	k.device("bus/pci/devices/0000:00:02.0", "pci:v00001AF4d00001000sv00001AF4sd00000001bc02sc00i00")
	k.device("bus/pci/devices/0000:00:03.0", "pci:v00001AF4d00001001sv00001AF4sd00000002bc01sc00i00")
	k.device("bus/platform/devices/serial8250", "platform:serial8250")
	l := &Loader{List: list, Sysfs: k.sysfs, Load: k.load}
	got, err := l.Scan()
	if err != nil {
		t.Fatal(err)
	}
	// The PCI driver and squashfs (a file system: always), then the
	// virtio devices the PCI driver brought up, named in the list's
	// order. No e1000e, r8152 or their library: no such device.
	want := []string{"virtio_ring", "virtio", "virtio_pci", "virtio_blk", "virtio_net", "squashfs"}
	if !reflect.DeepEqual(got, want) || !sameSet(k.loads, want) {
		t.Fatalf("scan loaded %v (kernel saw %v), want %v", got, k.loads, want)
	}
	if again, err := l.Scan(); err != nil || len(again) != 0 {
		t.Errorf("second scan loaded %v (%v), want nothing", again, err)
	}
	// A USB NIC plugged in later: its driver and library, once.
	got, err = l.Device("usb:v0BDAp8153d3000dc00dsc00dp00icFFisc00ip00in00")
	if err != nil || !reflect.DeepEqual(got, []string{"usbnet", "r8152"}) {
		t.Errorf("hotplug loaded %v (%v), want [usbnet r8152]", got, err)
	}
	if got, _ := l.Device("usb:v0BDAp8153d3000dc00dsc00dp00icFFisc00ip00in00"); len(got) != 0 {
		t.Errorf("the same device again loaded %v", got)
	}
}

func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}

func TestFailedModuleDoesNotStopOthers(t *testing.T) {
	k := &kernel{t: t, sysfs: t.TempDir(), fail: map[string]error{
		"virtio_pci": unix.ENODEV,
		"squashfs":   unix.EEXIST, // built in: fine
	}}
	k.device("bus/pci/devices/0000:00:02.0", "pci:v00001AF4d00001000sv00001AF4sd00000001bc02sc00i00")
	l := &Loader{List: list, Sysfs: k.sysfs, Load: k.load}
	got, err := l.Scan()
	if !errors.Is(err, unix.ENODEV) {
		t.Errorf("error %v, want the failed module's ENODEV", err)
	}
	if !reflect.DeepEqual(got, []string{"virtio_ring", "virtio", "squashfs"}) {
		t.Errorf("loaded %v", got)
	}
	// Not tried again at every scan.
	before := len(k.loads)
	if _, err := l.Scan(); err != nil || len(k.loads) != before {
		t.Errorf("rescan tried %v again (%v)", k.loads[before:], err)
	}
}

// TestWaitWhileAProbeHangs: the initramfs mounts with the file system
// modules while a controller it does not boot from still probes.
func TestWaitWhileAProbeHangs(t *testing.T) {
	k := &kernel{t: t, sysfs: t.TempDir(), brings: map[string]map[string]string{
		"virtio_pci": {"bus/virtio/devices/virtio1": "virtio:d00000002v00001AF4"},
	}}
	k.device("bus/pci/devices/0000:00:1f.2", "pci:v00008086d00002922sv00001AF4sd00001100bc01sc06i01")
	k.device("bus/pci/devices/0000:00:03.0", "pci:v00001AF4d00001001sv00001AF4sd00000002bc01sc00i00")
	probing := make(chan struct{})
	release := make(chan struct{})
	l := &Loader{Sysfs: k.sysfs, List: append([]kmod.Module{
		{Path: "/lib/modules/libata.ko"},
		{Path: "/lib/modules/ahci.ko", Needs: []string{"libata"}, Aliases: []string{"pci:v*d*sv*sd*bc01sc06i01*"}},
	}, list...), Load: func(p string) error {
		if kmod.Name(p) == "ahci" {
			close(probing)
			<-release // the SATA ports' reset
		}
		return k.load(p)
	}}
	waited := make(chan struct{})
	go func() {
		l.Wait("squashfs", "nvme") // nvme: no scan chooses it
		close(waited)
	}()
	scanned := make(chan []string)
	go func() {
		got, err := l.Scan()
		if err != nil {
			t.Error(err)
		}
		scanned <- got
	}()
	<-probing
	select {
	case <-waited:
	case <-time.After(time.Minute):
		t.Fatal("Wait for squashfs did not return while ahci probed")
	}
	select {
	case got := <-scanned:
		t.Fatalf("Scan returned %v while ahci still probed", got)
	default:
	}
	// The virtio disk that virtio_pci brought up has its driver,
	// though the scan that found it is not over.
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(10 * time.Millisecond) {
		k.mu.Lock()
		blk := slices.Contains(k.loads, "virtio_blk")
		k.mu.Unlock()
		if blk {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("virtio_blk not loaded while ahci probed")
		}
	}
	close(release)
	if got := <-scanned; !reflect.DeepEqual(got, []string{"libata", "ahci", "virtio_ring", "virtio", "virtio_pci", "virtio_blk", "squashfs"}) {
		t.Errorf("Scan loaded %v", got)
	}
}

// TestLoadedBeforeNotLoadedAgain: the init finds the initramfs's modules
// loaded (/sys/module/<name>/initstate, which the kernel makes for a
// loaded module and not for a built-in one) and neither loads nor
// reports them again; a module a virtio device needs is still there for
// the ones that are not.
func TestLoadedBeforeNotLoadedAgain(t *testing.T) {
	k := &kernel{t: t, sysfs: t.TempDir(), loads: []string{"virtio_ring", "virtio", "virtio_pci"}}
	k.device("bus/pci/devices/0000:00:02.0", "pci:v00001AF4d00001000sv00001AF4sd00000001bc02sc00i00")
	k.device("bus/virtio/devices/virtio0", "virtio:d00000001v00001AF4")
	for _, m := range []string{"virtio_ring", "virtio", "virtio_pci"} {
		k.device("module/"+m, "") // a directory to hold initstate
		if err := os.WriteFile(filepath.Join(k.sysfs, "module", m, "initstate"), []byte("live\n"), 0o444); err != nil {
			t.Fatal(err)
		}
	}
	// Built in: a directory without initstate.
	k.device("module/squashfs", "")
	l := &Loader{List: list, Sysfs: k.sysfs, Load: k.load}
	got, err := l.Scan()
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"virtio_net", "squashfs"}; !reflect.DeepEqual(got, want) {
		t.Errorf("loaded %v, want %v", got, want)
	}
	if want := []string{"virtio_ring", "virtio", "virtio_pci", "virtio_net", "squashfs"}; !sameSet(k.loads, want) {
		t.Errorf("the kernel was asked for %v, want %v", k.loads, want)
	}
}

// sata is list with a SATA controller's modules after the virtio ones,
// as a board lists its likeliest boot disk first: its PCI driver, a
// library, and the SCSI disk driver for the disks it finds.
var sata = append(slices.Clone(list[:5]),
	kmod.Module{Path: "/lib/modules/libata.ko"},
	kmod.Module{Path: "/lib/modules/ahci.ko", Needs: []string{"libata"}, Aliases: []string{"pci:v*d*sv*sd*bc01sc06i01*"}},
	kmod.Module{Path: "/lib/modules/sd_mod.ko", Aliases: []string{"scsi:t-0x00*"}},
	kmod.Module{Path: "/lib/modules/crc16.ko"},
	kmod.Module{Path: "/lib/modules/ext4.ko", Needs: []string{"crc16"}},
)

// serial wraps k.load for a Loader with Enough: it counts the loads at
// once, so a test sees the drivers' lane load one at a time.
func (k *kernel) serial(path string) error {
	k.mu.Lock()
	k.busy++
	k.most = max(k.most, k.busy)
	k.mu.Unlock()
	time.Sleep(time.Millisecond) // a load takes time: overlaps would show
	err := k.load(path)
	k.mu.Lock()
	k.busy--
	k.mu.Unlock()
	return err
}

func (k *kernel) loaded(name string) bool {
	k.mu.Lock()
	defer k.mu.Unlock()
	return slices.Contains(k.loads, name)
}

// TestEnoughLeavesOtherDisksOut: on q35 the boot disk is virtio's and an
// AHCI controller is present too. Once the virtio disk is up, the SATA
// drivers and their library are left out; the file system asked for by
// name and its library load regardless.
func TestEnoughLeavesOtherDisksOut(t *testing.T) {
	k := &kernel{t: t, sysfs: t.TempDir(), list: sata, brings: map[string]map[string]string{
		"virtio_pci": {"bus/virtio/devices/virtio1": "virtio:d00000002v00001AF4"},
		"ahci":       {"bus/scsi/devices/0:0:0:0": "scsi:t-0x00"},
	}}
	k.device("bus/pci/devices/0000:00:1f.2", "pci:v00008086d00002922sv00001AF4sd00001100bc01sc06i01")
	k.device("bus/pci/devices/0000:00:03.0", "pci:v00001AF4d00001001sv00001AF4sd00000002bc01sc00i00")
	l := &Loader{List: sata, Sysfs: k.sysfs, Load: k.load, Enough: func() bool { return k.loaded("virtio_blk") }}
	got, err := l.Scan()
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"virtio_ring", "virtio", "virtio_pci", "virtio_blk", "crc16", "ext4"}; !reflect.DeepEqual(got, want) || !sameSet(k.loads, want) {
		t.Errorf("loaded %v (the kernel saw %v), want %v", got, k.loads, want)
	}
	if want := []string{"libata", "ahci"}; !reflect.DeepEqual(l.LeftOut(), want) {
		t.Errorf("left out %v, want %v", l.LeftOut(), want)
	}
	// A later scan leaves them out again, and says nothing was loaded.
	if again, err := l.Scan(); err != nil || len(again) != 0 || k.loaded("ahci") {
		t.Errorf("second scan loaded %v (%v), kernel %v", again, err, k.loads)
	}
}

// TestEnoughLoadsUntilTheDiskIsUp: a box that boots from SATA has no
// virtio devices: ahci finds the disk, then its SCSI driver brings it
// up, each driver one at a time; Enough is asked again after each.
func TestEnoughLoadsUntilTheDiskIsUp(t *testing.T) {
	k := &kernel{t: t, sysfs: t.TempDir(), list: sata, brings: map[string]map[string]string{
		"ahci": {"bus/scsi/devices/0:0:0:0": "scsi:t-0x00"},
	}}
	k.device("bus/pci/devices/0000:00:1f.2", "pci:v00008086d00002922sv00001AF4sd00001100bc01sc06i01")
	l := &Loader{List: sata, Sysfs: k.sysfs, Load: k.serial, Enough: func() bool { return k.loaded("sd_mod") }}
	got, err := l.Scan()
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"libata", "ahci", "sd_mod", "crc16", "ext4"}; !reflect.DeepEqual(got, want) {
		t.Errorf("loaded %v, want %v", got, want)
	}
	if len(l.LeftOut()) != 0 {
		t.Errorf("left out %v", l.LeftOut())
	}
}

// TestLaneOneAtATime: with Enough never true, every driver called for
// loads, the drivers one after the other in the list's order (a rescan
// that finds the virtio disk puts its driver before the SATA ones still
// waiting).
func TestLaneOneAtATime(t *testing.T) {
	k := &kernel{t: t, sysfs: t.TempDir(), list: sata[:8], brings: map[string]map[string]string{
		"virtio_pci": {"bus/virtio/devices/virtio1": "virtio:d00000002v00001AF4"},
		"ahci":       {"bus/scsi/devices/0:0:0:0": "scsi:t-0x00"},
	}}
	k.device("bus/pci/devices/0000:00:1f.2", "pci:v00008086d00002922sv00001AF4sd00001100bc01sc06i01")
	k.device("bus/pci/devices/0000:00:03.0", "pci:v00001AF4d00001001sv00001AF4sd00000002bc01sc00i00")
	l := &Loader{List: sata[:8], Sysfs: k.sysfs, Load: k.serial, Enough: func() bool { return false }}
	got, err := l.Scan()
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"virtio_ring", "virtio", "virtio_pci", "virtio_blk", "libata", "ahci", "sd_mod"}
	if !reflect.DeepEqual(got, want) || !reflect.DeepEqual(k.loads, want) {
		t.Errorf("loaded %v in the order %v, want %v", got, k.loads, want)
	}
	if k.most != 1 {
		t.Errorf("%d loads at once, want 1", k.most)
	}
}
