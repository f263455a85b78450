package upload

import (
	"errors"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func TestClassify(t *testing.T) {
	now := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		status     int
		retryAfter string
		body       string
		kind       outcomeKind
		after      time.Duration
		msg        string
	}{
		{200, "", "", outcomeOK, 0, ""},
		{204, "", "", outcomeOK, 0, ""},
		{400, "", `{"error":"bad lock"}`, outcomePark, 0, "upstream answered 400: bad lock"},
		{413, "", "too big", outcomePark, 0, "upstream answered 413: too big"},
		{422, "", `{"error":{"message":"key reused"}}`, outcomePark, 0, "upstream answered 422: key reused"},
		{410, "", "", outcomePark, 0, "upstream answered 410"},
		{408, "", "", outcomeRetry, 0, "upstream answered 408"},
		{409, "3", "", outcomeRetry, 3 * time.Second, "upstream answered 409"},
		{429, "120", `{"message":"slow down"}`, outcomeRetry, 2 * time.Minute, "upstream answered 429: slow down"},
		{401, "", "", outcomeRetry, 0, "upstream answered 401"},
		{403, "", "", outcomeRetry, 0, "upstream answered 403"},
		{404, "", "<html>nope</html>", outcomeRetry, 0, "upstream answered 404: <html>nope</html>"},
		{500, "", "", outcomeRetry, 0, "upstream answered 500"},
		{503, "Sat, 01 Mar 2025 12:00:30 GMT", "", outcomeRetry, 30 * time.Second, "upstream answered 503"},
		{302, "", "", outcomeRetry, 0, "upstream answered 302"},
	}
	for _, tc := range tests {
		o := classify(tc.status, tc.retryAfter, []byte(tc.body), now)
		if o.kind != tc.kind || o.retryAfter != tc.after || o.msg != tc.msg || o.status != tc.status {
			t.Errorf("classify(%d, %q, %q) = %+v, want kind %d after %v msg %q", tc.status, tc.retryAfter, tc.body,
				o, tc.kind, tc.after, tc.msg)
		}
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"", 0, false},
		{"0", 0, true},
		{" 7 ", 7 * time.Second, true},
		{"4294967295", 4294967295 * time.Second, true},
		{"4294967296", 0, false},
		{"-1", 0, false},
		{"1.5", 0, false},
		{"Sat, 01 Mar 2025 12:01:00 GMT", time.Minute, true},
		{"Saturday, 01-Mar-25 12:01:00 GMT", time.Minute, true},
		{"Sat, 01 Mar 2025 11:00:00 GMT", 0, true}, // past
		{"tomorrow", 0, false},
		{strings.Repeat("9", 65), 0, false},
	}
	for _, tc := range tests {
		got, ok := parseRetryAfter(tc.in, now)
		if got != tc.want || ok != tc.ok {
			t.Errorf("parseRetryAfter(%q) = %v %v, want %v %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

func TestServerMessage(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{`{"error":"x"}`, "x"},
		{`{"error":{"message":"nested"}}`, "nested"},
		{`{"message":"m"}`, "m"},
		{`{"error":42}`, `{"error":42}`},
		{"line1\nline2\t\x00end  ", "line1 line2 end"},
		{"\xff\xfebad", "\ufffdbad"},
		{strings.Repeat("é", 300), strings.Repeat("é", 100)},
	}
	for _, tc := range tests {
		if got := serverMessage([]byte(tc.in)); got != tc.want {
			t.Errorf("serverMessage(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestDecodeState(t *testing.T) {
	const dig = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
	rec := `{"key":"lh1-ab-1-10","epoch":"e","first_seq":1,"last_seq":10,"count":10,"sha256":"` + dig + `"}`
	tests := []struct {
		name, in string
		ok       bool
	}{
		{"empty", ``, true},
		{"inflight", `{"v":1,"inflight":` + rec + `}`, true},
		{"parked", `{"v":1,"parked":[` + strings.Replace(rec, `"count":10`, `"count":3,"status":400,"message":"m","parked_at":"2025-03-01T00:00:00Z"`, 1) + `]}`, true},
		{"garbage", `nope`, false},
		{"trailing", `{"v":1}{}`, false},
		{"version", `{"v":2}`, false},
		{"unknown field", `{"v":1,"x":1}`, false},
		{"no key", `{"v":1,"inflight":` + strings.Replace(rec, `"lh1-ab-1-10"`, `""`, 1) + `}`, false},
		{"key with space", `{"v":1,"inflight":` + strings.Replace(rec, `lh1-ab`, `lh1 ab`, 1) + `}`, false},
		{"range", `{"v":1,"inflight":` + strings.Replace(rec, `"first_seq":1`, `"first_seq":11`, 1) + `}`, false},
		{"count", `{"v":1,"inflight":` + strings.Replace(rec, `"count":10`, `"count":11`, 1) + `}`, false},
		{"digest", `{"v":1,"inflight":` + strings.Replace(rec, dig, "abc", 1) + `}`, false},
		{"no epoch", `{"v":1,"inflight":` + strings.Replace(rec, `"epoch":"e"`, `"epoch":""`, 1) + `}`, false},
		{"status", `{"v":1,"parked":[` + strings.Replace(rec, `"count":10`, `"count":10,"status":7`, 1) + `]}`, false},
		{"wrong type", `{"v":"1"}`, false},
	}
	for _, tc := range tests {
		st, err := decodeState([]byte(tc.in))
		if (err == nil) != tc.ok {
			t.Errorf("%s: decodeState = %v, want ok %v", tc.name, err, tc.ok)
			continue
		}
		if err != nil && !errors.Is(err, errBadState) {
			t.Errorf("%s: error %v is not errBadState", tc.name, err)
		}
		if err == nil && tc.in != "" {
			enc := st.encode()
			again, err := decodeState(enc)
			if err != nil || string(again.encode()) != string(enc) || !strings.Contains(string(enc), `"key":"lh1-ab-1-10"`) {
				t.Errorf("%s: re-encoded as %s (%v)", tc.name, enc, err)
			}
		}
	}
}

func TestIdempotencyKey(t *testing.T) {
	a := idempotencyKey("hub", "e1", 1, 500, 0)
	if !strings.HasPrefix(a, "lh1-") || !strings.HasSuffix(a, "-1-500") || !validKey(a) {
		t.Errorf("key = %q", a)
	}
	for _, b := range []string{idempotencyKey("hub", "e2", 1, 500, 0), idempotencyKey("hub2", "e1", 1, 500, 0),
		idempotencyKey("hu", "be1", 1, 500, 0), idempotencyKey("hub", "e1", 1, 501, 0), idempotencyKey("hub", "e1", 1, 500, 1)} {
		if b == a {
			t.Errorf("different inputs share key %q", a)
		}
	}
	if k := idempotencyKey("hub", "e1", 1, 500, 2); !strings.HasSuffix(k, "-1-500-r2") {
		t.Errorf("revision key = %q", k)
	}
	if k := idempotencyKey(strings.Repeat("h", 128), strings.Repeat("e", 128), 1<<63, 1<<63, 1<<20); !validKey(k) {
		t.Errorf("longest key invalid: %q", k)
	}
}

func FuzzDecodeState(f *testing.F) {
	f.Add([]byte(`{"v":1}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		st, err := decodeState(data)
		if err != nil {
			return
		}
		again, err := decodeState(st.encode())
		if err != nil {
			t.Fatalf("re-encoded state does not decode: %v", err)
		}
		if len(again.Parked) != len(st.Parked) || (again.Inflight == nil) != (st.Inflight == nil) {
			t.Fatalf("state changed in a round trip")
		}
	})
}

func FuzzParseRetryAfter(f *testing.F) {
	f.Add("120")
	now := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, s string) {
		d, ok := parseRetryAfter(s, now)
		if d < 0 || (!ok && d != 0) {
			t.Fatalf("parseRetryAfter(%q) = %v %v", s, d, ok)
		}
	})
}

func FuzzServerMessage(f *testing.F) {
	f.Add([]byte(`{"error":"x"}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		m := serverMessage(body)
		if len(m) > maxMessageLen || !utf8.ValidString(m) || strings.ContainsAny(m, "\n\r\t\x00") {
			t.Fatalf("serverMessage = %q", m)
		}
	})
}
