package pull_test

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/lockhub/lockhub/sync/pull"
)

// FuzzWebhookHandler drives arbitrary bodies through the webhook handler
// into a real store: it must answer 204, 400 or 413 (never 5xx, never a
// panic), and a refused body must change nothing.
func FuzzWebhookHandler(f *testing.F) {
	f.Add([]byte(`{"time":"2025-03-04T08:44:10.1234567Z","business":{"id":1,"uniqueId":"b"},"coworker":{"id":2,"uniqueId":"c","accessCardId":"04A1B2C3"},"groups":["grp-lobby"],"schedule":[{"group":"grp-lobby","expires_on":"2030-01-01T00:00:00Z"}]}`))
	f.Add([]byte(`{"time":"2025-03-04T08:44:10Z","business":{"uniqueId":"b"},"coworker":{"uniqueId":"c"},"groups":[]}`))
	f.Add([]byte(`[]`))
	e := newEnv(f, envOpts{})
	h := e.syncer.WebhookHandler()
	f.Fuzz(func(t *testing.T, body []byte) {
		before := e.store.Counts()
		req := httptest.NewRequest(http.MethodPost, pull.PathWebhook, bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+webhookToken)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		switch rec.Code {
		case http.StatusNoContent:
		case http.StatusBadRequest, http.StatusRequestEntityTooLarge:
			if after := e.store.Counts(); after != before {
				t.Errorf("refused body changed the store: %+v → %+v", before, after)
			}
		default:
			t.Errorf("status %d for body %q", rec.Code, body)
		}
	})
}
