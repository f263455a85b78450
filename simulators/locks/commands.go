package locks

import (
	"errors"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/lockhub/lockhub/devices/wire"
)

// Reasons a lock refuses a command, as counted by Lock.Refusals. All but
// RefusedRetained and RefusedUndecodable are the wire.Verifier errors.
const (
	RefusedRetained    = "retained"      // arrived with the retain flag (docs/protocol.md §2)
	RefusedUndecodable = "undecodable"   // wire.DecodeCommand failed
	RefusedBadCommand  = "bad_command"   // wire.ErrBadCommand
	RefusedWrongLock   = "wrong_lock"    // wire.ErrWrongLock
	RefusedBadMAC      = "bad_mac"       // wire.ErrBadMAC (forged or tampered)
	RefusedLifetime    = "bad_lifetime"  // wire.ErrBadLifetime
	RefusedNotYetValid = "not_yet_valid" // wire.ErrNotYetValid
	RefusedExpired     = "expired"       // wire.ErrExpired
	RefusedReplay      = "replay"        // wire.ErrReplay
)

var refusalNames = [...]string{
	RefusedRetained, RefusedUndecodable, RefusedBadCommand, RefusedWrongLock, RefusedBadMAC,
	RefusedLifetime, RefusedNotYetValid, RefusedExpired, RefusedReplay,
}

// Indexes into refusalNames.
const (
	refRetained = iota
	refUndecodable
	refBadCommand
	refWrongLock
	refBadMAC
	refLifetime
	refNotYetValid
	refExpired
	refReplay
)

var verifyErrors = [...]struct {
	err    error
	reason int
}{
	{wire.ErrBadCommand, refBadCommand}, {wire.ErrWrongLock, refWrongLock}, {wire.ErrBadMAC, refBadMAC},
	{wire.ErrBadLifetime, refLifetime}, {wire.ErrNotYetValid, refNotYetValid}, {wire.ErrExpired, refExpired},
	{wire.ErrReplay, refReplay},
}

type refusalCounters struct {
	n        [len(refusalNames)]atomic.Uint64
	accepted sync.Map // wire.CommandKind -> *atomic.Uint64
}

// RefusalReasons lists the keys of Lock.Refusals.
func RefusalReasons() []string { return slices.Clone(refusalNames[:]) }

// Refusals returns how many commands the lock refused, by reason (every
// reason of RefusalReasons is present).
func (l *Lock) Refusals() map[string]uint64 {
	m := make(map[string]uint64, len(refusalNames))
	for i, name := range refusalNames {
		m[name] = l.refused.n[i].Load()
	}
	return m
}

// Accepted returns how many commands of each kind the lock executed.
func (l *Lock) Accepted() map[wire.CommandKind]uint64 {
	m := make(map[wire.CommandKind]uint64)
	l.refused.accepted.Range(func(k, v any) bool {
		m[k.(wire.CommandKind)] = v.(*atomic.Uint64).Load()
		return true
	})
	return m
}

// handleCommand verifies a command from cmd on the lock's clock and executes
// it; a refused command is counted by reason and never answered.
func (l *Lock) handleCommand(payload []byte, retained bool) {
	if retained {
		l.refuse(refRetained, nil)
		return
	}
	var c wire.Command
	if err := wire.DecodeCommand(payload, &c); err != nil {
		l.refuse(refUndecodable, err)
		return
	}
	if err := l.verifier.Verify(l.Now(), &c); err != nil {
		reason := refBadCommand
		for _, ve := range verifyErrors {
			if errors.Is(err, ve.err) {
				reason = ve.reason
				break
			}
		}
		l.refuse(reason, err)
		if errors.Is(err, wire.ErrNotYetValid) || errors.Is(err, wire.ErrExpired) {
			l.maybeSyncTime()
		}
		return
	}
	v, _ := l.refused.accepted.LoadOrStore(c.Cmd, new(atomic.Uint64))
	v.(*atomic.Uint64).Add(1)
	l.apply(&c)
}

func (l *Lock) refuse(reason int, err error) {
	l.refused.n[reason].Add(1)
	l.log.Debug("lock command refused", "reason", refusalNames[reason], "error", err)
}

// apply executes a verified command.
func (l *Lock) apply(c *wire.Command) {
	switch c.Cmd {
	case wire.CmdTime:
		l.setTime(c)
		return
	case wire.CmdUnlock:
		l.door.unlock(l.Now().Add(time.Duration(c.UnlockMS) * time.Millisecond))
		return // no mode change
	}
	l.door.mu.Lock()
	switch c.Cmd {
	case wire.CmdLockdownOn:
		l.door.lockdown = true
	case wire.CmdLockdownOff:
		l.door.lockdown = false
	case wire.CmdReleaseOn:
		l.door.release = true
	case wire.CmdReleaseOff:
		l.door.release = false
	case wire.CmdOfficeHours:
		l.door.windows = slices.Clone(c.Windows)
	}
	l.door.mu.Unlock()
	l.markStateDirty() // the hub learns the effect from the next state's mode
}

