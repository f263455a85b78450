package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/lockhub/lockhub/hub"
)

// Defaults of the flags that reach a running hub.
const (
	defaultTokenEnv      = "LOCKHUB_ADMIN_TOKEN"
	defaultPassphraseEnv = "LOCKHUB_BACKUP_PASSPHRASE"
)

// hubFlags are the flags of commands that ask a running hub's API.
type hubFlags struct {
	url, tokenEnv, actor *string
}

func addHubFlags(fs *flag.FlagSet, urlDefault string) hubFlags {
	return hubFlags{
		url:      fs.String("hub", urlDefault, "running hub's HTTP `URL`, e.g. http://127.0.0.1:8080"),
		tokenEnv: fs.String("token-env", defaultTokenEnv, "environment `variable` holding the admin token"),
		actor:    fs.String("actor", "", "your `name` in the hub's audit events (default: admin)"),
	}
}

func (f hubFlags) client() (*hub.Client, error) {
	token := os.Getenv(*f.tokenEnv)
	if token == "" {
		return nil, fmt.Errorf("no admin token: set %s (or name another variable with -token-env)", *f.tokenEnv)
	}
	return &hub.Client{BaseURL: *f.url, Token: token, Actor: *f.actor}, nil
}

// passphraseFlags read a passphrase from an environment variable or a file,
// never from a flag value (which other users can see in the process list).
type passphraseFlags struct{ env, file *string }

func addPassphraseFlags(fs *flag.FlagSet) passphraseFlags {
	return passphraseFlags{
		env:  fs.String("passphrase-env", defaultPassphraseEnv, "environment `variable` holding the backup passphrase"),
		file: fs.String("passphrase-file", "", "`file` holding the backup passphrase (first line); overrides -passphrase-env"),
	}
}

func (p passphraseFlags) read() (string, error) {
	if *p.file != "" {
		b, err := os.ReadFile(*p.file)
		if err != nil {
			return "", fmt.Errorf("read passphrase file: %w", err)
		}
		line, _, _ := strings.Cut(string(b), "\n")
		if line = strings.TrimRight(line, "\r"); line == "" {
			return "", errors.New("passphrase file is empty")
		}
		return line, nil
	}
	v := os.Getenv(*p.env)
	if v == "" {
		return "", fmt.Errorf("no passphrase: set %s or give -passphrase-file", *p.env)
	}
	return v, nil
}

func backupCommand() command {
	return command{
		name:    "backup",
		summary: "save a running hub's store and key files, encrypted, to a file",
		help: `Asks the running hub (-hub) for a backup: a consistent snapshot of its store
with the master key and the event log's key files, encrypted with a passphrase
(AES-256-GCM, key from PBKDF2-HMAC-SHA256) that comes from an environment
variable or a file, never from the command line. The archive is written to -o
through a temporary file, read back and verified with the passphrase, then
renamed into place. See docs/backup.md; restore with 'lockhub restore'.`,
		setup: func(fs *flag.FlagSet) func(context.Context, *env, []string) error {
			hf := addHubFlags(fs, "http://127.0.0.1:8080")
			pf := addPassphraseFlags(fs)
			out := fs.String("o", "", "archive `file` to write (required; not replaced if it exists)")
			return func(ctx context.Context, e *env, args []string) error {
				if len(args) != 0 || *out == "" {
					return usagef("want -o FILE and no arguments")
				}
				pass, err := pf.read()
				if err != nil {
					return err
				}
				if len(pass) < hub.MinBackupPassphrase {
					return fmt.Errorf("passphrase: at least %d characters", hub.MinBackupPassphrase)
				}
				c, err := hf.client()
				if err != nil {
					return err
				}
				if _, err := os.Lstat(*out); err == nil {
					return fmt.Errorf("%s exists: choose another name", *out)
				}
				tmp, err := os.CreateTemp(filepath.Dir(*out), ".lockhub-backup-*")
				if err != nil {
					return fmt.Errorf("create archive: %w", err)
				}
				defer os.Remove(tmp.Name())
				err = c.Backup(ctx, tmp, pass, 0)
				if err == nil {
					err = tmp.Sync()
				}
				if cerr := tmp.Close(); err == nil {
					err = cerr
				}
				if err != nil {
					return err
				}
				f, err := os.Open(tmp.Name())
				if err != nil {
					return err
				}
				man, err := hub.VerifyBackup(f, pass)
				f.Close()
				if err != nil {
					return fmt.Errorf("the received archive does not verify: %w", err)
				}
				if err := os.Link(tmp.Name(), *out); err != nil {
					return fmt.Errorf("install archive: %w", err)
				}
				fmt.Fprintf(e.stdout, "backup of site %s (store epoch %s, %s) written to %s\n",
					man.Site, man.StoreEpoch, man.Created.Format("2006-01-02 15:04:05Z07:00"), *out)
				return nil
			}
		},
	}
}
