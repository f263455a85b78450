// Package locks simulates door locks speaking lock protocol v1
// (docs/protocol.md) over MQTT against any hub: one Lock, a Fleet of N, and
// Run, the entry point of `lockhub sim locks`. It imports only devices/wire
// and the MQTT client libraries, so it tests the hub from the outside.
//
// # A lock
//
// A Lock connects with username = lock id and password = its secret, a
// clean session, a non-zero keep-alive and its last will ({"online":false}
// retained on its state topic). It speaks MQTT 3.1.1 through
// paho.mqtt.golang (its reconnect off, OrderMatters off, tokens never waited
// on without a bound) or MQTT 5 through paho.golang, where requests carry
// the lock's res topic as ResponseTopic and the request id as
// CorrelationData instead of the payload id. After every CONNACK it
// publishes its retained state; it re-publishes it on every change and every
// Heartbeat. A lost connection is re-opened with exponential backoff
// (ReconnectMin doubling, capped at 30 s at most), each delay jittered so
// that locks dropped together do not retry in lockstep.
//
// Tap publishes an access request (QoS 0) and waits for the correlated
// reply: the first reply per correlation id wins; duplicates, late replies
// (after the tap gave up) and replies matching nothing are counted and
// ignored. While the lock is in lockdown, release or an office-hours window
// it decides locally and sends nothing.
//
// Commands on cmd are decoded and checked by a wire.Verifier on the lock's
// own clock (MAC, lock binding, lifetime, validity window with skew,
// replay); retained ones are never executed. Each refusal is counted by
// reason (Refusals); accepted commands change the lock's state (unlock,
// lockdown, release, office hours, time).
//
// DoorEvent queues an event under (boot epoch, sequence), publishes it
// (QoS 1, at most EventsInFlight unacknowledged) and resends it byte for
// byte until the hub's ack arrives: after EventResend, then doubling up to
// EventResendMax, and all at once right after every reconnect. A full queue
// drops opened/closed events first.
//
// The lock's clock is the real clock plus an offset: ClockSkew and SkewClock
// inject skew; SyncTime runs the time flow (a time request with a fresh
// nonce, answered by a signed time command that passes the verifier without
// the clock check), after which the clock is right to within half the round
// trip. With AutoTimeSync the lock asks by itself when a command fails its
// clock check or a reply's time is more than 30 s off, at most once per
// TimeSyncInterval. GoOffline closes the connection, cleanly or as a network
// failure would (then the broker publishes the will), for a while.
//
// # A fleet
//
// A Fleet builds N locks from an identity function (the CLI derives secrets
// from the site master key or reads them), connects them with bounded
// concurrency and reports how long that took. Traffic drives them: taps at a
// fixed rate spread over the locks with a weighted credential picker, door
// events, offline periods, bounded by a duration and a count. In the default
// closed-loop mode each lock has at most one tap outstanding and a tap that
// finds its lock busy is skipped and counted; latency runs from the actual
// send. In open-loop mode (for benchmarks) every tap is sent at its
// scheduled time whatever the replies, and latency runs from the scheduled
// time, so a slow hub cannot hide behind a slowed-down load generator
// (no coordinated omission). Latencies go to a Recorder, a log-linear
// histogram with 1/128 relative precision, which reports count, errors,
// timeouts, p50/p90/p99/p99.9/max and the achieved rate.
//
// Nothing in this package logs a secret, a credential or a payload.
package locks
