package app

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/structpb"

	profilev1 "github.com/acme/progressive-profiling/gen/profile/v1"
	"github.com/acme/progressive-profiling/server/internal/config"
)

// maxErrorBytes is what an INVALID_ARGUMENT may weigh, as a google.rpc.Status, whatever the
// request: under the 8 KiB of metadata the strictest common gRPC clients accept.
const maxErrorBytes = 6 << 10

// manyKeys returns a Struct of n distinct keys no catalog has, each of about width bytes.
func manyKeys(n, width int) *structpb.Struct {
	s := &structpb.Struct{Fields: make(map[string]*structpb.Value, n)}
	pad := strings.Repeat("k", max(width-8, 0))
	for i := range n {
		s.Fields[fmt.Sprintf("%s%08d", pad, i)] = structpb.NewStringValue("x")
	}
	return s
}

func manyNames(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("d%d", i)
	}
	return out
}

// checkBoundedError checks that err is INVALID_ARGUMENT with a small google.rpc.Status whose
// BadRequest names wantField, and that nothing it echoes is longer than the limits.
func checkBoundedError(t *testing.T, err error, wantField string) {
	t.Helper()
	st := status.Convert(err)
	if st.Code() != codes.InvalidArgument {
		t.Fatalf("got %v, want InvalidArgument", err)
	}
	if n := proto.Size(st.Proto()); n > maxErrorBytes {
		t.Errorf("error is %d bytes, want at most %d", n, maxErrorBytes)
	}
	var fields []string
	for _, d := range st.Details() {
		br, ok := d.(*errdetails.BadRequest)
		if !ok {
			continue
		}
		if n := len(br.GetFieldViolations()); n > 16 {
			t.Errorf("%d violations listed, want at most 16", n)
		}
		for _, v := range br.GetFieldViolations() {
			fields = append(fields, v.GetField())
			if n := len([]rune(v.GetField())); n > 100 {
				t.Errorf("violation field of %d characters echoed, want at most 100", n)
			}
		}
	}
	if len(fields) == 0 || !strings.HasPrefix(fields[0], wantField) {
		t.Errorf("violations name %q, want %s first", fields, wantField)
	}
}

// TestOversizedSubmissionsGetSmallErrors: a submission naming more keys or declines than the
// catalog has fields, or a huge key, is refused with one small error on both transports,
// however large the request (issue 12: a 689 KB submission of 50 000 unknown keys used to
// return a 2.3 MB message and 4.7 MB of trailers).
func TestOversizedSubmissionsGetSmallErrors(t *testing.T) {
	ts := startServer(t, serverOptions{})
	// Requests are limited to 64 KiB (PROFILE_MAX_BODY_BYTES) on both transports: as much as
	// fits in that.
	n := struct{ keys, declines, name int }{2_500, 6_000, 60 << 10}
	for _, tr := range transports {
		t.Run(tr.name, func(t *testing.T) {
			c := tr.client(ts, "")
			ctx := context.Background()
			tests := []struct {
				name  string
				req   *profilev1.SubmitFieldsRequest
				field string
			}{
				{"many unknown keys", &profilev1.SubmitFieldsRequest{UserId: "auth0|b1", Values: manyKeys(n.keys, 12)}, "values"},
				{"many unknown declines", &profilev1.SubmitFieldsRequest{UserId: "auth0|b1", DeclinedFields: manyNames(n.declines)}, "declined_fields"},
				{"many unknown declined topics", &profilev1.SubmitFieldsRequest{UserId: "auth0|b1", DeclinedTopics: manyNames(n.declines)}, "declined_topics"},
				{"a huge key", &profilev1.SubmitFieldsRequest{UserId: "auth0|b1", Values: manyKeys(1, n.name)}, "values.kkkk"},
			}
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					_, err := c.SubmitFields(ctx, tt.req)
					checkBoundedError(t, err, tt.field)
				})
			}
		})
	}
}

// withCatalog makes the server load the catalog yamlText from a temporary file.
func withCatalog(t *testing.T, yamlText string) func(*config.Config) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "catalog.yaml")
	if err := os.WriteFile(path, []byte(yamlText), 0o600); err != nil {
		t.Fatal(err)
	}
	return func(c *config.Config) { c.CatalogPath = path }
}

