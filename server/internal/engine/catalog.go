package engine

import (
	"regexp"
	"strings"
	"time"
)

// FieldType is the kind of value a field holds.
type FieldType string

// The field types a catalog may use.
const (
	TypeText        FieldType = "text"
	TypeEmail       FieldType = "email"
	TypeURL         FieldType = "url"
	TypePhone       FieldType = "phone"
	TypeDate        FieldType = "date"
	TypeInteger     FieldType = "integer"
	TypeNumber      FieldType = "number"
	TypeBoolean     FieldType = "boolean"
	TypeChoice      FieldType = "choice"
	TypeMultiChoice FieldType = "multi_choice"
)

// StoreKind says which metadata object of the profile holds a field.
type StoreKind string

// The metadata objects a field may live in.
const (
	StoreUserMetadata StoreKind = "user_metadata"
	StoreAppMetadata  StoreKind = "app_metadata"
)

// DefaultDeclineCooldown is how long a declined field or topic stays unasked when the catalog
// does not say otherwise.
const DefaultDeclineCooldown = 30 * 24 * time.Hour

// DefaultMaxLength is the maximum length, in characters, of text-like values whose field sets no
// max_length.
const DefaultMaxLength = 500

// MaxKeyLength is the longest field key, in bytes, that a catalog may declare and that a
// submission may name.
const MaxKeyLength = 128

// MaxFieldsLimit is the largest number of fields a prompt may be asked for; more is a violation.
const MaxFieldsLimit = 50

// Option is one allowed value of a choice or multi_choice field.
type Option struct {
	// Value is what is stored.
	Value string
	// Label is what is shown, in the default language.
	Label string
	// Labels holds translations of Label by locale ("fr", "fr-CA").
	Labels map[string]string
}

// LocalizedLabel returns the option's label for locale (see Field.LocalizedLabel).
func (o *Option) LocalizedLabel(locale string) string {
	return localized(o.Labels, locale, o.Label)
}

// Field is one piece of information the application wants to collect.
type Field struct {
	// Key is the metadata key the value is stored under.
	Key string
	// Label is the field's name shown to users, in the default language.
	Label string
	// Labels holds translations of Label by locale.
	Labels map[string]string
	// Help is an optional explanation shown with the field.
	Help string
	// Helps holds translations of Help by locale.
	Helps map[string]string
	// Type is the kind of value the field holds.
	Type FieldType
	// Required means an empty answer is rejected when the field is submitted; a field can still
	// be declined or cleared with null.
	Required bool
	// MinLength and MaxLength bound text-like values in characters, and multi_choice values in
	// number of choices. Text-like values default to DefaultMaxLength.
	MinLength, MaxLength *int
	// Pattern is an RE2 expression the whole (normalised) value must match.
	Pattern string
	// MinValue and MaxValue bound integer and number values.
	MinValue, MaxValue *float64
	// Options lists the allowed values of choice and multi_choice fields.
	Options []Option
	// Region is the default region (ISO 3166 code such as "FR") of phone numbers given without
	// a leading "+"; without it phone numbers must be international.
	Region string
	// KnownFrom lists root attributes that already answer the field.
	KnownFrom []string
	// Store says which metadata object holds the field; empty means user_metadata.
	Store StoreKind
	// Priority orders the prompt: higher priorities are asked first, ties in catalog order.
	Priority int
	// MinLogins asks the field only from this login on (from logins_count).
	MinLogins int
	// Contexts, when not empty, asks the field only when the prompt names one of them.
	Contexts []string
	// After asks the field only once all these other fields are known.
	After []string
	// DeclineCooldown is how long the field stays unasked after a decline.
	DeclineCooldown time.Duration

	idx      int
	re       *regexp.Regexp
	optIndex map[string]int
	afterIdx []int
	line     int
	lines    map[string]int
}

// LocalizedLabel returns the label for locale: an exact translation, else one for the base
// language ("fr" for "fr-CA"), else the default label.
func (f *Field) LocalizedLabel(locale string) string {
	return localized(f.Labels, locale, f.Label)
}

// LocalizedHelp returns the help text for locale, with the same fallbacks as LocalizedLabel.
func (f *Field) LocalizedHelp(locale string) string {
	return localized(f.Helps, locale, f.Help)
}

