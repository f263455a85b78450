package wire

import (
	"errors"
	"strings"
	"testing"
)

func TestTopicRoundTrip(t *testing.T) {
	for k := KindReq; k < numKinds; k++ {
		topic := Topic("door-1", k)
		if want := "lockhub/v1/locks/door-1/" + k.String(); topic != want {
			t.Errorf("Topic(door-1, %v) = %q, want %q", k, topic, want)
		}
		lock, kind, err := ParseTopic(topic)
		if err != nil || lock != "door-1" || kind != k {
			t.Errorf("ParseTopic(%q) = %q, %v, %v", topic, lock, kind, err)
		}
	}
	if got := Filter(KindReq); got != "lockhub/v1/locks/+/req" {
		t.Errorf("Filter(req) = %q", got)
	}
	if got := LockFilter("a.b"); got != "lockhub/v1/locks/a.b/#" {
		t.Errorf("LockFilter = %q", got)
	}
}

func TestParseTopicBad(t *testing.T) {
	for _, topic := range []string{
		"",
		"lockhub/v1/locks/",
		"lockhub/v1/locks/door-1",
		"lockhub/v1/locks/door-1/",
		"lockhub/v1/locks//req",
		"lockhub/v1/locks/door-1/req/extra",
		"lockhub/v1/locks/door-1/REQ",
		"lockhub/v1/locks/door-1/unknown",
		"lockhub/v1/locks/+/req",
		"lockhub/v1/locks/#",
		"lockhub/v2/locks/door-1/req",
		"/lockhub/v1/locks/door-1/req",
		"lockhub/v1/locks/door 1/req",
		"lockhub/v1/locks/" + strings.Repeat("a", 65) + "/req",
		"$SYS/broker/uptime",
	} {
		lock, kind, err := ParseTopic(topic)
		if !errors.Is(err, ErrBadTopic) {
			t.Errorf("ParseTopic(%q) = %q, %v, %v; want ErrBadTopic", topic, lock, kind, err)
		}
	}
}

func TestValidLockID(t *testing.T) {
	tests := []struct {
		id   string
		want bool
	}{
		{"door-1", true},
		{"A.b_C-9", true},
		{strings.Repeat("x", 64), true},
		{"", false},
		{strings.Repeat("x", 65), false},
		{"a/b", false},
		{"a+b", false},
		{"a#", false},
		{"a b", false},
		{"é", false},
		{"a\x00", false},
	}
	for _, tc := range tests {
		if got := ValidLockID(tc.id); got != tc.want {
			t.Errorf("ValidLockID(%q) = %v, want %v", tc.id, got, tc.want)
		}
	}
}

func TestParseKind(t *testing.T) {
	if _, err := ParseKind("unknown"); err == nil {
		t.Error(`ParseKind("unknown") succeeded`)
	}
	if k, err := ParseKind("state"); err != nil || k != KindState {
		t.Errorf(`ParseKind("state") = %v, %v`, k, err)
	}
}

func TestParseTopicNoAlloc(t *testing.T) {
	topic := Topic("door-1", KindEvt)
	n := testing.AllocsPerRun(100, func() {
		if _, _, err := ParseTopic(topic); err != nil {
			t.Fatal(err)
		}
	})
	if n != 0 {
		t.Errorf("ParseTopic allocates %v times, want 0", n)
	}
}
