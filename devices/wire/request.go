package wire

import "fmt"

// Size limits of lock requests and hub responses, in bytes of payload.
const (
	MaxRequestSize  = 2048
	MaxResponseSize = 1024
)

// MaxCredentialLen bounds the raw credential value of a request. It leaves
// room for a 64-digit card id written with separators (see docs/protocol.md).
const MaxCredentialLen = 200

// RequestType is the "type" of a request on the req topic. The credential
// types have the same names and numeric values as policy.CredentialType.
type RequestType uint8

// Request types. The zero value is invalid.
const (
	TypeUnknown RequestType = iota
	TypeCard                // an RFID/NFC card UID
	TypeFob                 // a key fob UID
	TypePIN                 // a keypad PIN
	TypePhone               // a phone key token
	TypeTime                // a time request: the lock asks for a signed time command
	numTypes
)

var typeNames = [numTypes]string{"unknown", "card", "fob", "pin", "phone", "time"}

func (t RequestType) String() string {
	if t < numTypes {
		return typeNames[t]
	}
	return fmt.Sprintf("type(%d)", uint8(t))
}

// IsCredential reports whether t asks for an unlock with a credential.
func (t RequestType) IsCredential() bool { return t >= TypeCard && t <= TypePhone }

func parseType(b []byte) RequestType { return RequestType(nameIndex(typeNames[:], b)) }

// Request is a message on lockhub/v1/locks/{lock}/req: an access request
// (Type card, fob, pin or phone, with Credential) or a time request (Type
// time, with Nonce).
type Request struct {
	// ID correlates the response. Optional for MQTT 5 locks that send
	// CorrelationData; required otherwise (see RequireID).
	ID   string
	Type RequestType
	// Credential is the raw value as the lock read it (access requests
	// only): 1 to MaxCredentialLen printable ASCII characters. The hub
	// canonicalises it (policy.Canonical); the wire layer does not.
	Credential string
	// Nonce is the lock's fresh nonce (time requests only), 32 lower-case
	// hex digits; the hub's time command carries it back.
	Nonce string
	// At is the lock's clock when the request was made, unix ms; 0 when the
	// lock sent none.
	At int64
}

const (
	rqV uint32 = 1 << iota
	rqID
	rqType
	rqCred
	rqNonce
	rqAt
)

// DecodeRequest decodes and validates a request. A missing id is not an
// error here (MQTT 5 locks may use CorrelationData instead); call RequireID
// for a request that arrived without CorrelationData. Errors are *Error.
func DecodeRequest(data []byte, r *Request) error {
	*r = Request{}
	if len(data) > MaxRequestSize {
		return errf(CodeTooLarge, "", "request over 2048 bytes")
	}
	d := decodeState{strict: true}
	var m members
	m.init(data)
	for m.next() {
		switch string(m.key) {
		case "v":
			d.readVersion(m.val)
		case "id":
			if !d.mark(rqID, "id") {
				r.ID = idField(&d, m.val)
			}
		case "type":
			if !d.mark(rqType, "type") {
				b, err := str(m.val, "type")
				if err != nil {
					d.fail(err)
					continue
				}
				if r.Type = parseType(b); r.Type == TypeUnknown {
					d.fail(errf(CodeUnknownType, "type", "must be card, fob, pin, phone or time"))
				}
			}
		case "credential":
			if !d.mark(rqCred, "credential") {
				b, err := str(m.val, "credential")
				if err != nil {
					d.fail(err)
					continue
				}
				if !printable(b, MaxCredentialLen) {
					d.fail(errf(CodeBadField, "credential", "must be 1 to 200 printable ASCII characters"))
					continue
				}
				r.Credential = string(b)
			}
		case "nonce":
			if !d.mark(rqNonce, "nonce") {
				r.Nonce = nonceField(&d, m.val, "nonce")
			}
		case "at":
			if !d.mark(rqAt, "at") {
				at, err := timeVal(m.val, "at")
				if err != nil {
					d.fail(err)
				}
				r.At = at
			}
		default:
			d.unknown(m.key)
		}
	}
	d.need(rqType, "type")
	switch {
	case r.Type.IsCredential():
		d.need(rqCred, "credential")
		if d.has(rqNonce) {
			d.fail(errf(CodeBadField, "nonce", "only allowed in time requests"))
		}
	case r.Type == TypeTime:
		d.need(rqNonce, "nonce")
		if d.has(rqCred) {
			d.fail(errf(CodeBadField, "credential", "not allowed in time requests"))
		}
	}
	return d.finish(m.err)
}

// RequireID returns a missing_field error when r has no id: the request came
// over MQTT 3.1.1, or over MQTT 5 without CorrelationData.
func RequireID(r *Request) error {
	if r.ID == "" {
		return errf(CodeMissingField, "id", "required without MQTT 5 correlation data")
	}
	return nil
}

// AppendRequest appends r as JSON to dst. It does not validate r: a lock
// simulator may send anything; DecodeRequest is the judge.
func AppendRequest(dst []byte, r *Request) []byte {
	dst = appendV1(dst)
	if r.ID != "" {
		dst = appendStrField(dst, "id", r.ID)
	}
	dst = appendStrField(dst, "type", r.Type.String())
	if r.Credential != "" {
		dst = appendStrField(dst, "credential", r.Credential)
	}
	if r.Nonce != "" {
		dst = appendStrField(dst, "nonce", r.Nonce)
	}
	if r.At != 0 {
		dst = appendIntField(dst, "at", r.At)
	}
	return append(dst, '}')
}
