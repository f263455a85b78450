package devices

import (
	"strings"
	"testing"
	"time"
)

// TestExternalConfigValidate: the client config is checked with messages
// that never carry the password.
func TestExternalConfigValidate(t *testing.T) {
	ok := ExternalConfig{URL: "tcp://127.0.0.1:1883", ClientID: "lockhub-a", Username: "hub", Password: "s3cret-pw"}
	cases := []struct {
		name string
		mod  func(*ExternalConfig)
		want string // "" = valid
	}{
		{"valid", func(*ExternalConfig) {}, ""},
		{"ssl", func(c *ExternalConfig) { c.URL = "ssl://broker.example:8883" }, ""},
		{"no url", func(c *ExternalConfig) { c.URL = "" }, "scheme"},
		{"ws scheme", func(c *ExternalConfig) { c.URL = "ws://b:80" }, "scheme"},
		{"no port", func(c *ExternalConfig) { c.URL = "tcp://b" }, "host and port"},
		{"path", func(c *ExternalConfig) { c.URL = "tcp://b:1/x" }, "path"},
		{"user info", func(c *ExternalConfig) { c.URL = "tcp://u:p@b:1" }, "user info"},
		{"no client id", func(c *ExternalConfig) { c.ClientID = "" }, "client id"},
		{"bad group", func(c *ExternalConfig) { c.ShareGroup = "a/b" }, "share group"},
		{"cert without key", func(c *ExternalConfig) { c.CertFile = "c" }, "cert file"},
		{"password without user", func(c *ExternalConfig) { c.Username = "" }, "password without username"},
		{"reconnect too long", func(c *ExternalConfig) { c.ReconnectMax = time.Minute }, "reconnect max"},
		{"negative", func(c *ExternalConfig) { c.KeepAlive = -1 }, "negative"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg := ok
			c.mod(&cfg)
			err := cfg.Validate()
			switch {
			case c.want == "" && err != nil:
				t.Fatalf("Validate: %v", err)
			case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
				t.Fatalf("Validate = %v, want %q", err, c.want)
			case err != nil && strings.Contains(err.Error(), "s3cret-pw"):
				t.Fatalf("error carries the password: %v", err)
			}
		})
	}
	if _, err := NewExternalBroker(ExternalConfig{URL: "ssl://b:8883", ClientID: "x", CAFile: "/nonexistent/ca.pem"}, ExternalDeps{}); err == nil {
		t.Error("NewExternalBroker accepted a missing CA file")
	}
	d := ExternalConfig{ReconnectMin: time.Hour}.withDefaults()
	if d.ReconnectMax != MaxExternalReconnect || d.ReconnectMin != MaxExternalReconnect || d.ShareGroup != DefaultShareGroup {
		t.Errorf("defaults: %+v", d)
	}
}

// TestJitterDelay: delays are drawn from [d/2, d], never above the cap.
func TestJitterDelay(t *testing.T) {
	seen := map[time.Duration]bool{}
	for range 200 {
		j := jitterDelay(MaxExternalReconnect)
		if j < MaxExternalReconnect/2 || j > MaxExternalReconnect {
			t.Fatalf("jitter %v outside [15s, 30s]", j)
		}
		seen[j] = true
	}
	if len(seen) < 100 {
		t.Errorf("only %d distinct delays in 200 draws: not jittered", len(seen))
	}
}

// TestStatePresence: online from a state, offline from the will; a request
// marks a lock online; forget drops only offline locks.
func TestStatePresence(t *testing.T) {
	p := newStatePresence()
	t0 := time.Unix(1_800_000_000, 0)
	p.setOnline("a", true, t0)
	p.seen("b", t0)
	if !p.online("a") || !p.online("b") || p.online("c") {
		t.Fatal("online set wrong")
	}
	p.setOnline("a", false, t0.Add(time.Minute))
	lp, _ := p.get("a")
	if lp.Online || lp.Connections != 0 || !lp.DisconnectedAt.Equal(t0.Add(time.Minute)) || !lp.ConnectedSince.Equal(t0) {
		t.Fatalf("after will: %+v", lp)
	}
	p.forget("a")
	p.forget("b")
	all := p.all()
	if len(all) != 1 || all[0].Lock != "b" || all[0].Connections != 1 {
		t.Fatalf("after forget: %+v", all)
	}
}
