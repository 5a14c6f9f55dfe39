package platformlink_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"picket.dev/picket/src/link/platformapi"
	"picket.dev/picket/src/net/netapi"
	"picket.dev/picket/src/net/netcfg"
	"picket.dev/picket/src/scan/result"
	"picket.dev/picket/src/scan/scanapi"
	"picket.dev/picket/src/testkit/netbench"
	"picket.dev/picket/src/testkit/scanbench"
)

// What the services on the first target say, as their protocols have
// it: an SSH identification string (RFC 4253 §4.2, as Debian 12's
// OpenSSH sends it) and an HTTP Server header (RFC 9110 §10.2.4, as
// Debian 12's nginx sends it).
const (
	sshBanner  = "SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3"
	httpServer = "nginx/1.22.1"
	// silentPort is open on the second target's addresses but its first
	// fastHosts, and never says a word: service detection waits out its
	// timeouts there, host after host, so a scan of them runs long
	// enough to be canceled once the fast hosts are finished and
	// uploaded.
	silentPort = 2000
	fastHosts  = 8
)

// TestScanJobs runs scan jobs end to end: the real platformd, netmgrd
// and scannerd (unprivileged: a connect scan), and target namespaces
// routed behind the LAN side (scanbench: open, closed and filtered
// ports). A job launched in the web UI runs on the box and its results
// (open ports, services) reach the platform, read back through the
// job's JSON export as the person does, with no packet sent outside its
// targets; a job canceled in the web UI mid-scan stops on the box and
// keeps the hosts already uploaded; a network change through netmgrd's
// API cancels the running job through scanner.sock first (partial
// results kept, the change applied).
func TestScanJobs(t *testing.T) {
	began := time.Now()
	var pd *platformd
	e := newEnvWith(t, func(e *env) {
		pd = startPlatformd(t, e)
		// Finished hosts go up every 4 s (the platform takes one
		// request every 3 s from a box): a scan canceled early has some
		// on the platform already.
		e.scannerArgs = []string{"-progress", "4s"}
	})
	bench := scanbench.Behind(t, e.b, e.net, lanGW, "lan0", scanbench.Options{Targets: 2, Addrs: 48, Addrs6: 1, Net: 63})
	tg1, tg2 := bench.Targets[0], bench.Targets[1]
	svcAddr := tg1.Addrs[0]
	serveSSH(t, tg1.NS, netip.AddrPortFrom(svcAddr, 22))
	serveHTTP(t, tg1.NS, netip.AddrPortFrom(svcAddr, 80))
	for _, a := range tg2.Addrs[fastHosts:] {
		serveSilent(t, tg2.NS, netip.AddrPortFrom(a, silentPort))
	}

	pd.web.Login(webUser, webPass, "/appliances")
	st := e.waitFor("ACTIVATION CODE", 60*time.Second, linkState(netapi.LinkActivation))
	box, err := pd.web.Activate(st.Platform.ActivationCode)
	if err != nil {
		t.Fatal(err)
	}
	pd.web.Post(box, box+"/settings", url.Values{"name": {"lab-scan"}, "poll_interval": {"10"}, "vlans": {""}, "routes": {""}, "ipv6_method": {"off"}})
	e.waitFor("NAME-IP after activation", 45*time.Second, func(st netapi.Status) bool {
		return st.Platform != nil && st.Platform.State == netapi.LinkReady && st.Platform.Name == "lab-scan"
	})
	t.Logf("box activated %s after the start", time.Since(began).Round(time.Second))
	scanner := scanapi.Dial(e.scannerSocket())
	t.Cleanup(func() { scanner.Close() })

	t.Run("launched in the web UI", func(t *testing.T) {
		began := time.Now()
		targets := tg1.Addrs[:6]
		const ports = "22,80,222,300-312,901,905"
		const nPorts = 2 + 1 + 13 + 2
		// Every frame the box sends, but the management path's own
		// (polls and uploads to the platform, DNS, DHCP renewals).
		boxMAC := strings.TrimSpace(e.box.Run("cat", "/sys/class/net/eth0/address"))
		capture := netbench.CaptureWith(e.box, "eth0", fmt.Sprintf("ether src %s and not (host %s and (tcp port 443 or port 53 or udp port 67))", boxMAC, lanGW),
			netbench.CaptureOptions{Snaplen: 160})
		job := pd.launchJob(box, targets[0].String()+"-"+targets[len(targets)-1].String(), ports)
		exp := pd.waitJob(t, e, box, job, "done", 90*time.Second, func(x jobExport) bool { return platformapi.JobDone == x.Job.State })
		lines := capture.Stop()
		t.Logf("job %s done %s after its launch; %d frames captured", job, time.Since(began).Round(time.Second), len(lines))
		if bad := bench.Outside(lines, func(a netip.Addr) bool { return slices.Contains(targets, a) }); len(bad) > 0 {
			t.Errorf("%d frames went outside the job's targets:\n%s", len(bad), strings.Join(bad[:min(len(bad), 20)], "\n"))
		}

		// What the bench listens on (scanbench's layout, not the
		// scanner's answer) and the two services.
		got := map[netip.Addr]result.Host{}
		for _, h := range exp.Hosts {
			got[h.Addr] = h
		}
		open := 0
		for k, a := range targets {
			want := []uint16{scanbench.PortAll}
			if k%3 == 0 {
				want = append(want, uint16(scanbench.PortBase+k%97))
			}
			if a == svcAddr {
				want = append(want, 22, 80)
			}
			slices.Sort(want)
			open += len(want)
			h, ok := got[a]
			if !ok {
				t.Errorf("host %s is not in the export", a)
				continue
			}
			var ports []uint16
			for _, p := range h.Ports {
				if p.State == result.Open && p.Proto == result.TCP {
					ports = append(ports, p.Port)
				}
			}
			slices.Sort(ports)
			if !slices.Equal(ports, want) {
				t.Errorf("host %s: open ports %v, want %v", a, ports, want)
			}
			// 901 is dropped by the target's firewall: the only port
			// with no answer; every other one resets.
			if h.NotShown[result.Filtered] != 1 || h.NotShown[result.Closed] != nPorts-len(want)-1 {
				t.Errorf("host %s: not shown %v, want 1 filtered (%d) and %d closed", a, h.NotShown, scanbench.PortDrop, nPorts-len(want)-1)
			}
		}
		if len(exp.Hosts) != len(targets) {
			t.Errorf("the export has %d hosts, want the %d targets", len(exp.Hosts), len(targets))
		}
		services := map[uint16]*result.Service{}
		for _, p := range got[svcAddr].Ports {
			services[p.Port] = p.Service
		}
		for port, want := range map[uint16]result.Service{22: {Name: "ssh", Product: "OpenSSH", Version: "9.2p1"}, 80: {Name: "http", Product: "nginx", Version: "1.22.1"}} {
			sv := services[port]
			if sv == nil || sv.Name != want.Name || sv.Product != want.Product || sv.Version != want.Version {
				t.Errorf("%s port %d: service %+v, want %s %s %s", svcAddr, port, sv, want.Name, want.Product, want.Version)
			}
		}
		if s := exp.Summary; s == nil || s.HostsUp != len(targets) || s.OpenPorts != open || s.Interface != "eth0" || s.Method != "connect" {
			t.Errorf("summary %+v, want %d hosts up, %d open ports, a connect scan on eth0", s, len(targets), open)
		}
	})

	t.Run("canceled in the web UI", func(t *testing.T) {
		began := time.Now()
		job := pd.launchJob(box, tg2.Addrs[0].String()+"-"+tg2.Addrs[len(tg2.Addrs)-1].String(), fmt.Sprintf("%d,%d", scanbench.PortAll, silentPort))
		before := pd.waitJob(t, e, box, job, "running with hosts uploaded", 90*time.Second, func(x jobExport) bool {
			return x.Job.State == platformapi.JobRunning && len(x.Hosts) > 0
		})
		t.Logf("job %s has %d hosts on the platform %s after its launch; canceling it", job, len(before.Hosts), time.Since(began).Round(time.Second))
		pd.web.Post(box, box+"/jobs/"+job+"/cancel", url.Values{})
		waitScanner(t, e, scanner, "the box to stop the job", 20*time.Second, func(st scanapi.State) bool { return !st.Running })
		after := pd.export(t, box, job)
		if after.Job.State != platformapi.JobCanceled {
			t.Errorf("job state %q after the cancel, want canceled", after.Job.State)
		}
		checkPartial(t, before, after, tg2.Addrs)
		if len(after.Hosts) >= len(tg2.Addrs) {
			t.Errorf("all %d hosts are on the platform: the scan was not canceled mid-way", len(tg2.Addrs))
		}
		if out := e.scannerd.Output(); !strings.Contains(out, "job canceled on the platform") {
			t.Errorf("scannerd never heard of the cancel:\n%s", out)
		}
	})

	t.Run("canceled by a network change", func(t *testing.T) {
		began := time.Now()
		job := pd.launchJob(box, tg2.Addrs[0].String()+"-"+tg2.Addrs[len(tg2.Addrs)-1].String(), fmt.Sprintf("%d,%d", scanbench.PortAll, silentPort))
		before := pd.waitJob(t, e, box, job, "running with hosts uploaded", 90*time.Second, func(x jobExport) bool {
			return x.Job.State == platformapi.JobRunning && len(x.Hosts) > 0
		})
		if st, err := scanner.State(context.Background()); err != nil || !st.Running || st.JobID != job {
			t.Fatalf("scanner.sock says %+v (%v), want job %s running", st, err, job)
		}
		t.Logf("job %s has %d hosts on the platform %s after its launch; changing the LAN to a static address", job, len(before.Hosts), time.Since(began).Round(time.Second))
		ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
		defer cancel()
		cv, err := e.mgr.Config(ctx)
		if err != nil {
			t.Fatal(err)
		}
		cfg := cv.Config
		static := netip.MustParsePrefix("10.50.0.99/24")
		cfg.LAN = netcfg.LAN{Method: netcfg.IPv4Static, Address: static, Gateway: lanGW, DNS1: lanGW}
		res, err := e.mgr.Apply(ctx, cfg, netapi.ApplyOptions{})
		if err != nil {
			t.Fatalf("apply a static LAN address: %v\nnetmgrd:\n%s", err, e.netmgrd.Output())
		}
		if !res.ScanCanceled {
			t.Errorf("the change did not cancel the running scan: %+v", res)
		}
		if st, err := scanner.State(ctx); err != nil || st.Running {
			t.Errorf("after the change scanner.sock says %+v (%v), want no job running", st, err)
		}
		e.waitFor("the static address on the LAN", 30*time.Second, func(st netapi.Status) bool {
			return len(st.Interfaces) > 0 && slices.Contains(st.Interfaces[0].IPv4.Addresses, static)
		})
		after := pd.waitJob(t, e, box, job, "canceled", 60*time.Second, func(x jobExport) bool { return platformapi.JobCanceled == x.Job.State })
		if !strings.Contains(after.Job.Error, "network settings") {
			t.Errorf("job error %q, want the network change named as the reason", after.Job.Error)
		}
		if after.Summary == nil {
			t.Errorf("the canceled job has no summary")
		}
		checkPartial(t, before, after, tg2.Addrs)
	})
	t.Logf("suite run %s", time.Since(began).Round(time.Second))
}

