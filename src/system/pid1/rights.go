package pid1

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"picket.dev/picket/src/system/initapi"
	"picket.dev/picket/src/system/linuxsys"
	"picket.dev/picket/src/system/privdrop"
	"picket.dev/picket/src/system/slots"
)

// UserConfig is the "user" of a service in init.json: the rights it runs
// with instead of root's (docs/privileges.md is the table of them).
type UserConfig struct {
	UID uint32 `json:"uid"`
	GID uint32 `json:"gid"`
	// Groups are its supplementary groups (the API group, for the
	// sockets under /run/picket); none is none.
	Groups []uint32 `json:"groups,omitempty"`
	// Caps are the capabilities it keeps ("CAP_NET_RAW"); none is none.
	Caps []string `json:"caps,omitempty"`
	// Devices are the device nodes init gives it before each start.
	Devices []DeviceConfig `json:"devices,omitempty"`
	// Data is its directory's name under /data (its -data), made its own
	// at boot with mode 0700.
	Data string `json:"data,omitempty"`
	// Migrate are directories directly under /data where an earlier
	// release kept this daemon's files: moved into Data at boot, with a
	// symbolic link left behind for a slot the box falls back to.
	Migrate []string `json:"migrate,omitempty"`
	// Init are the init.sock operations it may ask (initapi.Op*).
	Init []string `json:"init,omitempty"`
}

// DeviceConfig is a device node a service may use: a path, or a rootfs
// slot's partition, found by label at each start.
type DeviceConfig struct {
	Path string `json:"path,omitempty"`
	// Slot is SlotIdle or SlotBooted.
	Slot string `json:"slot,omitempty"`
	// Write: read and write (mode 0600); else read only (0400).
	Write bool `json:"write,omitempty"`
}

// The slots a DeviceConfig may name.
const (
	SlotIdle   = "idle"
	SlotBooted = "booted"
)

func (d DeviceConfig) String() string {
	what := d.Path
	if d.Slot != "" {
		what = d.Slot + " slot"
	}
	if d.Write {
		return what + " (read, write)"
	}
	return what + " (read)"
}

// check validates u, the user of service name.
func (u *UserConfig) check(name string) error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("service %s: user: %s", name, fmt.Sprintf(format, args...))
	}
	if _, err := u.creds(); err != nil {
		return bad("%v", err)
	}
	for _, d := range u.Devices {
		switch {
		case d.Path != "" && d.Slot != "":
			return bad("device %+v: a path or a slot, not both", d)
		case d.Slot != "" && d.Slot != SlotIdle && d.Slot != SlotBooted:
			return bad("device slot %q: want %q or %q", d.Slot, SlotIdle, SlotBooted)
		case d.Slot == "" && (!strings.HasPrefix(d.Path, "/dev/") || filepath.Clean(d.Path) != d.Path):
			return bad("device %q: want a clean path under /dev/", d.Path)
		}
	}
	oneName := func(s string) bool { return s != "" && s != "." && s != ".." && !strings.ContainsRune(s, '/') }
	if u.Data != "" && !oneName(u.Data) {
		return bad("data %q: want one name (its directory under /data)", u.Data)
	}
	if len(u.Migrate) > 0 && u.Data == "" {
		return bad("migrate without data: where to?")
	}
	for _, m := range u.Migrate {
		if !oneName(m) {
			return bad("migrate %q: want one name under /data", m)
		}
	}
	for _, op := range u.Init {
		if !slices.Contains(initapi.Ops, op) {
			return bad("init operation %q: want one of %s", op, strings.Join(initapi.Ops, ", "))
		}
	}
	return nil
}

func (u *UserConfig) creds() (*privdrop.Creds, error) {
	c := &privdrop.Creds{UID: u.UID, GID: u.GID, Groups: u.Groups}
	for _, n := range u.Caps {
		cp, err := privdrop.ParseCap(n)
		if err != nil {
			return nil, err
		}
		c.Caps = append(c.Caps, cp)
	}
	return c, c.Check()
}

// checkUsers refuses two services under one uid (each daemon is its own
// user, so the local APIs can tell them apart) and a data directory or
// migrated name claimed twice.
func checkUsers(services []ServiceConfig) error {
	uids, dirs := map[uint32]string{}, map[string]string{}
	for _, s := range services {
		u := s.User
		if u == nil {
			continue
		}
		if err := u.check(s.Name); err != nil {
			return err
		}
		if o, ok := uids[u.UID]; ok {
			return fmt.Errorf("services %s and %s: both uid %d; each daemon runs as a user of its own", o, s.Name, u.UID)
		}
		uids[u.UID] = s.Name
		for _, d := range append([]string{u.Data}, u.Migrate...) {
			if d == "" {
				continue
			}
			if o, ok := dirs[d]; ok {
				return fmt.Errorf("services %s and %s: both claim /data/%s", o, s.Name, d)
			}
			dirs[d] = s.Name
		}
	}
	return nil
}

