package devices_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	paho3 "github.com/eclipse/paho.mqtt.golang"
	paho3packets "github.com/eclipse/paho.mqtt.golang/packets"
	"github.com/gorilla/websocket"

	"github.com/lockhub/lockhub/devices"
)

func TestThrottlePerClientID(t *testing.T) {
	b := startBroker(t, devices.BrokerConfig{AuthThrottle: devices.AuthThrottleConfig{
		ClientFailures: 3, ClientRefill: time.Hour,
	}}, devices.BrokerDeps{})
	url := "tcp://" + b.Addrs().TCP
	for i := range 3 {
		if _, err := v3(t, url, "lock-1/x", "lock-1", "wrong", nil); !errors.Is(err, paho3packets.ErrorRefusedBadUsernameOrPassword) {
			t.Fatalf("attempt %d = %v, want bad user name or password", i, err)
		}
	}
	// Out of budget: even the right secret from that client id is refused
	// unchecked, with "server unavailable".
	if _, err := v3(t, url, "lock-1/x", "lock-1", secretOf("lock-1"), nil); !errors.Is(err, paho3packets.ErrorRefusedServerUnavailable) {
		t.Fatalf("throttled attempt = %v, want server unavailable", err)
	}
	if got := b.counter(t, "lockhub_mqtt_auth_throttled_total", "scope", "client_id"); got != 1 {
		t.Errorf("throttled{scope=client_id} = %v, want 1", got)
	}
	if got := b.counter(t, "lockhub_mqtt_auth_failures_total", "reason", "bad_secret"); got != 3 {
		t.Errorf("bad_secret failures = %v, want 3 (throttled attempts are not checked)", got)
	}
	// Another client id of the same lock, from the same address, is accepted.
	if _, err := v3(t, url, "lock-1", "lock-1", secretOf("lock-1"), nil); err != nil {
		t.Fatalf("right secret from another client id: %v", err)
	}
}

func TestThrottlePerRemote(t *testing.T) {
	b := startBroker(t, devices.BrokerConfig{AuthThrottle: devices.AuthThrottleConfig{
		ClientFailures: 100, RemoteFailures: 4, RemoteRefill: time.Hour,
	}}, devices.BrokerDeps{})
	url := "tcp://" + b.Addrs().TCP
	for _, lock := range []string{"lock-1", "lock-2", "lock-3", "lock-4"} {
		if _, err := v3(t, url, lock, lock, "wrong", nil); err == nil {
			t.Fatalf("%s connected with a wrong secret", lock)
		}
	}
	if _, err := v3(t, url, "lock-5", "lock-5", secretOf("lock-5"), nil); !errors.Is(err, paho3packets.ErrorRefusedServerUnavailable) {
		t.Fatalf("after 4 failures from this address: %v, want server unavailable", err)
	}
	if got := b.counter(t, "lockhub_mqtt_auth_throttled_total", "scope", "remote"); got != 1 {
		t.Errorf("throttled{scope=remote} = %v, want 1", got)
	}
}

// pki is a throw-away CA with a server certificate for 127.0.0.1.
type pki struct {
	dir    string
	caCert *x509.Certificate
	caKey  *ecdsa.PrivateKey
	pool   *x509.CertPool
}

func newPKI(t *testing.T, dir, name string) *pki {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: name},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	p := &pki{dir: dir, caCert: cert, caKey: key, pool: x509.NewCertPool()}
	p.pool.AddCert(cert)
	writePEM(t, filepath.Join(dir, name+"-ca.pem"), "CERTIFICATE", der)
	return p
}

func writePEM(t *testing.T, path, typ string, der []byte) {
	t.Helper()
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
}

// issue signs a leaf certificate; server certificates get the 127.0.0.1 SAN.
func (p *pki) issue(t *testing.T, cn string, server bool) tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
		Subject:      pkix.Name{CommonName: cn},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	if server {
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
		tmpl.IPAddresses = []net.IP{net.ParseIP("127.0.0.1")}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, p.caCert, &key.PublicKey, p.caKey)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	writePEM(t, filepath.Join(p.dir, cn+".pem"), "CERTIFICATE", der)
	writePEM(t, filepath.Join(p.dir, cn+"-key.pem"), "EC PRIVATE KEY", kder)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

func tlsV3(t *testing.T, addr, clientID, user, pass string, cfg *tls.Config) error {
	t.Helper()
	o := paho3.NewClientOptions().AddBroker("ssl://" + addr).SetClientID(clientID).SetTLSConfig(cfg).
		SetProtocolVersion(4).SetAutoReconnect(false).SetConnectTimeout(waitFor)
	if user != "" {
		o.SetUsername(user)
	}
	if pass != "" {
		o.SetPassword(pass)
	}
	c := paho3.NewClient(o)
	tok := c.Connect()
	if !tok.WaitTimeout(waitFor) {
		t.Fatal("connect timed out")
	}
	if tok.Error() == nil {
		t.Cleanup(func() { c.Disconnect(50) })
	}
	return tok.Error()
}