// checkPartial: the hosts on the platform before the cancel are there
// after it, each with the target's open ports. (A job canceled on the
// box uploads every host its port scan found up, service detection
// unfinished; one canceled on the platform gets nothing more recorded.)
func checkPartial(t *testing.T, before, after jobExport, all []netip.Addr) {
	t.Helper()
	kept := map[netip.Addr]bool{}
	for _, h := range after.Hosts {
		kept[h.Addr] = true
		var open []uint16
		for _, p := range h.Ports {
			if p.State == result.Open {
				open = append(open, p.Port)
			}
		}
		slices.Sort(open)
		want := []uint16{scanbench.PortAll, silentPort}
		if k := slices.Index(all, h.Addr); k >= 0 && k < fastHosts {
			want = want[:1]
		}
		if !slices.Equal(open, want) {
			t.Errorf("host %s: open ports %v, want %v", h.Addr, open, want)
		}
	}
	for _, h := range before.Hosts {
		if !kept[h.Addr] {
			t.Errorf("host %s, uploaded before the cancel, is gone after it", h.Addr)
		}
	}
	t.Logf("%d hosts before the cancel, %d after, of %d", len(before.Hosts), len(after.Hosts), len(all))
}

// launchJob launches a job in the web UI's form and returns its id (the
// row the box's page did not have before).
func (p *platformd) launchJob(box, targets, ports string) string {
	p.t.Helper()
	return p.web.LaunchJob(box, url.Values{"targets": {targets}, "ports": {ports}})
}

