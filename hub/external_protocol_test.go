package hub_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
	"github.com/lockhub/lockhub/devices/wire"
	"github.com/lockhub/lockhub/hub"
	"github.com/lockhub/lockhub/simulators/locks"
)

// protoSite is one hub serving two locks, in one of the two modes.
type protoSite struct {
	h   *hub.Hub
	url string // where the locks connect
	ids map[string]locks.Identity
}

func newProtoSite(t *testing.T, mode string) protoSite {
	t.Helper()
	dir := t.TempDir()
	keyPath, m := newMasterKey(t, t.TempDir())
	ids := []string{"front", "back"}
	s := protoSite{ids: map[string]locks.Identity{}}
	for _, id := range ids {
		s.ids[id] = lockIdentity(m, id)
	}
	switch mode {
	case hub.MQTTModeEmbedded:
		s.h = runHub(t, extSiteYAML(dir, "proto-embedded", keyPath, ids, embeddedMQTT))
		s.url = "tcp://" + s.h.Broker().Addrs().TCP
	case hub.MQTTModeExternal:
		s.url = startMosquitto(t, extHubUser, brokerUsers(m, ids))
		pw := writeSecretFile(t, dir, "mqtt-password", extHubPass)
		s.h = runHub(t, extSiteYAML(dir, "proto-external", keyPath, ids, externalMQTT(s.url, pw)))
	}
	return s
}

// rawClient is a 3.1.1 client logged in as a lock (client id "<lock>/probe"),
// subscribed to the lock's res topic at QoS 1.
func rawClient(t *testing.T, url string, id locks.Identity) (paho.Client, <-chan paho.Message) {
	t.Helper()
	got := make(chan paho.Message, 16)
	o := paho.NewClientOptions().AddBroker(url).SetClientID(id.ID + "/probe").
		SetUsername(id.ID).SetPassword(id.Secret).SetProtocolVersion(4).SetAutoReconnect(false).
		SetOrderMatters(false)
	c := paho.NewClient(o)
	if tok := c.Connect(); !tok.WaitTimeout(extWait) || tok.Error() != nil {
		t.Fatalf("probe connect: %v", tok.Error())
	}
	t.Cleanup(func() { c.Disconnect(100) })
	tok := c.Subscribe(wire.Topic(id.ID, wire.KindRes), 1, func(_ paho.Client, m paho.Message) {
		got <- m
	})
	if !tok.WaitTimeout(extWait) || tok.Error() != nil {
		t.Fatalf("probe subscribe: %v", tok.Error())
	}
	return c, got
}

// TestProtocolBothModes runs the same protocol v1 cases against an embedded
// hub and an external-mode hub behind Mosquitto: the decision path is the
// same code, so the answers must be the same.
func TestProtocolBothModes(t *testing.T) {
	cases := []struct {
		name string
		run  func(t *testing.T, s protoSite)
	}{
		{"granted card", func(t *testing.T, s protoSite) {
			l := connectLockURL(t, s.url, s.ids["front"])
			r, _, err := l.Tap(t.Context(), wire.TypeCard, extCard)
			if err != nil || !r.Granted() || r.Reason != "allowed" {
				t.Fatalf("tap = %+v, %v; want granted/allowed", r, err)
			}
		}},
		{"unknown card denied", func(t *testing.T, s protoSite) {
			l := connectLockURL(t, s.url, s.ids["back"])
			r, _, err := l.Tap(t.Context(), wire.TypeCard, "0BADC0DE")
			if err != nil || r.Granted() || r.Reason != "unknown_credential" {
				t.Fatalf("tap = %+v, %v; want denied/unknown_credential", r, err)
			}
		}},
		{"request without id answered with an error", func(t *testing.T, s protoSite) {
			c, got := rawClient(t, s.url, s.ids["front"])
			c.Publish(wire.Topic("front", wire.KindReq), 1, false, `{"v":1,"id":"r-1","type":"card"}`)
			select {
			case m := <-got:
				// Delivered at the publisher's QoS: replies are QoS 0
				// (protocol §2) in both modes.
				if m.Qos() != 0 {
					t.Errorf("reply delivered at QoS %d, want 0", m.Qos())
				}
				p := m.Payload()
				var res struct {
					ID, Result, Code string
				}
				if err := json.Unmarshal(p, &res); err != nil || res.ID != "r-1" || res.Result != "error" {
					t.Fatalf("reply %s: want an error result for id r-1 (%v)", p, err)
				}
			case <-time.After(extWait):
				t.Fatal("no reply to a malformed request")
			}
		}},
		{"time request answered by a signed time command", func(t *testing.T, s protoSite) {
			l := connectLockURL(t, s.url, s.ids["back"])
			if _, err := l.SyncTime(t.Context()); err != nil {
				t.Fatalf("SyncTime: %v", err)
			}
			if l.State().TimeSyncs == 0 {
				t.Fatal("time command not applied")
			}
		}},
		{"door event stored and acked", func(t *testing.T, s protoSite) {
			l := connectLockURL(t, s.url, s.ids["front"])
			before := doorEvents(t, s.h, "front")
			seq := l.DoorEvent(wire.EventOpened)
			waitUntil(t, "event acked", func() bool { return l.Unacked() == 0 })
			if got := doorEvents(t, s.h, "front"); got != before+1 {
				t.Fatalf("door events of front in the log: %d, want %d (seq %d)", got, before+1, seq)
			}
		}},
		{"presence from state and last will", func(t *testing.T, s protoSite) {
			l := connectLockURL(t, s.url, s.ids["back"])
			waitUntil(t, "lock online", func() bool { p, ok := presenceOf(s.h, "back"); return ok && p.Online })
			if err := l.GoOffline(t.Context(), time.Hour, true); err != nil {
				t.Fatal(err)
			}
			waitUntil(t, "lock offline (will)", func() bool { p, _ := presenceOf(s.h, "back"); return !p.Online })
		}},
		{"lockdown command reaches the lock and holds in decisions", func(t *testing.T, s protoSite) {
			l := connectLockURL(t, s.url, s.ids["front"])
			waitUntil(t, "lock online", func() bool { p, ok := presenceOf(s.h, "front"); return ok && p.Online })
			if err := s.h.Locks().SetLockdown(context.Background(), "front", true, "test"); err != nil {
				t.Fatalf("SetLockdown: %v", err)
			}
			waitUntil(t, "lock in lockdown", func() bool { return l.State().Lockdown })
			if !s.h.Store().LockState("front").Lockdown {
				t.Fatal("lockdown not stored")
			}
			if err := s.h.Locks().SetLockdown(context.Background(), "front", false, "test"); err != nil {
				t.Fatal(err)
			}
			waitUntil(t, "lockdown lifted at the lock", func() bool { return !l.State().Lockdown })
		}},
	}
	for _, mode := range []string{hub.MQTTModeEmbedded, hub.MQTTModeExternal} {
		t.Run(mode, func(t *testing.T) {
			s := newProtoSite(t, mode)
			for _, c := range cases {
				t.Run(strings.ReplaceAll(c.name, " ", "_"), func(t *testing.T) { c.run(t, s) })
			}
		})
	}
}

// doorEvents counts the door events of lock in the hub's log.
func doorEvents(t *testing.T, h *hub.Hub, lock string) int {
	t.Helper()
	evs, err := h.Events().Scan(0, 100000)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range evs {
		if e.Lock == lock && e.Boot != 0 {
			n++
		}
	}
	return n
}
