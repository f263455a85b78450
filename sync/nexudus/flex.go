package nexudus

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strconv"
	"strings"
)

// StringID is an identifier whose JSON type the docs do not pin down (an
// access-control group id, a time-zone reference): it accepts a string, a
// number or null, and keeps the text. "" means none.
type StringID string

// UnmarshalJSON accepts "abc", 123 or null.
func (s *StringID) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case string(b) == "null":
		*s = ""
	case len(b) > 0 && b[0] == '"':
		var v string
		if err := json.Unmarshal(b, &v); err != nil {
			return err
		}
		*s = StringID(strings.TrimSpace(v))
	case len(b) > 0 && (b[0] == '-' || (b[0] >= '0' && b[0] <= '9')):
		if !json.Valid(b) {
			return &json.UnmarshalTypeError{Value: "number", Type: reflect.TypeFor[StringID]()}
		}
		*s = StringID(b)
	default:
		return &json.UnmarshalTypeError{Value: jsonKind(b), Type: reflect.TypeFor[StringID]()}
	}
	return nil
}

// Int64 parses s as a decimal integer, reporting false if it is not one.
func (s StringID) Int64() (int64, bool) {
	v, err := strconv.ParseInt(string(s), 10, 64)
	return v, err == nil
}

// StringList is a list of identifiers whose JSON form the docs leave open
// (AccessControlGroupIds, CoworkerContractIds): an array of strings or
// numbers, a string of values separated by commas, semicolons or spaces, or
// null. Empty entries are dropped.
type StringList []string

// UnmarshalJSON accepts ["a", 1], "a,1" or null.
func (l *StringList) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case string(b) == "null":
		*l = nil
	case len(b) > 0 && b[0] == '"':
		var v string
		if err := json.Unmarshal(b, &v); err != nil {
			return err
		}
		*l = splitList(v)
	case len(b) > 0 && b[0] == '[':
		var raw []StringID
		if err := json.Unmarshal(b, &raw); err != nil {
			return &json.UnmarshalTypeError{Value: "array", Type: reflect.TypeFor[StringList]()}
		}
		out := make([]string, 0, len(raw))
		for _, r := range raw {
			if r != "" {
				out = append(out, string(r))
			}
		}
		*l = out
	default:
		if len(b) > 0 && (b[0] == '-' || (b[0] >= '0' && b[0] <= '9')) && json.Valid(b) {
			*l = []string{string(b)}
			return nil
		}
		return &json.UnmarshalTypeError{Value: jsonKind(b), Type: reflect.TypeFor[StringList]()}
	}
	return nil
}

func splitList(s string) []string {
	if strings.TrimSpace(s) == "" {
		return nil
	}
	return SplitCards(s)
}

// SplitCards splits a Nexudus AccessCardId (or any multi-value string) into
// its tokens: separators are ',', ';' and white space (Q12). Empty tokens are
// dropped; tokens are returned as written. Canonicalising a card id is the
// caller's job (policy.Canonical), not this package's.
func SplitCards(s string) []string {
	var out []string
	start := -1
	for i, r := range s {
		if r == ',' || r == ';' || isSpace(r) {
			if start >= 0 {
				out = append(out, s[start:i])
				start = -1
			}
			continue
		}
		if start < 0 {
			start = i
		}
	}
	if start >= 0 {
		out = append(out, s[start:])
	}
	return out
}

// isSpace is unicode.IsSpace, including U+FEFF (BOM) and U+200B, which
// spreadsheets leave in pasted ids.
func isSpace(r rune) bool {
	switch r {
	case '\t', '\n', '\v', '\f', '\r', ' ', 0x85, 0xA0, 0x1680, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000, 0xFEFF, 0x200B:
		return true
	}
	return r >= 0x2000 && r <= 0x200A
}
