package app

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	profilev1 "github.com/acme/progressive-profiling/gen/profile/v1"
	"github.com/acme/progressive-profiling/server/internal/config"
	"github.com/acme/progressive-profiling/server/internal/store"
)

// heldStore is a memStore whose writes wait until the test lets them through, so that calls
// stay in flight with their request decoded.
type heldStore struct {
	memStore
	entered chan string
	release chan struct{}
}

func newHeldStore() *heldStore {
	return &heldStore{
		memStore: memStore{profiles: map[string]*store.Profile{}},
		entered:  make(chan string, 100),
		release:  make(chan struct{}),
	}
}

func (h *heldStore) Update(ctx context.Context, id string, fn store.UpdateFunc) (*store.Profile, error) {
	h.entered <- id
	select {
	case <-h.release:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	return h.memStore.Update(ctx, id, fn)
}

// TestDecodedRequestsAreBounded: the requests that calls hold decoded are bounded in bytes,
// over gRPC and REST alike, for as long as the calls run; a call past the budget is decoded
// once another call ends (issue 12 review: decoding multiplies a request's size, and 500 REST
// requests of 64 KiB holding google.protobuf.Struct lists, without any token, took the server
// to 2.4 GB).
func TestDecodedRequestsAreBounded(t *testing.T) {
	const maxBody = 1024 // a budget of 4 × 1024 bytes: 8 requests of about 490 bytes, not 9
	held := newHeldStore()
	ts := startServer(t, serverOptions{store: held, cfg: func(c *config.Config) { c.MaxBodyBytes = maxBody }})
	grpcClient := profilev1.NewProfileServiceClient(ts.conn)
	calls := map[string]func(t *testing.T, i int) error{
		"grpc": func(t *testing.T, i int) error {
			req := &profilev1.SubmitFieldsRequest{
				UserId: fmt.Sprintf("auth0|%03d%s", i, strings.Repeat("x", 460)),
				Values: mustStructNoT(map[string]any{"first_name": "Ada"}),
			}
			if n := proto.Size(req); n < 480 || n > maxBody {
				t.Errorf("request of %d bytes, want 480 to %d", n, maxBody)
			}
			_, err := grpcClient.SubmitFields(context.Background(), req)
			return err
		},
		"rest": func(t *testing.T, i int) error {
			body := `{"values":{"first_name":"Ada"}}` + strings.Repeat(" ", 460)
			code, resp := post(t, ts.httpURL, fmt.Sprintf("/v1/users/auth0%%7C%03d/fields", i), body, map[string]string{"Content-Type": "application/json"})
			if code != http.StatusOK {
				return fmt.Errorf("HTTP %d: %s", code, resp)
			}
			return nil
		},
	}
	for _, tr := range transports {
		t.Run(tr.name, func(t *testing.T) {
			call := calls[tr.name]
			var wg sync.WaitGroup
			errs := make(chan error, 9)
			start := func(i int) {
				wg.Add(1)
				go func() {
					defer wg.Done()
					errs <- call(t, i)
				}()
			}
			for i := range 8 {
				start(i)
			}
			for range 8 {
				select {
				case <-held.entered:
				case <-time.After(10 * time.Second):
					t.Fatal("8 calls within the budget did not all reach the store")
				}
			}
			start(8)
			select {
			case id := <-held.entered:
				t.Errorf("a 9th call (%.12s...) was decoded and handled while 8 held the whole budget", id)
			case <-time.After(300 * time.Millisecond):
			}
			held.release <- struct{}{} // one call ends, and gives its bytes back
			select {
			case <-held.entered:
			case <-time.After(10 * time.Second):
				t.Error("the 9th call was not handled after another call ended")
			}
			for range 8 {
				held.release <- struct{}{}
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				if err != nil {
					t.Errorf("call: %v", err)
				}
			}
		})
	}
}
