package hub_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/lockhub/lockhub/hub"
)

// TestCustomACSServedOnItsOwnListener: with http.nexudus_address set, the
// access-groups endpoint and the webhook answer there (bearer checked), and
// the main listener does not serve them; the status page is not reachable
// on the Nexudus listener.
func TestCustomACSServedOnItsOwnListener(t *testing.T) {
	t.Setenv("TEST_NEXUDUS_PASSWORD", "secret")
	t.Setenv("TEST_WEBHOOK_TOKEN", "wh-token-123456")
	cfg := mustLoad(t, fmt.Sprintf(`site:
  id: hub-acs
  data_dir: %s
domains:
  - id: hq
    zone: Europe/Stockholm
    nexudus_business: biz-1
locks:
  - id: front
    domain: hq
keys:
  - id: lobby
    domain: hq
    name: Lobby
    locks: [front]
mqtt:
  listeners:
    tcp:
      address: 127.0.0.1:0
http:
  address: 127.0.0.1:0
  nexudus_address: 127.0.0.1:0
nexudus:
  base_url: http://127.0.0.1:1/api/
  username: admin@example.org
  password_env: TEST_NEXUDUS_PASSWORD
  webhook_token_env: TEST_WEBHOOK_TOKEN
`, t.TempDir()))
	h, err := hub.New(cfg, hub.Deps{})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	ran := make(chan error, 1)
	go func() { ran <- h.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-ran; h.Close() })
	addrs := h.HTTPAddrs()
	if addrs.Nexudus == "" || addrs.Nexudus == addrs.Main {
		t.Fatalf("HTTPAddrs = %+v, want a separate Nexudus listener", addrs)
	}
	nex, main := "http://"+addrs.Nexudus, "http://"+addrs.Main
	do := func(method, url, bearer, body string) (int, string) {
		t.Helper()
		for i := 0; ; i++ {
			req, _ := http.NewRequest(method, url, strings.NewReader(body))
			if bearer != "" {
				req.Header.Set("Authorization", "Bearer "+bearer)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				if i < 100 { // the server starts in Run
					continue
				}
				t.Fatalf("%s %s: %v", method, url, err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			return resp.StatusCode, string(b)
		}
	}
	if code, body := do("GET", nex+"/nexudus/access-groups", "", ""); code != 200 || !strings.Contains(body, `"lobby"`) {
		t.Errorf("access groups on the Nexudus listener: %d %s", code, body)
	}
	if code, _ := do("POST", nex+"/nexudus/webhook", "wrong", `{"groups":[]}`); code != http.StatusUnauthorized {
		t.Errorf("webhook with a wrong bearer: %d, want 401", code)
	}
	if code, _ := do("POST", nex+"/nexudus/webhook", "wh-token-123456", `not json`); code != http.StatusBadRequest {
		t.Errorf("webhook with garbage: %d, want 400", code)
	}
	if code, _ := do("GET", main+"/nexudus/access-groups", "", ""); code != http.StatusNotFound {
		t.Errorf("access groups on the main listener: %d, want 404 (they have their own)", code)
	}
	if code, _ := do("GET", nex+"/", "", ""); code != http.StatusNotFound {
		t.Errorf("status page on the Nexudus listener: %d, want 404", code)
	}
}
