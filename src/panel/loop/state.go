package loop

import (
	"net/netip"
	"time"

	"picket.dev/picket/src/net/netapi"
	"picket.dev/picket/src/panel/menu"
)

// state is what the menu needs, from what the network manager, the
// scanner (LED S1, the running scan's progress, the signatures) and the
// updater report.
// The platform link (scannerd) reports through the network manager
// (Status.Platform): ACTIVATION CODE, NAME-IP or COMMUNICATION FAILURE;
// before its first report the idle screen says CONTACTING PLATFORM, or the
// first failing step of the last connectivity test.
func (p *Panel) state() menu.State {
	st := menu.Status{
		Phase:       menu.PhaseRunning,
		Platform:    menu.PlatformContacting,
		Software:    p.version,
		Test:        p.test,
		ScanRunning: p.scan.running,
		Scan:        p.scan.progress,

		UpdateRunning: p.upd.running,
		Update:        p.upd.update,

		Signatures:           p.scan.sigs,
		SignaturesAgeDays:    p.scan.ageDays,
		SignaturesMaxAgeDays: p.scan.maxDays,

		Data:        p.data,
		NewIdentity: p.newIdentity,
	}
	// The updater reads the running slot's signed manifest: its version
	// is the one SHOW STATUS gives when it answers; the build's own
	// otherwise.
	if p.upd.software != "" {
		st.Software = p.upd.software
	}
	var failure *netapi.Step
	if p.st.LastTest != nil {
		if f, ok := p.st.LastTest.FirstFailure(); ok {
			failure = &f
			st.Failure = menu.Failure{Step: step(f.Name), Reason: f.Panel}
		}
	}
	// The platform link's own state wins while it answers; when it does
	// not (contacting, or a failed poll), a failed path test says why.
	link := p.st.Platform
	switch {
	case link != nil && link.State == netapi.LinkReady:
		st.Platform, st.Name = menu.PlatformReady, link.Name
	case link != nil && link.State == netapi.LinkActivation:
		st.Platform, st.ActivationCode = menu.PlatformActivation, link.ActivationCode
	case failure != nil:
		st.Platform = menu.PlatformConfigError
	case link != nil && link.State == netapi.LinkCommFailure:
		st.Platform = menu.PlatformCommFailure
	}
	for _, ifc := range p.st.Interfaces {
		v4 := ipv4(ifc.IPv4, p.st.DNS)
		switch ifc.Name {
		case netapi.LAN:
			st.MAC = ifc.MAC
			st.LAN = v4
			st.LAN6 = ipv6(ifc.IPv6, p.st.DNS)
		case netapi.WAN:
			st.WAN = v4
		}
	}
	if p.revertPending() {
		tr := p.st.Trial
		left := tr.Deadline.Sub(p.revClock.Now())
		st.Revert = menu.Revert{Pending: true, Left: int(max(0, (left+time.Second-1)/time.Second)), Reason: tr.Reason}
	}
	return menu.State{Config: p.view.Config, Status: st}
}

// revertPending reports a change made at the panel on trial, which the
// network manager reverts by itself unless the operator keeps it.
func (p *Panel) revertPending() bool {
	return p.st.Trial != nil && p.st.Trial.Source == netapi.SourcePanel
}

func ipv4(f netapi.Family, dns []netip.Addr) menu.IPv4Addrs {
	var a menu.IPv4Addrs
	for _, pfx := range f.Addresses {
		if pfx.Addr().Is4() {
			a.Address = pfx
			break
		}
	}
	a.Gateway = f.Gateway
	a.DNS1, a.DNS2 = firstTwo(dns, netip.Addr.Is4)
	return a
}

func ipv6(f netapi.Family, dns []netip.Addr) menu.IPv6Addrs {
	var a menu.IPv6Addrs
	for _, pfx := range f.Addresses {
		if pfx.Addr().Is6() && !pfx.Addr().IsLinkLocalUnicast() {
			a.Address = pfx
			break
		}
	}
	a.Gateway = f.Gateway
	a.DNS1, a.DNS2 = firstTwo(dns, netip.Addr.Is6)
	return a
}

func firstTwo(addrs []netip.Addr, keep func(netip.Addr) bool) (a, b netip.Addr) {
	var got []netip.Addr
	for _, x := range addrs {
		if keep(x) {
			got = append(got, x)
		}
	}
	if len(got) > 0 {
		a = got[0]
	}
	if len(got) > 1 {
		b = got[1]
	}
	return a, b
}

func step(n netapi.StepName) menu.Step {
	switch n {
	case netapi.StepLink:
		return menu.StepLink
	case netapi.StepAddress:
		return menu.StepAddress
	case netapi.StepGateway:
		return menu.StepGateway
	case netapi.StepDNS:
		return menu.StepDNS
	case netapi.StepProxy:
		return menu.StepProxy
	case netapi.StepTLS:
		return menu.StepTLS
	}
	return menu.StepPlatform
}

func testReport(t *netapi.ConnTest) menu.TestReport {
	if t == nil {
		return menu.TestReport{}
	}
	if f, ok := t.FirstFailure(); ok {
		return menu.TestReport{State: menu.TestFailed, Failure: menu.Failure{Step: step(f.Name), Reason: f.Panel}}
	}
	return menu.TestReport{State: menu.TestPassed}
}
