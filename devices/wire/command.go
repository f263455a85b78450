package wire

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"time"
)

// MaxCommandSize is the size limit of a command payload.
const MaxCommandSize = 4096

// MaxWindows bounds the office-hours windows of one command.
const MaxWindows = 64

// CanonicalContext is the first field of every command's canonical string:
// it keeps a command MAC from being valid for anything else.
const CanonicalContext = "lockhub/v1/cmd"

// CommandKind is the "cmd" of a command.
type CommandKind uint8

// Commands. The zero value is invalid.
const (
	CmdUnknown     CommandKind = iota
	CmdUnlock                  // open for Args.UnlockMS
	CmdLockdownOn              // refuse every credential until lockdown_off
	CmdLockdownOff             // leave lockdown
	CmdReleaseOn               // emergency release: hold the door open
	CmdReleaseOff              // end the emergency release
	CmdOfficeHours             // hold the door open inside Windows (replaces earlier windows)
	CmdTime                    // set the clock to Time
	numCmds
)

var cmdNames = [numCmds]string{"unknown", "unlock", "lockdown_on", "lockdown_off", "release_on", "release_off", "office_hours", "time"}

func (k CommandKind) String() string {
	if k < numCmds {
		return cmdNames[k]
	}
	return fmt.Sprintf("cmd(%d)", uint8(k))
}

func parseCommandKind(b []byte) CommandKind {
	for i := CmdUnlock; i < numCmds; i++ {
		if cmdNames[i] == string(b) {
			return i
		}
	}
	return CmdUnknown
}

// DefaultCommandTTL is the validity (exp - iat) the hub gives unlock,
// lockdown, release and time commands.
const DefaultCommandTTL = 30 * time.Second

// TimeAnswer returns the unsigned time command answering a time request
// with the given nonce, at the hub's clock nowMS (unix ms): iat = time =
// nowMS, exp = nowMS + DefaultCommandTTL. Sign it with SignCommand.
func TimeAnswer(nonce string, nowMS int64) Command {
	return Command{Cmd: CmdTime, Nonce: nonce, IssuedAt: nowMS, Expires: nowMS + DefaultCommandTTL.Milliseconds(), Time: nowMS}
}

// Window is an office-hours interval [From, To) in unix ms. The hub resolves
// schedules and time zones into absolute windows, so a lock needs no zone
// database.
type Window struct {
	From, To int64
}

// Command is a signed message on lockhub/v1/locks/{lock}/cmd.
type Command struct {
	Cmd CommandKind
	// Lock is the lock the command was signed for.
	Lock string
	// Nonce is 16 random bytes in lower-case hex; for a time command that
	// answers a time request, the request's nonce.
	Nonce string
	// IssuedAt and Expires bound the command's validity, unix ms (the
	// "iat" and "exp" fields).
	IssuedAt int64
	Expires  int64
	// UnlockMS is the unlock duration (unlock only), 1..MaxUnlockMS.
	UnlockMS uint32
	// Windows are the office-hours windows (office_hours only), sorted and
	// not overlapping; none turns office hours off.
	Windows []Window
	// Time is the hub's clock, unix ms (time only).
	Time int64
	// MAC is HMAC-SHA256 over the canonical string (AppendCanonical) with
	// the lock's command key.
	MAC [sha256.Size]byte
}

// checkCommand validates the fields that the canonical string covers (all
// but Lock and MAC).
func checkCommand(c *Command) *Error {
	switch {
	case c.Cmd == CmdUnknown || c.Cmd >= numCmds:
		return errf(CodeUnknownType, "cmd", "unknown command")
	case !validNonce(c.Nonce):
		return errf(CodeBadField, "nonce", "must be 32 lower-case hex digits")
	case c.IssuedAt < 0 || c.IssuedAt > MaxTimeMS:
		return errf(CodeBadField, "iat", "out of range")
	case c.Expires <= c.IssuedAt || c.Expires > MaxTimeMS:
		return errf(CodeBadField, "exp", "must be after iat")
	}
	switch c.Cmd {
	case CmdUnlock:
		if c.UnlockMS == 0 || c.UnlockMS > MaxUnlockMS {
			return errf(CodeBadField, "args.ms", "must be 1 to 600000")
		}
	case CmdTime:
		if c.Time <= 0 || c.Time > MaxTimeMS {
			return errf(CodeBadField, "args.time", "out of range")
		}
	case CmdOfficeHours:
		if len(c.Windows) > MaxWindows {
			return errf(CodeBadField, "args.windows", "more than 64 windows")
		}
		var prev int64
		for _, w := range c.Windows {
			if w.From < prev || w.To <= w.From || w.To > MaxTimeMS {
				return errf(CodeBadField, "args.windows", "windows must be non-empty, sorted and not overlapping")
			}
			prev = w.To
		}
	}
	return nil
}

