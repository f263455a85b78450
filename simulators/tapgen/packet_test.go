package tapgen

import (
	"bytes"
	"errors"
	"testing"
)

func TestRemLenRoundTrip(t *testing.T) {
	for _, n := range []int{0, 1, 127, 128, 16383, 16384, maxPacket} {
		b := append([]byte{typePublish << 4}, appendRemLen(nil, n)...)
		b = append(b, make([]byte, n)...)
		first, body, used, err := nextPacket(b)
		if err != nil || used != len(b) || len(body) != n || first != typePublish<<4 {
			t.Fatalf("n=%d: first %x, body %d, used %d of %d, err %v", n, first, len(body), used, len(b), err)
		}
	}
}

func TestPublishRoundTrip(t *testing.T) {
	pkt := appendPublish(nil, "lockhub/v1/locks/lock-1/res", []byte(`{"v":1}`))
	pkt = append(pkt, pingreq...) // a second packet behind it
	first, body, n, err := nextPacket(pkt)
	if err != nil || n != len(pkt)-2 {
		t.Fatalf("nextPacket: n %d of %d, err %v", n, len(pkt), err)
	}
	topic, payload, err := parsePublish(first, body)
	if err != nil || string(topic) != "lockhub/v1/locks/lock-1/res" || string(payload) != `{"v":1}` {
		t.Fatalf("parsePublish = %q, %q, %v", topic, payload, err)
	}
	// QoS 1: a packet id sits between the topic and the payload.
	q1 := []byte{typePublish<<4 | 2, 0, 0, 1, 'a', 0, 7, 'x'}
	q1[1] = byte(len(q1) - 2)
	first, body, _, _ = nextPacket(q1)
	if topic, payload, err := parsePublish(first, body); err != nil || string(topic) != "a" || string(payload) != "x" {
		t.Fatalf("QoS 1 publish = %q, %q, %v", topic, payload, err)
	}
}

// TestNextPacketBadInput: partial packets wait for more bytes; a length of
// five bytes, one over the limit, and publishes shorter than their fields
// are errors.
func TestNextPacketBadInput(t *testing.T) {
	whole := appendPublish(nil, "t", []byte("payload"))
	for i := range len(whole) {
		if _, _, n, err := nextPacket(whole[:i]); n != 0 || err != nil {
			t.Fatalf("prefix of %d bytes: n %d, err %v", i, n, err)
		}
	}
	for _, c := range []struct {
		name string
		b    []byte
		want error
	}{
		{"five length bytes", []byte{0x30, 0x80, 0x80, 0x80, 0x80, 0x01}, errBadLength},
		{"over the limit", append([]byte{0x30}, appendRemLen(nil, maxPacket+1)...), errTooLarge},
		{"largest length", []byte{0x30, 0xff, 0xff, 0xff, 0x7f}, errTooLarge},
	} {
		if _, _, _, err := nextPacket(c.b); !errors.Is(err, c.want) {
			t.Errorf("%s: err %v, want %v", c.name, err, c.want)
		}
	}
	for _, c := range []struct {
		name  string
		first byte
		body  []byte
		want  error
	}{
		{"empty", 0x30, nil, errShort},
		{"topic longer than body", 0x30, []byte{0, 9, 'a'}, errShort},
		{"QoS 1 without packet id", 0x32, []byte{0, 1, 'a', 0}, errShort},
		{"QoS 3", 0x36, []byte{0, 1, 'a', 0, 1}, errBadQoS},
	} {
		if _, _, err := parsePublish(c.first, c.body); !errors.Is(err, c.want) {
			t.Errorf("%s: err %v, want %v", c.name, err, c.want)
		}
	}
}

func TestConnectAndSubscribeBytes(t *testing.T) {
	got := appendConnect(nil, "lock-1", "lock-1", "pw", 60)
	want := []byte{0x10, 30, 0, 4, 'M', 'Q', 'T', 'T', 4, 0xC2, 0, 60, 0, 6, 'l', 'o', 'c', 'k', '-', '1', 0, 6, 'l', 'o', 'c', 'k', '-', '1', 0, 2, 'p', 'w'}
	if !bytes.Equal(got, want) {
		t.Fatalf("CONNECT\n got %v\nwant %v", got, want)
	}
	got = appendSubscribe(nil, 1, "a/b", 0)
	want = []byte{0x82, 8, 0, 1, 0, 3, 'a', '/', 'b', 0}
	if !bytes.Equal(got, want) {
		t.Fatalf("SUBSCRIBE\n got %v\nwant %v", got, want)
	}
}

func TestTapID(t *testing.T) {
	for _, i := range []uint64{0, 1, 35, 36, 1 << 40} {
		if got, ok := tapIndex(string(appendTapID(nil, i))); !ok || got != i {
			t.Errorf("tapIndex(appendTapID(%d)) = %d, %v", i, got, ok)
		}
	}
	for _, id := range []string{"", "t", "x1", "t-1", "t!", "tzzzzzzzzzzzzzzzzzzzz"} {
		if _, ok := tapIndex(id); ok {
			t.Errorf("tapIndex(%q) accepted", id)
		}
	}
}

// FuzzNextPacket: whatever a broker sends, the reader neither panics nor
// claims more bytes than it has, and a PUBLISH's fields lie inside it.
func FuzzNextPacket(f *testing.F) {
	f.Add(appendPublish(nil, "lockhub/v1/locks/lock-1/res", []byte(`{"v":1,"id":"t1","result":"granted"}`)))
	f.Add([]byte{0x20, 2, 0, 0})
	f.Add([]byte{0x90, 3, 0, 1, 0})
	f.Add([]byte{0x30, 0x80, 0x80, 0x80, 0x80, 0x01})
	f.Add([]byte{0x32, 3, 0, 1, 'a'})
	f.Fuzz(func(t *testing.T, b []byte) {
		for len(b) > 0 {
			first, body, n, err := nextPacket(b)
			if err != nil || n == 0 {
				return
			}
			if n > len(b) || len(body) > n {
				t.Fatalf("n %d, body %d of %d bytes", n, len(body), len(b))
			}
			if first>>4 == typePublish {
				topic, payload, err := parsePublish(first, body)
				if err == nil && len(topic)+len(payload)+2 > len(body) {
					t.Fatalf("topic %d + payload %d over body %d", len(topic), len(payload), len(body))
				}
			}
			b = b[n:]
		}
	})
}

// TestPingsDue: each round of pings covers every lock exactly once, in
// slices that differ by at most one lock (no burst), for fleets smaller and
// larger than the round.
func TestPingsDue(t *testing.T) {
	for _, c := range []struct{ n, ticks int }{{1, 3000}, {7, 3}, {1000, 3000}, {5000, 3000}, {10000, 100}} {
		seen := make([]int, c.n)
		lo, hi := c.n, 0
		for tick := 5; tick < 5+c.ticks; tick++ { // one round, from any tick
			from, to := pingsDue(c.n, tick, c.ticks)
			for i := from; i < to; i++ {
				seen[i]++
			}
			lo, hi = min(lo, to-from), max(hi, to-from)
		}
		for i, k := range seen {
			if k != 1 {
				t.Fatalf("n=%d ticks=%d: lock %d pinged %d times in a round", c.n, c.ticks, i, k)
			}
		}
		if hi-lo > 1 {
			t.Fatalf("n=%d ticks=%d: slices of %d to %d locks", c.n, c.ticks, lo, hi)
		}
	}
}
