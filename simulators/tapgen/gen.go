package tapgen

import (
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"net/url"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/lockhub/lockhub/devices/wire"
	"github.com/lockhub/lockhub/simulators/locks"
)

// Config describes a generator's locks.
type Config struct {
	// BrokerURL is tcp://<ip>:<port> (no TLS, no host names: the generator
	// is for a broker on this machine).
	BrokerURL string
	// Locks are the identities that connect (ID as client id and username,
	// Secret as password).
	Locks []locks.Identity
	// KeepAlive is the MQTT keep-alive the locks announce; they ping every
	// half of it (default 60 s).
	KeepAlive time.Duration
	// ConnectConcurrency bounds the handshakes in flight (default 64).
	ConnectConcurrency int
	// ConnectTimeout bounds each lock's connect, CONNACK and SUBACK
	// (default 10 s).
	ConnectTimeout time.Duration
}

// Defaults of Config.
const (
	DefaultKeepAlive          = 60 * time.Second
	DefaultConnectConcurrency = 64
	DefaultConnectTimeout     = 10 * time.Second
)

// Traffic is one open-loop run: Rate taps per second for Duration, spread
// round-robin over the locks, each tap a credential drawn from Credentials
// (locks.DefaultCredentials when empty). Latency runs from each tap's
// scheduled time to the read of its reply. After the sending phase the run
// waits up to Drain (default 5 s) for the replies still due; taps without a
// reply then are timeouts.
type Traffic struct {
	Rate        float64
	Duration    time.Duration
	Credentials []locks.Credential
	Drain       time.Duration
	// Seed makes the credential choices repeatable (0: random).
	Seed uint64
}

// Stats counts what the generator saw outside the runs' reports.
type Stats struct {
	Lost      uint64 // connections that ended (the broker closed, or a read failed)
	Late      uint64 // replies to taps already counted as timeouts, or outside a run
	Unmatched uint64 // replies whose id is no tap of the current run, or answered twice
	BadReply  uint64 // replies that are not a wire AccessResponse
	Other     uint64 // packets other than PUBLISH and PINGRESP after the handshake
}

// Gen is a connected set of locks. Close ends it.
type Gen struct {
	cfg   Config
	log   *slog.Logger
	addr  netip.AddrPort
	conns []*conn
	p     *poller

	cur                                    atomic.Pointer[run]
	lost, late, unmatched, badReply, other atomic.Uint64
	readerDone, pingDone, stopPing         chan struct{}
	closeOnce                              sync.Once
}

// conn is one lock's socket.
type conn struct {
	fd   int
	id   string
	req  string // its req topic
	in   []byte // bytes read but not yet a whole packet
	mu   sync.Mutex
	dead atomic.Bool
}

// run is the state of one Traffic run that the reader needs.
type run struct {
	start time.Time
	// at[i] is tap i's scheduled time in ns after start, plus one (set by
	// the sender before it writes the tap); 0 once it is answered, or
	// never sent.
	at      []atomic.Int64
	rec     locks.Recorder
	replied atomic.Uint64
	// mu is held by the reader for each reply and by the run's end, which
	// sets closed: a reply that loaded the run just before it ended counts
	// as late instead of landing in a finished report.
	mu      sync.Mutex
	closed  bool
	results map[[2]string]uint64
	errRep  uint64
}

