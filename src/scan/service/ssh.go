package service

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"time"

	"picket.dev/picket/src/scan/result"
)

// SSH (RFC 4253): the server's identification string, then its KEXINIT, which it
// sends in the clear once it has read ours.

// clientIdent is the identification string sent to SSH servers (RFC 4253 4.2).
const clientIdent = "SSH-2.0-PicketScan_1.0\r\n"

// parseSSHIdent reads an identification line "SSH-protoversion-softwareversion
// SP comments" (RFC 4253 section 4.2) into a service.
func parseSSHIdent(line string) (*result.Service, bool) {
	line = strings.TrimRight(line, "\r\n")
	rest, ok := strings.CutPrefix(line, "SSH-")
	if !ok {
		return nil, false
	}
	proto, rest, ok := strings.Cut(rest, "-")
	if !ok || proto == "" {
		return nil, false
	}
	soft, comment, _ := strings.Cut(rest, " ")
	s := &result.Service{Name: "ssh", Banner: printable(line), Method: "banner"}
	setFact(s, "ssh.protocol", proto)
	s.Product, s.Version = sshSoftware(soft)
	if comment != "" {
		// Debian and Ubuntu put "Debian-2+deb12u3" here: the distribution and its
		// package revision.
		for _, os := range []string{"Debian", "Ubuntu", "Raspbian", "FreeBSD"} {
			if rev, ok := strings.CutPrefix(comment, os+"-"); ok {
				s.OS = os
				comment = os + " " + rev
				break
			}
		}
		if s.OS == "" && strings.HasPrefix(comment, "Ubuntu") {
			s.OS = "Ubuntu"
		}
		s.Extra = comment
	}
	return s, true
}

// sshSoftware splits the softwareversion field: "OpenSSH_9.2p1", "dropbear_2022.83",
// "libssh_0.10.4", "Cisco-1.25", "OpenSSH_for_Windows_8.1".
func sshSoftware(soft string) (product, version string) {
	known := []struct{ prefix, product string }{
		{"OpenSSH_for_Windows_", "OpenSSH for Windows"},
		{"OpenSSH_", "OpenSSH"},
		{"dropbear_", "Dropbear sshd"},
		{"dropbear", "Dropbear sshd"},
		{"libssh_", "libssh"},
		{"libssh2_", "libssh2"},
		{"Cisco-", "Cisco SSH"},
		{"ROSSSH", "MikroTik RouterOS sshd"},
	}
	for _, k := range known {
		if v, ok := strings.CutPrefix(soft, k.prefix); ok {
			return k.product, v
		}
	}
	// Otherwise name_version or name-version when the part after the
	// separator starts with a digit.
	for _, sep := range []string{"_", "-"} {
		if i := strings.LastIndex(soft, sep); i > 0 && i+1 < len(soft) && soft[i+1] >= '0' && soft[i+1] <= '9' {
			return soft[:i], soft[i+1:]
		}
	}
	return soft, ""
}

// parseKexinit reads one unencrypted SSH binary packet (RFC 4253 section 6) holding
// SSH_MSG_KEXINIT (section 7.1). It returns the number of bytes the packet took, or
// errShort when b ends inside it.
func parseKexinit(b []byte) (*result.SSHFacts, int, error) {
	if len(b) < 5 {
		return nil, 0, errShort
	}
	plen := int(binary.BigEndian.Uint32(b))
	if plen < 2 || plen > 256<<10 {
		return nil, 0, fmt.Errorf("ssh: packet length %d", plen)
	}
	if len(b) < 4+plen {
		return nil, 0, errShort
	}
	pad := int(b[4])
	if pad+1 > plen {
		return nil, 0, errors.New("ssh: padding longer than the packet")
	}
	p := b[5 : 4+plen-pad]
	if len(p) < 17 || p[0] != 20 {
		return nil, 0, fmt.Errorf("ssh: not a KEXINIT (message %d)", firstByte(p))
	}
	p = p[17:] // message number and 16-byte cookie
	var lists [10][]string
	for i := range lists {
		if len(p) < 4 {
			return nil, 0, errors.New("ssh: KEXINIT ends inside its name-lists")
		}
		n := int(binary.BigEndian.Uint32(p))
		if n > len(p)-4 {
			return nil, 0, errors.New("ssh: name-list overruns the packet")
		}
		if n > 0 {
			lists[i] = strings.Split(string(p[4:4+n]), ",")
		}
		p = p[4+n:]
	}
	return &result.SSHFacts{
		Kex:         lists[0],
		HostKeyAlgs: lists[1],
		Ciphers:     lists[3], // server to client
		MACs:        lists[5],
		Compression: lists[7],
	}, 4 + plen, nil
}

func firstByte(b []byte) int {
	if len(b) == 0 {
		return -1
	}
	return int(b[0])
}

// sshGreeting recognises an SSH identification among the lines a server sent
// (servers may send other lines first, RFC 4253 4.2).
func sshGreeting(b []byte) (*result.Service, bool) {
	for _, line := range strings.SplitAfter(string(b), "\n") {
		if strings.HasPrefix(line, "SSH-") {
			return parseSSHIdent(line)
		}
	}
	return nil, false
}

// sshEnrich sends the client's identification and reads the server's KEXINIT. c is
// a connection whose identification line has been read (nil: dial a new one).
func (t *target) sshEnrich(ctx context.Context, s *result.Service, c net.Conn) {
	if c == nil {
		var err error
		if c, err = t.dial(ctx, "tcp"); err != nil {
			return
		}
		br := bufio.NewReader(c)
		c.SetReadDeadline(time.Now().Add(t.d.o.ReadTimeout))
		for i := 0; i < 20; i++ {
			line, err := br.ReadString('\n')
			if err != nil {
				c.Close()
				return
			}
			if strings.HasPrefix(line, "SSH-") {
				break
			}
		}
		c = &bufConn{Conn: c, r: br}
	}
	defer c.Close()
	c.SetWriteDeadline(time.Now().Add(t.d.o.ReadTimeout))
	if _, err := io.WriteString(c, clientIdent); err != nil {
		return
	}
	b, _ := readUntil(c, t.d.o.ReadTimeout, 300<<10, func(b []byte) bool {
		_, _, err := parseKexinit(b)
		return !errors.Is(err, errShort)
	})
	facts, _, err := parseKexinit(b)
	if err != nil {
		return
	}
	facts.Banner = s.Banner
	s.SSH = facts
}

// bufConn is a connection whose first bytes are read through r.
type bufConn struct {
	net.Conn
	r *bufio.Reader
}

func (c *bufConn) Read(p []byte) (int, error) { return c.r.Read(p) }
