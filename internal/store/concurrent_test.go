package store

import (
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lockhub/lockhub/policy"
)

// TestDecideDuringApplySeesWholeBatches swaps a card and a set of grants
// between two members while readers decide. In state A member P holds card C
// and grants A-0..A-k for lock LA; in state B member Q holds C and grants
// B-0..B-k for lock LB. One Explain of C at LA must show either P allowed by
// exactly the A grants or Q with no grant and exactly the B grants. A reader
// seeing part of a batch would see C unknown (neither holds it), ambiguous
// (both do), or a mixed or partial candidate list.
func TestDecideDuringApplySeesWholeBatches(t *testing.T) {
	const k = 40
	filler := 3000
	if testing.Short() {
		filler = 500
	}
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) {
			s, _ := openTemp(t)
			card := digest(t, policy.CredCard, "C0FFEE")
			base := NewBatch()
			base.PutDomain(policy.Domain{ID: "hq", Zone: mustZone(t, "UTC"), Origin: policy.OriginConfig})
			base.PutLock(policy.Lock{ID: "LA", Domain: "hq", Origin: policy.OriginConfig})
			base.PutLock(policy.Lock{ID: "LB", Domain: "hq", Origin: policy.OriginConfig})
			base.PutAccess(policy.Access{ID: "accA", Domain: "hq", Locks: []string{"LA"}, Origin: policy.OriginConfig})
			base.PutAccess(policy.Access{ID: "accB", Domain: "hq", Locks: []string{"LB"}, Origin: policy.OriginConfig})
			apply(t, s, base)
			s.directLimit, s.swapMin = m.directLimit, m.swapMin

			toState := func(a bool, round int) *Batch {
				b := NewBatch()
				holder, other, set, old, acc := "P", "Q", "A", "B", "accA"
				if !a {
					holder, other, set, old, acc = "Q", "P", "B", "A", "accB"
				}
				b.PutMember(policy.Member{ID: holder, Domain: "hq", Status: policy.StatusActive, Origin: policy.OriginNexudusREST}, []policy.Credential{card})
				b.PutMember(policy.Member{ID: other, Domain: "hq", Status: policy.StatusActive, Origin: policy.OriginNexudusREST}, nil)
				for i := range k {
					b.DeleteGrant(gk(policy.OriginNexudusREST, policy.KindBooking, fmt.Sprintf("%s-%d", old, i)))
					b.PutGrant(policy.Grant{GrantKey: gk(policy.OriginNexudusREST, policy.KindBooking, fmt.Sprintf("%s-%d", set, i)),
						Member: holder, Access: acc, From: t0.Add(-time.Second), Until: t0.AddDate(0, 0, 1)})
				}
				for i := range filler { // unrelated churn that makes the batch big
					b.PutGrant(policy.Grant{GrantKey: gk(policy.OriginNexudusREST, policy.KindPass, fmt.Sprintf("f-%d", i)),
						Member: fmt.Sprintf("f-%d", i%500), Access: "accB", From: t0.Add(-time.Duration(round) * time.Second)})
				}
				return b
			}
			apply(t, s, toState(true, 0))

			var stop atomic.Bool
			var checks, seenA, seenB atomic.Int64
			var wg sync.WaitGroup
			errs := make(chan string, 8)
			for range 3 {
				wg.Go(func() {
					for !stop.Load() {
						ex := s.Explain(t0, policy.Request{Lock: "LA", Credential: card})
						d := s.Decide(t0, policy.Request{Lock: "LA", Credential: card})
						if msg := checkWhole(ex, k); msg != "" {
							select {
							case errs <- msg:
							default:
							}
							return
						}
						if d.Reason != policy.ReasonAllowed && d.Reason != policy.ReasonNoGrant {
							select {
							case errs <- "Decide: " + d.Reason.String():
							default:
							}
							return
						}
						if ex.Decision.Member == "P" {
							seenA.Add(1)
						} else {
							seenB.Add(1)
						}
						checks.Add(1)
					}
				})
			}
			for round := 1; round <= 8; round++ {
				apply(t, s, toState(round%2 == 0, round))
			}
			stop.Store(true)
			wg.Wait()
			close(errs)
			for msg := range errs {
				t.Error(msg)
			}
			if checks.Load() == 0 {
				t.Error("readers made no checks")
			}
			t.Logf("%d checks (%d in state A, %d in state B)", checks.Load(), seenA.Load(), seenB.Load())
		})
	}
}

func checkWhole(ex policy.Explanation, k int) string {
	var prefix string
	switch {
	case ex.Decision.Reason == policy.ReasonAllowed && ex.Decision.Member == "P":
		prefix = "A-"
	case ex.Decision.Reason == policy.ReasonNoGrant && ex.Decision.Member == "Q":
		prefix = "B-"
	default:
		return fmt.Sprintf("mixed state: decision %v for member %q", ex.Decision.Reason, ex.Decision.Member)
	}
	if len(ex.Candidates) != k {
		return fmt.Sprintf("mixed state: %d candidates, want %d", len(ex.Candidates), k)
	}
	for _, c := range ex.Candidates {
		if !strings.HasPrefix(c.Grant.Reference, prefix) {
			return fmt.Sprintf("mixed state: member %s sees grant %s", ex.Decision.Member, c.Grant.Reference)
		}
	}
	return ""
}
