package kmod

import (
	"path/filepath"
	"reflect"
	"slices"
	"testing"

	"picket.dev/picket/src/testkit/testinput"
)

// TestMatch: modprobe matches modaliases with fnmatch(3) and no flags;
// the expectations are fnmatch's (POSIX "Pattern Matching Notation").
func TestMatch(t *testing.T) {
	for _, tc := range []struct {
		pattern, s string
		want       bool
	}{
		{"virtio:d00000002v*", "virtio:d00000002v00001AF4", true},
		{"virtio:d00000002v*", "virtio:d00000001v00001AF4", false},
		{"pci:v00001AF4d00001000sv*sd*bc*sc*i*", "pci:v00001AF4d00001000sv00001AF4sd00000001bc02sc00i00", true},
		{"pci:v00001AF4d00001000sv*sd*bc*sc*i*", "pci:v00001AF4d00001001sv00001AF4sd00000002bc01sc00i00", false},
		// ahci's class match: any vendor, class 01 subclass 06 prog-if 01.
		{"pci:v*d*sv*sd*bc01sc06i01*", "pci:v00008086d00002922sv00001AF4sd00001100bc01sc06i01", true},
		{"pci:v*d*sv*sd*bc01sc06i01*", "pci:v00008086d00002918sv00001AF4sd00001100bc06sc01i00", false},
		{"scsi:t-0x00", "scsi:t-0x00", true},
		{"scsi:t-0x00", "scsi:t-0x05", false},
		{"scsi:t-0x0[0-5]", "scsi:t-0x05", true},
		{"scsi:t-0x0[!0-5]", "scsi:t-0x05", false},
		{"scsi:t-0x0[^0-5]", "scsi:t-0x07", true},
		{"of:N*T*Cbrcm,bcm2711-emmc2C*", "of:NmmcT(null)Cbrcm,bcm2711-emmc2", false}, // needs a C after
		{"of:N*T*Cbrcm,bcm2711-emmc2", "of:NmmcT(null)Cbrcm,bcm2711-emmc2", true},
		{"of:N*T*Cbrcm,bcm2711-emmc2C*", "of:NmmcT(null)Cbrcm,bcm2711-emmc2Cbrcm,sdhci", true},
		{"acpi*:PNP0501:*", "acpi:PNP0501:", true},
		{"a?c", "abc", true},
		{"a?c", "ac", false},
		{"*/x", "a/b/x", true}, // no FNM_PATHNAME: '*' crosses '/'
		{`a\*b`, "a*b", true},
		{`a\*b`, "axb", false},
		{"a[b", "a[b", true}, // an unclosed '[' is an ordinary character
		{"[]x]", "]", true},  // ']' first in a set is a member
		{"", "", true},
		{"*", "", true},
		{"**a", "bba", true},
		{"a*", "b", false},
	} {
		if got := Match(tc.pattern, tc.s); got != tc.want {
			t.Errorf("Match(%q, %q) = %v, want %v", tc.pattern, tc.s, got, tc.want)
		}
	}
}

func TestDeviceAlias(t *testing.T) {
	for a, want := range map[string]bool{
		"virtio:d00000002v*": true, "pci:v*d*sv*sd*bc01sc06i01*": true, "acpi*:PNP0501:*": true,
		"of:N*T*Cbrcm,bcm2711-genet-v5": true, "scsi:t-0x00": true,
		"fs-vfat": false, "crypto-sha256": false, "net-pf-17": false, "devname:mapper/control": false,
		"char-major-10-236": false, "rtnl-link-vlan": false,
	} {
		if got := DeviceAlias(a); got != want {
			t.Errorf("DeviceAlias(%q) = %v, want %v", a, got, want)
		}
	}
}

func names(mods []Module) []string {
	var n []string
	for _, m := range mods {
		n = append(n, m.Name())
	}
	return n
}

