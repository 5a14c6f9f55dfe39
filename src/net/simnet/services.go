package simnet

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/binary"
	"fmt"
	"io"
	"math/big"
	"net"
	"strings"
	"time"

	"golang.org/x/net/dns/dnsmessage"
)

// serveDNS answers DNS over a stream (two-byte length, then the message),
// the framing the Go resolver uses on a connection that is not a packet
// connection: the platform's name has its addresses, every other name
// does not exist.
func (n *Net) serveDNS(c net.Conn) {
	for {
		var l [2]byte
		if _, err := io.ReadFull(c, l[:]); err != nil {
			return
		}
		q := make([]byte, binary.BigEndian.Uint16(l[:]))
		if _, err := io.ReadFull(c, q); err != nil {
			return
		}
		a, err := n.answerDNS(q)
		if err != nil {
			return
		}
		out := binary.BigEndian.AppendUint16(nil, uint16(len(a)))
		if _, err := c.Write(append(out, a...)); err != nil {
			return
		}
	}
}

func (n *Net) answerDNS(query []byte) ([]byte, error) {
	var p dnsmessage.Parser
	h, err := p.Start(query)
	if err != nil {
		return nil, fmt.Errorf("parse DNS query: %w", err)
	}
	q, err := p.Question()
	if err != nil {
		return nil, fmt.Errorf("parse DNS question: %w", err)
	}
	rh := dnsmessage.Header{ID: h.ID, Response: true, Authoritative: true, RecursionDesired: h.RecursionDesired, RecursionAvailable: true}
	name := strings.TrimSuffix(strings.ToLower(q.Name.String()), ".")
	known := n.cfg.PlatformName != "" && name == strings.ToLower(n.cfg.PlatformName)
	if !known {
		rh.RCode = dnsmessage.RCodeNameError
	}
	b := dnsmessage.NewBuilder(nil, rh)
	b.EnableCompression()
	if err := b.StartQuestions(); err != nil {
		return nil, err
	}
	if err := b.Question(q); err != nil {
		return nil, err
	}
	if err := b.StartAnswers(); err != nil {
		return nil, err
	}
	rr := dnsmessage.ResourceHeader{Name: q.Name, Class: dnsmessage.ClassINET, TTL: 60}
	switch {
	case known && q.Type == dnsmessage.TypeA && n.cfg.PlatformAddr.Is4():
		if err := b.AResource(rr, dnsmessage.AResource{A: n.cfg.PlatformAddr.As4()}); err != nil {
			return nil, err
		}
	case known && q.Type == dnsmessage.TypeAAAA && n.cfg.PlatformAddr6.IsValid():
		if err := b.AAAAResource(rr, dnsmessage.AAAAResource{AAAA: n.cfg.PlatformAddr6.As16()}); err != nil {
			return nil, err
		}
	}
	return b.Finish()
}

// tlsConfig is the platform's TLS server configuration.
type tlsConfig = *tls.Config

// newPlatformTLS makes a CA and the platform's certificate for name.
func newPlatformTLS(name string, random io.Reader, now time.Time) (*x509.CertPool, *tls.Config, error) {
	if random == nil {
		return nil, nil, fmt.Errorf("platform certificate: no randomness")
	}
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), random)
	if err != nil {
		return nil, nil, fmt.Errorf("platform CA key: %w", err)
	}
	ca := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "Picket Simulated Platform CA"},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(10 * 365 * 24 * time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign,
	}
	caDER, err := x509.CreateCertificate(random, ca, ca, &caKey.PublicKey, caKey)
	if err != nil {
		return nil, nil, fmt.Errorf("platform CA: %w", err)
	}
	caCert, err := x509.ParseCertificate(caDER)
	if err != nil {
		return nil, nil, fmt.Errorf("platform CA: %w", err)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), random)
	if err != nil {
		return nil, nil, fmt.Errorf("platform key: %w", err)
	}
	leaf := &x509.Certificate{
		SerialNumber: big.NewInt(2),
		Subject:      pkix.Name{CommonName: name},
		DNSNames:     []string{name},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(10 * 365 * 24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(random, leaf, caCert, &key.PublicKey, caKey)
	if err != nil {
		return nil, nil, fmt.Errorf("platform certificate: %w", err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(caCert)
	return pool, &tls.Config{
		Certificates: []tls.Certificate{{Certificate: [][]byte{der, caDER}, PrivateKey: key}},
		MinVersion:   tls.VersionTLS13,
		Rand:         random,
	}, nil
}

// servePlatform completes a TLS handshake as the platform and hangs up.
func (n *Net) servePlatform(c net.Conn) {
	tc := tls.Server(c, n.tlsCfg)
	_ = tc.SetDeadline(time.Now().Add(30 * time.Second))
	if err := tc.Handshake(); err != nil {
		return
	}
	// Wait for the client to hang up: closing first would race its
	// reading of the handshake's last flight.
	_, _ = io.Copy(io.Discard, tc)
}
