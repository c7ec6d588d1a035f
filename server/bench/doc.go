// Command bench measures the service against raw gRPC on the same machine: it builds and starts
// the server as its own process on loopback (embedded store, a 10-field catalog, pre-filled
// users), drives it with a closed-loop load over gRPC and REST, and reports throughput, latency
// percentiles and the server's CPU time per request next to the Health/Check baseline, as a
// markdown report that judges the targets of targets.txt (or -targets). Scenarios are measured
// in interleaved rounds after a discarded warm-up pass; every ratio is taken within a round and
// judged on its median over rounds, so that slow drift on the machine does not decide a target.
// It also measures the Auth0 store against the Management API double, which it runs as a
// process of its own: the journey's calls on one server and on three replicas sharing a Redis,
// and the heap cost of a cached profile. The floods of docs/limits.md, what callers without a
// token can make the server hold in memory, are Go benchmarks in floods_test.go.
//
// Usage, from the repository root:
//
//	go run ./server/bench [-rounds 3] [-duration 3s] [-concurrency 64] [-users 1000] \
//	    [-scenarios a,b] [-auth=true] [-auth0=true] [-replicas=true] [-memory=true] \
//	    [-targets FILE] [-out report.md]
//
// It stops by itself and removes its processes and temporary folders on exit or on
// SIGINT/SIGTERM. It must never listen on or dial anything but loopback addresses.
package main
