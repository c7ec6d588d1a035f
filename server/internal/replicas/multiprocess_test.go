package replicas_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/structpb"

	profilev1 "github.com/acme/progressive-profiling/gen/profile/v1"
	"github.com/acme/progressive-profiling/server/internal/replicas/redistest"
	"github.com/acme/progressive-profiling/server/internal/serverproc"
	"github.com/acme/progressive-profiling/server/internal/store/auth0/auth0test"
)

// The multi-process tests run three server processes on the Auth0 store against one
// Management API double and one Redis, and call them round-robin, as a load balancer would.

const (
	replicaCount = 3
	concurrent   = 200
	user         = "auth0|replicas"
)

// cluster is three replicas of the server sharing a double and a Redis.
type cluster struct {
	auth0   *auth0test.Server
	procs   []*serverproc.Proc
	clients []profilev1.ProfileServiceClient
}

// client returns the client of replica i modulo the replica count.
func (c *cluster) client(i int) profilev1.ProfileServiceClient { return c.clients[i%len(c.clients)] }

// startCluster builds the server and starts three replicas; env adds settings.
func startCluster(t *testing.T, double *auth0test.Server, env map[string]string) *cluster {
	t.Helper()
	if testing.Short() {
		t.Skip("starts server processes")
	}
	rdb, prefix := redistest.Client(t)
	_ = rdb
	dir := t.TempDir()
	bin, err := serverproc.Build(t.Context(), dir)
	if err != nil {
		t.Fatal(err)
	}
	catalog := filepath.Join(dir, "catalog.yaml")
	if err := os.WriteFile(catalog, []byte(testCatalog()), 0o600); err != nil {
		t.Fatal(err)
	}
	all := map[string]string{
		"PROFILE_STORE": "auth0", "AUTH0_DOMAIN": double.URL(),
		"AUTH0_CLIENT_ID": auth0test.ClientID, "AUTH0_CLIENT_SECRET": auth0test.ClientSecret,
		"PROFILE_REDIS_URL": redistest.URL(), "PROFILE_REDIS_PREFIX": prefix,
		"PROFILE_CATALOG": catalog, "PROFILE_LOG_LEVEL": "warn",
	}
	for k, v := range env {
		all[k] = v
	}
	c := &cluster{auth0: double}
	for i := range replicaCount {
		p, err := serverproc.Start(t.Context(), bin, all, filepath.Join(dir, fmt.Sprintf("replica-%d.log", i)))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(p.Stop)
		conn, err := grpc.NewClient("passthrough:///"+p.GRPCAddr, grpc.WithTransportCredentials(insecure.NewCredentials()))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = conn.Close() })
		c.procs = append(c.procs, p)
		c.clients = append(c.clients, profilev1.NewProfileServiceClient(conn))
	}
	return c
}

// testCatalog declares the fields declined and answered by the tests.
func testCatalog() string {
	var b strings.Builder
	b.WriteString("fields:\n")
	for i := range concurrent {
		fmt.Fprintf(&b, "  - {key: d%03d, type: text}\n", i)
		fmt.Fprintf(&b, "  - {key: a%03d, type: text}\n", i)
	}
	return b.String()
}

// write is one acknowledged write and how to find it in Auth0's user.
type write struct {
	do    func(ctx context.Context, c profilev1.ProfileServiceClient) error
	found func(u map[string]any) bool
}

func subscribeTo(topic string) write {
	return write{
		do: func(ctx context.Context, c profilev1.ProfileServiceClient) error {
			_, err := c.MarkSubscribed(ctx, &profilev1.MarkSubscribedRequest{UserId: user, Topic: topic, Subscribed: true, Source: "test"})
			return err
		},
		found: func(u map[string]any) bool { return lookup(u, "user_metadata", "subscribed", topic) != nil },
	}
}

func declineField(key string) write {
	return write{
		do: func(ctx context.Context, c profilev1.ProfileServiceClient) error {
			_, err := c.SubmitFields(ctx, &profilev1.SubmitFieldsRequest{UserId: user, DeclinedFields: []string{key}})
			return err
		},
		found: func(u map[string]any) bool {
			return lookup(u, "app_metadata", "profiling_declines", "fields", key) != nil
		},
	}
}

func answer(key string) write {
	return write{
		do: func(ctx context.Context, c profilev1.ProfileServiceClient) error {
			_, err := c.SubmitFields(ctx, &profilev1.SubmitFieldsRequest{UserId: user, Values: &structpb.Struct{
				Fields: map[string]*structpb.Value{key: structpb.NewStringValue("v-" + key)}}})
			return err
		},
		found: func(u map[string]any) bool { return lookup(u, "user_metadata", key) == "v-"+key },
	}
}

