// Command scan runs one scan from the command line with the box's scan
// engine: host discovery, then a TCP SYN (and UDP) scan over a raw socket
// on the given interface, or a TCP connect scan.
//
//	scan -targets 10.0.0.0/24,fd00::/120 [-exclude 10.0.0.1] \
//	     [-ports 1-1024,U:53,161] [-iface eth0] [-rate 20000] [-retries 2] \
//	     [-connect] [-Pn] [-all] [-no-services] [-dns 10.0.0.53] [-o json|text] \
//	     [-sigs-source FILE] [-checks-off http,udp]
//
// It prints one JSON object per host found up (result.Host, see
// docs/scan-output.md) with the services found on its open ports (package
// service, through scanner.NewServices) and, with -sigs-source, the
// vulnerability checks' findings (a plain-text signature source,
// docs/signatures.md; the box itself loads the signed package), then a
// summary line {"summary": {...}}. Bad
// targets or ports: a message naming the bad token, exit status 2.
// Ctrl-C stops it at once; it prints what it found so far (the summary
// says "cancelled": true) and exits 130.
package main

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"slices"
	"strings"

	"picket.dev/picket/src/base/command"
	"picket.dev/picket/src/scan/result"
	"picket.dev/picket/src/scan/scanner"
	"picket.dev/picket/src/scan/sigdb"
	"picket.dev/picket/src/scan/targets"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// errCancelled makes the exit status 130 after a partial result.
var errCancelled = errors.New("cancelled")

func run(args []string, stdout, stderr io.Writer) int {
	p := command.NewWith("scan", stdout, stderr)
	tgt := p.Flags.String("targets", "", "targets: addresses, ranges (10.0.0.5-10.0.0.40), CIDRs, hostnames, comma-separated")
	exclude := p.Flags.String("exclude", "", "addresses, ranges, CIDRs or hostnames never to scan")
	ports := p.Flags.String("ports", "1-1024", "ports: 22,80,1-1024; T: and U: switch protocol (1-1024,U:53,161)")
	iface := p.Flags.String("iface", "eth0", "interface the probes leave through")
	rate := p.Flags.Int("rate", 10000, "cap on probes per second")
	retries := p.Flags.Int("retries", scanner.DefaultRetries, "retransmissions of an unanswered probe (0 to 6)")
	connect := p.Flags.Bool("connect", false, "TCP connect scan (no raw socket; TCP only, no discovery)")
	allUp := p.Flags.Bool("Pn", false, "treat every target as up (no discovery but ARP/NDP on the segment)")
	all := p.Flags.Bool("all", false, "list every scanned port of a host, not only the open ones")
	dns := p.Flags.String("dns", "", "DNS servers to resolve hostnames with (comma-separated; default the system's)")
	out := p.Flags.String("o", "json", "output: json (one object per host and a summary line) or text")
	noServices := p.Flags.Bool("no-services", false, "no service and version detection on the open ports")
	sigsSource := p.Flags.String("sigs-source", "", "run the vulnerability checks of this plain-text (unsigned) signature source file (docs/signatures.md)")
	checksOff := p.Flags.String("checks-off", "", "check classes to switch off, comma-separated: "+classList())

	var cancelled bool
	status := p.Run(args, func(ctx context.Context, log *slog.Logger) error {
		if *tgt == "" {
			return command.Usagef("-targets is required")
		}
		if *out != "json" && *out != "text" {
			return command.Usagef("-o must be json or text, not %q", *out)
		}
		if *retries < 0 || *retries > 6 {
			return command.Usagef("-retries must be 0 to 6, not %d", *retries)
		}
		if *rate <= 0 {
			return command.Usagef("-rate must be positive")
		}
		pp, err := targets.ParsePorts(*ports)
		if err != nil {
			return command.Usagef("%v", err)
		}
		res, err := resolver(*dns)
		if err != nil {
			return command.Usagef("%v", err)
		}
		var ex []string
		if *exclude != "" {
			ex = []string{*exclude}
		}
		set, err := targets.Parse(ctx, *tgt, targets.Options{Exclude: ex, Resolver: res})
		if err != nil {
			var te *targets.Error
			if errors.As(err, &te) {
				return command.Usagef("%v", err)
			}
			return err
		}
		off, err := parseClasses(*checksOff)
		if err != nil {
			return command.Usagef("%v", err)
		}
		var db *sigdb.DB
		if *sigsSource != "" {
			src, err := os.ReadFile(*sigsSource)
			if err != nil {
				return fmt.Errorf("signatures: %w", err)
			}
			if db, err = sigdb.Compile(src); err != nil {
				return fmt.Errorf("signatures %s: %w", *sigsSource, err)
			}
		}
		var services scanner.ServiceDetector
		if !*noServices {
			sd, err := scanner.NewServices(scanner.ServiceOptions{Iface: *iface, ChecksOff: off})
			if err != nil {
				return err
			}
			services = sd
		}
		var key [16]byte
		if _, err := rand.Read(key[:]); err != nil {
			return fmt.Errorf("scan key: %w", err)
		}
		hosts, sum, err := scanner.Scan(ctx, scanner.Config{
			Targets: set, Ports: pp, Iface: *iface, Rate: *rate, Retries: *retries,
			Connect: *connect, AllUp: *allUp, ReportAll: *all, Key: key, Log: log, Services: services,
			Checks: db, ChecksOff: off, CheckHTTP: scanner.NewCheckHTTP(scanner.ServiceOptions{Iface: *iface}),
		})
		if werr := print(stdout, *out, hosts, sum); werr != nil && err == nil {
			err = werr
		}
		if err != nil {
			return err
		}
		if sum.Cancelled {
			cancelled = true
		}
		return nil
	})
	if status == 0 && cancelled {
		return 130
	}
	return status
}

