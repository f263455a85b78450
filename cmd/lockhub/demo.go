package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"math"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/lockhub/lockhub/hub"
	"github.com/lockhub/lockhub/policy"
	"github.com/lockhub/lockhub/simulators/locks"
	simnex "github.com/lockhub/lockhub/simulators/nexudus"
	"github.com/lockhub/lockhub/simulators/upstream"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"golang.org/x/sync/errgroup"
)

func demoCommand() command {
	return command{
		name:    "demo",
		summary: "run a demo site on 127.0.0.1: hub, simulated Nexudus, locks and upstream",
		help: `Runs a whole demo site on 127.0.0.1 with nothing to configure: the hub, a
simulated Nexudus with a small coworking space (two locations, fifteen doors,
two hundred members with bookings, passes and contracts), simulated locks
tapping cards and PINs, and a simulated upstream receiving the event log.
Prints the status page URL and what to try; Ctrl-C stops everything.`,
		setup: func(fs *flag.FlagSet) func(context.Context, *env, []string) error {
			mqttAddr := fs.String("mqtt", "127.0.0.1:1883", "MQTT listen `address`")
			httpAddr := fs.String("http", "127.0.0.1:8080", "status page and API listen `address`")
			dataDir := fs.String("data", ".lockhub-demo", "data `directory` (made if missing)")
			rate := fs.Float64("rate", 2, "taps per `second` over all simulated locks")
			level := fs.String("log-level", "warn", "log `level`: debug, info, warn, error")
			return func(ctx context.Context, e *env, args []string) error {
				if len(args) != 0 {
					return usagef("unexpected arguments %q", args)
				}
				log, err := newLogger(e, *level, "text")
				if err != nil {
					return usagef("%v", err)
				}
				return runDemo(ctx, e, log, demoOptions{mqtt: *mqttAddr, http: *httpAddr, data: *dataDir, rate: *rate})
			}
		},
	}
}

type demoOptions struct {
	mqtt, http, data string
	rate             float64
}

func randomToken() string {
	b := make([]byte, 18)
	rand.Read(b)
	return hex.EncodeToString(b)
}