func TestMutualTLSIdentity(t *testing.T) {
	dir := t.TempDir()
	ca := newPKI(t, dir, "site")
	ca.issue(t, "server", true)
	lock1 := ca.issue(t, "lock-1", false)
	unknown := ca.issue(t, "stranger", false)
	rogue := newPKI(t, dir, "rogue").issue(t, "lock-2", false)

	type tlsCase struct {
		name, clientID, user, pass string
		cfg                        *tls.Config
		want                       error // nil = accepted; errAny = any failure
	}
	for _, require := range []bool{true, false} {
		t.Run(fmt.Sprintf("require_client_cert=%v", require), func(t *testing.T) {
			b := startBroker(t, devices.BrokerConfig{TLS: devices.TLSListenerConfig{
				Address:           "127.0.0.1:0",
				CertFile:          filepath.Join(dir, "server.pem"),
				KeyFile:           filepath.Join(dir, "server-key.pem"),
				ClientCAFile:      filepath.Join(dir, "site-ca.pem"),
				RequireClientCert: require,
			}}, devices.BrokerDeps{})
			addr := b.Addrs().TLS
			with := func(c tls.Certificate) *tls.Config {
				return &tls.Config{RootCAs: ca.pool, Certificates: []tls.Certificate{c}}
			}
			tests := []tlsCase{
				{"cert names the lock", "lock-1", "", "", with(lock1), nil},
				{"cert plus matching username", "lock-1/tool", "lock-1", "", with(lock1), nil},
				{"cert for unknown lock", "stranger", "", "", with(unknown), paho3packets.ErrorRefusedBadUsernameOrPassword},
				{"cert with other client id", "lock-3", "", "", with(lock1), paho3packets.ErrorRefusedIDRejected},
				{"cert with other username", "lock-1", "lock-3", secretOf("lock-3"), with(lock1), paho3packets.ErrorRefusedNotAuthorised},
				{"cert from another CA", "lock-2", "", "", with(rogue), errAny},
			}
			if require {
				tests = append(tests, tlsCase{"no cert", "lock-4", "lock-4", secretOf("lock-4"), &tls.Config{RootCAs: ca.pool}, errAny})
			} else {
				tests = append(tests, tlsCase{"no cert, password", "lock-4", "lock-4", secretOf("lock-4"), &tls.Config{RootCAs: ca.pool}, nil})
			}
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					err := tlsV3(t, addr, tt.clientID, tt.user, tt.pass, tt.cfg)
					switch {
					case tt.want == nil && err != nil:
						t.Fatalf("connect = %v, want accepted", err)
					case tt.want == errAny && err == nil:
						t.Fatal("connect accepted, want refused")
					case tt.want != nil && tt.want != errAny && !errors.Is(err, tt.want):
						t.Fatalf("connect = %v, want %v", err, tt.want)
					}
				})
			}
			if p, ok := b.LockPresence("lock-1"); !ok || p.ClientID == "" {
				t.Errorf("lock-1 presence = %+v, want it recorded", p)
			}
		})
	}
}

var errAny = errors.New("any error")

func TestWebSocketListener(t *testing.T) {
	rec := &recorder{}
	b := startBroker(t, devices.BrokerConfig{WebSocket: devices.WebSocketConfig{Address: "127.0.0.1:0"}}, handlerDeps(rec))
	url := "ws://" + b.Addrs().WebSocket + "/mqtt"
	a, err := v3(t, url, "A", "A", secretOf("A"), nil)
	if err != nil {
		t.Fatalf("connect over websocket: %v", err)
	}
	res := &inbox{}
	if err := wait(t, a.Subscribe(devices.LockTopic("A", devices.KindRes), 1, res.handler)); err != nil {
		t.Fatal(err)
	}
	if err := wait(t, a.Publish(devices.LockTopic("A", devices.KindReq), 1, false, "ws")); err != nil {
		t.Fatal(err)
	}
	eventually(t, "reply over websocket", func() bool { return len(res.all()) == 1 })
	if got := res.all()[0]; got != devices.LockTopic("A", devices.KindRes)+" re:ws" {
		t.Errorf("reply = %q", got)
	}
	if _, err := v3(t, url, "B", "B", "wrong", nil); !errors.Is(err, paho3packets.ErrorRefusedBadUsernameOrPassword) {
		t.Errorf("wrong secret over websocket = %v", err)
	}
	// A browser from an unlisted origin is refused at the upgrade.
	h := http.Header{"Origin": []string{"https://evil.example"}}
	_, resp, err := websocket.DefaultDialer.Dial(url, h)
	if err == nil || resp == nil || resp.StatusCode != http.StatusForbidden {
		t.Errorf("upgrade from foreign origin: err %v, response %v; want 403", err, resp)
	}
}
