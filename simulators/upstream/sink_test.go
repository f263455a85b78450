package upstream

import (
	"context"
	"errors"
	"net"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestSinkContract(t *testing.T) {
	s, srv := newServer(t, Config{MaxBodyBytes: 4 << 10, MaxDecodedBytes: 64 << 10, MaxEvents: 50})
	good := gz(t, body("hub-1", "e1", decision(1), decision(2)))
	big := make([]string, 60)
	for i := range big {
		big[i] = decision(uint64(i + 1))
	}
	tests := []struct {
		name string
		key  string
		body []byte
		mod  func(*http.Request)
		want int
	}{
		{"get", "k1", good, func(r *http.Request) { r.Method = http.MethodGet }, 405},
		{"no token", "k1", good, func(r *http.Request) { r.Header.Del("Authorization") }, 401},
		{"wrong token", "k1", good, func(r *http.Request) { r.Header.Set("Authorization", "Bearer nope") }, 401},
		{"no key", "", good, nil, 400},
		{"key with space", "a b", good, nil, 400},
		{"not gzip", "k1", []byte(body("hub-1", "e1", decision(1))), func(r *http.Request) { r.Header.Del("Content-Encoding") }, 415},
		{"bad gzip", "k1", []byte("not gzip at all"), nil, 400},
		{"body too large", "k1", make([]byte, 5<<10), nil, 413},
		{"decoded too large", "k1", gz(t, strings.Repeat(" ", 65<<10)), nil, 413},
		{"garbage json", "k1", gz(t, "{nope"), nil, 400},
		{"unknown field", "k1", gz(t, strings.Replace(body("hub-1", "e1", decision(1)), `"hub"`, `"hubx":1,"hub"`, 1)), nil, 400},
		{"too many events", "k1", gz(t, body("hub-1", "e1", big...)), nil, 400},
		{"good", "k1", good, nil, 200},
		{"replay", "k1", good, nil, 200},
		{"same key, other body", "k1", gz(t, body("hub-1", "e1", decision(1), decision(3))), nil, 422},
	}
	for _, tc := range tests {
		got, err := post(t, srv, tc.key, tc.body, tc.mod)
		if err != nil || got != tc.want {
			t.Errorf("%s: status %d (%v), want %d", tc.name, got, err, tc.want)
		}
	}
	r := s.Report()
	if r.Accepted != 1 || r.Replays != 1 || r.Conflicts != 1 || r.Unique != 2 || r.Duplicates != 0 || r.Rejected != 12 {
		t.Errorf("report = %+v", r)
	}
}

func TestSinkGapsAndDuplicates(t *testing.T) {
	s, srv := newServer(t, Config{KeepEvents: true})
	send := func(key string, evs ...string) {
		t.Helper()
		if st, err := post(t, srv, key, gz(t, body("hub-1", "e1", evs...)), nil); err != nil || st != 200 {
			t.Fatalf("post %s: %d %v", key, st, err)
		}
	}
	send("a", decision(1), decision(2), door(3, "garage", 1, 7))
	send("b", decision(6), door(7, "garage", 1, 7), gap(9, 4, 4)) // 5 and 8 lost; 4 declared
	send("c", decision(2), decision(10))                          // 2 again under another key
	scrubbed := `{"seq":11,"epoch":"e1","type":"admin","action":"x","scrubbed":true}`
	send("d", scrubbed)
	send("e", strings.Replace(decision(1), `"epoch":"e1"`, `"epoch":"e2"`, 1))

	r := s.Report()
	if r.Unique != 9 || r.Duplicates != 1 || r.DoorDuplicates != 1 || r.Gaps != 1 || r.Scrubbed != 1 || r.Events != 10 {
		t.Errorf("report counts = %+v", r)
	}
	want := []StreamReport{
		{Hub: "hub-1", Epoch: "e1", FirstSeq: 1, LastSeq: 11, Unique: 8,
			Missing: []Range{{5, 5}, {8, 8}}, Declared: []Range{{4, 4}}, DeclaredEvents: 1},
		{Hub: "hub-1", Epoch: "e2", FirstSeq: 1, LastSeq: 1, Unique: 1},
	}
	if !reflect.DeepEqual(r.Streams, want) {
		t.Errorf("streams =\n%+v\nwant\n%+v", r.Streams, want)
	}
	if ev, ok := s.Event("hub-1", "e1", 1); !ok || ev.Name != "Ann" {
		t.Errorf("Event(1) = %+v %v", ev, ok)
	}
	if ev, ok := s.Event("hub-1", "e1", 11); !ok || !ev.Scrubbed || ev.HasPersonal() {
		t.Errorf("Event(11) = %+v %v", ev, ok)
	}
}

func TestSinkFaults(t *testing.T) {
	s, srv := newServer(t, Config{})
	b1 := gz(t, body("hub-1", "e1", decision(1), decision(2)))
	b2 := gz(t, body("hub-1", "e1", decision(3)))

	s.SetFaults(Fault{Kind: FaultStatus, Status: 429, RetryAfter: "7", Times: 1})
	req, _ := http.NewRequest(http.MethodPost, srv.URL, strings.NewReader(string(b1)))
	req.Header.Set("Authorization", "Bearer "+testToken)
	req.Header.Set("Content-Encoding", "gzip")
	req.Header.Set("Idempotency-Key", "k1")
	resp, err := srv.Client().Do(req)
	if err != nil || resp.StatusCode != 429 || resp.Header.Get("Retry-After") != "7" {
		t.Fatalf("429 fault: %v %v", resp, err)
	}
	resp.Body.Close()

	// A 400 only for the batch holding seq 3: others pass.
	s.SetFaults(Fault{Kind: FaultStatus, Status: 400, Seq: 3, Message: "bad lock id"})
	if st, _ := post(t, srv, "k2", b2, nil); st != 400 {
		t.Errorf("seq-targeted fault: %d, want 400", st)
	}
	if st, _ := post(t, srv, "k1", b1, nil); st != 200 {
		t.Errorf("other batch under seq fault: %d, want 200", st)
	}

	s.SetFaults(Fault{Kind: FaultDropBody, Times: 1})
	if st, err := post(t, srv, "k2", b2, nil); err == nil {
		t.Errorf("drop mid-body: status %d, want a transport error", st)
	}
	s.SetFaults(Fault{Kind: FaultLostAnswer, Times: 1})
	if st, err := post(t, srv, "k3", b2, nil); err == nil {
		t.Errorf("lost answer: status %d, want a transport error", st)
	}
	if st, _ := post(t, srv, "k3", b2, nil); st != 200 {
		t.Errorf("resend after lost answer: %d", st)
	}
	s.SetFaults(Fault{Kind: FaultSlow, Delay: 50 * time.Millisecond, Times: 1})
	start := time.Now()
	if st, _ := post(t, srv, "k3", b2, nil); st != 200 || time.Since(start) < 50*time.Millisecond {
		t.Errorf("slow: %d after %v", st, time.Since(start))
	}
	r := s.Report()
	if r.Unique != 3 || r.Replays != 2 || r.Faulted != 5 || r.Duplicates != 0 {
		t.Errorf("report = %+v", r)
	}
}

func TestServe(t *testing.T) {
	s := New(Config{Token: testToken})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx, ln, nil) }()
	resp, err := http.Get("http://" + ln.Addr().String() + "/")
	if err != nil || resp.StatusCode != 405 {
		t.Fatalf("GET = %v %v", resp, err)
	}
	resp.Body.Close()
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Serve = %v", err)
	}
	if err := s.Run(t.Context(), "256.0.0.1:1", nil); err == nil {
		t.Error("Run on a bad address succeeded")
	}
}

