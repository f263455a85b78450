package hub

import (
	"context"
	"fmt"
	"time"

	"github.com/lockhub/lockhub/devices"
	"github.com/lockhub/lockhub/internal/events"
	"github.com/lockhub/lockhub/internal/store"
	"github.com/lockhub/lockhub/policy"
)

// lockHandlers forwards the broker's callbacks to the lock service, which is
// made after the broker (it sends its commands through it). The broker
// serves no client before Run, by which time the service exists.
type lockHandlers struct{ h *Hub }

func (f lockHandlers) HandleRequest(lock string, p []byte, correlated bool, reply func([]byte)) {
	f.h.locks.HandleRequest(lock, p, correlated, reply)
}

func (f lockHandlers) HandleEvent(lock string, p []byte, ack func([]byte)) {
	f.h.locks.HandleEvent(lock, p, ack)
}

func (f lockHandlers) HandleState(lock string, p []byte) { f.h.locks.HandleState(lock, p) }

// eventSink stores the lock service's records in the event log, adding the
// domain and the member's personal fields (sealed by the log) from the store.
type eventSink struct{ h *Hub }

func (s eventSink) RecordDecision(ctx context.Context, r devices.DecisionRecord) error {
	ev := events.Event{
		Time:       r.At,
		Type:       events.TypeDecision,
		Lock:       r.Lock,
		RequestID:  r.RequestID,
		Member:     r.Decision.Member,
		Allowed:    r.Decision.Allowed(),
		Reason:     r.Decision.Reason,
		Credential: r.Credential,
		Grant:      r.Decision.Grant,
		Access:     r.Decision.Access,
	}
	ev.Personal.CredentialRef = r.CredentialRef
	s.h.store.View(func(v policy.View) {
		if l := v.Lock(r.Lock); l != nil {
			ev.Domain = l.Domain
		}
		if m := v.Member(r.Decision.Member); m != nil {
			ev.Personal.Name, ev.Personal.Email = m.Name, m.Email
		}
	})
	_, err := s.h.events.Append(ctx, &ev)
	return err
}

func (s eventSink) RecordDoor(ctx context.Context, r devices.DoorRecord) (bool, error) {
	ev := events.Event{
		Type:     events.TypeDoor,
		Time:     r.At,
		Lock:     r.Lock,
		Domain:   s.h.lockDomain(r.Lock),
		Boot:     r.Event.Boot,
		LockSeq:  r.Event.Seq,
		DoorKind: r.Event.Kind.String(),
	}
	if r.Event.At > 0 {
		ev.Time = time.UnixMilli(r.Event.At)
	}
	if r.Event.HasBattery {
		ev.HasBattery, ev.Battery = true, r.Event.Battery
	}
	_, dup, err := s.h.events.AppendDoor(ctx, &ev)
	return dup, err
}

func (s eventSink) RecordAdmin(ctx context.Context, r devices.AdminRecord) error {
	ev := events.Event{
		Type:   events.TypeAdmin,
		Time:   r.At,
		Lock:   r.Lock,
		Domain: s.h.lockDomain(r.Lock),
		Action: r.Action,
		Actor:  r.Actor,
	}
	_, err := s.h.events.Append(ctx, &ev)
	return err
}

func (h *Hub) lockDomain(lock string) string {
	var d string
	h.store.View(func(v policy.View) {
		if l := v.Lock(lock); l != nil {
			d = l.Domain
		}
	})
	return d
}

// lockStates keeps lock runtime state in the store, one batch per change.
type lockStates struct{ s *store.Store }

func (l lockStates) LockState(lock string) policy.LockState { return l.s.LockState(lock) }

func (l lockStates) SetLockState(ctx context.Context, lock string, st policy.LockState) error {
	b := store.NewBatch()
	b.SetLockState(lock, st)
	if err := l.s.Apply(ctx, b); err != nil {
		return fmt.Errorf("store lock state: %w", err)
	}
	return nil
}
