package wire

import (
	"errors"
	"fmt"
	"strings"
)

// TopicPrefix is the root of every lock topic of protocol v1.
const TopicPrefix = "lockhub/v1/locks/"

// MaxLockIDLen is the longest lock id.
const MaxLockIDLen = 64

// Kind is the last level of a lock topic: what flows on it.
type Kind uint8

// Topic kinds. The zero value is invalid.
const (
	KindUnknown Kind = iota
	KindReq          // lock -> hub: access and time requests (never retained)
	KindRes          // hub -> lock: replies to requests
	KindEvt          // lock -> hub: door events
	KindAck          // hub -> lock: door event acknowledgements
	KindState        // lock -> all: retained lock state and last will
	KindCmd          // hub -> lock: signed commands (never retained)
	numKinds
)

var kindNames = [numKinds]string{"unknown", "req", "res", "evt", "ack", "state", "cmd"}

func (k Kind) String() string {
	if k < numKinds {
		return kindNames[k]
	}
	return fmt.Sprintf("kind(%d)", uint8(k))
}

// ParseKind is the inverse of Kind.String.
func ParseKind(s string) (Kind, error) {
	for i := KindReq; i < numKinds; i++ {
		if kindNames[i] == s {
			return i, nil
		}
	}
	return KindUnknown, fmt.Errorf("%w: unknown kind", ErrBadTopic)
}

// ErrBadTopic is returned (wrapped) by ParseTopic for a topic outside the
// lock topic tree.
var ErrBadTopic = errors.New("not a lock topic")

// ValidLockID reports whether s can be a lock id: 1 to 64 characters from
// [A-Za-z0-9._-]. A lock id is a single topic level and the lock's MQTT
// username.
func ValidLockID(s string) bool {
	if len(s) == 0 || len(s) > MaxLockIDLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case c == '.' || c == '_' || c == '-':
		default:
			return false
		}
	}
	return true
}

// Topic returns the topic of the given kind for a lock:
// "lockhub/v1/locks/{lock}/{kind}". It does not validate the lock id; see
// ValidLockID.
func Topic(lock string, kind Kind) string {
	return string(AppendTopic(make([]byte, 0, len(TopicPrefix)+len(lock)+6), lock, kind))
}

// AppendTopic appends the topic of the given kind for a lock to dst.
func AppendTopic(dst []byte, lock string, kind Kind) []byte {
	dst = append(dst, TopicPrefix...)
	dst = append(dst, lock...)
	dst = append(dst, '/')
	return append(dst, kind.String()...)
}

// Filter returns the subscription filter matching the given kind for every
// lock: "lockhub/v1/locks/+/{kind}".
func Filter(kind Kind) string { return TopicPrefix + "+/" + kind.String() }

// LockFilter returns the filter matching every topic of one lock:
// "lockhub/v1/locks/{lock}/#".
func LockFilter(lock string) string { return TopicPrefix + lock + "/#" }

// ParseTopic splits a lock topic into its lock id and kind. The returned lock
// id is a substring of topic (no allocation). Errors wrap ErrBadTopic.
func ParseTopic(topic string) (lock string, kind Kind, err error) {
	rest, ok := strings.CutPrefix(topic, TopicPrefix)
	if !ok {
		return "", KindUnknown, fmt.Errorf("%w: prefix is not %q", ErrBadTopic, TopicPrefix)
	}
	i := strings.IndexByte(rest, '/')
	if i < 0 {
		return "", KindUnknown, fmt.Errorf("%w: no kind level", ErrBadTopic)
	}
	lock, ks := rest[:i], rest[i+1:]
	if !ValidLockID(lock) {
		return "", KindUnknown, fmt.Errorf("%w: invalid lock id", ErrBadTopic)
	}
	kind, err = ParseKind(ks)
	if err != nil {
		return "", KindUnknown, err
	}
	return lock, kind, nil
}
