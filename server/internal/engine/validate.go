package engine

import (
	"cmp"
	"errors"
	"fmt"
	"maps"
	"math"
	"net/url"
	"regexp"
	"slices"
	"strings"

	"github.com/nyaruka/phonenumbers"

	"github.com/acme/progressive-profiling/server/internal/store"
)

// Metadata keys this package owns; no field may use them.
const (
	declinesKey   = "profiling_declines"
	subscribedKey = "subscribed"
)

// reservedAppMetadataKeys are app_metadata keys Auth0 refuses (its documented list, plus keys it
// rejects in practice because app_metadata is merged onto the root profile).
var reservedAppMetadataKeys = map[string]bool{
	"__tenant": true, "_id": true, "blocked": true, "clientID": true, "created_at": true,
	"email_verified": true, "email": true, "globalClientID": true, "global_client_id": true,
	"identities": true, "lastIP": true, "lastLogin": true, "loginsCount": true, "metadata": true,
	"multifactor": true, "updated_at": true, "user_id": true, "username": true,
	"phone_number": true, "phone_verified": true, "app_metadata": true, "user_metadata": true,
}

var (
	topicKeyRE = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,63}$`)
	contextRE  = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.:/-]{0,127}$`)
	colorRE    = regexp.MustCompile(`^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$`)
)

// maxBrandingText bounds the branding title and logo URL, in characters.
const maxBrandingText = 200

// Validate checks a catalog built in Go and prepares it for use; ParseCatalog does this itself.
func (c *Catalog) Validate() error { return c.validate("catalog") }

// validate runs every load-time check, then prepares the lookup structures.
func (c *Catalog) validate(name string) error {
	v := &checker{name: name}
	if c.DefaultMaxFields == 0 {
		c.DefaultMaxFields = 2
	}
	if c.DefaultMaxFields < 1 || c.DefaultMaxFields > MaxFieldsLimit {
		v.errorf(0, "default_max_fields must be between 1 and %d", MaxFieldsLimit)
	}
	byKey := map[string]*Field{}
	for i, f := range c.Fields {
		f.idx = i
		v.field(f)
		if prev, dup := byKey[f.Key]; dup && f.Key != "" {
			v.errorf(at(f.lines, "key", f.line), "duplicate field key %q (first at line %d)", f.Key, at(prev.lines, "key", prev.line))
			continue
		}
		byKey[f.Key] = f
	}
	v.after(c.Fields, byKey)
	topics := map[string]*Topic{}
	for _, t := range c.Topics {
		v.topic(t)
		if prev, dup := topics[t.Key]; dup {
			v.errorf(at(t.lines, "key", t.line), "duplicate topic key %q (first at line %d)", t.Key, at(prev.lines, "key", prev.line))
			continue
		}
		topics[t.Key] = t
	}
	v.branding(&c.Branding)
	if len(v.errs) > 0 {
		return errors.Join(v.errs...)
	}
	c.prepare(byKey, topics)
	return nil
}

func (c *Catalog) prepare(fields map[string]*Field, topics map[string]*Topic) {
	c.fields, c.topics = fields, topics
	c.askOrder = slices.Clone(c.Fields)
	slices.SortStableFunc(c.askOrder, func(a, b *Field) int { return cmp.Compare(b.Priority, a.Priority) })
	for _, f := range c.Fields {
		f.afterIdx = f.afterIdx[:0]
		for _, a := range f.After {
			f.afterIdx = append(f.afterIdx, fields[a].idx)
		}
	}
	c.prepared = true
}

// checker collects load-time errors.
type checker struct {
	name string
	errs []error
}

func (v *checker) errorf(line int, format string, args ...any) {
	where := v.name
	if line > 0 {
		where = fmt.Sprintf("%s:%d", v.name, line)
	}
	v.errs = append(v.errs, fmt.Errorf("%s: %s", where, fmt.Sprintf(format, args...)))
}

// at returns the line of attribute key, else the line of the item.
func at(lines map[string]int, key string, def int) int {
	if l, ok := lines[key]; ok {
		return l
	}
	return def
}

func (v *checker) field(f *Field) {
	line := func(attr string) int { return at(f.lines, attr, f.line) }
	v.key(f, line("key"))
	if !knownType(f.Type) {
		v.errorf(line("type"), "field %q: unknown type %q; the types are %s", f.Key, f.Type, fieldTypeList())
	}
	if f.Store != "" && f.Store != StoreUserMetadata && f.Store != StoreAppMetadata {
		v.errorf(line("store"), "field %q: store must be user_metadata or app_metadata, got %q", f.Key, f.Store)
	}
	if f.MinLogins < 0 {
		v.errorf(line("min_logins"), "field %q: min_logins must not be negative", f.Key)
	}
	if f.Priority < 0 {
		v.errorf(line("priority"), "field %q: priority must not be negative", f.Key)
	}
	if f.DeclineCooldown == 0 {
		f.DeclineCooldown = DefaultDeclineCooldown
	}
	if f.DeclineCooldown < 0 {
		v.errorf(line("decline_cooldown"), "field %q: decline_cooldown must be positive", f.Key)
	}
	for _, a := range f.KnownFrom {
		if strings.TrimSpace(a) == "" {
			v.errorf(line("known_from"), "field %q: known_from holds an empty attribute name", f.Key)
		}
	}
	for _, ctx := range f.Contexts {
		if !contextRE.MatchString(ctx) {
			v.errorf(line("contexts"), "field %q: invalid context %q", f.Key, ctx)
		}
	}
	v.constraints(f, line)
	v.options(f, line)
}

