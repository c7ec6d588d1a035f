package loginstep

import (
	"embed"
	"fmt"
	"html/template"
	"strconv"
	"strings"

	"github.com/acme/progressive-profiling/server/internal/engine"
)

//go:embed pages.html
var pagesFS embed.FS

// pages holds the step's templates: form, continue and error.
var pages = template.Must(template.New("pages").ParseFS(pagesFS, "pages.html"))

// page is what the template renders: the form, the page that returns to /continue, or an
// error page.
type page struct {
	T      *texts
	Title  string
	Logo   string
	Accent template.CSS
	// Nonce allows the page's style sheet, and script on the continue page (CSP).
	Nonce string

	// The form.
	Action                string
	Token, State, Binding string
	Fields                []fieldView
	Topics                []topicView
	Summary               []summaryItem
	Invalid               bool

	// The page returning to /continue.
	ContinueURL string
	ReturnToken string

	// An error page.
	Message string
}

type fieldView struct {
	ID, Name, Label, Help, HelpID, Error, ErrorID string
	// Control is input, select, radios or checkboxes.
	Control                            string
	InputType, Autocomplete, InputMode string
	Min, Max, Step                     string
	MaxLength                          int
	Required, Autofocus                bool
	Value                              string
	Options                            []optionView
	// Optional and Choose are the step's words for "(optional)" and an empty choice.
	Optional, Choose string
}

// DescribedBy lists the ids of the help text and the error, for aria-describedby.
func (f fieldView) DescribedBy() string {
	return strings.TrimSpace(f.HelpID + " " + f.ErrorID)
}

type optionView struct {
	ID, Value, Label string
	Selected         bool
}

type topicView struct {
	ID, Name, Label, Help, HelpID string
	Checked                       bool
}

type summaryItem struct {
	Href, Text string
}

// autocomplete maps the root attributes a field is known from to the browser's autofill hint.
var autocomplete = map[string]string{
	"given_name": "given-name", "family_name": "family-name", "name": "name", "nickname": "nickname",
	"email": "email", "phone_number": "tel", "picture": "photo",
}

// formFields builds the views of the prompt's fields, with the answers given and the errors
// found (nil on first display); focus goes to the first field in error.
func formFields(p *engine.Prompt, locale string, given answers, errs map[string]string) ([]fieldView, []summaryItem) {
	out := make([]fieldView, 0, len(p.Fields))
	var summary []summaryItem
	t := textsFor(locale)
	for i, f := range p.Fields {
		v := fieldView{
			ID: fmt.Sprintf("field-%d", i), Name: fieldPrefix + f.Key,
			Label: f.LocalizedLabel(locale), Help: f.LocalizedHelp(locale), Required: f.Required,
			Optional: t.Optional, Choose: t.Choose,
		}
		if v.Help != "" {
			v.HelpID = v.ID + "-help"
		}
		if msg := errs[f.Key]; msg != "" {
			// The engine's descriptions continue a sentence: "Last name is required".
			v.Error, v.ErrorID = v.Label+" "+msg, v.ID+"-error"
			v.Autofocus = len(summary) == 0
			summary = append(summary, summaryItem{Href: "#" + firstControlID(v.ID, f), Text: v.Error})
		}
		for _, a := range f.KnownFrom {
			if hint, ok := autocomplete[a]; ok {
				v.Autocomplete = hint
				break
			}
		}
		control(&v, f, locale, given.values[f.Key])
		out = append(out, v)
	}
	return out, summary
}

// firstControlID is the id a link to the field's error targets: its first radio or checkbox
// for groups.
func firstControlID(id string, f *engine.Field) string {
	if f.Type == engine.TypeBoolean || f.Type == engine.TypeMultiChoice {
		return id + "-0"
	}
	return id
}

// control chooses the input for the field's type and fills in the value given.
func control(v *fieldView, f *engine.Field, locale string, raw []string) {
	first := ""
	if len(raw) > 0 {
		first = raw[0]
	}
	v.Control, v.Value = "input", first
	switch f.Type {
	case engine.TypeText:
		v.InputType = "text"
	case engine.TypeEmail:
		v.InputType, v.Autocomplete = "email", "email"
	case engine.TypeURL:
		v.InputType = "url"
	case engine.TypePhone:
		v.InputType, v.Autocomplete = "tel", "tel"
	case engine.TypeDate:
		v.InputType = "date"
	case engine.TypeInteger, engine.TypeNumber:
		v.InputType, v.InputMode, v.Step = "number", "decimal", "any"
		if f.Type == engine.TypeInteger {
			v.InputMode, v.Step = "numeric", "1"
		}
		if f.MinValue != nil {
			v.Min = strconv.FormatFloat(*f.MinValue, 'g', -1, 64)
		}
		if f.MaxValue != nil {
			v.Max = strconv.FormatFloat(*f.MaxValue, 'g', -1, 64)
		}
	case engine.TypeBoolean:
		v.Control = "radios"
		t := textsFor(locale)
		v.Options = []optionView{{Value: "true", Label: t.Yes, Selected: first == "true"}, {Value: "false", Label: t.No, Selected: first == "false"}}
	case engine.TypeChoice:
		v.Control = "select"
		for _, o := range f.Options {
			v.Options = append(v.Options, optionView{Value: o.Value, Label: o.LocalizedLabel(locale), Selected: o.Value == first})
		}
	case engine.TypeMultiChoice:
		v.Control = "checkboxes"
		chosen := map[string]bool{}
		for _, s := range raw {
			chosen[s] = true
		}
		for _, o := range f.Options {
			v.Options = append(v.Options, optionView{Value: o.Value, Label: o.LocalizedLabel(locale), Selected: chosen[o.Value]})
		}
	}
	if v.InputType == "text" || v.InputType == "email" || v.InputType == "url" || v.InputType == "tel" {
		v.MaxLength = engine.DefaultMaxLength
		if f.MaxLength != nil {
			v.MaxLength = *f.MaxLength
		}
	}
	for i := range v.Options {
		v.Options[i].ID = fmt.Sprintf("%s-%d", v.ID, i)
	}
}

// formTopics builds the opt-in checkboxes of the topics offered.
func formTopics(p *engine.Prompt, locale string, given answers) []topicView {
	out := make([]topicView, 0, len(p.Topics))
	for i, t := range p.Topics {
		v := topicView{ID: fmt.Sprintf("topic-%d", i), Name: topicPrefix + t.Key, Label: t.LocalizedLabel(locale), Help: t.LocalizedHelp(locale), Checked: given.topics[t.Key]}
		if v.Help != "" {
			v.HelpID = v.ID + "-help"
		}
		out = append(out, v)
	}
	return out
}
