package events

import (
	"context"
	"sync"
	"testing"
	"time"
)

func benchmarkAppend(b *testing.B, d Durability, stage bool) {
	for _, par := range []int{1, 8, 64} {
		b.Run("appenders="+itoa(par)+"xGOMAXPROCS", func(b *testing.B) { benchmarkAppendPar(b, d, stage, par) })
	}
}

func benchmarkAppendPar(b *testing.B, d Durability, stage bool, par int) {
	cfg := testConfig(b.TempDir())
	cfg.Durability = d
	cfg.StageDir = ""
	if stage {
		// Where a hub keeps it: a memory filesystem; else the data's disk
		// (the same semantics, the disk's speed).
		if cfg.StageDir = DefaultStageDir(); cfg.StageDir == "" {
			cfg.StageDir = b.TempDir()
			b.Log("no memory filesystem at /dev/shm: the stage is on the temporary directory's filesystem")
		}
	}
	l := openLog(b, cfg)
	b.SetParallelism(par) // concurrent appenders, like concurrent unlock requests
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		ev := decisionEvent(1)
		ev.Personal = Personal{Name: "Member Name", Email: "member@example.org", CredentialRef: "…a1b2"}
		ctx := context.Background()
		for pb.Next() {
			e := *ev
			if _, err := l.Append(ctx, &e); err != nil {
				b.Error(err)
				return
			}
		}
	})
	// Until the mover has written every staged append to Badger: the rate
	// is what the log sustains, not what the ring absorbs.
	if !l.settle() {
		b.Fatal("stage not applied")
	}
	el := time.Since(start)
	b.StopTimer()
	st := l.Stats()
	b.ReportMetric(float64(b.N)/el.Seconds(), "appends/s")
	b.ReportMetric(float64(b.N)/float64(max(st.Writes, 1)), "appends/write")
}

// BenchmarkAppendProcess: default durability, as a hub runs it: in the
// stage (on /dev/shm) before the reply, in Badger's WAL right after, fsync
// within FlushInterval. Timed until the stage is applied.
func BenchmarkAppendProcess(b *testing.B) { benchmarkAppend(b, DurabilityProcess, true) }

// BenchmarkAppendProcessDirect: process durability without a stage: in
// Badger's WAL before the reply.
func BenchmarkAppendProcessDirect(b *testing.B) { benchmarkAppend(b, DurabilityProcess, false) }

// BenchmarkAppendDisk: the reply waits for an fsync shared by group commit.
func BenchmarkAppendDisk(b *testing.B) { benchmarkAppend(b, DurabilityDisk, false) }

// BenchmarkPeekAck measures the outbox drain rate (batches of 1000, as an
// uploader would read them) over b.N stored events.
func BenchmarkPeekAck(b *testing.B) {
	cfg := testConfig(b.TempDir())
	l := openLog(b, cfg)
	var wg sync.WaitGroup
	const fillers = 16
	for w := range fillers {
		wg.Go(func() {
			for i := w; i < b.N; i += fillers {
				ev := decisionEvent(i)
				ev.Personal = Personal{Name: "Member " + itoa(i), Email: "m@example.org"}
				if _, err := l.Append(context.Background(), ev); err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	var after uint64
	drained := 0
	for drained < b.N {
		evs, err := l.Peek(after, 1000, 1<<20)
		if err != nil {
			b.Fatal(err)
		}
		if len(evs) == 0 {
			b.Fatalf("outbox empty after %d of %d", drained, b.N)
		}
		after = evs[len(evs)-1].Seq
		if err := l.Ack(after); err != nil {
			b.Fatal(err)
		}
		drained += len(evs)
	}
	b.ReportMetric(float64(drained)/time.Since(start).Seconds(), "events/s")
}
