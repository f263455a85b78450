package wire

import "encoding/hex"

const (
	cmCmd uint32 = 1 << iota
	cmLock
	cmNonce
	cmIat
	cmExp
	cmArgs
	cmMAC
	cmArgMS
	cmArgTime
	cmArgWindows
)

// DecodeCommand decodes a command as a lock does: unknown fields, and
// unknown members of "args", are ignored (the MAC does not cover them, so
// they can have no effect). Decoding checks the form; Verifier.Verify checks
// the MAC, lock, validity and replay. Errors are *Error.
func DecodeCommand(data []byte, c *Command) error {
	*c = Command{}
	if len(data) > MaxCommandSize {
		return errf(CodeTooLarge, "", "command over 4096 bytes")
	}
	d := decodeState{}
	var m members
	m.init(data)
	var args []byte
	for m.next() {
		switch string(m.key) {
		case "v":
			d.readVersion(m.val)
		case "cmd":
			if !d.mark(cmCmd, "cmd") {
				b, err := str(m.val, "cmd")
				if err != nil {
					d.fail(err)
					continue
				}
				if c.Cmd = parseCommandKind(b); c.Cmd == CmdUnknown {
					d.fail(errf(CodeUnknownType, "cmd", "unknown command"))
				}
			}
		case "lock":
			if !d.mark(cmLock, "lock") {
				b, err := str(m.val, "lock")
				if err != nil {
					d.fail(err)
					continue
				}
				if !ValidLockID(string(b)) {
					d.fail(errf(CodeBadField, "lock", "invalid lock id"))
					continue
				}
				c.Lock = string(b)
			}
		case "nonce":
			if !d.mark(cmNonce, "nonce") {
				c.Nonce = nonceField(&d, m.val, "nonce")
			}
		case "iat":
			if !d.mark(cmIat, "iat") {
				t, err := timeVal(m.val, "iat")
				if err != nil {
					d.fail(err)
				}
				c.IssuedAt = t
			}
		case "exp":
			if !d.mark(cmExp, "exp") {
				t, err := timeVal(m.val, "exp")
				if err != nil {
					d.fail(err)
				}
				c.Expires = t
			}
		case "args":
			if !d.mark(cmArgs, "args") {
				if m.val[0] != '{' {
					d.fail(errf(CodeBadField, "args", "must be an object"))
					continue
				}
				args = m.val
			}
		case "mac":
			if !d.mark(cmMAC, "mac") {
				b, err := str(m.val, "mac")
				if err != nil {
					d.fail(err)
					continue
				}
				if len(b) != 2*len(c.MAC) || !lowerHex(b) {
					d.fail(errf(CodeBadField, "mac", "must be 64 lower-case hex digits"))
					continue
				}
				_, _ = hex.Decode(c.MAC[:], b)
			}
		default:
			d.unknown(m.key)
		}
	}
	if m.err == nil && args != nil {
		decodeArgs(&d, args, c)
	}
	for _, f := range [...]struct {
		bit  uint32
		name string
	}{{cmCmd, "cmd"}, {cmLock, "lock"}, {cmNonce, "nonce"}, {cmIat, "iat"}, {cmExp, "exp"}, {cmMAC, "mac"}} {
		d.need(f.bit, f.name)
	}
	switch c.Cmd {
	case CmdUnlock:
		d.need(cmArgMS, "args.ms")
	case CmdTime:
		d.need(cmArgTime, "args.time")
	case CmdOfficeHours:
		d.need(cmArgWindows, "args.windows")
	}
	if d.first == nil && d.seen&(cmIat|cmExp) == cmIat|cmExp && c.Expires <= c.IssuedAt {
		d.fail(errf(CodeBadField, "exp", "must be after iat"))
	}
	return d.finish(m.err)
}

func decodeArgs(d *decodeState, args []byte, c *Command) {
	var m members
	m.initNested(args, 1)
	for m.next() {
		switch string(m.key) {
		case "ms":
			if !d.mark(cmArgMS, "args.ms") {
				n, err := uintVal(m.val, "args.ms", MaxUnlockMS)
				if err == nil && n == 0 {
					err = errf(CodeBadField, "args.ms", "must be 1 to 600000")
				}
				if err != nil {
					d.fail(err)
				}
				c.UnlockMS = uint32(n)
			}
		case "time":
			if !d.mark(cmArgTime, "args.time") {
				t, err := timeVal(m.val, "args.time")
				if err == nil && t == 0 {
					err = errf(CodeBadField, "args.time", "out of range")
				}
				if err != nil {
					d.fail(err)
				}
				c.Time = t
			}
		case "windows":
			if !d.mark(cmArgWindows, "args.windows") {
				c.Windows = windowsVal(d, m.val)
			}
		}
	}
}

func windowsVal(d *decodeState, val []byte) []Window {
	bad := errf(CodeBadField, "args.windows", "must be an array of [from, to] pairs, sorted, not overlapping, at most 64")
	if val[0] != '[' {
		d.fail(bad)
		return nil
	}
	var ws []Window
	var e elements
	e.init(val, 2)
	var prev int64
	for e.next() {
		if e.n > MaxWindows || e.val[0] != '[' {
			d.fail(bad)
			return nil
		}
		var pair elements
		pair.init(e.val, 3)
		var w [2]int64
		i := 0
		for pair.next() {
			if i == 2 {
				d.fail(bad)
				return nil
			}
			t, err := timeVal(pair.val, "args.windows")
			if err != nil {
				d.fail(err)
				return nil
			}
			w[i] = t
			i++
		}
		if i != 2 || w[0] < prev || w[1] <= w[0] {
			d.fail(bad)
			return nil
		}
		prev = w[1]
		if ws == nil {
			ws = make([]Window, 0, 4)
		}
		ws = append(ws, Window{From: w[0], To: w[1]})
	}
	return ws
}

func lowerHex(b []byte) bool {
	for _, c := range b {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}