// doorState is what commands, replies and door events change.
type doorState struct {
	mu            sync.Mutex
	lockdown      bool
	release       bool
	windows       []wire.Window
	unlockedUntil time.Time // lock clock
	door          wire.DoorState
	battery       uint8
}

func (d *doorState) unlock(until time.Time) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if until.After(d.unlockedUntil) {
		d.unlockedUntil = until
	}
}

// modeLocked is the effective mode at lock clock now: release overrides
// lockdown, which overrides office hours.
func (d *doorState) modeLocked(now time.Time) wire.Mode {
	switch {
	case d.release:
		return wire.ModeRelease
	case d.lockdown:
		return wire.ModeLockdown
	}
	ms := now.UnixMilli()
	for _, w := range d.windows {
		if ms >= w.From && ms < w.To {
			return wire.ModeOfficeHours
		}
	}
	return wire.ModeNormal
}

// localDecision answers a tap without the hub when the mode decides it.
func (l *Lock) localDecision() (Response, bool) {
	now := l.Now()
	l.door.mu.Lock()
	mode := l.door.modeLocked(now)
	l.door.mu.Unlock()
	r := Response{Local: true}
	switch mode {
	case wire.ModeLockdown:
		r.Result, r.Reason = wire.ResultDenied, "lockdown"
	case wire.ModeRelease:
		r.Result, r.Reason = wire.ResultGranted, "release"
	case wire.ModeOfficeHours:
		r.Result, r.Reason = wire.ResultGranted, "office_hours"
	default:
		return Response{}, false
	}
	return r, true
}

// State is a snapshot of a lock.
type State struct {
	ID            string
	Protocol      Protocol
	Boot          uint32
	Online        bool
	Mode          wire.Mode
	Lockdown      bool
	Release       bool
	OfficeHours   []wire.Window
	UnlockedUntil time.Time // on the lock's clock; zero if never unlocked
	Door          wire.DoorState
	Battery       uint8 // 0: mains powered
	ClockOffset   time.Duration
	ClockTrusted  bool
	// LastCorrection is what the last accepted time command changed on the
	// clock; TimeSyncs counts them.
	LastCorrection time.Duration
	TimeSyncs      uint64
}

// Unlocked reports whether the door is unlocked at the lock's clock now.
func (s State) Unlocked(now time.Time) bool {
	return s.Mode == wire.ModeRelease || s.Mode == wire.ModeOfficeHours || now.Before(s.UnlockedUntil)
}

// State returns a snapshot of the lock.
func (l *Lock) State() State {
	now := l.Now()
	s := State{ID: l.cfg.ID, Protocol: l.cfg.Protocol, Boot: l.cfg.Boot, Online: l.Online()}
	l.door.mu.Lock()
	s.Mode = l.door.modeLocked(now)
	s.Lockdown, s.Release = l.door.lockdown, l.door.release
	s.OfficeHours = slices.Clone(l.door.windows)
	s.UnlockedUntil, s.Door, s.Battery = l.door.unlockedUntil, l.door.door, l.door.battery
	l.door.mu.Unlock()
	l.clock.mu.Lock()
	s.ClockOffset, s.ClockTrusted = l.clock.offset, l.clock.trusted
	s.LastCorrection, s.TimeSyncs = l.clock.correction, l.clock.syncs
	l.clock.mu.Unlock()
	return s
}

// wireState is the retained state the lock publishes.
func (l *Lock) wireState() wire.LockState {
	now := l.Now()
	hb := uint32(min(max((l.cfg.Heartbeat+time.Second-1)/time.Second, wire.MinHeartbeatS), wire.MaxHeartbeatS))
	st := wire.LockState{Online: true, Boot: l.cfg.Boot, FW: l.cfg.Firmware, Clock: now.UnixMilli(), HeartbeatS: hb}
	l.door.mu.Lock()
	st.Mode = l.door.modeLocked(now)
	st.Door = l.door.door
	if l.door.battery > 0 {
		st.Battery, st.HasBattery = l.door.battery, true
	}
	l.door.mu.Unlock()
	return st
}

// SetBattery changes the reported battery level (1..100; 0 = mains) and
// publishes the state.
func (l *Lock) SetBattery(percent uint8) {
	l.door.mu.Lock()
	l.door.battery = min(percent, 100)
	l.door.mu.Unlock()
	l.markStateDirty()
}
