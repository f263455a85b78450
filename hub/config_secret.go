package hub

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
)

// SecretRef says where a secret lives: an environment variable or a file
// (relative to data_dir), never the config itself.
type SecretRef struct {
	// Field is the setting's path without its _env/_file suffix, for
	// messages ("nexudus.password").
	Field string
	Env   string
	File  string
}

// Configured reports whether the reference names a source.
func (r SecretRef) Configured() bool { return r.Env != "" || r.File != "" }

// ErrSecretNotConfigured is returned by Secret for a reference with no source.
var ErrSecretNotConfigured = errors.New("secret not configured")

// maxSecretFile bounds a secret file; secrets are short.
const maxSecretFile = 64 << 10

// SecretRefs returns the references of every secret the config can name, in
// a fixed order, configured or not.
func (c *Config) SecretRefs() []SecretRef {
	return []SecretRef{
		c.HTTP.ViewerToken(), c.HTTP.AdminToken(),
		c.Nexudus.Password(), c.Nexudus.WebhookToken(), c.Nexudus.AccessGroupsToken(),
		c.Upstream.Token(), c.MQTT.External.Password(),
	}
}

// Secret resolves a reference at startup: the environment variable's value
// or the file's content, with surrounding white space trimmed. A missing or
// empty source is an error naming the setting, the variable or the file,
// never the value.
func (c *Config) Secret(ref SecretRef) (string, error) {
	switch {
	case ref.Env != "" && ref.File != "":
		return "", fmt.Errorf("%s: set either %s_env or %s_file, not both", ref.Field, ref.Field, ref.Field)
	case ref.Env != "":
		v, ok := os.LookupEnv(ref.Env)
		if !ok {
			return "", fmt.Errorf("%s: environment variable %s is not set", ref.Field, ref.Env)
		}
		if v = strings.TrimSpace(v); v == "" {
			return "", fmt.Errorf("%s: environment variable %s is empty", ref.Field, ref.Env)
		}
		return v, nil
	case ref.File != "":
		path := c.ResolvePath(ref.File)
		f, err := os.Open(path)
		if err != nil {
			return "", fmt.Errorf("%s: open secret file: %w", ref.Field, err)
		}
		defer f.Close()
		b, err := io.ReadAll(io.LimitReader(f, maxSecretFile+1))
		if err != nil {
			return "", fmt.Errorf("%s: read secret file %s: %w", ref.Field, path, err)
		}
		if len(b) > maxSecretFile {
			return "", fmt.Errorf("%s: secret file %s is larger than %d bytes", ref.Field, path, maxSecretFile)
		}
		v := strings.TrimSpace(string(b))
		if v == "" {
			return "", fmt.Errorf("%s: secret file %s is empty", ref.Field, path)
		}
		return v, nil
	default:
		return "", fmt.Errorf("%s: %w (set %s_env or %s_file)", ref.Field, ErrSecretNotConfigured, ref.Field, ref.Field)
	}
}
