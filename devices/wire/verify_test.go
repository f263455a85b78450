package wire

import (
	"encoding/hex"
	"errors"
	"testing"
	"time"
)

type verifyEnv struct {
	v   *Verifier
	now time.Time
}

func newVerifyEnv(tb testing.TB, cfg VerifierConfig) *verifyEnv {
	tb.Helper()
	v, err := NewVerifier(testLock, testKey(), cfg)
	if err != nil {
		tb.Fatal(err)
	}
	return &verifyEnv{v: v, now: time.UnixMilli(testIat + 1000)}
}

// roundTrip encodes and decodes c, as it travels to the lock.
func roundTrip(tb testing.TB, c *Command) *Command {
	tb.Helper()
	var out Command
	if err := DecodeCommand(AppendCommand(nil, c), &out); err != nil {
		tb.Fatalf("DecodeCommand(AppendCommand(%+v)): %v", c, err)
	}
	return &out
}

func TestVerifyEveryCommand(t *testing.T) {
	for _, tc := range goldenCases(t) {
		c, ok := tc.value.(*Command)
		if !ok {
			continue
		}
		env := newVerifyEnv(t, VerifierConfig{})
		if err := env.v.Verify(env.now, roundTrip(t, c)); err != nil {
			t.Errorf("Verify(%s) = %v", tc.name, err)
		}
	}
}

// TestVerifyTamper changes each signed field in turn: each change must break
// the MAC (or the lock binding for the lock field).
func TestVerifyTamper(t *testing.T) {
	base := func() Command {
		return Command{Cmd: CmdOfficeHours, Nonce: testNonce, IssuedAt: testIat, Expires: testIat + 30000,
			Windows: []Window{{testIat, testIat + 3600e3}, {testIat + 86400e3, testIat + 90000e3}}}
	}
	tests := []struct {
		name string
		mod  func(*Command)
		want error
	}{
		{"cmd", func(c *Command) { c.Cmd = CmdReleaseOn }, ErrBadMAC},
		{"nonce", func(c *Command) { c.Nonce = "00112233445566778899aabbccddeef0" }, ErrBadMAC},
		{"iat", func(c *Command) { c.IssuedAt-- }, ErrBadMAC},
		{"exp", func(c *Command) { c.Expires++ }, ErrBadMAC},
		{"window from", func(c *Command) { c.Windows[0].From++ }, ErrBadMAC},
		{"window to", func(c *Command) { c.Windows[1].To++ }, ErrBadMAC},
		{"window dropped", func(c *Command) { c.Windows = c.Windows[:1] }, ErrBadMAC},
		{"mac bit", func(c *Command) { c.MAC[31] ^= 1 }, ErrBadMAC},
		{"mac zero", func(c *Command) { c.MAC = [32]byte{} }, ErrBadMAC},
		{"lock", func(c *Command) { c.Lock = "door-2" }, ErrWrongLock},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			env := newVerifyEnv(t, VerifierConfig{})
			c := base()
			c.Windows = append([]Window(nil), c.Windows...)
			if err := SignCommand(testKey(), testLock, &c); err != nil {
				t.Fatal(err)
			}
			tc.mod(&c)
			if err := env.v.Verify(env.now, roundTrip(t, &c)); !errors.Is(err, tc.want) {
				t.Errorf("Verify(tampered %s) = %v, want %v", tc.name, err, tc.want)
			}
		})
	}
	// Scalar args: unlock ms and time value.
	for _, mod := range []func(*Command){
		func(c *Command) { c.UnlockMS++ },
		func(c *Command) { c.Cmd = CmdTime; c.Time = c.IssuedAt },
	} {
		env := newVerifyEnv(t, VerifierConfig{})
		c := exampleCommand()
		if err := SignCommand(testKey(), testLock, &c); err != nil {
			t.Fatal(err)
		}
		mod(&c)
		if err := env.v.Verify(env.now, &c); !errors.Is(err, ErrBadMAC) {
			t.Errorf("Verify(tampered args) = %v, want ErrBadMAC", err)
		}
	}
}

