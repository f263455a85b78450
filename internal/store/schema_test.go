package store

import (
	"bytes"
	"errors"
	"log/slog"
	"strings"
	"testing"

	"github.com/dgraph-io/badger/v4"

	"github.com/lockhub/lockhub/policy"

	"github.com/lockhub/lockhub/internal/badgerlog"
)

// rawWrite writes keys with Badger directly, as an older lockhub (or a
// broken disk) would have.
func rawWrite(tb testing.TB, dir string, kvs map[string][]byte) {
	tb.Helper()
	db, err := badger.Open(badgerOptions(dir, slog.New(slog.DiscardHandler)))
	if err != nil {
		tb.Fatal(err)
	}
	err = db.Update(func(txn *badger.Txn) error {
		for k, v := range kvs {
			if err := txn.Set([]byte(k), v); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
	if err := db.Close(); err != nil {
		tb.Fatal(err)
	}
}

func rawSchema(tb testing.TB, s *Store) uint64 {
	tb.Helper()
	v, _, err := readSchema(s.db)
	if err != nil {
		tb.Fatal(err)
	}
	return v
}

func TestNewStoreHasSchemaAndEpoch(t *testing.T) {
	s, dir := openTemp(t)
	if v := rawSchema(t, s); v != schemaVersion {
		t.Errorf("schema = %d, want %d", v, schemaVersion)
	}
	e := s.Epoch()
	s = reopen(t, s, dir)
	if s.Epoch() != e {
		t.Errorf("epoch changed on reopen")
	}
	other, _ := openTemp(t)
	if other.Epoch() == e {
		t.Errorf("two new stores share an epoch")
	}
	renewed, err := s.RenewEpoch()
	if err != nil || renewed == e || s.Epoch() != renewed {
		t.Fatalf("RenewEpoch = %q, %v (old %q)", renewed, err, e)
	}
	s = reopen(t, s, dir)
	if s.Epoch() != renewed {
		t.Errorf("renewed epoch not kept: %q, want %q", s.Epoch(), renewed)
	}
}

func TestMigrateFromV0(t *testing.T) {
	dir := t.TempDir()
	card := digest(t, policy.CredCard, "0A0B")
	// Version 0: records in today's encoding, no schema key, no epoch.
	rawWrite(t, dir, map[string][]byte{
		pfxDomain + "hq":  encodeDomain(nil, &policy.Domain{ID: "hq", Zone: mustZone(t, "Europe/Berlin"), Origin: policy.OriginConfig}),
		pfxLock + "door":  encodeLock(nil, &policy.Lock{ID: "door", Domain: "hq", Origin: policy.OriginConfig}),
		pfxAccess + "acc": encodeAccess(nil, &policy.Access{ID: "acc", Domain: "hq", Locks: []string{"door"}, Origin: policy.OriginConfig}),
		pfxMember + "m1": encodeMember(nil, &policy.Member{ID: "m1", Domain: "hq", Status: policy.StatusActive, Origin: policy.OriginConfig},
			[]policy.Credential{card}),
		string(grantKeyBytes(gk(policy.OriginConfig, policy.KindManual, "g1"))): encodeGrant(nil, &policy.Grant{Member: "m1", Access: "acc"}),
	})
	s := openAt(t, dir)
	t.Cleanup(func() { s.Close() })
	if v := rawSchema(t, s); v != schemaVersion {
		t.Errorf("schema after migration = %d, want %d", v, schemaVersion)
	}
	if len(s.Epoch()) != 32 {
		t.Errorf("migrated store has epoch %q", s.Epoch())
	}
	if d := s.Decide(t0, policy.Request{Lock: "door", Credential: card}); d.Reason != policy.ReasonAllowed || d.Member != "m1" {
		t.Errorf("Decide on migrated store = %+v", d)
	}
	e := s.Epoch()
	s = reopen(t, s, dir)
	if s.Epoch() != e {
		t.Errorf("migration ran again: epoch %q, then %q", e, s.Epoch())
	}
}

func TestRefuseNewerSchema(t *testing.T) {
	dir := t.TempDir()
	rawWrite(t, dir, map[string][]byte{keySchema: encodeUint(nil, schemaVersion+1), keyEpoch: encodeString(nil, "e")})
	s, err := Open(Config{Dir: dir})
	if err == nil {
		s.Close()
		t.Fatal("Open accepted a newer schema")
	}
	if !errors.Is(err, ErrNewerSchema) || !strings.Contains(err.Error(), "version 2") {
		t.Errorf("Open = %v, want ErrNewerSchema naming the version", err)
	}
	// The directory is released: a fixed lockhub could open it.
	db, err := badger.Open(badgerOptions(dir, slog.New(slog.DiscardHandler)))
	if err != nil {
		t.Fatalf("directory still locked after a refused Open: %v", err)
	}
	db.Close()
}

func TestOpenRefusesCorruptRecord(t *testing.T) {
	tests := []struct {
		name  string
		key   string
		value []byte
	}{
		{"garbage member", pfxMember + "m", []byte{codecVersion, 0xff, 0xff}},
		{"member under wrong key", pfxMember + "x", encodeMember(nil, &policy.Member{ID: "y", Origin: policy.OriginAdmin}, nil)},
		{"unknown record version", pfxLock + "l", []byte{9}},
		{"bad grant key", pfxGrant + "\x00\x00r", encodeGrant(nil, &policy.Grant{Member: "m", Access: "a"})},
		{"lock state trailing", pfxLockState + "l", append(encodeLockState(nil, &policy.LockState{Lockdown: true}), 0)},
		{"unknown zone", pfxDomain + "d", encodeDomain(nil, &policy.Domain{ID: "d", Zone: fixedZone()})},
		{"unknown prefix", "q/x", []byte{1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, dir := openTemp(t)
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			rawWrite(t, dir, map[string][]byte{tt.key: tt.value})
			s2, err := Open(Config{Dir: dir})
			if err == nil {
				s2.Close()
				t.Fatal("Open accepted a corrupt record")
			}
			if !strings.Contains(err.Error(), "record") {
				t.Errorf("Open = %v, want an error naming the record", err)
			}
		})
	}
}

func TestOpenLockedDirectory(t *testing.T) {
	_, dir := openTemp(t)
	s, err := Open(Config{Dir: dir})
	if err == nil {
		s.Close()
		t.Fatal("second Open of the same directory succeeded")
	}
	if !strings.Contains(err.Error(), "another lockhub") {
		t.Errorf("Open = %v, want a hint about another process", err)
	}
	if _, err := Open(Config{}); err == nil || !strings.Contains(err.Error(), "store.dir") {
		t.Errorf("Open without dir = %v", err)
	}
}

// Badger's warnings go to the store's slog logger, not to Badger's own
// stderr logger (which WithLoggingLevel would put back in its place).
func TestBadgerLogsThroughSlog(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(slog.NewTextHandler(&buf, nil))
	opts := badgerOptions(t.TempDir(), log)
	bl, ok := opts.Logger.(badgerlog.Logger)
	if !ok {
		t.Fatalf("Badger's logger is %T, want badgerlog.Logger", opts.Logger)
	}
	bl.Warningf("value log truncated\n")
	bl.Warningf("Block cache might be too small. Metrics: hit: 10 miss: 10416\n")
	bl.Infof("chatter")
	if got := buf.String(); !strings.Contains(got, "level=WARN") || !strings.Contains(got, "component=badger") ||
		!strings.Contains(got, `msg="value log truncated"`) || strings.Contains(got, "chatter") || strings.Contains(got, "cache") {
		t.Fatalf("slog got %q, want the warning (component badger), no info line and no cache advice", got)
	}
}