func lookup(v any, path ...string) any {
	for _, k := range path {
		m, _ := v.(map[string]any)
		v = m[k]
	}
	return v
}

// runConcurrently makes the writes at once, spread round-robin over the replicas, and reports
// how many acknowledged ones Auth0 does not hold.
func runConcurrently(t *testing.T, c *cluster, writes []write) (lost int) {
	t.Helper()
	var wg sync.WaitGroup
	acked := make([]bool, len(writes))
	start := make(chan struct{})
	for i, w := range writes {
		wg.Go(func() {
			<-start
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			if err := w.do(ctx, c.client(i)); err != nil {
				t.Errorf("write %d: %v", i, err)
				return
			}
			acked[i] = true
		})
	}
	close(start)
	wg.Wait()
	u, _ := c.auth0.User(user)
	for i, w := range writes {
		if acked[i] && !w.found(u) {
			lost++
		}
	}
	return lost
}

func TestReplicasLoseNoWrite(t *testing.T) {
	double := auth0test.NewServer()
	t.Cleanup(double.Close)
	// The double is not rate-limited here, and neither are the replicas: 200 writes within the
	// default budget (200 a minute) would take a minute.
	c := startCluster(t, double, map[string]string{
		"AUTH0_READS_PER_SECOND": "1000", "AUTH0_READ_BURST": "1000",
		"AUTH0_WRITES_PER_SECOND": "1000", "AUTH0_WRITE_BURST": "1000",
	})
	tests := []struct {
		name  string
		write func(i int) write
	}{
		{"subscriptions", func(i int) write { return subscribeTo(fmt.Sprintf("topic-%03d", i)) }},
		{"declines", func(i int) write { return declineField(fmt.Sprintf("d%03d", i)) }},
		{"mixed", func(i int) write {
			switch i % 3 {
			case 0:
				return subscribeTo(fmt.Sprintf("mixed-%03d", i))
			case 1:
				return declineField(fmt.Sprintf("d%03d", i))
			}
			return answer(fmt.Sprintf("a%03d", i))
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			double.AddUser(user, map[string]any{"given_name": "Ada"})
			for i := range replicaCount { // every replica caches the user first
				if _, err := c.client(i).GetMissingFields(t.Context(), &profilev1.GetMissingFieldsRequest{UserId: user}); err != nil {
					t.Fatal(err)
				}
			}
			writes := make([]write, concurrent)
			for i := range writes {
				writes[i] = tt.write(i)
			}
			if lost := runConcurrently(t, c, writes); lost != 0 {
				t.Errorf("%d of %d acknowledged %s are missing in Auth0", lost, concurrent, tt.name)
			}
		})
	}

	t.Run("a change made in Auth0 between two writes survives", func(t *testing.T) {
		double.AddUser(user, nil)
		ctx := t.Context()
		if err := subscribeTo("first").do(ctx, c.client(0)); err != nil {
			t.Fatal(err)
		}
		if err := declineField("d001").do(ctx, c.client(0)); err != nil {
			t.Fatal(err)
		}
		u, _ := double.User(user)
		lookup(u, "user_metadata", "subscribed").(map[string]any)["from-dashboard"] = map[string]any{"source": "dashboard"}
		declines := lookup(u, "app_metadata", "profiling_declines").(map[string]any)
		declines["by_the_crm"] = map[string]any{"x": true}
		declines["fields"].(map[string]any)["not_in_this_catalog"] = "2026-11-01T00:00:00Z"
		double.AddUser(user, u)
		for i := range replicaCount { // on every replica, whatever it cached
			if err := subscribeTo(fmt.Sprintf("next-%d", i)).do(ctx, c.client(i)); err != nil {
				t.Fatal(err)
			}
			if err := declineField(fmt.Sprintf("d1%02d", i)).do(ctx, c.client(i)); err != nil {
				t.Fatal(err)
			}
		}
		u, _ = double.User(user)
		for _, path := range [][]string{
			{"user_metadata", "subscribed", "first"},
			{"user_metadata", "subscribed", "from-dashboard"},
			{"user_metadata", "subscribed", "next-2"},
			{"app_metadata", "profiling_declines", "by_the_crm"},
			{"app_metadata", "profiling_declines", "fields", "not_in_this_catalog"},
			{"app_metadata", "profiling_declines", "fields", "d001"},
			{"app_metadata", "profiling_declines", "fields", "d102"},
		} {
			if lookup(u, path...) == nil {
				t.Errorf("%s is missing in Auth0 after the service's writes", strings.Join(path, "."))
			}
		}
	})
}

