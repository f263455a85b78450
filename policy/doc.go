// Package policy is lockhub's domain vocabulary and its decision engine.
//
// It holds the records the hub reasons about (Domain, Member, Credential,
// Access, Lock, Grant) and the pure function that decides an unlock:
//
//	d := policy.Decide(now, req, view)
//
// Decide reads nothing but its arguments: time is passed in, never read, and
// the View is an in-memory snapshot kept by the store. It allocates nothing on
// its fast path and returns a machine-readable Reason; a denial is a normal
// outcome, not an error. Explain applies the same rules and lists every
// candidate grant with the reason it did or did not match.
//
// # Rules
//
// A request is allowed only if all of these hold, checked in this order (the
// first that fails gives the reason):
//
//  1. the hub's clock is trusted: now is not more than the tolerance behind the
//     newest decision time the hub has recorded (ReasonClockUntrusted);
//  2. the lock is known (ReasonUnknownLock);
//  3. for a PIN, the lock's keypad is not locked out (ReasonKeypadLockedOut);
//  4. the lock is not in lockdown, unless an emergency release is active
//     (ReasonLockdown);
//  5. the credential names exactly one member of the lock's domain
//     (ReasonUnknownCredential, ReasonAmbiguousCredential);
//  6. the member is active (ReasonMemberInactive);
//  7. some grant of the member, for an access that contains the lock, is inside
//     its validity window [From, Until), is not an open-ended Nexudus grant on
//     data older than the lock's offline horizon, and the access's schedule is
//     open at now in the domain's zone (not a holiday, inside a weekly window).
//
// When no grant matches, the reason is that of the grant that got furthest
// through the checks of rule 7 (lock, then window, then data age, then
// holiday, then schedule); ties go to the first grant in the view's order.
// ReasonNoGrant means no grant of the member names an access with this lock.
package policy
