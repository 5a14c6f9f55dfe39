// Package vmnet is a test bench that boots a qemu guest (TCG, Debian's
// kernel, tests/vmnet/guestinit as init) with an emulated e1000 NIC whose
// tap lives in a network namespace the test made. It tests what the build
// machine's own kernel cannot: 802.1Q VLANs (no 8021q there) and ethtool
// link settings on a real NIC driver (veth has none).
//
// Boot builds the guest init with the go command, writes an initramfs with
// src/cpio (init and the modules it loads), and starts qemu under
// "ip netns exec". The host talks to the guest's agent over the guest's
// second serial port, a unix socket on the host: Call sends one JSON
// request and returns the answer. The guest's console is kept for failure
// messages (Console).
//
// The kernel comes from tools/fetch (third_party/inputs.lock, kind "deb"),
// unpacked under third_party/_fetched/kernel-amd64.
package vmnet

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"picket.dev/picket/src/system/cpio"
	"picket.dev/picket/src/system/kmod"
	"picket.dev/picket/src/testkit/syncbuf"
)

// Options configure Start.
type Options struct {
	// KernelDir holds vmlinuz and lib/modules/<version>/ with modules.dep,
	// as tools/fetch unpacks it. Default: $PICKET_KERNEL_DIR, else
	// third_party/_fetched/kernel-amd64 of the module the test runs in.
	KernelDir string
	// Modules are the modules the guest loads, by name, with their
	// dependencies (from modules.dep). Default: DefaultModules.
	Modules []string
	// MemoryMB is the guest's memory. Default 512.
	MemoryMB int
	// MAC is the guest NIC's address. Default 52:54:00:12:34:56.
	MAC string
	// BootTimeout bounds the wait for the agent. Default 3 minutes.
	BootTimeout time.Duration
	// CallTimeout bounds each Call. Default 10 minutes (a 4094-VLAN apply
	// under TCG takes a while).
	CallTimeout time.Duration
	// Name goes into the namespace name, picket-vm<Name>-<random>.
	Name string
}

// DefaultModules are the modules the bench needs that Debian's kernel
// builds as modules: 802.1Q and the e1000 NIC driver.
var DefaultModules = []string{"8021q", "e1000"}

// The guest's NIC as the guest names it, and the host's end.
const (
	GuestNIC = "eth0"
	TapName  = "tap0"
)

// VM is a running guest.
type VM struct {
	// NS is the network namespace holding the tap (TapName), the host's
	// end of the guest's NIC.
	NS   string
	dir  string
	cmd  *exec.Cmd
	done chan struct{} // closed when qemu has exited
	werr error         // qemu's exit, valid after done

	console *syncbuf.Buffer

	mu      sync.Mutex // serialises Calls
	conn    net.Conn
	r       *bufio.Reader
	timeout time.Duration
	hello   json.RawMessage
}

// GuestError is an error the guest's agent answered with.
type GuestError struct {
	Cmd string
	Msg string
	// Unsupported: the error is errors.ErrUnsupported in the guest (a link
	// mode the NIC does not support, from ethlink).
	Unsupported bool
}

func (e *GuestError) Error() string { return fmt.Sprintf("guest %s: %s", e.Cmd, e.Msg) }

// Is makes errors.Is(err, errors.ErrUnsupported) work across the wire.
func (e *GuestError) Is(target error) bool {
	return e.Unsupported && target == errors.ErrUnsupported
}

// Boot starts a guest for t and stops it when t's test ends; it fails t if
// the guest does not come up.
func Boot(t testing.TB, opts Options) *VM {
	t.Helper()
	vm, err := Start(opts)
	if err != nil {
		t.Fatalf("vmnet: %v", err)
	}
	t.Cleanup(func() {
		if err := vm.Close(); err != nil {
			t.Errorf("vmnet: %v", err)
		}
		if t.Failed() {
			t.Logf("console of guest %s:\n%s\n--- end of guest %s", vm.NS, vm.Console(), vm.NS)
		}
	})
	return vm
}