func TestVerifyKeyAndLock(t *testing.T) {
	c := exampleCommand()
	if err := SignCommand(testKey(), testLock, &c); err != nil {
		t.Fatal(err)
	}
	now := time.UnixMilli(testIat)
	other, _ := NewVerifier("door-2", testKey(), VerifierConfig{})
	if err := other.Verify(now, &c); !errors.Is(err, ErrWrongLock) {
		t.Errorf("door-2 verifying door-1's command = %v, want ErrWrongLock", err)
	}
	// Relabelled for door-2: the lock id is under the MAC.
	relabelled := c
	relabelled.Lock = "door-2"
	if err := other.Verify(now, &relabelled); !errors.Is(err, ErrBadMAC) {
		t.Errorf("relabelled command = %v, want ErrBadMAC", err)
	}
	wrongKey, _ := NewVerifier(testLock, []byte("another key"), VerifierConfig{})
	if err := wrongKey.Verify(now, &c); !errors.Is(err, ErrBadMAC) {
		t.Errorf("wrong key = %v, want ErrBadMAC", err)
	}
	if _, err := NewVerifier(testLock, nil, VerifierConfig{}); !errors.Is(err, ErrEmptyKey) {
		t.Errorf("NewVerifier(no key) = %v", err)
	}
	if _, err := NewVerifier("a#", testKey(), VerifierConfig{}); err == nil {
		t.Error("NewVerifier(bad lock) succeeded")
	}
	bad := c
	bad.Nonce = "nope"
	if err := wrongKey.Verify(now, &bad); !errors.Is(err, ErrBadCommand) {
		t.Errorf("malformed = %v, want ErrBadCommand", err)
	}
}

func TestVerifyClockAndReplay(t *testing.T) {
	c := exampleCommand() // valid [iat, iat+30 s]
	if err := SignCommand(testKey(), testLock, &c); err != nil {
		t.Fatal(err)
	}
	skew := DefaultSkew.Milliseconds()
	tests := []struct {
		name string
		at   int64 // lock clock, unix ms
		want error
	}{
		{"at iat", testIat, nil},
		{"just inside skew before iat", testIat - skew, nil},
		{"before iat-skew", testIat - skew - 1, ErrNotYetValid},
		{"at exp+skew", testIat + 30000 + skew, nil},
		{"after exp+skew", testIat + 30000 + skew + 1, ErrExpired},
		{"clock reset to 1970", 0, ErrNotYetValid},
	}
	for _, tc := range tests {
		env := newVerifyEnv(t, VerifierConfig{})
		if err := env.v.Verify(time.UnixMilli(tc.at), &c); !errors.Is(err, tc.want) {
			t.Errorf("Verify at %s = %v, want %v", tc.name, err, tc.want)
		}
	}
	env := newVerifyEnv(t, VerifierConfig{})
	if err := env.v.Verify(env.now, &c); err != nil {
		t.Fatal(err)
	}
	if err := env.v.Verify(env.now.Add(time.Second), &c); !errors.Is(err, ErrReplay) {
		t.Errorf("second Verify = %v, want ErrReplay", err)
	}
	long := exampleCommand()
	long.Expires = long.IssuedAt + DefaultMaxLifetime.Milliseconds() + 1
	if err := SignCommand(testKey(), testLock, &long); err != nil {
		t.Fatal(err)
	}
	if err := env.v.Verify(env.now, &long); !errors.Is(err, ErrBadLifetime) {
		t.Errorf("Verify(long lifetime) = %v, want ErrBadLifetime", err)
	}
	// A lifetime whose nanoseconds overflow int64 must not wrap around.
	huge := exampleCommand()
	huge.IssuedAt, huge.Expires = 0, MaxTimeMS
	if err := SignCommand(testKey(), testLock, &huge); err != nil {
		t.Fatal(err)
	}
	if err := env.v.Verify(env.now, &huge); !errors.Is(err, ErrBadLifetime) {
		t.Errorf("Verify(huge lifetime) = %v, want ErrBadLifetime", err)
	}
}

