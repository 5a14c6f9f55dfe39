package privdrop_test

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"picket.dev/picket/src/base/clock"
	"picket.dev/picket/src/system/privdrop"
	"picket.dev/picket/src/testkit/testinput"
)

// The test binary doubles as the program started with dropped rights:
// with PRIVDROP_HELPER set it does that instead of running tests.
func TestMain(m *testing.M) {
	switch os.Getenv("PRIVDROP_HELPER") {
	case "":
		os.Exit(m.Run())
	case "hold":
		fmt.Println("up")
		io.Copy(io.Discard, os.Stdin)
	case "euid":
		fmt.Printf("euid %d\n", os.Geteuid())
	case "probe":
		probe()
	}
	os.Exit(0)
}

// probe tries what a daemon with only CAP_NET_RAW may and may not do and
// prints one "what: outcome" line each.
func probe() {
	say := func(what string, err error) {
		var pe *os.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		if err == nil {
			fmt.Printf("%s: ok\n", what)
		} else {
			fmt.Printf("%s: %v\n", what, err)
		}
	}
	fd, err := unix.Socket(unix.AF_PACKET, unix.SOCK_RAW, 0)
	if err == nil {
		unix.Close(fd)
	}
	say("packet socket", err)
	fd, err = unix.Socket(unix.AF_INET, unix.SOCK_STREAM, 0)
	if err == nil {
		err = unix.Bind(fd, &unix.SockaddrInet4{Port: 1023, Addr: [4]byte{127, 0, 0, 1}})
		unix.Close(fd)
	}
	say("bind port 1023", err)
	say("setuid 0", syscall.Setuid(0))
	f := filepath.Join(os.Getenv("PRIVDROP_DIR"), "owned")
	err = os.WriteFile(f, nil, 0o600)
	if err == nil {
		err = os.Chown(f, 0, 0)
	}
	say("chown to root", err)
	out, err := runSetuidRoot()
	fmt.Printf("setuid-root program: %s %v\n", strings.TrimSpace(out), err)
}

// runSetuidRoot executes the setuid-root copy of the test binary
// (PRIVDROP_SUID) and returns what it printed: its effective uid.
func runSetuidRoot() (string, error) {
	r, w, err := os.Pipe()
	if err != nil {
		return "", err
	}
	defer r.Close()
	suid := os.Getenv("PRIVDROP_SUID")
	pid, err := syscall.ForkExec(suid, []string{suid}, &syscall.ProcAttr{Env: []string{"PRIVDROP_HELPER=euid"}, Files: []uintptr{0, w.Fd(), w.Fd()}})
	w.Close()
	if err != nil {
		return "", err
	}
	b, _ := io.ReadAll(r)
	var ws syscall.WaitStatus
	syscall.Wait4(pid, &ws, 0, nil)
	return string(b), nil
}

func needRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Fatal("this test needs root: it starts programs under other uids with capabilities")
	}
}

// started is a program started by the test, its stdout read line by line.
type started struct {
	pid   int
	out   *bufio.Reader
	stdin *os.File
}

func start(t *testing.T, exe, mode string, c *privdrop.Creds, env ...string) *started {
	t.Helper()
	inR, inW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	outR, outW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	attr := &syscall.ProcAttr{Env: append([]string{"PRIVDROP_HELPER=" + mode}, env...), Files: []uintptr{inR.Fd(), outW.Fd(), outW.Fd()}, Sys: &syscall.SysProcAttr{Setsid: true}}
	pid, err := privdrop.Start(exe, []string{exe}, attr, c)
	inR.Close()
	outW.Close()
	if err != nil {
		t.Fatalf("start %s: %v", exe, err)
	}
	s := &started{pid: pid, out: bufio.NewReader(outR), stdin: inW}
	t.Cleanup(func() {
		inW.Close()
		syscall.Kill(pid, syscall.SIGKILL)
		var ws syscall.WaitStatus
		syscall.Wait4(pid, &ws, 0, nil)
		outR.Close()
	})
	return s
}

