package events

import (
	"bytes"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/lockhub/lockhub/policy"
)

func sampleEvents() map[string]Event {
	t0 := time.Date(2025, 3, 1, 10, 0, 0, 123, time.UTC)
	return map[string]Event{
		"decision allowed": {Seq: 1, Epoch: "e1", Time: t0, Ingest: t0.Add(time.Millisecond), Type: TypeDecision,
			Lock: "front", RequestID: "r1", Domain: "office", Member: "m1", Allowed: true,
			Reason: policy.ReasonAllowed, Credential: policy.CredPIN,
			Grant: policy.GrantKey{Origin: policy.OriginWebhook, Kind: policy.KindGroup, Reference: "g-9"}, Access: "a1"},
		"decision denied": {Seq: 2, Epoch: "e1", Ingest: t0, Type: TypeDecision, Lock: "front",
			Reason: policy.ReasonUnknownCredential, Credential: policy.CredCard},
		"door": {Seq: 3, Epoch: "e1", Time: t0, Ingest: t0, Type: TypeDoor, Lock: "garage",
			Boot: 7, LockSeq: 1 << 40, DoorKind: "forced", HasBattery: true, Battery: 55},
		"admin":   {Seq: 4, Epoch: "e1", Ingest: t0, Type: TypeAdmin, Action: "lockdown", Actor: "ops", Lock: "front"},
		"gap":     {Seq: 5, Epoch: "e1", Ingest: t0, Type: TypeGap, GapFrom: 10, GapTo: 20, GapReason: GapOutboxFull},
		"max u64": {Seq: ^uint64(0), Epoch: "e", Type: TypeDoor, Lock: "l", Boot: ^uint32(0), LockSeq: ^uint64(0)},
	}
}

func TestRecordRoundTrip(t *testing.T) {
	for name, ev := range sampleEvents() {
		for _, withPersonal := range []bool{false, true} {
			t.Run(name, func(t *testing.T) {
				var p sealed
				if withPersonal {
					p = sealed{present: true, day: 20148, nonce: bytes.Repeat([]byte{7}, nonceSize),
						ct: bytes.Repeat([]byte{9}, 40)}
				}
				b := appendRecord(nil, &ev, p)
				if n := recordSizeBound(&ev); !withPersonal && len(b) > n {
					t.Errorf("encoded %d bytes > bound %d", len(b), n)
				}
				var got Event
				gp, err := decodeRecord(b, &got)
				if err != nil {
					t.Fatalf("decodeRecord: %v", err)
				}
				if !reflect.DeepEqual(got, ev) {
					t.Errorf("decodeRecord = %+v, want %+v", got, ev)
				}
				if !reflect.DeepEqual(gp, p) && (gp.present || p.present) {
					t.Errorf("sealed = %+v, want %+v", gp, p)
				}
				if in, ok := recordIngest(b); !ok || !in.Equal(ev.Ingest) {
					t.Errorf("recordIngest = %v %v, want %v", in, ok, ev.Ingest)
				}
			})
		}
	}
}

