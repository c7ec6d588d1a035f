package app

import (
	"context"
	"fmt"
	"os"
	"runtime/pprof"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	profilev1 "github.com/acme/progressive-profiling/gen/profile/v1"
	"github.com/acme/progressive-profiling/server/internal/auth/authtest"
	"github.com/acme/progressive-profiling/server/internal/config"
)

func TestZZProfile(t *testing.T) {
	mode := os.Getenv("PROF")
	if mode == "" {
		t.Skip()
	}
	var iss *authtest.Issuer
	cfgf := func(c *config.Config) {}
	if mode == "auth" {
		iss = authtest.NewIssuer(t)
		cfgf = func(c *config.Config) {
			c.Auth0Domain = iss.URL()
			c.Auth0Issuer = iss.Issuer()
			c.Auth0Audience = authtest.Audience
		}
	}
	ts := startServer(t, serverOptions{cfg: cfgf})
	for i := 0; i < 64; i++ {
		ts.seed(t, fmt.Sprintf("auth0|u%d", i), map[string]any{"given_name": "A", "logins_count": 3})
	}
	conns := make([]*grpc.ClientConn, 4)
	for i := range conns {
		conns[i], _ = grpc.NewClient(ts.grpcAddr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	}
	f, _ := os.Create("/tmp/cpu-" + mode + ".prof")
	pprof.StartCPUProfile(f)
	deadline := time.Now().Add(5 * time.Second)
	var wg sync.WaitGroup
	var n int64
	var mu sync.Mutex
	for w := 0; w < 64; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			conn := conns[w%4]
			c := profilev1.NewProfileServiceClient(conn)
			h := healthpb.NewHealthClient(conn)
			user := fmt.Sprintf("auth0|u%d", w)
			ctx := context.Background()
			var tok string
			if iss != nil {
				tok = iss.UserToken(t, user)
			}
			gc := &grpcClient{c, tok}
			k := 0
			for time.Now().Before(deadline) {
				var err error
				switch mode {
				case "health":
					_, err = h.Check(ctx, &healthpb.HealthCheckRequest{})
				case "submit":
					_, err = gc.SubmitFields(ctx, &profilev1.SubmitFieldsRequest{UserId: user, Values: mustStructNoT(map[string]any{"title": fmt.Sprint("t", k)})})
				case "rest":
					rc := &restClient{base: ts.httpURL, token: tok}
					_, err = rc.GetMissingFields(ctx, &profilev1.GetMissingFieldsRequest{UserId: user})
				default:
					_, err = gc.GetMissingFields(ctx, &profilev1.GetMissingFieldsRequest{UserId: user})
				}
				if err != nil {
					t.Error(err)
					return
				}
				k++
			}
			mu.Lock()
			n += int64(k)
			mu.Unlock()
		}()
	}
	wg.Wait()
	pprof.StopCPUProfile()
	f.Close()
	t.Logf("%s: %d calls, %.0f/s", mode, n, float64(n)/5)
}