// Start starts a guest; Close stops it. It needs root (namespaces, taps).
func Start(opts Options) (vm *VM, err error) {
	if os.Geteuid() != 0 {
		return nil, errors.New("the qemu guest bench needs root (network namespaces, tap devices); run the test as root")
	}
	opts, err = withDefaults(opts)
	if err != nil {
		return nil, err
	}
	for _, tool := range []string{"qemu-system-x86_64", "ip"} {
		if _, err := exec.LookPath(tool); err != nil {
			return nil, fmt.Errorf("%s not found in PATH (%s): install it (third_party/inputs.lock)", tool, os.Getenv("PATH"))
		}
	}
	initBin, err := buildInit()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "picket-vmnet-")
	if err != nil {
		return nil, fmt.Errorf("temp dir: %w", err)
	}
	vm = &VM{dir: dir, console: &syncbuf.Buffer{}, timeout: opts.CallTimeout, done: make(chan struct{})}
	defer func() {
		if err != nil {
			if cerr := vm.Close(); cerr != nil {
				err = errors.Join(err, cerr)
			}
		}
	}()
	initrd := filepath.Join(dir, "initrd.gz")
	if err := writeInitrd(initrd, initBin, opts.KernelDir, opts.Modules); err != nil {
		return vm, err
	}
	vm.NS = "picket-vm" + opts.Name + "-" + randHex(4)
	if err := ip("netns", "add", vm.NS); err != nil {
		vm.NS = ""
		return vm, err
	}
	if err := ip("-n", vm.NS, "link", "set", "lo", "up"); err != nil {
		return vm, err
	}
	if err := ip("-n", vm.NS, "tuntap", "add", "dev", TapName, "mode", "tap"); err != nil {
		return vm, err
	}
	if err := ip("-n", vm.NS, "link", "set", TapName, "up"); err != nil {
		return vm, err
	}

	// The guest's agent port is a client chardev: the host listens first,
	// so there is no race with qemu creating a socket.
	sock := filepath.Join(dir, "agent.sock")
	ln, err := net.Listen("unix", sock)
	if err != nil {
		return vm, fmt.Errorf("listen on agent socket: %w", err)
	}
	defer ln.Close()

	args := []string{"netns", "exec", vm.NS, "qemu-system-x86_64",
		"-M", "q35", "-cpu", "max", "-m", fmt.Sprint(opts.MemoryMB),
		"-display", "none", "-monitor", "none", "-no-reboot", "-nodefaults",
		"-kernel", filepath.Join(opts.KernelDir, "vmlinuz"), "-initrd", initrd,
		"-append", "console=ttyS0 random.trust_cpu=on panic=-1 quiet",
		"-serial", "stdio",
		"-chardev", "socket,id=agent,path=" + sock,
		"-serial", "chardev:agent",
		"-netdev", "tap,id=n0,ifname=" + TapName + ",script=no,downscript=no",
		// No option ROM: nothing but the -kernel boot is ever tried.
		"-device", "e1000,netdev=n0,mac=" + opts.MAC + ",romfile=",
	}
	vm.cmd = exec.Command("ip", args...)
	vm.cmd.Stdout = vm.console
	vm.cmd.Stderr = vm.console
	if err := vm.cmd.Start(); err != nil {
		vm.cmd = nil
		return vm, fmt.Errorf("start qemu: %w", err)
	}
	go func() { vm.werr = vm.cmd.Wait(); close(vm.done) }()

	type accepted struct {
		c   net.Conn
		err error
	}
	acc := make(chan accepted, 1)
	go func() { c, err := ln.Accept(); acc <- accepted{c, err} }()
	deadline := time.NewTimer(opts.BootTimeout)
	defer deadline.Stop()
	select {
	case a := <-acc:
		if a.err != nil {
			return vm, fmt.Errorf("accept agent connection: %w", a.err)
		}
		vm.conn, vm.r = a.c, bufio.NewReaderSize(a.c, 1<<20)
	case <-vm.done:
		return vm, fmt.Errorf("qemu exited before connecting the agent port (%v); console:\n%s", vm.werr, vm.Console())
	case <-deadline.C:
		return vm, fmt.Errorf("qemu did not connect the agent port within %v; console:\n%s", opts.BootTimeout, vm.Console())
	}
	// The first line is the agent's hello.
	hello, err := vm.readLine(time.Now().Add(opts.BootTimeout))
	if err != nil {
		return vm, fmt.Errorf("wait for the guest agent: %w; console:\n%s", err, vm.Console())
	}
	vm.hello = hello
	return vm, nil
}

// Hello is the agent's first line: {"ready":true,"modules":[...],...}.
func (vm *VM) Hello() json.RawMessage { return vm.hello }

