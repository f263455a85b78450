package locks

import "sync/atomic"

type lockCounters struct {
	connects, connectFailures, reconnects, connectionsLost, offlinePeriods atomic.Uint64
	statesPublished                                                        atomic.Uint64

	requests, requestRetries, timeouts, localDecisions       atomic.Uint64
	replies, duplicateReplies, lateReplies, unmatchedReplies atomic.Uint64
	badReplies, timeRequests, strayMessages                  atomic.Uint64
	events, eventPublishes, eventResends, eventsAcked        atomic.Uint64
	unmatchedAcks, badAcks, eventsDropped                    atomic.Uint64
}

// LockStats are a lock's counters since NewLock.
type LockStats struct {
	Connects        uint64 // successful CONNECTs, the first included
	ConnectFailures uint64
	Reconnects      uint64
	ConnectionsLost uint64 // connections that ended without being asked to
	OfflinePeriods  uint64 // GoOffline calls served
	StatesPublished uint64

	Requests         uint64 // access requests sent (a resend not counted)
	RequestRetries   uint64 // resends of unanswered requests (access and time)
	Timeouts         uint64 // taps that got no reply
	LocalDecisions   uint64 // taps decided by the lock's mode, nothing sent
	Replies          uint64 // replies delivered to their request
	DuplicateReplies uint64 // further replies for an answered request (ignored)
	LateReplies      uint64 // replies after the tap gave up (ignored)
	UnmatchedReplies uint64 // replies matching no request of this lock (ignored)
	BadReplies       uint64 // undecodable replies
	TimeRequests     uint64
	StrayMessages    uint64 // messages on a topic the lock did not subscribe to

	Events         uint64 // door events recorded
	EventPublishes uint64 // publishes of events, resends included
	EventResends   uint64
	EventsAcked    uint64 // events removed from the queue by their ack
	UnmatchedAcks  uint64 // acks for no queued event (e.g. the second ack of a resend)
	BadAcks        uint64
	EventsDropped  uint64 // dropped from a full queue
	EventsUnacked  int    // in the queue now
}

// Stats returns the lock's counters.
func (l *Lock) Stats() LockStats {
	c := &l.stats
	return LockStats{
		Connects: c.connects.Load(), ConnectFailures: c.connectFailures.Load(),
		Reconnects: c.reconnects.Load(), ConnectionsLost: c.connectionsLost.Load(),
		OfflinePeriods: c.offlinePeriods.Load(), StatesPublished: c.statesPublished.Load(),
		Requests: c.requests.Load(), RequestRetries: c.requestRetries.Load(), Timeouts: c.timeouts.Load(),
		LocalDecisions: c.localDecisions.Load(), Replies: c.replies.Load(),
		DuplicateReplies: c.duplicateReplies.Load(), LateReplies: c.lateReplies.Load(),
		UnmatchedReplies: c.unmatchedReplies.Load(), BadReplies: c.badReplies.Load(),
		TimeRequests: c.timeRequests.Load(), StrayMessages: c.strayMessages.Load(),
		Events: c.events.Load(), EventPublishes: c.eventPublishes.Load(), EventResends: c.eventResends.Load(),
		EventsAcked: c.eventsAcked.Load(), UnmatchedAcks: c.unmatchedAcks.Load(), BadAcks: c.badAcks.Load(),
		EventsDropped: c.eventsDropped.Load(), EventsUnacked: l.Unacked(),
	}
}

// add sums two stats (for a fleet total).
func (s *LockStats) add(o LockStats) {
	s.Connects += o.Connects
	s.ConnectFailures += o.ConnectFailures
	s.Reconnects += o.Reconnects
	s.ConnectionsLost += o.ConnectionsLost
	s.OfflinePeriods += o.OfflinePeriods
	s.StatesPublished += o.StatesPublished
	s.Requests += o.Requests
	s.RequestRetries += o.RequestRetries
	s.Timeouts += o.Timeouts
	s.LocalDecisions += o.LocalDecisions
	s.Replies += o.Replies
	s.DuplicateReplies += o.DuplicateReplies
	s.LateReplies += o.LateReplies
	s.UnmatchedReplies += o.UnmatchedReplies
	s.BadReplies += o.BadReplies
	s.TimeRequests += o.TimeRequests
	s.StrayMessages += o.StrayMessages
	s.Events += o.Events
	s.EventPublishes += o.EventPublishes
	s.EventResends += o.EventResends
	s.EventsAcked += o.EventsAcked
	s.UnmatchedAcks += o.UnmatchedAcks
	s.BadAcks += o.BadAcks
	s.EventsDropped += o.EventsDropped
	s.EventsUnacked += o.EventsUnacked
}
