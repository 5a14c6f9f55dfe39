package service

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"time"

	"picket.dev/picket/src/scan/result"
)

// opener opens a connection ready for a ClientHello: a plain connect, or one that
// has been through a protocol's STARTTLS exchange.
type opener func(ctx context.Context) (net.Conn, error)

// goTLSConfig is the permissive client configuration of the certificate handshake:
// no verification (a scanner reports certificates, it does not trust them), every
// version from TLS 1.0 and every suite crypto/tls has, insecure ones included.
func (t *target) goTLSConfig() *tls.Config {
	var suites []uint16
	for _, s := range tls.CipherSuites() {
		suites = append(suites, s.ID)
	}
	for _, s := range tls.InsecureCipherSuites() {
		suites = append(suites, s.ID)
	}
	return &tls.Config{
		InsecureSkipVerify: true, //nolint:gosec // facts, not trust
		MinVersion:         tls.VersionTLS10,
		MaxVersion:         tls.VersionTLS13,
		CipherSuites:       suites,
		Rand:               t.d.o.Rand,
		Time:               t.d.o.Clock.Now,
	}
}

// tlsHandshake runs crypto/tls's handshake over a connection from open.
func (t *target) tlsHandshake(ctx context.Context, open opener) (*tls.Conn, error) {
	c, err := open(ctx)
	if err != nil {
		return nil, err
	}
	tc := tls.Client(c, t.goTLSConfig())
	hctx, cancel := context.WithTimeout(ctx, t.d.o.ReadTimeout+t.d.o.ConnectTimeout)
	defer cancel()
	if err := tc.HandshakeContext(hctx); err != nil {
		c.Close()
		return nil, fmt.Errorf("tls handshake with %s: %w", t.hostport(), err)
	}
	return tc, nil
}

// helloFlight sends the hand-built hello for version v over a connection from open
// and reads the server's answer.
func (t *target) helloFlight(ctx context.Context, open opener, v uint16) (*serverFlight, error) {
	c, err := open(ctx)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	random := make([]byte, 32)
	if _, err := io.ReadFull(t.d.o.Rand, random); err != nil {
		return nil, fmt.Errorf("hello random: %w", err)
	}
	c.SetWriteDeadline(time.Now().Add(t.d.o.ReadTimeout))
	if _, err := c.Write(buildClientHello(v, random)); err != nil {
		return nil, fmt.Errorf("send %s hello to %s: %w", versionName(v), t.hostport(), err)
	}
	var f *serverFlight
	var perr error
	b, rerr := readUntil(c, t.d.o.ReadTimeout, 256<<10, func(b []byte) bool {
		f, perr = parseServerFlight(b)
		return !errors.Is(perr, errShort)
	})
	if f == nil {
		f, perr = parseServerFlight(b)
	}
	if perr != nil && !errors.Is(perr, errShort) {
		return f, perr
	}
	if f.HelloSeen || f.Alert {
		return f, nil
	}
	if rerr != nil {
		return f, fmt.Errorf("%s hello to %s: %w", versionName(v), t.hostport(), rerr)
	}
	return f, fmt.Errorf("%s hello to %s: no answer", versionName(v), t.hostport())
}

