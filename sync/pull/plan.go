package pull

import (
	"slices"
	"time"

	"github.com/lockhub/lockhub/policy"
)

// memberGroup names one (member, access group) pair.
type memberGroup struct{ member, group string }

// plan is what one REST pass wants to write, before it is compared with the
// store.
type plan struct {
	members []MemberPut
	derived []policy.Grant
	// inScope reports whether a stored REST grant is covered by this pass:
	// if the pass did not derive it, it is deleted.
	inScope func(g *policy.Grant) bool
	// affected lists the members whose stored grants are compared; nil
	// means every Nexudus member and every member of a derived grant.
	affected []string
	// evidence: (member, group) pairs whose basis REST saw removed.
	evidence map[memberGroup]bool
	// revoked: members inactive or archived; their webhook grants go.
	revoked map[string]bool
}

// diffMember compares one member's stored grants with the plan and returns
// what to delete and put. now is the pass time.
func diffMember(stored, derived []policy.Grant, p *plan, now, gcBefore time.Time) (dels []policy.GrantKey, puts []policy.Grant) {
	want := make(map[policy.GrantKey]*policy.Grant, len(derived))
	for i := range derived {
		want[derived[i].GrantKey] = &derived[i]
	}
	// REST grants as they will be after this change, for the webhook rules.
	after := make([]policy.Grant, 0, len(stored)+len(derived))
	gone := map[string]bool{} // groups of pass and contract grants this pass removes: positive evidence
	for i := range stored {
		g := &stored[i]
		if g.Origin != policy.OriginNexudusREST {
			continue
		}
		if w, ok := want[g.GrantKey]; ok {
			if !sameGrant(g, w) {
				puts = append(puts, *w)
			}
			delete(want, g.GrantKey)
			continue
		}
		if p.inScope(g) {
			dels = append(dels, g.GrantKey)
			if g.Kind == policy.KindPass || g.Kind == policy.KindContract {
				gone[g.Access] = true
			}
			continue
		}
		after = append(after, *g)
	}
	for i := range derived {
		if _, ok := want[derived[i].GrantKey]; ok {
			puts = append(puts, derived[i])
		}
	}
	after = append(after, derived...)
	for i := range stored {
		w := &stored[i]
		if w.Origin != policy.OriginWebhook {
			continue
		}
		switch {
		case p.revoked[w.Member]:
			dels = append(dels, w.GrantKey)
		case !w.Until.IsZero() && w.Until.Before(gcBefore):
			dels = append(dels, w.GrantKey) // long expired: housekeeping
		case (p.evidence[memberGroup{w.Member, w.Access}] || gone[w.Access]) && !hasBasis(after, w.Access, now):
			dels = append(dels, w.GrantKey)
		default:
			if until, cut := cutBack(w, after, now); cut {
				c := *w
				c.Until = until
				puts = append(puts, c)
			}
		}
	}
	return dels, puts
}

func sameGrant(a, b *policy.Grant) bool {
	return a.GrantKey == b.GrantKey && a.Member == b.Member && a.Access == b.Access &&
		a.From.Equal(b.From) && a.Until.Equal(b.Until)
}

// hasBasis reports whether some REST grant for group is valid now or later.
func hasBasis(rest []policy.Grant, group string, now time.Time) bool {
	for i := range rest {
		if rest[i].Access == group && (rest[i].Until.IsZero() || rest[i].Until.After(now)) {
			return true
		}
	}
	return false
}

// cutBack applies §7's booking-end rule to one webhook grant: when REST
// knows the (member, group) only from bookings and one of them covers now,
// the webhook grant ends no later than that booking's grant.
func cutBack(w *policy.Grant, rest []policy.Grant, now time.Time) (time.Time, bool) {
	var cover *policy.Grant
	for i := range rest {
		g := &rest[i]
		if g.Access != w.Access {
			continue
		}
		if g.Kind != policy.KindBooking {
			return time.Time{}, false // a pass or contract also grants it
		}
		if g.Valid(now) && (cover == nil || g.Until.After(cover.Until)) {
			cover = g
		}
	}
	if cover == nil || (!w.Until.IsZero() && !w.Until.After(cover.Until)) {
		return time.Time{}, false
	}
	return cover.Until, true
}

func sameMember(a MemberPut, m policy.Member, creds []policy.Credential) bool {
	if a.Member != m || len(a.Credentials) != len(creds) {
		return false
	}
	for _, c := range a.Credentials {
		if !slices.Contains(creds, c) {
			return false
		}
	}
	return true
}
