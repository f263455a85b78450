package locks_test

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/lockhub/lockhub/devices/wire"
	"github.com/lockhub/lockhub/simulators/locks"
)

// sumRefusals adds up every refusal reason.
func sumRefusals(l *locks.Lock) uint64 {
	var n uint64
	for _, v := range l.Refusals() {
		n += v
	}
	return n
}

func TestCommandsRefusedByReason(t *testing.T) {
	for _, p := range protocols {
		t.Run(p.String(), func(t *testing.T) {
			hub, url := startHub(t)
			id := lockName(t, "a")
			l := startLock(t, lockConfig(url, id, p))
			now := time.Now().UnixMilli()
			unlock := func(iat, exp int64) wire.Command {
				return wire.Command{Cmd: wire.CmdUnlock, IssuedAt: iat, Expires: exp, UnlockMS: 3000}
			}
			valid := signed(t, keyOf(id), id, unlock(now, now+30_000))
			tampered := bytes.Replace(signed(t, keyOf(id), id, unlock(now, now+30_000)), []byte(`"ms":3000`), []byte(`"ms":600000`), 1)
			tests := []struct {
				name    string
				payload []byte
				reason  string // "" = accepted
			}{
				{"valid", valid, ""},
				{"replayed", valid, locks.RefusedReplay},
				{"expired", signed(t, keyOf(id), id, unlock(now-10*60_000, now-9*60_000)), locks.RefusedExpired},
				{"not yet valid", signed(t, keyOf(id), id, unlock(now+10*60_000, now+10*60_000+30_000)), locks.RefusedNotYetValid},
				{"too long lived", signed(t, keyOf(id), id, unlock(now, now+10*60_000)), locks.RefusedLifetime},
				{"tampered", tampered, locks.RefusedBadMAC},
				{"forged with another key", signed(t, keyOf("other"), id, unlock(now, now+30_000)), locks.RefusedBadMAC},
				{"signed for another lock", signed(t, keyOf(id), "other-lock", unlock(now, now+30_000)), locks.RefusedWrongLock},
				{"garbage", []byte(`{"v":1,"cmd":"unlock"`), locks.RefusedUndecodable},
			}
			for _, tt := range tests {
				before, accepted := l.Refusals(), l.Accepted()[wire.CmdUnlock]
				total := sumRefusals(l)
				if err := hub.broker.SendCommand(id, tt.payload); err != nil {
					t.Fatalf("%s: SendCommand: %v", tt.name, err)
				}
				if tt.reason == "" {
					eventually(t, tt.name+" accepted", func() bool { return l.Accepted()[wire.CmdUnlock] == accepted+1 })
					continue
				}
				eventually(t, tt.name+" refused", func() bool { return sumRefusals(l) == total+1 })
				if got := l.Refusals()[tt.reason]; got != before[tt.reason]+1 {
					t.Errorf("%s: refusals = %v, want one more %s", tt.name, l.Refusals(), tt.reason)
				}
			}
			if got := l.Accepted()[wire.CmdUnlock]; got != 1 {
				t.Errorf("unlock accepted %d times, want 1", got)
			}
			if !l.State().UnlockedUntil.After(l.Now()) {
				t.Error("the accepted unlock did not unlock the door")
			}
		})
	}
}

func TestCommandsChangeMode(t *testing.T) {
	hub, url := startHub(t)
	id := lockName(t, "a")
	l := startLock(t, lockConfig(url, id, locks.MQTT5))
	send := func(c wire.Command) {
		t.Helper()
		now := time.Now().UnixMilli()
		c.IssuedAt, c.Expires = now, now+30_000
		n := l.Accepted()[c.Cmd]
		if err := hub.broker.SendCommand(id, signed(t, keyOf(id), id, c)); err != nil {
			t.Fatal(err)
		}
		eventually(t, c.Cmd.String()+" accepted", func() bool { return l.Accepted()[c.Cmd] == n+1 })
	}
	tap := func() locks.Response {
		t.Helper()
		r, _, err := l.Tap(context.Background(), wire.TypeCard, "DEADBEEF")
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	now := time.Now().UnixMilli()
	steps := []struct {
		cmd    wire.Command
		mode   wire.Mode
		local  bool
		result wire.Result
		reason string
	}{
		{wire.Command{Cmd: wire.CmdLockdownOn}, wire.ModeLockdown, true, wire.ResultDenied, "lockdown"},
		{wire.Command{Cmd: wire.CmdReleaseOn}, wire.ModeRelease, true, wire.ResultGranted, "release"}, // release overrides lockdown
		{wire.Command{Cmd: wire.CmdReleaseOff}, wire.ModeLockdown, true, wire.ResultDenied, "lockdown"},
		{wire.Command{Cmd: wire.CmdLockdownOff}, wire.ModeNormal, false, wire.ResultDenied, "unknown_credential"},
		{wire.Command{Cmd: wire.CmdOfficeHours, Windows: []wire.Window{{From: now - 1000, To: now + 3_600_000}}},
			wire.ModeOfficeHours, true, wire.ResultGranted, "office_hours"},
		{wire.Command{Cmd: wire.CmdOfficeHours}, wire.ModeNormal, false, wire.ResultDenied, "unknown_credential"},
	}
	for _, s := range steps {
		requests := hub.requestCount.Load()
		send(s.cmd)
		if got := l.State().Mode; got != s.mode {
			t.Errorf("after %s: mode %s, want %s", s.cmd.Cmd, got, s.mode)
		}
		r := tap()
		if r.Local != s.local || r.Result != s.result || r.Reason != s.reason {
			t.Errorf("after %s: tap = %+v, want local=%v %s/%s", s.cmd.Cmd, r, s.local, s.result, s.reason)
		}
		if sent := hub.requestCount.Load() - requests; sent != map[bool]int64{true: 0, false: 1}[s.local] {
			t.Errorf("after %s: %d requests reached the hub", s.cmd.Cmd, sent)
		}
		// The hub learns the mode from the next state.
		eventually(t, "hub sees mode "+s.mode.String(), func() bool {
			st, ok := hub.lastState(id)
			return ok && st.online && st.mode == s.mode
		})
	}
}
