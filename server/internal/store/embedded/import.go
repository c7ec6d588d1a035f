package embedded

import (
	"context"
	"fmt"

	"github.com/acme/progressive-profiling/server/internal/store"
)

// UserAttributes is one user to import, as Auth0 holds it.
type UserAttributes struct {
	// UserID is the Auth0 user id, "provider|id".
	UserID string
	// Attributes are the root attributes (given_name, family_name, name, nickname, email,
	// picture, logins_count, identities, ...). They replace the user's stored ones whole.
	Attributes map[string]any
	// UserMetadata, when not empty, is merged into the stored user_metadata at the first
	// level, as an Auth0 PATCH would: keys it names take its values (nil deletes), other
	// stored keys are kept.
	UserMetadata map[string]any
	// AppMetadata is merged into the stored app_metadata like UserMetadata.
	AppMetadata map[string]any
}

// reservedRootKeys are the keys of a user object that are not root attributes.
var reservedRootKeys = []string{"user_id", "user_metadata", "app_metadata"}

// ImportUsers stores the users' root attributes, replacing each user's stored attributes whole,
// and merges the metadata they carry into the stored metadata (see UserAttributes). Users not
// yet stored are created. The import is all or nothing, in one durable transaction; when a user
// appears twice the later entry wins. It returns the number of users imported.
func (s *Store) ImportUsers(ctx context.Context, users []UserAttributes) (int, error) {
	ops := make([]op, 0, len(users))
	for i, u := range users {
		if err := validateImport(u); err != nil {
			return 0, fmt.Errorf("import: user %d: %w", i, err)
		}
		ops = append(ops, op{userID: u.UserID, change: importChange(u)})
	}
	if len(ops) == 0 {
		return 0, nil
	}
	if _, err := s.submit(ctx, ops); err != nil {
		return 0, fmt.Errorf("import: %w", err)
	}
	return len(users), nil
}

func validateImport(u UserAttributes) error {
	if err := store.InvalidUserID(u.UserID); err != nil {
		return err
	}
	for _, k := range reservedRootKeys {
		if _, ok := u.Attributes[k]; ok {
			return invalid("%q is not a root attribute", k)
		}
	}
	return nil
}

// importChange replaces the root attributes and merges the metadata given.
func importChange(u UserAttributes) changeFunc {
	return func(cur *store.Profile) (*store.Profile, error) {
		base := &store.Profile{
			UserID:       cur.UserID,
			Attributes:   u.Attributes,
			UserMetadata: cur.UserMetadata,
			AppMetadata:  cur.AppMetadata,
		}
		return store.Apply(base, store.Patch{UserMetadata: u.UserMetadata, AppMetadata: u.AppMetadata}), nil
	}
}