func classList() string {
	var s []string
	for _, c := range result.CheckClasses {
		s = append(s, string(c))
	}
	return strings.Join(s, ", ")
}

// parseClasses reads the -checks-off list.
func parseClasses(list string) ([]result.CheckClass, error) {
	var out []result.CheckClass
	if list == "" {
		return nil, nil
	}
	for _, c := range strings.Split(list, ",") {
		cc := result.CheckClass(strings.TrimSpace(c))
		if !slices.Contains(result.CheckClasses[:], cc) {
			return nil, fmt.Errorf("-checks-off: %q is not a check class (%s)", c, classList())
		}
		out = append(out, cc)
	}
	return out, nil
}

// resolver is the system's resolver, or one asking the given servers.
func resolver(servers string) (targets.Resolver, error) {
	if servers == "" {
		return &net.Resolver{}, nil
	}
	var addrs []string
	for _, s := range strings.Split(servers, ",") {
		a, err := netip.ParseAddr(strings.TrimSpace(s))
		if err != nil {
			return nil, fmt.Errorf("bad -dns server %q: not an address", s)
		}
		addrs = append(addrs, netip.AddrPortFrom(a, 53).String())
	}
	return &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
		var d net.Dialer
		var err error
		for _, a := range addrs {
			var c net.Conn
			if c, err = d.DialContext(ctx, network, a); err == nil {
				return c, nil
			}
		}
		return nil, err
	}}, nil
}

func print(w io.Writer, format string, hosts []result.Host, sum scanner.Summary) error {
	if format == "text" {
		for _, h := range hosts {
			fmt.Fprintf(w, "%s up (%s)", h.Addr, h.UpReason)
			if h.MAC != "" {
				fmt.Fprintf(w, " mac %s %s", h.MAC, h.Vendor)
			}
			fmt.Fprintln(w)
			for _, p := range h.Ports {
				fmt.Fprintf(w, "  %d/%s %s (%s)", p.Port, p.Proto, p.State, p.Reason)
				if sv := p.Service; sv != nil {
					fmt.Fprintf(w, " %s", sv.Name)
					for _, f := range []string{sv.Product, sv.Version} {
						if f != "" {
							fmt.Fprintf(w, " %s", f)
						}
					}
				}
				fmt.Fprintln(w)
			}
			for _, f := range h.Findings {
				fmt.Fprintf(w, "  ! %d/%s %s %.1f %s: %s (%s)\n", f.Port, f.Proto, f.Severity, f.CVSS, f.ID, f.Title, f.Evidence)
			}
		}
		checks := ""
		if sum.Signatures != "" {
			var n []string
			for _, sev := range result.Severities {
				if sum.Findings[sev] > 0 {
					n = append(n, fmt.Sprintf("%d %s", sum.Findings[sev], sev))
				}
			}
			if n == nil {
				n = []string{"no findings"}
			}
			checks = fmt.Sprintf(", signatures %s: %s", sum.Signatures, strings.Join(n, ", "))
		}
		_, err := fmt.Fprintf(w, "%d targets, %d up, %d open ports, %d probes, %.2fs, %s scan%s%s\n",
			sum.Targets, sum.Up, sum.Open, sum.Sent, sum.Elapsed.Seconds(), sum.Method, checks, map[bool]string{true: ", cancelled"}[sum.Cancelled])
		return err
	}
	enc := json.NewEncoder(w)
	for _, h := range hosts {
		if err := enc.Encode(h); err != nil {
			return err
		}
	}
	return enc.Encode(struct {
		Summary scanner.Summary `json:"summary"`
	}{sum})
}
