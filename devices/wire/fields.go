package wire

import "bytes"

// Limits shared by several messages.
const (
	// MaxIDLen is the longest request id.
	MaxIDLen = 64
	// MaxTimeMS is the largest time in unix milliseconds (9999-12-31T23:59:59.999Z).
	MaxTimeMS = 253402300799999
	// MaxSafeInt is the largest integer every JSON implementation keeps exact
	// (2^53-1); sequence numbers stay at or below it.
	MaxSafeInt = 1<<53 - 1
	// NonceLen is the length of a nonce: 16 random bytes in lower-case hex.
	NonceLen = 32
)

// decodeState collects the outcome of decoding one object: the version, the
// first field error and the fields seen (a duplicate is an error).
type decodeState struct {
	version uint8 // 0 absent, 1 is v1, 2 anything else
	strict  bool  // refuse unknown fields not starting with "x_"
	seen    uint32
	first   *Error
}

const (
	verAbsent uint8 = iota
	verOne
	verOther
)

func (d *decodeState) fail(e *Error) {
	if d.first == nil {
		d.first = e
	}
}

// mark records that the field with the given bit was seen and reports
// whether it was seen before (and so refused).
func (d *decodeState) mark(bit uint32, name string) bool {
	if d.seen&bit != 0 {
		d.fail(errf(CodeBadField, name, "duplicate field"))
		return true
	}
	d.seen |= bit
	return false
}

func (d *decodeState) has(bit uint32) bool { return d.seen&bit != 0 }

// version reads "v".
func (d *decodeState) readVersion(val []byte) {
	if d.version != verAbsent {
		d.fail(errf(CodeBadField, "v", "duplicate field"))
		return
	}
	if len(val) == 1 && val[0] == '1' {
		d.version = verOne
		return
	}
	d.version = verOther
}

// unknown handles a member whose name the message does not define.
func (d *decodeState) unknown(key []byte) {
	if !d.strict || bytes.HasPrefix(key, []byte("x_")) {
		return
	}
	d.fail(errf(CodeBadField, safeName(key), "unknown field"))
}

// finish returns the error of the whole decode, in order of precedence:
// syntax, version, first field error.
func (d *decodeState) finish(syntax *Error) error {
	switch {
	case syntax != nil:
		return syntax
	case d.version == verAbsent:
		return errf(CodeMissingField, "v", "required")
	case d.version == verOther:
		return errf(CodeUnsupportedVersion, "v", "only version 1 is supported")
	case d.first != nil:
		return d.first
	}
	return nil
}

// need records a missing_field error unless the field was seen.
func (d *decodeState) need(bit uint32, name string) {
	if !d.has(bit) {
		d.fail(errf(CodeMissingField, name, "required"))
	}
}

// safeName returns a JSON member name fit for an error message: printable
// ASCII, at most 32 bytes.
func safeName(key []byte) string {
	if len(key) > 32 {
		return "(long name)"
	}
	for _, c := range key {
		if c <= ' ' || c > '~' {
			return "(unprintable name)"
		}
	}
	return string(key)
}

// str returns the content of a JSON string value (a sub-slice of val unless
// it has escapes).
func str(val []byte, field string) ([]byte, *Error) {
	if len(val) < 2 || val[0] != '"' {
		return nil, errf(CodeBadField, field, "must be a string")
	}
	if bytes.IndexByte(val, '\\') < 0 {
		return val[1 : len(val)-1], nil
	}
	return appendUnquote(nil, val), nil
}

// uintVal parses a non-negative JSON integer up to max.
func uintVal(val []byte, field string, max uint64) (uint64, *Error) {
	if len(val) == 0 || val[0] < '0' || val[0] > '9' {
		if len(val) > 0 && val[0] == '-' {
			return 0, errf(CodeBadField, field, "must not be negative")
		}
		return 0, errf(CodeBadField, field, "must be an integer")
	}
	var n uint64
	for _, c := range val {
		if c < '0' || c > '9' {
			return 0, errf(CodeBadField, field, "must be an integer")
		}
		if n > (max-uint64(c-'0'))/10 {
			return 0, errf(CodeBadField, field, "out of range")
		}
		n = n*10 + uint64(c-'0')
	}
	return n, nil
}

// timeVal parses a time in unix milliseconds.
func timeVal(val []byte, field string) (int64, *Error) {
	n, err := uintVal(val, field, MaxTimeMS)
	return int64(n), err
}

func boolVal(val []byte, field string) (bool, *Error) {
	switch string(val) {
	case "true":
		return true, nil
	case "false":
		return false, nil
	}
	return false, errf(CodeBadField, field, "must be true or false")
}

// validID reports whether b is a request id: 1 to 64 printable ASCII
// characters other than space, '"' and '\'.
func validID(b []byte) bool {
	if len(b) == 0 || len(b) > MaxIDLen {
		return false
	}
	for _, c := range b {
		if c <= ' ' || c > '~' || c == '"' || c == '\\' {
			return false
		}
	}
	return true
}

// printable reports whether b is 1 to max printable ASCII characters
// (space included).
func printable(b []byte, max int) bool {
	if len(b) == 0 || len(b) > max {
		return false
	}
	for _, c := range b {
		if c < ' ' || c > '~' {
			return false
		}
	}
	return true
}

// validNonce reports whether b is 32 lower-case hex digits.
func validNonce[T string | []byte](b T) bool {
	if len(b) != NonceLen {
		return false
	}
	for i := 0; i < len(b); i++ {
		c := b[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

// validReason reports whether b is a reason or error code: 1 to 64 of
// [a-z0-9_].
func validReason(b []byte) bool {
	if len(b) == 0 || len(b) > 64 {
		return false
	}
	for _, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

func idField(d *decodeState, val []byte) string {
	b, err := str(val, "id")
	if err != nil {
		d.fail(err)
		return ""
	}
	if !validID(b) {
		d.fail(errf(CodeBadField, "id", "must be 1 to 64 printable ASCII characters without space, '\"' or '\\'"))
		return ""
	}
	return string(b)
}

func nonceField(d *decodeState, val []byte, field string) string {
	b, err := str(val, field)
	if err != nil {
		d.fail(err)
		return ""
	}
	if !validNonce(b) {
		d.fail(errf(CodeBadField, field, "must be 32 lower-case hex digits"))
		return ""
	}
	return string(b)
}
