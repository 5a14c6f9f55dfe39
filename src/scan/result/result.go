// Package result is the scan engine's result model: the hosts a scan found up, their
// ports and states, the services on them and the facts read from those services.
//
// It is the vocabulary shared by the engine's stages (discover, portscan, service),
// by scannerd's uploads to the platform, by the `scan` command's JSON output
// (docs/scan-output.md) and by the vulnerability checks, which match on it. It does
// no I/O. Field names are the JSON schema: add fields, never rename them.
package result

import (
	"net/netip"
	"time"
)

// Proto is a transport protocol of a port.
type Proto string

// The transport protocols a port can have.
const (
	TCP Proto = "tcp"
	UDP Proto = "udp"
)

// State is what a port scan concluded about a port.
type State string

// Port states, as nmap names them so that results compare side by side.
const (
	// Open: a SYN was answered with SYN-ACK, a connect succeeded, or a UDP probe was
	// answered.
	Open State = "open"
	// Closed: a SYN was answered with RST, or a UDP probe with ICMP port unreachable.
	Closed State = "closed"
	// Filtered: no answer after every retransmission, or an ICMP unreachable other
	// than port unreachable (a firewall's reject).
	Filtered State = "filtered"
	// OpenFiltered: a UDP port that gave no answer (open services often stay silent).
	OpenFiltered State = "open|filtered"
)

// Reason names the evidence for a host being up or a port's state.
type Reason string

// Evidence for a state. Discovery reasons say which probe got an answer.
const (
	ReasonARP         Reason = "arp-response"
	ReasonNDP         Reason = "nd-response"
	ReasonEcho        Reason = "echo-reply"
	ReasonTimestamp   Reason = "timestamp-reply"
	ReasonSYNACK      Reason = "syn-ack"
	ReasonRST         Reason = "reset"
	ReasonConnect     Reason = "connect"
	ReasonRefused     Reason = "conn-refused"
	ReasonUDP         Reason = "udp-response"
	ReasonPortUnreach Reason = "port-unreach"
	ReasonUnreach     Reason = "host-unreach" // ICMP unreachable other than port (filtered)
	ReasonNoResponse  Reason = "no-response"
	ReasonUser        Reason = "user-set" // the job said to treat every target as up
)

// Host is one target address and what the scan found on it.
type Host struct {
	Addr netip.Addr `json:"addr"`
	// Names are the hostnames of the job's targets that resolved to Addr.
	Names []string `json:"names,omitempty"`
	Up    bool     `json:"up"`
	// UpReason is the first answer that showed the host up.
	UpReason Reason `json:"up_reason,omitempty"`
	// MAC and Vendor are set for on-link hosts (from ARP or NDP).
	MAC    string `json:"mac,omitempty"`
	Vendor string `json:"vendor,omitempty"`
	// RTT is the round-trip time measured to the host, in microseconds.
	RTTMicros int64  `json:"rtt_us,omitempty"`
	Ports     []Port `json:"ports,omitempty"`
	// NotShown counts the scanned ports left out of Ports, by state (a
	// scan lists open ports unless asked for all), as nmap's "Not shown:
	// 997 closed ports".
	NotShown map[State]int `json:"not_shown,omitempty"`
	// Findings are the vulnerability checks that matched the host or
	// one of its ports (the signature database's, see docs/signatures.md).
	Findings []Finding `json:"findings,omitempty"`
}

// Port is one scanned port of a host. Scans report open ports (and closed or filtered
// ones only when asked), so a host's Ports list stays short.
type Port struct {
	Proto   Proto    `json:"proto"`
	Port    uint16   `json:"port"`
	State   State    `json:"state"`
	Reason  Reason   `json:"reason,omitempty"`
	Service *Service `json:"service,omitempty"`
}

// Service is what runs on an open port, as service detection found it.
type Service struct {
	// Name is the protocol spoken: ssh, http, https, ftp, smtp, pop3, imap, telnet,
	// domain, snmp, ntp, mysql, postgresql, redis, microsoft-ds, ms-wbt-server, ldap,
	// ... (nmap's names where it has one, so the two can be compared).
	Name string `json:"name"`
	// Product, Version and Extra come from the service's own answers, e.g. "OpenSSH",
	// "9.2p1", "Debian 2+deb12u3"; empty when the service does not say.
	Product string `json:"product,omitempty"`
	Version string `json:"version,omitempty"`
	Extra   string `json:"extra,omitempty"`
	// OS is the operating system the service names (e.g. "Debian", "Windows").
	OS string `json:"os,omitempty"`
	// Banner is the first line the service sent, printable characters only, at most
	// 256 bytes.
	Banner string `json:"banner,omitempty"`
	// Method says how the name was found: "banner", "probe:<probe name>", or "port"
	// (only the port number's usual service; nothing answered).
	Method string `json:"method"`
	// TLS is set when the port speaks TLS (directly or after STARTTLS).
	TLS  *TLSFacts  `json:"tls,omitempty"`
	HTTP *HTTPFacts `json:"http,omitempty"`
	SSH  *SSHFacts  `json:"ssh,omitempty"`
	// Facts are further service-specific facts, keyed by a dotted name documented in
	// docs/service-detection.md, e.g. "snmp.sysdescr", "snmp.community", "dns.version_bind",
	// "dns.recursion", "ftp.anonymous", "ntp.version".
	Facts map[string]string `json:"facts,omitempty"`
}

