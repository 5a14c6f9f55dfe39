package platformlink_test

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"picket.dev/picket/src/link/platformapi"
	"picket.dev/picket/src/net/netapi"
	"picket.dev/picket/src/testkit/netbench"
	"picket.dev/picket/src/testkit/testinput"
	"picket.dev/picket/src/testkit/webui"
)

// platformd is the real platform server in the LAN side namespace, and a
// browser session on its web UI.
type platformd struct {
	t    *testing.T
	e    *env
	dir  string
	args []string // platformd's serving flags
	proc *netbench.Proc
	web  *webui.Session
}

const webUser, webPass = "admin", "e2e-Admin-pw-1"

func startPlatformd(t *testing.T, e *env) *platformd {
	t.Helper()
	p := &platformd{t: t, e: e, dir: filepath.Join(e.dir, "platform")}
	certFile, keyFile := filepath.Join(e.dir, "platform.pem"), filepath.Join(e.dir, "platform.key")
	var chain []byte
	for _, der := range e.cert.Certificate {
		chain = append(chain, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})...)
	}
	key, err := x509.MarshalPKCS8PrivateKey(e.cert.PrivateKey)
	if err != nil {
		t.Fatal(err)
	}
	pwFile := filepath.Join(e.dir, "admin.pw")
	for f, data := range map[string][]byte{certFile: chain, keyFile: pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: key}), pwFile: []byte(webPass + "\n")} {
		if err := os.WriteFile(f, data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if out, err := e.net.Try(testinput.Command(t, "platformd"), "-data", p.dir, "-create-user", webUser, "-password-file", pwFile); err != nil {
		t.Fatalf("platformd -create-user: %v\n%s", err, out)
	}
	p.args = []string{"-data", p.dir, "-listen", lanGW.String() + ":443", "-cert", certFile, "-key", keyFile}
	p.start()
	p.web = webui.New(t, platHost, caPool(t, e), func(ctx context.Context, network string) (net.Conn, error) {
		return e.net.DialContext(ctx, network, lanGW.String()+":443")
	})
	return p
}

func caPool(t *testing.T, e *env) *x509.CertPool {
	pemData, err := os.ReadFile(e.caFile)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pemData)
	return pool
}

// start runs platformd serving the box API and the web UI on the LAN
// side's port 443 (it keeps its database across restarts).
func (p *platformd) start() {
	p.t.Helper()
	p.proc = p.e.net.Start("platformd", append([]string{testinput.Command(p.t, "platformd")}, p.args...)...)
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		c, err := p.e.net.Dial("tcp", lanGW.String()+":443")
		if err == nil {
			c.Close()
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	p.t.Fatalf("platformd does not listen:\n%s", p.proc.Output())
}

// TestRealPlatformd runs the box against the real platform server: the
// operator activates it by the code on its panel in the web UI, sets its
// name and a 10 s poll interval, launches a scan job of the LAN's gateway
// (the box's DNS server: scanned because it is the target), which the box
// runs (a connect scan: scannerd has no raw-socket privilege here) to
// done, and the platform goes away and back.
// The first wait is the unactivated poll interval the platform gives
// (platformapi.ActivationPollInterval, 15 s).
func TestRealPlatformd(t *testing.T) {
	var pd *platformd
	e := newEnvWith(t, func(e *env) { pd = startPlatformd(t, e) })
	pd.web.Login(webUser, webPass, "/appliances")
	st := e.waitFor("ACTIVATION CODE", 60*time.Second, linkState(netapi.LinkActivation))
	box, err := pd.web.Activate(st.Platform.ActivationCode)
	if err != nil {
		t.Fatal(err)
	}
	// A route for scans that does not touch the platform's path: it
	// stays, and is in the last-known-good configuration.
	pd.web.Post(box, box+"/settings", url.Values{"name": {"lab-real"}, "poll_interval": {"10"}, "vlans": {""}, "routes": {"192.0.2.0/24 10.50.0.1 lab"}, "ipv6_method": {"off"}})
	// Within one unactivated poll interval (15 s ±10%), with margin.
	st = e.waitFor("NAME-IP after activation", 45*time.Second, linkState(netapi.LinkReady))
	if st.Platform.Name != "lab-real" {
		t.Fatalf("ready as %q, want lab-real", st.Platform.Name)
	}
	pd.web.Post(box, box+"/jobs", url.Values{"targets": {"10.50.0.1"}, "ports": {"1-1024"}})
	deadline := time.Now().Add(2 * time.Minute)
	for {
		_, page := pd.web.Do("GET", box, nil)
		if strings.Contains(page, `<td class="job-state">done`) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the job never showed done on the platform:\n%s\nscannerd:\n%s", page, e.scannerd.Output())
		}
		time.Sleep(time.Second)
	}
	if out := e.scannerd.Output(); !strings.Contains(out, "platform settings applied") {
		t.Errorf("scannerd did not apply the settings:\n%s", out)
	}

	checkRollback(t, e, pd, box)

	pd.proc.Stop()
	e.waitFor("COMMUNICATION FAILURE with platformd stopped", 2*time.Minute, linkState(netapi.LinkCommFailure))
	pd.start()
	e.waitFor("recovery once platformd is back", 2*time.Minute, func(st netapi.Status) bool {
		return st.Platform != nil && st.Platform.State == netapi.LinkReady && st.Platform.Name == "lab-real"
	})
}

