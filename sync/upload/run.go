package upload

import (
	"context"
	"log/slog"
	"time"

	"github.com/robfig/cron/v3"
)

// Run runs the upload job on cfg.Schedule (UTC), and early whenever the
// backlog reaches cfg.BacklogThreshold, until ctx ends; runs never
// overlap and a panic in one is logged (cron.Recover,
// cron.SkipIfStillRunning). It returns after the job has stopped. To flush
// on shutdown, call Drain with a deadline after Run returns.
func (u *Uploader) Run(ctx context.Context) error {
	cl := cronLogger{u.log}
	job := cron.NewChain(cron.Recover(cl), cron.SkipIfStillRunning(cl)).Then(cron.FuncJob(func() { u.job(ctx) }))
	c := cron.New(cron.WithLocation(time.UTC), cron.WithLogger(cl))
	c.Schedule(u.sched, job)
	c.Start()
	watcher := make(chan struct{})
	go func() {
		defer close(watcher)
		t := time.NewTicker(u.cfg.CheckInterval)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				if n, _ := u.outbox.Pending(); n >= u.cfg.BacklogThreshold {
					job.Run() // skipped if the scheduled run is still going
				}
			}
		}
	}()
	<-ctx.Done()
	<-watcher
	<-c.Stop().Done()
	return nil
}

func (u *Uploader) job(ctx context.Context) {
	err := u.Drain(ctx)
	if ctx.Err() != nil {
		return
	}
	text := ""
	if err != nil {
		text = err.Error()
	}
	u.mu.Lock()
	changed := text != u.jobErr
	u.jobErr = text
	u.mu.Unlock()
	switch {
	case changed && err != nil:
		u.log.Error("upload job failing", "err", err)
	case changed:
		u.log.Info("upload job recovered")
	}
}

// cronLogger drops cron's routine messages (a skipped run every tick during
// an outage would flood the log) and keeps its errors (panics).
type cronLogger struct{ l *slog.Logger }

func (c cronLogger) Info(string, ...any) {}
func (c cronLogger) Error(err error, msg string, kv ...any) {
	c.l.Error("upload job: "+msg, append([]any{"err", err}, kv...)...)
}
