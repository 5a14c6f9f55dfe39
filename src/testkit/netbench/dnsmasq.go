package netbench

import (
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// HostRecord is a name dnsmasq answers with the given addresses (A and
// AAAA).
type HostRecord struct {
	Name  string
	Addrs []netip.Addr
}

// DnsmasqOptions says what the bench's dnsmasq serves. Only Interface is
// required; every service is off unless its options are set.
type DnsmasqOptions struct {
	// Interface is the interface dnsmasq binds to (--interface,
	// --bind-interfaces). It must be up and carry its addresses.
	Interface string

	// DHCPv4: on when Range4From is set. LeaseTime below 2 minutes is
	// raised to 2 minutes by dnsmasq; zero means 2 minutes.
	Range4From, Range4To netip.Addr
	Netmask              netip.Addr // default 255.255.255.0
	LeaseTime            time.Duration
	Router               netip.Addr   // option 3
	DNS                  []netip.Addr // option 6
	Domain               string       // option 15
	WINS                 []netip.Addr // option 44

	// RA sends router advertisements (--enable-ra) for the prefix of the
	// interface's global IPv6 address: SLAAC only, or SLAAC with stateless
	// DHCPv6 (other configuration: DNS6) when DHCPv6Stateless is set.
	RA              bool
	DHCPv6Stateless bool
	DNS6            []netip.Addr // DHCPv6 option 23 (and RDNSS in RAs)

	// DNS serving: on when DNSPort is not zero (53 is the usual). dnsmasq
	// answers for HostRecords and refuses everything else (no upstream).
	DNSPort     int
	DNSListen   []netip.Addr // extra addresses to listen on (--listen-address)
	HostRecords []HostRecord

	// Extra are more dnsmasq arguments, appended as given.
	Extra []string
}

// DnsmasqServer is a dnsmasq process in a namespace of the bench.
type DnsmasqServer struct {
	ns   *NS
	args []string
	dir  string
	proc *Proc
	logs []string // output of the previous runs
}

// Dnsmasq starts Debian's dnsmasq in ns and waits until it has bound its
// sockets. It is stopped at cleanup; its log (DHCP and queries) is printed
// if the test failed.
func Dnsmasq(ns *NS, o DnsmasqOptions) *DnsmasqServer {
	t := ns.b.t
	t.Helper()
	if o.Interface == "" {
		t.Fatal("netbench: DnsmasqOptions.Interface is required")
	}
	dir := t.TempDir()
	args := []string{"dnsmasq", "--conf-file=/dev/null", "--no-daemon", "--bind-interfaces",
		"--interface=" + o.Interface, "--user=root", "--group=root", "--no-ping", "--no-resolv", "--no-hosts",
		"--log-facility=-", "--log-dhcp", "--log-queries",
		"--dhcp-leasefile=" + filepath.Join(dir, "leases"),
		"--pid-file=" + filepath.Join(dir, "dnsmasq.pid"),
		"--port=" + strconv.Itoa(o.DNSPort),
	}
	if o.Range4From.IsValid() {
		mask := "255.255.255.0"
		if o.Netmask.IsValid() {
			mask = o.Netmask.String()
		}
		lease := o.LeaseTime
		if lease < 2*time.Minute {
			lease = 2 * time.Minute
		}
		args = append(args, fmt.Sprintf("--dhcp-range=%s,%s,%s,%ds", o.Range4From, o.Range4To, mask, int(lease.Seconds())))
		if o.Router.IsValid() {
			args = append(args, "--dhcp-option=3,"+o.Router.String())
		}
		if len(o.DNS) > 0 {
			args = append(args, "--dhcp-option=6,"+joinAddrs(o.DNS, false))
		}
		if o.Domain != "" {
			args = append(args, "--dhcp-option=15,"+o.Domain)
		}
		if len(o.WINS) > 0 {
			args = append(args, "--dhcp-option=44,"+joinAddrs(o.WINS, false))
		}
	}
	if o.RA {
		mode := "ra-only"
		if o.DHCPv6Stateless {
			mode = "ra-stateless"
		}
		args = append(args, "--enable-ra", "--ra-param="+o.Interface+",10,600",
			"--dhcp-range=::,constructor:"+o.Interface+","+mode+",64")
	} else if o.DHCPv6Stateless {
		args = append(args, "--dhcp-range=::,constructor:"+o.Interface+",ra-stateless,64")
	}
	if len(o.DNS6) > 0 {
		args = append(args, "--dhcp-option=option6:dns-server,"+joinAddrs(o.DNS6, true))
	}
	if o.Domain != "" && (o.RA || o.DHCPv6Stateless) {
		args = append(args, "--dhcp-option=option6:domain-search,"+o.Domain)
	}
	for _, a := range o.DNSListen {
		args = append(args, "--listen-address="+a.String())
	}
	for _, h := range o.HostRecords {
		rec := h.Name
		for _, a := range h.Addrs {
			rec += "," + a.String()
		}
		args = append(args, "--host-record="+rec)
	}
	args = append(args, o.Extra...)
	d := &DnsmasqServer{ns: ns, args: args, dir: dir}
	d.start()
	t.Cleanup(func() {
		d.Stop()
		if t.Failed() {
			t.Logf("netbench: dnsmasq log in %s:\n%s", ns.Name, d.Log())
		}
	})
	return d
}

func joinAddrs(as []netip.Addr, bracket bool) string {
	s := make([]string, len(as))
	for i, a := range as {
		s[i] = a.String()
		if bracket {
			s[i] = "[" + s[i] + "]"
		}
	}
	return strings.Join(s, ",")
}

func (d *DnsmasqServer) start() {
	t := d.ns.b.t
	t.Helper()
	p, err := startProc(d.ns.Command(d.args...), "dnsmasq")
	if err != nil {
		t.Fatalf("netbench: start dnsmasq in %s: %v", d.ns.Name, err)
	}
	d.proc = p
	// "started" is logged after the listening sockets are bound.
	if err := p.WaitOutput("start", 30*time.Second, func(s string) bool {
		return strings.Contains(s, "started, version")
	}); err != nil {
		p.Stop()
		t.Fatalf("netbench: %v", err)
	}
}

// Stop stops dnsmasq (a lease-expiry test stops the server and starts it
// again). Calling it on a stopped server does nothing.
func (d *DnsmasqServer) Stop() {
	if d.proc == nil {
		return
	}
	d.proc.Stop()
	d.logs = append(d.logs, d.proc.Output())
	d.proc = nil
}

// Restart stops dnsmasq if running and starts it again with the same
// options and lease file.
func (d *DnsmasqServer) Restart() {
	d.ns.b.t.Helper()
	d.Stop()
	d.start()
}

// Running reports whether dnsmasq is started and has not exited.
func (d *DnsmasqServer) Running() bool {
	if d.proc == nil {
		return false
	}
	select {
	case <-d.proc.Exited():
		return false
	default:
		return true
	}
}

// Log is dnsmasq's log of all runs so far.
func (d *DnsmasqServer) Log() string {
	s := strings.Join(d.logs, "")
	if d.proc != nil {
		s += d.proc.Output()
	}
	return s
}

// WaitLog waits up to timeout until the log contains substr.
func (d *DnsmasqServer) WaitLog(substr string, timeout time.Duration) error {
	end := time.Now().Add(timeout)
	for !strings.Contains(d.Log(), substr) {
		if time.Now().After(end) {
			return fmt.Errorf("dnsmasq log has no %q within %v", substr, timeout)
		}
		time.Sleep(20 * time.Millisecond)
	}
	return nil
}

// Leases returns the lease file's content.
func (d *DnsmasqServer) Leases() string {
	b, _ := os.ReadFile(filepath.Join(d.dir, "leases"))
	return string(b)
}

// Args is the dnsmasq command line, for messages.
func (d *DnsmasqServer) Args() []string { return d.args }

// waitListen waits until something accepts TCP connections on addr inside
// ns.
func waitListen(ns *NS, addr string, exited <-chan struct{}, timeout time.Duration) error {
	end := time.Now().Add(timeout)
	for {
		err := ns.Do(func() error {
			c, err := net.DialTimeout("tcp", addr, time.Second)
			if err == nil {
				c.Close()
			}
			return err
		})
		if err == nil {
			return nil
		}
		select {
		case <-exited:
			return fmt.Errorf("exited before listening on %s", addr)
		default:
		}
		if time.Now().After(end) {
			return fmt.Errorf("nothing listens on %s after %v: %w", addr, timeout, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