// TestVerifyBoundedMemory fills a small nonce table: it never grows past its
// bound, an evicted command still counts as a replay, and fresh commands
// still pass.
func TestVerifyBoundedMemory(t *testing.T) {
	env := newVerifyEnv(t, VerifierConfig{MaxNonces: 4})
	var cmds []Command
	for i := range 10 {
		c := exampleCommand()
		c.Nonce = hex.EncodeToString([]byte{15: byte(i)})
		c.IssuedAt += int64(i) * 1000
		c.Expires += int64(i) * 1000
		if err := SignCommand(testKey(), testLock, &c); err != nil {
			t.Fatal(err)
		}
		if err := env.v.Verify(env.now, &c); err != nil {
			t.Fatalf("command %d: %v", i, err)
		}
		if n := len(env.v.nonces); n > 4 {
			t.Fatalf("nonce table holds %d, bound 4", n)
		}
		cmds = append(cmds, c)
	}
	for i, c := range cmds {
		if err := env.v.Verify(env.now, &c); !errors.Is(err, ErrReplay) {
			t.Errorf("replay of command %d = %v, want ErrReplay", i, err)
		}
	}
	// Later, every remembered command has expired: the table is purged.
	later := env.now.Add(time.Hour)
	c := exampleCommand()
	c.Nonce = NewNonce()
	c.IssuedAt, c.Expires = later.UnixMilli(), later.UnixMilli()+30000
	if err := SignCommand(testKey(), testLock, &c); err != nil {
		t.Fatal(err)
	}
	for range 4 {
		c.Nonce = NewNonce()
		if err := SignCommand(testKey(), testLock, &c); err != nil {
			t.Fatal(err)
		}
		if err := env.v.Verify(later, &c); err != nil {
			t.Fatalf("fresh command after purge: %v", err)
		}
	}
	if env.v.floor >= c.Expires {
		t.Errorf("floor %d blocks fresh commands (exp %d)", env.v.floor, c.Expires)
	}
}

// TestTimeCommandFlow: a lock whose clock is wrong refuses ordinary
// commands, sends a time request, and accepts exactly the time command that
// answers it.
func TestTimeCommandFlow(t *testing.T) {
	env := newVerifyEnv(t, VerifierConfig{})
	lockNow := time.UnixMilli(5000) // clock lost at boot
	hubNow := int64(testIat)

	unlock := exampleCommand()
	if err := SignCommand(testKey(), testLock, &unlock); err != nil {
		t.Fatal(err)
	}
	if err := env.v.Verify(lockNow, &unlock); !errors.Is(err, ErrNotYetValid) {
		t.Fatalf("unlock with a wrong clock = %v, want ErrNotYetValid", err)
	}

	nonce := NewNonce()
	req := Request{ID: "t-1", Type: TypeTime, Nonce: nonce}
	var got Request
	if err := DecodeRequest(AppendRequest(nil, &req), &got); err != nil {
		t.Fatal(err)
	}
	if err := env.v.ExpectTime(lockNow, got.Nonce); err != nil {
		t.Fatal(err)
	}
	answer := TimeAnswer(got.Nonce, hubNow)
	if answer.Cmd != CmdTime || answer.Time != hubNow || answer.IssuedAt != hubNow || answer.Expires != hubNow+30000 {
		t.Fatalf("TimeAnswer = %+v", answer)
	}
	if err := SignCommand(testKey(), testLock, &answer); err != nil {
		t.Fatal(err)
	}

	// An unlock carrying the time nonce gets no clock exemption.
	sneaky := exampleCommand()
	sneaky.Nonce = nonce
	if err := SignCommand(testKey(), testLock, &sneaky); err != nil {
		t.Fatal(err)
	}
	if err := env.v.Verify(lockNow, &sneaky); !errors.Is(err, ErrNotYetValid) {
		t.Errorf("unlock with the time nonce = %v, want ErrNotYetValid", err)
	}
	// A time command with another nonce gets none either.
	other := answer
	other.Nonce = NewNonce()
	if err := SignCommand(testKey(), testLock, &other); err != nil {
		t.Fatal(err)
	}
	if err := env.v.Verify(lockNow, &other); !errors.Is(err, ErrNotYetValid) {
		t.Errorf("unsolicited time command = %v, want ErrNotYetValid", err)
	}
	// The answer, tampered, is refused; the answer itself is accepted once.
	tampered := answer
	tampered.Time -= 86400e3
	if err := env.v.Verify(lockNow, &tampered); !errors.Is(err, ErrBadMAC) {
		t.Errorf("tampered time = %v, want ErrBadMAC", err)
	}
	if err := env.v.Verify(lockNow.Add(2*time.Second), roundTrip(t, &answer)); err != nil {
		t.Fatalf("time answer = %v", err)
	}
	if err := env.v.Verify(lockNow.Add(3*time.Second), &answer); !errors.Is(err, ErrReplay) && !errors.Is(err, ErrNotYetValid) {
		t.Errorf("time answer replayed = %v, want refusal", err)
	}
	// With the clock set from the answer, ordinary commands pass.
	if err := env.v.Verify(time.UnixMilli(answer.Time), &unlock); err != nil {
		t.Errorf("unlock after time fix = %v", err)
	}
	// And the old answer replayed against the fixed clock is a replay.
	if err := env.v.Verify(time.UnixMilli(answer.Time+1000), &answer); !errors.Is(err, ErrReplay) {
		t.Errorf("time answer replayed after fix = %v, want ErrReplay", err)
	}
}

