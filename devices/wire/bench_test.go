package wire

import "testing"

var benchRequest = []byte(`{"v":1,"id":"r-1042","type":"card","credential":"04:a1:b2:c3","at":1767225600000}`)

// BenchmarkDecodeRequest is the hub's hot path in: one access request.
func BenchmarkDecodeRequest(b *testing.B) {
	b.ReportAllocs()
	b.SetBytes(int64(len(benchRequest)))
	var r Request
	for b.Loop() {
		if err := DecodeRequest(benchRequest, &r); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkEncodeResponse is the hot path out: a granted reply appended to a
// reused buffer.
func BenchmarkEncodeResponse(b *testing.B) {
	b.ReportAllocs()
	buf := make([]byte, 0, 256)
	r := AccessResponse{ID: "r-1042", Result: ResultGranted, Reason: "allowed", UnlockMS: 5000, Time: testIat}
	for b.Loop() {
		buf = AppendResponse(buf[:0], &r)
	}
}

// BenchmarkRequestResponse is both together, as the unlock handler does.
func BenchmarkRequestResponse(b *testing.B) {
	b.ReportAllocs()
	buf := make([]byte, 0, 256)
	var r Request
	for b.Loop() {
		if err := DecodeRequest(benchRequest, &r); err != nil {
			b.Fatal(err)
		}
		buf = AppendResponse(buf[:0], &AccessResponse{ID: r.ID, Result: ResultGranted, Reason: "allowed", UnlockMS: 5000, Time: testIat})
	}
}

func BenchmarkDecodeDoorEvent(b *testing.B) {
	b.ReportAllocs()
	data := []byte(`{"v":1,"boot":305419896,"seq":1,"kind":"opened","at":1767225602500}`)
	var e DoorEvent
	for b.Loop() {
		if err := DecodeDoorEvent(data, &e); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSignCommand(b *testing.B) {
	b.ReportAllocs()
	key := testKey()
	c := exampleCommand()
	for b.Loop() {
		if err := SignCommand(key, testLock, &c); err != nil {
			b.Fatal(err)
		}
	}
}

// TestHotPathAllocs pins the allocation counts of the unlock path: decoding
// a request allocates only its id and credential strings; encoding the
// response into a reused buffer allocates nothing.
func TestHotPathAllocs(t *testing.T) {
	var r Request
	n := testing.AllocsPerRun(200, func() {
		if err := DecodeRequest(benchRequest, &r); err != nil {
			t.Fatal(err)
		}
	})
	if n > 2 {
		t.Errorf("DecodeRequest allocates %v times, want at most 2", n)
	}
	buf := make([]byte, 0, 256)
	resp := AccessResponse{ID: "r-1042", Result: ResultGranted, Reason: "allowed", UnlockMS: 5000, Time: testIat}
	n = testing.AllocsPerRun(200, func() { buf = AppendResponse(buf[:0], &resp) })
	if n != 0 {
		t.Errorf("AppendResponse allocates %v times, want 0", n)
	}
}
