package hub_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lockhub/lockhub/devices/wire"
	"github.com/lockhub/lockhub/hub"
	"github.com/lockhub/lockhub/internal/events"
)

// TestReadAuth: the page and read API need the viewer or admin token once
// the request counts as remote (a proxy header), accept it as a bearer
// token or as the session cookie "?token=" sets, and are open to local
// requests; health and metrics are always open.
func TestReadAuth(t *testing.T) {
	w := startWeb(t, webYAML(t.TempDir(), ""))
	fwd := []string{"X-Forwarded-For", "192.0.2.7"}
	tests := []struct {
		name   string
		path   string
		header []string
		want   int
	}{
		{"local page", "/", nil, http.StatusOK},
		{"local api", "/api/status", nil, http.StatusOK},
		{"forwarded api without token", "/api/status", fwd, http.StatusUnauthorized},
		{"forwarded page without token", "/", fwd, http.StatusUnauthorized},
		{"X-Real-IP counts as forwarded", "/api/locks", []string{"X-Real-IP", "192.0.2.7"}, http.StatusUnauthorized},
		{"Forwarded counts as forwarded", "/api/locks", []string{"Forwarded", "for=192.0.2.7"}, http.StatusUnauthorized},
		{"viewer token", "/api/status", append(fwd, "Authorization", "Bearer "+testViewerToken), http.StatusOK},
		{"admin token reads too", "/api/decisions", append(fwd, "Authorization", "Bearer "+testAdminToken), http.StatusOK},
		{"wrong token", "/api/status", append(fwd, "Authorization", "Bearer nope"), http.StatusUnauthorized},
		{"wrong scheme", "/api/status", append(fwd, "Authorization", "Basic "+testViewerToken), http.StatusUnauthorized},
		{"token prefix", "/api/status", append(fwd, "Authorization", "Bearer "+testViewerToken[:8]), http.StatusUnauthorized},
		{"healthz open", "/healthz", fwd, http.StatusOK},
		{"readyz open", "/readyz", fwd, http.StatusOK},
		{"metrics open", "/metrics", fwd, http.StatusOK},
		{"asset open", "/assets/style.css", fwd, http.StatusOK},
		{"unknown asset", "/assets/nope.js", fwd, http.StatusNotFound},
		{"nexudus not mounted yet", "/nexudus/webhook", nil, http.StatusNotFound},
		{"unknown path", "/nope", nil, http.StatusNotFound},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, body, _ := w.get(t, tc.path, tc.header...)
			if code != tc.want {
				t.Errorf("GET %s = %d, want %d: %.200s", tc.path, code, tc.want, body)
			}
		})
	}

	// The token login: a 303 to the same URL without the token, and a
	// cookie that opens the page and API but holds no token.
	code, _, hd := w.get(t, "/?token="+url.QueryEscape(testViewerToken)+"&lock=front-door", fwd...)
	if code != http.StatusSeeOther {
		t.Fatalf("token login = %d, want 303", code)
	}
	if loc := hd.Get("Location"); strings.Contains(loc, "token") || !strings.Contains(loc, "lock=front-door") {
		t.Errorf("login redirect to %q: want the URL without the token", loc)
	}
	sc := hd.Get("Set-Cookie")
	for _, want := range []string{"lockhub_session=", "HttpOnly", "SameSite=Strict"} {
		if !strings.Contains(sc, want) {
			t.Errorf("Set-Cookie %q lacks %q", sc, want)
		}
	}
	if strings.Contains(sc, testViewerToken) {
		t.Error("the session cookie holds the token itself")
	}
	cookie := strings.SplitN(sc, ";", 2)[0]
	if code, _, _ := w.get(t, "/api/status", append(fwd, "Cookie", cookie)...); code != http.StatusOK {
		t.Errorf("API with the session cookie = %d, want 200", code)
	}
	if code, body, _ := w.get(t, "/", append(fwd, "Cookie", cookie)...); code != http.StatusOK || !strings.Contains(body, "Front door") {
		t.Errorf("page with the session cookie = %d, want 200 with the locks", code)
	}
	if code, body, _ := w.get(t, "/?token=wrong", fwd...); code != http.StatusUnauthorized || !strings.Contains(body, "not valid") {
		t.Errorf("login with a wrong token = %d, want 401 with the form saying so", code)
	}

	// The sign-in form posts the token: same cookie, a 303 to the page.
	code, body, hd := w.postForm(t, "/", url.Values{"token": {testViewerToken}}, fwd...)
	if code != http.StatusSeeOther || hd.Get("Location") != "/" || !strings.HasPrefix(hd.Get("Set-Cookie"), "lockhub_session=") {
		t.Errorf("posted login = %d to %q, cookie %q: want 303 to / with the session", code, hd.Get("Location"), hd.Get("Set-Cookie"))
	}
	if code, body, _ = w.postForm(t, "/", url.Values{"token": {"wrong"}}, fwd...); code != http.StatusUnauthorized || !strings.Contains(body, "not valid") {
		t.Errorf("posted login with a wrong token = %d, want 401 with the form saying so", code)
	}
	if !strings.Contains(loginForm(t, w), `method="post"`) {
		t.Error("the sign-in form does not post")
	}
	if code, _, _ := w.get(t, "/api/status", append(fwd, "Cookie", "lockhub_session=00ff")...); code != http.StatusUnauthorized {
		t.Errorf("API with a forged cookie = %d, want 401", code)
	}
}

