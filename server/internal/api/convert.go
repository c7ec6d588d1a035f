package api

import (
	profilev1 "github.com/acme/progressive-profiling/gen/profile/v1"
	"github.com/acme/progressive-profiling/server/internal/engine"
)

var fieldTypes = map[engine.FieldType]profilev1.FieldType{
	engine.TypeText:        profilev1.FieldType_FIELD_TYPE_TEXT,
	engine.TypeEmail:       profilev1.FieldType_FIELD_TYPE_EMAIL,
	engine.TypeURL:         profilev1.FieldType_FIELD_TYPE_URL,
	engine.TypePhone:       profilev1.FieldType_FIELD_TYPE_PHONE,
	engine.TypeDate:        profilev1.FieldType_FIELD_TYPE_DATE,
	engine.TypeInteger:     profilev1.FieldType_FIELD_TYPE_INTEGER,
	engine.TypeNumber:      profilev1.FieldType_FIELD_TYPE_NUMBER,
	engine.TypeBoolean:     profilev1.FieldType_FIELD_TYPE_BOOLEAN,
	engine.TypeChoice:      profilev1.FieldType_FIELD_TYPE_CHOICE,
	engine.TypeMultiChoice: profilev1.FieldType_FIELD_TYPE_MULTI_CHOICE,
}

func fieldToProto(f *engine.Field, locale string) *profilev1.FieldSpec {
	out := &profilev1.FieldSpec{
		Key:      f.Key,
		Label:    f.LocalizedLabel(locale),
		Help:     f.LocalizedHelp(locale),
		Type:     fieldTypes[f.Type],
		Required: f.Required,
		Pattern:  f.Pattern,
		MinValue: f.MinValue,
		MaxValue: f.MaxValue,
		Store:    profilev1.FieldStore_FIELD_STORE_USER_METADATA,
	}
	if f.Store == engine.StoreAppMetadata {
		out.Store = profilev1.FieldStore_FIELD_STORE_APP_METADATA
	}
	if f.MinLength != nil {
		out.MinLength = ptr(int32(*f.MinLength))
	}
	if f.MaxLength != nil {
		out.MaxLength = ptr(int32(*f.MaxLength))
	}
	for _, o := range f.Options {
		out.Options = append(out.Options, &profilev1.FieldOption{Value: o.Value, Label: o.LocalizedLabel(locale)})
	}
	return out
}

func topicToProto(t *engine.Topic, locale string) *profilev1.TopicSpec {
	return &profilev1.TopicSpec{Topic: t.Key, Label: t.LocalizedLabel(locale), Help: t.LocalizedHelp(locale)}
}

func sourceToProto(s engine.Source) profilev1.ValueSource {
	switch s {
	case engine.SourceUserMetadata:
		return profilev1.ValueSource_VALUE_SOURCE_USER_METADATA
	case engine.SourceAppMetadata:
		return profilev1.ValueSource_VALUE_SOURCE_APP_METADATA
	case engine.SourceIdentityProvider:
		return profilev1.ValueSource_VALUE_SOURCE_IDENTITY_PROVIDER
	}
	return profilev1.ValueSource_VALUE_SOURCE_UNSPECIFIED
}

func ptr[T any](v T) *T { return &v }
