package hub_test

import (
	"fmt"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/lockhub/lockhub/hub"
	"github.com/lockhub/lockhub/policy"
	sim "github.com/lockhub/lockhub/simulators/nexudus"
	"github.com/lockhub/lockhub/sync/pull"
)

// TestDepartedMembersErasedAfterRetention: a coworker deleted in Nexudus is
// archived by the next full reconcile (denied at once), and erased from the
// store by the retention job once the domain's retention has passed since.
func TestDepartedMembersErasedAfterRetention(t *testing.T) {
	clk := &testClock{} // real time plus an offset the test advances
	fake := sim.New(sim.Config{Now: clk.Now, ThrottleOff: true})
	srv := httptest.NewServer(fake.Handler())
	t.Cleanup(srv.Close)
	biz, _ := fake.AddBusiness("Harbour Works", "Europe/Stockholm")
	bizUUID, _ := fake.BusinessUniqueID(biz)
	fake.AddAccessGroup("lobby", "Lobby")
	stays, _ := fake.AddCoworker(sim.CoworkerSpec{FullName: "Stays", BusinessID: biz, AccessCardID: "0A0A"})
	leaves, _ := fake.AddCoworker(sim.CoworkerSpec{FullName: "Leaves", BusinessID: biz, AccessCardID: "0B0B"})
	t.Setenv("TEST_NEXUDUS_PASSWORD", "secret")
	cfg := mustLoad(t, fmt.Sprintf(`site:
  id: hub-departures
  data_dir: %s
domains:
  - id: hq
    zone: Europe/Stockholm
    retention: 2d
    nexudus_business: %q
locks:
  - id: front
    domain: hq
keys:
  - id: lobby
    domain: hq
    locks: [front]
mqtt:
  listeners:
    tcp:
      address: 127.0.0.1:0
http:
  address: 127.0.0.1:0
nexudus:
  base_url: %s/api/
  username: admin@example.org
  password_env: TEST_NEXUDUS_PASSWORD
  requests_per_minute: 120
  burst: 120
`, t.TempDir(), bizUUID, srv.URL))
	h, err := hub.New(cfg, hub.Deps{Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close() })
	reconcile := func() {
		t.Helper()
		if err := h.Sync().RunReconcile(t.Context(), 7*24*time.Hour); err != nil {
			t.Fatalf("RunReconcile: %v", err)
		}
	}
	reconcile()
	leaverID, stayerID := pull.MemberID("hq", int64(leaves)), pull.MemberID("hq", int64(stays))
	for _, id := range []string{leaverID, stayerID} {
		if m, _, ok := h.Store().Member(id); !ok || m.Status != policy.StatusActive {
			t.Fatalf("member %s after the first pass: %+v, %v", id, m, ok)
		}
	}

	if err := fake.DeleteCoworker(leaves); err != nil {
		t.Fatal(err)
	}
	clk.Advance(time.Hour)
	reconcile()
	if m, _, ok := h.Store().Member(leaverID); !ok || m.Status != policy.StatusArchived {
		t.Fatalf("a member gone from Nexudus: %+v (present %v), want archived", m, ok)
	}
	if d := h.Store().Decide(clk.Now(), policy.Request{Lock: "front", Member: leaverID}); d.Reason != policy.ReasonMemberInactive {
		t.Errorf("Decide for a departed member = %v, want member_inactive", d.Reason)
	}

	clk.Advance(24 * time.Hour) // within the 2-day retention: kept
	if err := h.RunRetention(t.Context()); err != nil {
		t.Fatal(err)
	}
	if _, _, ok := h.Store().Member(leaverID); !ok {
		t.Fatal("a departed member was erased before the retention passed")
	}
	clk.Advance(25 * time.Hour) // past it
	if err := h.RunRetention(t.Context()); err != nil {
		t.Fatal(err)
	}
	if _, _, ok := h.Store().Member(leaverID); ok {
		t.Error("a departed member outlived the domain's retention")
	}
	if _, _, ok := h.Store().Member(stayerID); !ok {
		t.Error("the retention job erased a member Nexudus still lists")
	}
	if n := len(h.Store().Cursors(pull.DepartedPrefix)); n != 0 {
		t.Errorf("%d departure records left after erasure", n)
	}
}
