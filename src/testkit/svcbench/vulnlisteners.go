package svcbench

import (
	"bufio"
	"crypto/x509"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"time"
)

// Go listeners that stand in for old releases no Debian package provides,
// each on a port of its own: they say what those releases say on the wire
// (banners, Server headers, SSH algorithm lists, NTP's monitor list, an
// SSLv3 ServerHello) and nothing more. They are the positive cases of the
// version and banner checks (tests/vuln); the real Debian services are the
// negative ones.

// Ports of the emulated old releases.
const (
	SSHOld         = 2201  // "SSH-2.0-OpenSSH_7.4", weak algorithms, no strict kex
	SSHRegre       = 2202  // "SSH-2.0-OpenSSH_9.6p1", current algorithms
	SSHv1          = 2203  // "SSH-1.99-OpenSSH_3.9p1": protocol 1 still accepted
	FTPBackdoor    = 2100  // "220 (vsFTPd 2.3.4)"
	FTPProOld      = 2101  // ProFTPD 1.3.5
	FTPProNew      = 2102  // ProFTPD 1.3.8b
	SMTPOld        = 2525  // Exim 4.87
	HTTPNginxOld   = 8091  // Server: nginx/1.16.1
	HTTPApacheOld  = 8092  // Server: Apache/2.4.49 (Unix)
	HTTPOpenSSLOld = 8093  // Server: Apache/2.4.7 (Ubuntu) OpenSSL/1.0.1f
	SSLv3Only      = 10447 // answers every ClientHello with an SSLv3 ServerHello
	SMBSigned      = 1445  // SMB2 with signing required
)

// Banners and headers of the emulated releases.
const (
	BannerSSHOld      = "SSH-2.0-OpenSSH_7.4"
	BannerSSHRegre    = "SSH-2.0-OpenSSH_9.6p1"
	BannerSSHv1       = "SSH-1.99-OpenSSH_3.9p1"
	BannerFTPBackdoor = "220 (vsFTPd 2.3.4)"
	BannerFTPProOld   = "220 ProFTPD 1.3.5 Server (ProFTPD Default Installation) [10.77.0.2]"
	BannerFTPProNew   = "220 ProFTPD 1.3.8b Server (Debian) [10.77.0.2]"
	BannerSMTPOld     = "220 mail.svcbench.test ESMTP Exim 4.87 Mon, 07 Dec 2026 10:00:00 +0000"
	ServerNginxOld    = "nginx/1.16.1"
	ServerApacheOld   = "Apache/2.4.49 (Unix)"
	ServerOpenSSLOld  = "Apache/2.4.7 (Ubuntu) OpenSSL/1.0.1f"
	NTPOldVersion     = "ntpd 4.2.6p5@1.2349-o Fri Apr 13 12:00:00 UTC 2012 (1)"
)

// SSH algorithm lists (RFC 4253 7.1 name-lists) of the emulated servers.
var (
	// sshOldAlgs: what OpenSSH 7.4 as many distributions shipped it might
	// still be configured to offer, with the weak legacy algorithms switched
	// back on; chacha20-poly1305 without kex-strict-s-v00 (Terrapin).
	sshOldAlgs = sshAlgs{
		kex:     "curve25519-sha256,diffie-hellman-group14-sha1,diffie-hellman-group1-sha1,diffie-hellman-group-exchange-sha1",
		hostKey: "ssh-rsa,ssh-dss",
		ciphers: "chacha20-poly1305@openssh.com,aes128-ctr,aes128-cbc,3des-cbc,blowfish-cbc,arcfour",
		macs:    "hmac-sha2-256-etm@openssh.com,hmac-sha1,hmac-md5,hmac-sha1-96,hmac-md5-96",
	}
	// sshModernAlgs: OpenSSH 9.6's defaults, strict kex included.
	sshModernAlgs = sshAlgs{
		kex:     "sntrup761x25519-sha512@openssh.com,curve25519-sha256,curve25519-sha256@libssh.org,ecdh-sha2-nistp256,diffie-hellman-group16-sha512,ext-info-s,kex-strict-s-v00@openssh.com",
		hostKey: "rsa-sha2-512,rsa-sha2-256,ssh-ed25519",
		ciphers: "chacha20-poly1305@openssh.com,aes128-ctr,aes192-ctr,aes256-ctr,aes128-gcm@openssh.com,aes256-gcm@openssh.com",
		macs:    "umac-128-etm@openssh.com,hmac-sha2-256-etm@openssh.com,hmac-sha2-512-etm@openssh.com,hmac-sha2-256,hmac-sha2-512",
	}
)

