package vuln_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"html"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"picket.dev/picket/src/link/platformapi"
	"picket.dev/picket/src/net/netapi"
	"picket.dev/picket/src/scan/result"
	"picket.dev/picket/src/scan/scanapi"
	"picket.dev/picket/src/scan/sigdb"
	"picket.dev/picket/src/scan/sigdb/starter"
	"picket.dev/picket/src/scan/sigpkg"
	"picket.dev/picket/src/system/manifest"
	"picket.dev/picket/src/testkit/netbench"
	"picket.dev/picket/src/testkit/netstatus"
	"picket.dev/picket/src/testkit/platformproc"
	"picket.dev/picket/src/testkit/svcbench"
	"picket.dev/picket/src/testkit/testinput"
	"picket.dev/picket/src/testkit/webui"
	"picket.dev/picket/src/update/release"
	"picket.dev/picket/src/update/updateapi"
)

// The box's LAN: the bench's client namespace is its router (and the
// platform's host, with dnsmasq for DHCP and DNS), so the box reaches the
// bench's services through one routed hop, as a scanner on an office LAN
// reaches its servers.
var (
	lanGW    = netip.MustParseAddr("10.50.0.1")
	lanNet   = netip.MustParsePrefix("10.50.0.0/24")
	platHost = "platform.vuln.test"
)

const webUser, webPass = "admin", "vuln-Admin-pw-1"

// box is the real platformd, netmgrd, scannerd and updaterd around the
// bench, the update repository platformd serves, and a person's browser
// session on the platform's web UI.
type box struct {
	t        *testing.T
	router   *netbench.NS // the bench's client namespace: LAN side, platformd
	ns       *netbench.NS
	mgr      *netapi.Client
	netmgrd  *netbench.Proc
	scannerd *netbench.Proc
	updaterd *netbench.Proc
	pd       *netbench.Proc
	web      *webui.Session
	page     string // the box's page on the platform, once activated
	sigs     *sigdb.DB
	// scanner and updater are scanner.sock and updater.sock, read as
	// root, as the panels read them.
	scanner *scanapi.Client
	updater *updateapi.Client
	// The update repository and the keys of its roles: the targets key
	// is the release key that signed the signature package.
	repo                       release.Repo
	releaseKey, snapKey, tsKey ed25519.PrivateKey
	dir                        string
}

