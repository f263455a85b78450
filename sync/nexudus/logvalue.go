package nexudus

import "log/slog"

// LogValue keeps a Coworker's credentials and email out of logs.
func (c Coworker) LogValue() slog.Value {
	return slog.GroupValue(slog.Int64("id", c.ID), slog.String("unique_id", c.UniqueID),
		slog.Bool("active", c.Active), slog.Bool("archived", c.Archived))
}

// LogValue keeps the webhook coworker's credentials and email out of logs.
func (c WebhookCoworker) LogValue() slog.Value {
	return slog.GroupValue(slog.Int64("id", c.ID), slog.String("unique_id", c.UniqueID))
}

// LogValue logs a webhook without its secrets.
func (w *Webhook) LogValue() slog.Value {
	return slog.GroupValue(slog.String("business", w.Business.UniqueID), slog.String("coworker", w.Coworker.UniqueID),
		slog.Time("time", w.Time), slog.Int("groups", len(w.Groups)), slog.Int("schedule", len(w.Schedule)))
}
