package service

import (
	"bufio"
	"bytes"
	"context"
	"net"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"picket.dev/picket/src/scan/result"
)

// TestNoLogin: with the "ftp" check class off (Options.NoLogin) the
// detector never sends USER to an FTP server, and says nothing of
// anonymous access; with it on, the same server gets USER anonymous and
// ftp.anonymous is read from its answer (RFC 959: 230 logged in).
func TestNoLogin(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var mu sync.Mutex
	var cmds []string
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				c.Write([]byte("220 test FTP\r\n"))
				r := bufio.NewReader(c)
				for {
					line, err := r.ReadString('\n')
					if err != nil {
						return
					}
					cmd := strings.TrimSpace(line)
					mu.Lock()
					cmds = append(cmds, cmd)
					mu.Unlock()
					switch {
					case strings.HasPrefix(cmd, "USER"):
						c.Write([]byte("331 password please\r\n"))
					case strings.HasPrefix(cmd, "PASS"):
						c.Write([]byte("230 logged in\r\n"))
					default:
						c.Write([]byte("500 no\r\n"))
					}
				}
			}()
		}
	}()
	port := uint16(ln.Addr().(*net.TCPAddr).Port)
	detect := func(noLogin bool) (*result.Service, []string) {
		mu.Lock()
		cmds = nil
		mu.Unlock()
		d, err := New(Options{Dialer: &net.Dialer{}, NoLogin: noLogin, BannerWait: time.Second, ReadTimeout: time.Second})
		if err != nil {
			t.Fatal(err)
		}
		s := d.Detect(context.Background(), netip.MustParseAddr("127.0.0.1"), result.TCP, port)
		mu.Lock()
		defer mu.Unlock()
		return s, append([]string(nil), cmds...)
	}
	s, sent := detect(false)
	if s == nil || s.Name != "ftp" || s.Facts["ftp.anonymous"] != "true" || !sentCmd(sent, "USER anonymous") {
		t.Fatalf("with logins: service %+v, commands %q; want ftp, anonymous true, USER anonymous sent", s, sent)
	}
	s, sent = detect(true)
	if s == nil || s.Name != "ftp" {
		t.Fatalf("without logins: service %+v; want ftp still named", s)
	}
	if _, ok := s.Facts["ftp.anonymous"]; ok || sentCmd(sent, "USER") || sentCmd(sent, "PASS") {
		t.Errorf("without logins: facts %v, commands %q; want no login and no ftp.anonymous", s.Facts, sent)
	}
}

func sentCmd(cmds []string, prefix string) bool {
	for _, c := range cmds {
		if strings.HasPrefix(c, prefix) {
			return true
		}
	}
	return false
}

// TestNoUDPChecks: with the "udp" check class off the detector sends a
// silent UDP port no SNMP request with community "public" (RFC 1157: the
// community is an OCTET STRING in the message); with it on, it does.
func TestNoUDPChecks(t *testing.T) {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	var mu sync.Mutex
	var got [][]byte
	go func() {
		buf := make([]byte, 65536)
		for {
			n, _, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			mu.Lock()
			got = append(got, bytes.Clone(buf[:n]))
			mu.Unlock()
		}
	}()
	port := uint16(pc.LocalAddr().(*net.UDPAddr).Port)
	community := []byte{0x04, 0x06, 'p', 'u', 'b', 'l', 'i', 'c'} // OCTET STRING "public"
	sentPublic := func(off bool) bool {
		mu.Lock()
		got = nil
		mu.Unlock()
		d, err := New(Options{Dialer: &net.Dialer{}, NoUDPChecks: off, ReadTimeout: 200 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		d.Detect(context.Background(), netip.MustParseAddr("127.0.0.1"), result.UDP, port)
		mu.Lock()
		defer mu.Unlock()
		for _, b := range got {
			if bytes.Contains(b, community) {
				return true
			}
		}
		return false
	}
	if !sentPublic(false) {
		t.Fatal("with UDP checks on, no SNMP request with community public reached the port")
	}
	if sentPublic(true) {
		t.Error("with UDP checks off, an SNMP request with community public was sent")
	}
}
