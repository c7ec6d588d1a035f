package engine

import (
	_ "embed"
	"errors"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// yamlLineRE finds the line in the YAML library's syntax errors.
var yamlLineRE = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

//go:embed builtin.yaml
var builtinYAML []byte

var builtin = mustParse("builtin.yaml", builtinYAML)

// BuiltinYAML returns a copy of the built-in catalog's YAML text, which also documents the
// catalog format.
func BuiltinYAML() []byte { return slices.Clone(builtinYAML) }

// DefaultCatalog returns the built-in catalog. It is shared: callers must not modify it.
func DefaultCatalog() *Catalog { return builtin }

func mustParse(name string, data []byte) *Catalog {
	c, err := ParseCatalog(name, data)
	if err != nil {
		panic(err)
	}
	return c
}

// LoadCatalog reads and parses the catalog YAML file at path.
func LoadCatalog(path string) (*Catalog, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("catalog: %w", err)
	}
	return ParseCatalog(path, data)
}

// ParseCatalog parses and checks a catalog in YAML. name (usually the file path) prefixes every
// error, as "name:line: message"; all problems found are reported, joined.
func ParseCatalog(name string, data []byte) (*Catalog, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		if m := yamlLineRE.FindStringSubmatch(err.Error()); m != nil {
			return nil, fmt.Errorf("%s:%s: %s", name, m[1], m[2])
		}
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	p := &parser{name: name}
	c := p.catalog(&doc)
	if len(p.errs) > 0 {
		return nil, errors.Join(p.errs...)
	}
	if err := c.validate(name); err != nil {
		return nil, err
	}
	return c, nil
}

// parser turns YAML nodes into a Catalog, collecting errors with their line numbers.
type parser struct {
	name string
	errs []error
}

func (p *parser) errorf(line int, format string, args ...any) {
	p.errs = append(p.errs, fmt.Errorf("%s:%d: %s", p.name, line, fmt.Sprintf(format, args...)))
}

func (p *parser) catalog(doc *yaml.Node) *Catalog {
	c := &Catalog{DefaultMaxFields: 2}
	if doc.Kind == 0 || len(doc.Content) == 0 {
		p.errorf(1, "empty catalog")
		return c
	}
	p.attributes(doc.Content[0], "catalog", attrs{
		"default_max_fields": func(v *yaml.Node) {
			c.DefaultMaxFields = p.integer(v)
			if c.DefaultMaxFields < 1 || c.DefaultMaxFields > MaxFieldsLimit {
				p.errorf(v.Line, "default_max_fields must be between 1 and %d", MaxFieldsLimit)
			}
		},
		"restrict_topics": &c.RestrictTopics,
		"branding":        &c.Branding,
		"fields":          &c.Fields,
		"topics":          &c.Topics,
	})
	return c
}

func (p *parser) branding(n *yaml.Node) Branding {
	var b Branding
	b.lines = p.attributes(n, "branding", attrs{"title": &b.Title, "titles": &b.Titles, "logo": &b.Logo, "color": &b.Color})
	return b
}

func (p *parser) field(n *yaml.Node) *Field {
	f := &Field{}
	p.item(n, "field", &f.Item, attrs{
		"type":       &f.Type,
		"required":   &f.Required,
		"min_length": &f.MinLength,
		"max_length": &f.MaxLength,
		"pattern":    &f.Pattern,
		"min_value":  &f.MinValue,
		"max_value":  &f.MaxValue,
		"options":    &f.Options,
		"region":     &f.Region,
		"known_from": &f.KnownFrom,
		"store":      &f.Store,
		"priority":   &f.Priority,
		"min_logins": &f.MinLogins,
		"after":      &f.After,
	})
	return f
}

func (p *parser) topic(n *yaml.Node) *Topic {
	t := &Topic{}
	p.item(n, "topic", &t.Item, attrs{})
	return t
}

// item parses a field or a topic (kind) into it: the attributes every item has, and a, those of
// its kind. The key must be given; DeclineCooldown defaults to DefaultDeclineCooldown.
func (p *parser) item(n *yaml.Node, kind string, it *Item, a attrs) {
	a["help"], a["helps"], a["contexts"], a["decline_cooldown"] = &it.Help, &it.Helps, &it.Contexts, &it.DeclineCooldown
	it.line, it.lines = n.Line, p.labeled(n, kind, "key", &it.Key, &it.Labeled, a)
	if _, ok := it.lines["decline_cooldown"]; !ok {
		it.DeclineCooldown = DefaultDeclineCooldown
	}
}

func (p *parser) option(n *yaml.Node) Option {
	var o Option
	p.labeled(n, "option", "value", &o.Value, &o.Labeled, attrs{})
	return o
}

// labeled parses something users see (kind): its name, the attribute id that must be given and
// whose value the label defaults to, its label and labels, and a, the attributes of its kind.
// It returns the line of each attribute given.
func (p *parser) labeled(n *yaml.Node, kind, id string, name *string, l *Labeled, a attrs) map[string]int {
	a[id], a["label"], a["labels"] = name, &l.Label, &l.Labels
	lines := p.attributes(n, kind, a)
	if _, ok := lines[id]; !ok {
		p.errorf(n.Line, "%s without a %s", kind, id)
	}
	if l.Label == "" {
		l.Label = *name
	}
	return lines
}

