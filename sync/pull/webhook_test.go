package pull_test

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/lockhub/lockhub/policy"
	sim "github.com/lockhub/lockhub/simulators/nexudus"
	"github.com/lockhub/lockhub/sync/pull"
)

func (e *env) enableWebhook() {
	e.sim.SetWebhook(sim.WebhookConfig{URL: e.hubURL + pull.PathWebhook, Bearer: webhookToken, RetryDelay: time.Millisecond})
}

func (e *env) deliver() {
	e.t.Helper()
	if err := e.sim.DeliverWebhooks(context.Background()); err != nil {
		e.t.Fatal(err)
	}
}

func post(t *testing.T, url, token, body string) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func TestWebhookAppliedThenRevoked(t *testing.T) {
	e := newEnv(t, envOpts{})
	e.enableWebhook()
	cw := e.coworker("Ana", cardAna, "")
	room := e.resource(grpRoom)
	start := e.clk.Now().Add(10 * time.Minute) // inside Nexudus' 15 min lead: the webhook grants at once
	bid, err := e.sim.AddBooking(sim.BookingSpec{ResourceID: room, CoworkerID: cw, From: start, To: start.Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	e.deliver()
	e.wantAllowed(lockRoom, cardAna, e.clk.Now(), true, "webhook grant, no REST pass yet")
	e.wantAllowed(lockRoom, cardAna, start.Add(time.Hour), false, "expires_on enforced locally")
	e.clk.Add(time.Minute)
	if _, err := e.sim.CancelBooking(bid, sim.ReasonNoLongerNeeded); err != nil {
		t.Fatal(err)
	}
	e.deliver()
	e.wantAllowed(lockRoom, cardAna, e.clk.Now(), false, "empty group list revokes")
	if st := e.sim.WebhookStats(); st.Delivered < 2 || st.Failures != 0 {
		t.Errorf("webhook stats = %+v, want ≥2 delivered, no failures", st)
	}
}

func TestWebhookDuplicatesAndReorder(t *testing.T) {
	e := newEnv(t, envOpts{})
	e.enableWebhook()
	cw := e.coworker("Ana", cardAna, "")
	room := e.resource(grpRoom)
	lobby := e.resource(grpLobby)
	e.sim.SetWebhookSwitches(sim.WebhookSwitches{Duplicate: true, Reorder: true})
	start := e.clk.Now().Add(5 * time.Minute)
	b1, _ := e.sim.AddBooking(sim.BookingSpec{ResourceID: room, CoworkerID: cw, From: start, To: start.Add(time.Hour)})
	e.clk.Add(time.Second)
	e.sim.AddBooking(sim.BookingSpec{ResourceID: lobby, CoworkerID: cw, From: start, To: start.Add(2 * time.Hour)})
	e.clk.Add(time.Second)
	e.sim.CancelBooking(b1, sim.ReasonNoLongerNeeded) // latest state: lobby only
	e.deliver()
	now := e.clk.Now()
	e.wantAllowed(lockFront, cardAna, now, true, "latest state: lobby")
	e.wantAllowed(lockRoom, cardAna, now, false, "older notifications delivered last do not win")
	// The ordering survives a restart: it is stored.
	if v, ok := e.store.Cursor("nexudus/webhook/" + strings.ToLower(e.bizUUID) + "/" + itoa(cw)); !ok || v == "" {
		t.Errorf("webhook time cursor not stored (got %q, %v)", v, ok)
	}
}

func TestWebhookRefusals(t *testing.T) {
	e := newEnv(t, envOpts{})
	e.enableWebhook()
	cw := e.coworker("Ana", cardAna, "")
	room := e.resource(grpRoom)
	e.sim.AddBooking(sim.BookingSpec{ResourceID: room, CoworkerID: cw, From: e.clk.Now(), To: e.clk.Now().Add(time.Hour)})
	e.deliver()
	before := e.store.Grants(pull.MemberID(domainID, int64(cw)))
	if len(before) == 0 {
		t.Fatal("no webhook grant to protect")
	}
	url := e.hubURL + pull.PathWebhook
	good := `{"time":"2030-01-01T00:00:00Z","business":{"uniqueId":"` + e.bizUUID + `"},"coworker":{"id":1,"uniqueId":"x"},"groups":[]}`
	tests := []struct {
		name, token, body string
		want              int
	}{
		{"no bearer", "", good, http.StatusUnauthorized},
		{"bad bearer", "hook-secreT", good, http.StatusUnauthorized},
		{"garbage", webhookToken, "{not json", http.StatusBadRequest},
		{"missing groups", webhookToken, `{"time":"2030-01-01T00:00:00Z","business":{"uniqueId":"b"},"coworker":{"uniqueId":"c"}}`, http.StatusBadRequest},
		{"oversize", webhookToken, `{"pad":"` + strings.Repeat("x", 1<<20) + `"}`, http.StatusRequestEntityTooLarge},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := post(t, url, tc.token, tc.body); got != tc.want {
				t.Errorf("POST = %d, want %d", got, tc.want)
			}
		})
	}
	after := e.store.Grants(pull.MemberID(domainID, int64(cw)))
	if len(after) != len(before) || after[0] != before[0] {
		t.Errorf("grants changed by refused webhooks: %v → %v", before, after)
	}
	if got := post(t, e.hubURL+pull.PathWebhook, webhookToken, good); got != http.StatusNoContent {
		t.Errorf("good webhook = %d, want 204", got)
	}
}

func TestWebhookCutBackToBookingEnd(t *testing.T) {
	e := newEnv(t, envOpts{})
	e.enableWebhook()
	cw := e.coworker("Ana", cardAna, "")
	room := e.resource(grpRoom)
	start := e.clk.Now().Add(5 * time.Minute)
	end := start.Add(time.Hour)
	e.sim.AddBooking(sim.BookingSpec{ResourceID: room, CoworkerID: cw, From: start, To: end})
	e.incremental()
	// A webhook with no expiry for the room: REST knows the group only from
	// the booking, so the webhook grant ends with it.
	body := `{"time":"` + e.clk.Now().Add(time.Second).UTC().Format(time.RFC3339) + `","business":{"uniqueId":"` + e.bizUUID +
		`"},"coworker":{"id":` + itoa(cw) + `,"uniqueId":"u"},"groups":["` + grpRoom + `"]}`
	if got := post(t, e.hubURL+pull.PathWebhook, webhookToken, body); got != http.StatusNoContent {
		t.Fatalf("webhook = %d", got)
	}
	e.wantAllowed(lockRoom, cardAna, end.Add(-time.Minute), true, "inside the booking")
	e.wantAllowed(lockRoom, cardAna, end.Add(time.Minute), false, "webhook grant cut back to the booking's end")
	for _, g := range e.store.Grants(pull.MemberID(domainID, int64(cw))) {
		if g.Origin == policy.OriginWebhook && !g.Until.Equal(end) {
			t.Errorf("webhook grant until %v, want %v", g.Until, end)
		}
	}
}

func TestAccessGroupsEndpoint(t *testing.T) {
	e := newEnv(t, envOpts{})
	groups, err := e.sim.CallAccessGroups(context.Background(), e.hubURL+pull.PathAccessGroups, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(groups) != 3 || groups[0].ID != grpDesk || groups[0].Name != "Floor 2" {
		t.Errorf("access groups = %+v, want the 3 keys of the domain", groups)
	}
}

func itoa(i int) string { return strconv.Itoa(i) }
