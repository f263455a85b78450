package hub_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lockhub/lockhub/hub"
)

// TestLoadBadConfigs loads each file in testdata/bad. A file says what it
// expects in header comments: "# want: S" lines (each S must appear in the
// error) and "# secret: S" lines (S must not appear in it).
func TestLoadBadConfigs(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "bad", "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 20 {
		t.Fatalf("found %d bad configs, want at least 20", len(files))
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			var wants, secrets []string
			for _, line := range strings.Split(string(data), "\n") {
				if w, ok := strings.CutPrefix(line, "# want: "); ok {
					wants = append(wants, w)
				}
				if s, ok := strings.CutPrefix(line, "# secret: "); ok {
					secrets = append(secrets, s)
				}
			}
			if len(wants) == 0 {
				t.Fatal("file has no '# want:' line")
			}
			c, err := hub.LoadConfig(bytes.NewReader(data))
			if err == nil {
				t.Fatalf("LoadConfig succeeded, want errors %q", wants)
			}
			if c != nil {
				t.Errorf("LoadConfig returned a config with its error")
			}
			var ce *hub.ConfigError
			if !errors.As(err, &ce) {
				t.Errorf("error is %T, want *hub.ConfigError", err)
			}
			for _, w := range wants {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error does not contain %q; got:\n%v", w, err)
				}
			}
			for _, s := range secrets {
				if strings.Contains(err.Error(), s) {
					t.Errorf("error echoes the secret value %q:\n%v", s, err)
				}
			}
		})
	}
}