func TestDecodeRecordRejects(t *testing.T) {
	good := sampleEvents()["decision allowed"]
	valid := appendRecord(nil, &good, sealed{present: true, day: 1, nonce: make([]byte, nonceSize), ct: make([]byte, 16)})
	mutate := func(f func(b []byte) []byte) []byte { return f(bytes.Clone(valid)) }
	bad := func(ev Event) []byte { return appendRecord(nil, &ev, sealed{}) }

	tests := []struct {
		name string
		in   []byte
		want error
	}{
		{"empty", nil, ErrCorrupt},
		{"garbage", []byte("hello, this is not a record"), ErrCorrupt},
		{"unknown version", mutate(func(b []byte) []byte { b[0] = 2; return b }), ErrCorrupt},
		{"unknown type", mutate(func(b []byte) []byte { b[1] = 9; return b }), ErrCorrupt},
		{"trailing bytes", append(bytes.Clone(valid), 0), ErrCorrupt},
		{"oversize record", make([]byte, MaxRecordSize+1), ErrTooLarge},
		{"oversize field", append([]byte{recordVersion, byte(TypeAdmin), 1, 0xdc, 0x0b}, make([]byte, 2000)...), ErrTooLarge},
		{"bad personal flag", append(bad(good)[:len(bad(good))-1], 2), ErrCorrupt},
		{"short ciphertext", appendRecord(nil, &good, sealed{present: true, nonce: make([]byte, nonceSize), ct: make([]byte, 3)}), ErrCorrupt},
		{"bad reason", bad(Event{Type: TypeDecision, Reason: 200}), ErrCorrupt},
		{"reason none", bad(Event{Type: TypeDecision}), ErrCorrupt},
		{"allowed mismatch", bad(Event{Type: TypeDecision, Reason: policy.ReasonNoGrant, Allowed: true}), ErrCorrupt},
		{"bad credential", bad(Event{Type: TypeDecision, Reason: policy.ReasonNoGrant, Credential: 77}), ErrCorrupt},
		{"bad origin", bad(Event{Type: TypeDecision, Reason: policy.ReasonNoGrant, Grant: policy.GrantKey{Origin: 99}}), ErrCorrupt},
		{"door without lock", bad(Event{Type: TypeDoor}), ErrCorrupt},
		{"battery over 100", bad(Event{Type: TypeDoor, Lock: "l", HasBattery: true, Battery: 101}), ErrCorrupt},
		{"empty gap", bad(Event{Type: TypeGap}), ErrCorrupt},
		{"reversed gap", bad(Event{Type: TypeGap, GapFrom: 5, GapTo: 4}), ErrCorrupt},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var ev Event
			_, err := decodeRecord(tc.in, &ev)
			if !errors.Is(err, tc.want) {
				t.Fatalf("decodeRecord error = %v, want %v", err, tc.want)
			}
			if !reflect.DeepEqual(ev, Event{}) {
				t.Errorf("event not reset after error: %+v", ev)
			}
		})
	}
}

// Every strict prefix of a valid record (every field missing from some point
// on) is refused.
func TestDecodeRecordTruncated(t *testing.T) {
	for name, ev := range sampleEvents() {
		b := appendRecord(nil, &ev, sealed{present: true, day: 3, nonce: make([]byte, nonceSize), ct: make([]byte, 20)})
		for n := range len(b) {
			var got Event
			if _, err := decodeRecord(b[:n], &got); err == nil {
				t.Fatalf("%s: decodeRecord of %d/%d bytes succeeded", name, n, len(b))
			}
		}
	}
}

func TestPersonalCodec(t *testing.T) {
	p := Personal{Name: "Ada Lovelace", Email: "ada@example.org", CredentialRef: "…3f9a"}
	got, err := decodePersonal(appendPersonal(nil, p))
	if err != nil || got != p {
		t.Fatalf("decodePersonal = %+v, %v; want %+v", got, err, p)
	}
	for _, in := range [][]byte{nil, {2}, {1, 5, 'a'}, append(appendPersonal(nil, p), 0),
		append([]byte{1, 0xff, 0xff, 0x01}, strings.Repeat("x", 40000)...)} {
		if _, err := decodePersonal(in); err == nil {
			t.Errorf("decodePersonal(%q) succeeded", in[:min(len(in), 16)])
		}
	}
}

// FuzzDecodeRecord feeds arbitrary bytes to the record decoder: it must
// never panic, and whatever it accepts must encode back to the same bytes.
func FuzzDecodeRecord(f *testing.F) {
	for _, ev := range sampleEvents() {
		f.Add(appendRecord(nil, &ev, sealed{}))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var ev Event
		p, err := decodeRecord(b, &ev)
		if err != nil {
			return
		}
		again := appendRecord(nil, &ev, p)
		if !bytes.Equal(again, b) {
			// Varints have one canonical form on encode; the decoder may
			// accept longer ones, so compare decoded values instead.
			var ev2 Event
			p2, err := decodeRecord(again, &ev2)
			if err != nil || !reflect.DeepEqual(ev, ev2) || !reflect.DeepEqual(p, p2) {
				t.Fatalf("re-encode mismatch: %v\n%+v\n%+v", err, ev, ev2)
			}
		}
	})
}

// FuzzDecodePersonal does the same for the decrypted personal section.
func FuzzDecodePersonal(f *testing.F) {
	f.Add(appendPersonal(nil, Personal{Name: "n", Email: "e", CredentialRef: "c"}))
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := decodePersonal(b)
		if err != nil {
			return
		}
		if got, err := decodePersonal(appendPersonal(nil, p)); err != nil || got != p {
			t.Fatalf("round trip: %+v %v, want %+v", got, err, p)
		}
	})
}
