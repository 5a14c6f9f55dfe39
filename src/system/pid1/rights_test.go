package pid1

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"picket.dev/picket/src/system/initapi"
	"picket.dev/picket/src/system/privdrop"
	"picket.dev/picket/src/system/slots"
	"picket.dev/picket/src/testkit/testinput"
)

func needRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Fatal("this test needs root: it starts daemons under other uids and gives them files")
	}
}

// userConfig is a product-like init.json: the network manager with its
// capabilities, a panel daemon with its tty, the updater with its slots.
const userConfig = `{"hostname":"p","api_group":4300,"services":[
 {"name":"netmgrd","path":"/usr/bin/netmgrd","user":{"uid":4301,"gid":4301,"groups":[4300],"caps":["CAP_NET_ADMIN","CAP_NET_RAW"],"data":"netmgrd","migrate":["config","keys"]}},
 {"name":"consoled","path":"/usr/bin/consoled","user":{"uid":4304,"gid":4304,"groups":[4300],"devices":[{"path":"/dev/ttyS0","write":true}],"init":["reboot","poweroff"]}},
 {"name":"updaterd","path":"/usr/bin/updaterd","user":{"uid":4303,"gid":4303,"groups":[4300],"devices":[{"slot":"idle","write":true},{"slot":"booted"}],"data":"updaterd","migrate":["updates"],"init":["boot","slot","good","reboot"]}},
 {"name":"tool","path":"/usr/bin/tool"}]}`

func TestLoadBootConfigUsers(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "ok")
	os.WriteFile(p, []byte(userConfig), 0o644)
	c, err := LoadBootConfig(p)
	if err != nil {
		t.Fatal(err)
	}
	s := c.ServiceList()
	if c.APIGroup != 4300 || s[0].Creds == nil || s[0].Creds.UID != 4301 || !slices.Equal(s[0].Creds.Caps, []privdrop.Cap{12, 13}) ||
		len(s[1].Creds.Caps) != 0 || len(s[2].Devices) != 2 || s[3].Creds != nil {
		t.Fatalf("config %+v services %+v", c, s)
	}
	a := c.InitAccess()
	want := initapi.Access{"reboot": {4304, 4303}, "poweroff": {4304}, "boot": {4303}, "slot": {4303}, "good": {4303}}
	if fmt.Sprint(a) != fmt.Sprint(want) {
		t.Errorf("init.sock access %v, want %v", a, want)
	}

	var cfg map[string]any
	json.Unmarshal([]byte(userConfig), &cfg)
	bad := []struct{ name, user, wantErr string }{
		{"root", `{"uid":0,"gid":4301}`, "not root's"},
		{"root's group", `{"uid":4301,"gid":4301,"groups":[0]}`, "group 0"},
		{"unknown cap", `{"uid":4301,"gid":4301,"caps":["CAP_EVERYTHING"]}`, `capability "CAP_EVERYTHING": unknown`},
		{"device outside dev", `{"uid":4301,"gid":4301,"devices":[{"path":"/etc/shadow"}]}`, "under /dev/"},
		{"device not clean", `{"uid":4301,"gid":4301,"devices":[{"path":"/dev/../etc/shadow"}]}`, "under /dev/"},
		{"slot", `{"uid":4301,"gid":4301,"devices":[{"slot":"a"}]}`, `slot "a"`},
		{"data path", `{"uid":4301,"gid":4301,"data":"../etc"}`, "want one name"},
		{"migrate nowhere", `{"uid":4301,"gid":4301,"migrate":["config"]}`, "migrate without data"},
		{"init op", `{"uid":4301,"gid":4301,"init":["shell"]}`, `init operation "shell"`},
		{"uid twice", `{"uid":4304,"gid":4301}`, "both uid 4304"},
		{"data twice", `{"uid":4309,"gid":4309,"data":"netmgrd"}`, "both claim /data/netmgrd"},
		{"migrated twice", `{"uid":4309,"gid":4309,"data":"x","migrate":["keys"]}`, "both claim /data/keys"},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			j := strings.Replace(userConfig, `{"name":"tool","path":"/usr/bin/tool"}`, `{"name":"tool","path":"/usr/bin/tool","user":`+tt.user+`}`, 1)
			p := filepath.Join(dir, "bad")
			os.WriteFile(p, []byte(j), 0o644)
			if _, err := LoadBootConfig(p); err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("err = %v, want %q", err, tt.wantErr)
			}
		})
	}
}

