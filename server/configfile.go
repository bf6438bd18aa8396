package server

import (
	"errors"
	"io/fs"

	"github.com/anchorpki/anchor/config"
)

// Setting is one command-line override of a configuration key, as config.Set takes it
// ("http_listen", "127.0.0.1:8080").
type Setting struct{ Key, Value string }

// LoadConfig is the configuration `anchor serve` runs with: the file (file, or config.yaml in
// dataDir when file is empty) decoded strictly over the defaults, then the settings, then one
// validation. config.yaml missing from dataDir is the first run, which starts from the defaults
// (and writes the file); a file named explicitly must exist. Every problem of the file, or of
// the result, is reported at once in a *config.Error.
func LoadConfig(dataDir, file string, settings []Setting) (config.Config, error) {
	path := file
	if path == "" {
		path = ConfigPath(dataDir)
	}
	c, err := config.Load(path)
	if err != nil {
		if file != "" || !errors.Is(err, fs.ErrNotExist) {
			return config.Config{}, err
		}
		c = config.Default()
	}
	for _, s := range settings {
		if err := c.Set(s.Key, s.Value); err != nil {
			return config.Config{}, err
		}
	}
	if err := c.Validate(); err != nil {
		return config.Config{}, err
	}
	return c, nil
}