// TestSecurityHeaders: every answer forbids caching, framing, referrers
// and any source but the hub's own.
func TestSecurityHeaders(t *testing.T) {
	w := startWeb(t, webYAML(t.TempDir(), ""))
	_, body, hd := w.get(t, "/")
	for k, want := range map[string]string{
		"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY",
		"Referrer-Policy": "no-referrer",
	} {
		if got := hd.Get(k); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
	if csp := hd.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") {
		t.Errorf("Content-Security-Policy = %q", csp)
	}
	for _, bad := range []string{"http://", "https://", "<script"} {
		if strings.Contains(body, bad) {
			t.Errorf("the page contains %q: it must load nothing from elsewhere and need no JavaScript", bad)
		}
	}
}

// TestExplainAPI: /api/explain answers from the live store for a member
// and for a credential, shows a credential as its type only, and refuses
// bad queries with a 400 that does not repeat the value.
func TestExplainAPI(t *testing.T) {
	w := startWeb(t, webYAML(t.TempDir(), ""))
	tests := []struct {
		name       string
		query      string
		wantCode   int
		wantReason string
		wantMember string
		wantGrants int
	}{
		{"member allowed", "lock=front-door&member=alice", 200, "allowed", "alice", 1},
		{"member without grant", "lock=front-door&member=bob", 200, "no_grant", "bob", 0},
		{"lock not in key", "lock=back-door&member=alice", 200, "no_grant", "alice", 1},
		{"card any spelling", "lock=front-door&type=card&value=" + url.QueryEscape(aliceCardColons), 200, "allowed", "alice", 1},
		{"pin", "lock=front-door&type=pin&value=" + alicePIN, 200, "allowed", "alice", 1},
		{"unknown card", "lock=front-door&type=card&value=DEADBEEF", 200, "unknown_credential", "", 0},
		{"unknown lock", "lock=side-door&member=alice", 200, "unknown_lock", "", 0},
		{"at in the past", "lock=front-door&member=alice&at=2020-01-01T10:00:00Z", 200, "allowed", "alice", 1},
		{"no lock", "member=alice", 400, "", "", 0},
		{"member and value", "lock=front-door&member=alice&type=card&value=" + aliceCard, 400, "", "", 0},
		{"bad type", "lock=front-door&type=iris&value=" + aliceCard, 400, "", "", 0},
		{"bad card", "lock=front-door&type=card&value=XYZ-" + alicePIN, 400, "", "", 0},
		{"bad at", "lock=front-door&member=alice&at=tomorrow", 400, "", "", 0},
		{"oversize", "lock=front-door&member=" + strings.Repeat("a", 300), 400, "", "", 0},
		{"oversize body", "lock=front-door&type=card&value=" + strings.Repeat("a", 20<<10), 400, "", "", 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			// A credential is posted; a member query may be either.
			form, err := url.ParseQuery(tc.query)
			if err != nil {
				t.Fatal(err)
			}
			code, body, _ := w.postForm(t, "/api/explain", form)
			if !form.Has("value") {
				gcode, gbody, _ := w.get(t, "/api/explain?"+tc.query)
				if gcode != code || (code == 200 && !strings.Contains(gbody, `"reason":"`+tc.wantReason+`"`)) {
					t.Errorf("GET %s = %d %s, POST = %d: want the same answer", tc.query, gcode, gbody, code)
				}
			} else if len(tc.query) > 4096 {
				// too long for an address anyway
			} else if gcode, gbody, _ := w.get(t, "/api/explain?"+tc.query); gcode != 400 || !strings.Contains(gbody, "never in the page") {
				t.Errorf("GET with a credential in the address = %d %s, want 400 refusing it", gcode, gbody)
			}
			if code != tc.wantCode {
				t.Fatalf("explain %s = %d, want %d: %s", tc.query, code, tc.wantCode, body)
			}
			for _, secret := range []string{aliceCard, alicePIN, "a1:b2"} {
				if strings.Contains(strings.ToLower(body), strings.ToLower(secret)) {
					t.Errorf("explain answer repeats the credential %q: %s", secret, body)
				}
			}
			if code != 200 {
				return
			}
			var res hub.ExplainResult
			if err := json.Unmarshal([]byte(body), &res); err != nil {
				t.Fatal(err)
			}
			if res.Reason != tc.wantReason || res.Member != tc.wantMember || len(res.Candidates) != tc.wantGrants {
				t.Errorf("explain %s = reason %s member %q %d candidates, want %s %q %d",
					tc.query, res.Reason, res.Member, len(res.Candidates), tc.wantReason, tc.wantMember, tc.wantGrants)
			}
			if strings.Contains(tc.query, "value=") && !strings.HasSuffix(res.Asked, " ••••") {
				t.Errorf("asked = %q, want the type and a mask", res.Asked)
			}
		})
	}
}

