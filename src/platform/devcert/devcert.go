// Package devcert makes the throwaway certificate authority and server
// certificate a development or demonstration platform runs with: tools/up
// starts platformd with one so a box can pin its CA. A real installation
// brings its own certificate (platformd -cert, -key).
package devcert

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"

	"picket.dev/picket/src/base/atomicfile"
)

// Files Ensure writes in its directory.
const (
	CAFile   = "dev-ca.pem"   // the CA certificate: what boxes pin
	CertFile = "dev-cert.pem" // the server certificate, signed by the CA
	KeyFile  = "dev-key.pem"  // its private key (0600)
)

// Ensure makes dir/CAFile, dir/CertFile and dir/KeyFile for hosts (names
// or IP addresses) unless they all exist already, and returns the paths of
// the certificate and key. The CA's own key is not kept: nothing else can
// ever be signed by it.
func Ensure(dir string, hosts []string, now time.Time) (cert, key string, err error) {
	cert, key = filepath.Join(dir, CertFile), filepath.Join(dir, KeyFile)
	ca := filepath.Join(dir, CAFile)
	if exists(cert) && exists(key) && exists(ca) {
		return cert, key, nil
	}
	if len(hosts) == 0 {
		return "", "", errors.New("dev certificate: no host names")
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", "", fmt.Errorf("dev certificate: %w", err)
	}
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return "", "", fmt.Errorf("dev certificate: %w", err)
	}
	caTmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "Picket development platform CA"},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.AddDate(5, 0, 0),
		KeyUsage:              x509.KeyUsageCertSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLenZero:        true,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		return "", "", fmt.Errorf("dev certificate: CA: %w", err)
	}
	caCert, err := x509.ParseCertificate(caDER)
	if err != nil {
		return "", "", fmt.Errorf("dev certificate: CA: %w", err)
	}
	srvKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return "", "", fmt.Errorf("dev certificate: %w", err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2),
		Subject:      pkix.Name{CommonName: hosts[0]},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.AddDate(5, 0, 0),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	for _, h := range hosts {
		if ip := net.ParseIP(h); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, h)
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, caCert, &srvKey.PublicKey, caKey)
	if err != nil {
		return "", "", fmt.Errorf("dev certificate: %w", err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(srvKey)
	if err != nil {
		return "", "", fmt.Errorf("dev certificate: %w", err)
	}
	for _, f := range []struct {
		path, typ string
		der       []byte
		mode      os.FileMode
	}{
		{key, "PRIVATE KEY", keyDER, 0o600},
		{cert, "CERTIFICATE", der, 0o644},
		{ca, "CERTIFICATE", caDER, 0o644},
	} {
		if err := atomicfile.Write(f.path, pem.EncodeToMemory(&pem.Block{Type: f.typ, Bytes: f.der}), f.mode); err != nil {
			return "", "", fmt.Errorf("dev certificate: %w", err)
		}
	}
	return cert, key, nil
}

func exists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}
