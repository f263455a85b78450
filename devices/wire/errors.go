package wire

import (
	"errors"
	"fmt"
)

// ErrorCode classifies why a payload was refused. Its String form is what an
// error response carries in "reason".
type ErrorCode uint8

// Error codes. CodeNone is not an error.
const (
	CodeNone               ErrorCode = iota
	CodeBadJSON                      // not one well-formed JSON object (syntax, bad UTF-8, nesting, trailing data)
	CodeTooLarge                     // payload over the size limit of its message type
	CodeUnsupportedVersion           // "v" is not 1
	CodeMissingField                 // a required field is absent
	CodeBadField                     // a field has the wrong type, is out of range, is duplicated, is not allowed here, or is unknown
	CodeUnknownType                  // unknown request type, event kind, command or result
	CodeRateLimited                  // the hub refuses to answer this lock so often
	CodeInternal                     // the hub failed; the request may be retried
	numCodes
)

var codeNames = [numCodes]string{
	"none", "bad_json", "too_large", "unsupported_version", "missing_field", "bad_field",
	"unknown_type", "rate_limited", "internal",
}

func (c ErrorCode) String() string {
	if c < numCodes {
		return codeNames[c]
	}
	return fmt.Sprintf("code(%d)", uint8(c))
}

// ParseErrorCode is the inverse of ErrorCode.String.
func ParseErrorCode(s string) (ErrorCode, error) {
	for i := CodeBadJSON; i < numCodes; i++ {
		if codeNames[i] == s {
			return i, nil
		}
	}
	return CodeNone, fmt.Errorf("unknown error code %q", s)
}

// ErrorCodes returns every error code, for metrics that pre-create labels.
func ErrorCodes() []ErrorCode {
	cs := make([]ErrorCode, 0, numCodes-1)
	for c := CodeBadJSON; c < numCodes; c++ {
		cs = append(cs, c)
	}
	return cs
}

// Error is a refused payload. Its message names the field but never carries
// a field's value, so it may be logged and sent back to the lock.
type Error struct {
	Code  ErrorCode
	Field string // JSON field, "" for whole-message errors; "args.ms" for nested ones
	Msg   string
}

func (e *Error) Error() string {
	if e.Field == "" {
		return "wire: " + e.Code.String() + ": " + e.Msg
	}
	return "wire: " + e.Code.String() + ": " + e.Field + ": " + e.Msg
}

// CodeOf returns the code of a decoding error: CodeNone for nil, the *Error's
// code, or CodeInternal for any other error.
func CodeOf(err error) ErrorCode {
	if err == nil {
		return CodeNone
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return CodeInternal
}

func errf(code ErrorCode, field, msg string) *Error {
	return &Error{Code: code, Field: field, Msg: msg}
}