// TestReadAPI: the read endpoints answer JSON with the state the locks
// produced over MQTT: presence and reported state, decisions with member
// names and reasons, the outbox, health.
func TestReadAPI(t *testing.T) {
	w := startWeb(t, webYAML(t.TempDir(), ""))
	lc := connectLock(t, w.Hub, "front-door")
	lc.publishState(t, wire.LockState{Online: true, Boot: 1, FW: "1.2.3", Battery: 81, HasBattery: true, Door: wire.DoorClosed})
	if r := lc.request(t, wire.TypeCard, aliceCard); r.Result != wire.ResultGranted {
		t.Fatalf("alice's card: %v %s", r.Result, r.Reason)
	}
	if r := lc.request(t, wire.TypeCard, bobCard); r.Result != wire.ResultDenied || r.Reason != "no_grant" {
		t.Fatalf("bob's card: %v %s", r.Result, r.Reason)
	}

	var locks []hub.LockView
	waitFor(t, "the lock's state", func() bool {
		_, body, _ := w.get(t, "/api/locks")
		locks = nil
		json.Unmarshal([]byte(body), &locks)
		return len(locks) == 2 && locks[1].Battery == 81
	})
	if f := locks[1]; f.ID != "front-door" || !f.Online || f.Door != "closed" || f.Firmware != "1.2.3" || f.Name != "Front door" {
		t.Errorf("front door = %+v", f)
	}
	if b := locks[0]; b.ID != "back-door" || b.Online {
		t.Errorf("back door = %+v, want offline", b)
	}

	var ds []hub.DecisionView
	waitFor(t, "two decisions", func() bool {
		_, body, _ := w.get(t, "/api/decisions?limit=10")
		ds = nil
		json.Unmarshal([]byte(body), &ds)
		return len(ds) == 2
	})
	if d := ds[0]; d.Member != "bob" || d.MemberName != "Bob Berg" || d.Allowed || d.Reason != "no_grant" || d.Credential != "card" {
		t.Errorf("newest decision = %+v", d)
	}
	if d := ds[1]; d.Member != "alice" || d.MemberName != "Alice Andersson" || !d.Allowed || d.Access != "office" {
		t.Errorf("older decision = %+v", d)
	}
	if code, _, _ := w.get(t, "/api/decisions?limit=0"); code != 400 {
		t.Errorf("limit=0 = %d, want 400", code)
	}

	var st hub.Status
	_, body, _ := w.get(t, "/api/status")
	if err := json.Unmarshal([]byte(body), &st); err != nil {
		t.Fatal(err)
	}
	granted, denied := 0, 0
	for _, m := range st.Chart {
		granted += m.Granted
		denied += m.Denied
	}
	if len(st.Chart) != 60 || granted != 1 || denied != 1 {
		t.Errorf("chart: %d minutes, %d granted, %d denied; want 60, 1, 1", len(st.Chart), granted, denied)
	}
	if st.Site != "web-test" || st.Counts.Members != 2 || st.Sync.Configured || st.Sync.Status != nil {
		t.Errorf("status = site %q, %d members, sync %+v", st.Site, st.Counts.Members, st.Sync)
	}
	if st.Outbox.UploadConfigured || st.Outbox.Pending < 2 {
		t.Errorf("outbox = %+v, want upload off and the decisions pending", st.Outbox)
	}

	var hv hub.HealthView
	_, body, _ = w.get(t, "/api/health")
	if err := json.Unmarshal([]byte(body), &hv); err != nil {
		t.Fatal(err)
	}
	if !hv.Ready {
		t.Errorf("health = %+v, want ready", hv)
	}
}

