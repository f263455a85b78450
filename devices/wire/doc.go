// Package wire is lock protocol v1: the MQTT topic tree of a lock and the
// JSON payloads exchanged on it, with their codecs. It imports nothing of
// lockhub's and only the standard library, so a lock simulator or a firmware
// test rig can use it alone. docs/protocol.md is the specification a
// firmware author follows; this package is its reference implementation.
//
// # Topics
//
//	lockhub/v1/locks/{lock}/req    lock -> hub   Request (access or time), never retained
//	lockhub/v1/locks/{lock}/res    hub -> lock   AccessResponse
//	lockhub/v1/locks/{lock}/evt    lock -> hub   DoorEvent
//	lockhub/v1/locks/{lock}/ack    hub -> lock   Ack
//	lockhub/v1/locks/{lock}/state  lock -> all   LockState, retained; also the last will
//	lockhub/v1/locks/{lock}/cmd    hub -> lock   Command, signed, never retained
//
// Topic, AppendTopic and ParseTopic build and split them; ValidLockID is
// the lock id rule.
//
// # Payloads
//
// Every payload is one JSON object with "v":1. Each message type has a size
// limit (MaxRequestSize, ...). Decoders are hand-written: they check the JSON
// syntax strictly (UTF-8, nesting depth, no trailing data, no duplicate
// fields), never panic, and return an *Error whose ErrorCode a hub sends back
// in an error response. Messages the hub receives (Request, DoorEvent,
// LockState) refuse unknown fields unless they start with "x_"; messages a
// lock receives (AccessResponse, Ack, Command) ignore unknown fields, so the
// hub can add fields without breaking deployed firmware.
//
// Encoders append to a caller's buffer (AppendRequest, AppendResponse, ...)
// and do not validate: the decoders are the judges. The unlock hot path,
// DecodeRequest then AppendResponse, allocates only the request's id and
// credential strings.
//
// # Commands
//
// SignCommand computes the HMAC-SHA256 of a command's canonical string
// (AppendCanonical: netstrings, not re-encoded JSON) under the lock's command
// key. A lock checks commands with a Verifier: MAC, lock binding, validity
// window with clock skew, and replays with bounded memory; a lock whose
// clock is wrong gets a signed time through a time request and
// Verifier.ExpectTime.
package wire
