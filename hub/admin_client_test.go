package hub

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/lockhub/lockhub/policy"
)

// TestClient: the CLI's client against the real admin routes (and the read API's explainer): provisioning, rotation, backup, explain, errors.
func TestClient(t *testing.T) {
	f := newAdminFixture(t)
	mux := http.NewServeMux()
	for _, rt := range f.h.adminRoutes() {
		mux.HandleFunc(rt.Method+" "+rt.Path, rt.Handler)
	}
	mux.Handle("POST /api/explain", f.h.readRoutes()["POST /api/explain"])
	srv := httptest.NewServer(mux)
	defer srv.Close()
	c := &Client{BaseURL: srv.URL, Token: "t", Actor: "cli-user"}

	p, err := c.ProvisionLock(t.Context(), "side-door", "hq", "Side", "")
	if err != nil || p.Secret != mustSecret(t, f.h, "side-door") {
		t.Fatalf("ProvisionLock: %+v, %v", p.Lock, err)
	}
	r, err := c.RotateLock(t.Context(), "side-door")
	if err != nil || r.Secret == p.Secret || r.Secret != mustSecret(t, f.h, "side-door") {
		t.Fatalf("RotateLock: %+v, %v", r.Lock, err)
	}
	if _, err := c.RotateLock(t.Context(), "nowhere"); err == nil || !strings.Contains(err.Error(), "404") || !strings.Contains(err.Error(), `unknown lock "nowhere"`) {
		t.Errorf("RotateLock of an unknown lock: %v", err)
	}
	if !hasAction(adminActions(t, f.h), "lock_rotate", "cli-user") {
		t.Error("the client's actor is not in the audit event")
	}
	var buf bytes.Buffer
	if err := c.Backup(t.Context(), &buf, testPassphrase, 1000); err != nil {
		t.Fatal(err)
	}
	if _, err := VerifyBackup(&buf, testPassphrase); err != nil {
		t.Errorf("client backup does not verify: %v", err)
	}

	for _, q := range []ExplainQuery{
		{Lock: "front-door", Member: "bob", At: monday10},
		{Lock: "front-door", Member: "bob", At: monday10.Add(12 * time.Hour)},
		{Lock: "front-door", Type: policy.CredCard, Value: "04:a1:b2:c3", At: monday10},
		{Lock: "nowhere", Member: "alice", At: monday10},
	} {
		got, err := c.Explain(t.Context(), q)
		if err != nil {
			t.Fatalf("Explain(%+v): %v", q, err)
		}
		req := policy.Request{Lock: q.Lock, Member: q.Member}
		if q.Member == "" {
			req.Credential, _ = f.h.Keys().Digest(q.Type, q.Value)
		}
		want := f.h.Store().Explain(q.At, req)
		// The API carries the decision without its unlock duration.
		wd := want.Decision
		wd.Unlock = 0
		if got.Decision != wd || len(got.Candidates) != len(want.Candidates) || (want.Member == nil) != (got.Member == nil) {
			t.Errorf("Explain(%+v) = %+v, want %+v", q, got, want)
			continue
		}
		if want.Member != nil && (got.Member.ID != want.Member.ID || got.Member.Status != want.Member.Status || got.Member.Name != want.Member.Name) {
			t.Errorf("member %+v, want %+v", got.Member, want.Member)
		}
		for i := range want.Candidates {
			w, g := want.Candidates[i], got.Candidates[i]
			if g.Reason != w.Reason || g.Grant.GrantKey != w.Grant.GrantKey || g.Grant.Access != w.Grant.Access || !g.Grant.From.Equal(w.Grant.From) || !g.Grant.Until.Equal(w.Grant.Until) {
				t.Errorf("candidate %d = %+v, want %+v", i, g, w)
			}
		}
	}
	if _, err := (&Client{BaseURL: "ftp://x"}).Explain(t.Context(), ExplainQuery{Lock: "a", Member: "b"}); err == nil {
		t.Error("a non-http hub url was accepted")
	}
}
