package app

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	spb "google.golang.org/genproto/googleapis/rpc/status"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	profilev1 "github.com/acme/progressive-profiling/gen/profile/v1"
	"github.com/acme/progressive-profiling/server/internal/config"
	"github.com/acme/progressive-profiling/server/internal/store"
	"github.com/acme/progressive-profiling/server/internal/store/embedded"
)

// testServer is the whole service on loopback ports, over an embedded store in a temp folder.
type testServer struct {
	grpcAddr string
	httpURL  string
	store    store.Store
	embedded *embedded.Store
	conn     *grpc.ClientConn
	stop     func()
}

type serverOptions struct {
	cfg   func(*config.Config)
	store store.Store
	now   func() time.Time
	dir   string
	// logs receives the server's JSON logs; nil discards them.
	logs io.Writer
}

func testConfig(dir string) config.Config {
	c := config.Default()
	c.GRPCAddr, c.HTTPAddr = "127.0.0.1:0", "127.0.0.1:0"
	c.DataDir, c.ShutdownTimeout = dir, 5*time.Second
	return c
}

func startServer(t testing.TB, o serverOptions) *testServer {
	t.Helper()
	if o.dir == "" {
		o.dir = t.TempDir()
	}
	cfg := testConfig(o.dir)
	if o.cfg != nil {
		o.cfg(&cfg)
	}
	ts := &testServer{}
	if o.store == nil && cfg.Store == config.StoreEmbedded {
		st, err := embedded.Open(embedded.Options{Dir: o.dir})
		if err != nil {
			t.Fatalf("open embedded store: %v", err)
		}
		ts.embedded = st
		o.store = st
	}
	logger := slog.New(slog.DiscardHandler)
	if o.logs != nil {
		logger = slog.New(slog.NewJSONHandler(o.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	srv, err := New(cfg, logger, Options{Store: o.store, Now: o.now})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	ts.store = srv.store
	grpcLis, err := net.Listen("tcp", cfg.GRPCAddr)
	if err != nil {
		t.Fatal(err)
	}
	httpLis, err := net.Listen("tcp", cfg.HTTPAddr)
	if err != nil {
		t.Fatal(err)
	}
	ts.grpcAddr = grpcLis.Addr().String()
	ts.httpURL = "http://" + httpLis.Addr().String()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, grpcLis, httpLis) }()
	conn, err := grpc.NewClient(ts.grpcAddr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	ts.conn = conn
	var once sync.Once
	ts.stop = func() {
		once.Do(func() {
			conn.Close()
			cancel()
			if err := <-done; err != nil {
				t.Errorf("Serve: %v", err)
			}
			if err := srv.Close(); err != nil {
				t.Errorf("Close: %v", err)
			}
		})
	}
	t.Cleanup(ts.stop)
	return ts
}

// seed imports root attributes for users, as an Auth0 export would give them.
func (ts *testServer) seed(t *testing.T, userID string, attrs map[string]any) {
	t.Helper()
	if _, err := ts.embedded.ImportUsers(context.Background(), []embedded.UserAttributes{{UserID: userID, Attributes: attrs}}); err != nil {
		t.Fatalf("import %s: %v", userID, err)
	}
}

// transport is one way of calling the service; the same tests run over each.
type transport struct {
	name   string
	client func(ts *testServer, token string) profilev1.ProfileServiceClient
}

var transports = []transport{
	{"grpc", func(ts *testServer, token string) profilev1.ProfileServiceClient {
		return &grpcClient{profilev1.NewProfileServiceClient(ts.conn), token}
	}},
	{"rest", func(ts *testServer, token string) profilev1.ProfileServiceClient {
		return &restClient{base: ts.httpURL, token: token}
	}},
}

// grpcClient adds a bearer token to every call.
type grpcClient struct {
	profilev1.ProfileServiceClient
	token string
}

func (c *grpcClient) ctx(ctx context.Context) context.Context {
	if c.token == "" {
		return ctx
	}
	return metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+c.token)
}

func (c *grpcClient) GetMissingFields(ctx context.Context, in *profilev1.GetMissingFieldsRequest, opts ...grpc.CallOption) (*profilev1.GetMissingFieldsResponse, error) {
	return c.ProfileServiceClient.GetMissingFields(c.ctx(ctx), in, opts...)
}

func (c *grpcClient) SubmitFields(ctx context.Context, in *profilev1.SubmitFieldsRequest, opts ...grpc.CallOption) (*profilev1.SubmitFieldsResponse, error) {
	return c.ProfileServiceClient.SubmitFields(c.ctx(ctx), in, opts...)
}

func (c *grpcClient) MarkSubscribed(ctx context.Context, in *profilev1.MarkSubscribedRequest, opts ...grpc.CallOption) (*profilev1.MarkSubscribedResponse, error) {
	return c.ProfileServiceClient.MarkSubscribed(c.ctx(ctx), in, opts...)
}

func (c *grpcClient) GetProfile(ctx context.Context, in *profilev1.GetProfileRequest, opts ...grpc.CallOption) (*profilev1.GetProfileResponse, error) {
	return c.ProfileServiceClient.GetProfile(c.ctx(ctx), in, opts...)
}

func (c *grpcClient) ListFields(ctx context.Context, in *profilev1.ListFieldsRequest, opts ...grpc.CallOption) (*profilev1.ListFieldsResponse, error) {
	return c.ProfileServiceClient.ListFields(c.ctx(ctx), in, opts...)
}

func (c *grpcClient) GetLoginPrompt(ctx context.Context, in *profilev1.GetLoginPromptRequest, opts ...grpc.CallOption) (*profilev1.GetLoginPromptResponse, error) {
	return c.ProfileServiceClient.GetLoginPrompt(c.ctx(ctx), in, opts...)
}

// restClient calls the REST facade as a browser would, and turns error bodies back into gRPC
// statuses, checking that the HTTP status matches the code.
type restClient struct {
	base, token string

	mu sync.Mutex
	// lastHeader holds the response headers of the last call; see header.
	lastHeader http.Header
}

// header returns the response headers of the last call.
func (c *restClient) header() http.Header {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lastHeader
}

var restBody = protojson.MarshalOptions{UseProtoNames: true}

func userPath(id string) string { return "/v1/users/" + url.PathEscape(id) }

func (c *restClient) do(ctx context.Context, method, path string, body proto.Message, out proto.Message) error {
	var rd io.Reader
	if body != nil {
		b, err := restBody.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	c.mu.Lock()
	c.lastHeader = resp.Header
	c.mu.Unlock()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		var st spb.Status
		if err := protojson.Unmarshal(data, &st); err != nil {
			return fmt.Errorf("HTTP %d with a body that is not a google.rpc.Status: %q", resp.StatusCode, data)
		}
		s := status.FromProto(&st)
		if want := runtime.HTTPStatusFromCode(s.Code()); want != resp.StatusCode {
			return fmt.Errorf("HTTP %d for code %s, want HTTP %d", resp.StatusCode, s.Code(), want)
		}
		return s.Err()
	}
	return protojson.Unmarshal(data, out)
}

func (c *restClient) GetMissingFields(ctx context.Context, in *profilev1.GetMissingFieldsRequest, _ ...grpc.CallOption) (*profilev1.GetMissingFieldsResponse, error) {
	q := url.Values{}
	if in.GetContext() != "" {
		q.Set("context", in.GetContext())
	}
	if in.GetMaxFields() != 0 {
		q.Set("max_fields", strconv.Itoa(int(in.GetMaxFields())))
	}
	if in.GetLocale() != "" {
		q.Set("locale", in.GetLocale())
	}
	if in.GetExplain() {
		q.Set("explain", "true")
	}
	out := &profilev1.GetMissingFieldsResponse{}
	path := userPath(in.GetUserId()) + "/missing-fields"
	if len(q) > 0 {
		path += "?" + q.Encode()
	}
	return out, c.do(ctx, http.MethodGet, path, nil, out)
}

func (c *restClient) SubmitFields(ctx context.Context, in *profilev1.SubmitFieldsRequest, _ ...grpc.CallOption) (*profilev1.SubmitFieldsResponse, error) {
	body := proto.Clone(in).(*profilev1.SubmitFieldsRequest)
	body.UserId = ""
	out := &profilev1.SubmitFieldsResponse{}
	return out, c.do(ctx, http.MethodPost, userPath(in.GetUserId())+"/fields", body, out)
}

func (c *restClient) MarkSubscribed(ctx context.Context, in *profilev1.MarkSubscribedRequest, _ ...grpc.CallOption) (*profilev1.MarkSubscribedResponse, error) {
	body := proto.Clone(in).(*profilev1.MarkSubscribedRequest)
	body.UserId = ""
	out := &profilev1.MarkSubscribedResponse{}
	return out, c.do(ctx, http.MethodPost, userPath(in.GetUserId())+"/subscriptions", body, out)
}

func (c *restClient) GetProfile(ctx context.Context, in *profilev1.GetProfileRequest, _ ...grpc.CallOption) (*profilev1.GetProfileResponse, error) {
	out := &profilev1.GetProfileResponse{}
	return out, c.do(ctx, http.MethodGet, userPath(in.GetUserId())+"/profile", nil, out)
}

func (c *restClient) ListFields(ctx context.Context, in *profilev1.ListFieldsRequest, _ ...grpc.CallOption) (*profilev1.ListFieldsResponse, error) {
	out := &profilev1.ListFieldsResponse{}
	path := "/v1/fields"
	if in.GetLocale() != "" {
		path += "?locale=" + url.QueryEscape(in.GetLocale())
	}
	return out, c.do(ctx, http.MethodGet, path, nil, out)
}

func (c *restClient) GetLoginPrompt(ctx context.Context, in *profilev1.GetLoginPromptRequest, _ ...grpc.CallOption) (*profilev1.GetLoginPromptResponse, error) {
	body := proto.Clone(in).(*profilev1.GetLoginPromptRequest)
	body.UserId = ""
	out := &profilev1.GetLoginPromptResponse{}
	return out, c.do(ctx, http.MethodPost, userPath(in.GetUserId())+"/login-prompt", body, out)
}

func httpGet(u string) (int, error) {
	resp, err := http.Get(u)
	if err != nil {
		return 0, err
	}
	resp.Body.Close()
	return resp.StatusCode, nil
}
