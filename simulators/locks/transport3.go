package locks

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"

	paho3 "github.com/eclipse/paho.mqtt.golang"
)

// transport3 is an MQTT 3.1.1 connection through paho.mqtt.golang, with the
// library's own reconnect turned off (the lock reconnects with jitter) and
// OrderMatters off, so a handler never blocks the library's router
// (libs.md §3).
type transport3 struct {
	c      paho3.Client
	sock   connHolder
	signal *lostSignal
}

var errSubscribeRefused = errors.New("subscription refused")

func dial3(ctx context.Context, o dialOptions) (transport, error) {
	t := &transport3{signal: newLostSignal()}
	opts := paho3.NewClientOptions().
		AddBroker(o.url.String()).
		SetClientID(o.clientID).
		SetUsername(o.username).
		SetPassword(o.password).
		SetProtocolVersion(4).
		SetCleanSession(true).
		SetKeepAlive(o.keepAlive).
		SetPingTimeout(o.timeout).
		SetConnectTimeout(o.timeout).
		SetWriteTimeout(o.timeout).
		SetAutoReconnect(false).
		SetConnectRetry(false).
		SetOrderMatters(false).
		SetBinaryWill(o.will.topic, o.will.payload, 1, true).
		SetCustomOpenConnectionFn(func(*url.URL, paho3.ClientOptions) (net.Conn, error) {
			c, err := dialNet(ctx, o.url, o.tls, o.timeout)
			if err == nil {
				t.sock.set(c)
			}
			return c, err
		}).
		SetConnectionLostHandler(func(paho3.Client, error) { t.signal.fire() }).
		SetDefaultPublishHandler(func(_ paho3.Client, m paho3.Message) {
			o.onMessage(inbound{topic: m.Topic(), payload: m.Payload(), retained: m.Retained()})
		})
	t.c = paho3.NewClient(opts)
	if err := wait3(ctx, t.c.Connect(), o); err != nil {
		return nil, fmt.Errorf("connect: %w", err)
	}
	filters := make(map[string]byte, len(o.subscribe))
	for _, f := range o.subscribe {
		filters[f] = 1
	}
	tok := t.c.SubscribeMultiple(filters, nil) // nil: the default handler
	if err := wait3(ctx, tok, o); err != nil {
		t.close(true)
		return nil, fmt.Errorf("subscribe: %w", err)
	}
	for f, code := range tok.(*paho3.SubscribeToken).Result() {
		if code > 2 {
			t.close(true)
			return nil, fmt.Errorf("subscribe %s: %w (code %#x)", f, errSubscribeRefused, code)
		}
	}
	return t, nil
}

// wait3 waits for a token, bounded by the timeout and ctx (a paho token's
// Wait may hang; libs.md §3).
func wait3(ctx context.Context, tok paho3.Token, o dialOptions) error {
	ctx, cancel := context.WithTimeout(ctx, o.timeout)
	defer cancel()
	select {
	case <-tok.Done():
		return tok.Error()
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (t *transport3) publish(p publication) error {
	tok := t.c.Publish(p.topic, p.qos, p.retain, p.payload)
	select {
	case <-tok.Done(): // completes at once when not connected
		return tok.Error()
	default:
		return nil
	}
}

func (t *transport3) close(clean bool) {
	if clean {
		t.c.Disconnect(100)
	} else {
		// paho takes the read error on a socket closed under it for a
		// Disconnect of its own and reports no loss; the broker sees a
		// dropped connection and publishes the will.
		t.sock.drop()
		t.c.Disconnect(0)
	}
	t.signal.fire()
}

func (t *transport3) lost() <-chan struct{} { return t.signal.ch }
