package devices

// RequestHandler receives a lock's requests (publishes by the lock itself on
// its own req topic). payload is read-only and stays valid after the call.
// reply publishes one response (QoS 0, docs/protocol.md §2) to the lock:
// to the MQTT 5 response
// topic with the request's correlation data copied, when the request carried
// them, else to the lock's res topic. correlated says whether the request
// carried MQTT 5 correlation data (then the payload may omit its id). reply may be called from any goroutine,
// also after HandleRequest has returned; call it at most once. reply does not
// keep its payload: the caller may reuse the slice once reply returns.
//
// HandleRequest runs on the publishing connection's read goroutine: while it
// runs, that connection's next packets wait (other locks are not affected).
// See the package documentation for what that means for durability waits.
type RequestHandler interface {
	HandleRequest(lock string, payload []byte, correlated bool, reply func(payload []byte))
}

// EventHandler receives a lock's door events (its own evt topic). ack
// publishes an acknowledgement (QoS 1) to the lock's ack topic, or to the
// MQTT 5 response topic with correlation data when the event carried them.
// Same goroutine rules as RequestHandler.
type EventHandler interface {
	HandleEvent(lock string, payload []byte, ack func(payload []byte))
}

// StateHandler receives a lock's state (its own state topic), including the
// last will the broker publishes for it when it drops off. It typically
// decodes the payload and calls Broker.SetLockStatus.
type StateHandler interface {
	HandleState(lock string, payload []byte)
}
