package events

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// scanFiles returns which of the needles occur in any file under root.
func scanFiles(tb testing.TB, root string, needles []string) map[string][]string {
	tb.Helper()
	found := map[string][]string{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		for _, n := range needles {
			if bytes.Contains(b, []byte(n)) {
				found[n] = append(found[n], p)
			}
		}
		return nil
	})
	if err != nil {
		tb.Fatalf("scan %s: %v", root, err)
	}
	return found
}

func TestPersonalFieldsNeverOnDiskInPlaintext(t *testing.T) {
	root := t.TempDir()
	cfg := testConfig(root)
	day1 := time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)
	clock := newClock(day1)
	cfg.Now = clock.Now
	l := openLog(t, cfg)

	people := []Personal{
		{Name: "Grace Hopper-Zq7", Email: "grace.zq7@example.org", CredentialRef: "card…A1B2C3Q7"},
		{Name: "Alan Turing-Xk4", Email: "alan.xk4@example.org", CredentialRef: "digest:9f8e7d6cXK4"},
	}
	var needles []string
	for _, p := range people {
		needles = append(needles, p.Name, p.Email, p.CredentialRef)
	}
	// A non-personal marker proves that the scan sees what is stored.
	const marker = "req-marker-plain-Vb9"

	var oldSeqs, newSeqs []uint64
	for i := range 200 {
		if i == 100 {
			clock.Set(day1.Add(48 * time.Hour)) // day 3
		}
		ev := decisionEvent(i)
		ev.RequestID = marker
		ev.Personal = people[i%2]
		seq := mustAppend(t, l, ev)
		if i < 100 {
			oldSeqs = append(oldSeqs, seq)
		} else {
			newSeqs = append(newSeqs, seq)
		}
		if i%50 == 0 {
			door := &Event{Type: TypeDoor, Lock: "front-door", Boot: 1, LockSeq: uint64(i), Domain: "office",
				Personal: people[1]}
			if _, _, err := l.AppendDoor(t.Context(), door); err != nil {
				t.Fatal(err)
			}
		}
	}
	if got := peekAll(t, l)[0].Personal; got != people[0] {
		t.Fatalf("personal fields read back as %+v, want %+v", got, people[0])
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	found := scanFiles(t, root, append(needles, marker))
	if len(found[marker]) == 0 {
		t.Fatalf("scan found no plaintext marker: it cannot see stored bytes")
	}
	for _, n := range needles {
		if len(found[n]) > 0 {
			t.Errorf("personal value %q in plaintext in %v", n, found[n])
		}
	}
	for _, p := range []string{"office/20250301.key", "office/20250303.key"} {
		fi, err := os.Stat(filepath.Join(cfg.KeysDir, p))
		if err != nil || fi.Mode().Perm() != 0o600 || fi.Size() != keySize {
			t.Errorf("key file %s: %v %v", p, fi, err)
		}
	}

	// Destroy the keys of days wholly before day 3; day 1 becomes scrubbed.
	l = openLog(t, cfg)
	n, err := l.DestroyKeysBefore("office", day1.Add(48*time.Hour))
	if err != nil || n != 1 {
		t.Fatalf("DestroyKeysBefore = %d, %v; want 1", n, err)
	}
	for _, seq := range oldSeqs[:3] {
		ev, err := l.Get(seq)
		if err != nil || !ev.Scrubbed || !ev.Personal.IsZero() || ev.Member == "" || ev.Lock != "front-door" {
			t.Errorf("old event %d after destroy: %+v %v; want scrubbed with the rest intact", seq, ev, err)
		}
	}
	for _, seq := range newSeqs[:3] {
		ev, err := l.Get(seq)
		if err != nil || ev.Scrubbed || ev.Personal.IsZero() {
			t.Errorf("new event %d after destroy: %+v %v; want its personal fields", seq, ev, err)
		}
	}
	if st := l.Stats(); st.DecryptFailures != 0 {
		t.Errorf("DecryptFailures = %d", st.DecryptFailures)
	}
	l.Close()
	found = scanFiles(t, root, needles)
	for _, n := range needles {
		if len(found[n]) > 0 {
			t.Errorf("after destroy: %q in plaintext in %v", n, found[n])
		}
	}
}

func TestDestroyKeysBefore(t *testing.T) {
	cfg := testConfig(t.TempDir())
	day0 := time.Date(2025, 3, 1, 23, 30, 0, 0, time.UTC)
	clock := newClock(day0)
	cfg.Now = clock.Now
	l := openLog(t, cfg)
	for d := range 4 { // keys for 1, 2, 3, 4 March
		for _, dom := range []string{"office", "garage/../x"} {
			ev := decisionEvent(d)
			ev.Domain = dom
			ev.Personal = Personal{Name: "n"}
			mustAppend(t, l, ev)
		}
		clock.Add(24 * time.Hour)
	}
	// now: 5 March 23:30. 2 March 12:00 deletes only 1 March (2 March is
	// not wholly before it).
	tests := []struct {
		name   string
		domain string
		cutoff time.Time
		want   int
	}{
		{"mid day", "office", time.Date(2025, 3, 2, 12, 0, 0, 0, time.UTC), 1},
		{"again", "office", time.Date(2025, 3, 2, 12, 0, 0, 0, time.UTC), 0},
		{"day boundary", "office", time.Date(2025, 3, 3, 0, 0, 0, 0, time.UTC), 1},
		{"unknown domain", "nowhere", time.Date(2025, 3, 9, 0, 0, 0, 0, time.UTC), 0},
		{"odd domain name", "garage/../x", time.Date(2025, 3, 3, 0, 0, 0, 0, time.UTC), 2},
		// Clamped to the start of today (5 March): 3 and 4 March go.
		{"future cutoff", "office", time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC), 2},
	}
	for _, tc := range tests {
		n, err := l.DestroyKeysBefore(tc.domain, tc.cutoff)
		if err != nil || n != tc.want {
			t.Errorf("%s: DestroyKeysBefore(%q, %v) = %d, %v; want %d", tc.name, tc.domain, tc.cutoff, n, err, tc.want)
		}
	}
	// Today's key survives even a future cutoff and is usable.
	ev := decisionEvent(0)
	ev.Personal = Personal{Name: "today"}
	seq := mustAppend(t, l, ev)
	if got, err := l.Get(seq); err != nil || got.Personal.Name != "today" {
		t.Errorf("today's event = %+v %v", got.Personal, err)
	}
	if _, err := os.Stat(filepath.Join(cfg.KeysDir, "office", "20250305.key")); err != nil {
		t.Errorf("today's key: %v", err)
	}
	if _, err := os.Stat(filepath.Join(cfg.KeysDir, "garage")); err == nil {
		t.Error("a domain id escaped into the keys dir tree")
	}
}
