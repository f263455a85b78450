package responder_test

import (
	"context"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"github.com/lockhub/lockhub/devices/wire"
	"github.com/lockhub/lockhub/internal/testnet"
	"github.com/lockhub/lockhub/simulators/responder"
)

func TestCardValue(t *testing.T) {
	for _, c := range []struct {
		i    int
		want string
	}{{0, "04000000000000"}, {1, "04000000000001"}, {255, "040000000000FF"}} {
		if got := responder.CardValue(c.i); got != c.want {
			t.Errorf("CardValue(%d) = %q, want %q", c.i, got, c.want)
		}
	}
}

func TestNewRefusesBadConfig(t *testing.T) {
	for _, c := range []struct {
		name string
		cfg  responder.Config
	}{
		{"no broker", responder.Config{Cards: 1}},
		{"negative cards", responder.Config{BrokerURL: "tcp://127.0.0.1:1", Cards: -1}},
		{"qos 2", responder.Config{BrokerURL: "tcp://127.0.0.1:1", QoS: 2}},
	} {
		t.Run(c.name, func(t *testing.T) {
			if _, err := responder.New(c.cfg, nil); err == nil {
				t.Fatal("New accepted a bad config")
			}
		})
	}
}

// TestAnswers sends a known card, an unknown card, a PIN and garbage, and
// checks each reply on the lock's res topic.
func TestAnswers(t *testing.T) {
	url := testnet.PlainBroker(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	r, err := responder.New(responder.Config{BrokerURL: url, Cards: 10, QoS: 1}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer r.Stop()

	got := make(chan []byte, 8)
	c := paho.NewClient(paho.NewClientOptions().AddBroker(url).SetClientID("lock-1").SetOrderMatters(false))
	if tok := c.Connect(); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		t.Fatalf("connect: %v", tok.Error())
	}
	defer c.Disconnect(0)
	if tok := c.Subscribe(wire.Topic("lock-1", wire.KindRes), 1, func(_ paho.Client, m paho.Message) { got <- m.Payload() }); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		t.Fatalf("subscribe: %v", tok.Error())
	}
	for _, tc := range []struct {
		name       string
		payload    []byte
		wantResult wire.Result
		wantReason string
	}{
		{"known card", wire.AppendRequest(nil, &wire.Request{ID: "a1", Type: wire.TypeCard, Credential: responder.CardValue(3)}), wire.ResultGranted, "allowed"},
		{"unknown card", wire.AppendRequest(nil, &wire.Request{ID: "a2", Type: wire.TypeCard, Credential: responder.CardValue(10)}), wire.ResultDenied, "unknown_credential"},
		{"pin", wire.AppendRequest(nil, &wire.Request{ID: "a3", Type: wire.TypePIN, Credential: "1234"}), wire.ResultDenied, "unknown_credential"},
		{"garbage", []byte(`{"v":1,`), wire.ResultError, "bad_json"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c.Publish(wire.Topic("lock-1", wire.KindReq), 0, false, tc.payload)
			select {
			case b := <-got:
				var resp wire.AccessResponse
				if err := wire.DecodeResponse(b, &resp); err != nil {
					t.Fatalf("reply %q: %v", b, err)
				}
				if resp.Result != tc.wantResult || resp.Reason != tc.wantReason {
					t.Fatalf("reply = %+v, want %v/%s", resp, tc.wantResult, tc.wantReason)
				}
			case <-ctx.Done():
				t.Fatal("no reply")
			}
		})
	}
	if st := r.Stats(); st.Requests != 4 || st.Granted != 1 || st.Denied != 2 || st.Malformed != 1 {
		t.Fatalf("stats = %+v", st)
	}
}
