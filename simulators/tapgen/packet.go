package tapgen

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// MQTT 3.1.1 packet types (the high nibble of the first byte).
const (
	typeConnect    = 1
	typeConnack    = 2
	typePublish    = 3
	typeSubscribe  = 8
	typeSuback     = 9
	typePingresp   = 13
	typeDisconnect = 14
)

// maxPacket bounds a packet the generator accepts from a broker: replies
// are a few hundred bytes; anything near this is a broken stream.
const maxPacket = 64 << 10

// Errors of the packet reader.
var (
	errBadLength = errors.New("mqtt: malformed remaining length")
	errTooLarge  = fmt.Errorf("mqtt: packet larger than %d bytes", maxPacket)
	errShort     = errors.New("mqtt: packet shorter than its fields")
	errBadQoS    = errors.New("mqtt: publish with QoS 3")
)

// appendRemLen appends n as MQTT's variable-length integer.
func appendRemLen(dst []byte, n int) []byte {
	for {
		b := byte(n & 0x7f)
		n >>= 7
		if n > 0 {
			b |= 0x80
		}
		dst = append(dst, b)
		if n == 0 {
			return dst
		}
	}
}

func appendStr(dst []byte, s string) []byte {
	dst = binary.BigEndian.AppendUint16(dst, uint16(len(s)))
	return append(dst, s...)
}

// appendConnect appends an MQTT 3.1.1 CONNECT with a clean session, the
// username and password, and no will.
func appendConnect(dst []byte, clientID, user, pass string, keepAlive uint16) []byte {
	n := 10 + 2 + len(clientID) + 2 + len(user) + 2 + len(pass)
	dst = append(dst, typeConnect<<4)
	dst = appendRemLen(dst, n)
	dst = appendStr(dst, "MQTT")
	dst = append(dst, 4, 0xC2) // level 4; username, password, clean session
	dst = binary.BigEndian.AppendUint16(dst, keepAlive)
	dst = appendStr(dst, clientID)
	dst = appendStr(dst, user)
	return appendStr(dst, pass)
}

// appendSubscribe appends a SUBSCRIBE of one filter.
func appendSubscribe(dst []byte, id uint16, filter string, qos byte) []byte {
	dst = append(dst, typeSubscribe<<4|0x2)
	dst = appendRemLen(dst, 2+2+len(filter)+1)
	dst = binary.BigEndian.AppendUint16(dst, id)
	dst = appendStr(dst, filter)
	return append(dst, qos)
}

// appendPublish appends a QoS 0 PUBLISH.
func appendPublish(dst []byte, topic string, payload []byte) []byte {
	dst = append(dst, typePublish<<4)
	dst = appendRemLen(dst, 2+len(topic)+len(payload))
	dst = appendStr(dst, topic)
	return append(dst, payload...)
}

var pingreq = []byte{0xC0, 0}
var disconnect = []byte{typeDisconnect << 4, 0}

// nextPacket splits the first whole packet off b: its first byte, its body
// and the bytes it takes. n is 0 when b holds only part of a packet; err
// means the stream is broken (a length over 4 bytes or over maxPacket).
func nextPacket(b []byte) (first byte, body []byte, n int, err error) {
	if len(b) < 2 {
		return 0, nil, 0, nil
	}
	rem, mul := 0, 1
	i := 1
	for {
		if i > 4 {
			return 0, nil, 0, errBadLength
		}
		if i >= len(b) {
			return 0, nil, 0, nil
		}
		c := b[i]
		rem += int(c&0x7f) * mul
		mul <<= 7
		i++
		if c&0x80 == 0 {
			break
		}
	}
	if rem > maxPacket {
		return 0, nil, 0, errTooLarge
	}
	if len(b) < i+rem {
		return 0, nil, 0, nil
	}
	return b[0], b[i : i+rem], i + rem, nil
}

// parsePublish returns a PUBLISH's topic and payload (first is the packet's
// first byte: its QoS bits say whether a packet id follows the topic).
func parsePublish(first byte, body []byte) (topic, payload []byte, err error) {
	qos := first >> 1 & 3
	if qos == 3 {
		return nil, nil, errBadQoS
	}
	if len(body) < 2 {
		return nil, nil, errShort
	}
	tl := int(binary.BigEndian.Uint16(body))
	end := 2 + tl
	if qos > 0 {
		end += 2
	}
	if len(body) < end {
		return nil, nil, errShort
	}
	return body[2 : 2+tl], body[end:], nil
}
