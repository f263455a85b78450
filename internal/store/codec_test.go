package store

import (
	"bytes"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/lockhub/lockhub/policy"
)

// record kinds for table tests and the fuzz target.
const (
	recDomain = iota
	recMember
	recLock
	recAccess
	recGrant
	recLockState
	recString
	recTime
	numRecs
)

// decodeAny decodes b as record kind k and re-encodes the result; ok is
// false when the decoder refused b.
func decodeAny(k int, b []byte) (val any, again []byte, err error) {
	switch k {
	case recDomain:
		d, zone, err := decodeDomain(b)
		if err != nil {
			return nil, nil, err
		}
		if zone != "" {
			d.Zone = time.FixedZone(zone, 0) // encode needs only the name
		}
		return struct {
			D    policy.Domain
			Zone string
		}{policy.Domain{ID: d.ID, Name: d.Name, Retention: d.Retention, NexudusBusiness: d.NexudusBusiness, Origin: d.Origin}, zone}, encodeDomain(nil, &d), nil
	case recMember:
		m, c, err := decodeMember(b)
		if err != nil {
			return nil, nil, err
		}
		return struct {
			M policy.Member
			C []policy.Credential
		}{m, c}, encodeMember(nil, &m, c), nil
	case recLock:
		l, err := decodeLock(b)
		if err != nil {
			return nil, nil, err
		}
		return l, encodeLock(nil, &l), nil
	case recAccess:
		a, err := decodeAccess(b)
		if err != nil {
			return nil, nil, err
		}
		return a, encodeAccess(nil, &a), nil
	case recGrant:
		key := gk(policy.OriginWebhook, policy.KindGroup, "ref")
		g, err := decodeGrant(key, b)
		if err != nil {
			return nil, nil, err
		}
		return g, encodeGrant(nil, &g), nil
	case recLockState:
		s, err := decodeLockState(b)
		if err != nil {
			return nil, nil, err
		}
		return s, encodeLockState(nil, &s), nil
	case recString:
		s, err := decodeString(b)
		if err != nil {
			return nil, nil, err
		}
		return s, encodeString(nil, s), nil
	default:
		t, err := decodeTime(b)
		if err != nil {
			return nil, nil, err
		}
		return t, encodeTime(nil, t), nil
	}
}

func sampleRecords(tb testing.TB) [numRecs][]byte {
	tb.Helper()
	berlin := mustZone(tb, "Europe/Berlin")
	win, err := policy.NewSchedule([]policy.Window{{Days: 0b0111110, Start: 480, End: 1080}, {Days: policy.AllDays, Start: 1320, End: 360}},
		[]policy.Date{20261225, 20261226})
	if err != nil {
		tb.Fatal(err)
	}
	var r [numRecs][]byte
	r[recDomain] = encodeDomain(nil, &policy.Domain{ID: "hq", Name: "Head quarters", Zone: berlin, Retention: 30 * 24 * time.Hour, NexudusBusiness: "b-1", Origin: policy.OriginConfig})
	r[recMember] = encodeMember(nil, &policy.Member{ID: "m-1", Domain: "hq", Name: "Zoë", Email: "z@example.org", Status: policy.StatusSuspended, Origin: policy.OriginNexudusREST},
		[]policy.Credential{digest(tb, policy.CredCard, "04A1"), digest(tb, policy.CredPIN, "123456")})
	r[recLock] = encodeLock(nil, &policy.Lock{ID: "front", Domain: "hq", Name: "Front", OfflineHorizon: time.Hour, CheckIn: true, UnlockDuration: 3 * time.Second, FailMode: policy.FailSafe, KeyGeneration: 1<<32 - 1, Origin: policy.OriginAdmin})
	r[recAccess] = encodeAccess(nil, &policy.Access{ID: "acc", Domain: "hq", Name: "Office", Locks: []string{"front", "back"}, Schedule: win, Origin: policy.OriginWebhook})
	r[recGrant] = encodeGrant(nil, &policy.Grant{Member: "m-1", Access: "acc", From: time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC), Until: time.Date(1969, 1, 1, 0, 0, 0, 1, time.UTC)})
	r[recLockState] = encodeLockState(nil, &policy.LockState{Lockdown: true, Released: true, KeypadLockedUntil: time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)})
	r[recString] = encodeString(nil, "2026-11-23T09:00:00Z")
	r[recTime] = encodeTime(nil, time.Date(2100, 1, 1, 0, 0, 0, 999999999, time.UTC))
	return r
}