// StoreKind returns the metadata object holding the field, user_metadata when unset.
func (f *Field) StoreKind() StoreKind {
	if f.Store == "" {
		return StoreUserMetadata
	}
	return f.Store
}

// Topic is a subscription topic the catalog declares and offers in some contexts.
type Topic struct {
	// Key is the topic's key in user_metadata.subscribed.
	Key string
	// Label is the topic's name shown to users.
	Label string
	// Labels holds translations of Label by locale.
	Labels map[string]string
	// Help is an optional explanation of the topic.
	Help string
	// Helps holds translations of Help by locale.
	Helps map[string]string
	// Contexts lists where the topic is offered; empty means in every prompt.
	Contexts []string
	// DeclineCooldown is how long the topic stays unoffered after a decline.
	DeclineCooldown time.Duration

	line  int
	lines map[string]int
}

// LocalizedLabel returns the topic's label for locale (see Field.LocalizedLabel).
func (t *Topic) LocalizedLabel(locale string) string {
	return localized(t.Labels, locale, t.Label)
}

// LocalizedHelp returns the topic's help for locale (see Field.LocalizedLabel).
func (t *Topic) LocalizedHelp(locale string) string {
	return localized(t.Helps, locale, t.Help)
}

// Branding is how the hosted login step presents itself: a title, a logo and an accent colour.
type Branding struct {
	// Title heads the page, in the default language; empty means the step's own wording.
	Title string
	// Titles holds translations of Title by locale.
	Titles map[string]string
	// Logo is the absolute https URL of an image shown above the title; empty means none.
	Logo string
	// Color is the accent colour of buttons and links, as #rgb or #rrggbb; empty means the
	// step's own.
	Color string

	lines map[string]int
}

// LocalizedTitle returns the title for locale (see Field.LocalizedLabel); empty when the
// catalog sets none.
func (b *Branding) LocalizedTitle(locale string) string {
	return localized(b.Titles, locale, b.Title)
}

// Catalog is the declarative list of fields and topics. Build it with ParseCatalog, LoadCatalog
// or DefaultCatalog; a catalog built in Go must pass Validate before use. Once used it is
// read-only and safe for concurrent use.
type Catalog struct {
	// Fields in catalog order.
	Fields []*Field
	// Topics in catalog order.
	Topics []*Topic
	// DefaultMaxFields is the prompt size when the request gives none.
	DefaultMaxFields int
	// RestrictTopics, when true, accepts subscriptions to declared topics only.
	RestrictTopics bool
	// Branding styles the hosted login step; its zero value means the built-in look.
	Branding Branding

	prepared bool
	fields   map[string]*Field
	topics   map[string]*Topic
	askOrder []*Field
}

// Field returns the field with the given key.
func (c *Catalog) Field(key string) (*Field, bool) {
	if c.fields != nil {
		f, ok := c.fields[key]
		return f, ok
	}
	for _, f := range c.Fields {
		if f.Key == key {
			return f, true
		}
	}
	return nil, false
}

// Topic returns the declared topic with the given key.
func (c *Catalog) Topic(key string) (*Topic, bool) {
	if c.topics != nil {
		t, ok := c.topics[key]
		return t, ok
	}
	for _, t := range c.Topics {
		if t.Key == key {
			return t, true
		}
	}
	return nil, false
}

// localeRE is the shape of a locale tag: letters, digits, "-" and "_", at most 35 characters
// (BCP 47's longest well-formed tags fit).
var localeRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_-]{0,34}$`)

// ValidLocale reports whether locale has the shape of a locale tag, such as "fr" or "fr-CA", to
// look translations up with.
func ValidLocale(locale string) bool { return localeRE.MatchString(locale) }

func localized(m map[string]string, locale, def string) string {
	if len(m) == 0 || locale == "" {
		return def
	}
	if s, ok := m[locale]; ok {
		return s
	}
	for k, s := range m {
		if strings.EqualFold(k, locale) {
			return s
		}
	}
	base, _, found := strings.Cut(strings.ReplaceAll(locale, "_", "-"), "-")
	if !found {
		return def
	}
	for k, s := range m {
		if strings.EqualFold(k, base) {
			return s
		}
	}
	return def
}