type sshAlgs struct{ kex, hostKey, ciphers, macs string }

func (b *Bench) startVulnListeners() {
	b.serve(SSHOld, sshSession(BannerSSHOld, sshOldAlgs))
	b.serve(SSHRegre, sshSession(BannerSSHRegre, sshModernAlgs))
	b.serve(SSHv1, sshSession(BannerSSHv1, sshOldAlgs))
	b.serve(FTPBackdoor, ftpSession(BannerFTPBackdoor))
	b.serve(FTPProOld, ftpSession(BannerFTPProOld))
	b.serve(FTPProNew, ftpSession(BannerFTPProNew))
	b.serve(SMTPOld, smtpSession(BannerSMTPOld))
	b.serveHTTP(HTTPNginxOld, ServerNginxOld)
	b.serveHTTP(HTTPApacheOld, ServerApacheOld)
	b.serveHTTP(HTTPOpenSSLOld, ServerOpenSSLOld)
	b.serve(SMBSigned, func(c net.Conn) { smbServe(c, true) })
	cert := b.Certs[HTTPSGood]
	b.serve(SSLv3Only, func(c net.Conn) { sslv3Session(c, cert) })
	b.serveNTPMonlist()
}

// sshSession sends the identification, reads the client's, then sends a
// KEXINIT (RFC 4253 7.1) with the given lists and waits for the client to
// hang up: the bench's scanner never goes past the key exchange's start.
func sshSession(banner string, a sshAlgs) func(net.Conn) {
	return func(c net.Conn) {
		if _, err := io.WriteString(c, banner+"\r\n"); err != nil {
			return
		}
		r := bufio.NewReader(c)
		if _, err := r.ReadString('\n'); err != nil {
			return
		}
		p := []byte{20}
		p = append(p, []byte("svcbench-cookie!")...)
		for _, l := range []string{a.kex, a.hostKey, a.ciphers, a.ciphers, a.macs, a.macs, "none,zlib@openssh.com", "none,zlib@openssh.com", "", ""} {
			p = binary.BigEndian.AppendUint32(p, uint32(len(l)))
			p = append(p, l...)
		}
		p = append(p, 0, 0, 0, 0, 0) // first_kex_packet_follows, reserved
		// Binary packet (RFC 4253 6): length, padding length, payload,
		// at least 4 bytes of padding to a multiple of 8.
		pad := 8 - (5+len(p))%8
		if pad < 4 {
			pad += 8
		}
		pkt := binary.BigEndian.AppendUint32(nil, uint32(1+len(p)+pad))
		pkt = append(pkt, byte(pad))
		pkt = append(pkt, p...)
		pkt = append(pkt, make([]byte, pad)...)
		if _, err := c.Write(pkt); err != nil {
			return
		}
		io.Copy(io.Discard, r)
	}
}

// ftpSession greets with banner and answers as a server without anonymous
// access (RFC 959): USER asks for a password, PASS is refused.
func ftpSession(banner string) func(net.Conn) {
	return lineSession(banner, func(cmd string) (reply string, quit bool) {
		switch cmd {
		case "USER":
			return "331 Please specify the password.", false
		case "PASS":
			return "530 Login incorrect.", false
		case "FEAT":
			return "211-Features:\r\n MDTM\r\n SIZE\r\n211 End", false
		case "AUTH":
			return "500 AUTH not understood", false
		case "QUIT":
			return "221 Goodbye.", true
		}
		return "500 Unknown command.", false
	})
}

// smtpSession greets with banner and answers EHLO (RFC 5321) without
// STARTTLS; it accepts no mail.
func smtpSession(banner string) func(net.Conn) {
	return lineSession(banner, func(cmd string) (string, bool) {
		switch cmd {
		case "EHLO":
			return "250-mail.svcbench.test Hello picket.invalid [10.77.0.1]\r\n250-SIZE 52428800\r\n250-PIPELINING\r\n250 HELP", false
		case "HELO":
			return "250 mail.svcbench.test Hello", false
		case "QUIT":
			return "221 mail.svcbench.test closing connection", true
		}
		return "500 unrecognized command", false
	})
}