func (s *started) line(t *testing.T) string {
	t.Helper()
	l, err := s.out.ReadString('\n')
	if err != nil {
		t.Fatalf("the started program's output: %q, %v", l, err)
	}
	return strings.TrimSpace(l)
}

// status parses /proc/<pid>/status (read here, not with ReadStatus).
func status(t *testing.T, pid int) map[string]string {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]string{}
	for _, l := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(l, ":"); ok {
			m[k] = strings.Join(strings.Fields(v), " ")
		}
	}
	return m
}

// want is what /proc/<pid>/status must say of a program started with
// uid, gid, groups and caps: the expected masks are made from the
// kernel's numbers (x/sys/unix), not from privdrop's table.
func wantStatus(t *testing.T, got map[string]string, uid, gid int, groups string, caps ...int) {
	t.Helper()
	var mask uint64
	for _, c := range caps {
		mask |= 1 << c
	}
	hex := fmt.Sprintf("%016x", mask)
	want := map[string]string{
		"Uid":        strings.Repeat(strconv.Itoa(uid)+" ", 3) + strconv.Itoa(uid),
		"Gid":        strings.Repeat(strconv.Itoa(gid)+" ", 3) + strconv.Itoa(gid),
		"Groups":     groups,
		"CapInh":     hex,
		"CapPrm":     hex,
		"CapEff":     hex,
		"CapBnd":     hex,
		"CapAmb":     hex,
		"NoNewPrivs": "1",
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: %q, want %q", k, got[k], v)
		}
	}
}