func TestDecodeBatch(t *testing.T) {
	tests := []struct {
		name, body, want string // want: "" or a substring of the error
	}{
		{"good", body("h", "e", decision(1), door(2, "l", 0, 0), gap(5, 3, 4)), ""},
		{"empty", ``, "EOF"},
		{"trailing", body("h", "e", decision(1)) + `{}`, "after the batch"},
		{"schema", strings.Replace(body("h", "e", decision(1)), "v1", "v9", 1), "schema"},
		{"no hub", body("", "e", decision(1)), "hub"},
		{"no events", `{"schema":"lockhub.events.v1","hub":"h","epoch":"e","events":[],"count":0}`, "no events"},
		{"count", strings.Replace(body("h", "e", decision(1)), `"count":1`, `"count":2`, 1), "count"},
		{"range", strings.Replace(body("h", "e", decision(1)), `"last_seq":1`, `"last_seq":2`, 1), "range"},
		{"order", body("h", "e", decision(2), decision(2)), "not above"},
		{"seq zero", body("h", "e", decision(0)), "not above"},
		{"type", body("h", "e", `{"seq":1,"epoch":"e","type":"boom"}`), "unknown type"},
		{"no epoch", body("h", "e", `{"seq":1,"type":"admin"}`), "epoch"},
		{"decision incomplete", body("h", "e", `{"seq":1,"epoch":"e","type":"decision","reason":"allowed"}`), "allowed"},
		{"allowed mismatch", body("h", "e", `{"seq":1,"epoch":"e","type":"decision","allowed":false,"reason":"allowed"}`), "allowed false"},
		{"door incomplete", body("h", "e", `{"seq":1,"epoch":"e","type":"door","lock":"l"}`), "boot_epoch"},
		{"battery", body("h", "e", `{"seq":1,"epoch":"e","type":"door","lock":"l","boot_epoch":1,"lock_seq":1,"battery":101}`), "battery"},
		{"gap range", body("h", "e", gap(9, 5, 4)), "gap record"},
		{"gap after", body("h", "e", gap(9, 5, 9)), "not before"},
		{"scrubbed personal", body("h", "e", `{"seq":1,"epoch":"e","type":"admin","scrubbed":true,"email":"x"}`), "scrubbed"},
		{"bad time", body("h", "e", `{"seq":1,"epoch":"e","type":"admin","time":"yesterday"}`), "bad time"},
		{"long field", body("h", "e", `{"seq":1,"epoch":"e","type":"admin","actor":"`+strings.Repeat("x", 1025)+`"}`), "field of"},
		{"wrong type", body("h", "e", `{"seq":"1","epoch":"e","type":"admin"}`), "cannot unmarshal"},
	}
	for _, tc := range tests {
		_, err := DecodeBatch([]byte(tc.body), 10)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%s: DecodeBatch = %v", tc.name, err)
		case tc.want != "" && (err == nil || !errors.Is(err, ErrBadBatch) || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%s: DecodeBatch = %v, want an ErrBadBatch with %q", tc.name, err, tc.want)
		}
	}
}
