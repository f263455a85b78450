package hub

import "time"

// SyncReporter is what the status page, /readyz and the health warnings need
// from the Nexudus sync (sync/pull). The hub holds one when Nexudus is
// configured (Hub.sync, set by New where it opens the sync); nil means the
// page says "Nexudus sync not configured". SyncReporterFunc adapts a
// function, so sync/pull need not import hub.
type SyncReporter interface {
	SyncStatus() SyncStatus
}

// SyncReporterFunc adapts a function to SyncReporter.
type SyncReporterFunc func() SyncStatus

// SyncStatus implements SyncReporter.
func (f SyncReporterFunc) SyncStatus() SyncStatus { return f() }

// SyncStatus is a snapshot of the Nexudus sync.
type SyncStatus struct {
	// Reachable is false while Nexudus requests fail (network, 5xx, auth);
	// LastContact is the last successful request, LastError the text of
	// the last failure (no secrets: the sync shortens and scrubs it).
	Reachable   bool      `json:"reachable"`
	LastContact time.Time `json:"last_contact"`
	LastError   string    `json:"last_error,omitempty"`
	Jobs        []SyncJob `json:"jobs"`
}

// SyncJob is one scheduled sync job (incremental, reconcile, nightly) or
// the webhook.
type SyncJob struct {
	Name        string    `json:"name"`
	Schedule    string    `json:"schedule,omitempty"` // cron spec
	Running     bool      `json:"running"`
	LastRun     time.Time `json:"last_run"`     // last start
	LastSuccess time.Time `json:"last_success"` // last run that finished without error
	NextRun     time.Time `json:"next_run"`
	Failures    int       `json:"failures"` // consecutive
	LastError   string    `json:"last_error,omitempty"`
}
