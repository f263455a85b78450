package wire

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/golden files")

// testKey is the command key of the worked example in docs/protocol.md:
// bytes 0x00..0x1f.
func testKey() []byte {
	k := make([]byte, 32)
	for i := range k {
		k[i] = byte(i)
	}
	return k
}

const (
	testLock  = "door-1"
	testNonce = "00112233445566778899aabbccddeeff"
	testIat   = 1767225600000 // 2026-01-01T00:00:00Z
)

func signed(tb testing.TB, c Command) *Command {
	tb.Helper()
	if err := SignCommand(testKey(), testLock, &c); err != nil {
		tb.Fatalf("SignCommand: %v", err)
	}
	return &c
}

type goldenCase struct {
	name   string
	value  any                       // pointer to the message
	encode func([]byte) []byte       // encodes value
	decode func([]byte) (any, error) // decodes into a new pointer
}

func goldenCases(tb testing.TB) []goldenCase {
	tb.Helper()
	req := func(r *Request) goldenCase {
		return goldenCase{value: r, encode: func(b []byte) []byte { return AppendRequest(b, r) },
			decode: func(b []byte) (any, error) { var v Request; err := DecodeRequest(b, &v); return &v, err }}
	}
	res := func(r *AccessResponse) goldenCase {
		return goldenCase{value: r, encode: func(b []byte) []byte { return AppendResponse(b, r) },
			decode: func(b []byte) (any, error) { var v AccessResponse; err := DecodeResponse(b, &v); return &v, err }}
	}
	evt := func(e *DoorEvent) goldenCase {
		return goldenCase{value: e, encode: func(b []byte) []byte { return AppendDoorEvent(b, e) },
			decode: func(b []byte) (any, error) { var v DoorEvent; err := DecodeDoorEvent(b, &v); return &v, err }}
	}
	ack := func(a *Ack) goldenCase {
		return goldenCase{value: a, encode: func(b []byte) []byte { return AppendAck(b, a) },
			decode: func(b []byte) (any, error) { var v Ack; err := DecodeAck(b, &v); return &v, err }}
	}
	state := func(s *LockState) goldenCase {
		return goldenCase{value: s, encode: func(b []byte) []byte { return AppendLockState(b, s) },
			decode: func(b []byte) (any, error) { var v LockState; err := DecodeLockState(b, &v); return &v, err }}
	}
	cmd := func(c *Command) goldenCase {
		return goldenCase{value: c, encode: func(b []byte) []byte { return AppendCommand(b, c) },
			decode: func(b []byte) (any, error) { var v Command; err := DecodeCommand(b, &v); return &v, err }}
	}
	named := func(name string, c goldenCase) goldenCase { c.name = name; return c }
	return []goldenCase{
		named("req_card", req(&Request{ID: "r-1042", Type: TypeCard, Credential: "04:a1:b2:c3", At: testIat})),
		named("req_pin_mqtt5", req(&Request{Type: TypePIN, Credential: "0042"})),
		named("req_phone", req(&Request{ID: "p-7", Type: TypePhone, Credential: "tok_9f8e7d6c5b4a3928", At: testIat})),
		named("req_time", req(&Request{ID: "t-1", Type: TypeTime, Nonce: "8f14e45fceea167a5a36dedd4bea2543"})),
		named("res_granted", res(&AccessResponse{ID: "r-1042", Result: ResultGranted, Reason: "allowed", UnlockMS: 5000, Time: testIat + 3})),
		named("res_denied", res(&AccessResponse{ID: "r-1042", Result: ResultDenied, Reason: "outside_schedule", Time: testIat + 3})),
		named("res_keypad_locked_out", res(&AccessResponse{ID: "r-1043", Result: ResultDenied, Reason: "keypad_locked_out", RetryAfterMS: 60000, Time: testIat + 3})),
		named("res_error", res(&AccessResponse{ID: "r-1044", Result: ResultError, Reason: "missing_field", Msg: "credential: required", Time: testIat + 3})),
		named("evt_opened", evt(&DoorEvent{Boot: 305419896, Seq: 1, Kind: EventOpened, At: testIat + 2500})),
		named("evt_battery_low", evt(&DoorEvent{Boot: 305419896, Seq: 2, Kind: EventBatteryLow, At: testIat + 9000, Battery: 14, HasBattery: true})),
		named("ack", ack(&Ack{Boot: 305419896, Seq: 1})),
		named("state_online", state(&LockState{Online: true, Boot: 305419896, FW: "1.4.2", Battery: 87, HasBattery: true,
			Door: DoorClosed, Mode: ModeNormal, Clock: testIat, HeartbeatS: 300})),
		named("state_will", state(&LockState{Boot: 305419896})),
		named("cmd_unlock", cmd(signed(tb, Command{Cmd: CmdUnlock, Nonce: testNonce, IssuedAt: testIat, Expires: testIat + 30000, UnlockMS: 5000}))),
		named("cmd_lockdown_on", cmd(signed(tb, Command{Cmd: CmdLockdownOn, Nonce: "ffeeddccbbaa99887766554433221100", IssuedAt: testIat, Expires: testIat + 30000}))),
		named("cmd_office_hours", cmd(signed(tb, Command{Cmd: CmdOfficeHours, Nonce: "0123456789abcdef0123456789abcdef", IssuedAt: testIat, Expires: testIat + 60000,
			Windows: []Window{{From: testIat + 8*3600e3, To: testIat + 18*3600e3}, {From: testIat + 32*3600e3, To: testIat + 42*3600e3}}}))),
		named("cmd_office_hours_off", cmd(signed(tb, Command{Cmd: CmdOfficeHours, Nonce: "abcdefabcdefabcdefabcdefabcdefab", IssuedAt: testIat, Expires: testIat + 60000}))),
		named("cmd_time", cmd(signed(tb, Command{Cmd: CmdTime, Nonce: "8f14e45fceea167a5a36dedd4bea2543", IssuedAt: testIat, Expires: testIat + 30000, Time: testIat}))),
	}
}

// TestGolden shows that each encoder writes exactly its golden file and that
// decoding the golden file gives the value back.
func TestGolden(t *testing.T) {
	for _, tc := range goldenCases(t) {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join("testdata", "golden", tc.name+".json")
			got := append(tc.encode(nil), '\n')
			if *update {
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("read golden (run with -update to create): %v", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("encode = %s\nwant     %s", got, want)
			}
			v, err := tc.decode(want)
			if err != nil {
				t.Fatalf("decode golden: %v", err)
			}
			if !reflect.DeepEqual(v, tc.value) {
				t.Errorf("decode golden = %+v\nwant %+v", v, tc.value)
			}
		})
	}
}

// TestEncodeIntoBuffer shows that encoders append to the caller's buffer.
func TestEncodeIntoBuffer(t *testing.T) {
	buf := []byte("prefix")
	out := AppendAck(buf, &Ack{Boot: 1, Seq: 2})
	if want := `prefix{"v":1,"boot":1,"seq":2}`; string(out) != want {
		t.Errorf("AppendAck = %s, want %s", out, want)
	}
}
