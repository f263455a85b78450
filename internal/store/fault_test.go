package store

import (
	"errors"
	"fmt"
	"testing"

	"github.com/lockhub/lockhub/policy"
)

var errCrash = errors.New("simulated crash")

// bigBatch changes a lot: thousands of new members and grants, a deleted
// member, a cursor and a lock state, so that its journal has several chunks.
func bigBatch(tb testing.TB, n int) *Batch {
	tb.Helper()
	b := NewBatch()
	for i := range n {
		id := fmt.Sprintf("m-%05d", i)
		b.PutMember(policy.Member{ID: id, Domain: "hq", Name: "Member " + id, Status: policy.StatusActive, Origin: policy.OriginNexudusREST},
			[]policy.Credential{digest(tb, policy.CredCard, fmt.Sprintf("%08X", 0x10000000+i))})
		for j := range 3 {
			b.PutGrant(policy.Grant{GrantKey: gk(policy.OriginNexudusREST, policy.KindBooking, fmt.Sprintf("bk-%05d-%d", i, j)),
				Member: id, Access: "all", From: t0, Until: t0.AddDate(0, 0, j+1)})
		}
	}
	b.DeleteMember("bob")
	b.SetCursor("nexudus/bookings", "cursor-after-big-batch")
	b.SetLockState("front", policy.LockState{Lockdown: true})
	return b
}

func TestApplyFaultsLeaveNoPartialState(t *testing.T) {
	const n = 3000
	// The expected states: before and after the batch, from stores that
	// never failed.
	ref, _ := openTemp(t)
	apply(t, ref, fixtureBatch(t))
	before := dump(ref)
	apply(t, ref, bigBatch(t, n))
	after := dump(ref)
	if before == after {
		t.Fatal("batch changes nothing")
	}

	tests := []struct {
		point     string
		nth       int // fail at the nth time the point is reached
		committed bool
		direct    bool
	}{
		{"direct", 1, false, true},
		{"journal", 1, false, false},
		{"journal", 2, false, false},
		{"marker", 1, false, false},
		{"committed", 1, true, false},
		{"applying", 1, true, false},
		{"applying", 3, true, false},
		{"cleanup", 1, true, false},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s#%d", tt.point, tt.nth), func(t *testing.T) {
			s, dir := openTemp(t)
			apply(t, s, fixtureBatch(t))
			s.finishStep = 2000
			if tt.direct {
				s.directLimit = 1 << 30
			} else {
				s.directLimit = -1
			}
			seen := map[string]int{}
			s.fault = func(point string) error {
				seen[point]++
				if point == tt.point && seen[point] == tt.nth {
					return errCrash
				}
				return nil
			}
			err := s.Apply(t.Context(), bigBatch(t, n))
			if !errors.Is(err, errCrash) {
				t.Fatalf("Apply = %v, want the simulated crash (points reached: %v)", err, seen)
			}
			if !tt.direct && seen["journal"] < 2 && tt.point != "journal" {
				t.Errorf("journal has %d chunks, want several", seen["journal"])
			}
			s = reopen(t, s, dir)
			want, state := before, "before"
			if tt.committed {
				want, state = after, "after"
			}
			if got := dump(s); got != want {
				t.Errorf("after reopen the store is not in the state %s the batch", state)
			}
			if keys, err := journalKeys(s.db); err != nil || len(keys) != 0 {
				t.Errorf("journal chunks left after reopen: %d (%v)", len(keys), err)
			}
			// The store still works: apply the batch (again) and compare.
			apply(t, s, bigBatch(t, n))
			if got := dump(s); got != after {
				t.Errorf("after re-applying the batch the store differs from the reference")
			}
		})
	}
}

// TestApplyJournalChunks checks that a journal batch spans several chunks
// and leaves no journal behind.
func TestApplyJournalChunks(t *testing.T) {
	s, dir := openTemp(t)
	apply(t, s, fixtureBatch(t))
	s.directLimit = 0
	chunks := 0
	s.fault = func(point string) error {
		if point == "journal" {
			chunks++
		}
		return nil
	}
	apply(t, s, bigBatch(t, 3000))
	if chunks < 3 {
		t.Errorf("journal had %d chunks, want at least 3", chunks)
	}
	if keys, err := journalKeys(s.db); err != nil || len(keys) != 0 {
		t.Errorf("journal chunks left: %d (%v)", len(keys), err)
	}
	mem := dump(s)
	s = reopen(t, s, dir)
	if dump(s) != mem {
		t.Error("reopen differs")
	}
}
