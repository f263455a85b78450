// Package responder is the baseline of the performance comparison: a tiny
// MQTT client that answers lock access requests through a separate broker
// (Mosquitto) with a map lookup. It subscribes lockhub/v1/locks/+/req,
// looks the presented card up in a set, and publishes the wire access
// response to the lock's res topic, the way the hub would, but with no
// policy, no event log and no durability. `lockhub bench responder` runs it
// as its own process.
package responder