// InitAccess is who may ask what on init.sock: each service's Init
// operations for its uid (root may ask everything).
func (c BootConfig) InitAccess() initapi.Access {
	a := initapi.Access{}
	for _, s := range c.Services {
		if s.User == nil {
			continue
		}
		for _, op := range s.User.Init {
			a[op] = append(a[op], s.User.UID)
		}
	}
	return a
}

// RightsPaths are where PrepareRights works: the box's in production.
type RightsPaths struct {
	// Run is the local API sockets' directory (/run/picket).
	Run string
	// Data is the data partition (/data); "" when it is not mounted.
	Data string
	// Sysctl is /proc/sys.
	Sysctl string
}

// RunDirMode is the mode of the sockets' directory: root and the API
// group may create sockets in it (setgid: they belong to the group), and
// none may remove another's (sticky); nobody else may enter it.
const RunDirMode = fs.ModeSetgid | fs.ModeSticky | 0o770

// PrepareRights readies the box for daemons that run under users of their
// own, and says on w what it did and what failed (nothing stops the boot:
// a daemon without its directory fails and says why): the kernel's
// protection of links (a daemon cannot make a hard link to a file it does
// not own, nor have root follow its symbolic links in a shared sticky
// directory); the sockets' directory, root's and the API group's
// (RunDirMode); the data partition's root (0711: the daemons pass
// through, none lists it); and each service's data directory
// (privdrop.PrepareDir, the migration of an earlier release's files
// included).
func PrepareRights(c BootConfig, p RightsPaths, w io.Writer) {
	for _, k := range []string{"fs/protected_hardlinks", "fs/protected_symlinks"} {
		if err := os.WriteFile(filepath.Join(p.Sysctl, k), []byte("1\n"), 0o644); err != nil {
			fmt.Fprintf(w, "init: %v\n", err)
		}
	}
	if err := makeRunDir(p.Run, c.APIGroup); err != nil {
		fmt.Fprintf(w, "init: %v\n", err)
	}
	if p.Data == "" {
		return
	}
	if err := os.Chmod(p.Data, 0o711); err != nil {
		fmt.Fprintf(w, "init: %v\n", err)
	}
	for _, s := range c.Services {
		u := s.User
		if u == nil || u.Data == "" {
			continue
		}
		dir := filepath.Join(p.Data, u.Data)
		r, err := privdrop.PrepareDir(p.Data, u.Data, u.UID, u.GID, u.Migrate)
		msg := fmt.Sprintf("init: %s: %s's, owner %d:%d, mode %04o", dir, s.Name, u.UID, u.GID, privdrop.DirMode)
		if len(r.Moved) > 0 {
			msg += fmt.Sprintf("; moved %s into it (a link left at each)", strings.Join(r.Moved, ", "))
		}
		if r.Chowned > 0 {
			msg += fmt.Sprintf("; %d entries given to %s", r.Chowned, s.Name)
		}
		fmt.Fprintln(w, msg)
		for _, sk := range r.Skipped {
			fmt.Fprintf(w, "init: %s: %s\n", dir, sk)
		}
		if err != nil {
			fmt.Fprintf(w, "init: %v\n", err)
		}
	}
}

// makeRunDir makes dir root's and group gid's, RunDirMode.
func makeRunDir(dir string, gid uint32) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("sockets' directory: %w", err)
	}
	if err := os.Lchown(dir, 0, int(gid)); err != nil {
		return fmt.Errorf("sockets' directory: %w", err)
	}
	if err := os.Chmod(dir, RunDirMode); err != nil {
		return fmt.Errorf("sockets' directory: %w", err)
	}
	return nil
}

// SlotDevices resolves a DeviceConfig's slot on a box booted from slot
// (picket.slot): its partition, found by label under blocks
// (/sys/class/block).
func SlotDevices(blocks, slot string) func(which string) (string, error) {
	return func(which string) (string, error) {
		if !slots.ValidSlot(slot) {
			return "", fmt.Errorf("%s slot: booted slot %q unknown (kernel command line picket.slot)", which, slot)
		}
		s := slot
		switch which {
		case SlotBooted:
		case SlotIdle:
			s = map[string]string{"a": "b", "b": "a"}[slot]
		default:
			return "", errors.New("slot " + which + ": want idle or booted")
		}
		return linuxsys.FindPartition(blocks, "rootfs_"+s)
	}
}