// TestSupervisorRights starts a daemon the way init does, with a user of
// its own: the Rights event carries what the kernel says of it (read here
// from /proc too), and its device node is its own before it starts and
// again after someone else took it.
func TestSupervisorRights(t *testing.T) {
	needRoot(t)
	exe := testinput.SharedCopy(t, os.Args[0])
	node := filepath.Join(t.TempDir(), "ttyX")
	if err := syscall.Mknod(node, syscall.S_IFCHR|0o660, 1<<8|3); err != nil {
		t.Fatal(err)
	}
	svc := Service{Name: "netmgrd", Path: exe, Env: []string{"PID1_FAKE=run"},
		Creds:   &privdrop.Creds{UID: 4341, GID: 4342, Groups: []uint32{4340}, Caps: []privdrop.Cap{10, 12, 13}},
		Devices: []DeviceConfig{{Path: node, Write: true}}}
	h := startSupervisor(t, Config{Services: []Service{svc}, Proc: "/proc", Regrant: 5 * time.Second})
	if e := h.expect(Granted, "netmgrd"); e.Err != nil || !strings.Contains(e.Detail, node) {
		t.Fatalf("grant: %v", e)
	}
	st := func() (uint32, uint32, os.FileMode) {
		fi, err := os.Stat(node)
		if err != nil {
			t.Fatal(err)
		}
		s := fi.Sys().(*syscall.Stat_t)
		return s.Uid, s.Gid, fi.Mode().Perm()
	}
	if u, g, m := st(); u != 4341 || g != 4342 || m != 0o600 {
		t.Errorf("device: %d:%d %v, want 4341:4342 0600", u, g, m)
	}
	started := h.expect(Started, "netmgrd")
	// The rights are read once the daemon runs its program (a second
	// thread), checked every few milliseconds of the supervisor's clock.
	ticking := make(chan struct{})
	go func() {
		for {
			select {
			case <-ticking:
				return
			case <-time.After(5 * time.Millisecond):
				h.clock.Advance(2 * time.Millisecond)
			}
		}
	}()
	e := h.expect(Rights, "netmgrd")
	close(ticking)
	if e.Err != nil || e.PID != started.PID {
		t.Fatalf("rights: %v", e)
	}
	b, err := os.ReadFile("/proc/" + strconv.Itoa(e.PID) + "/status")
	if err != nil {
		t.Fatal(err)
	}
	caps := fmt.Sprintf("%016x", uint64(1<<10|1<<12|1<<13))
	for _, want := range []string{"Uid: 4341 4341 4341 4341", "Gid: 4342 4342 4342 4342", "Groups: 4340", "CapEff: " + caps, "CapBnd: " + caps, "CapAmb: " + caps, "NoNewPrivs: 1"} {
		if !strings.Contains(e.Detail, want) {
			t.Errorf("rights %q: no %q", e.Detail, want)
		}
		k, v, _ := strings.Cut(want, ": ")
		if !strings.Contains(string(b), k+":\t"+strings.ReplaceAll(v, " ", "\t")) {
			t.Errorf("/proc/%d/status has no %q:\n%s", e.PID, want, b)
		}
	}
	h.log.WaitFor(t, "netmgrd: up", time.Minute)

	// Someone else's now (a node made again by the kernel): given back at
	// the next check.
	os.Chown(node, 0, 0)
	h.clock.Advance(5 * time.Second)
	if e := h.expect(Granted, "netmgrd"); e.Err != nil {
		t.Fatalf("regrant: %v", e)
	}
	if u, _, _ := st(); u != 4341 {
		t.Errorf("device after the regrant: uid %d", u)
	}
	h.stop()
}

// TestPrepareRights: the sockets' directory is root's and the API
// group's, setgid and sticky; the data partition's root can be passed but
// not listed; each daemon's directory is its own.
func TestPrepareRights(t *testing.T) {
	needRoot(t)
	dir := t.TempDir()
	p := filepath.Join(dir, "init.json")
	os.WriteFile(p, []byte(userConfig), 0o644)
	c, err := LoadBootConfig(p)
	if err != nil {
		t.Fatal(err)
	}
	paths := RightsPaths{Run: filepath.Join(dir, "run/picket"), Data: filepath.Join(dir, "data"), Sysctl: filepath.Join(dir, "sys")}
	os.MkdirAll(filepath.Join(paths.Sysctl, "fs"), 0o755)
	os.MkdirAll(filepath.Join(paths.Data, "updates"), 0o755)
	var out strings.Builder
	PrepareRights(c, paths, &out)
	for _, k := range []string{"protected_hardlinks", "protected_symlinks"} {
		if b, _ := os.ReadFile(filepath.Join(paths.Sysctl, "fs", k)); string(b) != "1\n" {
			t.Errorf("fs.%s: %q, want 1", k, b)
		}
	}
	check := func(path string, uid, gid uint32, mode os.FileMode) {
		t.Helper()
		fi, err := os.Lstat(path)
		if err != nil {
			t.Fatal(err)
		}
		s := fi.Sys().(*syscall.Stat_t)
		if s.Uid != uid || s.Gid != gid || fi.Mode() != mode {
			t.Errorf("%s: %d:%d %v, want %d:%d %v", path, s.Uid, s.Gid, fi.Mode(), uid, gid, mode)
		}
	}
	check(paths.Run, 0, 4300, os.ModeDir|os.ModeSetgid|os.ModeSticky|0o770)
	check(paths.Data, 0, 0, os.ModeDir|0o711)
	check(filepath.Join(paths.Data, "netmgrd"), 4301, 4301, os.ModeDir|0o700)
	check(filepath.Join(paths.Data, "updaterd"), 4303, 4303, os.ModeDir|0o700)
	check(filepath.Join(paths.Data, "updaterd/updates"), 4303, 4303, os.ModeDir|0o755)
	if !strings.Contains(out.String(), "moved updates into it") {
		t.Errorf("console:\n%s", out.String())
	}
}