// Console returns what the guest wrote on its console so far.
func (vm *VM) Console() string { return vm.console.String() }

// Call sends cmd with args (any JSON-encodable value, nil for none) to the
// guest's agent and returns its result.
func (vm *VM) Call(cmd string, args any) (json.RawMessage, error) {
	vm.mu.Lock()
	defer vm.mu.Unlock()
	if vm.conn == nil {
		return nil, fmt.Errorf("call %s: no agent connection", cmd)
	}
	req, err := json.Marshal(struct {
		Cmd  string `json:"cmd"`
		Args any    `json:"args,omitempty"`
	}{cmd, args})
	if err != nil {
		return nil, fmt.Errorf("call %s: encode arguments: %w", cmd, err)
	}
	deadline := time.Now().Add(vm.timeout)
	if err := vm.conn.SetWriteDeadline(deadline); err != nil {
		return nil, fmt.Errorf("call %s: %w", cmd, err)
	}
	if _, err := vm.conn.Write(append(req, '\n')); err != nil {
		return nil, fmt.Errorf("call %s: send: %w", cmd, err)
	}
	line, err := vm.readLine(deadline)
	if err != nil {
		return nil, fmt.Errorf("call %s: %w", cmd, err)
	}
	var resp struct {
		Result      json.RawMessage `json:"result"`
		Error       string          `json:"error"`
		Unsupported bool            `json:"unsupported"`
	}
	if err := json.Unmarshal(line, &resp); err != nil {
		return nil, fmt.Errorf("call %s: answer %q is not JSON: %w", cmd, line, err)
	}
	if resp.Error != "" {
		return nil, &GuestError{Cmd: cmd, Msg: resp.Error, Unsupported: resp.Unsupported}
	}
	return resp.Result, nil
}

// CallInto is Call decoding the result into out.
func (vm *VM) CallInto(cmd string, args, out any) error {
	res, err := vm.Call(cmd, args)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(res, out); err != nil {
		return fmt.Errorf("call %s: decode result %s: %w", cmd, res, err)
	}
	return nil
}

func (vm *VM) readLine(deadline time.Time) ([]byte, error) {
	if err := vm.conn.SetReadDeadline(deadline); err != nil {
		return nil, err
	}
	line, err := vm.r.ReadBytes('\n')
	if err != nil {
		return nil, fmt.Errorf("read agent answer: %w", err)
	}
	return line, nil
}

// Close powers the guest off (killing qemu if it does not stop), and
// deletes the namespace and the temporary files.
func (vm *VM) Close() error {
	var errs []error
	if vm.cmd != nil {
		select {
		case <-vm.done:
		default:
			if vm.conn != nil {
				vm.mu.Lock()
				vm.timeout = 10 * time.Second
				vm.mu.Unlock()
				_, _ = vm.Call("poweroff", nil)
			}
			select {
			case <-vm.done:
			case <-time.After(20 * time.Second):
				// qemu runs as a child of "ip netns exec", which execs it,
				// so the process is qemu itself.
				_ = vm.cmd.Process.Kill()
				<-vm.done
			}
		}
	}
	if vm.conn != nil {
		vm.conn.Close()
	}
	if vm.NS != "" {
		if err := ip("netns", "del", vm.NS); err != nil {
			errs = append(errs, err)
		}
	}
	if vm.dir != "" {
		if err := os.RemoveAll(vm.dir); err != nil {
			errs = append(errs, fmt.Errorf("remove %s: %w", vm.dir, err))
		}
	}
	return errors.Join(errs...)
}

// fromEnv reads a path from the environment; under Bazel (TEST_SRCDIR) a
// relative one is a runfiles path, and a file stands for its directory
// when dir is true.
func fromEnv(name string, dir bool) string {
	p := os.Getenv(name)
	if p == "" {
		return ""
	}
	if src := os.Getenv("TEST_SRCDIR"); src != "" && !filepath.IsAbs(p) {
		p = filepath.Join(src, os.Getenv("TEST_WORKSPACE"), p)
	}
	if fi, err := os.Stat(p); dir && err == nil && !fi.IsDir() {
		p = filepath.Dir(p)
	}
	return p
}