// jobExport is the job's JSON export (web: jsonExport).
type jobExport struct {
	Job struct {
		State string `json:"state"`
		Error string `json:"error"`
	} `json:"job"`
	Progress *platformapi.JobProgress `json:"progress"`
	Summary  *platformapi.ScanSummary `json:"summary"`
	Hosts    []result.Host            `json:"hosts"`
}

// export fetches the job's JSON export as the person.
func (p *platformd) export(t *testing.T, box, job string) jobExport {
	t.Helper()
	resp, body := p.web.Do("GET", box+"/jobs/"+job+".json", nil)
	var x jobExport
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("JSON export of %s: HTTP %d\n%s", job, resp.StatusCode, body)
	}
	if err := json.Unmarshal([]byte(body), &x); err != nil {
		t.Fatalf("JSON export of %s: %v\n%s", job, err, body)
	}
	return x
}

// waitJob reads the export every half second until cond holds.
func (p *platformd) waitJob(t *testing.T, e *env, box, job, what string, timeout time.Duration, cond func(jobExport) bool) jobExport {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		x := p.export(t, box, job)
		if cond(x) {
			return x
		}
		if time.Now().After(deadline) {
			t.Fatalf("job %s not %s after %s: state %q error %q, %d hosts, progress %+v\nscannerd:\n%s", job, what, timeout, x.Job.State, x.Job.Error, len(x.Hosts), x.Progress, e.scannerd.Output())
		}
		time.Sleep(500 * time.Millisecond)
	}
}

