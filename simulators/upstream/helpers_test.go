package upstream

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

const testToken = "sink-token-1"

// body builds an envelope around hand-written events of one epoch.
func body(hub, epoch string, events ...string) string {
	first, last := seqOf(events[0]), seqOf(events[len(events)-1])
	return fmt.Sprintf(`{"schema":"lockhub.events.v1","hub":%q,"epoch":%q,"events":[%s],"first_seq":%d,"last_seq":%d,"count":%d}`,
		hub, epoch, strings.Join(events, ","), first, last, len(events))
}

func seqOf(ev string) uint64 {
	var s uint64
	fmt.Sscanf(ev, `{"seq":%d`, &s)
	return s
}

func decision(seq uint64) string {
	return fmt.Sprintf(`{"seq":%d,"epoch":"e1","type":"decision","time":"2025-03-01T10:00:00Z","lock":"front","allowed":true,"reason":"allowed","name":"Ann"}`, seq)
}

func door(seq uint64, lock string, boot, lockSeq int) string {
	return fmt.Sprintf(`{"seq":%d,"epoch":"e1","type":"door","lock":%q,"boot_epoch":%d,"lock_seq":%d,"door_kind":"opened"}`, seq, lock, boot, lockSeq)
}

func gap(seq, from, to uint64) string {
	return fmt.Sprintf(`{"seq":%d,"epoch":"e1","type":"gap","gap_from":%d,"gap_to":%d,"gap_reason":"outbox_full"}`, seq, from, to)
}

func gz(tb testing.TB, s string) []byte {
	tb.Helper()
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	zw.Write([]byte(s))
	zw.Close()
	return b.Bytes()
}

// post sends one upload to the sink's server and returns the status (0 on a
// transport error).
func post(tb testing.TB, srv *httptest.Server, key string, gzBody []byte, mod func(*http.Request)) (int, error) {
	tb.Helper()
	req, err := http.NewRequest(http.MethodPost, srv.URL+"/v1/events", bytes.NewReader(gzBody))
	if err != nil {
		tb.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+testToken)
	req.Header.Set("Content-Encoding", "gzip")
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Idempotency-Key", key)
	if mod != nil {
		mod(req)
	}
	resp, err := srv.Client().Do(req)
	if err != nil {
		return 0, err
	}
	resp.Body.Close()
	return resp.StatusCode, nil
}

func newServer(tb testing.TB, cfg Config) (*Sink, *httptest.Server) {
	tb.Helper()
	if cfg.Token == "" {
		cfg.Token = testToken
	}
	s := New(cfg)
	srv := httptest.NewServer(s)
	tb.Cleanup(srv.Close)
	return s, srv
}
