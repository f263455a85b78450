package store

import (
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lockhub/lockhub/policy"
)

// TestNoRawCredentialsOnDisk applies members whose credentials the test knows
// in raw form, through both the direct and the journal path, and scans every
// byte of every file in the data directory for the raw values in several
// encodings. A positive control (a member name written as-is) proves the
// scan can see what the store writes.
func TestNoRawCredentialsOnDisk(t *testing.T) {
	type raw struct {
		t     policy.CredentialType
		value string
	}
	var raws []raw
	for i := range 50 {
		raws = append(raws,
			raw{policy.CredCard, fmt.Sprintf("04:%02X:B7:C1:9E:5D:%02X", i, 0x80+i)},
			raw{policy.CredFob, fmt.Sprintf("fa-ce-b0-0c-%02x-77", i)},
			raw{policy.CredPIN, fmt.Sprintf("8392%08d", 1740000+i)},
			raw{policy.CredPhone, fmt.Sprintf("PhoneKey-%03d-q8Zt4LmW9xVbN2", i)},
		)
	}
	const marker = "CONTROL-MARKER-7f3a9c"
	dir := t.TempDir()
	s := openAt(t, dir)
	apply(t, s, fixtureBatch(t))
	for round, direct := range []bool{true, false} {
		if direct {
			s.directLimit = 1 << 30
		} else {
			s.directLimit = -1
		}
		b := NewBatch()
		for i := 0; i < len(raws); i += 4 {
			var creds []policy.Credential
			for _, r := range raws[i : i+4] {
				creds = append(creds, digest(t, r.t, r.value))
			}
			b.PutMember(policy.Member{ID: fmt.Sprintf("secret-%d-%d", round, i), Domain: "hq", Name: marker,
				Status: policy.StatusActive, Origin: policy.OriginNexudusREST}, creds)
		}
		apply(t, s, b)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	var needles []string
	for _, r := range raws {
		c, err := policy.Canonical(r.t, r.value)
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range []string{r.value, c} {
			needles = append(needles, v, strings.ToUpper(v), strings.ToLower(v))
		}
	}
	files, found := 0, 0
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		files++
		if bytes.Contains(data, []byte(marker)) {
			found++
		}
		for _, n := range needles {
			if bytes.Contains(data, []byte(n)) {
				t.Errorf("%s contains a raw credential value", filepath.Base(path))
				break
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if files == 0 || found == 0 {
		t.Fatalf("scanned %d files, control marker found in %d: the scan does not see the store's data", files, found)
	}
	t.Logf("scanned %d files, control marker in %d", files, found)
}
