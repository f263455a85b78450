package devices

import "github.com/mochi-mqtt/server/v2/packets"

// RetainForTest publishes a retained QoS 1 message from the hub's inline
// client, past the ACL. lockhub itself never retains a message on a lock's
// res, ack or cmd topic (doc.go); tests use it to put the broker's
// retained-message delivery under a lock's SUBSCRIBE, its worst case.
func (b *Broker) RetainForTest(topic string, payload []byte) error {
	return b.srv.InjectPacket(b.hub, packets.Packet{
		FixedHeader: packets.FixedHeader{Type: packets.Publish, Qos: 1, Retain: true},
		TopicName:   topic,
		Payload:     payload,
		PacketID:    1, // required for QoS 1 validation; the inline path never uses it
	})
}