func runDemo(ctx context.Context, e *env, log *slog.Logger, o demoOptions) error {
	tuneRuntime(log)
	// Three stages, stopped in reverse: the simulators of external systems,
	// the hub, the locks. So the hub's last events still reach the upstream.
	simCtx, stopSims := context.WithCancel(context.Background())
	defer stopSims()
	g, gctx := errgroup.WithContext(simCtx)

	// The simulated Nexudus, seeded with the demo space.
	nex := simnex.New(simnex.Config{})
	if err := nex.SeedDemo(time.Now()); err != nil {
		return fmt.Errorf("seed the simulated Nexudus: %w", err)
	}
	nexLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	g.Go(func() error { return nex.Serve(gctx, nexLn, log.With("component", "sim-nexudus")) })
	bizs := nex.Businesses()
	if len(bizs) < 2 {
		return fmt.Errorf("the simulated Nexudus seeded %d locations, want 2", len(bizs))
	}
	sto, ldn := bizs[0].UniqueID, bizs[1].UniqueID // SeedDemo adds Stockholm, then London

	// The simulated upstream.
	upToken := randomToken()
	sink := upstream.New(upstream.Config{Token: upToken})
	upLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	g.Go(func() error { return sink.Serve(gctx, upLn, log.With("component", "sim-upstream")) })

	// The hub, on a generated site config.
	webhookToken := randomToken()
	for k, v := range map[string]string{demoEnvNexudus: "secret", demoEnvWebhook: webhookToken, demoEnvUpstream: upToken} {
		os.Setenv(k, v) // this process only: the demo's own secrets
	}
	dataDir, err := filepath.Abs(o.data)
	if err != nil {
		return err
	}
	site := demoSite{dataDir: dataDir, mqttAddr: o.mqtt, httpAddr: o.http,
		nexudusURL: "http://" + nexLn.Addr().String() + "/api/", upstreamURL: "http://" + upLn.Addr().String() + "/v1/events",
		stockholmBiz: sto, londonBiz: ldn, user: "admin@example.org"}
	cfg, err := hub.LoadConfig(strings.NewReader(site.yaml()))
	if err != nil {
		return fmt.Errorf("demo config: %w", err)
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	h, err := hub.New(cfg, hub.Deps{Logger: log, Registerer: reg})
	if err != nil {
		stopSims()
		g.Wait()
		if errors.Is(err, syscall.EADDRINUSE) {
			return fmt.Errorf("%w\n(is another lockhub demo running? stop it, or pick other ports: lockhub demo -mqtt 127.0.0.1:11883 -http 127.0.0.1:18080)", err)
		}
		return err
	}
	defer h.Close()
	hubCtx, stopHub := context.WithCancel(context.Background())
	defer stopHub()
	hubDone := make(chan error, 1)
	go func() { hubDone <- h.Run(hubCtx) }()
	nex.SetWebhook(simnex.WebhookConfig{URL: "http://" + h.HTTPAddrs().Main + "/nexudus/webhook", Bearer: webhookToken})

	// Simulated locks: one per door, tapping the space's real cards and PINs
	// (and some unknown ones), with door events and short offline periods.
	doors := demoDoors()
	// Wait (bounded) for the first Nexudus pass, so the locks tap the
	// credentials of members who hold access now.
	for deadline := time.Now().Add(45 * time.Second); time.Now().Before(deadline) && ctx.Err() == nil; time.Sleep(200 * time.Millisecond) {
		if !h.Store().LastSync("sto").IsZero() && !h.Store().LastSync("ldn").IsZero() {
			break
		}
	}
	lockCtx, stopLocks := context.WithCancel(ctx)
	defer stopLocks()
	locksDone := make(chan error, 1)
	go func() {
		_, err := locks.Run(lockCtx, locks.Config{
			BrokerURL: "tcp://" + h.Broker().Addrs().TCP,
			Locks:     len(doors),
			Identity: func(i int) (locks.Identity, error) {
				id := doors[i].id
				secret, key, err := hub.LockIdentity(h.Config(), id)
				return locks.Identity{ID: id, Secret: secret, CommandKey: key}, err
			},
			V5Percent:   50,
			Rate:        o.rate,
			Duration:    math.MaxInt64,
			Credentials: demoCredentials(nex, h, doors),
			EventRate:   o.rate / 4,
			OfflineRate: 0.01,
			OfflineFor:  20 * time.Second,
			Output:      nil,
		}, log)
		if lockCtx.Err() != nil {
			err = nil
		}
		locksDone <- err
	}()

	printDemoBanner(e, h, doors[0].id)
	var errs []error
	select {
	case <-ctx.Done():
	case err := <-locksDone:
		errs = append(errs, fmt.Errorf("simulated locks: %w", err))
		locksDone <- nil
	case err := <-hubDone:
		errs = append(errs, fmt.Errorf("hub: %w", err))
		hubDone <- nil
	}
	fmt.Fprintln(e.stdout, "\nlockhub demo: stopping...")
	stopLocks()
	errs = append(errs, <-locksDone)
	stopHub() // the hub uploads its last events on the way out
	errs = append(errs, <-hubDone)
	stopSims()
	if err := g.Wait(); err != nil && !errors.Is(err, context.Canceled) {
		errs = append(errs, err)
	}
	rep := sink.Report()
	fmt.Fprintf(e.stdout, "upstream received %d events in %d batches.\n", rep.Unique, rep.Accepted)
	return errors.Join(errs...)
}

// demoCredentials picks cards and PINs of the space's members: heavily
// weighted those that open some door now (asked of the hub's own decision
// engine), lightly the others (inactive members, no booking today), plus
// unknown cards and wrong PINs.
func demoCredentials(nex *simnex.Server, h *hub.Hub, doors []demoDoor) string {
	var parts []string
	now := time.Now()
	for _, c := range nex.Credentials(0) {
		typ := policy.CredCard
		if c.Type == "pin" {
			typ = policy.CredPIN
		}
		cred, err := h.Keys().Digest(typ, c.Value)
		if err != nil {
			continue
		}
		opens := false
		for _, d := range doors {
			if h.Store().Decide(now, policy.Request{Lock: d.id, Credential: cred}).Allowed() {
				opens = true
				break
			}
		}
		switch {
		case opens:
			parts = append(parts, c.Type+":"+c.Value+"*8")
		case len(parts) < 200:
			parts = append(parts, c.Type+":"+c.Value)
		}
	}
	parts = append(parts, "card:?*6", "pin:?*4", "card:0xC1EA0001")
	return strings.Join(parts, ",")
}

func printDemoBanner(e *env, h *hub.Hub, lock string) {
	cfg := h.Config()
	mqttAddr, web := h.Broker().Addrs().TCP, "http://"+h.HTTPAddrs().Main
	secret, _ := hub.LockSecret(cfg, lock)
	host, port, _ := net.SplitHostPort(mqttAddr)
	fmt.Fprintf(e.stdout, `
lockhub demo is running (Ctrl-C stops it)

  status page   %[1]s/
  metrics       %[1]s/metrics
  MQTT          %[2]s   (data in %[3]s)

Fifteen simulated doors tap cards and PINs of the simulated Nexudus space's
members; the hub syncs bookings, passes and contracts from it and uploads its
event log to a simulated upstream. Things to try:

  - open the status page: locks, sync, outbox, recent decisions and why;
  - ask the explainer (on the page): would card 0xC1EA0001 open %[4]q at 23:00?
  - curl -s %[1]s/api/status | head
  - be a lock yourself (mosquitto-clients), in two terminals:
      mosquitto_sub -h %[5]s -p %[6]s -u %[4]s -P '%[7]s' -i %[4]s/sub -t 'lockhub/v1/locks/%[4]s/res' -v
      mosquitto_pub -h %[5]s -p %[6]s -u %[4]s -P '%[7]s' -i %[4]s/pub -q 1 \
        -t 'lockhub/v1/locks/%[4]s/req' -m '{"v":1,"id":"r1","type":"card","credential":"C1EA0001"}'

`, web, mqttAddr, cfg.Site.DataDir, lock, host, port, secret)
}
