package upstream

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"
)

// Schema is the envelope schema this sink accepts.
const Schema = "lockhub.events.v1"

// Limits of the decoder.
const (
	maxIDLen    = 128  // hub, epoch
	maxFieldLen = 1024 // any other string
)

// ErrBadBatch wraps every reason DecodeBatch refuses a body.
var ErrBadBatch = errors.New("bad batch")

// Batch is a decoded upload: the envelope and its events.
type Batch struct {
	Schema   string  `json:"schema"`
	Hub      string  `json:"hub"`
	Epoch    string  `json:"epoch"`
	FirstSeq uint64  `json:"first_seq"`
	LastSeq  uint64  `json:"last_seq"`
	Count    int     `json:"count"`
	Events   []Event `json:"events"`
}

// Event is one event of schema v1 (docs/events.md), as the sink reads it.
// Pointers mark fields whose zero value is meaningful.
type Event struct {
	Seq       uint64 `json:"seq"`
	Epoch     string `json:"epoch"`
	Type      string `json:"type"`
	Time      string `json:"time,omitempty"`
	Ingest    string `json:"ingest,omitempty"`
	Lock      string `json:"lock,omitempty"`
	RequestID string `json:"request_id,omitempty"`
	Domain    string `json:"domain,omitempty"`
	Member    string `json:"member,omitempty"`

	Allowed        *bool  `json:"allowed,omitempty"`
	Reason         string `json:"reason,omitempty"`
	CredentialType string `json:"credential_type,omitempty"`
	GrantOrigin    string `json:"grant_origin,omitempty"`
	GrantKind      string `json:"grant_kind,omitempty"`
	GrantRef       string `json:"grant_ref,omitempty"`
	Access         string `json:"access,omitempty"`

	BootEpoch *uint32 `json:"boot_epoch,omitempty"`
	LockSeq   *uint64 `json:"lock_seq,omitempty"`
	DoorKind  string  `json:"door_kind,omitempty"`
	Battery   *uint8  `json:"battery,omitempty"`

	Action string `json:"action,omitempty"`
	Actor  string `json:"actor,omitempty"`

	GapFrom   uint64 `json:"gap_from,omitempty"`
	GapTo     uint64 `json:"gap_to,omitempty"`
	GapReason string `json:"gap_reason,omitempty"`

	Name          string `json:"name,omitempty"`
	Email         string `json:"email,omitempty"`
	CredentialRef string `json:"credential_ref,omitempty"`
	Scrubbed      bool   `json:"scrubbed,omitempty"`
}

// HasPersonal reports whether any personal field is present.
func (e *Event) HasPersonal() bool { return e.Name != "" || e.Email != "" || e.CredentialRef != "" }

// DecodeBatch parses and checks an uncompressed request body against the
// contract: known fields only, the envelope's count and sequence range
// matching its events, seqs strictly increasing, every event complete for
// its type, and no personal field on a scrubbed event. maxEvents bounds the
// batch.
func DecodeBatch(body []byte, maxEvents int) (*Batch, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	var b Batch
	if err := dec.Decode(&b); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadBatch, err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%w: data after the batch object", ErrBadBatch)
	}
	if err := b.check(maxEvents); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadBatch, err)
	}
	return &b, nil
}

func (b *Batch) check(maxEvents int) error {
	switch {
	case b.Schema != Schema:
		return fmt.Errorf("schema %q, want %q", b.Schema, Schema)
	case b.Hub == "" || len(b.Hub) > maxIDLen:
		return errors.New("hub must be 1 to 128 bytes")
	case b.Epoch == "" || len(b.Epoch) > maxIDLen:
		return errors.New("epoch must be 1 to 128 bytes")
	case len(b.Events) == 0:
		return errors.New("no events")
	case len(b.Events) > maxEvents:
		return fmt.Errorf("%d events, limit %d", len(b.Events), maxEvents)
	case b.Count != len(b.Events):
		return fmt.Errorf("count %d but %d events", b.Count, len(b.Events))
	case b.FirstSeq != b.Events[0].Seq || b.LastSeq != b.Events[len(b.Events)-1].Seq:
		return fmt.Errorf("range %d..%d does not match the events", b.FirstSeq, b.LastSeq)
	}
	var prev uint64
	for i := range b.Events {
		e := &b.Events[i]
		if e.Seq <= prev {
			return fmt.Errorf("event %d: seq %d not above %d", i, e.Seq, prev)
		}
		prev = e.Seq
		if err := e.check(); err != nil {
			return fmt.Errorf("event %d (seq %d): %w", i, e.Seq, err)
		}
	}
	return nil
}

func (e *Event) check() error {
	if e.Epoch == "" || len(e.Epoch) > maxIDLen {
		return errors.New("epoch must be 1 to 128 bytes")
	}
	for _, s := range [...]string{e.Type, e.Time, e.Ingest, e.Lock, e.RequestID, e.Domain, e.Member,
		e.Reason, e.CredentialType, e.GrantOrigin, e.GrantKind, e.GrantRef, e.Access, e.DoorKind,
		e.Action, e.Actor, e.GapReason, e.Name, e.Email, e.CredentialRef} {
		if len(s) > maxFieldLen {
			return fmt.Errorf("field of %d bytes", len(s))
		}
	}
	for _, ts := range [...]string{e.Time, e.Ingest} {
		if ts == "" {
			continue
		}
		if _, err := time.Parse(time.RFC3339Nano, ts); err != nil {
			return fmt.Errorf("bad time %q", ts)
		}
	}
	if e.Scrubbed && e.HasPersonal() {
		return errors.New("scrubbed event with personal fields")
	}
	switch e.Type {
	case "decision":
		if e.Allowed == nil || e.Reason == "" {
			return errors.New("decision without allowed and reason")
		}
		if *e.Allowed != (e.Reason == "allowed") {
			return fmt.Errorf("allowed %v with reason %q", *e.Allowed, e.Reason)
		}
	case "door":
		if e.Lock == "" || e.BootEpoch == nil || e.LockSeq == nil {
			return errors.New("door event without lock, boot_epoch and lock_seq")
		}
		if e.Battery != nil && *e.Battery > 100 {
			return fmt.Errorf("battery %d%%", *e.Battery)
		}
	case "admin":
	case "gap":
		if e.GapFrom == 0 || e.GapTo < e.GapFrom || e.GapReason == "" {
			return fmt.Errorf("gap record %d..%d reason %q", e.GapFrom, e.GapTo, e.GapReason)
		}
		if e.GapTo >= e.Seq {
			return fmt.Errorf("gap %d..%d not before its record", e.GapFrom, e.GapTo)
		}
	default:
		return fmt.Errorf("unknown type %q", e.Type)
	}
	return nil
}