// TestSelect: a list as a board's covers many machines; only what the
// present devices call for is loaded, dependencies first, each once.
func TestSelect(t *testing.T) {
	list := []Module{
		{Path: "/lib/modules/virtio_ring.ko"},
		{Path: "/lib/modules/virtio.ko", Needs: []string{"virtio_ring"}},
		{Path: "/lib/modules/virtio_pci.ko", Needs: []string{"virtio", "virtio_ring"}, Aliases: []string{"pci:v00001AF4d*sv*sd*bc*sc*i*"}},
		{Path: "/lib/modules/virtio_blk.ko", Needs: []string{"virtio", "virtio_ring"}, Aliases: []string{"virtio:d00000002v*"}},
		{Path: "/lib/modules/scsi_mod.ko"},
		{Path: "/lib/modules/libata.ko", Needs: []string{"scsi_mod"}},
		{Path: "/lib/modules/ahci.ko", Needs: []string{"libata"}, Aliases: []string{"pci:v*d*sv*sd*bc01sc06i01*"}},
		{Path: "/lib/modules/sd_mod.ko", Needs: []string{"scsi_mod"}, Aliases: []string{"scsi:t-0x00", "scsi:t-0x07"}},
		{Path: "/lib/modules/nvme_core.ko"},
		{Path: "/lib/modules/nvme.ko", Needs: []string{"nvme_core"}, Aliases: []string{"pci:v*d*sv*sd*bc01sc08i02*"}},
		{Path: "/lib/modules/squashfs.ko"},
		{Path: "/lib/modules/dm_mod.ko"},
		{Path: "/lib/modules/dm_verity.ko", Needs: []string{"dm_mod"}},
	}
	q35 := []string{
		"pci:v00001AF4d00001001sv00001AF4sd00000002bc01sc00i00", // virtio disk
		"pci:v00008086d00002922sv00001AF4sd00001100bc01sc06i01", // ICH9 AHCI
		"acpi:PNP0501:",
	}
	got := Select(list, q35, nil)
	want := []string{"virtio_ring", "virtio", "virtio_pci", "scsi_mod", "libata", "ahci", "squashfs", "dm_mod", "dm_verity"}
	if !reflect.DeepEqual(names(got), want) {
		t.Fatalf("first scan on q35: %v, want %v", names(got), want)
	}
	// Once virtio_pci is bound its devices appear on the virtio bus.
	loaded := map[string]bool{}
	for _, n := range want {
		loaded[n] = true
	}
	more := append(q35, "virtio:d00000002v00001AF4")
	if got := names(Select(list, more, loaded)); !reflect.DeepEqual(got, []string{"virtio_blk"}) {
		t.Errorf("second scan: %v, want [virtio_blk]", got)
	}
	loaded["virtio_blk"] = true
	if got := Select(list, more, loaded); len(got) != 0 {
		t.Errorf("third scan: %v, want nothing", names(got))
	}
	// A SATA disk behind the AHCI port: sd_mod, its library loaded already.
	if got := names(Select(list, append(more, "scsi:t-0x00"), loaded)); !reflect.DeepEqual(got, []string{"sd_mod"}) {
		t.Errorf("with a SATA disk: %v, want [sd_mod]", got)
	}
}

func TestListRoundTrip(t *testing.T) {
	mods := []Module{
		{Path: "/k/kernel/drivers/block/virtio_blk.ko", Needs: []string{"virtio", "virtio_ring"}, Aliases: []string{"virtio:d00000002v*"}},
		{Path: "/k/kernel/fs/squashfs/squashfs.ko"},
	}
	b := FormatList(mods, "/lib/modules")
	want := "/lib/modules/virtio_blk.ko needs=virtio,virtio_ring alias=virtio:d00000002v*\n/lib/modules/squashfs.ko\n"
	if string(b) != want {
		t.Fatalf("FormatList:\n%s\nwant\n%s", b, want)
	}
	got, err := ParseList(b)
	if err != nil {
		t.Fatal(err)
	}
	mods[0].Path, mods[1].Path = "/lib/modules/virtio_blk.ko", "/lib/modules/squashfs.ko"
	if !reflect.DeepEqual(got, mods) {
		t.Errorf("ParseList: %+v, want %+v", got, mods)
	}
	// The lists of earlier images: a path a line, each loaded always.
	old, err := ParseList([]byte("/lib/modules/a.ko\n/lib/modules/b.ko\n"))
	if err != nil || len(old) != 2 || len(Select(old, nil, nil)) != 2 {
		t.Errorf("old list: %+v, %v", old, err)
	}
	if _, err := ParseList([]byte("/lib/modules/a.ko speed=fast\n")); err == nil {
		t.Error("a list with an unknown field parsed")
	}
}

