// Package load drives a closed-loop load: a fixed number of workers each call an operation again
// as soon as the previous call returns, for a fixed time, and the latencies are summarised. It
// knows nothing of the service or its transports and must not start processes.
package load
