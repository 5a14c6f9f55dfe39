package version

import (
	"os"
	"strings"
	"testing"
)

func TestInImage(t *testing.T) {
	base := Info{Program: "p", Version: "0.40+gabc", Board: "virtual"}
	read := func(content string, err error) func(string) ([]byte, error) {
		return func(path string) ([]byte, error) {
			if path != "/etc/picket/version" {
				t.Errorf("read %s, want /etc/picket/version", path)
			}
			return []byte(content), err
		}
	}
	for _, tc := range []struct {
		name, content string
		err           error
		want          string
	}{
		{"image version", "0.40+gabc+ota1\n", nil, "0.40+gabc+ota1"},
		{"no file", "", os.ErrNotExist, "0.40+gabc"},
		{"empty", "\n", nil, "0.40+gabc"},
		{"control characters", "1.0\x1b[2J", nil, "0.40+gabc"},
		{"too long", strings.Repeat("1", 129), nil, "0.40+gabc"},
	} {
		if got := base.InImage(read(tc.content, tc.err)).Version; got != tc.want {
			t.Errorf("%s: version %q, want %q", tc.name, got, tc.want)
		}
	}
}
