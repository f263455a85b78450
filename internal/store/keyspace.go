package store

import (
	"encoding/binary"
	"fmt"

	"github.com/lockhub/lockhub/policy"
)

// Badger key space. Every key starts with a one-letter prefix and a slash.
//
//	x/schema          schema version (uvarint record)
//	x/epoch           store epoch (string record)
//	x/clock           clock mark: newest decision time (time record)
//	d/<id>            domain
//	l/<id>            lock
//	a/<id>            access
//	m/<id>            member with its credential digests
//	g/<o><k><ref>     grant; o and k are the origin and kind bytes
//	s/<lock>          lock runtime state
//	k/<name>          sync cursor (string record)
//	y/<domain>        last successful Nexudus sync (time record)
//	r/m/<member>      admin revocation of a member (revoke.go)
//	r/c/<t><d><dom>   admin revocation of a credential: type byte, 32-byte digest, domain
//	j/c               journal commit marker (number of chunks)
//	j/d/<n>           journal chunk n (4 bytes, big endian)
const (
	keySchema = "x/schema"
	keyEpoch  = "x/epoch"
	keyClock  = "x/clock"

	pfxDomain    = "d/"
	pfxLock      = "l/"
	pfxAccess    = "a/"
	pfxMember    = "m/"
	pfxGrant     = "g/"
	pfxLockState = "s/"
	pfxCursor    = "k/"
	pfxLastSync  = "y/"

	pfxJournal      = "j/"
	keyJournalMark  = "j/c"
	pfxJournalChunk = "j/d/"
)

func grantKeyBytes(k policy.GrantKey) []byte {
	return appendGrantKey(make([]byte, 0, len(pfxGrant)+2+len(k.Reference)), k)
}

func appendGrantKey(b []byte, k policy.GrantKey) []byte {
	b = append(b, pfxGrant...)
	b = append(b, byte(k.Origin), byte(k.Kind))
	return append(b, k.Reference...)
}

func parseGrantKey(key []byte) (policy.GrantKey, error) {
	if len(key) < len(pfxGrant)+2 || string(key[:len(pfxGrant)]) != pfxGrant {
		return policy.GrantKey{}, fmt.Errorf("grant key too short")
	}
	o, k := key[len(pfxGrant)], key[len(pfxGrant)+1]
	if o == 0 || o > maxOrigin || k == 0 || k > maxKind {
		return policy.GrantKey{}, fmt.Errorf("grant key: bad origin %d or kind %d", o, k)
	}
	return policy.GrantKey{Origin: policy.Origin(o), Kind: policy.GrantKind(k), Reference: string(key[len(pfxGrant)+2:])}, nil
}

func journalChunkKey(n uint32) []byte {
	return binary.BigEndian.AppendUint32([]byte(pfxJournalChunk), n)
}
