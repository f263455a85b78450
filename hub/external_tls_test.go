package hub_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/lockhub/lockhub/devices/wire"
)

// writeTestCA makes a CA and a server certificate for 127.0.0.1 in dir.
func writeTestCA(t *testing.T, dir string) *mosquittoTLS {
	t.Helper()
	write := func(name, typ string, der []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "lockhub test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IsCA: true,
		KeyUsage: x509.KeyUsageCertSign, BasicConstraintsValid: true}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(caDER)
	srvKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	srvTmpl := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		KeyUsage: x509.KeyUsageDigitalSignature}
	srvDER, err := x509.CreateCertificate(rand.Reader, srvTmpl, ca, &srvKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, _ := x509.MarshalECPrivateKey(srvKey)
	return &mosquittoTLS{CAFile: write("ca.pem", "CERTIFICATE", caDER),
		CertFile: write("server.pem", "CERTIFICATE", srvDER), KeyFile: write("server.key", "EC PRIVATE KEY", keyDER)}
}

// TestExternalOverTLS: an external-mode hub reaches the broker over TLS
// (ssl://, the broker's certificate verified against ca_file) and answers a
// lock that uses the broker's plain listener.
func TestExternalOverTLS(t *testing.T) {
	if testing.Short() {
		t.Skip("starts mosquitto")
	}
	mosquittoBin(t)
	keyPath, m := newMasterKey(t, t.TempDir())
	ids := extLockIDs(1)
	tlsFiles := writeTestCA(t, t.TempDir())
	plain, tlsURL := startMosquittoWith(t, extHubUser, brokerUsers(m, ids), tlsFiles)
	dir := t.TempDir()
	pw := writeSecretFile(t, dir, "mqtt-password", extHubPass)
	mqtt := externalMQTT(tlsURL, pw) + "    ca_file: " + tlsFiles.CAFile + "\n"
	h := runHub(t, extSiteYAML(filepath.Join(dir, "data"), "hub-tls", keyPath, ids, mqtt))
	if !h.External().Connected() {
		t.Fatal("the hub is not connected over TLS")
	}
	l := connectLockURL(t, plain, lockIdentity(m, ids[0]))
	r, _, err := l.Tap(t.Context(), wire.TypeCard, extCard)
	if err != nil || !r.Granted() {
		t.Fatalf("tap through a hub on TLS: %+v, %v", r, err)
	}
}
