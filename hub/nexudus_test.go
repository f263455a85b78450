package hub_test

import (
	"fmt"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/lockhub/lockhub/policy"
	sim "github.com/lockhub/lockhub/simulators/nexudus"
)

// TestHubSyncsFromNexudus wires a site whose domain follows a Nexudus
// business to the simulator: an incremental pass through the hub's own
// syncer turns a booking into a grant the decision path honours, and the
// data age starts counting.
func TestHubSyncsFromNexudus(t *testing.T) {
	now := time.Now().UTC().Truncate(time.Minute)
	fake := sim.New(sim.Config{Now: func() time.Time { return now }, ThrottleOff: true})
	srv := httptest.NewServer(fake.Handler())
	t.Cleanup(srv.Close)
	biz, err := fake.AddBusiness("Harbour Works", "Europe/Stockholm")
	if err != nil {
		t.Fatal(err)
	}
	bizUUID, _ := fake.BusinessUniqueID(biz)
	fake.AddAccessGroup("room-aurora", "Room Aurora")
	res, err := fake.AddResource(sim.ResourceSpec{BusinessID: biz, Name: "Aurora", TypeName: "Meeting room", Groups: []string{"room-aurora"}})
	if err != nil {
		t.Fatal(err)
	}
	cw, err := fake.AddCoworker(sim.CoworkerSpec{FullName: "Ana Ruiz", Email: "ana@example.org", BusinessID: biz, AccessCardID: "04A1B2C3"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fake.AddBooking(sim.BookingSpec{ResourceID: res, CoworkerID: cw, From: now.Add(time.Hour), To: now.Add(2 * time.Hour)}); err != nil {
		t.Fatal(err)
	}

	t.Setenv("TEST_NEXUDUS_PASSWORD", "secret")
	dir := t.TempDir()
	h := openHub(t, fmt.Sprintf(`site:
  id: hub-nexudus
  data_dir: %s
domains:
  - id: hq
    zone: Europe/Stockholm
    nexudus_business: %q
locks:
  - id: aurora
    domain: hq
keys:
  - id: room-aurora
    domain: hq
    locks: [aurora]
mqtt:
  listeners:
    tcp:
      address: 127.0.0.1:0
nexudus:
  base_url: %s/api/
  username: admin@example.org
  password_env: TEST_NEXUDUS_PASSWORD
  requests_per_minute: 120
  burst: 120
`, dir, bizUUID, srv.URL))
	if h.Sync() == nil {
		t.Fatal("a domain with nexudus_business did not start the syncer")
	}
	if err := h.Sync().RunIncremental(t.Context()); err != nil {
		t.Fatalf("RunIncremental: %v", err)
	}
	card, err := h.Keys().Digest(policy.CredCard, "04:a1:b2:c3")
	if err != nil {
		t.Fatal(err)
	}
	req := policy.Request{Lock: "aurora", Credential: card}
	for _, tc := range []struct {
		at   time.Time
		want policy.Reason
	}{
		{now.Add(44 * time.Minute), policy.ReasonNotYetValid}, // before start - 15 min
		{now.Add(46 * time.Minute), policy.ReasonAllowed},
		{now.Add(2 * time.Hour), policy.ReasonExpired},
	} {
		if d := h.Store().Decide(tc.at, req); d.Reason != tc.want {
			t.Errorf("Decide(%v) = %v, want %v", tc.at.Sub(now), d.Reason, tc.want)
		}
	}
	if last := h.Store().LastSync("hq"); last.IsZero() {
		t.Error("a successful pass left no last-sync time for the domain")
	}
}
