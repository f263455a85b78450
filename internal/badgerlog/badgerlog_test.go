package badgerlog

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
)

func TestLevels(t *testing.T) {
	var buf bytes.Buffer
	l := New(slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelInfo})))
	l.Errorf("disk %s\n", "gone")
	l.Warningf("value log %d truncated\n", 3)
	l.Warningf("Block cache might be too small. Metrics: hit: 10 miss: 10416\n")
	l.Warningf("Cache life expectancy (in seconds): \n -- Histogram: \n")
	l.Infof("chatter")
	l.Debugf("more chatter")
	got := buf.String()
	for _, want := range []string{`level=ERROR msg="disk gone"`, `level=WARN msg="value log 3 truncated"`} {
		if !strings.Contains(got, want) {
			t.Errorf("log lacks %q:\n%s", want, got)
		}
	}
	for _, not := range []string{"cache", "Cache", "chatter"} {
		if strings.Contains(got, not) {
			t.Errorf("log has %q above debug level:\n%s", not, got)
		}
	}

	buf.Reset()
	l = New(slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug})))
	l.Warningf("Block cache might be too small. Metrics: hit: 10\n")
	if !strings.Contains(buf.String(), "level=DEBUG") {
		t.Errorf("cache advice not kept at debug: %q", buf.String())
	}
}
