package pull_test

import (
	"context"
	"testing"
	"time"

	"github.com/lockhub/lockhub/internal/events"
	"github.com/lockhub/lockhub/policy"
	"github.com/lockhub/lockhub/sync/pull"
)

func TestCheckinsAtLeastOnceAcrossRestart(t *testing.T) {
	e := newEnv(t, envOpts{checkins: true})
	cw := e.coworker("Ana", cardAna, "")
	member := pull.MemberID(domainID, int64(cw))
	appendDecision := func(lock string, allowed bool, at time.Time, m string) {
		t.Helper()
		ev := &events.Event{Type: events.TypeDecision, Time: at, Lock: lock, Domain: domainID, Member: m,
			Allowed: allowed, Credential: policy.CredCard}
		if allowed {
			ev.Reason = policy.ReasonAllowed
		} else {
			ev.Reason = policy.ReasonNoGrant
		}
		if _, err := e.events.Append(context.Background(), ev); err != nil {
			t.Fatal(err)
		}
	}
	now := e.clk.Now()
	appendDecision(lockFront, true, now, member)                  // check-in door, allowed: posts
	appendDecision(lockRoom, true, now, member)                   // not a check-in door
	appendDecision(lockFront, false, now, member)                 // denied
	appendDecision(lockFront, true, now, "staff-1")               // not a Nexudus member
	appendDecision(lockFront, true, now.Add(time.Minute), member) // within the gap: coalesced
	if err := e.events.Ack(5); err != nil {                       // the uploader acked them: the queue must not care
		t.Fatal(err)
	}
	run := func(s *pull.Syncer, want int, what string) {
		t.Helper()
		n, err := s.RunCheckins(context.Background())
		if err != nil || n != want {
			t.Errorf("%s: RunCheckins = %d, %v; want %d", what, n, err, want)
		}
	}
	run(e.syncer, 1, "first round")
	run(e.syncer, 0, "second round")
	if got := e.sim.Requests("/api/spaces/checkins"); got != 1 {
		t.Errorf("check-in requests = %d, want 1", got)
	}
	// A restarted syncer on the same store starts from the stored position.
	again, err := pull.New(pull.Config{Domains: []pull.Domain{{ID: domainID, Business: e.bizUUID, Zone: e.zone}}},
		pull.Deps{Client: e.client, Store: storeAdapter{e.store}, Digest: e.master.Digest, Now: e.clk.Now,
			Unlocks: unlockAdapter{e.events}})
	if err != nil {
		t.Fatal(err)
	}
	run(again, 0, "after restart")
	appendDecision(lockFront, true, now.Add(2*time.Hour), member)
	run(again, 1, "a later visit")
	if got := e.sim.Requests("/api/spaces/checkins"); got != 2 {
		t.Errorf("check-in requests = %d, want 2", got)
	}
	if st := again.Status(); st.CheckinSeq != 6 || st.CheckinErr != "" {
		t.Errorf("status check-in seq %d err %q, want 6 and none", st.CheckinSeq, st.CheckinErr)
	}
}
