package devices

import (
	"context"
	"log/slog"
)

// mochiLogHandler filters the broker library's log records before they reach
// ours. mochi logs whole packets (payloads, passwords in CONNECT) under the
// keys below at several levels; those values are replaced. Its Info records
// are start-up chatter and its empty-message Warn records are one per closed
// connection (including every refused login, which we log ourselves), so both
// are lowered to Debug, as is its error for a publish our hook refused (the
// hook logs the refusal).
type mochiLogHandler struct {
	inner slog.Handler
}

func newMochiLogger(l *slog.Logger) *slog.Logger {
	return slog.New(mochiLogHandler{inner: l.Handler()}).With("component", "mqtt_broker")
}

func redactedKey(k string) bool {
	switch k {
	case "packet", "pk", "will", "payload", "password":
		return true
	}
	return false
}

func redact(a slog.Attr) slog.Attr {
	if redactedKey(a.Key) {
		return slog.String(a.Key, "[redacted]")
	}
	return a
}

func (h mochiLogHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return h.inner.Enabled(ctx, l)
}

func (h mochiLogHandler) Handle(ctx context.Context, r slog.Record) error {
	level := r.Level
	if level == slog.LevelInfo || (level == slog.LevelWarn && r.Message == "") || r.Message == "publish packet error" {
		level = slog.LevelDebug
	}
	if !h.inner.Enabled(ctx, level) {
		return nil
	}
	msg := r.Message
	if msg == "" {
		msg = "connection ended"
	}
	out := slog.NewRecord(r.Time, level, msg, r.PC)
	r.Attrs(func(a slog.Attr) bool {
		out.AddAttrs(redact(a))
		return true
	})
	return h.inner.Handle(ctx, out)
}

func (h mochiLogHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	clean := make([]slog.Attr, len(attrs))
	for i, a := range attrs {
		clean[i] = redact(a)
	}
	return mochiLogHandler{inner: h.inner.WithAttrs(clean)}
}

func (h mochiLogHandler) WithGroup(name string) slog.Handler {
	return mochiLogHandler{inner: h.inner.WithGroup(name)}
}
