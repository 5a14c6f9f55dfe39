package netbench

import (
	"encoding/json"
	"fmt"
	"io"
	"net/netip"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// SquidOptions configures the bench's squid. Listen is required. Without
// Basic and NTLM the proxy lets everyone through; with both, squid offers
// both (NTLM first) in its 407.
type SquidOptions struct {
	Listen netip.AddrPort // http_port

	// Basic offers Basic auth for User/Password, checked by squid's
	// basic_ncsa_auth against an htpasswd file the bench writes.
	Basic bool
	// NTLM offers NTLM for Domain\User with Password, checked (NTLMv2)
	// by the bench's own helper: the test package must call
	// RunHelperIfAsked in TestMain.
	NTLM           bool
	Domain         string
	User, Password string

	// ConnectPorts are the ports CONNECT may reach; CONNECT to any other
	// port is denied (403). Default: 443.
	ConnectPorts []int
	// Hosts are names squid resolves (its hosts_file); squid has no DNS
	// server otherwise, so CONNECT to a name needs it here.
	Hosts []HostRecord
	// Extra config lines, inserted before the http_access rules.
	Extra []string
}

// SquidServer is a squid process in a namespace of the bench.
type SquidServer struct {
	Addr netip.AddrPort
	dir  string
	proc *Proc
}

// squidUser is the unprivileged user squid switches to; it must read the
// bench's files and run its helpers.
const squidUser, squidGroup = "nobody", "nogroup"

// Squid starts squid (squid -N) in ns with a generated configuration and
// waits until it accepts connections on o.Listen. It is stopped at
// cleanup; its cache log is printed if the test failed.
func Squid(ns *NS, o SquidOptions) *SquidServer {
	t := ns.b.t
	t.Helper()
	if !o.Listen.IsValid() {
		t.Fatal("netbench: SquidOptions.Listen is required")
	}
	if (o.Basic || o.NTLM) && (o.User == "" || o.Password == "") {
		t.Fatal("netbench: squid auth needs SquidOptions.User and Password")
	}
	u, err := user.Lookup(squidUser)
	if err != nil {
		t.Fatalf("netbench: squid runs as %s: %v", squidUser, err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	// Not t.TempDir: its parents are 0700, and squid's user must reach
	// the logs and helpers.
	dir, err := os.MkdirTemp("", "picket-squid-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	ns.b.trackDir(dir)
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	write := func(name, body string, mode os.FileMode) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chown(p, uid, gid); err != nil {
			t.Fatal(err)
		}
		return p
	}
	for _, f := range []string{"access.log", "cache.log", "ntlm.log"} {
		write(f, "", 0o644)
	}
	var hosts strings.Builder
	for _, h := range o.Hosts {
		for _, a := range h.Addrs {
			fmt.Fprintf(&hosts, "%s %s\n", a, h.Name)
		}
	}
	write("hosts", hosts.String(), 0o644)

	ports := o.ConnectPorts
	if len(ports) == 0 {
		ports = []int{443}
	}
	var c strings.Builder
	line := func(format string, a ...any) { fmt.Fprintf(&c, format+"\n", a...) }
	line("http_port %s", o.Listen)
	line("visible_hostname picket-bench-proxy")
	line("pid_filename %s", filepath.Join(dir, "squid.pid"))
	line("cache_effective_user %s", squidUser)
	line("cache_effective_group %s", squidGroup)
	line("access_log stdio:%s", filepath.Join(dir, "access.log"))
	line("cache_log %s", filepath.Join(dir, "cache.log"))
	line("cache_store_log none")
	line("coredump_dir %s", dir)
	line("cache deny all")
	line("cache_mem 8 MB")
	line("pinger_enable off")
	line("netdb_filename none")
	line("logfile_rotate 0")
	line("hosts_file %s", filepath.Join(dir, "hosts"))
	line("dns_nameservers 127.0.0.1")
	line("shutdown_lifetime 0 seconds")
	line("max_filedescriptors 1024")
	if o.NTLM {
		cfg, _ := json.Marshal(ntlmConfig{Domain: o.Domain, User: o.User, Password: o.Password, Log: filepath.Join(dir, "ntlm.log")})
		cfgPath := write("ntlm.json", string(cfg), 0o600)
		bin := copyTestBinary(t, dir, uid, gid)
		// The helper runs as squid's user with squid's environment, which
		// under Bazel names the test's runfiles (TEST_SRCDIR, unreadable
		// to that user: the Go test main would fail to chdir there) and
		// its report files: the helper gets a clean environment.
		script := fmt.Sprintf("#!/bin/sh\nexec env -i PATH=/usr/bin:/bin %s=ntlm %s=%s %s\n", HelperEnv, helperConfigEnv, cfgPath, bin)
		helper := write("ntlm-helper.sh", script, 0o755)
		line("auth_param ntlm program %s", helper)
		line("auth_param ntlm children 4 startup=1 idle=1")
		line("auth_param ntlm keep_alive on")
	}
	if o.Basic {
		pw := write("htpasswd", o.User+":"+md5Crypt(o.Password, randomSalt())+"\n", 0o600)
		line("auth_param basic program /usr/lib/squid/basic_ncsa_auth %s", pw)
		line("auth_param basic children 2 startup=1 idle=1")
		line("auth_param basic realm picket-bench")
		line("auth_param basic credentialsttl 1 seconds")
	}
	line("authenticate_ttl 0 seconds")
	line("acl SSL_ports port %s", joinInts(ports))
	line("acl CONNECT method CONNECT")
	for _, e := range o.Extra {
		line("%s", e)
	}
	line("http_access deny CONNECT !SSL_ports")
	if o.Basic || o.NTLM {
		line("acl authed proxy_auth REQUIRED")
		line("http_access allow authed")
	} else {
		line("http_access allow all")
	}
	line("http_access deny all")
	conf := write("squid.conf", c.String(), 0o644)

	p, err := startProc(ns.Command("squid", "-N", "-d1", "-f", conf), "squid")
	if err != nil {
		t.Fatalf("netbench: start squid in %s: %v", ns.Name, err)
	}
	s := &SquidServer{Addr: o.Listen, dir: dir, proc: p}
	t.Cleanup(func() {
		p.Stop()
		if t.Failed() {
			t.Logf("netbench: squid in %s: output:\n%s\ncache.log:\n%s\naccess.log:\n%s", ns.Name, p.Output(), s.CacheLog(), s.AccessLog())
		}
	})
	if err := waitListen(ns, o.Listen.String(), p.Exited(), 60*time.Second); err != nil {
		t.Fatalf("netbench: squid: %v (%v)\noutput:\n%s\ncache.log:\n%s", err, p.Err(), p.Output(), s.CacheLog())
	}
	return s
}

func joinInts(v []int) string {
	s := make([]string, len(v))
	for i, n := range v {
		s[i] = strconv.Itoa(n)
	}
	return strings.Join(s, " ")
}

// copyTestBinary copies the running test binary into dir, readable and
// executable by squid's user, and returns its path: the binary itself
// usually sits in a 0700 build directory.
func copyTestBinary(t testing.TB, dir string, uid, gid int) string {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatalf("netbench: find the test binary: %v", err)
	}
	src, err := os.Open(exe)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	dst := filepath.Join(dir, "ntlm-helper.bin")
	f, err := os.OpenFile(dst, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o755)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(f, src); err != nil {
		f.Close()
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(dst, uid, gid); err != nil {
		t.Fatal(err)
	}
	return dst
}

// AccessLog is squid's access log so far: one line per request, with the
// authenticated user name and the status (e.g. TCP_TUNNEL/200 ... CONNECT).
func (s *SquidServer) AccessLog() string { return s.read("access.log") }

// CacheLog is squid's cache (diagnostic) log so far; helper stderr lands
// here too.
func (s *SquidServer) CacheLog() string { return s.read("cache.log") }

// HelperLog is the NTLM helper's verdicts so far: "authenticated
// DOMAIN\user" or "refused DOMAIN\user: reason", one a line.
func (s *SquidServer) HelperLog() string { return s.read("ntlm.log") }

// WaitAccessLog waits up to timeout until the access log contains substr;
// squid writes the line when the request (the tunnel) ends.
func (s *SquidServer) WaitAccessLog(substr string, timeout time.Duration) error {
	end := time.Now().Add(timeout)
	for !strings.Contains(s.AccessLog(), substr) {
		if time.Now().After(end) {
			return fmt.Errorf("squid access log has no %q within %v; it has:\n%s", substr, timeout, s.AccessLog())
		}
		time.Sleep(20 * time.Millisecond)
	}
	return nil
}

// WaitAccessLogLine waits up to timeout until one line of the access log
// contains all of substrs, e.g. "TCP_TUNNEL/200", "CONNECT 10.0.0.2:443"
// and the user name.
func (s *SquidServer) WaitAccessLogLine(timeout time.Duration, substrs ...string) error {
	end := time.Now().Add(timeout)
	for {
		for _, l := range strings.Split(s.AccessLog(), "\n") {
			all := true
			for _, sub := range substrs {
				all = all && strings.Contains(l, sub)
			}
			if all {
				return nil
			}
		}
		if time.Now().After(end) {
			return fmt.Errorf("squid access log has no line with %q within %v; it has:\n%s", substrs, timeout, s.AccessLog())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Stop stops squid (the proxy then refuses connections).
func (s *SquidServer) Stop() { s.proc.Stop() }

func (s *SquidServer) read(name string) string {
	b, _ := os.ReadFile(filepath.Join(s.dir, name))
	return string(b)
}