func withDefaults(o Options) (Options, error) {
	if o.KernelDir == "" {
		o.KernelDir = fromEnv("PICKET_KERNEL_DIR", true)
	}
	if o.KernelDir == "" {
		root, err := moduleRoot()
		if err != nil {
			return o, err
		}
		o.KernelDir = filepath.Join(root, "third_party", "_fetched", "kernel-amd64")
	}
	if _, err := os.Stat(filepath.Join(o.KernelDir, "vmlinuz")); err != nil {
		return o, fmt.Errorf("guest kernel: %w; run tools/fetch (or set PICKET_KERNEL_DIR to a directory with vmlinuz and lib/modules)", err)
	}
	if o.Modules == nil {
		o.Modules = DefaultModules
	}
	if o.MemoryMB == 0 {
		o.MemoryMB = 512
	}
	if o.MAC == "" {
		o.MAC = "52:54:00:12:34:56"
	}
	if o.BootTimeout == 0 {
		o.BootTimeout = 3 * time.Minute
	}
	if o.CallTimeout == 0 {
		o.CallTimeout = 10 * time.Minute
	}
	return o, nil
}

// moduleRoot finds the directory of go.mod above the working directory
// (the package directory under go test).
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return d, nil
		}
		if filepath.Dir(d) == d {
			return "", fmt.Errorf("no go.mod above %s; set PICKET_KERNEL_DIR and PICKET_GUESTINIT", dir)
		}
	}
}

// buildInit builds the guest init once per test binary and returns the
// executable. PICKET_GUESTINIT names a prebuilt one (for a build system
// that builds it itself).
var buildInit = sync.OnceValues(func() ([]byte, error) {
	if p := fromEnv("PICKET_GUESTINIT", false); p != "" {
		b, err := os.ReadFile(p)
		if err != nil {
			return nil, fmt.Errorf("guest init (PICKET_GUESTINIT): %w", err)
		}
		return b, nil
	}
	goBin, err := exec.LookPath("go")
	if err != nil {
		return nil, fmt.Errorf("build guest init: the go command is not in PATH (%s); put it there or set PICKET_GUESTINIT to a built tests/vmnet/guestinit", os.Getenv("PATH"))
	}
	root, err := moduleRoot()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "picket-guestinit-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	out := filepath.Join(dir, "init")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, goBin, "build", "-trimpath", "-o", out, "./tests/vmnet/guestinit")
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH=amd64")
	if b, err := cmd.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("build guest init (go build ./tests/vmnet/guestinit): %w\n%s", err, b)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		return nil, fmt.Errorf("build guest init: %w", err)
	}
	return b, nil
})

// writeInitrd writes a gzip'd newc initramfs: /init, /dev/console, the
// mount points, the modules in load order under /lib/modules and their
// order in /etc/modules.
func writeInitrd(path string, initData []byte, kernelDir string, modules []string) error {
	mods, err := kmod.Resolve(kernelDir, modules)
	if err != nil {
		return fmt.Errorf("initramfs: %w", err)
	}
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	w := cpio.NewWriter(zw)
	steps := []func() error{
		func() error { return w.Dir("dev", 0o755) },
		func() error { return w.CharDev("dev/console", 0o600, 5, 1) },
		func() error { return w.Dir("proc", 0o755) },
		func() error { return w.Dir("sys", 0o755) },
		func() error { return w.Dir("etc", 0o755) },
		func() error { return w.Dir("lib", 0o755) },
		func() error { return w.Dir("lib/modules", 0o755) },
		func() error { return w.File("init", 0o755, initData) },
	}
	var order []string
	for _, m := range mods {
		data, err := os.ReadFile(m)
		if err != nil {
			return fmt.Errorf("initramfs: %w", err)
		}
		base := filepath.Base(m)
		order = append(order, base)
		steps = append(steps, func() error { return w.File("lib/modules/"+base, 0o644, data) })
	}
	steps = append(steps,
		func() error { return w.File("etc/modules", 0o644, []byte(strings.Join(order, "\n")+"\n")) },
		w.Close, zw.Close)
	for _, step := range steps {
		if err := step(); err != nil {
			return fmt.Errorf("initramfs: %w", err)
		}
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		return fmt.Errorf("initramfs: %w", err)
	}
	return nil
}

func ip(args ...string) error {
	out, err := exec.Command("ip", args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("ip %s: %w: %s", strings.Join(args, " "), err, bytes.TrimSpace(out))
	}
	return nil
}

func randHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