// startBox cables a box namespace to the bench's client namespace, routes
// the LAN to the bench's servers, and starts platformd there and netmgrd,
// scannerd and updaterd in the box. scannerd runs as root, as the image's
// init runs it: raw sockets, so a SYN scan with UDP. Its signature
// database is the starter database, packed and signed here with a release
// key made for the test (the image build signs it with the release key;
// scannerd checks it against -release-pub), given as the image's default
// package. platformd serves an update repository made here with the
// release tool's package (throwaway root, snapshot and timestamp keys; the
// targets key is that release key), holding no release yet; updaterd
// trusts its root (the image's /etc/picket/tuf/root.json) and runs without
// init.sock (no software updates: the box here is no booted image).
func startBox(t *testing.T, b *svcbench.Bench) *box {
	t.Helper()
	x := &box{t: t, router: b.Client, ns: b.NB.NS("box")}
	// A short path: unix socket names are limited to 108 bytes, and
	// t.TempDir under Bazel is long.
	dir, err := os.MkdirTemp("/tmp", "picket-vuln-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	x.dir = dir

	b.NB.Veth(x.ns, "eth0", x.router, "lan0")
	x.router.Run("ip", "addr", "add", lanGW.String()+"/24", "dev", "lan0")
	x.router.Run("ip", "link", "set", "lan0", "up")
	x.router.Run("sysctl", "-qw", "net.ipv4.ip_forward=1")
	b.Server.Run("ip", "route", "add", lanNet.String(), "via", svcbench.ClientAddr.String())
	netbench.Dnsmasq(x.router, netbench.DnsmasqOptions{
		Interface:  "lan0",
		Range4From: netip.MustParseAddr("10.50.0.100"), Range4To: netip.MustParseAddr("10.50.0.150"),
		LeaseTime: time.Hour, Router: lanGW, DNS: []netip.Addr{lanGW}, Domain: "vuln.test", DNSPort: 53,
		HostRecords: []netbench.HostRecord{{Name: platHost, Addrs: []netip.Addr{lanGW}}},
	})

	// platformd on the LAN side, with a certificate of a CA the box pins.
	ca := netbench.NewCA(t)
	caFile := filepath.Join(dir, "platform-ca.pem")
	cert := ca.Issue(t, platHost)
	var chain []byte
	for _, der := range cert.Certificate {
		chain = append(chain, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})...)
	}
	key, err := x509.MarshalPKCS8PrivateKey(cert.PrivateKey)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile := filepath.Join(dir, "platform.pem"), filepath.Join(dir, "platform.key")
	writeFile(t, caFile, ca.PEM, 0o644)
	writeFile(t, certFile, chain, 0o600)
	writeFile(t, keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: key}), 0o600)

	// The signature package: the starter database, its version and date
	// from its own header (as imgtool sigpack makes it), signed.
	pubPEM, privPEM, err := manifest.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	priv, err := manifest.ParsePrivateKey(privPEM)
	if err != nil {
		t.Fatal(err)
	}
	x.releaseKey = priv
	if x.sigs, err = sigdb.Compile(starter.Source()); err != nil {
		t.Fatal(err)
	}
	pkg, err := sigpkg.Pack(x.sigs.Version(), x.sigs.Date(), starter.Source(), priv)
	if err != nil {
		t.Fatal(err)
	}
	pubFile, pkgFile := filepath.Join(dir, "release.pub"), filepath.Join(dir, "signatures.pkg")
	writeFile(t, pubFile, pubPEM, 0o644)
	writeFile(t, pkgFile, pkg, 0o644)

	rootFile := x.initRepo(filepath.Join(dir, "updates"))

	pdBin, pdData := testinput.Command(t, "platformd"), filepath.Join(dir, "platform")
	if err := platformproc.CreateUser(pdBin, pdData, webUser, "default", webPass); err != nil {
		t.Fatal(err)
	}
	x.pd = x.router.Start("platformd", pdBin, "-data", pdData, "-listen", lanGW.String()+":443", "-cert", certFile, "-key", keyFile, "-updates", x.repo.Dir)
	waitListen(t, x.router, lanGW.String()+":443", x.pd)
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(ca.PEM)
	x.web = webui.New(t, platHost, pool, func(ctx context.Context, network string) (net.Conn, error) {
		return x.router.DialContext(ctx, network, lanGW.String()+":443")
	})

	socket, scanSock, updSock := filepath.Join(dir, "netmgr.sock"), filepath.Join(dir, "scanner.sock"), filepath.Join(dir, "updater.sock")
	x.netmgrd = x.ns.Start("netmgrd", testinput.Command(t, "netmgrd"),
		"-socket", socket, "-data", filepath.Join(dir, "data"), "-lan", "eth0", "-wan", "",
		"-platform", platHost+":443", "-platform-ca", caFile,
		"-resolv", filepath.Join(dir, "resolv.conf"),
		"-lease-wait", "15s", "-dhcp-retry-min", "2s", "-dhcp-retry-max", "5s",
		"-scanner", scanSock)
	x.mgr = netapi.Dial(socket)
	t.Cleanup(func() { x.mgr.Close() })
	x.waitFor("a DHCP lease on the LAN", 60*time.Second, func(st netapi.Status) bool {
		return len(st.Interfaces) > 0 && len(st.Interfaces[0].IPv4.Addresses) > 0 && len(st.DNS) > 0
	})
	x.t.Logf("the box has its DHCP lease")
	linkData := filepath.Join(dir, "scanner-data")
	if err := os.Mkdir(linkData, 0o700); err != nil {
		t.Fatal(err)
	}
	x.scannerd = x.ns.Start("scannerd", testinput.Command(t, "scannerd"),
		"-data", linkData, "-netmgr", socket, "-socket", scanSock,
		"-platform", "https://"+platHost, "-platform-ca", caFile,
		"-release-pub", pubFile, "-signatures-default", pkgFile, "-updater", updSock)
	x.updaterd = x.ns.Start("updaterd", testinput.Command(t, "updaterd"),
		"-data", filepath.Join(dir, "updater-data"), "-socket", updSock, "-init", "", "-scanner", scanSock,
		"-platform-ca", caFile, "-tuf-root", rootFile, "-release-pub", pubFile)
	x.scanner, x.updater = scanapi.Dial(scanSock), updateapi.Dial(updSock)
	t.Cleanup(func() { x.scanner.Close(); x.updater.Close() })
	return x
}

