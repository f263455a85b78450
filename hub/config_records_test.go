package hub_test

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lockhub/lockhub/hub"
	"github.com/lockhub/lockhub/policy"
)

func TestPolicyRecordsDemo(t *testing.T) {
	c, err := hub.LoadConfigFile(filepath.Join("..", "configs", "demo.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	r, err := c.PolicyRecords(stubDigest)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Domains) != 1 || r.Domains[0].Zone.String() != "Europe/Stockholm" ||
		r.Domains[0].Retention != 30*24*time.Hour || r.Domains[0].Origin != policy.OriginConfig {
		t.Errorf("domains = %+v", r.Domains)
	}
	locks := map[string]policy.Lock{}
	for _, l := range r.Locks {
		locks[l.ID] = l
		if l.Origin != policy.OriginConfig || l.KeyGeneration != 1 {
			t.Errorf("lock %s: origin %v, key generation %d", l.ID, l.Origin, l.KeyGeneration)
		}
	}
	if l := locks["front-door"]; !l.CheckIn || l.UnlockDuration != 5*time.Second || l.OfflineHorizon != 7*24*time.Hour {
		t.Errorf("front-door = %+v, want check-in with default durations", l)
	}
	if l := locks["garage"]; l.OfflineHorizon != 3*24*time.Hour || l.FailMode != policy.FailSecure {
		t.Errorf("garage = %+v, want a 3d horizon, fail secure", l)
	}
	if l := locks["fire-exit"]; l.FailMode != policy.FailSafe {
		t.Errorf("fire-exit fail mode = %v, want safe", l.FailMode)
	}
	if got := r.OfficeHours["front-door"]; got != "front-office-hours" || len(r.OfficeHours) != 1 {
		t.Errorf("office hours = %v", r.OfficeHours)
	}

	access := map[string]policy.Access{}
	for _, a := range r.Access {
		access[a.ID] = a
	}
	bh := access["business-hours"]
	if len(bh.Schedule.Windows) != 2 || len(bh.Schedule.Holidays) != 4 || bh.Schedule.Holidays[0] != 20261224 {
		t.Errorf("business-hours schedule = %+v", bh.Schedule)
	}
	christmas := time.Date(2026, 12, 25, 12, 0, 0, 0, r.Domains[0].Zone)
	if got := bh.Schedule.At(christmas, r.Domains[0].Zone); got != policy.ScheduleHoliday {
		t.Errorf("business-hours on Christmas = %v, want holiday", got)
	}
	if !access["night-cleaning"].Schedule.Windows[0].SpansMidnight() {
		t.Errorf("night-cleaning window should span midnight")
	}
	if w := access["all-hours"].Schedule.Windows; len(w) != 0 {
		t.Errorf("all-hours has windows %v, want none (always open)", w)
	}

	members := map[string]hub.MemberRecord{}
	for _, m := range r.Members {
		members[m.Member.ID] = m
	}
	alice := members["cfg-alice"]
	wantCard, _ := stubDigest(policy.CredCard, "04A1B2C3") // canonical form of 04:A1:B2:C3
	wantPIN, _ := stubDigest(policy.CredPIN, "482915")
	if len(alice.Credentials) != 2 || alice.Credentials[0] != wantCard || alice.Credentials[1] != wantPIN {
		t.Errorf("alice's credentials = %v, want the digests of the canonical card and the pin", alice.Credentials)
	}
	if alice.Member.Status != policy.StatusActive || alice.Member.Origin != policy.OriginConfig {
		t.Errorf("alice = %+v", alice.Member)
	}
	if got := members["cfg-carol"].Member.Status; got != policy.StatusInactive {
		t.Errorf("carol's status = %v, want inactive", got)
	}
	if got := len(members["cfg-bob"].Credentials); got != 3 {
		t.Errorf("bob has %d credentials, want 3 (card, fob, pin)", got)
	}

	grants := map[string]policy.Grant{}
	for _, g := range r.Grants {
		grants[g.GrantKey.String()] = g
	}
	if g, ok := grants["config/manual/cfg-alice/all-hours"]; !ok || !g.From.IsZero() || !g.OpenEnded() {
		t.Errorf("alice's grant = %+v (found %v), want open-ended under the derived reference", g, ok)
	}
	g := grants["config/manual/bob-daytime-cover"]
	if g.Member != "cfg-bob" || g.Access != "business-hours" || !g.Until.Equal(time.Date(2026, 8, 31, 22, 0, 0, 0, time.UTC)) {
		t.Errorf("bob's daytime grant = %+v", g)
	}
}

// TestPolicyRecordsLeavesConfigAlone: defaults go into the records, not into
// the caller's config.
func TestPolicyRecordsLeavesConfigAlone(t *testing.T) {
	c := &hub.Config{
		Site:    hub.SiteConfig{ID: "x"},
		Domains: []hub.DomainConfig{{ID: "hq", Zone: "UTC"}},
		Locks:   []hub.LockConfig{{ID: "a", Domain: "hq"}},
	}
	r, err := c.PolicyRecords(stubDigest)
	if err != nil {
		t.Fatal(err)
	}
	if r.Locks[0].KeyGeneration != 1 || r.Domains[0].Retention != policy.DefaultRetention {
		t.Errorf("records = %+v, want defaults applied", r)
	}
	if c.Locks[0].KeyGeneration != 0 || c.Site.DataDir != "" {
		t.Errorf("PolicyRecords modified the config: %+v", c)
	}
}

func TestPolicyRecordsErrors(t *testing.T) {
	c := mustLoad(t, minimal+`members:
  - {id: m1, domain: hq, cards: ["04A1B2C3"], pin: "123456"}
`)
	boom := errors.New("master key unavailable")
	_, err := c.PolicyRecords(func(policy.CredentialType, string) (policy.Credential, error) {
		return policy.Credential{}, boom
	})
	if !errors.Is(err, boom) || !strings.Contains(err.Error(), "members[0].cards[0]: digest card") ||
		!strings.Contains(err.Error(), "members[0].pin: digest pin") {
		t.Errorf("digest failure: err = %v", err)
	}
	if strings.Contains(err.Error(), "04A1B2C3") || strings.Contains(err.Error(), "123456") {
		t.Errorf("error echoes a credential: %v", err)
	}
	if _, err := c.PolicyRecords(nil); err == nil {
		t.Errorf("nil digest: no error")
	}
	c.Locks[0].Domain = "nowhere"
	var ce *hub.ConfigError
	if _, err := c.PolicyRecords(stubDigest); !errors.As(err, &ce) {
		t.Errorf("invalid config: err = %v, want *ConfigError", err)
	}
}
