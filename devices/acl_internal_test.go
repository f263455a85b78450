package devices

import (
	"fmt"
	"strings"
	"testing"
	"time"

	mqtt "github.com/mochi-mqtt/server/v2"
)

func TestParseLockTopic(t *testing.T) {
	tests := []struct {
		topic      string
		lock, kind string
		ok         bool
	}{
		{"lockhub/v1/locks/A/req", "A", "req", true},
		{"lockhub/v1/locks/front-door.2_b/state", "front-door.2_b", "state", true},
		{"lockhub/v1/locks/A/req/x", "", "", false},
		{"lockhub/v1/locks/A/unknown", "", "", false},
		{"lockhub/v1/locks//req", "", "", false},
		{"lockhub/v1/locks/A+/req", "", "", false},
		{"lockhub/v1/locks/A", "", "", false},
		{"lockhub/v2/locks/A/req", "", "", false},
		{"", "", "", false},
		{"lockhub/v1/locks/" + strings.Repeat("x", 65) + "/req", "", "", false},
	}
	for _, tt := range tests {
		lock, kind, ok := parseLockTopic(tt.topic)
		if lock != tt.lock || kind != tt.kind || ok != tt.ok {
			t.Errorf("parseLockTopic(%q) = %q, %q, %v; want %q, %q, %v", tt.topic, lock, kind, ok, tt.lock, tt.kind, tt.ok)
		}
	}
}

func TestLockMayPublish(t *testing.T) {
	tests := []struct {
		topic  string
		retain bool
		rt     string
		want   string
	}{
		{LockTopic("A", KindReq), false, "", ""},
		{LockTopic("A", KindEvt), false, "", ""},
		{LockTopic("A", KindState), true, "", ""},
		{LockTopic("A", KindReq), false, LockTopic("A", KindRes), ""},
		{LockTopic("A", KindEvt), false, LockTopic("A", KindAck), ""},
		{LockTopic("A", KindReq), true, "", "retained"},
		{LockTopic("A", KindEvt), true, "", "retained"},
		{LockTopic("A", KindReq), false, LockTopic("B", KindRes), "response_topic"},
		{LockTopic("A", KindReq), false, LockTopic("A", KindAck), "response_topic"},
		{LockTopic("A", KindEvt), false, LockTopic("A", KindRes), "response_topic"},
		{LockTopic("A", KindState), false, "x", "response_topic"},
		{LockTopic("B", KindReq), false, "", "foreign_topic"},
		{LockTopic("AB", KindReq), false, "", "foreign_topic"},
		{LockTopic("A", KindCmd), false, "", "foreign_topic"},
		{LockTopic("A", KindRes), false, "", "foreign_topic"},
		{LockTopic("A", KindAck), false, "", "foreign_topic"},
		{LockTopic("A", KindReq) + "/x", false, "", "foreign_topic"},
		{"other/topic", false, "", "foreign_topic"},
	}
	for _, tt := range tests {
		if got := lockMayPublish("A", tt.topic, tt.retain, tt.rt); got != tt.want {
			t.Errorf("lockMayPublish(A, %q, retain=%v, rt=%q) = %q, want %q", tt.topic, tt.retain, tt.rt, got, tt.want)
		}
	}
}