// TestManyViolationsAreSummarised: past 15 violations, the last listed one counts the rest.
func TestManyViolationsAreSummarised(t *testing.T) {
	var yaml strings.Builder
	yaml.WriteString("fields:\n")
	values := map[string]any{}
	for i := range 40 {
		fmt.Fprintf(&yaml, "  - {key: f%02d, type: integer}\n", i)
		values[fmt.Sprintf("f%02d", i)] = "not a number"
	}
	ts := startServer(t, serverOptions{cfg: withCatalog(t, yaml.String())})
	for _, tr := range transports {
		t.Run(tr.name, func(t *testing.T) {
			_, err := tr.client(ts, "").SubmitFields(context.Background(), &profilev1.SubmitFieldsRequest{UserId: "auth0|b2", Values: mustStruct(t, values)})
			checkBoundedError(t, err, "values.f00")
			var last *errdetails.BadRequest_FieldViolation
			for _, d := range status.Convert(err).Details() {
				if br, ok := d.(*errdetails.BadRequest); ok {
					if n := len(br.GetFieldViolations()); n != 16 {
						t.Errorf("%d violations listed, want 16", n)
					}
					last = br.GetFieldViolations()[len(br.GetFieldViolations())-1]
				}
			}
			if want := "and 25 more violations, not listed"; last.GetField() != "values" || last.GetDescription() != want {
				t.Errorf("last violation: got %s: %q, want values: %q", last.GetField(), last.GetDescription(), want)
			}
		})
	}
}

// TestNonASCIIEchoesFitSmallMetadataLimits: an INVALID_ARGUMENT echoing names of emoji or CJK
// characters still reaches a gRPC client that accepts 8 KiB of metadata (grpc-java's and gRPC
// C-core's default), as INVALID_ARGUMENT with its BadRequest; echoes are cut in bytes (issue 12
// review: cut to 200 characters, then percent-encoded in grpc-message, 16 such violations made
// 16 KiB of trailers, and such clients got RST_STREAM, INTERNAL).
func TestNonASCIIEchoesFitSmallMetadataLimits(t *testing.T) {
	var yaml strings.Builder
	yaml.WriteString("fields:\n")
	for i := range 40 {
		fmt.Fprintf(&yaml, "  - {key: f%02d, type: text}\n", i)
	}
	ts := startServer(t, serverOptions{cfg: withCatalog(t, yaml.String())})
	conn, err := grpc.NewClient(ts.grpcAddr, grpc.WithTransportCredentials(insecure.NewCredentials()), grpc.WithMaxHeaderListSize(8<<10))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	c := profilev1.NewProfileServiceClient(conn)
	names := func(n int, char string) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = fmt.Sprintf("%d%s", i, strings.Repeat(char, 300))
		}
		return out
	}
	for _, tt := range []struct {
		name string
		req  *profilev1.SubmitFieldsRequest
	}{
		{"emoji declines", &profilev1.SubmitFieldsRequest{UserId: "auth0|b3", DeclinedFields: names(30, "\U0001F600")}},
		{"CJK declines and keys", &profilev1.SubmitFieldsRequest{UserId: "auth0|b3", DeclinedFields: names(20, "漢"), Values: &structpb.Struct{Fields: map[string]*structpb.Value{
			strings.Repeat("鍵", 42): structpb.NewNullValue(), strings.Repeat("字", 42): structpb.NewNullValue(),
		}}}},
		{"three long violations in the message", &profilev1.SubmitFieldsRequest{UserId: "auth0|b3", DeclinedFields: names(3, "\U0001F600")}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := c.SubmitFields(context.Background(), tt.req)
			checkBoundedError(t, err, "")
			for _, d := range status.Convert(err).Details() {
				br, ok := d.(*errdetails.BadRequest)
				if !ok {
					continue
				}
				for _, v := range br.GetFieldViolations() {
					if len(v.GetField()) > 100 || len(v.GetDescription()) > 200 || !utf8.ValidString(v.GetDescription()) {
						t.Errorf("violation %q: %q echoes more than 100 and 200 bytes of UTF-8", v.GetField(), v.GetDescription())
					}
				}
			}
		})
	}
}
