package wire

import (
	"errors"
	"strings"
	"testing"
)

type decodeCase struct {
	name  string
	in    string
	code  ErrorCode // CodeNone: must decode
	field string    // checked when code != CodeNone
}

// runDecode checks that decode refuses each bad input with the right code
// and field, and that the error message never contains secret.
func runDecode(t *testing.T, decode func([]byte) error, cases []decodeCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := decode([]byte(tc.in))
			if got := CodeOf(err); got != tc.code {
				t.Fatalf("decode(%.80q) code = %v (%v), want %v", tc.in, got, err, tc.code)
			}
			if err == nil {
				return
			}
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("error %v is not *Error", err)
			}
			if e.Field != tc.field {
				t.Errorf("decode(%.80q) field = %q (%v), want %q", tc.in, e.Field, err, tc.field)
			}
			if strings.Contains(err.Error(), "SECRET") {
				t.Errorf("error %q leaks a field value", err)
			}
		})
	}
}

// commonBad are inputs every decoder refuses as bad_json.
var commonBad = []decodeCase{
	{"empty", ``, CodeBadJSON, ""},
	{"spaces", `   `, CodeBadJSON, ""},
	{"array", `[1,2]`, CodeBadJSON, ""},
	{"string", `"v"`, CodeBadJSON, ""},
	{"null", `null`, CodeBadJSON, ""},
	{"garbage", "\x00\xff\xfe", CodeBadJSON, ""},
	{"truncated", `{"v":1,"id":"r`, CodeBadJSON, ""},
	{"truncated after comma", `{"v":1,`, CodeBadJSON, ""},
	{"trailing comma", `{"v":1,}`, CodeBadJSON, ""},
	{"trailing data", `{"v":1} x`, CodeBadJSON, ""},
	{"two objects", `{"v":1}{"v":1}`, CodeBadJSON, ""},
	{"single quotes", `{'v':1}`, CodeBadJSON, ""},
	{"bad utf8", "{\"v\":1,\"x_a\":\"\xc3\x28\"}", CodeBadJSON, ""},
	{"control char", "{\"v\":1,\"x_a\":\"a\x01\"}", CodeBadJSON, ""},
	{"bad escape", `{"v":1,"x_a":"\q"}`, CodeBadJSON, ""},
	{"bad unicode escape", `{"v":1,"x_a":"\u12G4"}`, CodeBadJSON, ""},
	{"leading zero", `{"v":01}`, CodeBadJSON, ""},
	{"bare word", `{"v":yes}`, CodeBadJSON, ""},
	{"deep nesting", `{"v":1,"x_a":[[[[[[[[[[[[1]]]]]]]]]]]]}`, CodeBadJSON, ""},
	{"missing colon", `{"v" 1}`, CodeBadJSON, ""},
	{"unquoted key", `{v:1}`, CodeBadJSON, ""},
}

func withCommon(cases []decodeCase) []decodeCase {
	return append(append([]decodeCase{}, commonBad...), cases...)
}