func TestUserACL(t *testing.T) {
	u := &UserConfig{
		Name:      "integ",
		Publish:   []string{"lockhub/v1/locks/+/cmd", "tools/#", "lockhub/v1/locks/+/state"},
		Subscribe: []string{"lockhub/v1/locks/+/evt", "site/+/door", "$SYS/broker/#"},
	}
	pubs := []struct {
		topic  string
		retain bool
		want   string
	}{
		{LockTopic("A", KindCmd), false, ""},
		{LockTopic("A", KindCmd), true, "retained"},
		{LockTopic("A", KindState), true, ""},
		{"tools", false, ""},
		{"tools/a/b", true, ""},
		{LockTopic("A", KindReq), false, "foreign_topic"},
		{LockTopic("A", KindReq), true, "retained"},
		{"toolsx", false, "foreign_topic"},
	}
	for _, tt := range pubs {
		if got := userMayPublish(u, tt.topic, tt.retain); got != tt.want {
			t.Errorf("userMayPublish(%q, %v) = %q, want %q", tt.topic, tt.retain, got, tt.want)
		}
	}
	reads := []struct {
		filter string
		want   bool
	}{
		{"lockhub/v1/locks/+/evt", true},
		{"lockhub/v1/locks/A/evt", true},
		{"$share/g/lockhub/v1/locks/+/evt", true},
		{"$share/g", false},
		{"lockhub/v1/locks/#", false},
		{"lockhub/v1/locks/+/+", false},
		{"site/x/door", true},
		{"site/+/door", true},
		{"site/#", false},
		{"$SYS/broker/clients/connected", true},
		{"$SYS/#", false},
		{"#", false},
	}
	for _, tt := range reads {
		if got := userMayRead(u, tt.filter); got != tt.want {
			t.Errorf("userMayRead(%q) = %v, want %v", tt.filter, got, tt.want)
		}
	}
}

func TestFilterCovers(t *testing.T) {
	tests := []struct {
		allowed, req string
		want         bool
	}{
		{"a/b", "a/b", true},
		{"a/b", "a/c", false},
		{"a/+", "a/b", true},
		{"a/+", "a/+", true},
		{"a/+", "a/#", false},
		{"a/+", "a/b/c", false},
		{"a/+", "a", false},
		{"a/#", "a", true},
		{"a/#", "a/b/c", true},
		{"a/#", "a/#", true},
		{"a/b", "a/+", false},
		{"#", "a/b", true},
		{"#", "$SYS/x", false},
		{"+/x", "$SYS/x", false},
		{"$SYS/#", "$SYS/x", true},
		{"a/+/c", "a//c", true},
		{"a", "a/b", false},
		{"", "", true},
	}
	for _, tt := range tests {
		if got := filterCovers(tt.allowed, tt.req); got != tt.want {
			t.Errorf("filterCovers(%q, %q) = %v, want %v", tt.allowed, tt.req, got, tt.want)
		}
	}
}

func TestACLAllocatesNothing(t *testing.T) {
	u := &UserConfig{Subscribe: []string{"lockhub/v1/locks/+/evt"}}
	topic := LockTopic("front-door", KindCmd)
	evt := LockTopic("front-door", KindEvt)
	allocs := testing.AllocsPerRun(100, func() {
		_ = lockMayRead("front-door", topic)
		_ = userMayRead(u, evt)
		_ = lockMayPublish("front-door", evt, false, "")
	})
	if allocs != 0 {
		t.Errorf("ACL checks allocate %v times per run, want 0", allocs)
	}
}

func TestClientIDOK(t *testing.T) {
	tests := []struct {
		id, name string
		want     bool
	}{
		{"A", "A", true},
		{"A/tool", "A", true},
		{"A/", "A", true},
		{"AB", "A", false},
		{"B", "A", false},
		{"", "A", false},
		{"inline", "inline", false},
	}
	for _, tt := range tests {
		if got := clientIDOK(tt.id, tt.name); got != tt.want {
			t.Errorf("clientIDOK(%q, %q) = %v, want %v", tt.id, tt.name, got, tt.want)
		}
	}
}

