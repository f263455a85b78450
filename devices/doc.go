// Package devices is the transport side of the lock network: an embedded
// mochi-mqtt broker with lockhub's own authentication and ACL, presence, and
// the plumbing that hands lock messages to the hub's handlers.
//
//	b, err := devices.NewBroker(cfg, devices.BrokerDeps{LockSecret: keys.LockSecret, Requests: svc, ...})
//	go b.Run(ctx)
//
// NewBroker binds every listener (TCP, TLS with optional mutual TLS,
// WebSocket), so a busy port fails at start-up; Run serves until ctx ends.
//
// # Identity and ACL
//
// Deny by default. A lock logs in with username = lock id and password = its
// secret (BrokerDeps.LockSecret, compared in constant time), or with a client
// certificate verified against the TLS listener's client CA whose CN is the
// lock id. Its client id is the lock id or starts with "<lock id>/". Other
// users (integrations, tools) are listed in BrokerConfig.Users with explicit
// publish and subscribe filters. Failed logins are throttled per client id
// and, with a much higher ceiling, per remote address.
//
// A lock may publish only to its own req, evt and state topics (retain only
// on state; an MQTT 5 response topic must be its own res for req, ack for
// evt) and read only its own res, ack and cmd topics. Nobody but the hub may
// retain a message on a lock topic other than state. Wills are checked at
// CONNECT like publishes (mochi does not check them).
//
// A refused publish is acknowledged and dropped (CodeSuccessIgnore), or
// answered with PUBACK "not authorized" for an MQTT 5 QoS 1 publish, and the
// client stays connected: mochi disconnects a 3.1.1 client whose QoS>0
// publish fails OnACLCheck, so the write decision lives in OnPublish and
// OnACLCheck allows writes for authenticated clients.
//
// # Where handlers run
//
// RequestHandler, EventHandler and StateHandler run synchronously on the
// publishing connection's read goroutine, after mochi has acknowledged the
// packet (OnPublished). This keeps each lock's messages in order, needs no
// queue or worker pool, and pushes back on a lock that sends faster than the
// hub answers (TCP flow control) without affecting other locks. The cost is
// that one connection's requests are handled one at a time: with `disk`
// durability a handler that waits ~1 ms for a group-committed fsync caps a
// single lock at about 1,000 requests/s, and a second request pipelined by
// the same lock waits for the first. Locks send a request per door use, so
// this is far above need; throughput across locks is unaffected, as each
// connection has its own goroutine and their fsyncs are shared. A handler
// that must do slow work may reply later: reply and ack may be called from
// any goroutine after the handler has returned.
//
// # How replies travel
//
// Replies (res) and acks are published at QoS 0, commands at QoS 1
// (docs/protocol.md §2). A reply is written straight onto the requesting
// connection (Client.WritePacket, from the calling goroutine) when that
// connection is the topic's only subscriber with a plain subscription (no
// subscription identifier, no topic aliases) that the ACL lets it read;
// this skips the broker's publish path and the hand-off to the connection's
// write goroutine. Otherwise (an integration reading res topics, say) the
// reply is published through the broker, so every subscriber gets it. The
// subscriber check is cached per connection until any subscription is
// added; lockhub_mqtt_replies_total{path} counts both paths.
//
// # Sizing for 10,000 locks
//
// Each connection's outbound queue is allocated once it is authenticated
// (internal/third_party/mochi, our fork of mochi, makes it at session establishment). A
// lock's holds 64 packets (512 B; at most MaxClientWritesPending): a lock
// has a few replies, event acks (docs/protocol.md allows 16 events in
// flight) and commands pending at a time, and replies mostly bypass it. Other users get
// MaxClientWritesPending (default 512, 4 KiB): the depth matters for
// integrations that read many locks' events (a burst of state messages after
// a hub restart); 128 drops under such bursts (libs.md §7), 8192 would cost
// 64 KiB per client. A connection runs one goroutine, its reader; a writer
// runs only while its queue is not empty. Read and write buffers
// are 512 B (lock packets are small; larger ones are read through).
// MaximumPacketSize is 64 KiB, sessions expire after a day, and messages
// (including retained lock states) after a day, so locks re-publish their
// retained state as a heartbeat well within that. $SYS topics are refreshed
// every 10 s. mochi's sysinfo and healthcheck listeners are not started.
//
// Commands and replies are not queued for offline locks: the delivery ACL
// only knows open connections, and SendCommand returns ErrLockOffline.
package devices
