package bench

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/lockhub/lockhub/hub"
	"github.com/lockhub/lockhub/policy"
	"github.com/lockhub/lockhub/simulators/responder"
)

// TestSeededSiteDecides seeds a small site, opens a hub on it with the
// benchmark config, and checks that a member's card is granted and an
// unknown card denied on a lock of the site: the traffic's premise.
func TestSeededSiteDecides(t *testing.T) {
	dir := t.TempDir()
	if _, err := seedSite(dir, 3, 20, 2); err != nil {
		t.Fatal(err)
	}
	h, err := hub.New(siteConfig(dir, 3, "process"), hub.Deps{})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	if c := h.Store().Counts(); c.Members != 20 || c.Grants != 40 || c.Locks != 3 {
		t.Fatalf("counts after the hub opened = %+v", c)
	}
	for _, c := range []struct {
		card string
		want policy.Reason
	}{{responder.CardValue(7), policy.ReasonAllowed}, {responder.CardValue(20), policy.ReasonUnknownCredential}} {
		cred, err := h.Keys().Digest(policy.CredCard, c.card)
		if err != nil {
			t.Fatal(err)
		}
		if d := h.Store().Decide(time.Now(), policy.Request{Lock: LockID(2), Credential: cred}); d.Reason != c.want {
			t.Errorf("decision = %v, want %v", d.Reason, c.want)
		}
	}
	if _, err := seedSite(filepath.Join(dir, "missing", "\x00bad"), 1, 1, 1); err == nil {
		t.Error("seeding an impossible path succeeded")
	}
}
