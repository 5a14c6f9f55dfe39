package netbench

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/netip"
	"sync"
	"testing"
	"time"
)

// Listen opens a listener inside ns (the socket stays in ns). It fails the
// test on error and closes the listener at cleanup.
func (n *NS) Listen(network, addr string) net.Listener {
	t := n.b.t
	t.Helper()
	var l net.Listener
	err := n.Do(func() error {
		var err error
		l, err = net.Listen(network, addr)
		return err
	})
	if err != nil {
		t.Fatalf("netbench: listen %s %s in %s: %v", network, addr, n.Name, err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

// Dial dials addr from inside ns; the connection belongs to ns.
func (n *NS) Dial(network, addr string) (net.Conn, error) {
	var c net.Conn
	err := n.Do(func() error {
		var err error
		c, err = net.DialTimeout(network, addr, 30*time.Second)
		return err
	})
	return c, err
}

// DialContext dials addr from inside ns; with it an NS serves as the
// Forward dialer of a proxy.Dialer or as a net.Resolver's Dial. ctx
// bounds the dial.
func (n *NS) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	var c net.Conn
	err := n.Do(func() error {
		var d net.Dialer
		var err error
		c, err = d.DialContext(ctx, network, addr)
		return err
	})
	return c, err
}

// EchoServer is a TCP server inside a namespace that writes Banner to
// every connection and then echoes what it reads.
type EchoServer struct {
	Addr netip.AddrPort
	l    net.Listener
	wg   sync.WaitGroup
}

// Echo starts an EchoServer listening on addr in ns (port 0 picks one). A
// banner lets a test check that bytes the server sends first, right after
// a proxy's "200", reach the client.
func Echo(ns *NS, addr, banner string) *EchoServer {
	ns.b.t.Helper()
	l := ns.Listen("tcp", addr)
	s := &EchoServer{Addr: netip.MustParseAddrPort(l.Addr().String()), l: l}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			s.wg.Add(1)
			go func() {
				defer s.wg.Done()
				defer c.Close()
				if banner != "" {
					if _, err := io.WriteString(c, banner); err != nil {
						return
					}
				}
				_, _ = io.Copy(c, c)
			}()
		}
	}()
	ns.b.t.Cleanup(func() { l.Close() })
	return s
}

// CA is a throwaway certificate authority for a bench.
type CA struct {
	Cert *x509.Certificate
	PEM  []byte         // the CA certificate, PEM-encoded, to pin
	Pool *x509.CertPool // holding only the CA
	key  *ecdsa.PrivateKey
}

// NewCA makes a CA valid from an hour ago for a day.
func NewCA(t testing.TB) *CA {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "picket netbench CA"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return &CA{Cert: cert, PEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), Pool: pool, key: key}
}

// Issue makes a server certificate for the names (DNS names or IP
// addresses) signed by the CA.
func (ca *CA) Issue(t testing.TB, names ...string) tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	serial, _ := rand.Int(rand.Reader, big.NewInt(1<<62))
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: names[0]},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	for _, n := range names {
		if ip := net.ParseIP(n); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, n)
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.Cert, &key.PublicKey, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

// TLSServerInfo is an HTTPS server inside a namespace: the bench's
// "platform host".
type TLSServerInfo struct {
	Addr netip.AddrPort
	CA   *CA // clients pin CA.Pool (RootCAs) or CA.PEM
	Srv  *http.Server
}

// TLSServer serves handler over HTTPS on addr inside ns, with a
// certificate for host (a name or an IP address) from a new throwaway CA.
// It stops at cleanup.
func TLSServer(ns *NS, addr, host string, handler http.Handler) *TLSServerInfo {
	t := ns.b.t
	t.Helper()
	ca := NewCA(t)
	cert := ca.Issue(t, host)
	l := ns.Listen("tcp", addr)
	srv := &http.Server{
		Handler:           handler,
		TLSConfig:         &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12},
		ReadHeaderTimeout: 30 * time.Second,
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := srv.ServeTLS(l, "", ""); err != nil && !errors.Is(err, http.ErrServerClosed) {
			t.Logf("netbench: TLS server in %s: %v", ns.Name, err)
		}
	}()
	t.Cleanup(func() {
		srv.Close()
		<-done
	})
	return &TLSServerInfo{Addr: netip.MustParseAddrPort(l.Addr().String()), CA: ca, Srv: srv}
}