func (v *checker) key(f *Field, line int) {
	switch {
	case strings.TrimSpace(f.Key) == "":
		v.errorf(line, "field key must not be empty")
	case len(f.Key) > MaxKeyLength:
		v.errorf(line, "field key %q is longer than %d bytes", f.Key, MaxKeyLength)
	case store.CheckText(f.Key) != "":
		v.errorf(line, "field key %q %s", f.Key, store.CheckText(f.Key))
	case strings.ContainsAny(f.Key, ".$"):
		v.errorf(line, "field key %q must not contain '.' or '$' (Auth0 metadata keys cannot)", f.Key)
	case f.Key == declinesKey || f.Key == subscribedKey:
		v.errorf(line, "field key %q is reserved by the service", f.Key)
	case f.StoreKind() == StoreAppMetadata && reservedAppMetadataKeys[f.Key]:
		v.errorf(line, "field key %q is reserved by Auth0 in app_metadata", f.Key)
	}
}

// fieldTypes are the field types a catalog may use, in the order error messages list them.
var fieldTypes = []FieldType{TypeText, TypeEmail, TypeURL, TypePhone, TypeDate, TypeInteger, TypeNumber, TypeBoolean, TypeChoice, TypeMultiChoice}

func knownType(t FieldType) bool { return slices.Contains(fieldTypes, t) }

// fieldTypeList lists the field types for a message: "text, email, ... or multi_choice".
func fieldTypeList() string {
	names := make([]string, len(fieldTypes))
	for i, t := range fieldTypes {
		names[i] = string(t)
	}
	return strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
}

func textLike(t FieldType) bool {
	return t == TypeText || t == TypeEmail || t == TypeURL || t == TypePhone
}

func isChoice(t FieldType) bool { return t == TypeChoice || t == TypeMultiChoice }

// constraints checks that each constraint applies to the type and is coherent, and compiles the
// pattern.
func (v *checker) constraints(f *Field, line func(string) int) {
	// Lengths count characters of text-like answers and choices of multi_choice answers; a
	// choice answer is a single option, whose length the options themselves fix.
	lengthOK := textLike(f.Type) || f.Type == TypeMultiChoice
	if (f.MinLength != nil || f.MaxLength != nil) && !lengthOK {
		v.errorf(line(first(f.lines, "min_length", "max_length")), "field %q: min_length/max_length do not apply to type %s", f.Key, f.Type)
	}
	if (f.MinLength != nil && *f.MinLength < 0) || (f.MaxLength != nil && *f.MaxLength < 0) {
		v.errorf(line(first(f.lines, "min_length", "max_length")), "field %q: lengths must not be negative", f.Key)
	}
	if f.MinLength != nil && f.MaxLength != nil && *f.MinLength > *f.MaxLength {
		v.errorf(line("min_length"), "field %q: min_length %d is greater than max_length %d", f.Key, *f.MinLength, *f.MaxLength)
	}
	if f.MinLength != nil && f.MaxLength == nil && textLike(f.Type) && *f.MinLength > DefaultMaxLength {
		v.errorf(line("min_length"), "field %q: min_length %d is greater than the default max_length %d; set max_length", f.Key, *f.MinLength, DefaultMaxLength)
	}
	numeric := f.Type == TypeInteger || f.Type == TypeNumber
	if (f.MinValue != nil || f.MaxValue != nil) && !numeric {
		v.errorf(line(first(f.lines, "min_value", "max_value")), "field %q: min_value/max_value do not apply to type %s", f.Key, f.Type)
	}
	if f.MinValue != nil && f.MaxValue != nil && *f.MinValue > *f.MaxValue {
		v.errorf(line("min_value"), "field %q: min_value %v is greater than max_value %v", f.Key, *f.MinValue, *f.MaxValue)
	}
	for _, b := range []*float64{f.MinValue, f.MaxValue} {
		if b != nil && (math.IsNaN(*b) || math.IsInf(*b, 0)) {
			v.errorf(line(first(f.lines, "min_value", "max_value")), "field %q: bounds must be finite", f.Key)
		}
	}
	if f.Region != "" && (f.Type != TypePhone || phonenumbers.GetCountryCodeForRegion(f.Region) == 0) {
		v.errorf(line("region"), "field %q: region %q must be a supported region code on a phone field", f.Key, f.Region)
	}
	if f.Pattern == "" {
		return
	}
	if !textLike(f.Type) && !isChoice(f.Type) {
		v.errorf(line("pattern"), "field %q: pattern does not apply to type %s", f.Key, f.Type)
		return
	}
	re, err := regexp.Compile(`^(?:` + f.Pattern + `)$`)
	if err != nil {
		v.errorf(line("pattern"), "field %q: invalid pattern: %v", f.Key, err)
		return
	}
	f.re = re
}

