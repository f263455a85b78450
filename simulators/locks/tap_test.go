package locks_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lockhub/lockhub/devices/wire"
	"github.com/lockhub/lockhub/simulators/locks"
)

func TestTapGetsReply(t *testing.T) {
	for _, p := range protocols {
		t.Run(p.String(), func(t *testing.T) {
			hub, url := startHub(t)
			l := startLock(t, lockConfig(url, lockName(t, "a"), p))
			tests := []struct {
				typ        wire.RequestType
				credential string
				result     wire.Result
				reason     string
				unlockMS   uint32
			}{
				{wire.TypeCard, knownCard, wire.ResultGranted, "allowed", 5000},
				{wire.TypePIN, knownPIN, wire.ResultGranted, "allowed", 5000},
				{wire.TypeCard, "DEADBEEF", wire.ResultDenied, "unknown_credential", 0},
				{wire.TypePIN, "9999", wire.ResultDenied, "unknown_credential", 0},
			}
			for _, tt := range tests {
				r, lat, err := l.Tap(context.Background(), tt.typ, tt.credential)
				if err != nil {
					t.Fatalf("Tap(%s): %v", tt.typ, err)
				}
				if r.Result != tt.result || r.Reason != tt.reason || r.UnlockMS != tt.unlockMS || r.Local {
					t.Errorf("Tap(%s) = %+v, want %s/%s unlock %d", tt.typ, r, tt.result, tt.reason, tt.unlockMS)
				}
				if lat <= 0 || lat > waitFor {
					t.Errorf("latency = %v", lat)
				}
			}
			hub.mu.Lock()
			reqs := append([]wire.Request(nil), hub.requests...)
			hub.mu.Unlock()
			if len(reqs) != len(tests) {
				t.Fatalf("hub saw %d requests, want %d", len(reqs), len(tests))
			}
			for i, r := range reqs {
				// MQTT 5 correlates by CorrelationData and leaves the id out;
				// 3.1.1 must send it.
				if hasID := r.ID != ""; hasID != (p == locks.MQTT311) {
					t.Errorf("request %d id = %q on %s", i, r.ID, p)
				}
				if r.Type != tests[i].typ || r.Credential != tests[i].credential || r.At == 0 {
					t.Errorf("request %d = %+v", i, r)
				}
			}
			if st := l.Stats(); st.Requests != 4 || st.Replies != 4 || st.Timeouts != 0 {
				t.Errorf("stats = %+v", st)
			}
			if !l.State().UnlockedUntil.After(l.Now()) {
				t.Error("a granted reply did not unlock the door")
			}
		})
	}
}

func TestConcurrentTapsCorrelate(t *testing.T) {
	for _, p := range protocols {
		t.Run(p.String(), func(t *testing.T) {
			hub, url := startHub(t)
			hub.shuffle.Store(true) // replies arrive out of order
			l := startLock(t, lockConfig(url, lockName(t, "a"), p))
			const n = 40
			var wg sync.WaitGroup
			errs := make(chan error, n)
			for i := range n {
				wg.Go(func() {
					ms := 1000 + i // the hub grants it with unlock_ms = ms
					r, _, err := l.Tap(context.Background(), wire.TypePhone, echo(ms))
					switch {
					case err != nil:
						errs <- err
					case r.UnlockMS != uint32(ms):
						errs <- fmt.Errorf("tap %d got the reply for %d", ms, r.UnlockMS)
					}
				})
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Error(err)
			}
			if st := l.Stats(); st.Replies != n || st.UnmatchedReplies != 0 || st.DuplicateReplies != 0 {
				t.Errorf("stats = %+v", st)
			}
		})
	}
}