// TestStartRights starts the test binary as a daemon is started, with a
// uid, gid, group and capabilities of its own, and reads what the kernel
// says it runs with; then with no capability at all.
func TestStartRights(t *testing.T) {
	needRoot(t)
	exe := testinput.SharedCopy(t, os.Args[0])
	s := start(t, exe, "hold", &privdrop.Creds{UID: 4321, GID: 4322, Groups: []uint32{4323}, Caps: []privdrop.Cap{unix.CAP_NET_RAW, unix.CAP_NET_ADMIN, unix.CAP_NET_BIND_SERVICE}})
	if l := s.line(t); l != "up" {
		t.Fatalf("the program said %q, want up", l)
	}
	if err := privdrop.WaitRunning(clock.System{}, "/proc", s.pid, 5*time.Second); err != nil {
		t.Fatal(err)
	}
	got := status(t, s.pid)
	wantStatus(t, got, 4321, 4322, "4323", unix.CAP_NET_RAW, unix.CAP_NET_ADMIN, unix.CAP_NET_BIND_SERVICE)

	// ReadStatus passes the same lines on.
	lines, err := privdrop.ReadStatus("/proc", s.pid)
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range lines {
		k, v, _ := strings.Cut(l, ": ")
		if got[k] != v {
			t.Errorf("ReadStatus says %q, the status file %q", l, got[k])
		}
	}
	if len(lines) != len(privdrop.StatusFields) {
		t.Errorf("ReadStatus: %d lines, want %d: %q", len(lines), len(privdrop.StatusFields), lines)
	}

	s = start(t, exe, "hold", &privdrop.Creds{UID: 4331, GID: 4331})
	s.line(t)
	wantStatus(t, status(t, s.pid), 4331, 4331, "")

	// The starter keeps every right on its other threads: the one that
	// forked is gone, and no thread left has no_new_privs or a narrowed
	// bounding set.
	full := status(t, os.Getpid())["CapBnd"]
	deadline := time.Now().Add(5 * time.Second)
	for {
		bad := ""
		tasks, _ := os.ReadDir("/proc/self/task")
		for _, task := range tasks {
			b, err := os.ReadFile(filepath.Join("/proc/self/task", task.Name(), "status"))
			if err != nil {
				continue // ended meanwhile
			}
			if st := string(b); !strings.Contains(st, "NoNewPrivs:\t0") || !strings.Contains(st, "CapBnd:\t"+full) {
				bad = task.Name()
			}
		}
		if bad == "" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("thread %s of the starter has no_new_privs or a narrowed bounding set (the process's is %s)", bad, full)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestStartLimits checks what the rights allow and refuse in the started
// program: a packet socket with CAP_NET_RAW, but no privileged port, no
// setuid, no chown, and a setuid-root program it executes runs with its
// uid, not root's (no_new_privs). The same program started with only a
// uid (syscall.ForkExec, no no_new_privs) does become root: the setuid
// file works, so the refusal is no_new_privs's.
func TestStartLimits(t *testing.T) {
	needRoot(t)
	exe := testinput.SharedCopy(t, os.Args[0])
	suid := filepath.Join(filepath.Dir(exe), "suid")
	b, err := os.ReadFile(exe)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(suid, b, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(suid, 0o755|os.ModeSetuid); err != nil {
		t.Fatal(err)
	}
	scratch := filepath.Join(filepath.Dir(exe), "scratch")
	if err := os.Mkdir(scratch, 0o777); err != nil {
		t.Fatal(err)
	}
	os.Chmod(scratch, 0o777)
	env := []string{"PRIVDROP_SUID=" + suid, "PRIVDROP_DIR=" + scratch}

	s := start(t, exe, "probe", &privdrop.Creds{UID: 4321, GID: 4322, Caps: []privdrop.Cap{unix.CAP_NET_RAW}}, env...)
	got := map[string]string{}
	for i := 0; i < 5; i++ {
		k, v, _ := strings.Cut(s.line(t), ": ")
		got[k] = v
	}
	for k, want := range map[string]string{
		"packet socket":       "ok",
		"bind port 1023":      "permission denied",
		"setuid 0":            "operation not permitted",
		"chown to root":       "operation not permitted",
		"setuid-root program": "euid 4321 <nil>",
	} {
		if got[k] != want {
			t.Errorf("%s: %q, want %q", k, got[k], want)
		}
	}

	// The control: without privdrop, the setuid file makes root.
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	pid, err := syscall.ForkExec(suid, []string{suid}, &syscall.ProcAttr{Env: []string{"PRIVDROP_HELPER=euid"}, Files: []uintptr{0, w.Fd(), w.Fd()},
		Sys: &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 4321, Gid: 4322}}})
	w.Close()
	if err != nil {
		t.Fatal(err)
	}
	out, _ := io.ReadAll(r)
	var ws syscall.WaitStatus
	syscall.Wait4(pid, &ws, 0, nil)
	if strings.TrimSpace(string(out)) != "euid 0" {
		t.Fatalf("the setuid-root copy started as uid 4321 without no_new_privs says %q, want euid 0: the file system does not honour setuid, so the test proves nothing", out)
	}
}

// TestStartRefusesRoot: creds that keep root's uid or gid are a mistake.
func TestStartRefusesRoot(t *testing.T) {
	for _, c := range []privdrop.Creds{{UID: 0, GID: 5}, {UID: 5, GID: 0}, {UID: 5, GID: 5, Groups: []uint32{0}}} {
		if _, err := privdrop.Start("/nonexistent", []string{"x"}, &syscall.ProcAttr{}, &c); err == nil {
			t.Errorf("Start with %+v: no error", c)
		}
	}
}

func TestParseCap(t *testing.T) {
	for name, want := range map[string]privdrop.Cap{"CAP_NET_RAW": unix.CAP_NET_RAW, "CAP_NET_ADMIN": unix.CAP_NET_ADMIN, "CAP_NET_BIND_SERVICE": unix.CAP_NET_BIND_SERVICE, "CAP_CHECKPOINT_RESTORE": unix.CAP_CHECKPOINT_RESTORE} {
		got, err := privdrop.ParseCap(name)
		if err != nil || got != want {
			t.Errorf("ParseCap(%q) = %v, %v; want %d", name, got, err, want)
		}
		if got.String() != name {
			t.Errorf("%d.String() = %q, want %q", want, got.String(), name)
		}
	}
	if _, err := privdrop.ParseCap("CAP_NET_RAWR"); err == nil {
		t.Error("ParseCap(CAP_NET_RAWR): no error")
	}
}
