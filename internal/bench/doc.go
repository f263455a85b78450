// Package bench is lockhub's performance harness (`lockhub bench`): it runs
// the go test benchmarks of the packages on the decision path, starts the
// hub in its own process with a site of the design's size, drives it with
// simulated locks over MQTT (open loop), runs the same traffic through
// Mosquitto answered by a separate responder process, measures 10,000
// locks connecting and the hub's memory, profiles the round trip, and
// renders the results as markdown tables into docs/performance.md between
// the bench markers. Every figure is the median of several runs with the
// spread (min–max); the load average before and after each scenario is
// recorded, since the machine is shared.
//
// The hub, the responder and the lock clients of the connect scenario run
// as child processes of the same binary (`lockhub bench hub|responder|
// locks`), so each process's memory and open files are its own.
package bench
