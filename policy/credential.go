package policy

import (
	"errors"
	"fmt"
	"strings"
)

// CredentialType is the kind of secret a member presents at a lock.
type CredentialType uint8

// Credential types. The zero value is invalid.
const (
	CredUnknown CredentialType = iota
	CredCard                   // an RFID/NFC card, canonical hex UID
	CredFob                    // a key fob, canonical hex UID
	CredPIN                    // a keypad PIN, 4 to 12 digits
	CredPhone                  // a phone key token
)

var credNames = [...]string{"unknown", "card", "fob", "pin", "phone"}

func (c CredentialType) String() string {
	if int(c) < len(credNames) {
		return credNames[c]
	}
	return fmt.Sprintf("credential(%d)", uint8(c))
}

// ParseCredentialType is the inverse of CredentialType.String.
func ParseCredentialType(s string) (CredentialType, error) {
	for i, n := range credNames {
		if i > 0 && n == s {
			return CredentialType(i), nil
		}
	}
	return CredUnknown, fmt.Errorf("unknown credential type %q", s)
}

// DigestSize is the size of a credential digest.
const DigestSize = 32

// Digest is the keyed hash of a credential's canonical value (see
// internal/keys). The hub stores and compares digests, never raw values.
type Digest [DigestSize]byte

// Credential is a member's credential as the hub keeps it: its type and
// digest. The raw value exists only while a request or a sync is decoded.
type Credential struct {
	Type   CredentialType
	Digest Digest
}

// Errors of credential canonicalisation.
var (
	ErrEmptyCredential   = errors.New("empty credential")
	ErrCredentialTooLong = errors.New("credential too long")
	ErrBadCardID         = errors.New("card id must be hexadecimal")
	ErrBadPIN            = errors.New("pin must be 4 to 12 digits")
	ErrBadPhoneKey       = errors.New("phone key must be 16 to 128 printable ASCII characters without spaces")
)

// MaxCardIDLen bounds a canonical card or fob id (a 10-byte UID is 20 digits;
// room is left for longer vendor formats).
const MaxCardIDLen = 64

// Canonical returns the canonical form of a raw credential value, or an error
// saying why the value cannot be a credential of that type.
//
// Cards and fobs: an optional 0x prefix, hex digits in either case, and the
// separators ':', '-', ' ' are accepted; the canonical form is upper-case hex
// without separators, leading zeros dropped and then one zero added back if
// needed to make an even number of digits (a whole number of bytes). So
// "04:a1:b2:c3", "4A1B2C3" and "0x04A1B2C3" are all "04A1B2C3".
//
// PINs: 4 to 12 ASCII digits, kept as they are (leading zeros matter).
//
// Phone keys: an opaque token of 16 to 128 printable ASCII characters other
// than space.
func Canonical(t CredentialType, raw string) (string, error) {
	switch t {
	case CredCard, CredFob:
		return canonicalCard(raw)
	case CredPIN:
		if len(raw) < 4 || len(raw) > 12 {
			return "", ErrBadPIN
		}
		for i := 0; i < len(raw); i++ {
			if raw[i] < '0' || raw[i] > '9' {
				return "", ErrBadPIN
			}
		}
		return raw, nil
	case CredPhone:
		if len(raw) < 16 || len(raw) > 128 {
			return "", ErrBadPhoneKey
		}
		for i := 0; i < len(raw); i++ {
			if raw[i] <= ' ' || raw[i] > '~' {
				return "", ErrBadPhoneKey
			}
		}
		return raw, nil
	default:
		return "", fmt.Errorf("canonicalise %v: unknown credential type", t)
	}
}

func canonicalCard(raw string) (string, error) {
	if isCanonicalCard(raw) {
		return raw, nil // what locks send: no copy on the decision path
	}
	return canonicalCardSlow(raw)
}

// isCanonicalCard reports whether raw is already in canonical card form:
// upper-case hex of an even number of digits, at most MaxCardIDLen, whose
// first byte is not zero unless it is the only one.
func isCanonicalCard(raw string) bool {
	n := len(raw)
	if n == 0 || n%2 == 1 || n > MaxCardIDLen || (n > 2 && raw[0] == '0' && raw[1] == '0') {
		return false
	}
	for i := 0; i < n; i++ {
		if c := raw[i]; (c < '0' || c > '9') && (c < 'A' || c > 'F') {
			return false
		}
	}
	return true
}

func canonicalCardSlow(raw string) (string, error) {
	s := strings.TrimSpace(raw)
	if len(s) > 2 && (s[:2] == "0x" || s[:2] == "0X") {
		s = s[2:]
	}
	if len(s) > 3*MaxCardIDLen {
		return "", ErrCredentialTooLong
	}
	var b strings.Builder
	b.Grow(len(s) + 1)
	started := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == ':' || c == '-' || c == ' ':
			continue
		case c >= '0' && c <= '9':
		case c >= 'a' && c <= 'f':
			c -= 'a' - 'A'
		case c >= 'A' && c <= 'F':
		default:
			return "", ErrBadCardID
		}
		if c == '0' && !started {
			continue
		}
		started = true
		b.WriteByte(c)
	}
	out := b.String()
	if out == "" {
		if strings.ContainsRune(s, '0') {
			return "00", nil // an all-zero id is still an id
		}
		return "", ErrEmptyCredential
	}
	if len(out)%2 == 1 {
		out = "0" + out
	}
	if len(out) > MaxCardIDLen {
		return "", ErrCredentialTooLong
	}
	return out, nil
}
