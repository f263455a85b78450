package main

import (
	"context"
	"flag"
	"fmt"
	"os"

	"github.com/lockhub/lockhub/hub"
)

func restoreCommand() command {
	return command{
		name:    "restore",
		args:    "ARCHIVE",
		summary: "restore a backup onto a fresh data directory (hub stopped)",
		help: `Restores an archive made by 'lockhub backup' into the data directory named by
-config, which must be fresh: no store, event log or event keys, no master
key. The hub must be stopped. Every chunk is authenticated before anything is
moved into place, and a failed restore leaves nothing behind. The restored
store starts a new epoch, so its event sequence numbers never collide with
the old box's; the event log starts empty. The passphrase comes from an
environment variable or a file. See docs/backup.md.`,
		setup: func(fs *flag.FlagSet) func(context.Context, *env, []string) error {
			config := fs.String("config", defaultConfigPath, "site configuration `file` (its data_dir is the target)")
			pf := addPassphraseFlags(fs)
			return func(_ context.Context, e *env, args []string) error {
				if len(args) != 1 {
					return usagef("want the archive file")
				}
				pass, err := pf.read()
				if err != nil {
					return err
				}
				cfg, err := hub.LoadConfigFile(*config)
				if err != nil {
					return fmt.Errorf("load config: %w", err)
				}
				f, err := os.Open(args[0])
				if err != nil {
					return err
				}
				defer f.Close()
				info, err := hub.Restore(cfg, f, hub.RestoreOptions{Passphrase: pass})
				if err != nil {
					return err
				}
				fmt.Fprintf(e.stdout, "restored site %s from the backup of %s: %d key files, %d store bytes\nstore epoch %s -> %s (new)\n",
					info.Manifest.Site, info.Manifest.Created.Format("2006-01-02 15:04:05Z07:00"), info.KeyFiles, info.StoreBytes,
					info.OldEpoch, info.NewEpoch)
				return nil
			}
		},
	}
}