// tlsFacts tests which versions the server accepts and reads its certificate chain.
// It returns nil when no handshake of any version got a ServerHello.
func (t *target) tlsFacts(ctx context.Context, open opener) *result.TLSFacts {
	facts := &result.TLSFacts{}
	var chain []*x509.Certificate
	var goVersion uint16
	if tc, err := t.tlsHandshake(ctx, open); err == nil {
		st := tc.ConnectionState()
		goVersion = st.Version
		facts.CipherSuite = tls.CipherSuiteName(st.CipherSuite)
		chain = st.PeerCertificates
		tc.Close()
	}
	var rawCerts [][]byte
	var rawSuite uint16
	for _, v := range []uint16{verSSL30, verTLS10, verTLS11, verTLS12} {
		f, err := t.helloFlight(ctx, open, v)
		if err != nil || !f.HelloSeen || f.Version != v {
			continue
		}
		facts.Versions = append(facts.Versions, versionName(v))
		if len(f.Certs) > 0 {
			rawCerts, rawSuite = f.Certs, f.Suite
		}
	}
	if goVersion == tls.VersionTLS13 {
		facts.Versions = append(facts.Versions, versionName(verTLS13))
	} else if goVersion != 0 && !contains(facts.Versions, versionName(goVersion)) {
		// crypto/tls got a version the hand-built hello did not (a server picky
		// about extensions): it is accepted all the same.
		facts.Versions = insertVersion(facts.Versions, versionName(goVersion))
	}
	if len(facts.Versions) == 0 {
		return nil
	}
	if chain == nil {
		for _, der := range rawCerts {
			if c, err := x509.ParseCertificate(der); err == nil {
				chain = append(chain, c)
			}
		}
		if rawSuite != 0 {
			facts.CipherSuite = tls.CipherSuiteName(rawSuite)
		}
	}
	now := t.d.o.Clock.Now()
	for _, c := range chain {
		facts.Chain = append(facts.Chain, certFacts(c))
	}
	if len(chain) > 0 {
		leaf := chain[0]
		facts.SelfSigned = selfSigned(leaf)
		facts.Expired = now.After(leaf.NotAfter) || now.Before(leaf.NotBefore)
	}
	return facts
}

func contains(l []string, s string) bool {
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}

// insertVersion inserts name into the oldest-first list.
func insertVersion(l []string, name string) []string {
	order := []string{"SSLv3", "TLSv1.0", "TLSv1.1", "TLSv1.2", "TLSv1.3"}
	rank := func(s string) int {
		for i, o := range order {
			if o == s {
				return i
			}
		}
		return len(order)
	}
	out := make([]string, 0, len(l)+1)
	done := false
	for _, x := range l {
		if !done && rank(name) < rank(x) {
			out = append(out, name)
			done = true
		}
		out = append(out, x)
	}
	if !done {
		out = append(out, name)
	}
	return out
}

// selfSigned: the certificate names itself as issuer and its signature verifies
// with its own key (basic constraints are not required, as openssl req -x509
// certificates of old lack them).
func selfSigned(c *x509.Certificate) bool {
	if !bytes.Equal(c.RawIssuer, c.RawSubject) {
		return false
	}
	return c.CheckSignature(c.SignatureAlgorithm, c.RawTBSCertificate, c.Signature) == nil
}

// certFacts describes one certificate.
func certFacts(c *x509.Certificate) result.Cert {
	out := result.Cert{
		Subject:   c.Subject.String(),
		Issuer:    c.Issuer.String(),
		NotBefore: c.NotBefore.UTC(),
		NotAfter:  c.NotAfter.UTC(),
		SigAlg:    c.SignatureAlgorithm.String(),
	}
	out.SANs = append(out.SANs, c.DNSNames...)
	for _, ip := range c.IPAddresses {
		out.SANs = append(out.SANs, ip.String())
	}
	out.SANs = append(out.SANs, c.EmailAddresses...)
	for _, u := range c.URIs {
		out.SANs = append(out.SANs, u.String())
	}
	switch k := c.PublicKey.(type) {
	case *rsa.PublicKey:
		out.KeyType, out.KeyBits = "RSA", k.N.BitLen()
	case *ecdsa.PublicKey:
		out.KeyType, out.KeyBits = "ECDSA", k.Curve.Params().BitSize
	case ed25519.PublicKey:
		out.KeyType, out.KeyBits = "Ed25519", 256
	default:
		out.KeyType = c.PublicKeyAlgorithm.String()
	}
	sum := sha256.Sum256(c.Raw)
	out.SHA256 = hex.EncodeToString(sum[:])
	return out
}
