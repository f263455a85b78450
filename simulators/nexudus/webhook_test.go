package nexudus_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/lockhub/lockhub/simulators/nexudus"
)

// receiver is a test webhook endpoint that answers from a status script
// (then 204) and records every request.
type receiver struct {
	mu     sync.Mutex
	script []int
	got    []delivery
	url    string
}

type delivery struct {
	authz, ctype string
	raw          []byte
	body         hook
}

type hook struct {
	Time     string `json:"time"`
	Business struct {
		ID       int    `json:"id"`
		Name     string `json:"name"`
		UniqueID string `json:"uniqueId"`
	} `json:"business"`
	Coworker struct {
		ID            int    `json:"id"`
		Email         string `json:"email"`
		UniqueID      string `json:"uniqueId"`
		AccessPincode string `json:"accessPincode"`
		AccessCardID  string `json:"accessCardId"`
		FullName      string `json:"fullName"`
	} `json:"coworker"`
	Groups   []string `json:"groups"`
	Schedule []struct {
		Group     string `json:"group"`
		ExpiresOn string `json:"expires_on"`
	} `json:"schedule"`
}

func newReceiver(t *testing.T, script ...int) *receiver {
	t.Helper()
	rc := &receiver{script: script}
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		raw, _ := io.ReadAll(r.Body)
		d := delivery{authz: r.Header.Get("Authorization"), ctype: r.Header.Get("Content-Type"), raw: raw}
		if err := json.Unmarshal(raw, &d.body); err != nil {
			t.Errorf("webhook body is not JSON: %v", err)
		}
		rc.mu.Lock()
		rc.got = append(rc.got, d)
		status := http.StatusNoContent
		if len(rc.script) > 0 {
			status, rc.script = rc.script[0], rc.script[1:]
		}
		rc.mu.Unlock()
		w.WriteHeader(status)
	}))
	t.Cleanup(hs.Close)
	rc.url = hs.URL
	return rc
}

func (rc *receiver) deliveries() []delivery {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return slices.Clone(rc.got)
}

func webhookSim(t *testing.T, rc *receiver) (*sim, int, int) {
	t.Helper()
	sm := newSim(t, nexudus.Config{Webhook: nexudus.WebhookConfig{URL: rc.url, Bearer: "hook-secret", RetryDelay: time.Millisecond}})
	cw := sm.id(sm.AddCoworker(nexudus.CoworkerSpec{FullName: "Ana Ruiz", Email: "ana@example.org",
		AccessPincode: "40417", AccessCardID: "04A1B2C3;04A1B2C4"}))
	room := sm.id(sm.AddResource(nexudus.ResourceSpec{Name: "Room 3", Groups: []string{"grp-room-3", "grp-lobby"}}))
	must(t, sm.DeliverWebhooks(t.Context())) // the "customer created" notification
	return sm, cw, room
}

