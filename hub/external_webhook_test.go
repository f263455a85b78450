package hub_test

import (
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lockhub/lockhub/policy"
	"github.com/lockhub/lockhub/sync/pull"
)

// TestExternalWebhookRelayed: two external-mode hubs of one site behind
// Mosquitto; a Nexudus webhook received by hub A is applied by A and passed
// to hub B through the broker, so the member's card opens the door on both.
func TestExternalWebhookRelayed(t *testing.T) {
	if testing.Short() {
		t.Skip("starts mosquitto and two hubs")
	}
	mosquittoBin(t)
	keyPath, m := newMasterKey(t, t.TempDir())
	ids := extLockIDs(1)
	url := startMosquitto(t, extHubUser, brokerUsers(m, ids))
	t.Setenv("TEST_NEXUDUS_PASSWORD", "secret")
	t.Setenv("TEST_WEBHOOK_TOKEN", "webhook-token-relay-1")
	site := func(name string) string {
		dir := t.TempDir()
		pw := writeSecretFile(t, dir, "mqtt-password", extHubPass)
		y := extSiteYAML(filepath.Join(dir, "data"), "hub-"+name, keyPath, ids, externalMQTT(url, pw))
		y = strings.Replace(y, "    zone: Europe/Stockholm\n", "    zone: Europe/Stockholm\n    nexudus_business: biz-1\n", 1)
		// REST passes fail fast on loopback: only the webhook feeds grants here.
		return y + "nexudus:\n  base_url: http://127.0.0.1:1/api/\n  username: admin@example.org\n" +
			"  password_env: TEST_NEXUDUS_PASSWORD\n  webhook_token_env: TEST_WEBHOOK_TOKEN\n"
	}
	a, b := runHub(t, site("a")), runHub(t, site("b"))

	now := time.Now().UTC()
	body := fmt.Sprintf(`{"time":%q,"business":{"id":1,"name":"Harbour Works","uniqueId":"biz-1"},`+
		`"coworker":{"id":42,"uniqueId":"cw-42","fullName":"Ana Ruiz","accessCardId":"0C0FFEE0"},`+
		`"groups":["all"],"schedule":[{"group":"all","expires_on":%q}]}`,
		now.Format(time.RFC3339Nano), now.Add(time.Hour).Format(time.RFC3339))
	req, _ := http.NewRequest(http.MethodPost, "http://"+a.HTTPAddrs().Main+pull.PathWebhook, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer webhook-token-relay-1")
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		t.Fatalf("webhook on hub A: %d, want 204", resp.StatusCode)
	}
	card, err := m.Digest(policy.CredCard, "0C0FFEE0")
	if err != nil {
		t.Fatal(err)
	}
	q := policy.Request{Lock: ids[0], Credential: card}
	if d := a.Store().Decide(time.Now(), q); !d.Allowed() {
		t.Fatalf("hub A after the webhook: %v, want allowed", d.Reason)
	}
	waitUntil(t, "hub B to apply the relayed webhook", func() bool {
		return b.Store().Decide(time.Now(), q).Allowed()
	})
	// expires_on is enforced on the relayed copy too.
	if d := b.Store().Decide(now.Add(time.Hour+time.Minute), q); d.Allowed() {
		t.Errorf("hub B past expires_on: %v, want denied", d.Reason)
	}
}
