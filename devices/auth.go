package devices

import (
	"crypto/sha256"
	"crypto/subtle"
	"crypto/tls"
	"fmt"
	"strings"

	mqtt "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/packets"
)

// authenticate identifies the client. A lock proves itself by username =
// lock id and password = its secret, or by a verified client certificate
// whose CN is the lock id; a configured user by name and password. It
// returns the session, or a refusal reason (and, when the identity was
// established, the session too, for the log).
func (b *Broker) authenticate(cl *mqtt.Client, pk packets.Packet) (*session, string) {
	username := string(pk.Connect.Username)
	if tc, ok := cl.Net.Conn.(*tls.Conn); ok {
		if certs := tc.ConnectionState().PeerCertificates; len(certs) > 0 {
			// The TLS layer verified the chain against the client CA.
			return b.authenticateCert(cl, username, certs[0].Subject.CommonName)
		}
	}
	if username == "" || len(pk.Connect.Password) == 0 {
		return nil, reasonNoCredentials
	}
	if u, ok := b.users[username]; ok {
		s := &session{cl: cl, kind: kindUser, name: username, user: u, remote: cl.Net.Remote}
		if !clientIDOK(cl.ID, username) {
			return s, reasonBadClientID
		}
		if b.userSecret == nil {
			return s, reasonUnknownUser
		}
		secret, ok := b.userSecret(username)
		if !ok || secret == "" {
			return s, reasonUnknownUser
		}
		if !secretEqual(pk.Connect.Password, secret) {
			return s, reasonBadSecret
		}
		return s, ""
	}
	if !ValidLockID(username) {
		return nil, reasonUnknownLock
	}
	s := &session{cl: cl, kind: kindLock, name: username, remote: cl.Net.Remote}
	if !clientIDOK(cl.ID, username) {
		return s, reasonBadClientID
	}
	secret, ok := b.lockSecret(username)
	if !ok || secret == "" {
		return s, reasonUnknownLock
	}
	if !secretEqual(pk.Connect.Password, secret) {
		return s, reasonBadSecret
	}
	return s, ""
}

// authenticateCert accepts a verified client certificate naming a known
// lock. A username, if sent, must be that lock id; a password is ignored.
func (b *Broker) authenticateCert(cl *mqtt.Client, username, cn string) (*session, string) {
	if !ValidLockID(cn) || (username != "" && username != cn) {
		return nil, reasonBadCertificate
	}
	s := &session{cl: cl, kind: kindLock, name: cn, remote: cl.Net.Remote}
	if !clientIDOK(cl.ID, cn) {
		return s, reasonBadClientID
	}
	if secret, ok := b.lockSecret(cn); !ok || secret == "" {
		return s, reasonUnknownLock
	}
	return s, ""
}

// clientIDOK: the client id is the identity's name or starts with name+"/".
// mochi's own inline client id is refused, as a client with that id would
// take over the broker's inline client.
func clientIDOK(id, name string) bool {
	if id == mqtt.InlineClientId {
		return false
	}
	rest, ok := strings.CutPrefix(id, name)
	return ok && (rest == "" || rest[0] == '/')
}

// secretEqual compares in constant time, whatever the lengths.
func secretEqual(password []byte, secret string) bool {
	a := sha256.Sum256(password)
	c := sha256.Sum256([]byte(secret))
	return subtle.ConstantTimeCompare(a[:], c[:]) == 1
}

// connackCodes maps a refusal reason to the CONNACK reason code for MQTT 5
// and the return code for 3.1.1 (3.1.1 has only 1..5).
func connackCodes(reason string) (v5 packets.Code, v3 byte) {
	switch reason {
	case reasonNoCredentials, reasonUnknownLock, reasonUnknownUser, reasonBadSecret:
		return packets.ErrBadUsernameOrPassword, 0x04
	case reasonBadClientID:
		return packets.ErrClientIdentifierNotValid, 0x02
	case reasonKeepaliveZero:
		return packets.Code{Code: packets.ErrImplementationSpecificError.Code, Reason: "keepalive 0 is not allowed"}, 0x05
	case scopeClientID, scopeRemote:
		return packets.ErrConnectionRateExceeded, 0x03
	default: // bad certificate, bad will
		return packets.ErrNotAuthorized, 0x05
	}
}

// refuse answers CONNACK with the reason's code, logs and counts the
// refusal, and returns the error that makes mochi close the connection.
func (b *Broker) refuse(cl *mqtt.Client, reason, name string) error {
	b.metrics.authFailures.WithLabelValues(reason).Inc()
	b.log.Warn("mqtt connect refused", "client_id", cl.ID, "username", name,
		"remote", cl.Net.Remote, "reason", reason)
	b.writeConnack(cl, reason)
	return fmt.Errorf("%w: %s", errRefused, reason)
}

func (b *Broker) refuseThrottled(cl *mqtt.Client, scope string) error {
	b.metrics.throttled.WithLabelValues(scope).Inc()
	b.log.Warn("mqtt connect throttled", "client_id", cl.ID, "remote", cl.Net.Remote, "scope", scope)
	b.writeConnack(cl, scope)
	return fmt.Errorf("%w: throttled by %s", errRefused, scope)
}

func (b *Broker) writeConnack(cl *mqtt.Client, reason string) {
	v5, v3 := connackCodes(reason)
	ack := packets.Packet{FixedHeader: packets.FixedHeader{Type: packets.Connack}}
	if cl.Properties.ProtocolVersion == 5 {
		ack.ReasonCode = v5.Code
		ack.Properties.ReasonString = v5.Reason
	} else {
		ack.ReasonCode = v3
	}
	_ = cl.WritePacket(ack) // the connection is closed next either way
}
