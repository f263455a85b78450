package pull

import (
	"maps"
	"slices"
	"time"
)

// Job names (the job label of the metrics).
const (
	JobIncremental = "incremental"
	JobReconcile   = "reconcile"
	JobNightly     = "nightly"
	JobCheckins    = "checkins"
)

// JobStatus is one job's last runs, for the status page.
type JobStatus struct {
	Name         string
	Schedule     string
	LastRun      time.Time
	LastSuccess  time.Time
	LastError    string // empty after a success
	LastDuration time.Duration
	NextRun      time.Time // zero when the scheduler is not running
}

// Status is a snapshot of the sync's state.
type Status struct {
	Jobs []JobStatus
	// LastSync and DataAge per domain: when the last successful REST pass
	// finished and how old that is now (the offline horizon counts from it).
	LastSync map[string]time.Time
	DataAge  map[string]time.Duration
	// TimeMode is the tenant's detected or forced time mode (Q8).
	TimeMode string
	// UnknownGroups are group ids Nexudus uses that name no hub key.
	UnknownGroups []string
	// ZoneMismatches names domains whose Nexudus zone disagrees with the
	// site config's (§7).
	ZoneMismatches []string
	// RejectedCredentials counts credential values skipped.
	RejectedCredentials int
	// CheckinSeq is the event-log position the check-in queue has posted up
	// to; CheckinErr its last error.
	CheckinSeq uint64
	CheckinErr string
}

func (s *Syncer) noteJob(name string, start time.Time, d time.Duration, err error) {
	s.stMu.Lock()
	j := s.jobs[name]
	j.Name = name
	j.LastRun = start
	j.LastDuration = d
	if err != nil {
		j.LastError = err.Error()
	} else {
		j.LastError = ""
		j.LastSuccess = start.Add(d)
	}
	s.jobs[name] = j
	s.stMu.Unlock()
	s.met.observe(name, d, err, start.Add(d))
}

// Status returns a snapshot of the jobs and the data's age.
func (s *Syncer) Status() Status {
	now := s.now()
	st := Status{LastSync: map[string]time.Time{}, DataAge: map[string]time.Duration{},
		TimeMode: s.client.TimeMode().String()}
	for _, d := range s.cfg.Domains {
		if t, ok := s.lastSync(d.ID); ok {
			st.LastSync[d.ID] = t
			st.DataAge[d.ID] = now.Sub(t)
		}
	}
	s.stMu.Lock()
	defer s.stMu.Unlock()
	for _, name := range []string{JobIncremental, JobReconcile, JobNightly, JobCheckins} {
		j := s.jobs[name]
		j.Name = name
		j.Schedule = s.specs[name]
		if next, ok := s.next[name]; ok {
			j.NextRun = next()
		}
		st.Jobs = append(st.Jobs, j)
	}
	st.UnknownGroups = slices.Sorted(maps.Keys(s.unknownGroups))
	st.ZoneMismatches = slices.Clone(s.zoneMismatch)
	st.RejectedCredentials = s.rejected
	st.CheckinSeq = s.checkinSeq
	st.CheckinErr = s.checkinErr
	return st
}
