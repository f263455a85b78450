package locks

import (
	"context"
	"strconv"
	"sync"
	"time"

	"github.com/lockhub/lockhub/devices/wire"
)

// Response is the outcome of a tap: the hub's access response, or a local
// decision of the lock (Local set, nothing sent) while it is in lockdown
// ("denied", "lockdown"), in emergency release ("granted", "release") or
// inside an office-hours window ("granted", "office_hours").
type Response struct {
	wire.AccessResponse
	Local bool
}

// Granted reports whether the door opens.
func (r Response) Granted() bool { return r.Result == wire.ResultGranted }

// recentCap bounds the memory of finished correlation ids, used to tell a
// duplicate or late reply from one that matches nothing.
const recentCap = 1024

const (
	recentAnswered uint8 = iota + 1
	recentExpired
)

// tapTable correlates replies with outstanding requests: the first reply
// per correlation id wins, later ones are counted and ignored.
type tapTable struct {
	mu      sync.Mutex
	next    uint64
	pending map[string]chan wire.AccessResponse
	recent  map[string]uint8
	ring    []string
	pos     int
}

func (t *tapTable) init() {
	t.pending = make(map[string]chan wire.AccessResponse)
	t.recent = make(map[string]uint8, recentCap)
	t.ring = make([]string, recentCap)
}

// add registers an outstanding request.
func (t *tapTable) add(id string) chan wire.AccessResponse {
	ch := make(chan wire.AccessResponse, 1)
	t.mu.Lock()
	t.pending[id] = ch
	t.mu.Unlock()
	return ch
}

// forget ends an outstanding request (answered or given up).
func (t *tapTable) forget(id string, how uint8) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.pending, id)
	t.rememberLocked(id, how)
}

func (t *tapTable) rememberLocked(id string, how uint8) {
	if old := t.ring[t.pos]; old != "" {
		delete(t.recent, old)
	}
	t.ring[t.pos] = id
	t.pos = (t.pos + 1) % len(t.ring)
	t.recent[id] = how
}

// take removes the request a reply answers and returns its channel; for a
// reply to no outstanding request it returns nil and what the id was:
// recentAnswered (a duplicate), recentExpired (late) or 0 (matches nothing).
func (t *tapTable) take(id string) (chan wire.AccessResponse, uint8) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if ch, found := t.pending[id]; found {
		delete(t.pending, id)
		t.rememberLocked(id, recentAnswered)
		return ch, 0
	}
	return nil, t.recent[id]
}

// nextID returns a request id unique within the lock's life: a prefix
// letter, the boot epoch and a counter.
func (l *Lock) nextID(prefix byte) string {
	l.taps.mu.Lock()
	l.taps.next++
	n := l.taps.next
	l.taps.mu.Unlock()
	b := make([]byte, 0, 32)
	b = append(b, prefix, '-')
	b = strconv.AppendUint(b, uint64(l.cfg.Boot), 36)
	b = append(b, '-')
	b = strconv.AppendUint(b, n, 36)
	return string(b)
}

// requestPublication builds the req publish: over MQTT 5 the id travels as
// CorrelationData with the lock's res topic as ResponseTopic (and is left out
// of the payload); over 3.1.1 it is the payload's id.
func (l *Lock) requestPublication(id string, r *wire.Request) publication {
	p := publication{topic: l.topics.req, qos: 0}
	if l.cfg.Protocol == MQTT5 {
		p.responseTopic = l.topics.res
		p.correlation = []byte(id)
	} else {
		r.ID = id
	}
	p.payload = wire.AppendRequest(make([]byte, 0, 128), r)
	return p
}

// Tap presents a credential: it publishes an access request and waits for
// the correlated reply, RequestTimeout per attempt (one resend with the same
// id when RequestRetry is set). It returns the response and the latency from
// the call to the reply. Errors: ErrOffline (nothing sent), ErrTimeout, the
// ctx's error, or a publish failure.
func (l *Lock) Tap(ctx context.Context, typ wire.RequestType, credential string) (Response, time.Duration, error) {
	return l.tapFrom(ctx, time.Now(), typ, credential)
}

// tapFrom is Tap with latency measured from start (an open-loop run passes
// the scheduled send time, so a late send counts against the latency).
func (l *Lock) tapFrom(ctx context.Context, start time.Time, typ wire.RequestType, credential string) (Response, time.Duration, error) {
	if !typ.IsCredential() {
		return Response{}, 0, ErrNotCredential
	}
	if r, ok := l.localDecision(); ok {
		l.stats.localDecisions.Add(1)
		return r, time.Since(start), nil
	}
	tr := l.conn()
	if tr == nil {
		return Response{}, 0, ErrOffline
	}
	id := l.nextID('r')
	replies := l.taps.add(id)
	pub := l.requestPublication(id, &wire.Request{Type: typ, Credential: credential, At: l.Now().UnixMilli()})
	if err := tr.publish(pub); err != nil {
		l.taps.forget(id, recentExpired)
		return Response{}, 0, err
	}
	l.stats.requests.Add(1)
	for attempt := 0; ; attempt++ {
		t := time.NewTimer(l.cfg.RequestTimeout)
		select {
		case r := <-replies:
			t.Stop()
			lat := time.Since(start)
			l.afterResponse(&r)
			return Response{AccessResponse: r}, lat, nil
		case <-t.C:
			if attempt == 0 && l.cfg.RequestRetry {
				if tr := l.conn(); tr != nil && tr.publish(pub) == nil {
					l.stats.requestRetries.Add(1)
					continue
				}
			}
			l.taps.forget(id, recentExpired)
			l.stats.timeouts.Add(1)
			return Response{}, time.Since(start), ErrTimeout
		case <-ctx.Done():
			t.Stop()
			l.taps.forget(id, recentExpired)
			return Response{}, time.Since(start), ctx.Err()
		}
	}
}

// handleResponse correlates a reply from res: by CorrelationData when it
// carries some, else by the payload id.
func (l *Lock) handleResponse(payload, correlation []byte) {
	var r wire.AccessResponse
	if err := wire.DecodeResponse(payload, &r); err != nil {
		l.stats.badReplies.Add(1)
		l.log.Debug("lock reply refused", "error", err)
		return
	}
	id := r.ID
	if len(correlation) > 0 {
		id = string(correlation)
	}
	ch, how := l.taps.take(id)
	switch {
	case ch != nil:
		l.stats.replies.Add(1) // before the tap can return
		ch <- r                // cap 1, sole sender
	case how == recentAnswered:
		l.stats.duplicateReplies.Add(1)
	case how == recentExpired:
		l.stats.lateReplies.Add(1)
	default:
		l.stats.unmatchedReplies.Add(1)
	}
}

// afterResponse applies a reply: a grant unlocks the door for unlock_ms; a
// hub time far from the lock's clock asks for a signed time.
func (l *Lock) afterResponse(r *wire.AccessResponse) {
	if r.Result == wire.ResultGranted {
		l.door.unlock(l.Now().Add(time.Duration(r.UnlockMS) * time.Millisecond))
	}
	l.checkDrift(r.Time)
}
