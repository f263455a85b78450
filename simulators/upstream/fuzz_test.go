package upstream

import "testing"

// FuzzDecodeBatch: any body is decoded or refused, never a panic; an
// accepted batch satisfies the invariants the ledger relies on.
func FuzzDecodeBatch(f *testing.F) {
	f.Add([]byte(body("h", "e", decision(1), door(2, "l", 0, 0), gap(5, 3, 4))))
	f.Fuzz(func(t *testing.T, data []byte) {
		b, err := DecodeBatch(data, 1000)
		if err != nil {
			return
		}
		if len(b.Events) == 0 || b.Count != len(b.Events) || b.FirstSeq != b.Events[0].Seq {
			t.Fatalf("accepted a batch breaking the envelope rules: %+v", b)
		}
		var prev uint64
		for _, e := range b.Events {
			if e.Seq <= prev || (e.Type == "door" && (e.BootEpoch == nil || e.LockSeq == nil)) ||
				(e.Type == "gap" && (e.GapFrom == 0 || e.GapTo < e.GapFrom || e.GapTo >= e.Seq)) ||
				(e.Scrubbed && e.HasPersonal()) {
				t.Fatalf("accepted a bad event: %+v", e)
			}
			prev = e.Seq
		}
		newLedger(true).add(b)
	})
}
