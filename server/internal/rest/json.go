package rest

import (
	"bytes"
	"encoding/json"
	"io"
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	profilev1 "github.com/acme/progressive-profiling/gen/profile/v1"
)

// maxFragments bounds the fragment cache; the service's specs number a few per catalog field
// and locale, far fewer.
const maxFragments = 10000

// restJSON is the gateway's JSON marshaler (protojson with proto field names, every field
// emitted, unknown fields rejected) with a fast path for prompts. The field and topic specs a
// prompt holds are shared, immutable messages (built once per catalog locale by the api
// package), so each one's JSON is encoded once, by protojson itself, and reused; only the few
// scalar fields around them are written per call. The result decodes to the same message as
// protojson's own output (see TestRESTJSONMatchesProtojson). One field is left out when unset
// instead of emitted as null: a prompt's explanation, debugging output that only a request with
// explain gets, so that callers that do not ask for it receive the prompt they always did.
type restJSON struct {
	runtime.JSONPb
	frags sync.Map // proto.Message (a shared spec) -> []byte
	n     atomic.Int64
}

func newRESTJSON() *restJSON {
	return &restJSON{JSONPb: runtime.JSONPb{
		MarshalOptions:   protojson.MarshalOptions{UseProtoNames: true, EmitUnpopulated: true},
		UnmarshalOptions: protojson.UnmarshalOptions{DiscardUnknown: false},
	}}
}

// NewDecoder returns a decoder that takes the whole body as one JSON value: unlike the
// gateway's stream decoder, it rejects anything after the request object
// (`{"values":{...}} {"values":{...}}`) instead of silently ignoring it. An empty body reads as
// io.EOF, which the gateway takes as an empty request, as before.
func (m *restJSON) NewDecoder(r io.Reader) runtime.Decoder {
	return runtime.DecoderFunc(func(v any) error {
		data, err := io.ReadAll(r)
		if err != nil {
			return err
		}
		if len(bytes.TrimSpace(data)) == 0 {
			return io.EOF
		}
		if msg, ok := v.(proto.Message); ok {
			return m.UnmarshalOptions.Unmarshal(data, msg)
		}
		return m.JSONPb.Unmarshal(data, v)
	})
}

// Marshal encodes v, taking the fast path for the responses that carry a prompt (every one of
// them, so that an unset explanation is left out of all of them).
func (m *restJSON) Marshal(v any) ([]byte, error) {
	var err error
	switch r := v.(type) {
	case *profilev1.GetMissingFieldsResponse:
		if r.GetPrompt() != nil {
			buf := make([]byte, 0, 1024)
			buf = append(buf, `{"prompt":`...)
			if buf, err = m.appendPrompt(buf, r.GetPrompt()); err == nil {
				return append(buf, '}'), nil
			}
		}
	case *profilev1.SubmitFieldsResponse:
		if r.GetPrompt() != nil {
			buf := make([]byte, 0, 1024)
			buf = append(buf, `{"prompt":`...)
			if buf, err = m.appendPrompt(buf, r.GetPrompt()); err == nil {
				var keys []byte
				if keys, err = json.Marshal(nonNil(r.GetChangedFields())); err == nil {
					buf = append(append(append(buf, `,"changed_fields":`...), keys...), '}')
					return buf, nil
				}
			}
		}
	case *profilev1.GetLoginPromptResponse:
		if r.GetPrompt() != nil {
			buf := make([]byte, 0, 1024)
			buf = strconv.AppendBool(append(buf, `{"due":`...), r.GetDue())
			buf = append(buf, `,"prompt":`...)
			if buf, err = m.appendPrompt(buf, r.GetPrompt()); err == nil {
				claims := []byte("null")
				if c := r.GetSessionTokenClaims(); c != nil {
					claims, err = m.JSONPb.Marshal(c)
				}
				if err == nil {
					return append(append(append(buf, `,"session_token_claims":`...), claims...), '}'), nil
				}
			}
		}
	}
	return m.JSONPb.Marshal(v)
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func (m *restJSON) appendPrompt(buf []byte, p *profilev1.Prompt) ([]byte, error) {
	buf, err := appendFragments(m, append(buf, `{"fields":[`...), p.GetFields())
	if err != nil {
		return nil, err
	}
	if buf, err = appendFragments(m, append(buf, `],"topics":[`...), p.GetTopics()); err != nil {
		return nil, err
	}
	buf = append(buf, `],"complete":`...)
	buf = strconv.AppendBool(buf, p.GetComplete())
	buf = append(buf, `,"known_count":`...)
	buf = strconv.AppendInt(buf, int64(p.GetKnownCount()), 10)
	buf = append(buf, `,"applicable_count":`...)
	buf = strconv.AppendInt(buf, int64(p.GetApplicableCount()), 10)
	if x := p.GetExplanation(); x != nil {
		// Built per call, so encoded per call, by protojson.
		b, err := m.JSONPb.Marshal(x)
		if err != nil {
			return nil, err
		}
		buf = append(append(buf, `,"explanation":`...), b...)
	}
	return append(buf, '}'), nil
}

// appendFragments appends the JSON of the shared spec messages specs, separated by commas.
func appendFragments[T proto.Message](m *restJSON, buf []byte, specs []T) ([]byte, error) {
	for i, spec := range specs {
		if i > 0 {
			buf = append(buf, ',')
		}
		frag, err := m.fragment(spec)
		if err != nil {
			return nil, err
		}
		buf = append(buf, frag...)
	}
	return buf, nil
}

// fragment returns the JSON of a shared spec message, encoding it on first use.
func (m *restJSON) fragment(msg proto.Message) ([]byte, error) {
	if b, ok := m.frags.Load(msg); ok {
		return b.([]byte), nil
	}
	b, err := m.JSONPb.Marshal(msg)
	if err != nil {
		return nil, err
	}
	if m.n.Load() < maxFragments {
		if _, loaded := m.frags.LoadOrStore(msg, b); !loaded {
			m.n.Add(1)
		}
	}
	return b, nil
}
