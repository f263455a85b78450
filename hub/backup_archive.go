package hub

import (
	"bufio"
	"crypto/aes"
	"crypto/cipher"
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// Backup archive, format version 1 (docs/backup.md):
//
//	header   39 bytes, plaintext: magic "LHBACKUP", version 1, kdf 1
//	         (PBKDF2-HMAC-SHA256), 2 zero bytes, iterations (uint32 BE),
//	         salt (16), nonce prefix (7)
//	chunks   each: ciphertext length (uint32 BE), AES-256-GCM ciphertext of
//	         at most 64 KiB of plaintext; nonce = prefix || chunk counter
//	         (uint32 BE) || final flag (1 on the last chunk, else 0); the
//	         header is the additional data of every chunk. Nothing may follow
//	         the final chunk.
//
// The plaintext is a sequence of records: type (1 byte), name (uvarint
// length, at most 255 bytes), data (uvarint length, at most 1 MiB): one
// manifest first, key files, store pieces, one end record last.
const (
	archiveMagic      = "LHBACKUP"
	archiveVersion    = 1
	archiveKDFPBKDF2  = 1
	archiveSaltSize   = 16
	archivePrefixSize = 7
	archiveHeaderSize = len(archiveMagic) + 1 + 1 + 2 + 4 + archiveSaltSize + archivePrefixSize
	archiveChunkSize  = 64 << 10
	archiveTagSize    = 16

	// DefaultBackupIterations is the PBKDF2-HMAC-SHA256 iteration count of
	// new archives.
	DefaultBackupIterations = 600_000
	// MaxBackupIterations is the largest count a restore accepts (a bigger
	// one would only let a forged header burn CPU).
	MaxBackupIterations = 10_000_000

	maxRecordName = 255
	maxRecordData = 1 << 20
)

// Record types of the plaintext stream.
const (
	recManifest byte = 'M'
	recKeyFile  byte = 'K'
	recStore    byte = 'S'
	recEnd      byte = 'E'
)

// Errors of reading an archive.
var (
	// ErrNotBackup: the input does not start like a lockhub backup.
	ErrNotBackup = errors.New("not a lockhub backup archive")
	// ErrBackupVersion: a format version this lockhub does not read.
	ErrBackupVersion = errors.New("unsupported backup format version")
	// ErrBackupAuth: wrong passphrase, or the archive was altered.
	ErrBackupAuth = errors.New("backup does not decrypt: wrong passphrase or altered archive")
	// ErrBackupTruncated: the archive ends before its final chunk or record.
	ErrBackupTruncated = errors.New("backup archive is truncated")
	// ErrBackupMalformed: the decrypted content breaks the format.
	ErrBackupMalformed = errors.New("malformed backup archive")
	// ErrBackupTooLarge: a length or count beyond the format's bounds.
	ErrBackupTooLarge = errors.New("backup archive exceeds a size limit")
)

func archiveKey(passphrase string, salt []byte, iter int) (cipher.AEAD, error) {
	if passphrase == "" {
		return nil, errors.New("empty backup passphrase")
	}
	k, err := pbkdf2.Key(sha256.New, passphrase, salt, iter, 32)
	if err != nil {
		return nil, fmt.Errorf("derive backup key: %w", err)
	}
	b, err := aes.NewCipher(k)
	clear(k)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(b)
}

// chunkWriter encrypts the plaintext stream into chunks.
type chunkWriter struct {
	w      io.Writer
	aead   cipher.AEAD
	header []byte
	prefix []byte
	n      uint32
	buf    []byte // pending plaintext, < archiveChunkSize
	out    []byte
	err    error
}

func newChunkWriter(w io.Writer, passphrase string, iter int) (*chunkWriter, error) {
	if iter < 1 || iter > MaxBackupIterations {
		return nil, fmt.Errorf("backup iterations %d: want 1 to %d", iter, MaxBackupIterations)
	}
	h := make([]byte, 0, archiveHeaderSize)
	h = append(h, archiveMagic...)
	h = append(h, archiveVersion, archiveKDFPBKDF2, 0, 0)
	h = binary.BigEndian.AppendUint32(h, uint32(iter))
	rnd := make([]byte, archiveSaltSize+archivePrefixSize)
	if _, err := rand.Read(rnd); err != nil {
		return nil, fmt.Errorf("backup salt: %w", err)
	}
	h = append(h, rnd...)
	aead, err := archiveKey(passphrase, h[len(h)-len(rnd):len(h)-archivePrefixSize], iter)
	if err != nil {
		return nil, err
	}
	if _, err := w.Write(h); err != nil {
		return nil, fmt.Errorf("write backup header: %w", err)
	}
	return &chunkWriter{w: w, aead: aead, header: h, prefix: h[len(h)-archivePrefixSize:],
		buf: make([]byte, 0, archiveChunkSize)}, nil
}

func chunkNonce(dst, prefix []byte, n uint32, final bool) []byte {
	dst = append(dst[:0], prefix...)
	dst = binary.BigEndian.AppendUint32(dst, n)
	if final {
		return append(dst, 1)
	}
	return append(dst, 0)
}

func (c *chunkWriter) seal(final bool) error {
	if c.err != nil {
		return c.err
	}
	if c.n == ^uint32(0) {
		c.err = fmt.Errorf("%w: too many chunks", ErrBackupTooLarge)
		return c.err
	}
	var nonce [12]byte
	c.out = binary.BigEndian.AppendUint32(c.out[:0], uint32(len(c.buf)+archiveTagSize))
	c.out = c.aead.Seal(c.out, chunkNonce(nonce[:0], c.prefix, c.n, final), c.buf, c.header)
	c.n++
	c.buf = c.buf[:0]
	if _, err := c.w.Write(c.out); err != nil {
		c.err = fmt.Errorf("write backup: %w", err)
	}
	return c.err
}

func (c *chunkWriter) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 {
		k := min(len(p), archiveChunkSize-len(c.buf))
		c.buf = append(c.buf, p[:k]...)
		p = p[k:]
		if len(c.buf) == archiveChunkSize {
			if err := c.seal(false); err != nil {
				return 0, err
			}
		}
	}
	return n, c.err
}