func TestDecodeRequest(t *testing.T) {
	big := `{"v":1,"type":"card","credential":"` + strings.Repeat("A", MaxRequestSize) + `"}`
	runDecode(t, func(b []byte) error { var r Request; return DecodeRequest(b, &r) }, withCommon([]decodeCase{
		{"card", `{"v":1,"id":"r-1","type":"card","credential":"04:A1"}`, CodeNone, ""},
		{"whitespace everywhere", " {\n\"v\" : 1 ,\t\"type\":\"fob\" , \"credential\" : \"0A\" }\n", CodeNone, ""},
		{"no id (MQTT 5)", `{"v":1,"type":"pin","credential":"1234"}`, CodeNone, ""},
		{"escaped key and value", `{"\u0076":1,"type":"card","credential":"04\u003aA1"}`, CodeNone, ""},
		{"vendor field", `{"v":1,"type":"card","credential":"04","x_rssi":-40,"x_meta":{"a":[1,2]}}`, CodeNone, ""},
		{"time", `{"v":1,"id":"t","type":"time","nonce":"00112233445566778899aabbccddeeff"}`, CodeNone, ""},
		{"oversize", big, CodeTooLarge, ""},
		{"no version", `{"type":"card","credential":"04"}`, CodeMissingField, "v"},
		{"version 2", `{"v":2,"type":"card","credential":"04"}`, CodeUnsupportedVersion, "v"},
		{"version 2 with new fields", `{"kind":"x","v":2,"whatever":true}`, CodeUnsupportedVersion, "v"},
		{"version as string", `{"v":"1","type":"card","credential":"04"}`, CodeUnsupportedVersion, "v"},
		{"version 1.0", `{"v":1.0,"type":"card","credential":"04"}`, CodeUnsupportedVersion, "v"},
		{"duplicate version", `{"v":1,"v":1,"type":"card","credential":"04"}`, CodeBadField, "v"},
		{"missing type", `{"v":1,"credential":"04"}`, CodeMissingField, "type"},
		{"missing credential", `{"v":1,"type":"card"}`, CodeMissingField, "credential"},
		{"missing nonce", `{"v":1,"type":"time"}`, CodeMissingField, "nonce"},
		{"unknown type", `{"v":1,"type":"iris","credential":"SECRET"}`, CodeUnknownType, "type"},
		{"type number", `{"v":1,"type":1,"credential":"04"}`, CodeBadField, "type"},
		{"credential number", `{"v":1,"type":"card","credential":4}`, CodeBadField, "credential"},
		{"credential null", `{"v":1,"type":"card","credential":null}`, CodeBadField, "credential"},
		{"credential empty", `{"v":1,"type":"card","credential":""}`, CodeBadField, "credential"},
		{"credential too long", `{"v":1,"type":"card","credential":"` + strings.Repeat("SECRET", 40) + `"}`, CodeBadField, "credential"},
		{"credential newline", `{"v":1,"type":"pin","credential":"SECRET\n"}`, CodeBadField, "credential"},
		{"credential non-ascii", `{"v":1,"type":"pin","credential":"SECRETé"}`, CodeBadField, "credential"},
		{"duplicate credential", `{"v":1,"type":"pin","credential":"1234","credential":"SECRET"}`, CodeBadField, "credential"},
		{"nonce in access request", `{"v":1,"type":"card","credential":"04","nonce":"00112233445566778899aabbccddeeff"}`, CodeBadField, "nonce"},
		{"credential in time request", `{"v":1,"type":"time","credential":"SECRET","nonce":"00112233445566778899aabbccddeeff"}`, CodeBadField, "credential"},
		{"nonce upper case", `{"v":1,"type":"time","nonce":"00112233445566778899AABBCCDDEEFF"}`, CodeBadField, "nonce"},
		{"nonce short", `{"v":1,"type":"time","nonce":"0011"}`, CodeBadField, "nonce"},
		{"id empty", `{"v":1,"id":"","type":"card","credential":"04"}`, CodeBadField, "id"},
		{"id too long", `{"v":1,"id":"` + strings.Repeat("i", 65) + `","type":"card","credential":"04"}`, CodeBadField, "id"},
		{"id with space", `{"v":1,"id":"a b","type":"card","credential":"04"}`, CodeBadField, "id"},
		{"id with quote", `{"v":1,"id":"a\"b","type":"card","credential":"04"}`, CodeBadField, "id"},
		{"id number", `{"v":1,"id":7,"type":"card","credential":"04"}`, CodeBadField, "id"},
		{"at negative", `{"v":1,"type":"card","credential":"04","at":-1}`, CodeBadField, "at"},
		{"at fraction", `{"v":1,"type":"card","credential":"04","at":1.5}`, CodeBadField, "at"},
		{"at rfc3339", `{"v":1,"type":"card","credential":"04","at":"2026-01-01T00:00:00Z"}`, CodeBadField, "at"},
		{"at too far", `{"v":1,"type":"card","credential":"04","at":253402300800000}`, CodeBadField, "at"},
		{"at overflow", `{"v":1,"type":"card","credential":"04","at":99999999999999999999999}`, CodeBadField, "at"},
		{"unknown field", `{"v":1,"type":"card","credential":"04","cred":"SECRET"}`, CodeBadField, "cred"},
		{"first field error wins", `{"v":1,"type":"nope","credential":5}`, CodeUnknownType, "type"},
	}))
}

func TestRequestValues(t *testing.T) {
	var r Request
	if err := DecodeRequest([]byte(`{"v":1,"type":"card","credential":"04\u003aA1","at":0}`), &r); err != nil {
		t.Fatal(err)
	}
	if r.Credential != "04:A1" || r.Type != TypeCard || r.ID != "" {
		t.Errorf("decoded %+v", r)
	}
	if err := RequireID(&r); CodeOf(err) != CodeMissingField {
		t.Errorf("RequireID(no id) = %v, want missing_field", err)
	}
	r.ID = "x"
	if err := RequireID(&r); err != nil {
		t.Errorf("RequireID(id) = %v", err)
	}
}

