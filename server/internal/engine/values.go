package engine

import (
	"encoding/json"
	"fmt"
	"math"
	"net/mail"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/nyaruka/phonenumbers"

	"github.com/acme/progressive-profiling/server/internal/store"
)

// maxSafeInteger is the largest integer a JSON number carries exactly (2^53).
const maxSafeInteger = 1 << 53

var dateRE = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}$`)

// normalize turns a submitted JSON value into the value to store. It reports clear when the
// answer removes the stored value, or a violation description when the value is invalid.
func (f *Field) normalize(v any) (out any, clear bool, msg string) {
	if v == nil {
		return nil, true, ""
	}
	switch f.Type {
	case TypeText, TypeEmail, TypeURL, TypePhone, TypeDate, TypeChoice:
		return f.normalizeString(v)
	case TypeInteger, TypeNumber:
		x, msg := f.normalizeNumber(v)
		if msg != "" {
			return nil, false, msg
		}
		return x, false, ""
	case TypeBoolean:
		b, ok := v.(bool)
		if !ok {
			return nil, false, "must be a boolean (true or false)"
		}
		return b, false, ""
	case TypeMultiChoice:
		return f.normalizeMulti(v)
	}
	return nil, false, fmt.Sprintf("has unsupported type %s", f.Type)
}

// empty handles an empty answer: a violation for required fields, else a clear.
func (f *Field) empty() (any, bool, string) {
	if f.Required {
		return nil, false, "is required"
	}
	return nil, true, ""
}

func (f *Field) normalizeString(v any) (any, bool, string) {
	s, ok := v.(string)
	if !ok {
		return nil, false, "must be a string" + typeHint(f.Type)
	}
	s = strings.TrimSpace(s)
	if s == "" {
		return f.empty()
	}
	if msg := store.CheckText(s); msg != "" {
		return nil, false, msg
	}
	var msg string
	switch f.Type {
	case TypeEmail:
		s, msg = normalizeEmail(s)
	case TypeURL:
		msg = checkURL(s)
	case TypePhone:
		s, msg = f.normalizePhone(s)
	case TypeDate:
		return s, false, checkDate(s)
	case TypeChoice:
		if _, ok := f.optIndex[s]; !ok {
			return nil, false, f.optionsHint(s)
		}
		return s, false, ""
	}
	if msg == "" {
		msg = f.checkText(s)
	}
	if msg != "" {
		return nil, false, msg
	}
	return s, false, ""
}

func typeHint(t FieldType) string {
	switch t {
	case TypeEmail:
		return " (an email address)"
	case TypeURL:
		return " (an http or https URL)"
	case TypePhone:
		return " (a phone number)"
	case TypeDate:
		return " (a date as YYYY-MM-DD)"
	case TypeChoice:
		return " (one of the options)"
	}
	return ""
}

// checkText applies the length and pattern constraints to a normalised string. For
// multi_choice fields only the pattern applies (their lengths count choices).
func (f *Field) checkText(s string) string {
	if f.Type != TypeMultiChoice {
		n := utf8.RuneCountInString(s)
		maxLen := DefaultMaxLength
		if f.MaxLength != nil {
			maxLen = *f.MaxLength
		}
		if f.MinLength != nil && n < *f.MinLength {
			return fmt.Sprintf("must be at least %d characters long", *f.MinLength)
		}
		if n > maxLen {
			return fmt.Sprintf("must be at most %d characters long", maxLen)
		}
	}
	if f.re != nil && !f.re.MatchString(s) {
		return "does not match the expected format"
	}
	return ""
}

func normalizeEmail(s string) (string, string) {
	s = strings.ToLower(s)
	addr, err := mail.ParseAddress(s)
	if err != nil || addr.Name != "" || addr.Address != s {
		return "", "must be a single email address, such as name@example.com"
	}
	return s, ""
}

func checkURL(s string) string {
	u, err := url.Parse(s)
	if err != nil || strings.ContainsFunc(s, unicode.IsSpace) || u.Host == "" ||
		(!strings.EqualFold(u.Scheme, "http") && !strings.EqualFold(u.Scheme, "https")) {
		return "must be an absolute http or https URL"
	}
	return ""
}

func (f *Field) normalizePhone(s string) (string, string) {
	if f.Region == "" && !strings.HasPrefix(s, "+") {
		return "", "must be an international number starting with + and the country code"
	}
	num, err := phonenumbers.Parse(s, f.Region)
	if err != nil || !phonenumbers.IsValidNumber(num) {
		return "", "is not a valid phone number"
	}
	if num.GetExtension() != "" {
		return "", "must not have an extension"
	}
	return phonenumbers.Format(num, phonenumbers.E164), ""
}

func checkDate(s string) string {
	if !dateRE.MatchString(s) {
		return "must be a date as YYYY-MM-DD"
	}
	if _, err := time.Parse(time.DateOnly, s); err != nil {
		return "is not a real date"
	}
	return ""
}

func (f *Field) normalizeNumber(v any) (float64, string) {
	want := "a number"
	if f.Type == TypeInteger {
		want = "an integer"
	}
	x, ok := toFloat(v)
	if !ok {
		return 0, "must be " + want
	}
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return 0, "must be a finite number"
	}
	if f.Type == TypeInteger {
		if x != math.Trunc(x) {
			return 0, "must be a whole number"
		}
		if math.Abs(x) > maxSafeInteger {
			return 0, "must be between -2^53 and 2^53"
		}
	}
	if f.MinValue != nil && x < *f.MinValue {
		return 0, "must be at least " + formatNumber(*f.MinValue)
	}
	if f.MaxValue != nil && x > *f.MaxValue {
		return 0, "must be at most " + formatNumber(*f.MaxValue)
	}
	return x, ""
}

func toFloat(v any) (float64, bool) {
	switch n := v.(type) {
	case float64:
		return n, true
	case float32:
		return float64(n), true
	case int:
		return float64(n), true
	case int64:
		return float64(n), true
	case json.Number:
		x, err := n.Float64()
		return x, err == nil
	}
	return 0, false
}

func formatNumber(x float64) string { return strconv.FormatFloat(x, 'g', -1, 64) }

// maxListedOptions bounds how many option values a violation lists.
const maxListedOptions = 10

func (f *Field) optionsHint(got string) string {
	if len(f.Options) > maxListedOptions {
		return fmt.Sprintf("%q is not one of the field's options", got)
	}
	vals := make([]string, len(f.Options))
	for i, o := range f.Options {
		vals[i] = strconv.Quote(o.Value)
	}
	return fmt.Sprintf("%q is not one of the options: %s", got, strings.Join(vals, ", "))
}

// normalizeMulti accepts a list of unique option values and returns them in catalog order.
func (f *Field) normalizeMulti(v any) (any, bool, string) {
	var items []any
	switch l := v.(type) {
	case []any:
		items = l
	case []string:
		for _, s := range l {
			items = append(items, s)
		}
	default:
		return nil, false, "must be a list of option values"
	}
	if len(items) == 0 {
		return f.empty()
	}
	chosen := make([]bool, len(f.Options))
	for _, it := range items {
		s, ok := it.(string)
		if !ok {
			return nil, false, "must be a list of strings"
		}
		s = strings.TrimSpace(s)
		if msg := store.CheckText(s); msg != "" {
			return nil, false, msg
		}
		i, ok := f.optIndex[s]
		switch {
		case !ok:
			return nil, false, f.optionsHint(s)
		case chosen[i]:
			return nil, false, fmt.Sprintf("%q is chosen more than once", s)
		}
		chosen[i] = true
	}
	if f.MinLength != nil && len(items) < *f.MinLength {
		return nil, false, fmt.Sprintf("must have at least %d choices", *f.MinLength)
	}
	if f.MaxLength != nil && len(items) > *f.MaxLength {
		return nil, false, fmt.Sprintf("must have at most %d choices", *f.MaxLength)
	}
	out := make([]any, 0, len(items))
	for i, ok := range chosen {
		if ok {
			out = append(out, f.Options[i].Value)
		}
	}
	return out, false, ""
}