func TestCodecRoundTrip(t *testing.T) {
	for k, b := range sampleRecords(t) {
		v, again, err := decodeAny(k, b)
		if err != nil {
			t.Errorf("kind %d: decode: %v", k, err)
			continue
		}
		if !bytes.Equal(again, b) {
			t.Errorf("kind %d: re-encoding differs:\n%x\n%x", k, again, b)
		}
		if reflect.ValueOf(v).IsZero() {
			t.Errorf("kind %d: decoded a zero value", k)
		}
	}
	// Field values survive (not just bytes).
	l, err := decodeLock(sampleRecords(t)[recLock])
	if err != nil || l.KeyGeneration != 1<<32-1 || !l.CheckIn || l.FailMode != policy.FailSafe || l.UnlockDuration != 3*time.Second {
		t.Errorf("lock = %+v, %v", l, err)
	}
	a, err := decodeAccess(sampleRecords(t)[recAccess])
	if err != nil || len(a.Schedule.Windows) != 2 || a.Schedule.Windows[1].Start != 1320 || a.Schedule.Holidays[1] != 20261226 || a.Locks[1] != "back" {
		t.Errorf("access = %+v, %v", a, err)
	}
	g, err := decodeGrant(gk(policy.OriginWebhook, policy.KindGroup, "r"), sampleRecords(t)[recGrant])
	if err != nil || g.From.Nanosecond() != 6 || g.Until.Year() != 1969 || g.Reference != "r" {
		t.Errorf("grant = %+v, %v", g, err)
	}
}

func TestCodecRejects(t *testing.T) {
	recs := sampleRecords(t)
	for k, b := range recs {
		// Every proper prefix is truncated.
		for n := range len(b) {
			if _, _, err := decodeAny(k, b[:n]); err == nil {
				t.Errorf("kind %d: accepted a record truncated to %d of %d bytes", k, n, len(b))
			}
		}
		if _, _, err := decodeAny(k, append(bytes.Clone(b), 0)); !errors.Is(err, errTrailing) {
			t.Errorf("kind %d: trailing byte: %v", k, err)
		}
		other := append([]byte{codecVersion + 1}, b[1:]...)
		if _, _, err := decodeAny(k, other); !errors.Is(err, errVersion) {
			t.Errorf("kind %d: version %d: %v", k, codecVersion+1, err)
		}
		if _, _, err := decodeAny(k, append(bytes.Clone(b), make([]byte, maxRecordSize)...)); !errors.Is(err, errTooLarge) {
			t.Errorf("kind %d: oversize: %v", k, err)
		}
	}
	tests := []struct {
		name string
		kind int
		b    []byte
		want error
	}{
		{"empty", recLock, nil, errTruncated},
		{"string too long", recString, append([]byte{codecVersion}, 0x81, 0x40), errTooLong}, // 8193
		{"huge string length", recString, append([]byte{codecVersion}, 0xff, 0xff, 0xff, 0xff, 0x0f), errTooLong},
		{"bad uvarint", recString, append([]byte{codecVersion}, bytes.Repeat([]byte{0xff}, 11)...), errTruncated},
		{"credential count beyond data", recMember, append([]byte{codecVersion}, 0, 0, 0, 0, 1, 1, 0xff, 0x01), errTruncated},
		{"status out of range", recMember, append([]byte{codecVersion}, 0, 0, 0, 0, 9, 1, 0), errBadValue},
		{"origin out of range", recMember, append([]byte{codecVersion}, 0, 0, 0, 0, 1, 7, 0), errBadValue},
		{"credential type out of range", recMember, append(append([]byte{codecVersion}, 0, 0, 0, 0, 1, 1, 1, 9), make([]byte, 32)...), errBadValue},
		{"bool out of range", recLockState, append([]byte{codecVersion}, 2, 0, 0), errBadValue},
		{"nanoseconds out of range", recTime, append([]byte{codecVersion}, 1, 2, 0x80, 0x94, 0xeb, 0xdc, 0x03), errBadValue},
		{"explicit zero time", recTime, append(append([]byte{codecVersion, 1}, encodeVarint(-62135596800)...), 0), errBadValue},
		{"window empty", recAccess, append([]byte{codecVersion}, 0, 0, 0, 0, 1, 1, 60, 60, 0, 1), errBadValue},
		{"window no days", recAccess, append([]byte{codecVersion}, 0, 0, 0, 0, 1, 0, 60, 61, 0, 1), errBadValue},
		{"window beyond a day", recAccess, append([]byte{codecVersion}, 0, 0, 0, 0, 1, 1, 0xa1, 0x0b, 1, 0, 1), errBadValue},
		{"holiday beyond int32", recAccess, append(append([]byte{codecVersion}, 0, 0, 0, 0, 0, 1), append(encodeVarint(1<<40), 1)...), errBadValue},
		{"key generation beyond 32 bits", recLock, append([]byte{codecVersion}, 0, 0, 0, 0, 0, 0, 0, 0x80, 0x80, 0x80, 0x80, 0x10, 1), errBadValue},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := decodeAny(tt.kind, tt.b)
			if !errors.Is(err, tt.want) {
				t.Errorf("decode = %v, want %v", err, tt.want)
			}
		})
	}
	// Holidays come back sorted whatever the disk says.
	a := policy.Access{ID: "a", Origin: policy.OriginConfig, Schedule: policy.Schedule{Holidays: []policy.Date{20270101, 20260101}}}
	got, err := decodeAccess(encodeAccess(nil, &a))
	if err != nil || got.Schedule.Holidays[0] != 20260101 {
		t.Errorf("holidays = %v, %v", got.Schedule.Holidays, err)
	}
}

func encodeVarint(v int64) []byte {
	var e encoder
	e.varint(v)
	return e.b
}

