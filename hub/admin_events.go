package hub

import (
	"context"
	"fmt"

	"github.com/lockhub/lockhub/internal/events"
)

// adminEvent is an audit record of an admin action that is not a lock
// action (those the lock service records itself).
type adminEvent struct {
	Action string
	Actor  string
	Lock   string
	Domain string
	Member string
	// CredentialRef names a revoked credential without revealing it (type
	// and digest prefix); stored sealed with the personal fields.
	CredentialRef string
}

// recordAdmin appends an admin event to the event log.
func (h *Hub) recordAdmin(ctx context.Context, a adminEvent) error {
	ev := events.Event{
		Type:   events.TypeAdmin,
		Time:   h.now(),
		Lock:   a.Lock,
		Domain: a.Domain,
		Member: a.Member,
		Action: a.Action,
		Actor:  a.Actor,
	}
	if ev.Domain == "" && a.Lock != "" {
		ev.Domain = h.lockDomain(a.Lock)
	}
	ev.Personal.CredentialRef = a.CredentialRef
	if _, err := h.events.Append(ctx, &ev); err != nil {
		return fmt.Errorf("record admin event %s: %w", a.Action, err)
	}
	return nil
}