func TestDecodeResponse(t *testing.T) {
	runDecode(t, func(b []byte) error { var r AccessResponse; return DecodeResponse(b, &r) }, withCommon([]decodeCase{
		{"granted", `{"v":1,"id":"a","result":"granted","reason":"allowed","unlock_ms":5000}`, CodeNone, ""},
		{"unknown fields ignored", `{"v":1,"result":"denied","reason":"no_grant","future":{"x":1}}`, CodeNone, ""},
		{"oversize", `{"v":1,"msg":"` + strings.Repeat("m", MaxResponseSize) + `"}`, CodeTooLarge, ""},
		{"granted without unlock", `{"v":1,"result":"granted","reason":"allowed"}`, CodeMissingField, "unlock_ms"},
		{"no result", `{"v":1,"reason":"allowed"}`, CodeMissingField, "result"},
		{"no reason", `{"v":1,"result":"denied"}`, CodeMissingField, "reason"},
		{"bad result", `{"v":1,"result":"maybe","reason":"x"}`, CodeUnknownType, "result"},
		{"bad reason", `{"v":1,"result":"denied","reason":"No Grant"}`, CodeBadField, "reason"},
		{"unlock too long", `{"v":1,"result":"granted","reason":"allowed","unlock_ms":600001}`, CodeBadField, "unlock_ms"},
		{"granted for no time", `{"v":1,"result":"granted","reason":"allowed","unlock_ms":0}`, CodeBadField, "unlock_ms"},
		{"version 3", `{"v":3}`, CodeUnsupportedVersion, "v"},
	}))
}

func TestDecodeDoorEvent(t *testing.T) {
	runDecode(t, func(b []byte) error { var e DoorEvent; return DecodeDoorEvent(b, &e) }, withCommon([]decodeCase{
		{"opened", `{"v":1,"boot":7,"seq":1,"kind":"opened"}`, CodeNone, ""},
		{"boot zero, max seq", `{"v":1,"boot":0,"seq":9007199254740991,"kind":"forced","at":5}`, CodeNone, ""},
		{"oversize", `{"v":1,"x_pad":"` + strings.Repeat(" ", MaxEventSize) + `"}`, CodeTooLarge, ""},
		{"missing boot", `{"v":1,"seq":1,"kind":"opened"}`, CodeMissingField, "boot"},
		{"missing seq", `{"v":1,"boot":1,"kind":"opened"}`, CodeMissingField, "seq"},
		{"missing kind", `{"v":1,"boot":1,"seq":1}`, CodeMissingField, "kind"},
		{"battery_low without battery", `{"v":1,"boot":1,"seq":1,"kind":"battery_low"}`, CodeMissingField, "battery"},
		{"battery over 100", `{"v":1,"boot":1,"seq":1,"kind":"battery_low","battery":101}`, CodeBadField, "battery"},
		{"seq zero", `{"v":1,"boot":1,"seq":0,"kind":"opened"}`, CodeBadField, "seq"},
		{"seq over 2^53", `{"v":1,"boot":1,"seq":9007199254740992,"kind":"opened"}`, CodeBadField, "seq"},
		{"boot over uint32", `{"v":1,"boot":4294967296,"seq":1,"kind":"opened"}`, CodeBadField, "boot"},
		{"boot string", `{"v":1,"boot":"1","seq":1,"kind":"opened"}`, CodeBadField, "boot"},
		{"seq exponent", `{"v":1,"boot":1,"seq":1e3,"kind":"opened"}`, CodeBadField, "seq"},
		{"unknown kind", `{"v":1,"boot":1,"seq":1,"kind":"exploded"}`, CodeUnknownType, "kind"},
		{"unknown field", `{"v":1,"boot":1,"seq":1,"kind":"opened","sequence":2}`, CodeBadField, "sequence"},
		{"duplicate seq", `{"v":1,"boot":1,"seq":1,"seq":2,"kind":"opened"}`, CodeBadField, "seq"},
		{"version 0", `{"v":0,"boot":1,"seq":1,"kind":"opened"}`, CodeUnsupportedVersion, "v"},
	}))
}