func lineSession(banner string, answer func(cmd string) (string, bool)) func(net.Conn) {
	return func(c net.Conn) {
		if _, err := io.WriteString(c, banner+"\r\n"); err != nil {
			return
		}
		r := bufio.NewReader(c)
		for {
			l, err := r.ReadString('\n')
			if err != nil {
				return
			}
			cmd, _, _ := strings.Cut(strings.TrimSpace(l), " ")
			reply, quit := answer(strings.ToUpper(cmd))
			if _, err := io.WriteString(c, reply+"\r\n"); err != nil || quit {
				return
			}
		}
	}
}

// serveHTTP answers every request with a small page and the given Server
// header (net/http's server: it answers TRACE like GET, without echoing the
// request, so these are no TRACE positives).
func (b *Bench) serveHTTP(port int, server string) {
	l := b.Server.Listen("tcp", netip.AddrPortFrom(ServerAddr, uint16(port)).String())
	s := &http.Server{ReadHeaderTimeout: 10 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Server", server)
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprintf(w, "<!doctype html>\n<html><head><title>svcbench %s</title></head><body>svcbench</body></html>\n", server)
	})}
	go s.Serve(l)
	b.t.Cleanup(func() { s.Close() })
}

// smbServe answers NEGOTIATEs like smbSession, with signing required when
// required is set (MS-SMB2 2.2.4 SecurityMode).
func smbServe(c net.Conn, required bool) {
	mode := uint16(1)
	if required {
		mode = 3
	}
	smbNegotiateLoop(c, mode)
}

// sslv3Session answers one ClientHello whatever version it offers with an
// SSLv3 (RFC 6101) ServerHello choosing TLS_RSA_WITH_AES_128_CBC_SHA (or the
// first suite offered), the certificate chain and ServerHelloDone, then
// waits for the client to hang up: what an SSLv3-only server sends before
// any key is exchanged.
func sslv3Session(c net.Conn, chain []*x509.Certificate) {
	var hdr [5]byte
	if _, err := io.ReadFull(c, hdr[:]); err != nil || hdr[0] != 22 {
		return
	}
	rec := make([]byte, binary.BigEndian.Uint16(hdr[3:]))
	if _, err := io.ReadFull(c, rec); err != nil || len(rec) < 4+2+32+1 || rec[0] != 1 {
		return
	}
	h := rec[4:]
	sid := int(h[34])
	if len(h) < 35+sid+2 {
		return
	}
	sl := int(binary.BigEndian.Uint16(h[35+sid:]))
	suites := h[35+sid+2:]
	if len(suites) < sl || sl < 2 {
		return
	}
	suite := binary.BigEndian.Uint16(suites)
	for i := 0; i+1 < sl; i += 2 {
		if binary.BigEndian.Uint16(suites[i:]) == 0x002f {
			suite = 0x002f
		}
	}
	msg := func(typ byte, body []byte) []byte {
		return append([]byte{typ, byte(len(body) >> 16), byte(len(body) >> 8), byte(len(body))}, body...)
	}
	hello := []byte{3, 0}
	hello = append(hello, []byte("svcbench-sslv3-server-random-32b")...)
	hello = append(hello, 0) // no session id
	hello = binary.BigEndian.AppendUint16(hello, suite)
	hello = append(hello, 0) // null compression
	var certs []byte
	for _, ct := range chain {
		certs = append(certs, byte(len(ct.Raw)>>16), byte(len(ct.Raw)>>8), byte(len(ct.Raw)))
		certs = append(certs, ct.Raw...)
	}
	certMsg := append([]byte{byte(len(certs) >> 16), byte(len(certs) >> 8), byte(len(certs))}, certs...)
	var hs []byte
	hs = append(hs, msg(2, hello)...)
	hs = append(hs, msg(11, certMsg)...)
	hs = append(hs, msg(14, nil)...)
	out := append([]byte{22, 3, 0, byte(len(hs) >> 8), byte(len(hs))}, hs...)
	if _, err := c.Write(out); err != nil {
		return
	}
	io.Copy(io.Discard, c)
}