func TestTimeRequestTTL(t *testing.T) {
	env := newVerifyEnv(t, VerifierConfig{TimeRequestTTL: 10 * time.Second})
	lockNow := time.UnixMilli(5000)
	nonce := NewNonce()
	if err := env.v.ExpectTime(lockNow, nonce); err != nil {
		t.Fatal(err)
	}
	answer := Command{Cmd: CmdTime, Nonce: nonce, IssuedAt: testIat, Expires: testIat + 30000, Time: testIat}
	if err := SignCommand(testKey(), testLock, &answer); err != nil {
		t.Fatal(err)
	}
	if err := env.v.Verify(lockNow.Add(11*time.Second), &answer); !errors.Is(err, ErrNotYetValid) {
		t.Errorf("late time answer = %v, want ErrNotYetValid", err)
	}
	// A newer request replaces the older nonce.
	if err := env.v.ExpectTime(lockNow, NewNonce()); err != nil {
		t.Fatal(err)
	}
	if err := env.v.Verify(lockNow, &answer); !errors.Is(err, ErrNotYetValid) {
		t.Errorf("answer to a superseded request = %v, want ErrNotYetValid", err)
	}
	if err := env.v.ExpectTime(lockNow, "ZZ"); !errors.Is(err, ErrBadCommand) {
		t.Errorf("ExpectTime(bad nonce) = %v", err)
	}
}

func TestNewNonce(t *testing.T) {
	a, b := NewNonce(), NewNonce()
	if !validNonce(a) || a == b {
		t.Errorf("NewNonce() = %q, %q", a, b)
	}
}

// TestIssuedFloor: after a reboot the nonce table is empty; the issued floor
// keeps commands issued before the boot from being replayed.
func TestIssuedFloor(t *testing.T) {
	c := exampleCommand()
	if err := SignCommand(testKey(), testLock, &c); err != nil {
		t.Fatal(err)
	}
	first := newVerifyEnv(t, VerifierConfig{})
	if err := first.v.Verify(first.now, &c); err != nil {
		t.Fatal(err)
	}
	rebooted := newVerifyEnv(t, VerifierConfig{}) // empty nonce table
	rebooted.v.SetIssuedFloor(time.UnixMilli(testIat + 2000))
	rebooted.v.SetIssuedFloor(time.UnixMilli(testIat)) // never moves back
	if err := rebooted.v.Verify(time.UnixMilli(testIat+3000), &c); !errors.Is(err, ErrReplay) {
		t.Errorf("pre-boot command after reboot = %v, want ErrReplay", err)
	}
	fresh := exampleCommand()
	fresh.Nonce = NewNonce()
	fresh.IssuedAt, fresh.Expires = testIat+2500, testIat+32500
	if err := SignCommand(testKey(), testLock, &fresh); err != nil {
		t.Fatal(err)
	}
	if err := rebooted.v.Verify(time.UnixMilli(testIat+3000), &fresh); err != nil {
		t.Errorf("post-boot command = %v", err)
	}
}