func TestGrantKeys(t *testing.T) {
	k := gk(policy.OriginNexudusREST, policy.KindBooking, "booking/42")
	got, err := parseGrantKey(grantKeyBytes(k))
	if err != nil || got != k {
		t.Errorf("parseGrantKey = %v, %v", got, err)
	}
	for _, bad := range []string{"", "g/", "g/\x01", "g/\x00\x01r", "g/\x01\x00r", "g/\x09\x01r", "g/\x01\x09r", "m/\x01\x01r"} {
		if _, err := parseGrantKey([]byte(bad)); err == nil {
			t.Errorf("parseGrantKey(%q) accepted", bad)
		}
	}
}

func TestJournalChunkCodec(t *testing.T) {
	kvs := []kv{
		{key: []byte("m/alice"), value: []byte{1, 2, 3}},
		{key: []byte("g/\x01\x01x"), del: true},
		{key: []byte("k/c"), value: []byte{}},
	}
	chunks := encodeJournalChunks(kvs)
	if len(chunks) != 1 {
		t.Fatalf("%d chunks", len(chunks))
	}
	got, err := decodeJournalChunk(chunks[0])
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 || string(got[0].key) != "m/alice" || !bytes.Equal(got[0].value, []byte{1, 2, 3}) || !got[1].del || got[2].del || got[2].value == nil {
		t.Errorf("decoded %+v", got)
	}
	for n := range len(chunks[0]) {
		if _, err := decodeJournalChunk(chunks[0][:n]); err == nil {
			t.Errorf("accepted a chunk truncated to %d bytes", n)
		}
	}
	bad := map[string][]byte{
		"trailing":      append(bytes.Clone(chunks[0]), 0),
		"version":       append([]byte{9}, chunks[0][1:]...),
		"huge count":    {codecVersion, 0xff, 0xff, 0xff, 0xff, 1, 1, 'k'},
		"unknown op":    {codecVersion, 0, 0, 0, 1, 3, 1, 'k'},
		"empty key":     {codecVersion, 0, 0, 0, 1, 2, 0, 0},
		"key too long":  {codecVersion, 0, 0, 0, 1, 2, 0xff, 0xff, 0x03},
		"value too big": {codecVersion, 0, 0, 0, 1, 1, 1, 'k', 0xff, 0xff, 0xff, 0x7f},
		"oversize":      make([]byte, maxJournalChunk+1),
	}
	for name, b := range bad {
		if _, err := decodeJournalChunk(b); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	// Many operations split into several chunks that decode back in order.
	var many []kv
	for i := range 20000 {
		many = append(many, kv{key: []byte(strings.Repeat("k", 1+i%50)), value: bytes.Repeat([]byte{byte(i)}, i%40)})
	}
	chunks = encodeJournalChunks(many)
	if len(chunks) < 2 {
		t.Fatalf("%d chunks for %d operations", len(chunks), len(many))
	}
	i := 0
	for _, c := range chunks {
		ops, err := decodeJournalChunk(c)
		if err != nil {
			t.Fatal(err)
		}
		for _, op := range ops {
			if !bytes.Equal(op.key, many[i].key) || !bytes.Equal(op.value, many[i].value) {
				t.Fatalf("operation %d differs", i)
			}
			i++
		}
	}
	if i != len(many) {
		t.Errorf("decoded %d operations, want %d", i, len(many))
	}
}

func FuzzDecodeRecord(f *testing.F) {
	for k, b := range sampleRecords(f) {
		f.Add(append([]byte{byte(k)}, b...))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) == 0 {
			return
		}
		k := int(data[0]) % numRecs
		v, again, err := decodeAny(k, data[1:])
		if err != nil {
			return
		}
		// What decodes re-encodes to something that decodes to the same value.
		v2, _, err := decodeAny(k, again)
		if err != nil {
			t.Fatalf("kind %d: re-encoded record does not decode: %v", k, err)
		}
		if !reflect.DeepEqual(v, v2) {
			t.Fatalf("kind %d: round trip changed the value:\n%#v\n%#v", k, v, v2)
		}
	})
}

func FuzzDecodeJournalChunk(f *testing.F) {
	f.Add(encodeJournalChunks([]kv{{key: []byte("m/a"), value: []byte{1}}, {key: []byte("g/x"), del: true}})[0])
	f.Fuzz(func(t *testing.T, data []byte) {
		ops, err := decodeJournalChunk(data)
		if err != nil || len(ops) == 0 {
			return
		}
		chunks := encodeJournalChunks(ops)
		var again []kv
		for _, c := range chunks {
			o, err := decodeJournalChunk(c)
			if err != nil {
				t.Fatalf("re-encoded chunk does not decode: %v", err)
			}
			again = append(again, o...)
		}
		if len(again) != len(ops) {
			t.Fatalf("round trip: %d operations, want %d", len(again), len(ops))
		}
		for i := range ops {
			if !bytes.Equal(ops[i].key, again[i].key) || !bytes.Equal(ops[i].value, again[i].value) || ops[i].del != again[i].del {
				t.Fatalf("round trip changed operation %d", i)
			}
		}
	})
}