func TestDecodeAck(t *testing.T) {
	runDecode(t, func(b []byte) error { var a Ack; return DecodeAck(b, &a) }, withCommon([]decodeCase{
		{"ack", `{"v":1,"boot":1,"seq":5}`, CodeNone, ""},
		{"unknown ignored", `{"v":1,"boot":1,"seq":5,"later":[1]}`, CodeNone, ""},
		{"oversize", `{"v":1,"boot":1,"seq":5,"x":"` + strings.Repeat("x", MaxAckSize) + `"}`, CodeTooLarge, ""},
		{"missing seq", `{"v":1,"boot":1}`, CodeMissingField, "seq"},
		{"missing boot", `{"v":1,"seq":1}`, CodeMissingField, "boot"},
		{"negative seq", `{"v":1,"boot":1,"seq":-5}`, CodeBadField, "seq"},
	}))
}

func TestDecodeLockState(t *testing.T) {
	runDecode(t, func(b []byte) error { var s LockState; return DecodeLockState(b, &s) }, withCommon([]decodeCase{
		{"will", `{"v":1,"online":false,"boot":3}`, CodeNone, ""},
		{"full", `{"v":1,"online":true,"boot":3,"fw":"2.0 beta","battery":0,"door":"unknown","mode":"office_hours","clock":1,"heartbeat_s":3600}`, CodeNone, ""},
		{"oversize", `{"v":1,"x_pad":"` + strings.Repeat(" ", MaxStateSize) + `"}`, CodeTooLarge, ""},
		{"missing online", `{"v":1,"boot":3}`, CodeMissingField, "online"},
		{"missing boot", `{"v":1,"online":true}`, CodeMissingField, "boot"},
		{"online string", `{"v":1,"online":"true","boot":3}`, CodeBadField, "online"},
		{"online number", `{"v":1,"online":1,"boot":3}`, CodeBadField, "online"},
		{"fw too long", `{"v":1,"online":true,"boot":3,"fw":"` + strings.Repeat("1", 33) + `"}`, CodeBadField, "fw"},
		{"door ajar", `{"v":1,"online":true,"boot":3,"door":"ajar"}`, CodeBadField, "door"},
		{"mode bad", `{"v":1,"online":true,"boot":3,"mode":"party"}`, CodeBadField, "mode"},
		{"heartbeat too short", `{"v":1,"online":true,"boot":3,"heartbeat_s":5}`, CodeBadField, "heartbeat_s"},
		{"heartbeat too long", `{"v":1,"online":true,"boot":3,"heartbeat_s":3601}`, CodeBadField, "heartbeat_s"},
		{"battery negative", `{"v":1,"online":true,"boot":3,"battery":-1}`, CodeBadField, "battery"},
		{"unknown field", `{"v":1,"online":true,"boot":3,"ip":"10.0.0.1"}`, CodeBadField, "ip"},
	}))
}

func TestDecodeCommand(t *testing.T) {
	const head = `{"v":1,"lock":"door-1","nonce":"00112233445566778899aabbccddeeff","iat":1000,"exp":2000,"mac":"` +
		"0000000000000000000000000000000000000000000000000000000000000000" + `",`
	runDecode(t, func(b []byte) error { var c Command; return DecodeCommand(b, &c) }, withCommon([]decodeCase{
		{"unlock", head + `"cmd":"unlock","args":{"ms":5000}}`, CodeNone, ""},
		{"lockdown without args", head + `"cmd":"lockdown_on"}`, CodeNone, ""},
		{"unknown fields and args ignored", head + `"cmd":"release_on","args":{"why":"fire"},"trace":"x"}`, CodeNone, ""},
		{"office hours", head + `"cmd":"office_hours","args":{"windows":[[1,2],[2,3]]}}`, CodeNone, ""},
		{"oversize", head + `"cmd":"unlock","pad":"` + strings.Repeat("p", MaxCommandSize) + `"}`, CodeTooLarge, ""},
		{"missing mac", `{"v":1,"cmd":"lockdown_on","lock":"door-1","nonce":"00112233445566778899aabbccddeeff","iat":1,"exp":2}`, CodeMissingField, "mac"},
		{"missing args", head + `"cmd":"unlock"}`, CodeMissingField, "args.ms"},
		{"missing time", head + `"cmd":"time","args":{}}`, CodeMissingField, "args.time"},
		{"missing windows", head + `"cmd":"office_hours"}`, CodeMissingField, "args.windows"},
		{"unknown cmd", head + `"cmd":"self_destruct"}`, CodeUnknownType, "cmd"},
		{"ms zero", head + `"cmd":"unlock","args":{"ms":0}}`, CodeBadField, "args.ms"},
		{"ms too long", head + `"cmd":"unlock","args":{"ms":600001}}`, CodeBadField, "args.ms"},
		{"args not object", head + `"cmd":"unlock","args":[5000]}`, CodeBadField, "args"},
		{"windows overlap", head + `"cmd":"office_hours","args":{"windows":[[1,3],[2,4]]}}`, CodeBadField, "args.windows"},
		{"window empty", head + `"cmd":"office_hours","args":{"windows":[[3,3]]}}`, CodeBadField, "args.windows"},
		{"window triple", head + `"cmd":"office_hours","args":{"windows":[[1,2,3]]}}`, CodeBadField, "args.windows"},
		{"window single", head + `"cmd":"office_hours","args":{"windows":[[1]]}}`, CodeBadField, "args.windows"},
		{"windows not array", head + `"cmd":"office_hours","args":{"windows":{}}}`, CodeBadField, "args.windows"},
		{"too many windows", head + `"cmd":"office_hours","args":{"windows":[` + manyWindows(65) + `]}}`, CodeBadField, "args.windows"},
		{"mac upper", `{"v":1,"cmd":"lockdown_on","lock":"door-1","nonce":"00112233445566778899aabbccddeeff","iat":1,"exp":2,"mac":"` + strings.Repeat("A", 64) + `"}`, CodeBadField, "mac"},
		{"mac short", `{"v":1,"cmd":"lockdown_on","lock":"door-1","nonce":"00112233445566778899aabbccddeeff","iat":1,"exp":2,"mac":"00"}`, CodeBadField, "mac"},
		{"exp before iat", `{"v":1,"cmd":"lockdown_on","lock":"door-1","nonce":"00112233445566778899aabbccddeeff","iat":5,"exp":5,"mac":"` + strings.Repeat("0", 64) + `"}`, CodeBadField, "exp"},
		{"bad lock", `{"v":1,"cmd":"lockdown_on","lock":"a/b","nonce":"00112233445566778899aabbccddeeff","iat":1,"exp":2,"mac":"` + strings.Repeat("0", 64) + `"}`, CodeBadField, "lock"},
		{"version 2", `{"v":2,"cmd":"unlock"}`, CodeUnsupportedVersion, "v"},
	}))
}

