package devices

import (
	"context"
	"time"

	"github.com/lockhub/lockhub/devices/wire"
	"github.com/lockhub/lockhub/policy"
)

// HandleEvent stores a door event and acknowledges it once it is durable. A
// resent event (same lock, boot and sequence) is acknowledged again but not
// stored twice. An event that cannot be decoded is counted and not acked:
// without its boot and sequence there is nothing to acknowledge.
func (s *Service) HandleEvent(lock string, payload []byte, ack func([]byte)) {
	now := s.d.Now()
	var ev wire.DoorEvent
	if err := wire.DecodeDoorEvent(payload, &ev); err != nil {
		code := wire.CodeOf(err)
		s.m.eventErrors.WithLabelValues(code.String()).Inc()
		s.log.Warn("door event refused", "lock", lock, "code", code.String(), "error", err)
		return
	}
	dup, err := s.d.Events.RecordDoor(context.Background(), DoorRecord{At: now, Lock: lock, Event: ev})
	if err != nil {
		s.log.Error("door event not stored; not acked, the lock will resend", "lock", lock, "error", err)
		return
	}
	if dup {
		s.m.doorDuplicates.Inc()
	} else {
		s.m.doorEvents.WithLabelValues(ev.Kind.String()).Inc()
	}
	var buf [64]byte
	ack(wire.AppendAck(buf[:0], &wire.Ack{Boot: ev.Boot, Seq: ev.Seq}))
}

// HandleState records what a lock reports about itself: firmware, battery,
// door position and clock offset. Presence (online/offline) is the broker's.
func (s *Service) HandleState(lock string, payload []byte) {
	now := s.d.Now()
	var st wire.LockState
	if err := wire.DecodeLockState(payload, &st); err != nil {
		s.m.stateErrors.Inc()
		s.log.Warn("lock state refused", "lock", lock, "code", wire.CodeOf(err).String(), "error", err)
		return
	}
	if !st.Online {
		return // the last will: the broker has already marked the lock offline
	}
	ls := LockStatus{Firmware: st.FW, BatteryPercent: -1, Door: st.Door.String(), UpdatedAt: now}
	if st.HasBattery {
		ls.BatteryPercent = int(st.Battery)
	}
	if st.Clock > 0 {
		ls.ClockOffset = time.UnixMilli(st.Clock).Sub(now)
	}
	s.d.Status.SetLockStatus(lock, ls)
}

// Admin actions on a lock. Each stores the new state (so decisions follow it
// at once), records an audit event, and sends the lock a signed command. A
// lock that is offline gets the command on its next state sync by the
// caller; the stored state holds regardless.

// SetLockdown turns lockdown on or off.
func (s *Service) SetLockdown(ctx context.Context, lock string, on bool, actor string) error {
	action, cmd := "lockdown_off", wire.CmdLockdownOff
	if on {
		action, cmd = "lockdown_on", wire.CmdLockdownOn
	}
	return s.adminState(ctx, lock, actor, action, cmd, func(st *policy.LockState) { st.Lockdown = on })
}

// SetRelease turns an emergency release on or off. A release overrides
// lockdown: the door is held open and decisions ignore the lockdown.
func (s *Service) SetRelease(ctx context.Context, lock string, on bool, actor string) error {
	action, cmd := "release_off", wire.CmdReleaseOff
	if on {
		action, cmd = "release_on", wire.CmdReleaseOn
	}
	return s.adminState(ctx, lock, actor, action, cmd, func(st *policy.LockState) { st.Released = on })
}

// ClearKeypadLockout ends a keypad lockout early.
func (s *Service) ClearKeypadLockout(ctx context.Context, lock, actor string) error {
	s.resetPINFailures(lock)
	return s.adminState(ctx, lock, actor, "keypad_unlock", wire.CmdUnknown, func(st *policy.LockState) { st.KeypadLockedUntil = time.Time{} })
}

// RemoteUnlock opens a lock once for its unlock duration (or d when set).
func (s *Service) RemoteUnlock(ctx context.Context, lock string, d time.Duration, actor string) error {
	if d <= 0 {
		d = policy.DefaultUnlockDuration
	}
	now := s.d.Now()
	if err := s.d.Events.RecordAdmin(ctx, AdminRecord{At: now, Lock: lock, Action: "remote_unlock", Actor: actor}); err != nil {
		return err
	}
	return s.Send(lock, wire.Command{Cmd: wire.CmdUnlock, UnlockMS: uint32(d.Milliseconds())})
}

func (s *Service) adminState(ctx context.Context, lock, actor, action string, cmd wire.CommandKind, f func(*policy.LockState)) error {
	if err := s.updateState(ctx, lock, f); err != nil {
		return err
	}
	if err := s.d.Events.RecordAdmin(ctx, AdminRecord{At: s.d.Now(), Lock: lock, Action: action, Actor: actor}); err != nil {
		return err
	}
	s.log.Info("admin action", "lock", lock, "action", action, "actor", actor)
	if cmd == wire.CmdUnknown {
		return nil
	}
	if err := s.Send(lock, wire.Command{Cmd: cmd}); err != nil {
		s.log.Warn("admin command not delivered; the state is stored", "lock", lock, "action", action, "error", err)
		return err
	}
	return nil
}

// Send signs a command for the lock (fresh nonce, issued now, expiring after
// wire.DefaultCommandTTL) and delivers it.
func (s *Service) Send(lock string, c wire.Command) error {
	now := s.d.Now().UnixMilli()
	c.Nonce = wire.NewNonce()
	c.IssuedAt = now
	c.Expires = now + wire.DefaultCommandTTL.Milliseconds()
	if err := s.sign(lock, &c); err != nil {
		return err
	}
	if err := s.d.Commands.SendCommand(lock, wire.AppendCommand(nil, &c)); err != nil {
		return err
	}
	s.m.commands.WithLabelValues(c.Cmd.String()).Inc()
	return nil
}
