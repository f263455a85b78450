package hub

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"time"

	"github.com/lockhub/lockhub/internal/keys"
)

// BackupManifest is the first record of an archive (JSON).
type BackupManifest struct {
	Format     string    `json:"format"` // "lockhub-backup"
	Version    int       `json:"version"`
	Site       string    `json:"site"`
	Created    time.Time `json:"created"`
	StoreEpoch string    `json:"store_epoch"`
}

// backupEnd is the data of the end record: counts the reader checks.
type backupEnd struct {
	KeyFiles   int   `json:"key_files"`
	StoreBytes int64 `json:"store_bytes"`
}

const (
	backupFormat     = "lockhub-backup"
	masterKeyName    = "master.key"
	maxManifestSize  = 64 << 10
	maxBackupKeyFile = 1 << 20 // key files in one archive
)

// eventKeyName matches an event key file's archive name:
// events-keys/<domain dir>/<yyyymmdd>.key, the domain dir as the event log
// makes it (a plain id, or '~' and 64 hex digits).
var eventKeyName = regexp.MustCompile(`^events-keys/([A-Za-z0-9._-]{1,64}|~[0-9a-f]{64})/[0-9]{8}\.key$`)

// validKeyFileName reports whether an archive may hold a key file of this
// name: the master key, or an event key file in a domain directory other
// than "." and "..".
func validKeyFileName(name string) bool {
	if name == masterKeyName {
		return true
	}
	m := eventKeyName.FindStringSubmatch(name)
	return m != nil && m[1] != "." && m[1] != ".."
}

// BackupOptions configures Hub.Backup.
type BackupOptions struct {
	// Passphrase encrypts the archive. Required.
	Passphrase string
	// Iterations of PBKDF2-HMAC-SHA256; zero means DefaultBackupIterations.
	Iterations int
}

// BackupInfo describes a written archive.
type BackupInfo struct {
	Manifest   BackupManifest
	KeyFiles   int
	StoreBytes int64
}

// Backup writes an encrypted archive of the running hub to w: the store (a
// consistent Badger snapshot), the master key and the event log's key files
// (those the retention job has destroyed are simply absent). The event log
// itself is not included (docs/backup.md). It records an admin event.
func (h *Hub) Backup(ctx context.Context, w io.Writer, opt BackupOptions, actor string) (BackupInfo, error) {
	iter := opt.Iterations
	if iter == 0 {
		iter = DefaultBackupIterations
	}
	cw, err := newChunkWriter(w, opt.Passphrase, iter)
	if err != nil {
		return BackupInfo{}, err
	}
	cfg := h.Config()
	info := BackupInfo{Manifest: BackupManifest{Format: backupFormat, Version: archiveVersion,
		Site: cfg.Site.ID, Created: h.now().UTC(), StoreEpoch: h.store.Epoch()}}
	man, err := json.Marshal(info.Manifest)
	if err != nil {
		return BackupInfo{}, err
	}
	if err := writeRecord(cw, recManifest, "manifest", man); err != nil {
		return BackupInfo{}, err
	}
	files, err := h.keyFiles(cfg)
	if err != nil {
		return BackupInfo{}, err
	}
	for _, f := range files {
		raw, err := os.ReadFile(f.path)
		if errors.Is(err, fs.ErrNotExist) && f.name != masterKeyName {
			continue // destroyed by the retention job meanwhile
		}
		if err != nil {
			return BackupInfo{}, fmt.Errorf("read key file %s: %w", f.name, err)
		}
		err = writeRecord(cw, recKeyFile, f.name, raw)
		clear(raw)
		if err != nil {
			return BackupInfo{}, err
		}
		info.KeyFiles++
	}
	if err := ctx.Err(); err != nil {
		return BackupInfo{}, err
	}
	sw := &storeRecordWriter{w: cw}
	if err := h.store.Backup(sw); err != nil {
		return BackupInfo{}, err
	}
	if err := sw.flush(); err != nil {
		return BackupInfo{}, err
	}
	info.StoreBytes = sw.total
	end, _ := json.Marshal(backupEnd{KeyFiles: info.KeyFiles, StoreBytes: info.StoreBytes})
	if err := writeRecord(cw, recEnd, "", end); err != nil {
		return BackupInfo{}, err
	}
	if err := cw.Close(); err != nil {
		return BackupInfo{}, err
	}
	if err := h.recordAdmin(ctx, adminEvent{Action: "backup", Actor: actor}); err != nil {
		h.log.Warn("backup written but not recorded in the event log", "error", err)
	}
	h.log.Info("backup written", "key_files", info.KeyFiles, "store_bytes", info.StoreBytes, "actor", actor)
	return info, nil
}