func manyWindows(n int) string {
	var b strings.Builder
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString("[" + itoa(2*i+1) + "," + itoa(2*i+2) + "]")
	}
	return b.String()
}

func itoa(i int) string { return string(appendIntField(nil, "", int64(i))[4:]) }

func TestErrorCodes(t *testing.T) {
	for _, c := range ErrorCodes() {
		got, err := ParseErrorCode(c.String())
		if err != nil || got != c {
			t.Errorf("ParseErrorCode(%q) = %v, %v", c.String(), got, err)
		}
	}
	if len(ErrorCodes()) != 8 {
		t.Errorf("ErrorCodes() has %d codes, want 8", len(ErrorCodes()))
	}
	if _, err := ParseErrorCode("none"); err == nil {
		t.Error(`ParseErrorCode("none") succeeded`)
	}
	if CodeOf(errors.New("x")) != CodeInternal || CodeOf(nil) != CodeNone {
		t.Error("CodeOf of a foreign error or nil is wrong")
	}
}

func TestEncodeError(t *testing.T) {
	tests := []struct {
		id   string
		code ErrorCode
		msg  string
		want string
	}{
		{"r-1", CodeBadField, "credential: too long", `{"v":1,"id":"r-1","result":"error","reason":"bad_field","msg":"credential: too long"}`},
		{"", CodeBadJSON, "", `{"v":1,"result":"error","reason":"bad_json"}`},
		{"bad id\n", CodeRateLimited, "slow down", `{"v":1,"result":"error","reason":"rate_limited","msg":"slow down"}`},
		{"x", CodeInternal, "quote \" and \\ and \x01", `{"v":1,"id":"x","result":"error","reason":"internal","msg":"quote \" and \\ and \u0001"}`},
	}
	for _, tc := range tests {
		got := EncodeError(tc.id, tc.code, tc.msg)
		if string(got) != tc.want {
			t.Errorf("EncodeError(%q, %v, %q) = %s, want %s", tc.id, tc.code, tc.msg, got, tc.want)
		}
		var r AccessResponse
		if err := DecodeResponse(got, &r); err != nil || r.Result != ResultError || r.Reason != tc.code.String() {
			t.Errorf("DecodeResponse(EncodeError) = %+v, %v", r, err)
		}
	}
	long := EncodeError("a", CodeInternal, strings.Repeat("m", 1000))
	var r AccessResponse
	if err := DecodeResponse(long, &r); err != nil || len(r.Msg) != MaxMsgLen {
		t.Errorf("long message: len %d, %v", len(r.Msg), err)
	}
}
