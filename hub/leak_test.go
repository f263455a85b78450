package hub_test

import (
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/lockhub/lockhub/devices/wire"
	"github.com/lockhub/lockhub/hub"
)

// TestNoSecretsInOutput: after requests with cards and a PIN over MQTT and
// explainer queries with a card and a PIN (page and API, with and without
// tokens), no PIN, card number, token or lock secret appears in the page,
// the API answers, /metrics, /readyz or the hub's log.
func TestNoSecretsInOutput(t *testing.T) {
	w := startWeb(t, webYAML(t.TempDir(), ""))
	lockSecret := w.Keys().LockSecret("front-door", hub.DefaultKeyGeneration)
	lc := connectLock(t, w.Hub, "front-door")
	lc.publishState(t, wire.LockState{Online: true, Boot: 1, Door: wire.DoorClosed})
	for _, c := range []struct {
		typ  wire.RequestType
		cred string
	}{{wire.TypeCard, aliceCard}, {wire.TypeCard, aliceCardColons}, {wire.TypePIN, alicePIN}, {wire.TypeCard, bobCard},
		{wire.TypePIN, "999999"}} {
		lc.request(t, c.typ, c.cred)
	}
	fwd := []string{"X-Forwarded-For", "192.0.2.7"}
	auth := append(fwd, "Authorization", "Bearer "+testViewerToken)
	type output struct{ where, text string }
	var outputs []output
	i := 0
	for _, f := range []url.Values{
		{"lock": {"front-door"}, "type": {"card"}, "value": {aliceCardColons}},
		{"lock": {"front-door"}, "type": {"pin"}, "value": {alicePIN}},
		{"lock": {"front-door"}, "type": {"card"}, "value": {bobCard}, "member": {"x"}}, // an error answer
		{"token": {testViewerToken}},
		{"token": {testAdminToken + "x"}},
		{"path": {"/api/explain"}, "lock": {"front-door"}, "type": {"card"}, "value": {aliceCard}},
		{"path": {"/api/explain"}, "lock": {"front-door"}, "type": {"pin"}, "value": {alicePIN}},
		{"path": {"/api/explain"}, "lock": {"front-door"}, "type": {"card"}, "value": {bobCard}, "at": {"bad"}},
	} {
		i++
		path := "/"
		if f.Has("path") {
			path = f.Get("path")
			f.Del("path")
		}
		code, body, hd := w.postForm(t, path, f, auth...)
		if code >= 500 {
			t.Errorf("POST / %v = %d", f, code)
		}
		outputs = append(outputs, output{fmt.Sprintf("the answer to post %d", i), body + "\n" + strings.Join(headerValues(hd), "\n")})
	}
	for _, p := range []struct {
		path   string
		header []string
	}{
		{"/", nil},
		{"/?lock=front-door&type=card&value=" + url.QueryEscape(aliceCardColons), nil},
		{"/?lock=front-door&type=pin&value=" + alicePIN, auth},
		{"/?lock=front-door&type=card&value=" + bobCard + "&member=x", nil}, // an error answer
		{"/api/status", auth},
		{"/api/decisions?limit=500", nil},
		{"/api/locks", nil},
		{"/api/outbox", nil},
		{"/api/health", nil},
		{"/api/explain?lock=front-door&type=card&value=" + aliceCard, nil}, // refused: in the address
		{"/api/explain?lock=front-door&type=pin&value=" + alicePIN, auth},
		{"/api/status", append(fwd, "Authorization", "Bearer "+testAdminToken+"x")}, // a wrong token
		{"/?token=" + testViewerToken, fwd},
		{"/?token=" + testAdminToken + "x", fwd},
		{"/metrics", nil},
		{"/readyz", nil},
	} {
		i++
		code, body, hd := w.get(t, p.path, p.header...)
		if code >= 500 {
			t.Errorf("GET %s = %d", p.path, code)
		}
		if p.path == "/metrics" {
			body = withoutSampleValues(body)
		}
		// The answer only: the request's own URL is not output.
		outputs = append(outputs, output{fmt.Sprintf("the answer to request %d", i), body + "\n" + strings.Join(headerValues(hd), "\n")})
	}
	outputs = append(outputs, output{"the log", w.logs.String()})
	secrets := map[string]string{
		"alice's card": aliceCard, "alice's card as typed": aliceCardColons, "alice's card canonical": "4A1B2C3",
		"alice's PIN": alicePIN, "bob's card": bobCard, "a wrong PIN": "999999",
		"viewer token": testViewerToken, "admin token": testAdminToken, "lock secret": lockSecret,
	}
	checked := 0
	for _, out := range outputs {
		for what, s := range secrets {
			checked++
			if strings.Contains(strings.ToLower(out.text), strings.ToLower(s)) {
				t.Errorf("%s (%q) appears in %s", what, s, out.where)
			}
		}
	}
	if !strings.Contains(w.logs.String(), "hub opened") {
		t.Error("the captured log is empty: the scan would prove nothing")
	}
	if checked == 0 {
		t.Fatal("nothing scanned")
	}
}

// headerValues lists the response headers.
func headerValues(h map[string][]string) []string {
	var out []string
	for k, vs := range h {
		out = append(out, k+": "+strings.Join(vs, ","))
	}
	return out
}

// withoutSampleValues drops the numbers from a text-format scrape: a PIN
// is digits, and some float (a GC pause, a byte count) may contain them by
// chance. Names, labels and help texts stay.
func withoutSampleValues(scrape string) string {
	var b strings.Builder
	for _, line := range strings.Split(scrape, "\n") {
		if !strings.HasPrefix(line, "#") {
			if i := strings.LastIndexByte(line, ' '); i > 0 {
				line = line[:i]
			}
		}
		b.WriteString(line + "\n")
	}
	return b.String()
}
