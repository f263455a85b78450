package events

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/lockhub/lockhub/policy"
)

func TestAppendWire(t *testing.T) {
	at := time.Date(2025, 3, 1, 10, 0, 0, 123456789, time.UTC)
	tests := []struct {
		name string
		ev   Event
		want map[string]any // every key of the object, exactly
	}{
		{"decision with personal fields", Event{
			Seq: 7, Epoch: "e1", Type: TypeDecision, Time: at, Ingest: at.Add(time.Second),
			Lock: "front", RequestID: "r1", Domain: "office", Member: "m-1",
			Allowed: false, Reason: policy.ReasonOutsideSchedule, Credential: policy.CredPIN,
			Grant:  policy.GrantKey{Origin: policy.OriginWebhook, Kind: policy.KindPass, Reference: "p-9"},
			Access: "acc", Personal: Personal{Name: "Ann \"Q\"\n", Email: "a@x", CredentialRef: "pin#3f"},
		}, map[string]any{
			"seq": 7.0, "epoch": "e1", "type": "decision", "time": "2025-03-01T10:00:00.123456789Z",
			"ingest": "2025-03-01T10:00:01.123456789Z", "lock": "front", "request_id": "r1",
			"domain": "office", "member": "m-1", "allowed": false, "reason": policy.ReasonOutsideSchedule.String(),
			"credential_type": "pin", "grant_origin": "webhook", "grant_kind": "pass", "grant_ref": "p-9",
			"access": "acc", "name": "Ann \"Q\"\n", "email": "a@x", "credential_ref": "pin#3f",
		}},
		{"scrubbed decision", Event{
			Seq: 8, Epoch: "e1", Type: TypeDecision, Time: at, Allowed: true, Reason: policy.ReasonAllowed,
			Scrubbed: true,
		}, map[string]any{
			"seq": 8.0, "epoch": "e1", "type": "decision", "time": "2025-03-01T10:00:00.123456789Z",
			"allowed": true, "reason": "allowed", "scrubbed": true,
		}},
		{"door", Event{
			Seq: 9, Epoch: "e1", Type: TypeDoor, Lock: "garage", Boot: 4, LockSeq: 1 << 40,
			DoorKind: "forced", HasBattery: true, Battery: 0,
		}, map[string]any{
			"seq": 9.0, "epoch": "e1", "type": "door", "lock": "garage", "boot_epoch": 4.0,
			"lock_seq": float64(1 << 40), "door_kind": "forced", "battery": 0.0,
		}},
		{"gap", Event{Seq: 10, Epoch: "e1", Type: TypeGap, GapFrom: 1, GapTo: 5, GapReason: GapOutboxFull},
			map[string]any{"seq": 10.0, "epoch": "e1", "type": "gap", "gap_from": 1.0, "gap_to": 5.0, "gap_reason": "outbox_full"}},
		{"admin with odd bytes", Event{Seq: 11, Epoch: "e1", Type: TypeAdmin, Action: "revoke\x00\x1f\xff", Actor: "ådmin\\"},
			map[string]any{"seq": 11.0, "epoch": "e1", "type": "admin", "action": "revoke\x00\x1f\ufffd", "actor": "ådmin\\"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := AppendWire(nil, &tc.ev)
			var got map[string]any
			if err := json.Unmarshal(b, &got); err != nil {
				t.Fatalf("AppendWire = %s: not JSON: %v", b, err)
			}
			if len(got) != len(tc.want) {
				t.Errorf("AppendWire = %s\nhas %d keys, want %d", b, len(got), len(tc.want))
			}
			for k, w := range tc.want {
				if got[k] != w {
					t.Errorf("%s = %#v, want %#v", k, got[k], w)
				}
			}
		})
	}
}