// TestInitSockAccess: init.sock as the box configures it, asked by each
// user in turn (setpriv, curl: a caller of another uid, which the server
// tells by SO_PEERCRED): a panel may reboot and power off and nothing
// else, the updater may read the boot state, try a slot, give its verdict
// and reboot, but not power off, and a daemon with no init operation
// (netmgrd) may ask nothing.
func TestInitSockAccess(t *testing.T) {
	needRoot(t)
	dir := t.TempDir()
	p := filepath.Join(dir, "init.json")
	os.WriteFile(p, []byte(userConfig), 0o644)
	cfg, err := LoadBootConfig(p)
	if err != nil {
		t.Fatal(err)
	}
	esp := filepath.Join(dir, "esp")
	os.Mkdir(esp, 0o700)
	if err := slots.Write(filepath.Join(esp, Grubenv), slots.State{Active: "a"}); err != nil {
		t.Fatal(err)
	}
	c := &Control{ESP: &DirESP{Dir: esp}, Slot: "a", Board: "virtual", Keys: []ed25519.PublicKey{}, Verdict: func() {}, Stop: func(bool) {}}
	// On the box the socket's group is the API group; here the callers
	// reach it through the modes (the test's temporary directories are
	// root's alone), and the server's uid check decides.
	sock := filepath.Join(testinput.SharedDir(t), "init.sock")
	ln, err := initapi.Listen(sock)
	if err != nil {
		t.Fatal(err)
	}
	os.Chmod(sock, 0o666)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go initapi.NewServer(c, nil, cfg.InitAccess()).Serve(ctx, ln)
	ask := func(uid int, method, path, body string) int {
		t.Helper()
		args := []string{"--reuid", strconv.Itoa(uid), "--regid", strconv.Itoa(uid), "--clear-groups",
			"curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}", "--unix-socket", sock, "-X", method}
		if body != "" {
			args = append(args, "-H", "Content-Type: application/json", "--data", body)
		}
		out, err := exec.Command("setpriv", append(args, "http://init"+path)...).CombinedOutput()
		if err != nil {
			t.Fatalf("setpriv curl as %d: %v\n%s", uid, err, out)
		}
		code, _ := strconv.Atoi(string(out))
		return code
	}
	type call struct{ method, path, body string }
	boot, try, good := call{"GET", "/v1/boot", ""}, call{"POST", "/v1/slot/try", `{"slot":"b"}`}, call{"POST", "/v1/slot/good", "{}"}
	reboot, poweroff := call{"POST", "/v1/reboot", "{}"}, call{"POST", "/v1/poweroff", "{}"}
	for _, tt := range []struct {
		who     string
		uid     int
		allowed []call
		refused []call
	}{
		{"consoled", 4304, []call{reboot, poweroff}, []call{boot, try, good}},
		{"updaterd", 4303, []call{boot, try, good, reboot}, []call{poweroff}},
		{"netmgrd", 4301, nil, []call{boot, try, good, reboot, poweroff}},
	} {
		for _, cl := range tt.allowed {
			if code := ask(tt.uid, cl.method, cl.path, cl.body); code != 200 {
				t.Errorf("%s (uid %d) %s %s: HTTP %d, want 200", tt.who, tt.uid, cl.method, cl.path, code)
			}
		}
		for _, cl := range tt.refused {
			if code := ask(tt.uid, cl.method, cl.path, cl.body); code != 403 {
				t.Errorf("%s (uid %d) %s %s: HTTP %d, want 403", tt.who, tt.uid, cl.method, cl.path, code)
			}
		}
	}
}