// Close writes the final chunk (possibly empty).
func (c *chunkWriter) Close() error { return c.seal(true) }

// writeRecord appends one plaintext record.
func writeRecord(w io.Writer, typ byte, name string, data []byte) error {
	if len(name) > maxRecordName || len(data) > maxRecordData {
		return fmt.Errorf("%w: record %q", ErrBackupTooLarge, name)
	}
	b := make([]byte, 0, 1+2*binary.MaxVarintLen64+len(name))
	b = append(b, typ)
	b = binary.AppendUvarint(b, uint64(len(name)))
	b = append(b, name...)
	b = binary.AppendUvarint(b, uint64(len(data)))
	if _, err := w.Write(b); err != nil {
		return err
	}
	_, err := w.Write(data)
	return err
}

// chunkReader decrypts and authenticates the chunks; Read returns plaintext.
type chunkReader struct {
	r      *bufio.Reader
	aead   cipher.AEAD
	header []byte
	prefix []byte
	n      uint32
	plain  []byte
	ct     []byte
	final  bool
	err    error
}

// readArchiveHeader reads and checks the header and derives the key.
func newChunkReader(r io.Reader, passphrase string, maxIter int) (*chunkReader, error) {
	br := bufio.NewReaderSize(r, archiveChunkSize+archiveTagSize+4)
	h := make([]byte, archiveHeaderSize)
	if n, err := io.ReadFull(br, h); err != nil {
		if n >= len(archiveMagic) && string(h[:len(archiveMagic)]) == archiveMagic {
			return nil, ErrBackupTruncated
		}
		return nil, ErrNotBackup
	}
	switch {
	case string(h[:len(archiveMagic)]) != archiveMagic:
		return nil, ErrNotBackup
	case h[8] != archiveVersion:
		return nil, fmt.Errorf("%w %d (this lockhub reads %d)", ErrBackupVersion, h[8], archiveVersion)
	case h[9] != archiveKDFPBKDF2 || h[10] != 0 || h[11] != 0:
		return nil, fmt.Errorf("%w: unknown key derivation %d", ErrBackupMalformed, h[9])
	}
	iter := int(binary.BigEndian.Uint32(h[12:16]))
	if maxIter <= 0 {
		maxIter = MaxBackupIterations
	}
	if iter < 1 || iter > maxIter {
		return nil, fmt.Errorf("%w: %d key derivation iterations", ErrBackupTooLarge, iter)
	}
	aead, err := archiveKey(passphrase, h[16:16+archiveSaltSize], iter)
	if err != nil {
		return nil, err
	}
	return &chunkReader{r: br, aead: aead, header: h, prefix: h[16+archiveSaltSize:]}, nil
}