// TestInfoRealModules reads the .modinfo of modules of the kernel the
// images boot (tools/fetch unpacks it): the virtio disk driver drives
// virtio device id 2 (the virtio specification's block device) and needs
// the virtio core; squashfs drives no device.
func TestInfoRealModules(t *testing.T) {
	vmlinuz := testinput.Path(t, "PICKET_KERNEL", func() string { return testinput.Fetched(t, "kernel-amd64/vmlinuz") })
	dep, err := DepFile(filepath.Dir(vmlinuz))
	if err != nil {
		t.Fatal(err)
	}
	paths, err := Resolve(filepath.Dir(vmlinuz), []string{"virtio_blk", "squashfs"})
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]Module{}
	for _, p := range paths {
		m, err := Info(p)
		if err != nil {
			t.Fatal(err)
		}
		byName[m.Name()] = m
	}
	blk := byName["virtio_blk"]
	if !slices.Contains(blk.Aliases, "virtio:d00000002v*") || !slices.Contains(blk.Needs, "virtio") {
		t.Errorf("virtio_blk from %s: %+v, want alias virtio:d00000002v* and needs virtio", dep, blk)
	}
	if sq := byName["squashfs"]; len(sq.Aliases) != 0 {
		t.Errorf("squashfs: device aliases %v, want none (fs-squashfs names no device)", sq.Aliases)
	}
	if _, err := Info(dep); err == nil {
		t.Error("Info read modules.dep as a module")
	}
}

// TestNamed: the modules asked for by name are the device-less ones no
// other module needs: vfat and squashfs, not fat (vfat's) nor libata
// (the SATA driver's), nor a driver.
func TestNamed(t *testing.T) {
	list := []Module{
		{Path: "/m/fat.ko"},
		{Path: "/m/vfat.ko", Needs: []string{"fat"}},
		{Path: "/m/libata.ko"},
		{Path: "/m/ahci.ko", Needs: []string{"libata"}, Aliases: []string{"pci:v*d*sv*sd*bc01sc06i01*"}},
		{Path: "/m/squashfs.ko"},
	}
	if got := Named(list); !slices.Equal(got, []string{"vfat", "squashfs"}) {
		t.Errorf("Named = %v, want [vfat squashfs]", got)
	}
}

// TestClosure: a module and what it needs, directly or through another,
// each once; nothing that only needs it.
func TestClosure(t *testing.T) {
	list := []Module{
		{Path: "/m/dm_mod.ko"},
		{Path: "/m/dm_bufio.ko", Needs: []string{"dm_mod"}},
		{Path: "/m/reed_solomon.ko"},
		{Path: "/m/dm_verity.ko", Needs: []string{"dm_mod", "dm_bufio", "reed_solomon"}},
		{Path: "/m/dm_crypt.ko", Needs: []string{"dm_mod"}},
	}
	got := Closure(list, []string{"dm_verity"})
	want := map[string]bool{"dm_verity": true, "dm_mod": true, "dm_bufio": true, "reed_solomon": true}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Closure(dm_verity) = %v, want %v", got, want)
	}
	if got := Closure(list, nil); len(got) != 0 {
		t.Errorf("Closure(nothing) = %v", got)
	}
}