func parseConfig(cfg Config) (Config, netip.AddrPort, error) {
	var zero netip.AddrPort
	if cfg.KeepAlive == 0 {
		cfg.KeepAlive = DefaultKeepAlive
	}
	if cfg.ConnectConcurrency <= 0 {
		cfg.ConnectConcurrency = DefaultConnectConcurrency
	}
	if cfg.ConnectTimeout <= 0 {
		cfg.ConnectTimeout = DefaultConnectTimeout
	}
	switch {
	case len(cfg.Locks) == 0:
		return cfg, zero, errors.New("tapgen: no locks")
	case cfg.KeepAlive < 2*time.Second || cfg.KeepAlive > 65535*time.Second:
		return cfg, zero, errors.New("tapgen: keep-alive must be 2 s to 65535 s")
	}
	u, err := url.Parse(cfg.BrokerURL)
	if err != nil {
		return cfg, zero, fmt.Errorf("tapgen: broker url: %w", err)
	}
	if u.Scheme != "tcp" && u.Scheme != "mqtt" {
		return cfg, zero, fmt.Errorf("tapgen: broker url %q: want tcp://<ip>:<port>", cfg.BrokerURL)
	}
	ap, err := netip.ParseAddrPort(u.Host)
	if err != nil {
		return cfg, zero, fmt.Errorf("tapgen: broker url %q: want an IP address and port: %w", cfg.BrokerURL, err)
	}
	for i, l := range cfg.Locks {
		if !wire.ValidLockID(l.ID) {
			return cfg, zero, fmt.Errorf("tapgen: lock %d: invalid id %q", i, l.ID)
		}
	}
	return cfg, ap, nil
}

// Stats returns the generator's counters.
func (g *Gen) Stats() Stats {
	return Stats{Lost: g.lost.Load(), Late: g.late.Load(), Unmatched: g.unmatched.Load(),
		BadReply: g.badReply.Load(), Other: g.other.Load()}
}

// Locks is the number of connected locks (connections not lost).
func (g *Gen) Locks() int {
	n := 0
	for _, c := range g.conns {
		if !c.dead.Load() {
			n++
		}
	}
	return n
}

// errLost is a send on a lock whose connection has ended.
var errLost = errors.New("tapgen: connection lost")

// pingsDue is the slice [from, to) of n locks that ping at tick (counted
// from 1) when a round of pings spans ticks ticks: every lock once per
// round, spread evenly over it.
func pingsDue(n, tick, ticks int) (from, to int) {
	r := tick % ticks
	return n * r / ticks, n * (r + 1) / ticks
}

// handle processes the whole packets at the front of c.in (and of b, the
// bytes just read at now) and keeps the rest in c.in. It reports false when
// the stream is broken.
func (g *Gen) handle(c *conn, b []byte, now time.Time) bool {
	if len(c.in) > 0 {
		c.in = append(c.in, b...)
		b = c.in
	}
	for {
		first, body, n, err := nextPacket(b)
		if err != nil {
			return false
		}
		if n == 0 {
			break
		}
		b = b[n:]
		switch first >> 4 {
		case typePublish:
			_, payload, err := parsePublish(first, body)
			if err != nil {
				return false
			}
			g.reply(payload, now)
		case typePingresp:
		default:
			g.other.Add(1)
		}
	}
	// Keep the partial packet (copied: b may be the read buffer).
	c.in = append(c.in[:0], b...)
	return true
}

// reply matches one reply to its tap.
func (g *Gen) reply(payload []byte, now time.Time) {
	var resp wire.AccessResponse
	if err := wire.DecodeResponse(payload, &resp); err != nil {
		g.badReply.Add(1)
		return
	}
	r := g.cur.Load()
	if r == nil {
		g.late.Add(1)
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	i, ok := tapIndex(resp.ID)
	switch {
	case r.closed:
		g.late.Add(1)
		return
	case !ok || i >= uint64(len(r.at)):
		g.unmatched.Add(1)
		return
	}
	at := r.at[i].Swap(0)
	if at == 0 {
		g.unmatched.Add(1)
		return
	}
	r.rec.Record(now.Sub(r.start) - time.Duration(at-1))
	r.replied.Add(1)
	r.results[[2]string{resp.Result.String(), resp.Reason}]++
	if resp.Result == wire.ResultError {
		r.errRep++
	}
}

// appendTapID appends the request id of tap i: "t" and i in base 36.
func appendTapID(dst []byte, i uint64) []byte {
	return strconv.AppendUint(append(dst, 't'), i, 36)
}

func tapIndex(id string) (uint64, bool) {
	if len(id) < 2 || id[0] != 't' {
		return 0, false
	}
	i, err := strconv.ParseUint(id[1:], 36, 64)
	return i, err == nil
}
