package hub_test

import (
	"context"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/eclipse/paho.golang/packets"
	paho5 "github.com/eclipse/paho.golang/paho"

	"github.com/lockhub/lockhub/devices/wire"
	"github.com/lockhub/lockhub/hub"
)

// badRequests are hostile or broken req payloads and the error code the hub
// must answer each with. id is the id the reply must echo: the hub echoes a
// valid id it read before the error, so a lock can match even the reply to
// a broken request ("" for none).
var badRequests = []struct {
	name    string
	payload []byte
	code    wire.ErrorCode
	id      string
}{
	{"garbage text", []byte("open sesame"), wire.CodeBadJSON, ""},
	{"binary garbage", []byte{0xff, 0xfe, 0x00, 0x01, '{'}, wire.CodeBadJSON, ""},
	{"empty", []byte{}, wire.CodeBadJSON, ""},
	{"truncated", []byte(`{"v":1,"id":"g-1","type":"card","credential":"04A1`), wire.CodeBadJSON, "g-1"},
	{"trailing data", []byte(`{"v":1,"id":"g-2","type":"card","credential":"04A1B2C3"}{}`), wire.CodeBadJSON, "g-2"},
	{"deep nesting", []byte(`{"v":1,"x_a":[[[[[[[[[[1]]]]]]]]]]}`), wire.CodeBadJSON, ""},
	{"oversize", []byte(`{"v":1,"id":"g-3","type":"card","credential":"04A1B2C3","x_pad":"` + strings.Repeat("A", 2100) + `"}`), wire.CodeTooLarge, ""},
	{"oversize garbage", []byte(strings.Repeat("\x00", 4096)), wire.CodeTooLarge, ""},
	{"version 2", []byte(`{"v":2,"id":"g-4","type":"card","credential":"04A1B2C3"}`), wire.CodeUnsupportedVersion, "g-4"},
	{"version as string", []byte(`{"v":"1","id":"g-5","type":"card","credential":"04A1B2C3"}`), wire.CodeUnsupportedVersion, "g-5"},
	{"version missing", []byte(`{"id":"g-6","type":"card","credential":"04A1B2C3"}`), wire.CodeMissingField, "g-6"},
	{"credential missing", []byte(`{"v":1,"id":"g-7","type":"card"}`), wire.CodeMissingField, "g-7"},
	{"unknown type", []byte(`{"v":1,"id":"g-8","type":"retina","credential":"04A1B2C3"}`), wire.CodeUnknownType, "g-8"},
	{"unknown field", []byte(`{"v":1,"id":"g-9","type":"card","credential":"04A1B2C3","colour":"red"}`), wire.CodeBadField, "g-9"},
	{"bad card", []byte(`{"v":1,"id":"g-10","type":"card","credential":"not-hex"}`), wire.CodeBadField, "g-10"},
	{"short pin", []byte(`{"v":1,"id":"g-11","type":"pin","credential":"12"}`), wire.CodeBadField, "g-11"},
}

// TestGarbageRequestsOverMQTT: broken, truncated, oversize and wrong-version
// requests sent over MQTT 3.1.1 each get an error reply with the right code
// (and the id when the hub could read one); the connection stays up and the
// next valid request is answered.
func TestGarbageRequestsOverMQTT(t *testing.T) {
	w := startWeb(t, lockSiteYAML(t.TempDir(), "process"))
	rl := connectRaw(t, w.Hub, "front-door")
	for _, c := range badRequests {
		t.Run(c.name, func(t *testing.T) {
			var r wire.AccessResponse
			if err := wire.DecodeResponse(rl.send(t, c.payload), &r); err != nil {
				t.Fatalf("error reply does not decode: %v", err)
			}
			checkErrorReply(t, r, c.code, c.id)
			if !rl.c.IsConnectionOpen() {
				t.Fatal("the hub closed the connection")
			}
			if r := rl.request(t, wire.TypeCard, siteAliceCard); r.Result != wire.ResultGranted {
				t.Fatalf("valid request after it: %s/%s, want granted", r.Result, r.Reason)
			}
		})
	}
	t.Run("no id over 3.1.1", func(t *testing.T) {
		var r wire.AccessResponse
		if err := wire.DecodeResponse(rl.send(t, []byte(`{"v":1,"type":"card","credential":"04A1B2C3"}`)), &r); err != nil {
			t.Fatal(err)
		}
		checkErrorReply(t, r, wire.CodeMissingField, "")
	})
}

func checkErrorReply(t *testing.T, r wire.AccessResponse, code wire.ErrorCode, id string) {
	t.Helper()
	if r.Result != wire.ResultError || r.Reason != code.String() {
		t.Errorf("reply %s/%s, want error/%s", r.Result, r.Reason, code)
	}
	if r.ID != id {
		t.Errorf("reply id %q, want %q", r.ID, id)
	}
	if r.Time == 0 {
		t.Error("error reply without the hub's time")
	}
}

