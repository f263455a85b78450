// Package tapgen is a lean generator of access requests: many simulated
// locks, each one MQTT 3.1.1 connection, driven open loop from one process
// with as little of its own work as it can, for the throughput search of
// `lockhub bench` (docs/performance.md).
//
// simulators/locks is the faithful lock (paho, heartbeats, door events,
// signed commands, reconnects); its cost per tap is a goroutine, a timer,
// channel hand-offs and paho's own goroutines, which on a 2-core machine
// competes with the broker it measures. Here a tap is one write(2) on the
// lock's socket from the scheduling goroutine, and every reply is read by
// one goroutine, parked in Go's poller on an epoll descriptor that watches
// all the sockets, which stamps the time as it reads and matches the reply to its tap by the request id
// (an index into the run's table of scheduled times). No goroutine per lock,
// no goroutine per tap, no channel per reply.
//
// A lock connects with its id as client id and username, its secret as
// password (the hub's derived lock secret; a broker without authentication
// ignores them) and subscribes to its res topic with QoS 0. It sends nothing
// but requests and keep-alive pings: no state, no will, no door events.
//
// Linux only (epoll); elsewhere New returns an error.
package tapgen