// TLSFacts are what a TLS handshake (and a few more, one per protocol version) showed.
type TLSFacts struct {
	// Versions are the protocol versions the server accepted, oldest first:
	// "SSLv3", "TLSv1.0", "TLSv1.1", "TLSv1.2", "TLSv1.3".
	Versions []string `json:"versions"`
	// CipherSuite is the suite negotiated with the highest version.
	CipherSuite string `json:"cipher_suite,omitempty"`
	// Chain is the certificate chain as served, leaf first.
	Chain      []Cert `json:"chain,omitempty"`
	SelfSigned bool   `json:"self_signed"`
	// Expired: the scan time is outside the leaf certificate's validity.
	Expired bool `json:"expired"`
	// STARTTLS names the protocol upgraded to TLS ("smtp", "imap", "pop3", "ftp"), if any.
	STARTTLS string `json:"starttls,omitempty"`
}

// Cert is one X.509 certificate of a chain.
type Cert struct {
	Subject   string    `json:"subject"`
	Issuer    string    `json:"issuer"`
	SANs      []string  `json:"sans,omitempty"`
	NotBefore time.Time `json:"not_before"`
	NotAfter  time.Time `json:"not_after"`
	// KeyType is "RSA", "ECDSA" or "Ed25519"; KeyBits its size (curve size for ECDSA).
	KeyType string `json:"key_type"`
	KeyBits int    `json:"key_bits"`
	// SigAlg is the signature algorithm, as crypto/x509 names it (e.g. "SHA256-RSA").
	SigAlg string `json:"sig_alg"`
	// SHA256 is the hex SHA-256 of the DER certificate.
	SHA256 string `json:"sha256"`
}

// HTTPFacts are what a GET / (following redirects on the same host) showed.
type HTTPFacts struct {
	Status int    `json:"status"`
	Server string `json:"server,omitempty"`
	Title  string `json:"title,omitempty"`
	// Redirects are the Location headers followed, in order.
	Redirects []string `json:"redirects,omitempty"`
}

// SSHFacts are the server's half of the SSH key exchange (RFC 4253 section 7.1).
type SSHFacts struct {
	Banner      string   `json:"banner"`
	Kex         []string `json:"kex,omitempty"`
	HostKeyAlgs []string `json:"host_key_algs,omitempty"`
	// Ciphers and MACs are the server-to-client lists (the server offers the
	// same both ways in practice).
	Ciphers []string `json:"ciphers,omitempty"`
	MACs    []string `json:"macs,omitempty"`
	// Compression are the server-to-client compression methods.
	Compression []string `json:"compression,omitempty"`
}

// Severity is a finding's rating, from its CVSS v3.1 base score as the
// CVSS v3.1 specification (section 5) names the ranges.
type Severity string

// Severities, most severe first.
const (
	Critical Severity = "critical" // 9.0-10.0
	High     Severity = "high"     // 7.0-8.9
	Medium   Severity = "medium"   // 4.0-6.9
	Low      Severity = "low"      // 0.1-3.9
	Info     Severity = "info"     // 0.0
)

// Severities lists every severity, most severe first (for tables and
// charts that show them in order).
var Severities = [...]Severity{Critical, High, Medium, Low, Info}

// SeverityOf rates a CVSS v3.1 base score.
func SeverityOf(score float64) Severity {
	switch {
	case score >= 9.0:
		return Critical
	case score >= 7.0:
		return High
	case score >= 4.0:
		return Medium
	case score > 0:
		return Low
	}
	return Info
}

// CheckClass groups checks by what they do on the wire, so that a job can
// switch a class off (platformapi.Job.ChecksOff).
type CheckClass string

// Check classes. Passive classes only read what the scan already saw;
// the others send requests of their own, each of them safe (no exploit
// payload, no login beyond anonymous FTP and public SNMP communities).
const (
	ClassVersion CheckClass = "version" // product and version ranges (passive)
	ClassBanner  CheckClass = "banner"  // banner patterns (passive)
	ClassTLS     CheckClass = "tls"     // TLS versions and certificates (passive)
	ClassSSH     CheckClass = "ssh"     // SSH algorithms (passive)
	ClassExposed CheckClass = "exposed" // a service that should not be reachable (passive)
	ClassHTTP    CheckClass = "http"    // HTTP requests of a check's own
	ClassUDP     CheckClass = "udp"     // SNMP public, NTP monlist, DNS recursion
	ClassFTP     CheckClass = "ftp"     // anonymous FTP login
)

// CheckClasses lists every check class.
var CheckClasses = [...]CheckClass{ClassVersion, ClassBanner, ClassTLS, ClassSSH, ClassExposed, ClassHTTP, ClassUDP, ClassFTP}

// Finding is one signature that matched: what is wrong, where, how bad,
// the evidence the scan saw and what to do about it.
type Finding struct {
	// ID is the signature's id (e.g. "PKT-SSH-0001"); with the host and
	// port it identifies a finding across scans (first seen, fixed).
	ID    string     `json:"id"`
	Title string     `json:"title"`
	Class CheckClass `json:"class"`
	// Severity follows from CVSS, the CVSS v3.1 base score; Vector is its
	// vector string ("CVSS:3.1/AV:N/AC:L/...").
	Severity Severity `json:"severity"`
	CVSS     float64  `json:"cvss"`
	Vector   string   `json:"cvss_vector,omitempty"`
	CVEs     []string `json:"cves,omitempty"`
	CWEs     []string `json:"cwes,omitempty"`
	// Proto and Port locate the finding; Port 0 means the host as a whole.
	Proto Proto  `json:"proto,omitempty"`
	Port  uint16 `json:"port,omitempty"`
	// Evidence is what the scan saw that matched (a version, a banner
	// line, a response status), at most 512 bytes of printable text.
	Evidence    string `json:"evidence"`
	Remediation string `json:"remediation"`
	// References are advisory URLs.
	References []string `json:"references,omitempty"`
}