// initRepo makes the update repository in dir as a release manager does
// (release init, sign root and targets, publish) with no release in it,
// and returns the path of its root metadata, the box's trust anchor.
func (x *box) initRepo(dir string) string {
	x.t.Helper()
	key := func() ed25519.PrivateKey {
		_, k, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			x.t.Fatal(err)
		}
		return k
	}
	rootKey := key()
	x.snapKey, x.tsKey = key(), key()
	role := func(k ed25519.PrivateKey) release.RoleKeys {
		return release.RoleKeys{Keys: []ed25519.PublicKey{k.Public().(ed25519.PublicKey)}, Threshold: 1}
	}
	x.repo = release.Repo{Dir: dir}
	now := time.Now()
	if err := x.repo.Init(release.Keys{Root: role(rootKey), Targets: role(x.releaseKey), Snapshot: role(x.snapKey), Timestamp: role(x.tsKey)}, release.Expiry{}, now); err != nil {
		x.t.Fatal(err)
	}
	if _, err := x.repo.Sign(release.Root, rootKey); err != nil {
		x.t.Fatal(err)
	}
	x.publish()
	return filepath.Join(dir, release.MetadataDir, "1.root.json")
}

// publish signs the staged targets with the release key and publishes
// them with the snapshot and timestamp keys.
func (x *box) publish() {
	x.t.Helper()
	if _, err := x.repo.Sign(release.Targets, x.releaseKey); err != nil {
		x.t.Fatal(err)
	}
	if _, err := x.repo.Publish([]ed25519.PrivateKey{x.snapKey}, []ed25519.PrivateKey{x.tsKey}, release.Expiry{}, time.Now()); err != nil {
		x.t.Fatal(err)
	}
}

// activate logs in to the web UI, activates the box by the code its panel
// shows and sets a 10 s poll interval (the least the platform takes). It
// does not wait for the box to hear of it: jobs launched now reach the box
// with the activation, at its next poll.
func (x *box) activate() {
	x.t.Helper()
	x.web.Login(webUser, webPass, "/appliances")
	st := x.waitFor("ACTIVATION CODE", 60*time.Second, func(st netapi.Status) bool {
		return st.Platform != nil && st.Platform.State == netapi.LinkActivation
	})
	x.t.Logf("the box shows its activation code")
	page, err := x.web.Activate(st.Platform.ActivationCode)
	if err != nil {
		x.t.Fatal(err)
	}
	x.page = page
	x.web.Post(page, page+"/settings", url.Values{"name": {"lab-vuln"}, "poll_interval": {"10"}, "vlans": {""}, "routes": {""}, "ipv6_method": {"off"}})
}

// launchJob fills in the box page's job form (targets, ports, the check
// classes ticked off) and returns the new job's id: the row the box's page
// did not have before.
func (x *box) launchJob(targets, ports string, checksOff ...string) string {
	x.t.Helper()
	form := url.Values{"targets": {targets}, "ports": {ports}, "vlan": {"0"}}
	for _, c := range checksOff {
		form.Add("checks_off", c)
	}
	return x.web.LaunchJob(x.page, form)
}

// jobExport is what the tests read of the job's JSON export ({job}.json).
type jobExport struct {
	Job struct {
		State     string   `json:"state"`
		Error     string   `json:"error"`
		ChecksOff []string `json:"checks_off"`
	} `json:"job"`
	Summary *platformapi.ScanSummary `json:"summary"`
	Hosts   []result.Host            `json:"hosts"`
}

// findingsExport is the job's findings JSON export ({job}.findings.json).
type findingsExport struct {
	Job        string                  `json:"job"`
	State      string                  `json:"state"`
	Signatures string                  `json:"signatures"`
	Counts     map[result.Severity]int `json:"counts"`
	Findings   []struct {
		Host string `json:"host"`
		result.Finding
	} `json:"findings"`
}

