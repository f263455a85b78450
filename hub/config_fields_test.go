package hub

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// yamlFields lists the yaml names of every field reachable from t.
func yamlFields(t reflect.Type, out map[string]bool) {
	for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct {
		return
	}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if name == "" || name == "-" {
			continue
		}
		out[name] = true
		yamlFields(f.Type, out)
	}
}

// TestExampleShowsEveryField checks that configs/hub.example.yaml sets every
// field of Config, so the documented example cannot fall behind the code.
func TestExampleShowsEveryField(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "configs", "hub.example.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, l := range strings.Split(string(data), "\n") {
		l = strings.TrimSpace(l)
		if !strings.HasPrefix(l, "#") {
			lines = append(lines, strings.TrimPrefix(l, "- "))
		}
	}
	fields := map[string]bool{}
	yamlFields(reflect.TypeFor[Config](), fields)
	if len(fields) < 60 {
		t.Fatalf("found only %d fields by reflection", len(fields))
	}
	for name := range fields {
		found := false
		for _, l := range lines {
			if strings.HasPrefix(l, name+":") {
				found = true
				break
			}
		}
		if !found {
			t.Errorf("configs/hub.example.yaml does not set field %q", name)
		}
	}
}
