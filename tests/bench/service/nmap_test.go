package service_test

import (
	"context"
	"encoding/xml"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"picket.dev/picket/src/scan/result"
	"picket.dev/picket/src/scan/service"
	"picket.dev/picket/src/testkit/svcbench"
)

// nmapRun is the part of nmap's XML output (nmap.dtd) the comparison reads.
type nmapRun struct {
	Hosts []struct {
		Ports []struct {
			Protocol string `xml:"protocol,attr"`
			PortID   int    `xml:"portid,attr"`
			State    struct {
				State string `xml:"state,attr"`
			} `xml:"state"`
			Service struct {
				Name      string `xml:"name,attr"`
				Product   string `xml:"product,attr"`
				Version   string `xml:"version,attr"`
				ExtraInfo string `xml:"extrainfo,attr"`
				Tunnel    string `xml:"tunnel,attr"`
			} `xml:"service"`
		} `xml:"ports>port"`
	} `xml:"host"`
}

type benchPort struct {
	proto result.Proto
	port  uint16
}

var comparedPorts = []benchPort{
	{result.TCP, svcbench.FTP}, {result.TCP, svcbench.SSH}, {result.TCP, svcbench.SSHAlt},
	{result.TCP, svcbench.Telnet}, {result.TCP, svcbench.SMTP}, {result.TCP, svcbench.DNS},
	{result.TCP, svcbench.HTTP}, {result.TCP, svcbench.HTTPAlt}, {result.TCP, svcbench.POP3},
	{result.TCP, svcbench.IMAP}, {result.TCP, svcbench.LDAP}, {result.TCP, svcbench.HTTPS},
	{result.TCP, svcbench.SMB}, {result.TCP, svcbench.MySQL}, {result.TCP, svcbench.RDP},
	{result.TCP, svcbench.PostgreSQL}, {result.TCP, svcbench.Redis}, {result.TCP, svcbench.HTTPSOld},
	{result.TCP, svcbench.HTTPSExp},
	{result.UDP, svcbench.DNS}, {result.UDP, svcbench.NTP}, {result.UDP, svcbench.SNMP},
}

// sameName compares service names, nmap's tunnel ("ssl" + "http") included.
func sameName(nmapName, tunnel, ours string) bool {
	n := nmapName
	if tunnel == "ssl" {
		switch n {
		case "http":
			n = "https"
		default:
			n = "ssl/" + n
		}
	}
	alias := map[string]string{"https": "https", "ssl/https": "https", "ssl/http": "https", "mysql": "mysql", "microsoft-ds": "microsoft-ds", "ms-wbt-server": "ms-wbt-server"}
	if a, ok := alias[n]; ok {
		n = a
	}
	return strings.EqualFold(n, ours)
}

// sameProduct says whether nmap's product a and ours b are one product: equal
// after case folding, or with the same first word ("Redis key-value store",
// "Redis"; "Exim smtpd", "Exim"). Whole words only: nmap's protocol label "NTP"
// is not the product "NTPsec".
func sameProduct(a, b string) bool {
	a, b = strings.ToLower(a), strings.ToLower(b)
	if a == b {
		return true
	}
	if a == "" || b == "" {
		return false
	}
	if strings.Fields(a)[0] == strings.Fields(b)[0] {
		return true
	}
	// nmap joins what several probes found ("SNMPv1 server; net-snmp SNMPv3
	// server"): one of its words being our product is the same product.
	for _, w := range strings.FieldsFunc(a, func(r rune) bool { return r == ' ' || r == ';' }) {
		if w == b {
			return true
		}
	}
	return false
}

