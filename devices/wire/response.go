package wire

import "fmt"

// Result is the outcome in an access response.
type Result uint8

// Results. The zero value is invalid.
const (
	ResultUnknown Result = iota
	ResultGranted        // open the door for UnlockMS
	ResultDenied         // Reason is a policy reason
	ResultError          // Reason is an ErrorCode name
	numResults
)

var resultNames = [numResults]string{"unknown", "granted", "denied", "error"}

func (r Result) String() string {
	if r < numResults {
		return resultNames[r]
	}
	return fmt.Sprintf("result(%d)", uint8(r))
}

// MaxMsgLen bounds the free-text message of an error response.
const MaxMsgLen = 256

// AccessResponse is the hub's reply on lockhub/v1/locks/{lock}/res.
type AccessResponse struct {
	// ID echoes the request's id; empty when the request had none or could
	// not be decoded far enough to find it.
	ID     string
	Result Result
	// Reason is the policy reason string ("allowed", "no_grant",
	// "keypad_locked_out", ...) for granted and denied, and the ErrorCode
	// name for error.
	Reason string
	// UnlockMS is how long to keep the door unlocked (granted only).
	UnlockMS uint32
	// RetryAfterMS, when non-zero, tells the lock not to send another request
	// of this kind before this many ms (keypad lockout, rate limiting).
	RetryAfterMS uint32
	// Msg is a human-readable detail of an error; never holds a credential.
	Msg string
	// Time is the hub's clock when it answered, unix ms; 0 to omit.
	Time int64
}

// AppendResponse appends r as JSON to dst. It does not allocate when dst has
// room, and does not validate r.
func AppendResponse(dst []byte, r *AccessResponse) []byte {
	dst = appendV1(dst)
	if r.ID != "" {
		dst = appendStrField(dst, "id", r.ID)
	}
	dst = appendStrField(dst, "result", r.Result.String())
	dst = appendStrField(dst, "reason", r.Reason)
	if r.UnlockMS != 0 {
		dst = appendUintField(dst, "unlock_ms", uint64(r.UnlockMS))
	}
	if r.RetryAfterMS != 0 {
		dst = appendUintField(dst, "retry_after_ms", uint64(r.RetryAfterMS))
	}
	if r.Msg != "" {
		dst = appendStrField(dst, "msg", r.Msg)
	}
	if r.Time != 0 {
		dst = appendIntField(dst, "time", r.Time)
	}
	return append(dst, '}')
}

// AppendError appends an error response for a refused request. msg is
// truncated to MaxMsgLen bytes; it must not contain the credential (the
// messages of *Error never do).
func AppendError(dst []byte, id string, code ErrorCode, msg string, now int64) []byte {
	if len(msg) > MaxMsgLen {
		msg = msg[:MaxMsgLen]
	}
	if !validID([]byte(id)) {
		id = "" // never echo a bad id back
	}
	return AppendResponse(dst, &AccessResponse{ID: id, Result: ResultError, Reason: code.String(), Msg: msg, Time: now})
}

// EncodeError returns an error response without a hub time.
func EncodeError(id string, code ErrorCode, msg string) []byte {
	return AppendError(make([]byte, 0, 96+len(msg)), id, code, msg, 0)
}

const (
	rsID uint32 = 1 << iota
	rsResult
	rsReason
	rsUnlock
	rsRetry
	rsMsg
	rsTime
)

// DecodeResponse decodes an access response, as a lock does. Like firmware,
// it ignores unknown fields (the hub may add fields within v1). Errors are
// *Error.
func DecodeResponse(data []byte, r *AccessResponse) error {
	*r = AccessResponse{}
	if len(data) > MaxResponseSize {
		return errf(CodeTooLarge, "", "response over 1024 bytes")
	}
	d := decodeState{}
	var m members
	m.init(data)
	for m.next() {
		switch string(m.key) {
		case "v":
			d.readVersion(m.val)
		case "id":
			if !d.mark(rsID, "id") {
				r.ID = idField(&d, m.val)
			}
		case "result":
			if !d.mark(rsResult, "result") {
				b, err := str(m.val, "result")
				if err != nil {
					d.fail(err)
					continue
				}
				if r.Result = Result(nameIndex(resultNames[:], b)); r.Result == ResultUnknown {
					d.fail(errf(CodeUnknownType, "result", "must be granted, denied or error"))
				}
			}
		case "reason":
			if !d.mark(rsReason, "reason") {
				b, err := str(m.val, "reason")
				if err != nil {
					d.fail(err)
					continue
				}
				if !validReason(b) {
					d.fail(errf(CodeBadField, "reason", "must be 1 to 64 of [a-z0-9_]"))
					continue
				}
				r.Reason = string(b)
			}
		case "unlock_ms":
			if !d.mark(rsUnlock, "unlock_ms") {
				n, err := uintVal(m.val, "unlock_ms", MaxUnlockMS)
				if err == nil && n == 0 {
					err = errf(CodeBadField, "unlock_ms", "must be 1 to 600000") // a grant that opens for no time
				}
				if err != nil {
					d.fail(err)
				}
				r.UnlockMS = uint32(n)
			}
		case "retry_after_ms":
			if !d.mark(rsRetry, "retry_after_ms") {
				n, err := uintVal(m.val, "retry_after_ms", 1<<32-1)
				if err != nil {
					d.fail(err)
				}
				r.RetryAfterMS = uint32(n)
			}
		case "msg":
			if !d.mark(rsMsg, "msg") {
				b, err := str(m.val, "msg")
				if err != nil {
					d.fail(err)
					continue
				}
				if len(b) > MaxMsgLen {
					d.fail(errf(CodeBadField, "msg", "longer than 256 bytes"))
					continue
				}
				r.Msg = string(b)
			}
		case "time":
			if !d.mark(rsTime, "time") {
				t, err := timeVal(m.val, "time")
				if err != nil {
					d.fail(err)
				}
				r.Time = t
			}
		default:
			d.unknown(m.key)
		}
	}
	d.need(rsResult, "result")
	d.need(rsReason, "reason")
	if r.Result == ResultGranted {
		d.need(rsUnlock, "unlock_ms")
	}
	return d.finish(m.err)
}
