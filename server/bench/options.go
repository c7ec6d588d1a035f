package main

import (
	"cmp"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"
)

// options are the benchmark's settings, from flags.
type options struct {
	duration, warmup time.Duration
	// rounds is how many times every scenario is measured, interleaved: round by round.
	rounds int
	// warmupPass is the unmeasured run of every scenario before the first round.
	warmupPass  time.Duration
	concurrency int
	users       int
	grpcConns   int
	// scenarios selects scenarios by name; nil means all.
	scenarios map[string]bool

	auth bool

	auth0            bool
	auth0Users       int
	auth0Concurrency int
	auth0Latency     time.Duration

	// replicas runs replicaCount servers sharing the Redis at redisURL.
	replicas               bool
	redisURL               string
	replicasBudgetDuration time.Duration

	memory         bool
	memoryProfiles int

	// targets are what the report judges, from -targets or targets.txt.
	targets []target

	out       string
	serverBin string
}

// parseOptions reads the flags in args.
func parseOptions(args []string, usage io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(usage)
	fs.DurationVar(&o.duration, "duration", 3*time.Second, "measured time per scenario per round")
	fs.DurationVar(&o.warmup, "warmup", 500*time.Millisecond, "unmeasured warm-up before each measured run")
	fs.IntVar(&o.rounds, "rounds", 3, "rounds; each measures every scenario once, and figures are medians over rounds")
	fs.DurationVar(&o.warmupPass, "warmup-pass", time.Second, "unmeasured run of every scenario before round 1 (0: none)")
	fs.IntVar(&o.concurrency, "concurrency", 64, "closed-loop workers (callers with one call in flight each)")
	fs.IntVar(&o.users, "users", 1000, "pre-filled users (at least -concurrency: writers own disjoint users)")
	fs.IntVar(&o.grpcConns, "grpc-conns", 4, "shared gRPC connections the workers spread over")
	list := fs.String("scenarios", "", "comma-separated scenarios to run (default all): "+strings.Join(scenarioNames(), ","))
	fs.BoolVar(&o.auth, "auth", true, "also run the caller-auth scenarios on a server with RS256 token checks")
	fs.BoolVar(&o.auth0, "auth0", true, "also run the journey on the Auth0 store against a Management API look-alike")
	fs.IntVar(&o.auth0Users, "auth0-users", 10, "users making the Auth0-mode journey")
	fs.IntVar(&o.auth0Concurrency, "auth0-concurrency", 5, "journeys run at a time in Auth0 mode")
	fs.DurationVar(&o.auth0Latency, "auth0-latency", 50*time.Millisecond, "latency added to every Management API response")
	fs.BoolVar(&o.replicas, "replicas", true, "also run three replicas on the Auth0 store sharing a Redis, and the Auth0-store scenarios with and without it (needs -redis)")
	fs.StringVar(&o.redisURL, "redis", "redis://127.0.0.1:6379/0", "Redis for the replicas run (its keys get a prefix of their own)")
	fs.DurationVar(&o.replicasBudgetDuration, "replicas-budget-duration", 10*time.Second, "how long three times the tenant's budget is offered to the replicas")
	fs.BoolVar(&o.memory, "memory", true, "also measure the heap per cached profile, in this process")
	fs.IntVar(&o.memoryProfiles, "memory-profiles", 10000, "profiles cached for the memory measurement")
	fs.StringVar(&o.out, "out", "", "also write the markdown report to this file")
	fs.StringVar(&o.serverBin, "server-bin", "", "server binary to run instead of building ./server")
	targetsFile := fs.String("targets", "", "file of the targets the report judges (default: the bench's targets.txt)")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if err := o.setScenarios(*list); err != nil {
		return o, err
	}
	if err := o.setTargets(*targetsFile); err != nil {
		return o, err
	}
	return o, o.validate()
}

// setTargets reads the targets from file, or the default ones when file is empty.
func (o *options) setTargets(file string) error {
	text := defaultTargets
	if file != "" {
		data, err := os.ReadFile(file)
		if err != nil {
			return fmt.Errorf("-targets: %w", err)
		}
		text = string(data)
	}
	var err error
	if o.targets, err = parseTargets(text); err != nil {
		return fmt.Errorf("-targets %s: %w", cmp.Or(file, "(default)"), err)
	}
	return nil
}

func (o *options) setScenarios(list string) error {
	if strings.TrimSpace(list) == "" {
		return nil
	}
	known := scenarioNames()
	o.scenarios = make(map[string]bool)
	for _, name := range strings.Split(list, ",") {
		name = strings.TrimSpace(name)
		if !slices.Contains(known, name) {
			return fmt.Errorf("-scenarios: unknown scenario %q (known: %s)", name, strings.Join(known, ","))
		}
		o.scenarios[name] = true
	}
	return nil
}

func (o options) validate() error {
	var errs []error
	if o.duration <= 0 || o.warmup < 0 || o.warmupPass < 0 {
		errs = append(errs, errors.New("-duration must be positive, -warmup and -warmup-pass not negative"))
	}
	if o.rounds < 1 {
		errs = append(errs, errors.New("-rounds must be at least 1"))
	}
	if o.concurrency < 1 || o.grpcConns < 1 {
		errs = append(errs, errors.New("-concurrency and -grpc-conns must be at least 1"))
	}
	if o.users < o.concurrency {
		errs = append(errs, fmt.Errorf("-users (%d) must be at least -concurrency (%d): each writer owns its users", o.users, o.concurrency))
	}
	if o.auth0 && (o.auth0Users < 1 || o.auth0Concurrency < 1 || o.auth0Latency < 0) {
		errs = append(errs, errors.New("-auth0-users and -auth0-concurrency must be at least 1, -auth0-latency not negative"))
	}
	if o.replicas && (o.auth0Users < 1 || o.replicasBudgetDuration < time.Second) {
		errs = append(errs, errors.New("-replicas needs -auth0-users of at least 1 and -replicas-budget-duration of at least 1s"))
	}
	if o.memory && o.memoryProfiles < 1 {
		errs = append(errs, errors.New("-memory-profiles must be at least 1"))
	}
	return errors.Join(errs...)
}

// selected returns the scenarios to run, in the order of a round: those -scenarios names (all
// by default) on the servers -auth and -replicas keep.
func (o options) selected() []scenario {
	var out []scenario
	for _, sc := range scenarios() {
		switch {
		case o.scenarios != nil && !o.scenarios[sc.name]:
		case sc.server == authServer && !o.auth:
		case (sc.server == auth0Server || sc.server == redisServer) && !o.replicas:
		default:
			out = append(out, sc)
		}
	}
	return out
}
