package scanner

import (
	"context"
	"net/netip"
	"strings"
	"testing"

	"picket.dev/picket/src/link/platformapi"
	"picket.dev/picket/src/net/netapi"
	"picket.dev/picket/src/scan/result"
)

// fakeNet is the network manager's local API as a job sees it: a status
// with the LAN on eth0 and the scanning VLANs netmgrd reports.
type fakeNet struct {
	vlans []netapi.ScanVLAN
	// lan6 is the LAN's IPv6 method as netmgrd reports it: "off" unless
	// the platform turned IPv6 scanning on (default "auto").
	lan6 string
}

func (f fakeNet) Status(context.Context) (netapi.Status, error) {
	lan6 := f.lan6
	if lan6 == "" {
		lan6 = netapi.MethodAuto
	}
	return netapi.Status{
		Interfaces: []netapi.Interface{{Name: netapi.LAN, Device: "eth0", Link: netapi.LinkState{Up: true},
			IPv4: netapi.Family{Method: netapi.MethodStatic, Addresses: []netip.Prefix{netip.MustParsePrefix("192.168.1.10/24")}},
			IPv6: netapi.Family{Method: lan6}}},
		ScanVLANs: f.vlans,
	}, nil
}

func (f fakeNet) ManagementPath(context.Context) (netapi.ManagementPath, error) {
	return netapi.ManagementPath{Interface: netapi.LAN, Device: "eth0", DNS: []netip.Addr{netip.MustParseAddr("192.168.1.53")}}, nil
}

var boxVLANs = []netapi.ScanVLAN{
	{ID: 20, Name: "lab", Device: "eth0.20", Up: true, Addresses: []netip.Prefix{netip.MustParsePrefix("10.20.0.5/24"), netip.MustParsePrefix("fd00:20::5/64")}},
	{ID: 21, Device: "eth0.21", Up: false, Addresses: []netip.Prefix{netip.MustParsePrefix("10.21.0.5/24")}},
	{ID: 22, Device: "eth0.22", Up: true},
	{ID: 23, Device: "eth0.23", Up: true, Addresses: []netip.Prefix{netip.MustParsePrefix("fd00:23::5/64")}},
}

func TestNetEnvResolvesTheJobsInterface(t *testing.T) {
	mgr := fakeNet{vlans: boxVLANs}
	opt := NetEnvOptions{PlatformHost: "203.0.113.9"}
	ctx := t.Context()

	lan, err := NetEnv(ctx, mgr, opt, 0)
	if err != nil {
		t.Fatal(err)
	}
	if lan.Iface != "eth0" || lan.VLAN != 0 || lan.Subnets != nil || lan.Source.IsValid() {
		t.Errorf("LAN job env %+v; want eth0, no VLAN, no subnet bound, the kernel's source", lan)
	}
	if got := lan.Management; len(got) != 2 || got[0].String() != "192.168.1.53" || got[1].String() != "203.0.113.9" {
		t.Errorf("management addresses %v; want the DNS server and the platform", got)
	}
	if e, _ := NetEnv(ctx, mgr, NetEnvOptions{Iface: "eth9"}, 0); e.Iface != "eth9" {
		t.Errorf("-iface override: %q", e.Iface)
	}
	if e, _ := NetEnv(ctx, mgr, NetEnvOptions{Iface: "eth9"}, 20); e.Iface != "eth0.20" {
		t.Errorf("a VLAN job with -iface: %q, want the VLAN's own eth0.20", e.Iface)
	}

	v, err := NetEnv(ctx, mgr, opt, 20)
	if err != nil {
		t.Fatal(err)
	}
	if v.Iface != "eth0.20" || v.VLAN != 20 || v.Source.String() != "10.20.0.5" ||
		prefixes(v.Subnets) != "10.20.0.0/24, fd00:20::/64" || len(v.Management) != 2 {
		t.Errorf("VLAN 20 env %+v; want eth0.20 from 10.20.0.5, subnets 10.20.0.0/24 and fd00:20::/64", v)
	}
	if v, err := NetEnv(ctx, mgr, opt, 23); err != nil || v.Source.String() != "fd00:23::5" {
		t.Errorf("IPv6-only VLAN 23: %+v %v; want source fd00:23::5", v, err)
	}

	for _, tc := range []struct {
		vlans []netapi.ScanVLAN
		vlan  int
		want  string
	}{
		{boxVLANs, 30, "VLAN 30 is not a scanning VLAN of this box: it has VLANs 20, 21, 22, 23"},
		{nil, 20, "VLAN 20 is not a scanning VLAN of this box: it has none"},
		{boxVLANs, 21, "VLAN 21: its interface eth0.21 is not up on the box"},
		{boxVLANs, 22, "VLAN 22: its interface eth0.22 has no address yet"},
	} {
		_, err := NetEnv(ctx, fakeNet{vlans: tc.vlans}, opt, tc.vlan)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("VLAN %d: error %v; want %q", tc.vlan, err, tc.want)
		}
	}
}