// attrs maps the attributes of one kind of catalog entry to where their values go: a pointer,
// whose type says how the value is read (see set), or a function that reads it.
type attrs map[string]any

// attributes reads the mapping n into the destinations a gives, reporting a key a lacks as an
// unknown attribute of kind. It returns the line of each key given, known or not.
func (p *parser) attributes(n *yaml.Node, kind string, a attrs) map[string]int {
	lines := map[string]int{}
	p.mapping(n, func(key string, k, v *yaml.Node) {
		lines[key] = k.Line
		if dst, ok := a[key]; ok {
			p.set(dst, v)
		} else {
			p.errorf(k.Line, "unknown %s attribute %q", kind, key)
		}
	})
	return lines
}

// set reads v into dst, as dst's type says.
func (p *parser) set(dst any, v *yaml.Node) {
	switch d := dst.(type) {
	case func(*yaml.Node):
		d(v)
	case *string:
		*d = p.str(v)
	case *FieldType:
		*d = FieldType(p.str(v))
	case *StoreKind:
		*d = StoreKind(p.str(v))
	case *[]string:
		*d = p.strList(v)
	case *map[string]string:
		*d = p.strMap(v)
	case *bool:
		*d = p.boolean(v)
	case *int:
		*d = p.integer(v)
	case **int:
		*d = ptr(p.integer(v))
	case **float64:
		*d = ptr(p.number(v))
	case *time.Duration:
		*d = p.duration(v)
	case *Branding:
		*d = p.branding(v)
	case *[]Option:
		appendEach(p, v, d, p.option)
	case *[]*Field:
		appendEach(p, v, d, p.field)
	case *[]*Topic:
		appendEach(p, v, d, p.topic)
	default:
		panic(fmt.Sprintf("catalog parser: no reader for %T", dst))
	}
}

// appendEach reads each element of the list n and appends it to dst.
func appendEach[T any](p *parser, n *yaml.Node, dst *[]T, read func(*yaml.Node) T) {
	p.sequence(n, func(item *yaml.Node) { *dst = append(*dst, read(item)) })
}

// mapping calls fn for each key of a mapping node, rejecting duplicate keys.
func (p *parser) mapping(n *yaml.Node, fn func(key string, k, v *yaml.Node)) {
	if n.Kind != yaml.MappingNode {
		p.errorf(n.Line, "expected a mapping")
		return
	}
	seen := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if first, dup := seen[k.Value]; dup {
			p.errorf(k.Line, "attribute %q already given at line %d", k.Value, first)
			continue
		}
		seen[k.Value] = k.Line
		fn(k.Value, k, v)
	}
}

func (p *parser) sequence(n *yaml.Node, fn func(*yaml.Node)) {
	if n.Kind != yaml.SequenceNode {
		p.errorf(n.Line, "expected a list")
		return
	}
	for _, item := range n.Content {
		fn(item)
	}
}

func (p *parser) str(n *yaml.Node) string {
	if n.Kind != yaml.ScalarNode || n.ShortTag() == "!!null" {
		p.errorf(n.Line, "expected a string")
		return ""
	}
	return n.Value
}

func (p *parser) strList(n *yaml.Node) []string {
	var out []string
	appendEach(p, n, &out, p.str)
	return out
}

func (p *parser) strMap(n *yaml.Node) map[string]string {
	out := map[string]string{}
	p.mapping(n, func(key string, _, v *yaml.Node) { out[key] = p.str(v) })
	return out
}

func (p *parser) integer(n *yaml.Node) int {
	if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!int" {
		if i, err := strconv.Atoi(n.Value); err == nil {
			return i
		}
	}
	p.errorf(n.Line, "expected an integer, got %q", n.Value)
	return 0
}

func (p *parser) number(n *yaml.Node) float64 {
	if n.Kind == yaml.ScalarNode && (n.ShortTag() == "!!int" || n.ShortTag() == "!!float") {
		var f float64
		if err := n.Decode(&f); err == nil {
			return f
		}
	}
	p.errorf(n.Line, "expected a number, got %q", n.Value)
	return 0
}

func (p *parser) boolean(n *yaml.Node) bool {
	if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!bool" {
		var b bool
		if err := n.Decode(&b); err == nil {
			return b
		}
	}
	p.errorf(n.Line, "expected true or false, got %q", n.Value)
	return false
}

// duration accepts Go durations ("720h") and whole days ("30d"); it must be positive.
func (p *parser) duration(n *yaml.Node) time.Duration {
	s := p.str(n)
	var d time.Duration
	var err error
	if days, ok := strings.CutSuffix(s, "d"); ok {
		var i int
		i, err = strconv.Atoi(days)
		if i > maxCooldownDays {
			i = -1
		}
		d = time.Duration(i) * 24 * time.Hour
	} else {
		d, err = time.ParseDuration(s)
	}
	if err != nil || d <= 0 {
		p.errorf(n.Line, "decline_cooldown must be a positive duration such as 720h or 30d, got %q", s)
	}
	return d
}

// maxCooldownDays keeps day counts far from time.Duration overflow (about 292 years).
const maxCooldownDays = 36500

func ptr[T any](v T) *T { return &v }
