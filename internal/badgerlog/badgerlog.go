// Package badgerlog routes Badger's log lines into the hub's slog logger.
package badgerlog

import (
	"fmt"
	"log/slog"
	"strings"
)

// Logger is a badger.Logger writing Badger's errors and warnings to slog
// and
// dropping its info and debug chatter. Use it with Options.WithLogger and not
// WithLoggingLevel, which would put Badger's own stderr logger back.
type Logger struct{ L *slog.Logger }

// New returns a Logger writing to l.
func New(l *slog.Logger) Logger { return Logger{L: l} }

// Errorf logs at Error.
func (b Logger) Errorf(f string, a ...any) { b.L.Error(line(f, a)) }

// Warningf logs at Warn, except Badger's cache-sizing advice, logged at
// Debug: Badger repeats it every minute from cumulative hit ratios, and the
// hub reads its stores by full scans at load and little after, so the
// ratio stays low forever without anything being wrong.
func (b Logger) Warningf(f string, a ...any) {
	msg := line(f, a)
	if cacheAdvice(msg) {
		b.L.Debug(msg)
		return
	}
	b.L.Warn(msg)
}

// Infof drops Badger's info lines.
func (Logger) Infof(string, ...any) {}

// Debugf drops Badger's debug lines.
func (Logger) Debugf(string, ...any) {}

func line(f string, a []any) string { return strings.TrimSpace(fmt.Sprintf(f, a...)) }

// cacheAdvice reports Badger's monitorCache lines ("Block cache might be too
// small. Metrics: ..." and the "Cache life expectancy" histogram after it).
func cacheAdvice(msg string) bool {
	return strings.Contains(msg, "cache might be too small") || strings.HasPrefix(msg, "Cache life expectancy")
}