// ntpMonlistLocal is where the monlist listener binds; the bench forwards
// udp ServerAddr2:NTPMonlist to it (vulnsvc.go).
const ntpMonlistLocal = 1123

// serveNTPMonlist answers NTP on udp ServerAddr2:NTPMonlist as ntpd 4.2.6p5 would with
// its default configuration: a mode 4 reply to a client request (RFC 5905),
// its system variables to a mode 6 READVAR, and to the mode 7 monitor-list
// request (implementation 3, request 42) the list of the hosts that sent it
// traffic: the asking client and two others (struct info_monitor_1 of
// ntpd's ntp_request.h, 72 bytes each).
func (b *Bench) serveNTPMonlist() {
	var pc net.PacketConn
	if err := b.Server.Do(func() error {
		var err error
		pc, err = net.ListenPacket("udp", netip.AddrPortFrom(ServerAddr, ntpMonlistLocal).String())
		return err
	}); err != nil {
		b.t.Fatalf("svcbench: ntp monlist listener: %v", err)
	}
	b.t.Cleanup(func() { pc.Close() })
	go func() {
		buf := make([]byte, 2048)
		for {
			n, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			if ans := ntpOldAnswer(buf[:n], from); ans != nil {
				pc.WriteTo(ans, from)
			}
		}
	}()
}

func ntpOldAnswer(req []byte, from net.Addr) []byte {
	if len(req) < 8 {
		return nil
	}
	switch req[0] & 7 {
	case 3: // client
		if len(req) < 48 {
			return nil
		}
		r := make([]byte, 48)
		r[0] = req[0]&0x38 | 4 // leap 0, the client's version, mode 4
		r[1] = 2               // stratum
		r[2], r[3] = 6, 0xec   // poll 6, precision -20
		copy(r[12:], []byte{192, 0, 2, 123})
		now := ntpTime(time.Now())
		binary.BigEndian.PutUint64(r[16:], now)
		copy(r[24:32], req[40:48]) // origin: the client's transmit
		binary.BigEndian.PutUint64(r[32:], now)
		binary.BigEndian.PutUint64(r[40:], now)
		return r
	case 6: // control
		if len(req) < 12 || req[1]&0x1f != 2 {
			return nil
		}
		data := `version="` + NTPOldVersion + `", processor="x86_64", system="Linux/3.2.0-4-amd64", leap=00, stratum=2`
		r := make([]byte, 12, 12+len(data)+4)
		r[0] = req[0]&0x38 | 6
		r[1] = 0x80 | 2 // response, READVAR
		copy(r[2:4], req[2:4])
		binary.BigEndian.PutUint16(r[10:], uint16(len(data)))
		r = append(r, data...)
		for len(r)%4 != 0 {
			r = append(r, 0)
		}
		return r
	case 7: // private
		if req[2] != 3 || req[3] != 42 || req[0]&0x80 != 0 {
			return nil
		}
		var client [4]byte
		if ua, ok := from.(*net.UDPAddr); ok {
			copy(client[:], ua.IP.To4())
		}
		entries := [][4]byte{client, {198, 51, 100, 7}, {203, 0, 113, 9}}
		r := []byte{0x80 | req[0]&0x38 | 7, 0, 3, 42, 0, byte(len(entries)), 0, 72}
		for i, a := range entries {
			e := make([]byte, 72)
			binary.BigEndian.PutUint32(e[0:], 64)           // avgint
			binary.BigEndian.PutUint32(e[4:], 1)            // lsint
			binary.BigEndian.PutUint32(e[12:], uint32(i+1)) // count
			copy(e[16:], a[:])
			copy(e[20:], ServerAddr.AsSlice())
			binary.BigEndian.PutUint16(e[28:], 123)
			e[30], e[31] = 3, 4 // mode, version
			r = append(r, e...)
		}
		return r
	}
	return nil
}

func ntpTime(t time.Time) uint64 {
	const unixToNTP = 2208988800
	return uint64(t.Unix()+unixToNTP)<<32 | uint64(t.Nanosecond())<<32/1e9
}