var timeRE = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{7}Z$`)

func TestWebhookBookingTimers(t *testing.T) {
	rc := newReceiver(t)
	sm, cw, room := webhookSim(t, rc)
	from := t0.Add(2 * time.Hour)
	sm.id(sm.AddBooking(nexudus.BookingSpec{ResourceID: room, CoworkerID: cw, From: from, To: from.Add(time.Hour)}))
	step := func(to time.Time) []delivery {
		t.Helper()
		before := len(rc.deliveries())
		sm.clock.Set(to)
		sm.Tick()
		must(t, sm.DeliverWebhooks(t.Context()))
		return rc.deliveries()[before:]
	}
	if got := step(from.Add(-16 * time.Minute)); len(got) != 0 {
		t.Fatalf("before start-15: %d deliveries", len(got))
	}
	got := step(from.Add(-15 * time.Minute))
	if len(got) != 1 {
		t.Fatalf("at start-15: %d deliveries, want 1", len(got))
	}
	d := got[0]
	if d.authz != "Bearer hook-secret" || d.ctype != "application/json" {
		t.Errorf("headers: Authorization %q Content-Type %q", d.authz, d.ctype)
	}
	b := d.body
	cuid, _ := sm.CoworkerUniqueID(cw)
	if !timeRE.MatchString(b.Time) || b.Time != "2025-03-04T09:45:00.0000000Z" {
		t.Errorf("time = %q", b.Time)
	}
	if b.Coworker.ID != cw || b.Coworker.UniqueID != cuid || b.Coworker.Email != "ana@example.org" ||
		b.Coworker.AccessPincode != "40417" || b.Coworker.AccessCardID != "04A1B2C3;04A1B2C4" || b.Coworker.FullName != "Ana Ruiz" {
		t.Errorf("coworker = %+v", b.Coworker)
	}
	if b.Business.Name != "Harbour Works" || b.Business.UniqueID == "" || b.Business.ID == 0 {
		t.Errorf("business = %+v", b.Business)
	}
	if !slices.Equal(b.Groups, []string{"grp-lobby", "grp-room-3"}) || len(b.Schedule) != 2 ||
		b.Schedule[0].ExpiresOn != "2025-03-04T11:00:00Z" {
		t.Errorf("groups %v schedule %+v", b.Groups, b.Schedule)
	}
	if got := step(from.Add(time.Hour + 14*time.Minute)); len(got) != 0 {
		t.Fatalf("before end+15: %d deliveries", len(got))
	}
	got = step(from.Add(time.Hour + 15*time.Minute))
	if len(got) != 1 || len(got[0].body.Groups) != 0 || got[0].body.Groups == nil {
		t.Fatalf("at end+15: %+v, want one delivery with groups []", got)
	}
	if !jsonHas(got[0].raw, `"groups":[]`) {
		t.Errorf("empty groups not sent as []: %s", got[0].raw)
	}
}

func jsonHas(raw []byte, s string) bool { return regexp.MustCompile(regexp.QuoteMeta(s)).Match(raw) }

func TestWebhookTriggers(t *testing.T) {
	rc := newReceiver(t)
	sm, cw, room := webhookSim(t, rc)
	pass := sm.id(sm.AddTimePass(nexudus.TimePassSpec{Name: "Day Pass", Groups: []string{"grp-lobby"}}))
	desk := sm.id(sm.AddDesk(nexudus.DeskSpec{Name: "D-1", Group: "grp-floor-2"}))
	steps := []struct {
		name   string
		do     func() error
		groups []string
	}{
		{"pass added", func() error { _, err := sm.AddPass(cw, pass, t0.Add(10*time.Hour)); return err }, []string{"grp-lobby"}},
		{"contract with desk", func() error {
			k, err := sm.AddContract(nexudus.ContractSpec{CoworkerID: cw, TariffName: "Resident"})
			if err != nil {
				return err
			}
			return sm.AssignDesk(desk, k)
		}, []string{"grp-floor-2", "grp-lobby"}},
		{"booking now", func() error {
			_, err := sm.AddBooking(nexudus.BookingSpec{ResourceID: room, CoworkerID: cw, From: t0.Add(10 * time.Minute), To: t0.Add(time.Hour)})
			return err
		}, []string{"grp-floor-2", "grp-lobby", "grp-room-3"}},
		{"suspended", func() error { return sm.SetCoworkerActive(cw, false) }, []string{}},
		{"reactivated", func() error { return sm.SetCoworkerActive(cw, true) }, []string{"grp-floor-2", "grp-lobby", "grp-room-3"}},
	}
	for _, st := range steps {
		must(t, st.do())
		before := len(rc.deliveries())
		must(t, sm.DeliverWebhooks(t.Context()))
		got := rc.deliveries()[before:]
		if len(got) == 0 {
			t.Fatalf("%s: no delivery", st.name)
		}
		if last := got[len(got)-1].body.Groups; !slices.Equal(last, st.groups) {
			t.Errorf("%s: groups %v, want %v", st.name, last, st.groups)
		}
	}
}

func TestWebhookRetries(t *testing.T) {
	t.Run("recovers", func(t *testing.T) {
		rc := newReceiver(t, 503, 500, 502)
		sm, _, _ := webhookSim(t, rc)
		st := sm.WebhookStats()
		if n := len(rc.deliveries()); n != 4 || st.Attempts != 4 || st.Delivered != 1 || st.Failures != 3 || st.Disabled {
			t.Errorf("%d requests, stats %+v; want 4 requests, 1 delivered", n, st)
		}
	})
	t.Run("disables after 10 failures", func(t *testing.T) {
		script := make([]int, 50)
		for i := range script {
			script[i] = 500
		}
		rc := newReceiver(t, script...)
		sm, cw, _ := webhookSim(t, rc)
		if n, st := len(rc.deliveries()), sm.WebhookStats(); n != 10 || !st.Disabled || st.Dropped != 1 {
			t.Fatalf("%d requests, stats %+v; want 10 and disabled", n, st)
		}
		must(t, sm.SetCoworkerActive(cw, false))
		must(t, sm.DeliverWebhooks(t.Context()))
		if n := len(rc.deliveries()); n != 10 {
			t.Errorf("disabled webhook sent %d more requests", n-10)
		}
	})
}

func TestWebhookDuplicateReorderDrop(t *testing.T) {
	rc := newReceiver(t)
	sm, cw, _ := webhookSim(t, rc)
	base := len(rc.deliveries())
	sm.SetWebhookSwitches(nexudus.WebhookSwitches{Duplicate: true, Reorder: true})
	must(t, sm.SetCoworkerActive(cw, false)) // older: groups []
	sm.clock.Add(time.Second)
	must(t, sm.SetCoworkerAccess(cw, "0BADCAFE", "", "1234")) // newer
	must(t, sm.DeliverWebhooks(t.Context()))
	got := rc.deliveries()[base:]
	if len(got) != 4 {
		t.Fatalf("%d deliveries, want 4", len(got))
	}
	if string(got[0].raw) != string(got[1].raw) || string(got[2].raw) != string(got[3].raw) {
		t.Error("duplicates differ")
	}
	if got[0].body.Time <= got[2].body.Time || got[0].body.Coworker.AccessCardID != "0BADCAFE" {
		t.Errorf("not reordered: first %s, then %s", got[0].body.Time, got[2].body.Time)
	}
	sm.SetWebhookSwitches(nexudus.WebhookSwitches{Drop: true})
	must(t, sm.SetCoworkerActive(cw, true))
	must(t, sm.DeliverWebhooks(t.Context()))
	if n := len(rc.deliveries()); n != base+4 || sm.WebhookStats().Dropped != 1 {
		t.Errorf("drop: %d deliveries, stats %+v", n-base, sm.WebhookStats())
	}
}

func TestCallAccessGroups(t *testing.T) {
	var mu sync.Mutex
	var hdr http.Header
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		hdr = r.Header.Clone()
		mu.Unlock()
		if r.Method != http.MethodGet {
			w.WriteHeader(http.StatusMethodNotAllowed)
			return
		}
		_, _ = io.WriteString(w, `[{"id":"grp-lobby","name":"Lobby + lifts"},{"Id":"grp-room-3","Name":"Meeting room 3"}]`)
	}))
	t.Cleanup(hs.Close)
	sm := newSim(t, nexudus.Config{AdminUserUniqueID: "7f1c0000-0000-4000-8000-000000000001"})
	for _, token := range []string{"acs-token", ""} {
		groups, err := sm.CallAccessGroups(t.Context(), hs.URL+"/nexudus/access-groups", token)
		if err != nil {
			t.Fatal(err)
		}
		if len(groups) != 2 || groups[1] != (nexudus.AccessGroup{ID: "grp-room-3", Name: "Meeting room 3"}) {
			t.Errorf("groups = %+v", groups)
		}
		mu.Lock()
		bid := sm.list(t, "/api/sys/businesses").Records[0]["UniqueId"]
		if hdr.Get("X-Nexudus-Business-UniqueId") != bid || hdr.Get("X-Nexudus-User-UniqueId") != "7f1c0000-0000-4000-8000-000000000001" {
			t.Errorf("headers = %v", hdr)
		}
		if want := map[bool]string{true: "Bearer acs-token", false: ""}[token != ""]; hdr.Get("Authorization") != want {
			t.Errorf("Authorization = %q, want %q", hdr.Get("Authorization"), want)
		}
		mu.Unlock()
	}
	if len(sm.AccessGroups()) != 2 {
		t.Errorf("AccessGroups = %v", sm.AccessGroups())
	}
	if _, err := sm.CallAccessGroups(t.Context(), hs.URL+"/x", "bad\ntoken"); err == nil {
		t.Error("a token with a newline was sent")
	}
}
