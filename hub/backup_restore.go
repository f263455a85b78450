package hub

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/lockhub/lockhub/internal/store"
)

// RestoreOptions configures Restore.
type RestoreOptions struct {
	// Passphrase decrypts the archive. Required.
	Passphrase string
	Limits     ReadLimits
	// Logger receives the restore's progress; nil discards it.
	Logger *slog.Logger
}

// RestoreInfo describes a finished restore.
type RestoreInfo struct {
	Manifest   BackupManifest
	OldEpoch   string // the backed-up store's epoch
	NewEpoch   string // the restored store's epoch
	KeyFiles   int    // master key included
	StoreBytes int64
}

// ErrDataDirInUse is returned by Restore when the target is not fresh.
var ErrDataDirInUse = errors.New("data directory is not fresh")

// Restore unpacks an archive made by Hub.Backup into the data directory of
// cfg, which must be fresh: no store, event log or event keys in it and no
// master key file. The hub must be stopped (Badger locks the store). The
// archive is decoded into a staging directory inside the data directory and
// moved into place only once every chunk has been authenticated and the
// store opens; on any error nothing is left behind. The restored store gets
// a new epoch, and the event log starts empty in it, so the restored hub's
// event sequence numbers never collide with the old box's.
func Restore(cfg *Config, r io.Reader, opt RestoreOptions) (RestoreInfo, error) {
	if err := cfg.Validate(); err != nil {
		return RestoreInfo{}, err
	}
	cfg = cfg.clone()
	cfg.SetDefaults()
	log := opt.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	dataDir := cfg.Site.DataDir
	if err := checkFresh(cfg); err != nil {
		return RestoreInfo{}, err
	}
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return RestoreInfo{}, fmt.Errorf("create data dir: %w", err)
	}
	staging, err := os.MkdirTemp(dataDir, ".restore-")
	if err != nil {
		return RestoreInfo{}, fmt.Errorf("create staging dir: %w", err)
	}
	defer os.RemoveAll(staging)

	pr, pw := io.Pipe()
	type loaded struct {
		res store.LoadResult
		err error
	}
	done := make(chan loaded, 1)
	go func() {
		res, err := store.Load(filepath.Join(staging, storeDirName), pr, log)
		pr.CloseWithError(errors.Join(err, errors.New("store load ended")))
		done <- loaded{res, err}
	}()
	sink := &restoreSink{dir: staging, pipe: pw}
	man, err := readArchive(r, opt.Passphrase, opt.Limits, sink)
	pw.CloseWithError(err) // nil: EOF for the loader
	l := <-done
	defer clear(sink.master)
	switch {
	case err != nil:
		return RestoreInfo{}, fmt.Errorf("read backup: %w", err)
	case l.err != nil:
		return RestoreInfo{}, fmt.Errorf("restore store: %w", l.err)
	}
	info := RestoreInfo{Manifest: man, OldEpoch: l.res.OldEpoch, NewEpoch: l.res.NewEpoch,
		KeyFiles: sink.keyFiles, StoreBytes: sink.storeBytes}
	if err := install(cfg, staging, sink.master); err != nil {
		return RestoreInfo{}, err
	}
	log.Info("backup restored", "site", man.Site, "created", man.Created, "key_files", info.KeyFiles,
		"old_epoch", info.OldEpoch, "new_epoch", info.NewEpoch)
	return info, nil
}

// checkFresh refuses a data directory that holds a store, an event log or
// event keys, or a master key file.
func checkFresh(cfg *Config) error {
	for _, name := range []string{storeDirName, eventsDirName, eventKeysDirName} {
		p := filepath.Join(cfg.Site.DataDir, name)
		ents, err := os.ReadDir(p)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return fmt.Errorf("%w: %s: %w", ErrDataDirInUse, p, err)
		}
		if len(ents) > 0 {
			return fmt.Errorf("%w: %s is not empty (restore onto a fresh data directory)", ErrDataDirInUse, p)
		}
	}
	if _, err := os.Lstat(cfg.MasterKeyPath()); !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("%w: master key %s exists (restore onto a fresh data directory)", ErrDataDirInUse, cfg.MasterKeyPath())
	}
	return nil
}

// install moves the verified staging content into the data directory: the
// master key first (never replacing a file), then the store and event keys.
func install(cfg *Config, staging string, master []byte) error {
	mk := cfg.MasterKeyPath()
	if err := os.MkdirAll(filepath.Dir(mk), 0o700); err != nil {
		return fmt.Errorf("create master key dir: %w", err)
	}
	f, err := os.OpenFile(mk, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("write master key: %w", err)
	}
	_, err = f.Write(master)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(mk)
		return fmt.Errorf("write master key: %w", err)
	}
	for _, name := range []string{storeDirName, eventKeysDirName} {
		dst := filepath.Join(cfg.Site.DataDir, name)
		src := filepath.Join(staging, name)
		if _, err := os.Stat(src); errors.Is(err, fs.ErrNotExist) {
			continue
		}
		os.Remove(dst) // an empty directory (checkFresh) or nothing
		if err := os.Rename(src, dst); err != nil {
			return fmt.Errorf("install %s: %w", name, err)
		}
	}
	return syncDir(cfg.Site.DataDir)
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("sync %s: %w", dir, err)
	}
	return nil
}

// restoreSink writes key files into the staging directory and feeds the
// store stream to the loader.
type restoreSink struct {
	dir        string
	pipe       io.Writer
	master     []byte
	keyFiles   int
	storeBytes int64
}

func (s *restoreSink) manifest(BackupManifest) error { return nil }

func (s *restoreSink) keyFile(name string, data []byte) error {
	s.keyFiles++
	if name == masterKeyName {
		s.master = append([]byte(nil), data...)
		return nil
	}
	p := filepath.Join(s.dir, filepath.FromSlash(name)) // name matched eventKeyName: no "..", no separators inside
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		return fmt.Errorf("create key dir: %w", err)
	}
	if err := os.WriteFile(p, data, 0o600); err != nil {
		return fmt.Errorf("write key file: %w", err)
	}
	return nil
}

func (s *restoreSink) store(p []byte) error {
	s.storeBytes += int64(len(p))
	if _, err := s.pipe.Write(p); err != nil {
		return fmt.Errorf("restore store: %w", err)
	}
	return nil
}