func appendNetstring(dst []byte, s []byte) []byte {
	dst = strconv.AppendInt(dst, int64(len(s)), 10)
	dst = append(dst, ':')
	dst = append(dst, s...)
	return append(dst, ',')
}

// appendArgsText appends the canonical text of the command's arguments:
// "ms=5000" (unlock), "time=1767225600000" (time),
// "windows=FROM-TO,FROM-TO" (office_hours; "windows=" when empty), and
// nothing for the other commands.
func appendArgsText(dst []byte, c *Command) []byte {
	switch c.Cmd {
	case CmdUnlock:
		dst = append(dst, "ms="...)
		dst = strconv.AppendUint(dst, uint64(c.UnlockMS), 10)
	case CmdTime:
		dst = append(dst, "time="...)
		dst = strconv.AppendInt(dst, c.Time, 10)
	case CmdOfficeHours:
		dst = append(dst, "windows="...)
		for i, w := range c.Windows {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = strconv.AppendInt(dst, w.From, 10)
			dst = append(dst, '-')
			dst = strconv.AppendInt(dst, w.To, 10)
		}
	}
	return dst
}

// AppendCanonical appends the byte string a command's MAC covers: seven
// netstrings (decimal length, ':', bytes, ','):
//
//	"lockhub/v1/cmd", lock, cmd, nonce, iat, exp, args
//
// with iat and exp in decimal unix ms and args as described in
// docs/protocol.md. lock is the id of the lock that verifies (not c.Lock).
func AppendCanonical(dst []byte, lock string, c *Command) []byte {
	var num [24]byte
	dst = appendNetstring(dst, []byte(CanonicalContext))
	dst = appendNetstring(dst, []byte(lock))
	dst = appendNetstring(dst, []byte(c.Cmd.String()))
	dst = appendNetstring(dst, []byte(c.Nonce))
	dst = appendNetstring(dst, strconv.AppendInt(num[:0], c.IssuedAt, 10))
	dst = appendNetstring(dst, strconv.AppendInt(num[:0], c.Expires, 10))
	var buf [64]byte
	return appendNetstring(dst, appendArgsText(buf[:0], c))
}

func commandMAC(key []byte, lock string, c *Command) [sha256.Size]byte {
	var buf [256]byte
	h := hmac.New(sha256.New, key)
	h.Write(AppendCanonical(buf[:0], lock, c))
	var out [sha256.Size]byte
	h.Sum(out[:0])
	return out
}

// ErrEmptyKey is returned when a command key is empty.
var ErrEmptyKey = errors.New("empty command key")

// SignCommand validates c, sets c.Lock to lock and c.MAC to the HMAC-SHA256
// of its canonical string under key (the lock's command key).
func SignCommand(key []byte, lock string, c *Command) error {
	if len(key) == 0 {
		return fmt.Errorf("sign command: %w", ErrEmptyKey)
	}
	if !ValidLockID(lock) {
		return fmt.Errorf("sign command: invalid lock id")
	}
	if err := checkCommand(c); err != nil {
		return fmt.Errorf("sign command: %w", err)
	}
	c.Lock = lock
	c.MAC = commandMAC(key, lock, c)
	return nil
}

// AppendCommand appends c as JSON to dst (no validation).
func AppendCommand(dst []byte, c *Command) []byte {
	dst = appendV1(dst)
	dst = appendStrField(dst, "cmd", c.Cmd.String())
	dst = appendStrField(dst, "lock", c.Lock)
	dst = appendStrField(dst, "nonce", c.Nonce)
	dst = appendIntField(dst, "iat", c.IssuedAt)
	dst = appendIntField(dst, "exp", c.Expires)
	switch c.Cmd {
	case CmdUnlock:
		dst = append(dst, `,"args":{"ms":`...)
		dst = strconv.AppendUint(dst, uint64(c.UnlockMS), 10)
		dst = append(dst, '}')
	case CmdTime:
		dst = append(dst, `,"args":{"time":`...)
		dst = strconv.AppendInt(dst, c.Time, 10)
		dst = append(dst, '}')
	case CmdOfficeHours:
		dst = append(dst, `,"args":{"windows":[`...)
		for i, w := range c.Windows {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = append(dst, '[')
			dst = strconv.AppendInt(dst, w.From, 10)
			dst = append(dst, ',')
			dst = strconv.AppendInt(dst, w.To, 10)
			dst = append(dst, ']')
		}
		dst = append(dst, "]}"...)
	}
	dst = append(dst, `,"mac":"`...)
	dst = hex.AppendEncode(dst, c.MAC[:])
	return append(dst, '"', '}')
}