func TestReplicasCarryOnAfterAReplicaDiesHoldingALock(t *testing.T) {
	double := auth0test.NewServer()
	t.Cleanup(double.Close)
	const lease = 3 * time.Second
	c := startCluster(t, double, map[string]string{"PROFILE_REDIS_LOCK_LEASE": lease.String()})
	double.AddUser(user, nil)

	// Replica 0 takes the user's lock and waits on a slow Auth0 when it is killed.
	double.SetLatency(10 * time.Second)
	go func() { _ = subscribeTo("never-acknowledged").do(context.Background(), c.client(0)) }()
	time.Sleep(500 * time.Millisecond)
	c.procs[0].Kill()
	killed := time.Now()
	double.SetLatency(0)

	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	if err := subscribeTo("after-the-crash").do(ctx, c.client(1)); err != nil {
		t.Fatalf("write on another replica after the crash: %v", err)
	}
	waited := time.Since(killed)
	if waited < lease-time.Second {
		t.Errorf("the write went through %v after the crash, before the dead replica's lease could end", waited)
	}
	u, _ := double.User(user)
	if lookup(u, "user_metadata", "subscribed", "after-the-crash") == nil {
		t.Error("the write after the crash is missing in Auth0")
	}
	if err := subscribeTo("later").do(ctx, c.client(2)); err != nil {
		t.Fatalf("the third replica after the crash: %v", err)
	}
}

func TestReplicasShareTheTenantBudget(t *testing.T) {
	double := auth0test.NewServer()
	t.Cleanup(double.Close)
	// A free tenant: one bucket of 2, refilled at 2 a second. The replicas keep the
	// default configuration (a self-service plan: far more).
	tenant := auth0test.RateLimit{Burst: 2, PerSecond: 2}
	double.SetRateLimit(tenant)
	c := startCluster(t, double, nil)

	// Reads of users no replica has seen (a GET each) alternate with subscriptions of others (a
	// GET and a PATCH each): the replicas start knowing nothing of the tenant's bucket, which
	// counts reads and writes alike.
	const callers, offered = 24, 6 * time.Second // 6 calls/s offered: three times the budget
	var (
		wg                       sync.WaitGroup
		served, exhausted        atomic.Int64
		withoutRetryInfo, others atomic.Int64
	)
	start := time.Now()
	for i := range callers {
		id := fmt.Sprintf("auth0|budget-%02d", i)
		double.AddUser(id, nil)
		wg.Go(func() {
			time.Sleep(time.Duration(i) * offered / callers)
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			var err error
			if i%2 == 0 {
				_, err = c.client(i).GetMissingFields(ctx, &profilev1.GetMissingFieldsRequest{UserId: id})
			} else {
				_, err = c.client(i).MarkSubscribed(ctx, &profilev1.MarkSubscribedRequest{UserId: id, Topic: "budget", Subscribed: true, Source: "test"})
			}
			st := status.Convert(err)
			switch {
			case err == nil:
				served.Add(1)
			case st.Code() == codes.ResourceExhausted:
				exhausted.Add(1)
				if !hasRetryInfo(st) {
					withoutRetryInfo.Add(1)
				}
			default:
				others.Add(1)
				t.Errorf("caller %d: %v", i, err)
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	calls := double.Calls()
	t.Logf("in %v: %d served, %d RESOURCE_EXHAUSTED; Auth0 got %d GET and %d PATCH, answered 429 %d times",
		elapsed.Round(time.Millisecond), served.Load(), exhausted.Load(), calls.Get, calls.Patch, calls.Throttled)
	if calls.Throttled != 0 {
		t.Errorf("Auth0 answered 429 %d times: the replicas together went over the tenant's limit", calls.Throttled)
	}
	if max := float64(tenant.Burst) + tenant.PerSecond*elapsed.Seconds(); float64(calls.Get+calls.Patch) > max {
		t.Errorf("the replicas sent %d calls in %v, more than the %.0f the tenant allows", calls.Get+calls.Patch, elapsed, max)
	}
	if exhausted.Load() == 0 {
		t.Error("no caller got RESOURCE_EXHAUSTED, yet three times the budget was offered")
	}
	if n := withoutRetryInfo.Load(); n > 0 {
		t.Errorf("%d RESOURCE_EXHAUSTED answers carry no RetryInfo", n)
	}
	if served.Load() == 0 {
		t.Error("no caller was served")
	}
}

func hasRetryInfo(st *status.Status) bool {
	for _, d := range st.Details() {
		if ri, ok := d.(*errdetails.RetryInfo); ok && ri.GetRetryDelay().AsDuration() > 0 {
			return true
		}
	}
	return false
}