func TestDuplicateRepliesIgnored(t *testing.T) {
	for _, p := range protocols {
		t.Run(p.String(), func(t *testing.T) {
			hub, url := startHub(t)
			hub.dupReplies.Store(true)
			l := startLock(t, lockConfig(url, lockName(t, "a"), p))
			const n = 10
			for i := range n {
				r, _, err := l.Tap(context.Background(), wire.TypePhone, echo(2000+i))
				if err != nil || r.UnlockMS != uint32(2000+i) {
					t.Fatalf("tap %d = %+v, %v", i, r, err)
				}
			}
			eventually(t, "duplicates counted", func() bool { return l.Stats().DuplicateReplies == n })
			if st := l.Stats(); st.Replies != n || st.UnmatchedReplies != 0 {
				t.Errorf("stats = %+v", st)
			}
		})
	}
}

func TestTapTimeoutRetriesOnce(t *testing.T) {
	hub, url := startHub(t)
	cfg := lockConfig(url, lockName(t, "a"), locks.MQTT311)
	cfg.RequestTimeout = 50 * time.Millisecond
	cfg.RequestRetry = true
	l := startLock(t, cfg)
	hub.silent.Store(true)
	_, _, err := l.Tap(context.Background(), wire.TypeCard, knownCard)
	if !errors.Is(err, locks.ErrTimeout) {
		t.Fatalf("Tap with a silent hub: %v, want ErrTimeout", err)
	}
	eventually(t, "the resend at the hub", func() bool { return hub.requestCount.Load() == 2 })
	if st := l.Stats(); st.Timeouts != 1 || st.RequestRetries != 1 {
		t.Errorf("stats = %+v; want one timeout after one resend", st)
	}
	// Not a credential type.
	if _, _, err := l.Tap(context.Background(), wire.TypeTime, ""); !errors.Is(err, locks.ErrNotCredential) {
		t.Errorf("Tap(time) = %v", err)
	}
}

func TestLateReplyCounted(t *testing.T) {
	for _, p := range protocols {
		t.Run(p.String(), func(t *testing.T) {
			hub, url := startHub(t)
			cfg := lockConfig(url, lockName(t, "a"), p)
			cfg.RequestTimeout = 30 * time.Millisecond
			l := startLock(t, cfg)
			hub.delay.Store(int64(150 * time.Millisecond))
			if _, _, err := l.Tap(context.Background(), wire.TypeCard, knownCard); !errors.Is(err, locks.ErrTimeout) {
				t.Fatalf("Tap = %v, want ErrTimeout", err)
			}
			eventually(t, "late reply", func() bool { return l.Stats().LateReplies == 1 })
			if st := l.Stats(); st.Replies != 0 || st.UnmatchedReplies != 0 {
				t.Errorf("stats = %+v", st)
			}
		})
	}
}

func TestTapOffline(t *testing.T) {
	_, url := startHub(t)
	l := startLock(t, lockConfig(url, lockName(t, "a"), locks.MQTT311))
	if err := l.GoOffline(context.Background(), time.Hour, false); err != nil {
		t.Fatal(err)
	}
	if _, _, err := l.Tap(context.Background(), wire.TypeCard, knownCard); !errors.Is(err, locks.ErrOffline) {
		t.Errorf("Tap while offline = %v, want ErrOffline", err)
	}
}

func TestConnectRefusedWithWrongSecret(t *testing.T) {
	for _, p := range protocols {
		t.Run(p.String(), func(t *testing.T) {
			_, url := startHub(t)
			cfg := lockConfig(url, lockName(t, "a"), p)
			cfg.Secret = "not-the-secret-of-this-lock"
			l, err := locks.NewLock(cfg, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer l.Close()
			err = l.Connect(context.Background())
			if err == nil {
				t.Fatal("Connect with a wrong secret succeeded")
			}
			if l.Online() || strings.Contains(err.Error(), cfg.Secret) {
				t.Errorf("online=%v, error %q", l.Online(), err)
			}
			if st := l.Stats(); st.ConnectFailures != 1 || st.Connects != 0 {
				t.Errorf("stats = %+v", st)
			}
			l.Close()
			if err := l.Connect(context.Background()); !errors.Is(err, locks.ErrClosed) {
				t.Errorf("Connect after Close = %v, want ErrClosed", err)
			}
		})
	}
}