func first(lines map[string]int, keys ...string) string {
	for _, k := range keys {
		if _, ok := lines[k]; ok {
			return k
		}
	}
	return keys[0]
}

// options checks choice options: present exactly on choice types, unique, and each one
// acceptable to the field's own validators.
func (v *checker) options(f *Field, line func(string) int) {
	if !isChoice(f.Type) {
		if len(f.Options) > 0 {
			v.errorf(line("options"), "field %q: options do not apply to type %s", f.Key, f.Type)
		}
		return
	}
	if len(f.Options) == 0 {
		v.errorf(line("type"), "field %q: type %s needs options", f.Key, f.Type)
		return
	}
	f.optIndex = make(map[string]int, len(f.Options))
	for i, o := range f.Options {
		if _, dup := f.optIndex[o.Value]; dup {
			v.errorf(line("options"), "field %q: duplicate option value %q", f.Key, o.Value)
			continue
		}
		f.optIndex[o.Value] = i
		if msg := f.checkText(o.Value); msg != "" || strings.TrimSpace(o.Value) != o.Value || o.Value == "" {
			if msg == "" {
				msg = "must be non-empty and without surrounding spaces"
			}
			v.errorf(line("options"), "field %q: option %q breaks the field's own validators: %s", f.Key, o.Value, msg)
		}
	}
	if f.Type == TypeMultiChoice && f.MinLength != nil && *f.MinLength > len(f.Options) {
		v.errorf(line("min_length"), "field %q: min_length %d exceeds the %d options", f.Key, *f.MinLength, len(f.Options))
	}
}

// after checks that After references known fields and has no cycle.
func (v *checker) after(fields []*Field, byKey map[string]*Field) {
	ok := true
	for _, f := range fields {
		for _, a := range f.After {
			if _, exists := byKey[a]; !exists {
				v.errorf(at(f.lines, "after", f.line), "field %q: after references unknown field %q", f.Key, a)
				ok = false
			}
		}
	}
	if !ok {
		return
	}
	state := map[*Field]int{} // 0 unvisited, 1 on the path, 2 done
	var visit func(f *Field, path []string) bool
	visit = func(f *Field, path []string) bool {
		switch state[f] {
		case 1:
			v.errorf(at(f.lines, "after", f.line), "field %q: cycle in after: %s", f.Key, strings.Join(append(path, f.Key), " -> "))
			return false
		case 2:
			return true
		}
		state[f] = 1
		for _, a := range f.After {
			if !visit(byKey[a], append(slices.Clip(path), f.Key)) {
				return false
			}
		}
		state[f] = 2
		return true
	}
	for _, f := range fields {
		if !visit(f, nil) {
			return
		}
	}
}

func (v *checker) topic(t *Topic) {
	line := func(attr string) int { return at(t.lines, attr, t.line) }
	if !topicKeyRE.MatchString(t.Key) {
		v.errorf(line("key"), "topic key %q must be 1 to 64 characters of a-z, 0-9, '_' and '-', starting with a letter or digit", t.Key)
	}
	for _, ctx := range t.Contexts {
		if !contextRE.MatchString(ctx) {
			v.errorf(line("contexts"), "topic %q: invalid context %q", t.Key, ctx)
		}
	}
	if t.DeclineCooldown == 0 {
		t.DeclineCooldown = DefaultDeclineCooldown
	}
	if t.DeclineCooldown < 0 {
		v.errorf(line("decline_cooldown"), "topic %q: decline_cooldown must be positive", t.Key)
	}
}

// branding checks the login step's title, logo and colour: they end up in a page, so the logo
// must be an https image URL and the colour a plain hex colour (nothing that could break out of
// a style sheet).
func (v *checker) branding(b *Branding) {
	line := func(attr string) int { return at(b.lines, attr, 0) }
	for _, t := range append([]string{b.Title}, slices.Collect(maps.Values(b.Titles))...) {
		if len([]rune(t)) > maxBrandingText {
			v.errorf(line(first(b.lines, "title", "titles")), "branding: titles must be at most %d characters long", maxBrandingText)
			break
		}
	}
	if b.Logo != "" {
		u, err := url.Parse(b.Logo)
		if err != nil || u.Scheme != "https" || u.Host == "" || u.User != nil || len(b.Logo) > maxBrandingText {
			v.errorf(line("logo"), "branding: logo %q must be an absolute https URL of at most %d characters", b.Logo, maxBrandingText)
		}
	}
	if b.Color != "" && !colorRE.MatchString(b.Color) {
		v.errorf(line("color"), "branding: color %q must be a hex colour such as #0b5fff or #06f", b.Color)
	}
}