type keyFile struct{ name, path string }

// keyFiles lists the master key and the event key files.
func (h *Hub) keyFiles(cfg *Config) ([]keyFile, error) {
	out := []keyFile{{name: masterKeyName, path: cfg.MasterKeyPath()}}
	root := filepath.Join(cfg.Site.DataDir, eventKeysDirName)
	doms, err := os.ReadDir(root)
	if errors.Is(err, fs.ErrNotExist) {
		return out, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list event keys: %w", err)
	}
	for _, d := range doms {
		if !d.IsDir() {
			continue
		}
		ents, err := os.ReadDir(filepath.Join(root, d.Name()))
		if err != nil {
			return nil, fmt.Errorf("list event keys: %w", err)
		}
		for _, e := range ents {
			name := path.Join(eventKeysDirName, d.Name(), e.Name())
			if e.Type().IsRegular() && validKeyFileName(name) {
				out = append(out, keyFile{name: name, path: filepath.Join(root, d.Name(), e.Name())})
			}
		}
	}
	return out, nil
}

// storeRecordWriter cuts the store stream into store records.
type storeRecordWriter struct {
	w     io.Writer
	buf   []byte
	total int64
}

func (s *storeRecordWriter) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 {
		k := min(len(p), maxRecordData-len(s.buf))
		s.buf = append(s.buf, p[:k]...)
		p = p[k:]
		if len(s.buf) == maxRecordData {
			if err := s.flush(); err != nil {
				return 0, err
			}
		}
	}
	return n, nil
}

func (s *storeRecordWriter) flush() error {
	if len(s.buf) == 0 {
		return nil
	}
	err := writeRecord(s.w, recStore, "store", s.buf)
	s.total += int64(len(s.buf))
	s.buf = s.buf[:0]
	return err
}

// archiveSink receives an archive's content as readArchive decodes it.
type archiveSink interface {
	manifest(m BackupManifest) error
	keyFile(name string, data []byte) error
	store(p []byte) error
}

// ReadLimits bound what a restore accepts.
type ReadLimits struct {
	// MaxIterations caps the header's PBKDF2 count; zero means
	// MaxBackupIterations.
	MaxIterations int
	// MaxStoreBytes caps the store stream; zero means 64 GiB.
	MaxStoreBytes int64
}

// readArchive decrypts and decodes an archive, handing its parts to sink.
// It returns only after the final chunk has been authenticated and the end
// record checked: until then the sink's data must be treated as unverified.
func readArchive(r io.Reader, passphrase string, lim ReadLimits, sink archiveSink) (BackupManifest, error) {
	cr, err := newChunkReader(r, passphrase, lim.MaxIterations)
	if err != nil {
		return BackupManifest{}, err
	}
	return decodeRecords(cr, lim, sink)
}

