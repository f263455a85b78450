//go:build linux

package tapgen

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"math/rand/v2"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/lockhub/lockhub/devices/wire"
	"github.com/lockhub/lockhub/simulators/locks"
)

// poller is the epoll instance every lock's socket is registered with. Its
// own descriptor is in Go's network poller (an epoll descriptor is
// readable while it has events), so the reader parks as a goroutine
// instead of blocking a thread in epoll_wait(2): with a thread blocked in
// a system call most of the time, the runtime's sysmon never backs off
// from its 20 µs period, which cost more CPU than the generator's work.
type poller struct {
	epfd int
	f    *os.File // owns epfd
	rc   syscall.RawConn
	byFD map[int32]*conn // written before the reader starts, then read only
}

func newPoller(n int) (*poller, error) {
	epfd, err := syscall.EpollCreate1(syscall.EPOLL_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("tapgen: epoll: %w", err)
	}
	// Non-blocking, so that os.NewFile registers it with the poller.
	if err := syscall.SetNonblock(epfd, true); err != nil {
		_ = syscall.Close(epfd)
		return nil, fmt.Errorf("tapgen: epoll: %w", err)
	}
	f := os.NewFile(uintptr(epfd), "epoll")
	rc, err := f.SyscallConn()
	if err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("tapgen: epoll: %w", err)
	}
	return &poller{epfd: epfd, f: f, rc: rc, byFD: make(map[int32]*conn, n)}, nil
}