// A job on a scanning VLAN scans through the VLAN's interface; one on a
// VLAN the box does not have up, or with a target off the VLAN's subnet,
// fails naming the VLAN or the target without scanning.
func TestRunnerScansThroughTheJobsVLAN(t *testing.T) {
	link := &fakeLink{}
	var ifaces []string
	r, err := NewRunner(RunnerConfig{
		Uploader: link, Scan: func(ctx context.Context, cfg Config) ([]result.Host, Summary, error) {
			ifaces = append(ifaces, cfg.Iface)
			return []result.Host{host("10.20.0.9", 22)}, Summary{Targets: cfg.Targets.Len(), Up: 1, Open: 1, Method: "syn"}, nil
		},
		Env: func(ctx context.Context, vlan int) (Env, error) {
			return NetEnv(ctx, fakeNet{vlans: boxVLANs}, NetEnvOptions{}, vlan)
		},
		Services: func(e Env, _ []result.CheckClass) (ServiceDetector, error) {
			if e.VLAN == 20 && (e.Iface != "eth0.20" || e.Source.String() != "10.20.0.5") {
				t.Errorf("service detection for VLAN 20 bound to %s from %s", e.Iface, e.Source)
			}
			return nil, nil
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	jobs := []platformapi.Job{
		{ID: "on-vlan", Targets: []string{"10.20.0.0/28", "fd00:20::9"}, Ports: "22", VLAN: 20},
		{ID: "on-lan", Targets: []string{"192.168.1.0/28"}, Ports: "22"},
		{ID: "off-subnet", Targets: []string{"10.20.0.9", "10.30.0.1"}, Ports: "22", VLAN: 20},
		{ID: "down", Targets: []string{"10.21.0.9"}, Ports: "22", VLAN: 21},
		{ID: "unknown", Targets: []string{"10.40.0.9"}, Ports: "22", VLAN: 40},
	}
	for _, j := range jobs {
		if !r.Offer(j) {
			t.Fatal("idle runner refused a job")
		}
		waitIdle(t, r)
	}
	if strings.Join(ifaces, " ") != "eth0.20 eth0" {
		t.Errorf("scans ran on %q; want eth0.20 then eth0, and no other scan", ifaces)
	}
	final := map[string]platformapi.JobUpdate{}
	for _, u := range link.all() {
		if u.State != platformapi.JobRunning && u.State != platformapi.JobAccepted {
			final[u.JobID] = u
		}
	}
	if u := final["on-vlan"]; u.State != platformapi.JobDone || u.Summary == nil || u.Summary.Interface != "eth0.20" {
		t.Errorf("VLAN job ended %+v summary %+v; want done on eth0.20", u, u.Summary)
	}
	for id, want := range map[string]string{
		"off-subnet": "target 10.30.0.1 is not on VLAN 20's subnet (10.20.0.0/24, fd00:20::/64)",
		"down":       "VLAN 21: its interface eth0.21 is not up on the box",
		"unknown":    "VLAN 40 is not a scanning VLAN of this box",
	} {
		if u := final[id]; u.State != platformapi.JobFailed || !strings.Contains(u.Error, want) {
			t.Errorf("job %s ended %s %q; want failed with %q", id, u.State, u.Error, want)
		}
	}
}

// With IPv6 scanning off on the LAN (the platform's setting, which
// netmgrd reports as the LAN's IPv6 method "off"), a LAN job with an IPv6
// target fails naming the target and the setting, without scanning; an
// IPv4 job runs; a VLAN job is bound by its VLAN's subnets instead.
func TestRunnerRefusesIPv6WhenOff(t *testing.T) {
	link := &fakeLink{}
	var scanned []string
	r, err := NewRunner(RunnerConfig{
		Uploader: link, Scan: func(ctx context.Context, cfg Config) ([]result.Host, Summary, error) {
			for i := uint64(0); i < cfg.Targets.Len(); i++ {
				scanned = append(scanned, cfg.Targets.At(i).String())
			}
			return nil, Summary{Targets: cfg.Targets.Len(), Method: "syn"}, nil
		},
		Env: func(ctx context.Context, vlan int) (Env, error) {
			return NetEnv(ctx, fakeNet{vlans: boxVLANs, lan6: netapi.MethodOff}, NetEnvOptions{}, vlan)
		},
		Services: func(e Env, _ []result.CheckClass) (ServiceDetector, error) { return nil, nil },
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, j := range []platformapi.Job{
		{ID: "v6", Targets: []string{"192.168.1.7", "2001:db8::7"}, Ports: "22"},
		{ID: "v4", Targets: []string{"192.168.1.8"}, Ports: "22"},
		{ID: "vlan6", Targets: []string{"fd00:20::9"}, Ports: "22", VLAN: 20},
	} {
		if !r.Offer(j) {
			t.Fatal("idle runner refused a job")
		}
		waitIdle(t, r)
	}
	if got := strings.Join(scanned, " "); got != "192.168.1.8 fd00:20::9" {
		t.Errorf("scanned %q; want only the IPv4 job's and the VLAN job's targets", got)
	}
	for _, u := range link.all() {
		if u.JobID == "v6" && u.State != platformapi.JobAccepted && u.State != platformapi.JobRunning {
			if want := `target "2001:db8::7": IPv6 scanning is off on this box`; u.State != platformapi.JobFailed || !strings.Contains(u.Error, want) {
				t.Errorf("job v6 ended %s %q; want failed with %q", u.State, u.Error, want)
			}
		}
	}
}
