package locks_test

import (
	"context"
	"testing"
	"time"

	"github.com/lockhub/lockhub/devices/wire"
	"github.com/lockhub/lockhub/simulators/locks"
)

func freshUnlock(tb testing.TB, id string) []byte {
	tb.Helper()
	now := time.Now().UnixMilli()
	return signed(tb, keyOf(id), id, wire.Command{Cmd: wire.CmdUnlock, IssuedAt: now, Expires: now + 30_000, UnlockMS: 1000})
}

func TestTimeFlowFixesSkewedClock(t *testing.T) {
	for _, p := range protocols {
		t.Run(p.String(), func(t *testing.T) {
			hub, url := startHub(t)
			id := lockName(t, "a")
			cfg := lockConfig(url, id, p)
			cfg.ClockSkew = -10 * time.Minute // behind, and so untrusted
			l := startLock(t, cfg)

			// On the skewed clock a fresh command is not yet valid.
			if err := hub.broker.SendCommand(id, freshUnlock(t, id)); err != nil {
				t.Fatal(err)
			}
			eventually(t, "refusal", func() bool { return l.Refusals()[locks.RefusedNotYetValid] == 1 })

			corr, err := l.SyncTime(context.Background())
			if err != nil {
				t.Fatalf("SyncTime: %v", err)
			}
			if d := corr - 10*time.Minute; d < -time.Second || d > time.Second {
				t.Errorf("correction = %v, want about 10m", corr)
			}
			st := l.State()
			if off := st.ClockOffset; off < -time.Second || off > time.Second {
				t.Errorf("clock offset after sync = %v", off)
			}
			if !st.ClockTrusted || st.TimeSyncs != 1 || st.LastCorrection != corr {
				t.Errorf("state after sync = %+v", st)
			}
			if err := hub.broker.SendCommand(id, freshUnlock(t, id)); err != nil {
				t.Fatal(err)
			}
			eventually(t, "accepted", func() bool { return l.Accepted()[wire.CmdUnlock] == 1 })
			if n := l.Accepted()[wire.CmdTime]; n != 1 {
				t.Errorf("time commands accepted = %d, want 1", n)
			}
		})
	}
}

func TestAutoTimeSyncAfterRefusedCommand(t *testing.T) {
	hub, url := startHub(t)
	id := lockName(t, "a")
	cfg := lockConfig(url, id, locks.MQTT311)
	cfg.ClockSkew = 20 * time.Minute // ahead: fresh commands look expired
	cfg.AutoTimeSync = true
	l := startLock(t, cfg)
	if err := hub.broker.SendCommand(id, freshUnlock(t, id)); err != nil {
		t.Fatal(err)
	}
	eventually(t, "expired refusal", func() bool { return l.Refusals()[locks.RefusedExpired] == 1 })
	eventually(t, "clock fixed", func() bool {
		off := l.ClockOffset()
		return off > -time.Second && off < time.Second
	})
	if st := l.Stats(); st.TimeRequests != 1 {
		t.Errorf("time requests = %d, want 1", st.TimeRequests)
	}
}

func TestReplayedTimeAnswerCannotMoveClock(t *testing.T) {
	hub, url := startHub(t)
	id := lockName(t, "a")
	l := startLock(t, lockConfig(url, id, locks.MQTT5))
	// A time command that answers no request of this lock must pass the
	// clock checks: one from an hour ago is refused.
	old := time.Now().Add(-time.Hour).UnixMilli()
	c := wire.TimeAnswer(wire.NewNonce(), old)
	if err := hub.broker.SendCommand(id, signed(t, keyOf(id), id, c)); err != nil {
		t.Fatal(err)
	}
	eventually(t, "refusal", func() bool { return l.Refusals()[locks.RefusedExpired] == 1 })
	if off := l.ClockOffset(); off != 0 {
		t.Errorf("clock moved by %v", off)
	}
}
