package rest

import (
	"fmt"
	"net/url"
	"sort"
	"strings"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"github.com/grpc-ecosystem/grpc-gateway/v2/utilities"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// strictQueryParser is grpc-gateway's query parser, except that a parameter naming no field of
// the request (a typo such as max_field=3) is an error instead of being silently ignored.
type strictQueryParser struct{ runtime.DefaultQueryParser }

func (p *strictQueryParser) Parse(msg proto.Message, values url.Values, filter *utilities.DoubleArray) error {
	fields := msg.ProtoReflect().Descriptor().Fields()
	var unknown []string
	for key := range values {
		name, _, _ := strings.Cut(key, ".")
		if fields.ByName(protoreflect.Name(name)) == nil && fields.ByJSONName(name) == nil {
			unknown = append(unknown, key)
		}
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		// The gateway turns this into INVALID_ARGUMENT with the text as message.
		return fmt.Errorf("unknown query parameter(s): %s", strings.Join(unknown, ", "))
	}
	return p.DefaultQueryParser.Parse(msg, values, filter)
}
