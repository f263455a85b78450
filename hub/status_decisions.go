package hub

import (
	"context"
	"sync"
	"time"

	"github.com/lockhub/lockhub/devices"
	"github.com/lockhub/lockhub/internal/events"
	"github.com/lockhub/lockhub/policy"
)

// chartMinutes is the span of the decisions chart; chartBackfillEvents
// bounds the events read at start to refill it.
const (
	chartMinutes        = 60
	chartBackfillEvents = 20_000
)

// decisionRing counts decisions per minute over the last hour, granted and
// denied, for the status page's chart. It costs one mutex per decision.
type decisionRing struct {
	mu      sync.Mutex
	buckets [chartMinutes]minuteBucket
}

type minuteBucket struct {
	minute          int64 // unix minute the counts belong to
	granted, denied int
}

// MinuteCount is the number of decisions in one minute.
type MinuteCount struct {
	Minute  time.Time `json:"minute"`
	Granted int       `json:"granted"`
	Denied  int       `json:"denied"`
}

func (r *decisionRing) add(at time.Time, granted bool) {
	m := at.Unix() / 60
	b := &r.buckets[m%chartMinutes]
	r.mu.Lock()
	if b.minute != m {
		*b = minuteBucket{minute: m}
	}
	if granted {
		b.granted++
	} else {
		b.denied++
	}
	r.mu.Unlock()
}

// series returns the chartMinutes minutes ending with now's, oldest first.
func (r *decisionRing) series(now time.Time) []MinuteCount {
	end := now.Unix() / 60
	out := make([]MinuteCount, chartMinutes)
	r.mu.Lock()
	defer r.mu.Unlock()
	for i := range out {
		m := end - chartMinutes + 1 + int64(i)
		out[i].Minute = time.Unix(m*60, 0)
		if b := r.buckets[m%chartMinutes]; b.minute == m {
			out[i].Granted, out[i].Denied = b.granted, b.denied
		}
	}
	return out
}

// backfill counts the decisions of the last hour from the event log's
// audit copy, so that a restart does not blank the chart. It reads at most
// max events.
func (r *decisionRing) backfill(log *events.Log, now time.Time, max int) error {
	evs, err := log.Recent(max)
	if err != nil {
		return err
	}
	from := now.Add(-chartMinutes * time.Minute)
	for i := range evs {
		ev := &evs[i]
		if ev.Type == events.TypeDecision && ev.Time.After(from) && !ev.Time.After(now) {
			r.add(ev.Time, ev.Allowed)
		}
	}
	return nil
}

// recordingSink is the lock service's event sink: the event log, plus the
// chart's per-minute counts.
type recordingSink struct {
	eventSink
	ring *decisionRing
}

func (s recordingSink) RecordDecision(ctx context.Context, r devices.DecisionRecord) error {
	s.ring.add(r.At, r.Decision.Allowed())
	return s.eventSink.RecordDecision(ctx, r)
}

// DecisionView is one recent decision on the page and in the API. It names
// the member and the credential type, never the credential.
type DecisionView struct {
	Seq        uint64    `json:"seq"`
	Time       time.Time `json:"time"`
	Lock       string    `json:"lock"`
	LockName   string    `json:"lock_name,omitempty"`
	Member     string    `json:"member,omitempty"`
	MemberName string    `json:"member_name,omitempty"`
	Credential string    `json:"credential,omitempty"` // type: card, fob, pin, phone
	Allowed    bool      `json:"allowed"`
	Reason     string    `json:"reason"`
	Access     string    `json:"access,omitempty"`
}

// maxScan bounds the events read to find the newest decisions (door and
// admin events are interleaved with them).
const maxScan = 2000

// recentDecisions returns up to n of the newest decisions, newest first.
func (h *Hub) recentDecisions(n int) ([]DecisionView, error) {
	evs, err := h.events.Recent(min(max(4*n, 100), maxScan))
	if err != nil {
		return nil, err
	}
	out := []DecisionView{}
	h.store.View(func(v policy.View) {
		for i := range evs {
			ev := &evs[i]
			if ev.Type != events.TypeDecision {
				continue
			}
			if len(out) == n {
				break
			}
			d := DecisionView{Seq: ev.Seq, Time: ev.Time, Lock: ev.Lock, Member: ev.Member,
				MemberName: ev.Personal.Name, Allowed: ev.Allowed, Reason: ev.Reason.String(), Access: ev.Access}
			if ev.Credential != 0 {
				d.Credential = ev.Credential.String()
			}
			if l := v.Lock(ev.Lock); l != nil {
				d.LockName = l.Name
			}
			if d.MemberName == "" && ev.Member != "" && !ev.Scrubbed {
				if m := v.Member(ev.Member); m != nil {
					d.MemberName = m.Name
				}
			}
			out = append(out, d)
		}
	})
	return out, nil
}
