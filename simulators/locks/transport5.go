package locks

import (
	"context"
	"fmt"
	"net"
	"time"

	"github.com/eclipse/paho.golang/packets"
	paho5 "github.com/eclipse/paho.golang/paho"
)

// transport5 is an MQTT 5 connection through paho.golang. Requests carry a
// ResponseTopic (the lock's own res topic) and CorrelationData.
type transport5 struct {
	c       *paho5.Client
	sock    net.Conn
	timeout time.Duration
	signal  *lostSignal
}

func dial5(ctx context.Context, o dialOptions) (transport, error) {
	sock, err := dialNet(ctx, o.url, o.tls, o.timeout)
	if err != nil {
		return nil, fmt.Errorf("connect: %w", err)
	}
	t := &transport5{sock: sock, timeout: o.timeout, signal: newLostSignal()}
	t.c = paho5.NewClient(paho5.ClientConfig{
		Conn:          packets.NewThreadSafeConn(sock),
		PacketTimeout: o.timeout,
		OnPublishReceived: []func(paho5.PublishReceived) (bool, error){
			func(pr paho5.PublishReceived) (bool, error) {
				p := pr.Packet
				in := inbound{topic: p.Topic, payload: p.Payload, retained: p.Retain}
				if p.Properties != nil {
					in.correlation = p.Properties.CorrelationData
				}
				o.onMessage(in)
				return true, nil
			},
		},
		OnClientError:      func(error) { t.signal.fire() },
		OnServerDisconnect: func(*paho5.Disconnect) { t.signal.fire() },
	})
	cctx, cancel := context.WithTimeout(ctx, o.timeout)
	defer cancel()
	ka := uint16(min(o.keepAlive/time.Second, 65535))
	ca, err := t.c.Connect(cctx, &paho5.Connect{
		ClientID:     o.clientID,
		CleanStart:   true, // session expiry 0: nothing kept by the broker
		KeepAlive:    max(ka, 1),
		Username:     o.username,
		UsernameFlag: true,
		Password:     []byte(o.password),
		PasswordFlag: true,
		WillMessage:  &paho5.WillMessage{Retain: true, QoS: 1, Topic: o.will.topic, Payload: o.will.payload},
	})
	if err != nil {
		_ = sock.Close()
		if ca != nil {
			return nil, fmt.Errorf("connect: refused (reason %#x): %w", ca.ReasonCode, err)
		}
		return nil, fmt.Errorf("connect: %w", err)
	}
	go func() {
		<-t.c.Done()
		t.signal.fire()
	}()
	subs := make([]paho5.SubscribeOptions, len(o.subscribe))
	for i, f := range o.subscribe {
		subs[i] = paho5.SubscribeOptions{Topic: f, QoS: 1}
	}
	sa, err := t.c.Subscribe(cctx, &paho5.Subscribe{Subscriptions: subs})
	if err != nil {
		t.close(true)
		return nil, fmt.Errorf("subscribe: %w", err)
	}
	for i, code := range sa.Reasons {
		if code > 2 {
			t.close(true)
			return nil, fmt.Errorf("subscribe %s: %w (reason %#x)", o.subscribe[min(i, len(o.subscribe)-1)], errSubscribeRefused, code)
		}
	}
	return t, nil
}

func (t *transport5) publish(p publication) error {
	pb := &paho5.Publish{Topic: p.topic, QoS: p.qos, Retain: p.retain, Payload: p.payload}
	if p.responseTopic != "" || p.correlation != nil {
		pb.Properties = &paho5.PublishProperties{ResponseTopic: p.responseTopic, CorrelationData: p.correlation}
	}
	ctx, cancel := context.WithTimeout(context.Background(), t.timeout)
	defer cancel()
	_, err := t.c.PublishWithOptions(ctx, pb, paho5.PublishOptions{Method: paho5.PublishMethod_AsyncSend})
	return err
}

func (t *transport5) close(clean bool) {
	if clean {
		_ = t.c.Disconnect(&paho5.Disconnect{ReasonCode: 0})
	} else {
		_ = t.sock.Close() // no DISCONNECT: the broker publishes the will
	}
	select {
	case <-t.c.Done():
	case <-time.After(t.timeout):
	}
	t.signal.fire()
}

func (t *transport5) lost() <-chan struct{} { return t.signal.ch }
