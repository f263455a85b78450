package upload

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"
)

// The uploader's durable state, saved in the outbox (SaveUploadState) as
// JSON: the in-flight batch, written before its first request so that a
// restart resends the same range under the same key, and the parked
// batches. It holds ranges, keys and digests only, never event content.

const (
	stateVersion  = 1
	maxKeyLen     = 200
	maxMessageLen = 200
	maxStateItems = 10_000
)

// record names one batch: its range, key and the SHA-256 of its
// uncompressed body.
type record struct {
	Key    string `json:"key"`
	Epoch  string `json:"epoch"`
	First  uint64 `json:"first_seq"`
	Last   uint64 `json:"last_seq"`
	Count  int    `json:"count"`
	Digest string `json:"sha256"`
	Rev    int    `json:"rev,omitempty"`
	// Parked batches only.
	Status   int       `json:"status,omitempty"`
	Message  string    `json:"message,omitempty"`
	ParkedAt time.Time `json:"parked_at,omitzero"`
}

type state struct {
	V        int      `json:"v"`
	Inflight *record  `json:"inflight,omitempty"`
	Parked   []record `json:"parked,omitempty"`
}

func (s *state) encode() []byte {
	if s.Inflight == nil && len(s.Parked) == 0 {
		return nil // deletes the record
	}
	s.V = stateVersion
	b, err := json.Marshal(s)
	if err != nil {
		panic(fmt.Sprintf("upload: encode state: %v", err)) // plain data: cannot fail
	}
	return b
}

var errBadState = errors.New("bad upload state")

// decodeState parses a saved state; nil or empty input is the empty state.
func decodeState(b []byte) (state, error) {
	var s state
	if len(b) == 0 {
		return s, nil
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&s); err != nil {
		return state{}, fmt.Errorf("%w: %w", errBadState, err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return state{}, fmt.Errorf("%w: trailing data", errBadState)
	}
	if s.V != stateVersion {
		return state{}, fmt.Errorf("%w: version %d", errBadState, s.V)
	}
	if len(s.Parked) > maxStateItems {
		return state{}, fmt.Errorf("%w: %d parked batches", errBadState, len(s.Parked))
	}
	if s.Inflight != nil {
		if err := s.Inflight.check(); err != nil {
			return state{}, fmt.Errorf("%w: in-flight: %w", errBadState, err)
		}
	}
	for i := range s.Parked {
		if err := s.Parked[i].check(); err != nil {
			return state{}, fmt.Errorf("%w: parked %d: %w", errBadState, i, err)
		}
	}
	return s, nil
}

func (r *record) check() error {
	switch {
	case !validKey(r.Key):
		return errors.New("bad key")
	case r.Epoch == "" || len(r.Epoch) > 128:
		return errors.New("bad epoch")
	case r.First == 0 || r.Last < r.First:
		return fmt.Errorf("bad range %d..%d", r.First, r.Last)
	case r.Count < 1 || uint64(r.Count-1) > r.Last-r.First:
		return fmt.Errorf("count %d does not fit %d..%d", r.Count, r.First, r.Last)
	case r.Rev < 0 || r.Rev > 1<<20:
		return fmt.Errorf("bad revision %d", r.Rev)
	case len(r.Message) > maxMessageLen*4:
		return errors.New("message too long")
	case r.Status != 0 && (r.Status < 100 || r.Status > 999):
		return fmt.Errorf("bad status %d", r.Status)
	}
	if d, err := hex.DecodeString(r.Digest); err != nil || len(d) != 32 {
		return errors.New("bad digest")
	}
	return nil
}

func validKey(k string) bool {
	if k == "" || len(k) > maxKeyLen {
		return false
	}
	for i := 0; i < len(k); i++ {
		if k[i] <= ' ' || k[i] > '~' {
			return false
		}
	}
	return true
}
