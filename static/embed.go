// Package static holds the CSS, JavaScript and icons, embedded in the binary
// and served under names that change whenever their content does.
package static

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"sync"
)

//go:embed css js img
var files embed.FS

// FS is the embedded static files.
var FS fs.FS = files

var versions = sync.OnceValue(func() map[string]string {
	m := map[string]string{}
	_ = fs.WalkDir(files, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := files.ReadFile(p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		m[p] = hex.EncodeToString(sum[:6])
		return nil
	})
	return m
})

// Path is the URL of a static file with its content hash, so browsers may
// cache it for a year and still see every new release at once.
func Path(name string) string {
	return "/static/" + name + "?v=" + versions()[name]
}