// TestGarbageRequestsOverMQTT5: the same over MQTT 5 with ResponseTopic and
// CorrelationData: each error reply comes back on the lock's res topic with
// the request's correlation data; a request naming another lock's res topic
// as its response topic is refused by the ACL (PUBACK 0x87) and not
// answered; the connection stays up throughout.
func TestGarbageRequestsOverMQTT5(t *testing.T) {
	w := startWeb(t, lockSiteYAML(t.TempDir(), "process"))
	rl := connectRaw5(t, w.Hub, "side-door")
	own := wire.Topic("side-door", wire.KindRes)
	for i, c := range badRequests {
		t.Run(c.name, func(t *testing.T) {
			corr := fmt.Sprintf("c-%d", i)
			m := rl.roundTrip(t, c.payload, own, corr)
			var r wire.AccessResponse
			if err := wire.DecodeResponse(m.Payload, &r); err != nil {
				t.Fatalf("error reply does not decode: %v", err)
			}
			checkErrorReply(t, r, c.code, c.id)
			valid := []byte(`{"v":1,"type":"card","credential":"04A1B2C3"}`)
			m = rl.roundTrip(t, valid, own, corr+"-ok")
			if err := wire.DecodeResponse(m.Payload, &r); err != nil || r.Result != wire.ResultGranted {
				t.Fatalf("valid request after it: %s/%s (%v), want granted", r.Result, r.Reason, err)
			}
		})
	}
	t.Run("foreign response topic", func(t *testing.T) {
		// The ACL refuses a request naming another lock's res topic: PUBACK
		// "not authorized" at QoS 1, nothing delivered and no reply.
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		pr, err := rl.c.Publish(ctx, &paho5.Publish{
			Topic: wire.Topic("side-door", wire.KindReq), QoS: 1,
			Payload:    []byte(`{"v":1,"type":"card","credential":"04A1B2C3"}`),
			Properties: &paho5.PublishProperties{ResponseTopic: wire.Topic("front-door", wire.KindRes), CorrelationData: []byte("c-foreign")},
		})
		if err == nil || pr == nil || pr.ReasonCode != packets.PubackNotAuthorized {
			t.Fatalf("publish with a foreign response topic: %+v, %v; want PUBACK 0x87", pr, err)
		}
		// Replies to one connection come in request order: had the refused
		// request been answered, that reply would come before this one's.
		m := rl.roundTrip(t, []byte(`{"v":1,"type":"card","credential":"04A1B2C3"}`), own, "c-after-foreign")
		var r wire.AccessResponse
		if err := wire.DecodeResponse(m.Payload, &r); err != nil || r.Result != wire.ResultGranted {
			t.Fatalf("valid request after it: %s/%s (%v), want granted", r.Result, r.Reason, err)
		}
	})
}

// rawLock5 is a bare MQTT 5 connection of a lock (client id "<lock>/raw5").
type rawLock5 struct {
	id  string
	c   *paho5.Client
	res chan *paho5.Publish
}

func connectRaw5(t *testing.T, h *hub.Hub, lock string) *rawLock5 {
	t.Helper()
	sock, err := net.DialTimeout("tcp", h.Broker().Addrs().TCP, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	rl := &rawLock5{id: lock, res: make(chan *paho5.Publish, 64)}
	rl.c = paho5.NewClient(paho5.ClientConfig{
		Conn:          packets.NewThreadSafeConn(sock),
		PacketTimeout: 5 * time.Second,
		OnPublishReceived: []func(paho5.PublishReceived) (bool, error){
			func(pr paho5.PublishReceived) (bool, error) { rl.res <- pr.Packet; return true, nil },
		},
	})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := rl.c.Connect(ctx, &paho5.Connect{
		ClientID: lock + "/raw5", CleanStart: true, KeepAlive: 30,
		Username: lock, UsernameFlag: true,
		Password: []byte(h.Keys().LockSecret(lock, hub.DefaultKeyGeneration)), PasswordFlag: true,
	}); err != nil {
		t.Fatalf("connect %s/raw5: %v", lock, err)
	}
	t.Cleanup(func() { _ = rl.c.Disconnect(&paho5.Disconnect{}) })
	if _, err := rl.c.Subscribe(ctx, &paho5.Subscribe{Subscriptions: []paho5.SubscribeOptions{
		{Topic: wire.Topic(lock, wire.KindRes), QoS: 1},
	}}); err != nil {
		t.Fatalf("subscribe %s/raw5: %v", lock, err)
	}
	return rl
}

// roundTrip publishes p with the response topic and correlation data and
// returns the reply, checking it arrives on the lock's own res topic with
// the same correlation data.
func (rl *rawLock5) roundTrip(t *testing.T, p []byte, responseTopic, corr string) *paho5.Publish {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := rl.c.Publish(ctx, &paho5.Publish{
		Topic: wire.Topic(rl.id, wire.KindReq), Payload: p,
		Properties: &paho5.PublishProperties{ResponseTopic: responseTopic, CorrelationData: []byte(corr)},
	}); err != nil {
		t.Fatalf("publish: %v (the hub closed the connection?)", err)
	}
	select {
	case m := <-rl.res:
		if m.Topic != wire.Topic(rl.id, wire.KindRes) {
			t.Errorf("reply on %s, want the lock's own res topic", m.Topic)
		}
		if m.Properties == nil || string(m.Properties.CorrelationData) != corr {
			t.Errorf("reply correlation data %q, want %q", correlationOf(m), corr)
		}
		return m
	case <-time.After(10 * time.Second):
		t.Fatal("no reply from the hub")
	}
	return nil
}

func correlationOf(m *paho5.Publish) []byte {
	if m.Properties == nil {
		return nil
	}
	return m.Properties.CorrelationData
}