func (c *chunkReader) next() error {
	var lb [4]byte
	if _, err := io.ReadFull(c.r, lb[:]); err != nil {
		return ErrBackupTruncated
	}
	n := binary.BigEndian.Uint32(lb[:])
	if n < archiveTagSize || n > archiveChunkSize+archiveTagSize {
		return fmt.Errorf("%w: chunk of %d bytes", ErrBackupMalformed, n)
	}
	c.ct = append(c.ct[:0], make([]byte, n)...)
	if _, err := io.ReadFull(c.r, c.ct); err != nil {
		return ErrBackupTruncated
	}
	var nonce [12]byte
	var err error
	// The final flag is only known by trying: a non-final chunk is tried
	// first (one chunk in 2^32 is final, at most one per archive).
	c.plain, err = c.aead.Open(c.plain[:0], chunkNonce(nonce[:0], c.prefix, c.n, false), c.ct, c.header)
	if err != nil {
		c.plain, err = c.aead.Open(c.plain[:0], chunkNonce(nonce[:0], c.prefix, c.n, true), c.ct, c.header)
		if err != nil {
			return ErrBackupAuth
		}
		c.final = true
		if _, err := c.r.ReadByte(); err != io.EOF {
			return fmt.Errorf("%w: bytes after the final chunk", ErrBackupMalformed)
		}
	}
	if c.n == ^uint32(0) {
		return fmt.Errorf("%w: too many chunks", ErrBackupTooLarge)
	}
	c.n++
	return nil
}

func (c *chunkReader) Read(p []byte) (int, error) {
	for len(c.plain) == 0 {
		if c.err != nil {
			return 0, c.err
		}
		if c.final {
			return 0, io.EOF
		}
		if err := c.next(); err != nil {
			c.err = err
			return 0, err
		}
	}
	n := copy(p, c.plain)
	c.plain = c.plain[n:]
	return n, nil
}

// recordReader parses the plaintext record stream.
type recordReader struct {
	r    *bufio.Reader
	name []byte
}

func newRecordReader(r io.Reader) *recordReader {
	return &recordReader{r: bufio.NewReaderSize(r, 64<<10)}
}

// next reads the next record's type, name and data length; the caller then
// reads exactly that many bytes of data from rr.r. io.EOF only at a record
// boundary.
func (rr *recordReader) next() (typ byte, name string, size int, err error) {
	typ, err = rr.r.ReadByte()
	if err == io.EOF {
		return 0, "", 0, io.EOF
	}
	if err != nil {
		return 0, "", 0, err
	}
	nl, err := binary.ReadUvarint(rr.r)
	if err != nil {
		return 0, "", 0, truncOr(err)
	}
	if nl > maxRecordName {
		return 0, "", 0, fmt.Errorf("%w: record name of %d bytes", ErrBackupTooLarge, nl)
	}
	rr.name = append(rr.name[:0], make([]byte, nl)...)
	if _, err := io.ReadFull(rr.r, rr.name); err != nil {
		return 0, "", 0, truncOr(err)
	}
	dl, err := binary.ReadUvarint(rr.r)
	if err != nil {
		return 0, "", 0, truncOr(err)
	}
	if dl > maxRecordData {
		return 0, "", 0, fmt.Errorf("%w: record of %d bytes", ErrBackupTooLarge, dl)
	}
	return typ, string(rr.name), int(dl), nil
}

// data reads a record's data of size bytes into buf.
func (rr *recordReader) data(buf []byte, size int) ([]byte, error) {
	buf = append(buf[:0], make([]byte, size)...)
	if _, err := io.ReadFull(rr.r, buf); err != nil {
		return nil, truncOr(err)
	}
	return buf, nil
}

// truncOr maps the end of the plaintext inside a record to ErrBackupTruncated
// and keeps errors from the layer below (authentication, truncation).
func truncOr(err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("%w: ends inside a record", ErrBackupTruncated)
	}
	return err
}
