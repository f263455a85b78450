package devices

import (
	"bytes"
	"errors"
	"log/slog"
	"strings"
	"testing"
)

func TestMochiLogHandler(t *testing.T) {
	tests := []struct {
		name    string
		level   slog.Level // inner handler's level
		log     func(l *slog.Logger)
		want    []string
		notWant []string
	}{
		{
			name:  "packet redacted",
			level: slog.LevelDebug,
			log: func(l *slog.Logger) {
				l.Error("failed publishing packet", "packet", map[string]string{"payload": "PIN-1234"}, "client", "A")
			},
			want:    []string{"level=ERROR", "packet=[redacted]", "client=A", "component=mqtt_broker"},
			notWant: []string{"PIN-1234"},
		},
		{
			name:    "with attrs redacted",
			level:   slog.LevelDebug,
			log:     func(l *slog.Logger) { l.With("pk", "SECRET").Warn("x") },
			want:    []string{"pk=[redacted]"},
			notWant: []string{"SECRET"},
		},
		{
			name:    "info lowered to debug",
			level:   slog.LevelInfo,
			log:     func(l *slog.Logger) { l.Info("added hook", "hook", "h") },
			notWant: []string{"added hook"},
		},
		{
			name:  "empty warn lowered and named",
			level: slog.LevelDebug,
			log:   func(l *slog.Logger) { l.Warn("", "error", errors.New("EOF")) },
			want:  []string{"level=DEBUG", `msg="connection ended"`, "error=EOF"},
		},
		{
			name:  "refused publish error lowered",
			level: slog.LevelDebug,
			log:   func(l *slog.Logger) { l.Error("publish packet error", "error", "not authorized") },
			want:  []string{"level=DEBUG"},
		},
		{
			name:  "real warn kept",
			level: slog.LevelInfo,
			log:   func(l *slog.Logger) { l.Warn("client store quota reached", "client", "A") },
			want:  []string{"level=WARN", "client store quota reached"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			l := newMochiLogger(slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: tt.level})))
			tt.log(l)
			out := buf.String()
			for _, w := range tt.want {
				if !strings.Contains(out, w) {
					t.Errorf("log %q lacks %q", out, w)
				}
			}
			for _, w := range tt.notWant {
				if strings.Contains(out, w) {
					t.Errorf("log %q contains %q", out, w)
				}
			}
		})
	}
}
