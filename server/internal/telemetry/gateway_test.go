package telemetry

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
)

func TestGatewayHeaderMatcher(t *testing.T) {
	tests := []struct {
		header  string
		wantKey string
		wantOK  bool
	}{
		{"X-Request-Id", "x-request-id", true},
		{"x-request-id", "x-request-id", true},
		{"X-REQUEST-ID", "x-request-id", true},
		{"User-Agent", "grpcgateway-User-Agent", true},
		{"X-Api-Key", "", false},
		{"Grpc-Metadata-X-Request-Id", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.header, func(t *testing.T) {
			key, ok := GatewayHeaderMatcher(tt.header)
			if key != tt.wantKey || ok != tt.wantOK {
				t.Errorf("GatewayHeaderMatcher(%q): got %q, %v; want %q, %v", tt.header, key, ok, tt.wantKey, tt.wantOK)
			}
		})
	}
}

func TestGatewayOutgoingHeaderMatcher(t *testing.T) {
	tests := []struct {
		key     string
		wantKey string
	}{
		{"x-request-id", "X-Request-Id"},
		{"retry-after-ms", "Grpc-Metadata-retry-after-ms"},
	}
	for _, tt := range tests {
		t.Run(tt.key, func(t *testing.T) {
			key, ok := GatewayOutgoingHeaderMatcher(tt.key)
			if key != tt.wantKey || !ok {
				t.Errorf("GatewayOutgoingHeaderMatcher(%q): got %q, %v; want %q, true", tt.key, key, ok, tt.wantKey)
			}
		})
	}
}

// TestGatewayCarriesRequestIDBothWays drives grpc-gateway's own context annotation and
// response forwarding, as generated handlers do, with GatewayOptions.
func TestGatewayCarriesRequestIDBothWays(t *testing.T) {
	mux := runtime.NewServeMux(GatewayOptions()...)
	var forwarded []string
	err := mux.HandlePath(http.MethodGet, "/v1/check", func(w http.ResponseWriter, r *http.Request, _ map[string]string) {
		ctx, err := runtime.AnnotateContext(r.Context(), mux, r, "/grpc.health.v1.Health/Check")
		if err != nil {
			t.Errorf("AnnotateContext: %v", err)
			return
		}
		md, _ := metadata.FromOutgoingContext(ctx)
		forwarded = md.Get(RequestIDKey)
		// The gRPC server answers with its id in the response header.
		ctx = runtime.NewServerMetadataContext(ctx, runtime.ServerMetadata{HeaderMD: metadata.Pairs(RequestIDKey, "from-server")})
		_, m := runtime.MarshalerForRequest(mux, r)
		runtime.ForwardResponseMessage(ctx, mux, m, w, r, &healthpb.HealthCheckResponse{})
	})
	if err != nil {
		t.Fatal(err)
	}
	req := httptest.NewRequestWithContext(context.Background(), http.MethodGet, "/v1/check", nil)
	req.Header.Set("X-Request-Id", "from-browser")
	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, req)

	got := map[string][]string{"forwarded": forwarded, "response": rec.Header().Values("X-Request-Id")}
	want := map[string][]string{"forwarded": {"from-browser"}, "response": {"from-server"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("request id through the gateway (-want +got):\n%s", diff)
	}
	if v := rec.Header().Get("Grpc-Metadata-X-Request-Id"); v != "" {
		t.Errorf("response also has Grpc-Metadata-X-Request-Id %q, want only X-Request-Id", v)
	}
}
