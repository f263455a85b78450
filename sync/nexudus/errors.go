package nexudus

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// Sentinel errors; the typed errors below wrap them where it helps errors.Is.
var (
	// ErrUnauthorized: Nexudus answered 401 even with a fresh token (bad
	// credentials or a missing role, nexudus.md §3.1).
	ErrUnauthorized = errors.New("nexudus: unauthorized")
	// ErrThrottled: still throttled (409/429) after every retry.
	ErrThrottled = errors.New("nexudus: throttled")
	// ErrTooLarge: a response body exceeded Config.MaxResponseBytes.
	ErrTooLarge = errors.New("nexudus: response too large")
	// ErrServer: 5xx or network failures outlasted every retry.
	ErrServer = errors.New("nexudus: server unavailable")
	// ErrPaging: the server's paging did not make progress.
	ErrPaging = errors.New("nexudus: inconsistent paging")
	// ErrWriteFailed: a write came back with WasSuccessful false.
	ErrWriteFailed = errors.New("nexudus: write not successful")
)

// APIError is a non-2xx answer that is not retried (4xx other than 401,
// 409, 429). Message is Nexudus' own Message field, if any, cut to 200 bytes.
type APIError struct {
	Method  string
	Path    string // without the query
	Status  int
	Message string
}

func (e *APIError) Error() string {
	s := fmt.Sprintf("nexudus: %s %s: status %d", e.Method, e.Path, e.Status)
	if e.Message != "" {
		s += ": " + e.Message
	}
	return s
}

// Is makes errors.Is(err, ErrUnauthorized) true for a 401.
func (e *APIError) Is(target error) bool {
	return target == ErrUnauthorized && e.Status == 401
}

// AuthError is a refused token request (OAuth error body, §3.1).
type AuthError struct {
	Status      int
	Code        string // e.g. invalid_grant, unsupported_grant_type
	Description string
}

func (e *AuthError) Error() string {
	s := fmt.Sprintf("nexudus: token request refused: status %d", e.Status)
	if e.Code != "" {
		s += ": " + e.Code
	}
	if e.Description != "" {
		s += ": " + e.Description
	}
	return s
}

// Unwrap makes errors.Is(err, ErrUnauthorized) true.
func (e *AuthError) Unwrap() error { return ErrUnauthorized }

// DecodeError is JSON whose shape does not match an entity: Field is the
// JSON path within one record ("Active", "FromTime"); Want and Got are types,
// never values (the value could be a credential).
type DecodeError struct {
	Entity string // "Coworker", "Booking", ...
	Field  string
	Want   string
	Got    string
	Err    error
}

func (e *DecodeError) Error() string {
	if e.Field == "" {
		return fmt.Sprintf("nexudus: decode %s: %v", e.Entity, e.Err)
	}
	return fmt.Sprintf("nexudus: decode %s: field %s: want %s, got %s", e.Entity, e.Field, e.Want, e.Got)
}

func (e *DecodeError) Unwrap() error { return e.Err }

// TooLargeError says which limit a body broke; it matches ErrTooLarge.
type TooLargeError struct {
	Path  string
	Limit int64
}

func (e *TooLargeError) Error() string {
	return fmt.Sprintf("nexudus: response to %s exceeds the %d-byte limit", e.Path, e.Limit)
}

func (e *TooLargeError) Is(target error) bool { return target == ErrTooLarge }

// decodeError turns encoding/json's error into a DecodeError without the
// offending value.
func decodeError(entity string, err error) error {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		field := fieldPath(te.Field)
		got, _, _ := strings.Cut(te.Value, " ")
		want := "?"
		if te.Type != nil {
			want = te.Type.String()
		}
		return &DecodeError{Entity: entity, Field: field, Want: want, Got: got, Err: errTypeMismatch}
	}
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return &DecodeError{Entity: entity, Err: fmt.Errorf("invalid json at byte %d", se.Offset)}
	}
	return &DecodeError{Entity: entity, Err: err}
}

var errTypeMismatch = errors.New("type mismatch")

// fieldPath drops the envelope and embedded-struct names from encoding/json's
// field path: "Records.Record.Id" → "Id".
func fieldPath(p string) string {
	parts := strings.Split(p, ".")
	out := parts[:0]
	for _, s := range parts {
		switch s {
		case "Records", "Record", "Booking", "Page":
			continue
		}
		out = append(out, s)
	}
	return strings.Join(out, ".")
}