// get fetches path as the person and decodes its JSON into v.
func (x *box) get(path string, v any) {
	x.t.Helper()
	resp, body := x.web.Do("GET", path, nil)
	if resp.StatusCode != http.StatusOK {
		x.t.Fatalf("GET %s: HTTP %d\n%s", path, resp.StatusCode, body)
	}
	if err := json.Unmarshal([]byte(body), v); err != nil {
		x.t.Fatalf("GET %s: %v\n%s", path, err, body)
	}
}

// waitDone reads the job's JSON export every half second until the job
// has ended; it must have ended done.
func (x *box) waitDone(job string, timeout time.Duration) jobExport {
	x.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		var e jobExport
		x.get(x.page+"/jobs/"+job+".json", &e)
		switch e.Job.State {
		case platformapi.JobDone:
			return e
		case platformapi.JobFailed, platformapi.JobCanceled:
			x.t.Fatalf("job %s %s: %s\nscannerd:\n%s", job, e.Job.State, e.Job.Error, x.scannerd.Output())
		}
		if time.Now().After(deadline) {
			x.t.Fatalf("job %s not done after %s: state %q, %d hosts\nscannerd:\n%s", job, timeout, e.Job.State, len(e.Hosts), x.scannerd.Output())
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// pageFinding is a row of the job page's findings table.
type pageFinding struct {
	severity, id, host, port string
}

var (
	findingsTableRE = regexp.MustCompile(`(?s)<table id="findings">.*?</table>`)
	findingRowRE    = regexp.MustCompile(`(?s)<tr class="finding sev-([a-z]+)" data-id="([^"]*)" data-host="([^"]*)">(.*?)</tr>`)
	cellRE          = regexp.MustCompile(`(?s)<td class="(host|port|check)">(.*?)</td>`)
	signaturesRE    = regexp.MustCompile(`<td id="job-signatures">([^<]*)</td>`)
	checksOffRE     = regexp.MustCompile(`<td id="job-checks-off">([^<]*)</td>`)
)

// jobPage reads the job page as a person sees it: the rows of its findings
// table (severity, check id, host and port cells), the signature database
// and the check classes switched off it names.
func (x *box) jobPage(job string) (rows []pageFinding, signatures, checksOff, page string) {
	x.t.Helper()
	var resp *http.Response
	resp, page = x.web.Do("GET", x.page+"/jobs/"+job, nil)
	if resp.StatusCode != http.StatusOK {
		x.t.Fatalf("job page %s: HTTP %d\n%s", job, resp.StatusCode, page)
	}
	for _, m := range findingRowRE.FindAllStringSubmatch(findingsTableRE.FindString(page), -1) {
		r := pageFinding{severity: m[1]}
		cells := map[string]string{}
		for _, c := range cellRE.FindAllStringSubmatch(m[4], -1) {
			cells[c[1]] = c[2]
		}
		// The check and host cells say what the row's data attributes
		// say: what the person reads is what the test reads.
		if cells["check"] != m[2] || !strings.HasPrefix(cells["host"], m[3]) {
			x.t.Errorf("job page %s: row %q has cells %v", job, m[0], cells)
		}
		r.id, r.host, r.port = cells["check"], m[3], cells["port"]
		rows = append(rows, r)
	}
	if m := signaturesRE.FindStringSubmatch(page); m != nil {
		signatures = html.UnescapeString(m[1]) // "1.0.1&#43;upd1"
	}
	if m := checksOffRE.FindStringSubmatch(page); m != nil {
		checksOff = m[1]
	}
	return rows, signatures, checksOff, page
}

func (x *box) waitFor(what string, timeout time.Duration, cond func(netapi.Status) bool) netapi.Status {
	x.t.Helper()
	return netstatus.Wait(x.t, x.mgr, what, timeout, cond,
		func() string { return "netmgrd:\n" + x.netmgrd.Output() },
		func() string {
			if x.scannerd == nil {
				return ""
			}
			return "scannerd:\n" + x.scannerd.Output()
		})
}

func waitListen(t *testing.T, ns *netbench.NS, addr string, p *netbench.Proc) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if c, err := ns.Dial("tcp", addr); err == nil {
			c.Close()
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("nothing listens on %s:\n%s", addr, p.Output())
}

func writeFile(t *testing.T, path string, data []byte, mode os.FileMode) {
	t.Helper()
	if err := os.WriteFile(path, data, mode); err != nil {
		t.Fatal(err)
	}
}
