package packets

import (
	"bytes"
	"testing"
)

// Fork change 13: encoding a publish into a buffer with room makes no
// allocation (upstream copied the topic into a new slice each time).
func TestPublishEncodeAllocatesNothing(t *testing.T) {
	pk := Packet{
		FixedHeader: FixedHeader{Type: Publish, Qos: 1},
		TopicName:   "lockhub/v1/locks/front-door/res",
		PacketID:    7,
		Payload:     []byte(`{"id":"r1","result":"granted"}`),
	}
	for _, version := range []byte{4, 5} {
		pk.ProtocolVersion = version
		buf := bytes.NewBuffer(make([]byte, 0, 512))
		if err := pk.PublishEncode(buf); err != nil {
			t.Fatal(err)
		}
		want := append([]byte(nil), buf.Bytes()...)
		var round Packet
		round.ProtocolVersion = version
		fh := new(FixedHeader)
		if err := fh.Decode(want[0]); err != nil {
			t.Fatal(err)
		}
		round.FixedHeader = *fh
		if err := round.PublishDecode(want[2:]); err != nil || round.TopicName != pk.TopicName || round.PacketID != 7 || !bytes.Equal(round.Payload, pk.Payload) {
			t.Fatalf("v%d round trip: %+v, %v", version, round, err)
		}
		allocs := testing.AllocsPerRun(100, func() {
			buf.Reset()
			if err := pk.PublishEncode(buf); err != nil {
				t.Fatal(err)
			}
		})
		if allocs != 0 && !raceEnabled {
			t.Errorf("v%d: PublishEncode made %.1f allocations, want 0", version, allocs)
		}
		if !bytes.Equal(buf.Bytes(), want) {
			t.Errorf("v%d: encodings differ between runs", version)
		}
	}
}