func TestPeekWireRangeWireAndUploadState(t *testing.T) {
	l := openLog(t, testConfig(t.TempDir()))
	for i := range 10 {
		ev := decisionEvent(i)
		ev.Personal = Personal{Name: "N" + itoa(i)}
		mustAppend(t, l, ev)
	}
	collect := func(scan func(WireFunc) error, stopAt int) []uint64 {
		t.Helper()
		var seqs []uint64
		if err := scan(func(seq uint64, wire []byte) bool {
			var m map[string]any
			if err := json.Unmarshal(wire, &m); err != nil || m["seq"] != float64(seq) || m["name"] == nil {
				t.Errorf("wire of %d = %s (%v)", seq, wire, err)
			}
			seqs = append(seqs, seq)
			return len(seqs) < stopAt
		}); err != nil {
			t.Fatal(err)
		}
		return seqs
	}
	peek := func(after uint64, stop int) []uint64 {
		return collect(func(fn WireFunc) error { return l.PeekWire(after, fn) }, stop)
	}
	if got := peek(0, 100); len(got) != 10 || got[0] != 1 || got[9] != 10 {
		t.Fatalf("PeekWire(0) = %v", got)
	}
	if got := peek(3, 2); len(got) != 2 || got[0] != 4 {
		t.Fatalf("PeekWire(3) stopping after 2 = %v", got)
	}
	if err := l.SaveUploadState([]byte(`{"x":1}`), 6); err != nil {
		t.Fatal(err)
	}
	if got := peek(0, 100); len(got) != 4 || got[0] != 7 {
		t.Errorf("PeekWire after ack 6 = %v", got)
	}
	if n, _ := l.Pending(); n != 4 {
		t.Errorf("Pending = %d, want 4", n)
	}
	got := collect(func(fn WireFunc) error { return l.RangeWire(2, 5, fn) }, 100)
	if len(got) != 4 || got[0] != 2 || got[3] != 5 {
		t.Errorf("RangeWire(2,5) below the pointer = %v", got)
	}
	// Backwards ack is ignored; the state is replaced; empty deletes.
	if err := l.SaveUploadState([]byte(`{"x":2}`), 3); err != nil {
		t.Fatal(err)
	}
	if st := l.Stats(); st.AckedUpto != 6 {
		t.Errorf("AckedUpto = %d after a backwards save, want 6", st.AckedUpto)
	}
	l.Close()
	l = openLog(t, testConfig(l.cfg.Dir[:len(l.cfg.Dir)-len("/events")]))
	if b, err := l.UploadState(); err != nil || string(b) != `{"x":2}` {
		t.Errorf("UploadState after reopen = %q, %v", b, err)
	}
	if st := l.Stats(); st.AckedUpto != 6 {
		t.Errorf("AckedUpto after reopen = %d", st.AckedUpto)
	}
	if err := l.SaveUploadState(nil, 0); err != nil {
		t.Fatal(err)
	}
	if b, err := l.UploadState(); err != nil || b != nil {
		t.Errorf("UploadState after delete = %q, %v", b, err)
	}
	if err := l.SaveUploadState(make([]byte, MaxUploadState+1), 0); err == nil {
		t.Error("oversize upload state accepted")
	}
}

// FuzzAppendWire checks that any field content gives valid JSON that reads
// back as the (UTF-8 sanitised) input.
func FuzzAppendWire(f *testing.F) {
	f.Add("plain", "naïve \"quoted\" \\ back", "\x00\x01\x1f\x7f")
	f.Fuzz(func(t *testing.T, a, b, c string) {
		ev := Event{Seq: 1, Epoch: a, Type: TypeAdmin, Action: b, Actor: c, Personal: Personal{Name: a + c}}
		w := AppendWire(nil, &ev)
		var m map[string]any
		if err := json.Unmarshal(w, &m); err != nil {
			t.Fatalf("AppendWire(%q,%q,%q) = %s: %v", a, b, c, w, err)
		}
		for k, v := range map[string]string{"epoch": a, "action": b, "actor": c, "name": a + c} {
			want := strings.ToValidUTF8(v, "\ufffd")
			if v == "" && k != "epoch" {
				continue
			}
			if got, _ := m[k].(string); got != want && utf8.ValidString(v) {
				t.Errorf("%s = %q, want %q", k, got, want)
			}
		}
	})
}