// New connects every lock (CONNECT, CONNACK, SUBSCRIBE to its res topic,
// SUBACK) and starts the reader and the pinger. On error nothing stays
// open.
func New(ctx context.Context, cfg Config, log *slog.Logger) (*Gen, error) {
	cfg, ap, err := parseConfig(cfg)
	if err != nil {
		return nil, err
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	p, err := newPoller(len(cfg.Locks))
	if err != nil {
		return nil, err
	}
	g := &Gen{cfg: cfg, log: log, addr: ap, conns: make([]*conn, len(cfg.Locks)), p: p,
		readerDone: make(chan struct{}), pingDone: make(chan struct{}), stopPing: make(chan struct{})}
	if err := g.connectAll(ctx); err != nil {
		for _, c := range g.conns {
			if c != nil {
				_ = syscall.Close(c.fd)
			}
		}
		_ = p.f.Close()
		return nil, err
	}
	// Bytes that came behind a SUBACK (nothing a broker should send then)
	// are handled like any others.
	for _, c := range g.conns {
		if len(c.in) > 0 && !g.handle(c, nil, time.Now()) {
			g.log.Warn("tapgen: broken stream from the broker", "lock", c.id)
			g.drop(c)
		}
	}
	go g.read()
	go g.ping()
	return g, nil
}

func (g *Gen) connectAll(ctx context.Context) error {
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		first error
	)
	next := make(chan int)
	for range g.cfg.ConnectConcurrency {
		wg.Go(func() {
			for i := range next {
				c, err := g.dial(g.cfg.Locks[i])
				mu.Lock()
				if err != nil && first == nil {
					first = fmt.Errorf("tapgen: lock %s: %w", g.cfg.Locks[i].ID, err)
				}
				if c != nil {
					g.conns[i] = c
					g.p.byFD[int32(c.fd)] = c
				}
				mu.Unlock()
			}
		})
	}
feed:
	for i := range g.cfg.Locks {
		mu.Lock()
		failed := first != nil
		mu.Unlock()
		if failed {
			break
		}
		select {
		case next <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	if first == nil {
		first = ctx.Err()
	}
	return first
}

// dial connects one lock with blocking I/O (bounded by socket timeouts),
// then switches the socket to non-blocking and adds it to the poller.
func (g *Gen) dial(id locks.Identity) (*conn, error) {
	family := syscall.AF_INET
	var sa syscall.Sockaddr = &syscall.SockaddrInet4{Port: int(g.addr.Port()), Addr: g.addr.Addr().As4()}
	if g.addr.Addr().Is6() && !g.addr.Addr().Is4In6() {
		family = syscall.AF_INET6
		sa = &syscall.SockaddrInet6{Port: int(g.addr.Port()), Addr: g.addr.Addr().As16()}
	}
	fd, err := syscall.Socket(family, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	c := &conn{fd: fd, id: id.ID, req: wire.Topic(id.ID, wire.KindReq)}
	ok := false
	defer func() {
		if !ok {
			_ = syscall.Close(fd)
		}
	}()
	tv := syscall.NsecToTimeval(int64(g.cfg.ConnectTimeout))
	for _, opt := range []int{syscall.SO_RCVTIMEO, syscall.SO_SNDTIMEO} {
		if err := syscall.SetsockoptTimeval(fd, syscall.SOL_SOCKET, opt, &tv); err != nil {
			return nil, err
		}
	}
	if err := syscall.SetsockoptInt(fd, syscall.IPPROTO_TCP, syscall.TCP_NODELAY, 1); err != nil {
		return nil, err
	}
	if err := syscall.Connect(fd, sa); err != nil {
		return nil, fmt.Errorf("connect: %w", err)
	}
	ka := uint16(g.cfg.KeepAlive / time.Second)
	if err := writeAll(fd, appendConnect(nil, id.ID, id.ID, id.Secret, ka)); err != nil {
		return nil, fmt.Errorf("send CONNECT: %w", err)
	}
	first, body, err := c.readPacket()
	switch {
	case err != nil:
		return nil, fmt.Errorf("CONNACK: %w", err)
	case first>>4 != typeConnack || len(body) != 2:
		return nil, fmt.Errorf("CONNACK: got packet type %d", first>>4)
	case body[1] != 0:
		return nil, fmt.Errorf("CONNACK: refused with return code %d", body[1])
	}
	if err := writeAll(fd, appendSubscribe(nil, 1, wire.Topic(id.ID, wire.KindRes), 0)); err != nil {
		return nil, fmt.Errorf("send SUBSCRIBE: %w", err)
	}
	first, body, err = c.readPacket()
	switch {
	case err != nil:
		return nil, fmt.Errorf("SUBACK: %w", err)
	case first>>4 != typeSuback || len(body) != 3:
		return nil, fmt.Errorf("SUBACK: got packet type %d", first>>4)
	case body[2] == 0x80:
		return nil, errors.New("SUBACK: subscription to the res topic refused")
	}
	if err := syscall.SetNonblock(fd, true); err != nil {
		return nil, err
	}
	ev := syscall.EpollEvent{Events: syscall.EPOLLIN | syscall.EPOLLRDHUP, Fd: int32(fd)}
	if err := syscall.EpollCtl(g.p.epfd, syscall.EPOLL_CTL_ADD, fd, &ev); err != nil {
		return nil, fmt.Errorf("epoll add: %w", err)
	}
	ok = true
	return c, nil
}

// readPacket reads one whole packet with blocking reads (the handshake);
// bytes after it stay in c.in.
func (c *conn) readPacket() (byte, []byte, error) {
	buf := make([]byte, 512)
	for {
		first, body, n, err := nextPacket(c.in)
		if err != nil {
			return 0, nil, err
		}
		if n > 0 {
			body = append([]byte(nil), body...)
			c.in = append(c.in[:0], c.in[n:]...)
			return first, body, nil
		}
		m, err := syscall.Read(c.fd, buf)
		switch {
		case err == syscall.EINTR:
			continue
		case err != nil:
			return 0, nil, err
		case m == 0:
			return 0, nil, errors.New("connection closed by the broker")
		}
		c.in = append(c.in, buf[:m]...)
	}
}

// writeAll writes b on a blocking socket.
func writeAll(fd int, b []byte) error {
	for len(b) > 0 {
		n, err := syscall.Write(fd, b)
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return err
		}
		b = b[n:]
	}
	return nil
}

// send writes one packet on the lock's non-blocking socket. A full socket
// buffer is waited out for at most a second (it never fills at the rates
// the generator runs: a request is ~150 bytes, the buffer megabytes). On
// an error the caller drops the lock: a packet cut half-way would break
// the stream.
func (c *conn) send(b []byte) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.dead.Load() {
		return errLost
	}
	deadline := time.Time{}
	for len(b) > 0 {
		n, err := rawWrite(c.fd, b)
		switch {
		case err == syscall.EINTR:
			continue
		case err == syscall.EAGAIN:
			if deadline.IsZero() {
				deadline = time.Now().Add(time.Second)
			} else if time.Now().After(deadline) {
				return errors.New("tapgen: socket buffer full for a second")
			}
			time.Sleep(100 * time.Microsecond)
			continue
		case err != nil:
			return err
		}
		b = b[n:]
	}
	return nil
}

// read is the reader: one goroutine for every socket, parked in the poller
// until the epoll descriptor has events, stamping each read with the time
// it was made. It ends when Close closes the epoll descriptor.
func (g *Gen) read() {
	defer close(g.readerDone)
	events := make([]syscall.EpollEvent, 512)
	buf := make([]byte, 64<<10)
	_ = g.p.rc.Read(func(uintptr) bool {
		for {
			// The sockets are level-triggered and the loop drains them, so
			// the poller's edge on the epoll descriptor is never missed.
			n, err := rawEpollPoll(g.p.epfd, events)
			switch {
			case err == syscall.EINTR:
				continue
			case err != nil:
				return true
			case n == 0:
				return false // park until there are events
			}
			for _, ev := range events[:n] {
				g.readConn(g.p.byFD[ev.Fd], buf)
			}
		}
	})
}

// readConn reads what one socket has (up to len(buf)) and handles it.
func (g *Gen) readConn(c *conn, buf []byte) {
	if c == nil || c.dead.Load() {
		return
	}
	m, err := rawRead(c.fd, buf)
	now := time.Now()
	switch {
	case err == syscall.EAGAIN || err == syscall.EINTR:
		return
	case err != nil || m == 0:
		g.drop(c)
		return
	}
	if !g.handle(c, buf[:m], now) {
		g.log.Warn("tapgen: broken stream from the broker", "lock", c.id)
		g.drop(c)
	}
}

// drop takes a lost connection out of the poller (its fd is closed by Close).
func (g *Gen) drop(c *conn) {
	if c.dead.Swap(true) {
		return
	}
	g.lost.Add(1)
	_ = syscall.EpollCtl(g.p.epfd, syscall.EPOLL_CTL_DEL, c.fd, nil)
	g.log.Warn("tapgen: connection lost", "lock", c.id)
}

// pingTick is how often the pinger wakes; each time it pings its share of
// the locks, so that every lock pings once per half keep-alive and the
// pings are spread evenly over it. (All at once, 5,000 pings every 30 s
// stalled a single-threaded broker for tens of milliseconds, which the
// runs measured as its latency; real locks ping at their own phases.)
const pingTick = 10 * time.Millisecond

// ping sends PINGREQ on every connection once per half keep-alive.
func (g *Gen) ping() {
	defer close(g.pingDone)
	t := time.NewTicker(pingTick)
	defer t.Stop()
	ticks := max(int((g.cfg.KeepAlive/2)/pingTick), 1)
	for tick := 1; ; tick++ {
		select {
		case <-g.stopPing:
			return
		case <-t.C:
		}
		from, to := pingsDue(len(g.conns), tick, ticks)
		for _, c := range g.conns[from:to] {
			if err := c.send(pingreq); err != nil {
				g.drop(c)
			}
		}
	}
}

// Close disconnects every lock (DISCONNECT, then close) and stops the
// reader and pinger.
func (g *Gen) Close() {
	g.closeOnce.Do(func() {
		close(g.stopPing)
		<-g.pingDone
		_ = g.p.f.Close() // wakes the reader, which then ends
		<-g.readerDone
		for _, c := range g.conns {
			_ = c.send(disconnect)
			_ = syscall.Close(c.fd)
		}
	})
}

// Run sends t's taps and waits for their replies. The report is the
// simulators/locks one, so that callers read both generators alike
// (Results keys are "result/reason"; door events and offline periods are
// always zero). Runs must not overlap.
func (g *Gen) Run(ctx context.Context, t Traffic) (locks.TrafficReport, error) {
	switch {
	case t.Rate <= 0 || math.IsInf(t.Rate, 0) || math.IsNaN(t.Rate):
		return locks.TrafficReport{}, errors.New("tapgen: rate must be positive")
	case t.Duration <= 0:
		return locks.TrafficReport{}, errors.New("tapgen: duration must be positive")
	case t.Rate*t.Duration.Seconds() > 1e8:
		return locks.TrafficReport{}, errors.New("tapgen: more than 100 million taps in one run")
	}
	if t.Drain <= 0 {
		t.Drain = locks.DefaultDrain
	}
	pick, err := locks.NewPicker(t.Credentials)
	if err != nil {
		return locks.TrafficReport{}, err
	}
	seed := t.Seed
	if seed == 0 {
		seed = rand.Uint64()
	}
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	total := int(math.Ceil(t.Rate*t.Duration.Seconds())) + 1
	r := &run{start: time.Now(), at: make([]atomic.Int64, total), results: map[[2]string]uint64{}}
	if !g.cur.CompareAndSwap(nil, r) {
		return locks.TrafficReport{}, errors.New("tapgen: a run is already going")
	}
	defer g.cur.Store(nil)
	g.log.Info("tapgen run starting", "locks", len(g.conns), "rate", t.Rate, "duration_ms", t.Duration.Milliseconds())

	creds := map[string]uint64{}
	var sent, sendErrs uint64
	interval := float64(time.Second) / t.Rate
	sleeper := locks.NewSleeper()
	defer sleeper.Close()
	var id, payload, pkt []byte
	end := r.start.Add(t.Duration)
	for i := 0; i < total; i++ {
		off := time.Duration(float64(i) * interval)
		at := r.start.Add(off)
		if !at.Before(end) || !sleeper.Until(ctx, at) {
			break
		}
		c := g.conns[i%len(g.conns)]
		ci, value := pick.Pick(rng)
		creds[pick.Label(ci)]++
		id = appendTapID(id[:0], uint64(i))
		payload = wire.AppendRequest(payload[:0], &wire.Request{ID: string(id), Type: pick.Credential(ci).Type,
			Credential: value, At: time.Now().UnixMilli()})
		pkt = appendPublish(pkt[:0], c.req, payload)
		r.at[i].Store(int64(off) + 1)
		if err := c.send(pkt); err != nil {
			g.drop(c)
			r.at[i].Store(0)
			sendErrs++
			continue
		}
		sent++
	}
	elapsed := time.Since(r.start)
	drainCtx, cancel := context.WithTimeout(ctx, t.Drain)
	for r.replied.Load() < sent && drainCtx.Err() == nil {
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	// Taps still unanswered are timeouts.
	g.cur.Store(nil)
	r.mu.Lock()
	r.closed = true
	for i := range r.at {
		if r.at[i].Swap(0) != 0 {
			r.rec.RecordTimeout()
		}
	}
	for range sendErrs {
		r.rec.RecordError()
	}
	results := make(map[string]uint64, len(r.results))
	for k, v := range r.results {
		results[k[0]+"/"+k[1]] = v
	}
	errRep := r.errRep
	r.mu.Unlock()
	rep := locks.TrafficReport{OpenLoop: true, TargetRate: t.Rate, Scheduled: sent + sendErrs, Sent: sent + sendErrs,
		ErrorReplies: errRep, Latency: r.rec.Summary(elapsed), Results: results, Credentials: creds, Elapsed: elapsed}
	g.log.Info("tapgen run done", "sent", sent, "replies", rep.Latency.Count, "timeouts", rep.Latency.Timeouts, "send_errors", sendErrs)
	return rep, ctx.Err()
}
