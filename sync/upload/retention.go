package upload

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/lockhub/lockhub/policy"
	"github.com/robfig/cron/v3"
)

// Retainer is what the retention job needs of the event log; *events.Log
// implements it.
type Retainer interface {
	// DestroyKeysBefore makes the personal fields of domain's events from
	// before cutoff unreadable (their keys are destroyed).
	DestroyKeysBefore(domain string, cutoff time.Time) (int, error)
	// PruneBefore deletes uploaded events ingested before cutoff from the
	// audit copy.
	PruneBefore(cutoff time.Time) (int, error)
}

// MemberEraser erases from the grant store the members of domain who left
// Nexudus before cutoff. The store side belongs to the hub/pull
// integration; nil skips it.
type MemberEraser func(ctx context.Context, domain string, cutoff time.Time) (int, error)

// DefaultRetentionSchedule is the retention job's default cron spec (UTC).
const DefaultRetentionSchedule = "@every 1h"

// RetentionConfig configures the retention job.
type RetentionConfig struct {
	// Domains maps each domain id to its retention; zero means
	// policy.DefaultRetention. Events without a domain use the "" entry
	// (added with the default when absent).
	Domains map[string]time.Duration
	// Schedule is the job's cron spec (UTC). "" means
	// DefaultRetentionSchedule.
	Schedule string
}

// RetentionDeps are the retention job's collaborators.
type RetentionDeps struct {
	Log          Retainer // required
	EraseMembers MemberEraser
	Logger       *slog.Logger
	Now          func() time.Time
}

// Retention is the retention job: per domain, personal fields older than the
// retention become unreadable (an event still waiting in the outbox is then
// uploaded scrubbed: personal fields absent, "scrubbed": true); uploaded
// events older than the longest retention leave the audit copy; departed
// members are erased through the hook.
type Retention struct {
	domains map[string]time.Duration
	longest time.Duration
	sched   cron.Schedule
	deps    RetentionDeps
	log     *slog.Logger
}

// NewRetention checks cfg.
func NewRetention(cfg RetentionConfig, deps RetentionDeps) (*Retention, error) {
	if deps.Log == nil {
		return nil, errors.New("retention: log is required")
	}
	if cfg.Schedule == "" {
		cfg.Schedule = DefaultRetentionSchedule
	}
	sched, err := cron.ParseStandard(cfg.Schedule)
	if err != nil {
		return nil, fmt.Errorf("retention config: schedule: %w", err)
	}
	r := &Retention{domains: map[string]time.Duration{"": policy.DefaultRetention}, sched: sched, deps: deps}
	for d, ret := range cfg.Domains {
		if ret < 0 {
			return nil, fmt.Errorf("retention config: domain %q: negative retention", d)
		}
		if ret == 0 {
			ret = policy.DefaultRetention
		}
		r.domains[d] = ret
	}
	for _, ret := range r.domains {
		r.longest = max(r.longest, ret)
	}
	if r.deps.Now == nil {
		r.deps.Now = time.Now
	}
	r.log = deps.Logger
	if r.log == nil {
		r.log = slog.New(slog.DiscardHandler)
	}
	r.log = r.log.With("component", "retention")
	return r, nil
}

// RunOnce applies the retention now. It goes on past a failing domain and
// returns the errors joined.
func (r *Retention) RunOnce(ctx context.Context) error {
	now := r.deps.Now()
	var errs []error
	for d, ret := range r.domains {
		cutoff := now.Add(-ret)
		if _, err := r.deps.Log.DestroyKeysBefore(d, cutoff); err != nil {
			errs = append(errs, fmt.Errorf("domain %q: %w", d, err))
		}
		if r.deps.EraseMembers != nil {
			n, err := r.deps.EraseMembers(ctx, d, cutoff)
			if err != nil {
				errs = append(errs, fmt.Errorf("domain %q: erase members: %w", d, err))
			} else if n > 0 {
				r.log.Info("departed members erased", "domain", d, "count", n)
			}
		}
	}
	n, err := r.deps.Log.PruneBefore(now.Add(-r.longest))
	if err != nil {
		errs = append(errs, err)
	} else if n > 0 {
		r.log.Info("audit copy pruned", "events", n)
	}
	return errors.Join(errs...)
}

// Run runs RunOnce on the schedule (UTC, runs never overlap) until ctx
// ends, logging failures when their text changes.
func (r *Retention) Run(ctx context.Context) error {
	cl := cronLogger{r.log}
	last := ""
	c := cron.New(cron.WithLocation(time.UTC), cron.WithLogger(cl))
	c.Schedule(r.sched, cron.NewChain(cron.Recover(cl), cron.SkipIfStillRunning(cl)).Then(cron.FuncJob(func() {
		err := r.RunOnce(ctx)
		text := ""
		if err != nil {
			text = err.Error()
		}
		if text != last && err != nil {
			r.log.Error("retention job failing", "err", err)
		} else if text != last {
			r.log.Info("retention job recovered")
		}
		last = text
	})))
	c.Start()
	<-ctx.Done()
	<-c.Stop().Done()
	return nil
}