// decodeRecords decodes the plaintext record stream.
func decodeRecords(r io.Reader, lim ReadLimits, sink archiveSink) (BackupManifest, error) {
	if lim.MaxStoreBytes <= 0 {
		lim.MaxStoreBytes = 64 << 30
	}
	rr := newRecordReader(r)
	var man BackupManifest
	var got backupEnd
	var buf []byte
	seen := map[string]bool{}
	for i := 0; ; i++ {
		typ, name, size, err := rr.next()
		if err == io.EOF {
			return man, fmt.Errorf("%w: no end record", ErrBackupTruncated)
		}
		if err != nil {
			return man, err
		}
		if (i == 0) != (typ == recManifest) {
			return man, fmt.Errorf("%w: the manifest must come first, once", ErrBackupMalformed)
		}
		switch typ {
		case recManifest:
			if size > maxManifestSize {
				return man, fmt.Errorf("%w: manifest of %d bytes", ErrBackupTooLarge, size)
			}
			if buf, err = rr.data(buf, size); err != nil {
				return man, err
			}
			if err := json.Unmarshal(buf, &man); err != nil {
				return man, fmt.Errorf("%w: manifest: %v", ErrBackupMalformed, err)
			}
			if man.Format != backupFormat || man.Version != archiveVersion || man.StoreEpoch == "" {
				return man, fmt.Errorf("%w: manifest says format %q version %d", ErrBackupMalformed, man.Format, man.Version)
			}
			if err := sink.manifest(man); err != nil {
				return man, err
			}
		case recKeyFile:
			if !validKeyFileName(name) {
				return man, fmt.Errorf("%w: unexpected file name %q", ErrBackupMalformed, name)
			}
			if size != keys.Size || seen[name] || got.StoreBytes > 0 {
				return man, fmt.Errorf("%w: key file %q of %d bytes, repeated or after the store", ErrBackupMalformed, name, size)
			}
			if got.KeyFiles++; got.KeyFiles > maxBackupKeyFile {
				return man, fmt.Errorf("%w: more than %d key files", ErrBackupTooLarge, maxBackupKeyFile)
			}
			seen[name] = true
			if buf, err = rr.data(buf, size); err != nil {
				return man, err
			}
			err = sink.keyFile(name, buf)
			clear(buf)
			if err != nil {
				return man, err
			}
		case recStore:
			if name != "store" || size == 0 {
				return man, fmt.Errorf("%w: store record %q of %d bytes", ErrBackupMalformed, name, size)
			}
			if got.StoreBytes += int64(size); got.StoreBytes > lim.MaxStoreBytes {
				return man, fmt.Errorf("%w: store over %d bytes", ErrBackupTooLarge, lim.MaxStoreBytes)
			}
			if buf, err = rr.data(buf, size); err != nil {
				return man, err
			}
			if err := sink.store(buf); err != nil {
				return man, err
			}
		case recEnd:
			return man, finishRecords(rr, buf, size, got, seen)
		default:
			return man, fmt.Errorf("%w: unknown record type %d", ErrBackupMalformed, typ)
		}
	}
}

func finishRecords(rr *recordReader, buf []byte, size int, got backupEnd, seen map[string]bool) error {
	buf, err := rr.data(buf, size)
	if err != nil {
		return err
	}
	var want backupEnd
	if err := json.Unmarshal(buf, &want); err != nil {
		return fmt.Errorf("%w: end record: %v", ErrBackupMalformed, err)
	}
	if want != got {
		return fmt.Errorf("%w: end record counts %+v, archive holds %+v", ErrBackupMalformed, want, got)
	}
	if !seen[masterKeyName] || got.StoreBytes == 0 {
		return fmt.Errorf("%w: no master key or no store", ErrBackupMalformed)
	}
	if _, err := rr.r.ReadByte(); err != io.EOF {
		if err == nil {
			return fmt.Errorf("%w: data after the end record", ErrBackupMalformed)
		}
		return truncOr(err)
	}
	return nil
}

// VerifyBackup reads a whole archive, checking the passphrase, every
// chunk's authentication, the structure and the counts, without restoring
// anything.
func VerifyBackup(r io.Reader, passphrase string) (BackupManifest, error) {
	return readArchive(r, passphrase, ReadLimits{}, discardSink{})
}

type discardSink struct{}

func (discardSink) manifest(BackupManifest) error { return nil }
func (discardSink) keyFile(string, []byte) error  { return nil }
func (discardSink) store([]byte) error            { return nil }
