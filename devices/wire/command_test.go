package wire

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"testing"
)

// The worked example of docs/protocol.md. The MAC is an independent
// known-answer value: it pins the canonical form, so firmware authors can
// check their HMAC implementation against it.
const (
	exampleCanonical = "14:lockhub/v1/cmd,6:door-1,6:unlock,32:00112233445566778899aabbccddeeff," +
		"13:1767225600000,13:1767225630000,7:ms=5000,"
	exampleMAC = "fcdb2c0054e2b1fc0f44d050c3225fc030b3cd5b0c2bf993f25851de3f1d5db4"
)

func exampleCommand() Command {
	return Command{Cmd: CmdUnlock, Nonce: testNonce, IssuedAt: testIat, Expires: testIat + 30000, UnlockMS: 5000}
}

func TestWorkedExample(t *testing.T) {
	c := exampleCommand()
	if got := string(AppendCanonical(nil, testLock, &c)); got != exampleCanonical {
		t.Errorf("canonical = %q\nwant        %q", got, exampleCanonical)
	}
	h := hmac.New(sha256.New, testKey())
	h.Write([]byte(exampleCanonical))
	if got := hex.EncodeToString(h.Sum(nil)); got != exampleMAC {
		t.Errorf("HMAC of the canonical string = %s, want %s", got, exampleMAC)
	}
	if err := SignCommand(testKey(), testLock, &c); err != nil {
		t.Fatal(err)
	}
	if got := hex.EncodeToString(c.MAC[:]); got != exampleMAC {
		t.Errorf("SignCommand MAC = %s, want %s", got, exampleMAC)
	}
}

func TestCanonicalArgs(t *testing.T) {
	tests := []struct {
		c    Command
		want string
	}{
		{Command{Cmd: CmdTime, Time: 1767225600000}, "18:time=1767225600000,"},
		{Command{Cmd: CmdOfficeHours, Windows: []Window{{1, 2}, {30, 40}}}, "17:windows=1-2,30-40,"},
		{Command{Cmd: CmdOfficeHours}, "8:windows=,"},
		{Command{Cmd: CmdReleaseOff}, "0:,"},
	}
	for _, tc := range tests {
		got := string(AppendCanonical(nil, "l", &tc.c))
		if len(got) < len(tc.want) || got[len(got)-len(tc.want):] != tc.want {
			t.Errorf("canonical(%v) = %q, want suffix %q", tc.c.Cmd, got, tc.want)
		}
	}
}

func TestSignCommandRefuses(t *testing.T) {
	good := exampleCommand()
	tests := []struct {
		name string
		key  []byte
		lock string
		mod  func(*Command)
	}{
		{"empty key", nil, testLock, func(*Command) {}},
		{"bad lock", testKey(), "a/b", func(*Command) {}},
		{"unknown cmd", testKey(), testLock, func(c *Command) { c.Cmd = CmdUnknown }},
		{"bad nonce", testKey(), testLock, func(c *Command) { c.Nonce = "xyz" }},
		{"exp not after iat", testKey(), testLock, func(c *Command) { c.Expires = c.IssuedAt }},
		{"negative iat", testKey(), testLock, func(c *Command) { c.IssuedAt = -1 }},
		{"unlock zero", testKey(), testLock, func(c *Command) { c.UnlockMS = 0 }},
		{"unlock too long", testKey(), testLock, func(c *Command) { c.UnlockMS = MaxUnlockMS + 1 }},
		{"time zero", testKey(), testLock, func(c *Command) { c.Cmd = CmdTime }},
		{"windows unsorted", testKey(), testLock, func(c *Command) {
			c.Cmd, c.Windows = CmdOfficeHours, []Window{{5, 6}, {1, 2}}
		}},
	}
	for _, tc := range tests {
		c := good
		tc.mod(&c)
		if err := SignCommand(tc.key, tc.lock, &c); err == nil {
			t.Errorf("SignCommand(%s) succeeded", tc.name)
		}
	}
}