func waitScanner(t *testing.T, e *env, c *scanapi.Client, what string, timeout time.Duration, cond func(scanapi.State) bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		st, err := c.State(context.Background())
		if err == nil && cond(st) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("waiting for %s: scanner.sock says %+v (%v)\nscannerd:\n%s", what, st, err, e.scannerd.Output())
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// serveSSH sends the SSH identification string on each connection and
// holds it until the client goes.
func serveSSH(t *testing.T, ns *netbench.NS, at netip.AddrPort) {
	l := ns.Listen("tcp", at.String())
	serve(t, l, func(c net.Conn) {
		fmt.Fprintf(c, "%s\r\n", sshBanner)
		io.Copy(io.Discard, c)
	})
}

// serveHTTP answers every request with a page and the Server header.
func serveHTTP(t *testing.T, ns *netbench.NS, at netip.AddrPort) {
	l := ns.Listen("tcp", at.String())
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Server", httpServer)
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprint(w, "<html><head><title>Welcome to the bench</title></head><body></body></html>\n")
	}), ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
}

// serveSilent accepts and never writes.
func serveSilent(t *testing.T, ns *netbench.NS, at netip.AddrPort) {
	l := ns.Listen("tcp", at.String())
	serve(t, l, func(c net.Conn) { io.Copy(io.Discard, c) })
}

// serve runs h on each connection of l (with a deadline: a client that
// never goes does not hold the test) until cleanup.
func serve(t *testing.T, l net.Listener, h func(net.Conn)) {
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				c.SetDeadline(time.Now().Add(30 * time.Second))
				h(c)
			}()
		}
	}()
}
