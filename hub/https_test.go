package hub_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/lockhub/lockhub/hub"
)

// TestHTTPServesTLS: with http.tls_cert_file and tls_key_file, the main
// listener speaks HTTPS only (a client trusting the CA gets /healthz; plain
// HTTP does not).
func TestHTTPServesTLS(t *testing.T) {
	certs := writeTestCA(t, t.TempDir())
	cfg := mustLoad(t, fmt.Sprintf(`site:
  id: hub-https
  data_dir: %s
domains:
  - id: hq
    zone: Europe/Stockholm
locks:
  - id: front
    domain: hq
keys:
  - id: all
    domain: hq
    locks: [front]
mqtt:
  listeners:
    tcp:
      address: 127.0.0.1:0
http:
  address: 127.0.0.1:0
  tls_cert_file: %s
  tls_key_file: %s
`, t.TempDir(), certs.CertFile, certs.KeyFile))
	h, err := hub.New(cfg, hub.Deps{})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	ran := make(chan error, 1)
	go func() { ran <- h.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-ran; h.Close() })
	if !h.HTTPAddrs().TLS {
		t.Fatal("HTTPAddrs().TLS is false with a certificate configured")
	}
	pemCA, err := os.ReadFile(certs.CAFile)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pemCA)
	client := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	addr := h.HTTPAddrs().Main
	var resp *http.Response
	for i := 0; i < 100; i++ { // the server starts serving in Run
		if resp, err = client.Get("https://" + addr + "/healthz"); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		t.Fatalf("GET https://%s/healthz: %v", addr, err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("https /healthz: %d", resp.StatusCode)
	}
	if resp, err := (&http.Client{Timeout: 2 * time.Second}).Get("http://" + addr + "/healthz"); err == nil {
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			t.Error("plain HTTP answered 200 on the HTTPS listener")
		}
	}
}
