package app

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi2"
	"github.com/getkin/kin-openapi/openapi2conv"
	"go.yaml.in/yaml/v3"
)

// TestOpenAPIDocumentIsValidAndComplete: /openapi.json validates as OpenAPI (after conversion
// from Swagger 2.0 to OpenAPI 3 with kin-openapi) and lists every route of the HTTP bindings.
func TestOpenAPIDocumentIsValidAndComplete(t *testing.T) {
	ts := startServer(t, serverOptions{})
	resp, err := http.Get(ts.httpURL + "/openapi.json")
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

	raw, err := os.ReadFile("../../../proto/profile/v1/profile_http.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var bindings struct {
		HTTP struct {
			Rules []map[string]string `yaml:"rules"`
		} `yaml:"http"`
	}
	if err := yaml.Unmarshal(raw, &bindings); err != nil {
		t.Fatal(err)
	}
	if len(bindings.HTTP.Rules) == 0 {
		t.Fatal("no HTTP rules found")
	}
	for _, rule := range bindings.HTTP.Rules {
		for _, method := range []string{"get", "post", "put", "patch", "delete"} {
			path, ok := rule[method]
			if !ok {
				continue
			}
			item := doc3.Paths.Find(path)
			if item == nil || item.GetOperation(strings.ToUpper(method)) == nil {
				t.Errorf("%s %s (%s) is not in the OpenAPI document", strings.ToUpper(method), path, rule["selector"])
				continue
			}
			if op := item.GetOperation(strings.ToUpper(method)); op.Summary == "" && op.Description == "" {
				t.Errorf("%s %s has no description", strings.ToUpper(method), path)
			}
		}
	}
}