// loginForm returns the sign-in page a remote browser without a session
// gets.
func loginForm(t *testing.T, w *webHub) string {
	t.Helper()
	code, body, _ := w.get(t, "/", "X-Forwarded-For", "192.0.2.7")
	if code != http.StatusUnauthorized {
		t.Fatalf("page without a session = %d, want 401 and the sign-in form", code)
	}
	return body
}

// TestExplainerPostsCredentials: the page's explainer takes a credential
// only from the posted form; a credential in the page's address is refused
// (and not used), since it would stay in the browser's history.
func TestExplainerPostsCredentials(t *testing.T) {
	w := startWeb(t, webYAML(t.TempDir(), ""))
	code, body, _ := w.postForm(t, "/", url.Values{"lock": {"front-door"}, "type": {"card"}, "value": {aliceCardColons}})
	if code != http.StatusOK || !strings.Contains(body, `id="explain-result"`) || !strings.Contains(body, "Opens") {
		t.Fatalf("posted card = %d, want the explainer's answer (Opens):\n%.400s", code, body)
	}
	code, body, _ = w.get(t, "/?lock=front-door&type=card&value="+url.QueryEscape(aliceCardColons))
	if code != http.StatusOK || strings.Contains(body, `id="explain-result"`) || !strings.Contains(body, "never in the page") {
		t.Fatalf("card in the address = %d, want the refusal and no answer:\n%.400s", code, body)
	}
	// A member needs no secret: the address may carry it (links use it).
	code, body, _ = w.get(t, "/?lock=front-door&member=alice")
	if code != http.StatusOK || !strings.Contains(body, `id="explain-result"`) {
		t.Fatalf("member query = %d, want an answer", code)
	}
	if !strings.Contains(body, `<form method="post" action="/#explain"`) {
		t.Error("the explainer form does not post")
	}
	// Another site's page cannot post it.
	code, _, _ = w.postForm(t, "/", url.Values{"lock": {"front-door"}, "member": {"alice"}}, "Sec-Fetch-Site", "cross-site")
	if code != http.StatusForbidden {
		t.Errorf("cross-site post = %d, want 403", code)
	}
}

// TestStageInRuntimeDirectory: under systemd (RUNTIME_DIRECTORY set), the
// hub keeps its event log's stage there when it is a memory filesystem,
// not in /dev/shm, whose files the unit's RemoveIPC= deletes when the
// service stops. A runtime directory on a disk is not used.
func TestStageInRuntimeDirectory(t *testing.T) {
	// /dev/shm stands in for /run where it is a tmpfs; elsewhere the
	// runtime directory is a plain temporary one, which must be passed over.
	parent := ""
	if events.DefaultStageDir() != "" {
		parent = "/dev/shm"
	}
	rt, err := os.MkdirTemp(parent, "lockhub-runtime-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(rt) })
	inMemory := events.MemoryDir(rt) != ""
	t.Setenv("RUNTIME_DIRECTORY", rt)
	data := t.TempDir()
	startWeb(t, webYAML(data, ""))
	path, err := events.StagePath(rt, filepath.Join(data, "events"))
	if err != nil {
		t.Fatal(err)
	}
	_, err = os.Stat(path)
	switch {
	case inMemory && err != nil:
		t.Fatalf("no stage in the runtime directory %s (a memory filesystem): %v", rt, err)
	case !inMemory && !errors.Is(err, os.ErrNotExist):
		t.Fatalf("a stage in the runtime directory %s, which is not a memory filesystem: %v", rt, err)
	}
	if inMemory {
		shm, _ := events.StagePath("/dev/shm", filepath.Join(data, "events"))
		if _, err := os.Stat(shm); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("a stage in /dev/shm too: %v", err)
		}
	}
}
