package devices

import "strings"

// The lock topic tree (protocol v1): TopicPrefix + {lock} + "/" + kind.
const TopicPrefix = "lockhub/v1/locks/"

// Topic kinds under a lock's subtree.
const (
	KindReq   = "req"   // lock -> hub: access and time requests (never retained)
	KindRes   = "res"   // hub -> lock: replies to req
	KindEvt   = "evt"   // lock -> hub: door events
	KindAck   = "ack"   // hub -> lock: acknowledgements of events
	KindState = "state" // lock -> all: retained state and last will
	KindCmd   = "cmd"   // hub -> lock: signed commands (never retained)
)

const sharePrefix = "$share/"

// LockTopic returns the topic of the given kind in lock's subtree.
func LockTopic(lock, kind string) string {
	return TopicPrefix + lock + "/" + kind
}

// ValidLockID reports whether s is a valid lock id: 1..64 characters from
// [A-Za-z0-9._-].
func ValidLockID(s string) bool { return validName(s) }

func validName(s string) bool {
	if len(s) == 0 || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '.', c == '_', c == '-':
		default:
			return false
		}
	}
	return true
}

func knownKind(k string) bool {
	switch k {
	case KindReq, KindRes, KindEvt, KindAck, KindState, KindCmd:
		return true
	}
	return false
}

// parseLockTopic splits a concrete topic of the lock tree into lock id and
// kind. It does not allocate.
func parseLockTopic(topic string) (lock, kind string, ok bool) {
	rest, found := strings.CutPrefix(topic, TopicPrefix)
	if !found {
		return "", "", false
	}
	lock, kind, found = strings.Cut(rest, "/")
	if !found || !validName(lock) || !knownKind(kind) {
		return "", "", false
	}
	return lock, kind, true
}

// ownKind reports whether topic is exactly TopicPrefix+lock+"/"+kind for
// one of kinds, without allocating.
func ownTopicKind(topic, lock string) (kind string, ok bool) {
	rest, found := strings.CutPrefix(topic, TopicPrefix)
	if !found {
		return "", false
	}
	rest, found = strings.CutPrefix(rest, lock)
	if !found {
		return "", false
	}
	kind, found = strings.CutPrefix(rest, "/")
	return kind, found
}

// lockMayPublish decides a lock's publish. It returns "" when allowed, else
// a bounded refusal reason.
func lockMayPublish(lock, topic string, retain bool, responseTopic string) string {
	kind, ok := ownTopicKind(topic, lock)
	if !ok {
		return "foreign_topic"
	}
	switch kind {
	case KindReq, KindEvt:
		if retain {
			return "retained"
		}
		want := KindRes
		if kind == KindEvt {
			want = KindAck
		}
		if responseTopic != "" {
			if rk, ok := ownTopicKind(responseTopic, lock); !ok || rk != want {
				return "response_topic"
			}
		}
		return ""
	case KindState:
		if responseTopic != "" {
			return "response_topic"
		}
		return ""
	}
	return "foreign_topic"
}

// lockMayRead decides a lock's subscription filter or delivery topic: only
// its own res, ack and cmd topics, or a single-level or multi-level wildcard
// directly under its own subtree (deliveries are then checked per topic).
func lockMayRead(lock, filter string) bool {
	kind, ok := ownTopicKind(filter, lock)
	if !ok {
		return false
	}
	switch kind {
	case KindRes, KindAck, KindCmd, "+", "#":
		return true
	}
	return false
}

// userMayPublish decides an integration user's publish: the topic must be
// covered by one of its publish filters, and nobody but the hub may retain a
// message on a lock topic other than state.
func userMayPublish(u *UserConfig, topic string, retain bool) string {
	if retain {
		if _, kind, ok := parseLockTopic(topic); ok && kind != KindState {
			return "retained"
		}
	}
	for _, f := range u.Publish {
		if filterCovers(f, topic) {
			return ""
		}
	}
	return "foreign_topic"
}

// userMayRead decides a user's subscription filter (possibly shared) or
// delivery topic against its subscribe filters.
func userMayRead(u *UserConfig, filter string) bool {
	if strings.HasPrefix(filter, sharePrefix) {
		_, rest, ok := strings.Cut(filter[len(sharePrefix):], "/")
		if !ok {
			return false
		}
		filter = rest
	}
	for _, f := range u.Subscribe {
		if filterCovers(f, filter) {
			return true
		}
	}
	return false
}

func isShared(f string) bool { return strings.HasPrefix(f, sharePrefix) }

// filterCovers reports whether every topic matched by req (a topic or a
// filter) is matched by the filter allowed. For a concrete req this is MQTT
// topic matching. Topics starting with '$' are not matched by a leading
// wildcard. It does not allocate.
func filterCovers(allowed, req string) bool {
	if strings.HasPrefix(req, "$") && (strings.HasPrefix(allowed, "+") || strings.HasPrefix(allowed, "#")) {
		return false
	}
	for {
		a, aRest, aMore := strings.Cut(allowed, "/")
		if a == "#" {
			return true
		}
		r, rRest, rMore := strings.Cut(req, "/")
		switch {
		case r == "#":
			return false // only "#" covers "#"
		case a == "+":
			// covers any single level, including "+"
		case a != r:
			return false
		}
		switch {
		case !aMore && !rMore:
			return true
		case !rMore:
			return aRest == "#" // "x/#" also matches "x"
		case !aMore:
			return false
		}
		allowed, req = aRest, rRest
	}
}