// BenchmarkNmapComparison runs the Detector and nmap -sV on the same ports and
// prints, per port, what each found and whether they agree: the same product where
// nmap names one, else the same service name. It fails below 95 % agreement.
func BenchmarkNmapComparison(tb *testing.B) {
	if os.Getenv("PICKET_BENCH") != "1" {
		tb.Skip("the service detection comparison runs only with PICKET_BENCH=1 (tests/bench/service.sh sets it)")
	}
	if _, err := exec.LookPath("nmap"); err != nil {
		tb.Fatal("nmap is missing (tools/fetch installs it)")
	}
	b := svcbench.Start(tb)
	d, err := service.New(service.Options{Dialer: b})
	if err != nil {
		tb.Fatal(err)
	}
	var targets []service.Target
	var tcp, udp []string
	for _, p := range comparedPorts {
		targets = append(targets, service.Target{Addr: svcbench.ServerAddr, Proto: p.proto, Port: p.port})
		if p.proto == result.TCP {
			tcp = append(tcp, fmt.Sprint(p.port))
		} else {
			udp = append(udp, fmt.Sprint(p.port))
		}
	}
	t0 := time.Now()
	ours := d.DetectAll(context.Background(), targets)
	oursTime := time.Since(t0)

	t0 = time.Now()
	cmd := b.Client.Command("nmap", "-sV", "-sS", "-sU", "-Pn", "-n", "-T4", "-p", "T:"+strings.Join(tcp, ",")+",U:"+strings.Join(udp, ","),
		"-oX", "-", svcbench.ServerAddr.String())
	out, err := cmd.Output()
	nmapTime := time.Since(t0)
	if err != nil {
		tb.Fatalf("nmap: %v\n%s", err, out)
	}
	var run nmapRun
	if err := xml.Unmarshal(out, &run); err != nil || len(run.Hosts) != 1 {
		tb.Fatalf("nmap XML: %v (%d hosts)", err, len(run.Hosts))
	}
	nv, _ := exec.Command("nmap", "--version").Output()
	fmt.Printf("nmap: %s", strings.SplitN(string(nv), "\n", 2)[0]+"\n")
	fmt.Printf("%-9s | %-48s | %-42s | %s\n", "port", "nmap -sV: name product version", "picket: name product version", "agree")
	fmt.Printf("%s\n", strings.Repeat("-", 110))
	agree, versions, versionsBoth := 0, 0, 0
	for i, p := range comparedPorts {
		var nName, nTunnel, nProduct, nVersion string
		for _, np := range run.Hosts[0].Ports {
			if np.Protocol == string(p.proto) && np.PortID == int(p.port) {
				nName, nTunnel, nProduct, nVersion = np.Service.Name, np.Service.Tunnel, np.Service.Product, np.Service.Version
			}
		}
		// nmap 7.93 calls MariaDB "MySQL" and puts the server's version string
		// in its version ("5.5.5-10.11.19-MariaDB-0+deb12u1"): the product is
		// what that string names, the version its part after 5.5.5-.
		nShown := strings.TrimSpace(nProduct + " " + nVersion)
		if nProduct == "MySQL" && strings.Contains(nVersion, "-MariaDB") {
			nProduct, nVersion = "MariaDB", strings.TrimPrefix(nVersion, "5.5.5-")
		}
		s := ours[i]
		if s == nil {
			s = &result.Service{}
		}
		ok := false
		if nProduct != "" {
			ok = sameProduct(nProduct, s.Product)
		} else {
			ok = sameName(nName, nTunnel, s.Name)
		}
		if ok {
			agree++
		}
		if nVersion != "" && s.Version != "" {
			versionsBoth++
			if strings.HasPrefix(nVersion, s.Version) {
				versions++
			}
		}
		nn := nName
		if nTunnel != "" {
			nn = nTunnel + "/" + nName
		}
		fmt.Printf("%-9s | %-48.48s | %-42.42s | %v\n", fmt.Sprintf("%d/%s", p.port, p.proto),
			strings.TrimSpace(nn+" "+nShown), strings.TrimSpace(s.Name+" "+s.Product+" "+s.Version), map[bool]string{true: "yes", false: "NO"}[ok])
	}
	pct := 100 * float64(agree) / float64(len(comparedPorts))
	fmt.Printf("agreement: %d of %d services (%.1f %%); versions equal where both name one: %d of %d\n", agree, len(comparedPorts), pct, versions, versionsBoth)
	fmt.Printf("wall time: picket %.1f s (detection only, ports given), nmap -sV %.1f s (with its SYN/UDP scan of the same ports)\n", oursTime.Seconds(), nmapTime.Seconds())
	if pct < 95 {
		tb.Errorf("agreement %.1f %% is below the 95 %% goal", pct)
	}
}
