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
	root := doc.Content[0]
	p.mapping(root, func(key string, k, v *yaml.Node) {
		switch key {
		case "default_max_fields":
			c.DefaultMaxFields = p.integer(v)
			if c.DefaultMaxFields < 1 || c.DefaultMaxFields > MaxFieldsLimit {
				p.errorf(v.Line, "default_max_fields must be between 1 and %d", MaxFieldsLimit)
			}
		case "restrict_topics":
			c.RestrictTopics = p.boolean(v)
		case "branding":
			c.Branding = p.branding(v)
		case "fields":
			p.sequence(v, func(n *yaml.Node) { c.Fields = append(c.Fields, p.field(n)) })
		case "topics":
			p.sequence(v, func(n *yaml.Node) { c.Topics = append(c.Topics, p.topic(n)) })
		default:
			p.errorf(k.Line, "unknown catalog attribute %q", key)
		}
	})
	return c
}

func (p *parser) branding(n *yaml.Node) Branding {
	b := Branding{lines: map[string]int{}}
	p.mapping(n, func(key string, k, v *yaml.Node) {
		b.lines[key] = k.Line
		switch key {
		case "title":
			b.Title = p.str(v)
		case "titles":
			b.Titles = p.strMap(v)
		case "logo":
			b.Logo = p.str(v)
		case "color":
			b.Color = p.str(v)
		default:
			p.errorf(k.Line, "unknown branding attribute %q", key)
		}
	})
	return b
}

func (p *parser) field(n *yaml.Node) *Field {
	f := &Field{}
	p.item(n, "field", &f.Item, func(key string, v *yaml.Node) bool { return p.fieldAttr(f, key, v) })
	return f
}

func (p *parser) topic(n *yaml.Node) *Topic {
	t := &Topic{}
	p.item(n, "topic", &t.Item, func(string, *yaml.Node) bool { return false })
	return t
}

// item parses a field or a topic (kind) into it: the attributes every item has, and through
// attr, which reports whether it knows the key, those of its kind. Label defaults to the key,
// DeclineCooldown to DefaultDeclineCooldown.
func (p *parser) item(n *yaml.Node, kind string, it *Item, attr func(key string, v *yaml.Node) bool) {
	it.line, it.lines = n.Line, map[string]int{}
	p.mapping(n, func(key string, k, v *yaml.Node) {
		it.lines[key] = k.Line
		if !p.itemAttr(it, key, v) && !attr(key, v) {
			p.errorf(k.Line, "unknown %s attribute %q", kind, key)
		}
	})
	if _, ok := it.lines["key"]; !ok {
		p.errorf(n.Line, "%s without a key", kind)
	}
	if it.Label == "" {
		it.Label = it.Key
	}
	if _, ok := it.lines["decline_cooldown"]; !ok {
		it.DeclineCooldown = DefaultDeclineCooldown
	}
}

// labelAttr sets label or labels and reports whether key is one of them.
func (p *parser) labelAttr(l *Labeled, key string, v *yaml.Node) bool {
	switch key {
	case "label":
		l.Label = p.str(v)
	case "labels":
		l.Labels = p.strMap(v)
	default:
		return false
	}
	return true
}

// itemAttr sets one attribute every item has and reports whether key is one.
func (p *parser) itemAttr(it *Item, key string, v *yaml.Node) bool {
	if p.labelAttr(&it.Labeled, key, v) {
		return true
	}
	switch key {
	case "key":
		it.Key = p.str(v)
	case "help":
		it.Help = p.str(v)
	case "helps":
		it.Helps = p.strMap(v)
	case "contexts":
		it.Contexts = p.strList(v)
	case "decline_cooldown":
		it.DeclineCooldown = p.duration(v)
	default:
		return false
	}
	return true
}

// fieldAttr sets one attribute only fields have and reports whether key is one.
func (p *parser) fieldAttr(f *Field, key string, v *yaml.Node) bool {
	switch key {
	case "type":
		f.Type = FieldType(p.str(v))
	case "required":
		f.Required = p.boolean(v)
	case "min_length":
		f.MinLength = ptr(p.integer(v))
	case "max_length":
		f.MaxLength = ptr(p.integer(v))
	case "pattern":
		f.Pattern = p.str(v)
	case "min_value":
		f.MinValue = ptr(p.number(v))
	case "max_value":
		f.MaxValue = ptr(p.number(v))
	case "options":
		p.sequence(v, func(n *yaml.Node) { f.Options = append(f.Options, p.option(n)) })
	case "region":
		f.Region = p.str(v)
	case "known_from":
		f.KnownFrom = p.strList(v)
	case "store":
		f.Store = StoreKind(p.str(v))
	case "priority":
		f.Priority = p.integer(v)
	case "min_logins":
		f.MinLogins = p.integer(v)
	case "after":
		f.After = p.strList(v)
	default:
		return false
	}
	return true
}

func (p *parser) option(n *yaml.Node) Option {
	var o Option
	seen := false
	p.mapping(n, func(key string, k, v *yaml.Node) {
		switch {
		case key == "value":
			o.Value, seen = p.str(v), true
		case !p.labelAttr(&o.Labeled, key, v):
			p.errorf(k.Line, "unknown option attribute %q", key)
		}
	})
	if !seen {
		p.errorf(n.Line, "option without a value")
	}
	if o.Label == "" {
		o.Label = o.Value
	}
	return o
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
	p.sequence(n, func(item *yaml.Node) { out = append(out, p.str(item)) })
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
