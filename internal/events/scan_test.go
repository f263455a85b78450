package events

import "testing"

func TestScanIgnoresOutboxPointer(t *testing.T) {
	l := openLog(t, testConfig(t.TempDir()))
	for i := range 5 {
		mustAppend(t, l, decisionEvent(i))
	}
	if err := l.Ack(3); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name       string
		after      uint64
		max        int
		wantFirst  uint64
		wantLength int
	}{
		{"from start, below the acked pointer", 0, 10, 1, 5},
		{"bounded by max", 1, 2, 2, 2},
		{"past the end", 5, 10, 0, 0},
		{"max zero", 0, 0, 0, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			evs, err := l.Scan(tc.after, tc.max)
			if err != nil {
				t.Fatal(err)
			}
			if len(evs) != tc.wantLength {
				t.Fatalf("Scan(%d, %d) = %d events, want %d", tc.after, tc.max, len(evs), tc.wantLength)
			}
			if len(evs) > 0 && evs[0].Seq != tc.wantFirst {
				t.Errorf("Scan(%d, %d) first seq = %d, want %d", tc.after, tc.max, evs[0].Seq, tc.wantFirst)
			}
			for i := 1; i < len(evs); i++ {
				if evs[i].Seq != evs[i-1].Seq+1 {
					t.Errorf("Scan seqs not consecutive: %d after %d", evs[i].Seq, evs[i-1].Seq)
				}
			}
		})
	}
	if peek, _ := l.Peek(0, 10, 0); len(peek) != 2 {
		t.Errorf("Peek after Ack(3) = %d events, want 2 (Scan must not change the outbox)", len(peek))
	}
}
