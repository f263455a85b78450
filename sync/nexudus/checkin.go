package nexudus

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// Check-in sources (eCheckinSource, nexudus.md §3.4).
const (
	SourceNone            = 0
	SourceManual          = 1
	SourceDoorAccess      = 2
	SourceNetworkActivity = 3
	SourceTile            = 4
	SourceSensor          = 5
)

// WriteResult is the envelope of POST/PUT/DELETE answers (§3.2).
type WriteResult struct {
	Status        int             `json:"Status"`
	Message       string          `json:"Message"`
	Value         json.RawMessage `json:"Value"`
	WasSuccessful bool            `json:"WasSuccessful"`
	Errors        []FieldError    `json:"Errors"`
}

// FieldError is one validation failure. AttemptedValue is left out on
// purpose: it may echo a credential.
type FieldError struct {
	PropertyName string `json:"PropertyName"`
	Message      string `json:"Message"`
}

// ID is Value.Id of a successful create, or 0.
func (w *WriteResult) ID() int64 {
	var v struct {
		ID StringID `json:"Id"`
	}
	if json.Unmarshal(w.Value, &v) != nil {
		return 0
	}
	id, _ := v.ID.Int64()
	return id
}

// PostCheckin records that a customer came through a door: POST
// /api/spaces/checkins with Source DoorAccess (§3.4, §4), paced by the write
// budget. at is formatted in the tenant's frame: UTC with "Z" unless the
// time mode is wallclock, then the location's clock without a zone. It
// returns the new check-in's Id. A throttled write is retried; one that got
// a 5xx or a network error is not, since it may have been recorded.
func (c *Client) PostCheckin(ctx context.Context, businessID, coworkerID int64, at time.Time) (int64, error) {
	from := at.UTC().Format("2006-01-02T15:04:05Z")
	if c.TimeMode() == TimeModeWallclock {
		from = at.In(c.cfg.Location).Format("2006-01-02T15:04:05")
	}
	body, err := json.Marshal(map[string]any{
		"BusinessId": businessID,
		"CoworkerId": coworkerID,
		"FromTime":   from,
		"Source":     SourceDoorAccess,
	})
	if err != nil {
		return 0, fmt.Errorf("nexudus: encode checkin: %w", err)
	}
	res, err := c.do(ctx, request{method: http.MethodPost, path: PathCheckins, body: body, write: true})
	if err != nil {
		return 0, err
	}
	var w WriteResult
	if jerr := json.Unmarshal(res.body, &w); jerr != nil && res.status/100 == 2 {
		return 0, decodeError(EntityCheckin, jerr)
	}
	if res.status/100 != 2 {
		return 0, &APIError{Method: http.MethodPost, Path: PathCheckins, Status: res.status, Message: w.summary()}
	}
	if !w.WasSuccessful || w.Status >= 400 {
		return 0, fmt.Errorf("%w: POST %s: status %d: %s", ErrWriteFailed, PathCheckins, w.Status, w.summary())
	}
	return w.ID(), nil
}

// summary is Message plus the failing property names, cut short.
func (w *WriteResult) summary() string {
	var b strings.Builder
	b.WriteString(w.Message)
	for i, e := range w.Errors {
		if i == 0 {
			b.WriteString(" (")
		} else {
			b.WriteString(", ")
		}
		b.WriteString(e.PropertyName)
		if i == len(w.Errors)-1 {
			b.WriteString(")")
		}
	}
	return truncate(b.String(), 200)
}
