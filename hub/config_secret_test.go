package hub_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lockhub/lockhub/hub"
)

func TestSecret(t *testing.T) {
	const value = "s3cr3t-value-xyz"
	dir := t.TempDir()
	c := hub.DefaultConfig()
	c.Site.DataDir = dir
	if err := os.WriteFile(filepath.Join(dir, "token"), []byte(value+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "blank"), []byte(" \n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "huge"), make([]byte, 70<<10), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("LOCKHUB_TEST_SECRET", value)
	t.Setenv("LOCKHUB_TEST_EMPTY", "")
	for _, tc := range []struct {
		name    string
		ref     hub.SecretRef
		wantErr string // empty: want value
	}{
		{"env", hub.SecretRef{Field: "upstream.token", Env: "LOCKHUB_TEST_SECRET"}, ""},
		{"relative file", hub.SecretRef{Field: "upstream.token", File: "token"}, ""},
		{"absolute file", hub.SecretRef{Field: "upstream.token", File: filepath.Join(dir, "token")}, ""},
		{"unset env", hub.SecretRef{Field: "nexudus.password", Env: "LOCKHUB_TEST_UNSET"}, "nexudus.password: environment variable LOCKHUB_TEST_UNSET is not set"},
		{"empty env", hub.SecretRef{Field: "nexudus.password", Env: "LOCKHUB_TEST_EMPTY"}, "environment variable LOCKHUB_TEST_EMPTY is empty"},
		{"missing file", hub.SecretRef{Field: "http.admin_token", File: "nope"}, "http.admin_token: open secret file"},
		{"blank file", hub.SecretRef{Field: "http.admin_token", File: "blank"}, "is empty"},
		{"huge file", hub.SecretRef{Field: "http.admin_token", File: "huge"}, "larger than"},
		{"both", hub.SecretRef{Field: "x", Env: "LOCKHUB_TEST_SECRET", File: "token"}, "not both"},
		{"none", hub.SecretRef{Field: "upstream.token"}, "upstream.token: secret not configured (set upstream.token_env or upstream.token_file)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := c.Secret(tc.ref)
			if tc.wantErr == "" {
				if err != nil || got != value {
					t.Fatalf("Secret = %q, %v; want the value", got, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("Secret error = %v, want %q", err, tc.wantErr)
			}
			if strings.Contains(err.Error(), value) {
				t.Errorf("error echoes the secret: %v", err)
			}
		})
	}
	if _, err := c.Secret(hub.SecretRef{Field: "f"}); !errors.Is(err, hub.ErrSecretNotConfigured) {
		t.Errorf("err = %v, want ErrSecretNotConfigured", err)
	}
	refs := c.SecretRefs()
	if len(refs) != 7 || refs[2].Field != "nexudus.password" || refs[6].Field != "mqtt.external.password" {
		t.Errorf("SecretRefs() = %+v", refs)
	}
}
