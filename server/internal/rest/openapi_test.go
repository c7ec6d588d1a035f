package rest

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi2"
	"github.com/getkin/kin-openapi/openapi2conv"
	"google.golang.org/grpc/health"

	"github.com/acme/progressive-profiling/gen/openapi"
	profilev1 "github.com/acme/progressive-profiling/gen/profile/v1"
)

// TestOpenAPIDocumentIsValidAndComplete: /openapi.json validates as OpenAPI (after conversion
// from Swagger 2.0 to OpenAPI 3 with kin-openapi) and lists every route of the HTTP bindings.
func TestOpenAPIDocumentIsValidAndComplete(t *testing.T) {
	ts := startHandler(t)
	resp, err := http.Get(ts.URL + "/openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type = %q, want application/json", ct)
	}
	var doc2 openapi2.T
	if err := json.Unmarshal(body, &doc2); err != nil {
		t.Fatalf("the document is not Swagger 2.0 JSON: %v", err)
	}
	doc3, err := openapi2conv.ToV3(&doc2)
	if err != nil {
		t.Fatalf("convert to OpenAPI 3: %v", err)
	}
	if err := doc3.Validate(context.Background()); err != nil {
		t.Fatalf("the OpenAPI document does not validate: %v", err)
	}

	rules := httpRules(t)
	if len(rules) == 0 {
		t.Fatal("no HTTP rules found")
	}
	for _, rule := range rules {
		method, path := ruleRoute(rule)
		item := doc3.Paths.Find(path)
		if item == nil || item.GetOperation(method) == nil {
			t.Errorf("%s %s (%s) is not in the OpenAPI document", method, path, rule["selector"])
			continue
		}
		if op := item.GetOperation(method); op.Summary == "" && op.Description == "" {
			t.Errorf("%s %s has no description", method, path)
		}
	}
}

// TestOpenAPIDocumentHasATitleAndVersion: the document names the API, not the proto file the
// generator read.
func TestOpenAPIDocumentHasATitleAndVersion(t *testing.T) {
	var doc openapi2.T
	if err := json.Unmarshal(openapi.Document, &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Info.Title == "" || strings.HasSuffix(doc.Info.Title, ".proto") || doc.Info.Version == "" || doc.Info.Version == "version not set" {
		t.Errorf("info: title %q, version %q; want the API's own", doc.Info.Title, doc.Info.Version)
	}
}

// startHandler serves the HTTP side of a server with no caller authentication, over a service
// that answers nothing.
func startHandler(t *testing.T) *httptest.Server {
	t.Helper()
	h, err := NewHandler(context.Background(), Config{
		Service:      profilev1.UnimplementedProfileServiceServer{},
		MaxBodyBytes: 64 << 10,
		Budget:       noBudget{},
		Health:       health.NewServer(),
		Metrics:      http.NotFoundHandler(),
	})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(h)
	t.Cleanup(ts.Close)
	return ts
}

// noBudget bounds nothing.
type noBudget struct{}

func (noBudget) Acquire(_ context.Context, n int64) (int64, error) { return n, nil }
func (noBudget) Release(int64)                                     {}
