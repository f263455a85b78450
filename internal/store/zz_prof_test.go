package store

import (
	"log/slog"
	"os"
	"testing"
	"time"
)

func BenchmarkZZBuild(b *testing.B) {
	for b.Loop() {
		dir := b.TempDir()
		s, _ := Open(Config{Dir: dir, Logger: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))})
		batch, _ := largeBatch(b, 100000, 5)
		start := time.Now()
		apply(b, s, batch)
		b.Logf("apply %v", time.Since(start))
		s.Close()
	}
}
