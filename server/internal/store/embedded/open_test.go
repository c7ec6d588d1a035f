package embedded

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestOpenCreatesAPrivateDirectoryAndFile(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "nested", "data")
	openTestStore(t, dir)
	tests := []struct {
		path string
		want os.FileMode
	}{
		{dir, 0o700 | os.ModeDir},
		{filepath.Join(dir, FileName), 0o600},
	}
	for _, tt := range tests {
		fi, err := os.Stat(tt.path)
		if err != nil {
			t.Fatalf("Stat: %v", err)
		}
		if got := fi.Mode(); got != tt.want {
			t.Errorf("mode of %s = %v, want %v", tt.path, got, tt.want)
		}
	}
}

func TestOpenFailsFastWhenTheFileIsInUse(t *testing.T) {
	defer func(old time.Duration) { lockTimeout = old }(lockTimeout)
	lockTimeout = 50 * time.Millisecond
	dir := t.TempDir()
	openTestStore(t, dir)
	s, err := Open(Options{Dir: dir})
	if err == nil {
		s.Close()
		t.Fatal("second Open of the same file succeeded, want an error")
	}
	for _, want := range []string{"in use by another process", filepath.Join(dir, FileName)} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not contain %q", err, want)
		}
	}
}

func TestOpenErrorsNameThePath(t *testing.T) {
	file := filepath.Join(t.TempDir(), "a-file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	notADB := t.TempDir()
	if err := os.WriteFile(filepath.Join(notADB, FileName), []byte("not a bbolt file, just text that is long enough"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, dir, want string
	}{
		{"no directory", "", "no data directory"},
		{"directory is a file", file, file},
		{"file is not a store", notADB, filepath.Join(notADB, FileName)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Open(Options{Dir: tt.dir})
			if err == nil {
				s.Close()
				t.Fatal("Open succeeded, want an error")
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not contain %q", err, tt.want)
			}
		})
	}
}