// TestRealPlatformdAtLimits: the real box against the real platform with
// every field a person can set at its limit: the settings form's (a
// 64-byte name of characters JSON escapes, 4094 scanning VLANs and 99
// routes with the longest addresses and names) and the most jobs waiting
// (8, each with 4096 targets and 2048 characters of ports). In issue 12
// less than that made every poll of scannerd fail (COMMUNICATION
// FAILURE). The box keeps polling: it shows the new name, never reports
// a failed poll, hands the settings to netmgrd (applied or refused, it
// answers) and takes the first job (one at a time: the others wait on the
// platform), which the platform shows running.
func TestRealPlatformdAtLimits(t *testing.T) {
	var pd *platformd
	e := newEnvWith(t, func(e *env) { pd = startPlatformd(t, e) })
	pd.web.Login(webUser, webPass, "/appliances")
	st := e.waitFor("ACTIVATION CODE", 60*time.Second, linkState(netapi.LinkActivation))
	box, err := pd.web.Activate(st.Platform.ActivationCode)
	if err != nil {
		t.Fatal(err)
	}
	limits := webui.LimitSettings()
	pd.web.Post(box, box+"/settings", limits)
	for i := 0; i < platformapi.MaxPendingJobs; i++ {
		pd.web.Post(box, box+"/jobs", webui.LimitJob())
	}
	e.waitFor("NAME-IP with every field at its limit", 90*time.Second, func(st netapi.Status) bool {
		return st.Platform != nil && st.Platform.State == netapi.LinkReady && st.Platform.Name == limits.Get("name")
	})
	deadline := time.Now().Add(5 * time.Minute)
	for {
		_, page := pd.web.Do("GET", box, nil)
		if strings.Contains(page, `<td class="job-state">running`) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no job of the %d at their limits showed running on the platform:\nscannerd:\n%s", platformapi.MaxPendingJobs, e.scannerd.Output())
		}
		time.Sleep(2 * time.Second)
	}
	out := e.scannerd.Output()
	if strings.Contains(out, "poll failed") {
		t.Errorf("a poll failed with every field at its limit:\n%s", out)
	}
	switch {
	case strings.Contains(out, "platform settings applied"):
		t.Log("netmgrd applied the settings at their limits")
	case strings.Contains(out, "platform settings refused"):
		i := strings.Index(out, "platform settings refused")
		line, _, _ := strings.Cut(out[i:], "\n")
		t.Logf("netmgrd refused the settings at their limits; the box reported it and kept polling: %.600s", line)
	default:
		t.Errorf("the settings were neither applied nor refused:\n%s", out)
	}
	if st := e.waitFor("still ready", 30*time.Second, linkState(netapi.LinkReady)); st.Platform.LastError != "" {
		t.Errorf("link error %q", st.Platform.LastError)
	}
}

var versions = regexp.MustCompile(`id="settings-state">version (\d+); the box applied version (\d+)`)

// checkRollback: a manager pushes a route that cuts the box off from the
// platform (the platform, its DNS server and gateway at 10.50.0.1, through
// a router that does not exist). netmgrd puts it on trial and rolls it
// back to the last-known-good configuration (with the first settings'
// route) after its grace period; the next poll gets through and the
// platform's page for the box says which version was rolled back and why.
// The settings applied before, which did not cut the box off, stay.
func checkRollback(t *testing.T, e *env, pd *platformd, box string) {
	t.Helper()
	began := time.Now()
	pd.web.Post(box, box+"/settings", url.Values{"name": {"lab-real"}, "poll_interval": {"10"}, "vlans": {""},
		"routes": {"192.0.2.0/24 10.50.0.1 lab\n10.50.0.1/32 10.50.0.77 cut"}, "ipv6_method": {"off"}})
	e.waitFor("the cutting settings on trial", 60*time.Second, func(st netapi.Status) bool {
		return st.Trial != nil && st.Trial.Source == netapi.SourcePlatform
	})
	st := e.waitFor("the rollback", rollbackGrace+60*time.Second, func(st netapi.Status) bool {
		return st.Rollback != nil && st.Trial == nil
	})
	if st.Rollback.Source != netapi.SourcePlatform || !strings.Contains(st.Rollback.Reason, "platform settings (platform.routes[1]") {
		t.Errorf("rollback %+v", *st.Rollback)
	}
	ctx := context.Background()
	view, err := e.mgr.Config(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if r := view.Config.Platform.Routes; len(r) != 1 || r[0].Name != "lab" {
		t.Errorf("routes in force after the rollback: %+v, want the first settings' lab route", r)
	}
	if out := e.box.Run("ip", "-4", "route", "show", "10.50.0.1"); strings.Contains(out, "10.50.0.77") {
		t.Errorf("the cutting route is still in the kernel:\n%s", out)
	}
	deadline := time.Now().Add(time.Minute)
	for {
		_, page := pd.web.Do("GET", box, nil)
		// The version the platform holds is the cutting one; the box
		// applied the one before it and rolled that one back.
		if m := versions.FindStringSubmatch(page); m != nil && m[1] != "" && m[2] != "" {
			v, _ := strconv.Atoi(m[1])
			if strings.Contains(page, fmt.Sprintf("the box applied version %d;", v-1)) &&
				strings.Contains(page, fmt.Sprintf(`<td id="rollback"><span class="error">the box rolled back settings version %d at `, v)) &&
				strings.Contains(page, "did not reach the platform") {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("the platform's page never showed the rollback:\n%s\nscannerd:\n%s", page, e.scannerd.Output())
		}
		time.Sleep(time.Second)
	}
	e.waitFor("ready again", 30*time.Second, linkState(netapi.LinkReady))
	t.Logf("the rollback of platform settings took %s", time.Since(began).Round(100*time.Millisecond))
}
