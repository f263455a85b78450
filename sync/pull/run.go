package pull

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/robfig/cron/v3"
)

// cronLogger adapts slog to cron.Logger.
type cronLogger struct{ l *slog.Logger }

func (c cronLogger) Info(msg string, kv ...any) { c.l.Debug("cron: "+msg, kv...) }
func (c cronLogger) Error(err error, msg string, kv ...any) {
	c.l.Error("cron: "+msg, append(kv, "err", err)...)
}

// Run schedules the jobs (incremental, reconcile, nightly on their cron
// specs, in UTC; a job still running when its next time comes is skipped; a
// panic is recovered and logged) plus the check-in queue, runs one
// incremental pass at once (a full one after a restart), and blocks until
// ctx ends. It returns after every running job has finished.
func (s *Syncer) Run(ctx context.Context) error {
	lg := cronLogger{s.log.With("component", "cron")}
	c := cron.New(cron.WithParser(s.parser), cron.WithLocation(time.UTC), cron.WithLogger(lg),
		cron.WithChain(cron.Recover(lg), cron.SkipIfStillRunning(lg)))
	jobs := []struct {
		name, spec string
		run        func()
	}{
		{JobIncremental, s.cfg.Incremental, func() { _ = s.RunIncremental(ctx) }},
		{JobReconcile, s.cfg.Reconcile, func() { _ = s.RunReconcile(ctx, s.cfg.ReconcileWindow) }},
		{JobNightly, s.cfg.Nightly, func() { _ = s.RunReconcile(ctx, s.cfg.Prestage) }},
	}
	if s.unlocks != nil {
		jobs = append(jobs, struct {
			name, spec string
			run        func()
		}{JobCheckins, "@every " + s.cfg.CheckinEvery.String(), func() { _, _ = s.RunCheckins(ctx) }})
	}
	for _, j := range jobs {
		id, err := c.AddFunc(j.spec, j.run)
		if err != nil {
			return fmt.Errorf("schedule %s job: %w", j.name, err)
		}
		s.stMu.Lock()
		s.next[j.name] = func() time.Time { return c.Entry(id).Next }
		s.stMu.Unlock()
	}
	c.Start()
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = s.RunIncremental(ctx)
	}()
	<-ctx.Done()
	<-c.Stop().Done()
	<-done
	s.stMu.Lock()
	clear(s.next)
	s.stMu.Unlock()
	return nil
}
