package standin

import (
	"crypto/rand"
	"net/netip"
	"testing"
	"time"

	"picket.dev/picket/src/net/netapi"
	"picket.dev/picket/src/net/netstore"
)

// The stand-in boots on the network's defaults (DHCP on LAN, spec
// network.md "Modes and defaults"): its LAN gets a lease from the
// simulated network's DHCP server and the path to the simulated platform
// tests good, every step performed.
func TestBootsOnDHCPAndReachesThePlatform(t *testing.T) {
	store := netstore.New(netstore.DirFS(t.TempDir()), rand.Reader)
	s, err := Start(Options{Store: store, Rand: rand.Reader})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Stop() })
	ctx := t.Context()
	var st netapi.Status
	for end := time.Now().Add(10 * time.Second); time.Now().Before(end); time.Sleep(50 * time.Millisecond) {
		if st, err = s.Status(ctx); err != nil {
			t.Fatal(err)
		}
		if st.LastTest != nil {
			break
		}
	}
	if st.Backend != Backend || st.LastTest == nil {
		t.Fatalf("status %+v: want the stand-in's backend and a boot test", st)
	}
	lan := st.Interfaces[0]
	want := netip.MustParsePrefix("192.168.77.100/24")
	if lan.IPv4.Method != netapi.MethodDHCP || lan.IPv4.Lease == nil || lan.IPv4.Lease.State != netapi.LeaseBound ||
		len(lan.IPv4.Addresses) != 1 || lan.IPv4.Addresses[0] != want || !lan.Link.Up {
		t.Errorf("LAN %+v, want up with a bound DHCP lease %s", lan, want)
	}
	if !st.LastTest.OK || !st.LastTest.Simulated {
		t.Errorf("boot test %+v, want passed and marked simulated", st.LastTest)
	}
	for _, step := range st.LastTest.Steps {
		t.Logf("%-8s %-8s %s", step.Name, step.Result, step.Detail)
		if step.Result != netapi.StepPassed && !(step.Name == netapi.StepProxy && step.Result == netapi.StepSkipped) {
			t.Errorf("step %s %s: every step but the proxy's must run and pass", step.Name, step.Result)
		}
	}
}
