package policy_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/lockhub/lockhub/policy"
)

func TestCanonicalCard(t *testing.T) {
	hex64 := strings.Repeat("AB", 32)
	tests := []struct {
		raw     string
		want    string
		wantErr error
	}{
		{raw: "04:a1:b2:c3", want: "04A1B2C3"},
		{raw: "4A1B2C3", want: "04A1B2C3"},
		{raw: "0x04A1B2C3", want: "04A1B2C3"},
		{raw: "0X04a1b2c3", want: "04A1B2C3"},
		{raw: "04-A1-B2-C3", want: "04A1B2C3"},
		{raw: "04 a1 b2 c3", want: "04A1B2C3"},
		{raw: "04:A1-b2 C3", want: "04A1B2C3"},
		{raw: "  04A1B2C3\n", want: "04A1B2C3"},
		{raw: "0004a1b2c3", want: "04A1B2C3"},
		{raw: "0x0004A1B2C3", want: "04A1B2C3"},
		{raw: "1", want: "01"},
		{raw: "abc", want: "0ABC"},
		{raw: "DEADBEEF", want: "DEADBEEF"},
		{raw: "0", want: "00"},
		{raw: "00:00:00", want: "00"},
		{raw: "0x0", want: "00"},
		{raw: "0x00", want: "00"},
		{raw: hex64, want: hex64},
		{raw: "0x" + hex64, want: hex64},
		{raw: strings.Repeat("0", 100) + "AB", want: "AB"},
		{raw: "0x" + strings.Repeat("0", 192), want: "00"},
		{raw: "", wantErr: policy.ErrEmptyCredential},
		{raw: "   ", wantErr: policy.ErrEmptyCredential},
		{raw: ":-:", wantErr: policy.ErrEmptyCredential},
		{raw: "0x", wantErr: policy.ErrBadCardID},
		{raw: "x", wantErr: policy.ErrBadCardID},
		{raw: "04:g1", wantErr: policy.ErrBadCardID},
		{raw: "04_A1", wantErr: policy.ErrBadCardID},
		{raw: "04\tA1", wantErr: policy.ErrBadCardID},
		{raw: "0x0x04", wantErr: policy.ErrBadCardID},
		{raw: "０４", wantErr: policy.ErrBadCardID},
		{raw: "04\x00", wantErr: policy.ErrBadCardID},
		{raw: "A" + hex64, wantErr: policy.ErrCredentialTooLong}, // 65 digits, 66 once even
		{raw: hex64 + "CD", wantErr: policy.ErrCredentialTooLong},
		{raw: strings.Repeat("0", 193), wantErr: policy.ErrCredentialTooLong},
		{raw: strings.Repeat("A", 10000), wantErr: policy.ErrCredentialTooLong},
	}
	for _, typ := range []policy.CredentialType{policy.CredCard, policy.CredFob} {
		for _, tc := range tests {
			got, err := policy.Canonical(typ, tc.raw)
			if tc.wantErr != nil {
				if !errors.Is(err, tc.wantErr) {
					t.Errorf("Canonical(%v, %q) = %q, %v, want error %v", typ, tc.raw, got, err, tc.wantErr)
				}
				continue
			}
			if err != nil || got != tc.want {
				t.Errorf("Canonical(%v, %q) = %q, %v, want %q", typ, tc.raw, got, err, tc.want)
			}
			if again, err := policy.Canonical(typ, got); err != nil || again != got {
				t.Errorf("Canonical(%v, %q) = %q, %v: canonical form is not a fixed point", typ, got, again, err)
			}
		}
	}
}

func TestCanonicalPIN(t *testing.T) {
	tests := []struct {
		raw string
		ok  bool
	}{
		{"1234", true}, {"0000", true}, {"0123", true}, {"000123456789", true}, {"12345", true},
		{"", false}, {"123", false}, {"1234567890123", false}, {"12a4", false}, {" 1234", false},
		{"1234 ", false}, {"12-34", false}, {"١٢٣٤", false}, {"+1234", false}, {"1234\n", false},
	}
	for _, tc := range tests {
		got, err := policy.Canonical(policy.CredPIN, tc.raw)
		switch {
		case tc.ok && (err != nil || got != tc.raw):
			t.Errorf("Canonical(pin, %q) = %q, %v, want it unchanged", tc.raw, got, err)
		case !tc.ok && !errors.Is(err, policy.ErrBadPIN):
			t.Errorf("Canonical(pin, %q) = %q, %v, want %v", tc.raw, got, err, policy.ErrBadPIN)
		}
		if err != nil && strings.Contains(err.Error(), tc.raw) && tc.raw != "" {
			t.Errorf("Canonical(pin, %q) error %q repeats the PIN", tc.raw, err)
		}
	}
}

func TestCanonicalPhone(t *testing.T) {
	tests := []struct {
		raw string
		ok  bool
	}{
		{strings.Repeat("k", 16), true},
		{strings.Repeat("k", 128), true},
		{"AbC-123_xyz.~!@#$%^&*()[]{}", true},
		{strings.Repeat("k", 15), false},
		{strings.Repeat("k", 129), false},
		{"phone key with spaces", false},
		{"phone-key-\x7f-0000000", false},
		{"phone-key-\t-0000000", false},
		{"phone-key-é-000000000", false},
		{"", false},
	}
	for _, tc := range tests {
		got, err := policy.Canonical(policy.CredPhone, tc.raw)
		switch {
		case tc.ok && (err != nil || got != tc.raw):
			t.Errorf("Canonical(phone, %q) = %q, %v, want it unchanged", tc.raw, got, err)
		case !tc.ok && !errors.Is(err, policy.ErrBadPhoneKey):
			t.Errorf("Canonical(phone, %q) = %q, %v, want %v", tc.raw, got, err, policy.ErrBadPhoneKey)
		}
	}
}

func TestCanonicalUnknownType(t *testing.T) {
	for _, typ := range []policy.CredentialType{policy.CredUnknown, policy.CredentialType(9)} {
		if got, err := policy.Canonical(typ, "1234"); err == nil {
			t.Errorf("Canonical(%v, \"1234\") = %q, nil, want an error", typ, got)
		}
	}
}

func TestCredentialErrorsDoNotLeak(t *testing.T) {
	for _, typ := range []policy.CredentialType{policy.CredCard, policy.CredPIN, policy.CredPhone} {
		const secret = "S3CRETVALUEZZ 9"
		if _, err := policy.Canonical(typ, secret); err == nil || strings.Contains(err.Error(), secret) {
			t.Errorf("Canonical(%v, secret) error = %v, want an error that does not repeat the value", typ, err)
		}
	}
}