func TestThrottleBuckets(t *testing.T) {
	th := newThrottle(2, time.Minute)
	now := time.Unix(1000, 0)
	if th.blocked("k", now) {
		t.Fatal("fresh key blocked")
	}
	th.fail("k", now)
	if th.blocked("k", now) {
		t.Fatal("blocked after 1 of 2 failures")
	}
	th.fail("k", now)
	if !th.blocked("k", now) {
		t.Fatal("not blocked after 2 failures")
	}
	if th.blocked("other", now) {
		t.Fatal("another key blocked")
	}
	if th.blocked("k", now.Add(time.Minute)) {
		t.Fatal("still blocked after one refill interval")
	}
	th.forget("k")
	if th.len() != 0 {
		t.Fatalf("len after forget = %d", th.len())
	}
	th.fail("a", now)
	th.sweep(now.Add(time.Hour))
	if th.len() != 0 {
		t.Fatalf("refilled bucket not swept: len %d", th.len())
	}
}

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name string
		cfg  BrokerConfig
		want string // substring of the error; "" = valid
	}{
		{"tcp only", BrokerConfig{TCP: ListenerConfig{Address: ":1883"}}, ""},
		{"no listener", BrokerConfig{}, "no listener"},
		{"tls without cert", BrokerConfig{TLS: TLSListenerConfig{Address: ":8883"}}, "cert_file"},
		{"require without ca", BrokerConfig{TLS: TLSListenerConfig{Address: ":8883", CertFile: "c", KeyFile: "k", RequireClientCert: true}}, "client_ca_file"},
		{"bad user", BrokerConfig{TCP: ListenerConfig{Address: ":1"}, Users: []UserConfig{{Name: "a/b"}}}, "users[0].name"},
		{"reserved user", BrokerConfig{TCP: ListenerConfig{Address: ":1"}, Users: []UserConfig{{Name: "inline"}}}, "reserved"},
		{"duplicate user", BrokerConfig{TCP: ListenerConfig{Address: ":1"}, Users: []UserConfig{{Name: "u"}, {Name: "u"}}}, "duplicate"},
		{"bad filter", BrokerConfig{TCP: ListenerConfig{Address: ":1"}, Users: []UserConfig{{Name: "u", Subscribe: []string{"a/#/b"}}}}, "users[0].subscribe[0]"},
		{"shared filter", BrokerConfig{TCP: ListenerConfig{Address: ":1"}, Users: []UserConfig{{Name: "u", Publish: []string{"$share/g/x"}}}}, "users[0].publish[0]"},
		{"ws path", BrokerConfig{WebSocket: WebSocketConfig{Address: ":1", Path: "mqtt"}}, "websocket.path"},
		{"negative", BrokerConfig{TCP: ListenerConfig{Address: ":1"}, MaxClients: -1}, "max_clients"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.cfg.Validate()
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("Validate() = %v, want nil", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Fatalf("Validate() = %v, want error containing %q", err, tt.want)
			}
		})
	}
}

func FuzzParseLockTopic(f *testing.F) {
	f.Fuzz(func(t *testing.T, topic string) {
		lock, kind, ok := parseLockTopic(topic)
		if !ok {
			return
		}
		if !ValidLockID(lock) || !knownKind(kind) || LockTopic(lock, kind) != topic {
			t.Fatalf("parseLockTopic(%q) = %q, %q: not a round trip", topic, lock, kind)
		}
		// A lock may publish to a parsed topic only if it is its own.
		if lockMayPublish(lock+"x", topic, false, "") == "" {
			t.Fatalf("lock %q may publish to %q", lock+"x", topic)
		}
	})
}

// FuzzFilterCovers checks the ACL's filter logic against plain MQTT matching:
// if allowed covers req, every topic req matches is matched by allowed.
func FuzzFilterCovers(f *testing.F) {
	f.Fuzz(func(t *testing.T, allowed, req, topic string) {
		if !filterCovers(allowed, req) {
			return
		}
		if strings.ContainsAny(topic, "+#") {
			return
		}
		if filterCovers(req, topic) && !filterCovers(allowed, topic) {
			t.Fatalf("%q covers %q, which matches %q, but %q does not match it", allowed, req, topic, allowed)
		}
	})
}

// BenchmarkDeliveryACL is the check mochi runs for every subscriber of every
// message: one session lookup among 10,000 and a few string compares.
func BenchmarkDeliveryACL(b *testing.B) {
	br := &Broker{}
	h := &hook{b: br}
	clients := make([]*mqtt.Client, 10000)
	for i := range clients {
		clients[i] = &mqtt.Client{}
		lock := fmt.Sprintf("lock-%05d", i)
		br.sessions.Store(clients[i], &session{cl: clients[i], kind: kindLock, name: lock})
	}
	cl := clients[4242]
	topic := LockTopic("lock-04242", KindRes)
	b.ReportAllocs()
	for b.Loop() {
		if !h.OnACLCheck(cl, topic, false) {
			b.Fatal("denied")
		}
	}
}
