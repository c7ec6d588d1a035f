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

// Labeled is what users see of an item or an option: its label and the label's translations.
type Labeled struct {
	// Label is what is shown, in the default language.
	Label string
	// Labels holds translations of Label by locale ("fr", "fr-CA").
	Labels map[string]string
}

// LocalizedLabel returns the label for locale: an exact translation, else one for the base
// language ("fr" for "fr-CA"), else the default label.
func (l *Labeled) LocalizedLabel(locale string) string {
	return localized(l.Labels, locale, l.Label)
}

// Option is one allowed value of a choice or multi_choice field.
type Option struct {
	// Value is what is stored.
	Value string
	Labeled
}

// Item is what a field and a topic both are: a key, what users see of it, where it is offered
// and how long a decline holds. Field and Topic embed it.
type Item struct {
	// Key names the item: the metadata key a field's value is stored under, or a topic's key in
	// user_metadata.subscribed.
	Key string
	Labeled
	// Help is an optional explanation shown with the item.
	Help string
	// Helps holds translations of Help by locale.
	Helps map[string]string
	// Contexts, when not empty, offers the item only when the prompt names one of them; empty
	// means in every prompt.
	Contexts []string
	// DeclineCooldown is how long the item stays unasked after a decline.
	DeclineCooldown time.Duration

	// line is where the item starts in the catalog file, lines where each attribute is given.
	line  int
	lines map[string]int
}

// LocalizedHelp returns the help text for locale, with the same fallbacks as LocalizedLabel.
func (it *Item) LocalizedHelp(locale string) string {
	return localized(it.Helps, locale, it.Help)
}

// Field is one piece of information the application wants to collect.
type Field struct {
	Item
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
	// After asks the field only once all these other fields are known.
	After []string

	idx      int
	re       *regexp.Regexp
	optIndex map[string]int
	afterIdx []int
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
	Item
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

// LocalizedTitle returns the title for locale (see Labeled.LocalizedLabel); empty when the
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
func (c *Catalog) Field(key string) (*Field, bool) { return lookup(c.fields, c.Fields, key) }

// Topic returns the declared topic with the given key.
func (c *Catalog) Topic(key string) (*Topic, bool) { return lookup(c.topics, c.Topics, key) }

// lookup returns the item with the given key: from index once the catalog is prepared, else by
// walking list.
func lookup[T interface{ item() *Item }](index map[string]T, list []T, key string) (T, bool) {
	if index != nil {
		t, ok := index[key]
		return t, ok
	}
	for _, t := range list {
		if t.item().Key == key {
			return t, true
		}
	}
	var none T
	return none, false
}

func (it *Item) item() *Item { return it }

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
