package responder

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync/atomic"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"github.com/lockhub/lockhub/devices/wire"
)

// CardValue is the raw card number of member i of the benchmark site (as a
// lock presents it). The hub's benchmark seeding and the responder's map
// use the same values.
func CardValue(i int) string {
	return fmt.Sprintf("%014X", 0x04000000000000+i)
}

// Config describes a responder.
type Config struct {
	// BrokerURL is the broker to answer through, e.g. tcp://127.0.0.1:1883.
	BrokerURL string
	// ClientID defaults to "lockhub-responder".
	ClientID string
	// Cards is how many cards (CardValue(0..Cards-1)) are granted.
	Cards int
	// QoS of the responses (the hub replies with QoS 0, docs/protocol.md §2). 0 or 1.
	QoS byte
	// UnlockMS is the unlock time of a grant (0 = 5000).
	UnlockMS uint32
}

// Stats counts what a responder did.
type Stats struct {
	Requests  uint64 // requests received
	Granted   uint64
	Denied    uint64
	Malformed uint64 // requests that could not be decoded
}

// Responder answers access requests from a map.
type Responder struct {
	cfg                       Config
	log                       *slog.Logger
	grants                    map[string]struct{}
	c                         paho.Client
	req, granted, denied, bad atomic.Uint64
}

// New builds the responder's map; Start connects it.
func New(cfg Config, log *slog.Logger) (*Responder, error) {
	switch {
	case cfg.BrokerURL == "":
		return nil, errors.New("responder: broker url required")
	case cfg.Cards < 0:
		return nil, errors.New("responder: negative card count")
	case cfg.QoS > 1:
		return nil, errors.New("responder: qos must be 0 or 1")
	}
	if cfg.ClientID == "" {
		cfg.ClientID = "lockhub-responder"
	}
	if cfg.UnlockMS == 0 {
		cfg.UnlockMS = 5000
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	r := &Responder{cfg: cfg, log: log, grants: make(map[string]struct{}, cfg.Cards)}
	for i := range cfg.Cards {
		r.grants[CardValue(i)] = struct{}{}
	}
	return r, nil
}

// Start connects and subscribes; requests are answered from then on.
func (r *Responder) Start(ctx context.Context) error {
	opts := paho.NewClientOptions().
		AddBroker(r.cfg.BrokerURL).
		SetClientID(r.cfg.ClientID).
		SetProtocolVersion(4).
		SetCleanSession(true).
		SetAutoReconnect(false).
		SetConnectTimeout(10 * time.Second).
		SetWriteTimeout(10 * time.Second).
		SetOrderMatters(false).
		SetMaxResumePubInFlight(0)
	r.c = paho.NewClient(opts)
	if err := wait(ctx, r.c.Connect()); err != nil {
		return fmt.Errorf("responder: connect: %w", err)
	}
	if err := wait(ctx, r.c.Subscribe(wire.Filter(wire.KindReq), 0, r.handle)); err != nil {
		r.c.Disconnect(0)
		return fmt.Errorf("responder: subscribe: %w", err)
	}
	r.log.Info("responder ready", "broker", r.cfg.BrokerURL, "cards", len(r.grants))
	return nil
}

// Stop disconnects.
func (r *Responder) Stop() {
	if r.c != nil {
		r.c.Disconnect(100)
	}
}

// Stats returns the counters.
func (r *Responder) Stats() Stats {
	return Stats{Requests: r.req.Load(), Granted: r.granted.Load(), Denied: r.denied.Load(), Malformed: r.bad.Load()}
}

// handle answers one request: decode, look up, publish.
func (r *Responder) handle(_ paho.Client, m paho.Message) {
	r.req.Add(1)
	lock, kind, err := wire.ParseTopic(m.Topic())
	if err != nil || kind != wire.KindReq {
		r.bad.Add(1)
		return
	}
	var req wire.Request
	var out []byte
	now := time.Now().UnixMilli()
	switch err := wire.DecodeRequest(m.Payload(), &req); {
	case err == nil && wire.RequireID(&req) == nil && req.Type.IsCredential():
		resp := wire.AccessResponse{ID: req.ID, Result: wire.ResultDenied, Reason: "unknown_credential", Time: now}
		if _, ok := r.grants[req.Credential]; ok && req.Type == wire.TypeCard {
			resp.Result, resp.Reason, resp.UnlockMS = wire.ResultGranted, "allowed", r.cfg.UnlockMS
			r.granted.Add(1)
		} else {
			r.denied.Add(1)
		}
		out = wire.AppendResponse(make([]byte, 0, 128), &resp)
	default:
		r.bad.Add(1)
		code := wire.CodeBadField
		var we *wire.Error
		if errors.As(err, &we) {
			code = we.Code
		}
		out = wire.AppendError(nil, req.ID, code, "request not understood", now)
	}
	r.c.Publish(wire.Topic(lock, wire.KindRes), r.cfg.QoS, false, out)
}

// Run starts the responder and answers until ctx ends.
func Run(ctx context.Context, cfg Config, log *slog.Logger) (Stats, error) {
	r, err := New(cfg, log)
	if err != nil {
		return Stats{}, err
	}
	if err := r.Start(ctx); err != nil {
		return Stats{}, err
	}
	<-ctx.Done()
	r.Stop()
	return r.Stats(), nil
}

// wait waits for a token, bounded by ctx and 10 s (a paho token's Wait may
// hang).
func wait(ctx context.Context, tok paho.Token) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	select {
	case <-tok.Done():
		return tok.Error()
	case <-ctx.Done():
		return ctx.Err()
	}
}

// String names the responder's counters for a log line.
func (s Stats) String() string {
	return "requests=" + strconv.FormatUint(s.Requests, 10) + " granted=" + strconv.FormatUint(s.Granted, 10) +
		" denied=" + strconv.FormatUint(s.Denied, 10) + " malformed=" + strconv.FormatUint(s.Malformed, 10)
}
