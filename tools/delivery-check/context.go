package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/moby/patternmatcher"
	"github.com/moby/patternmatcher/ignorefile"
)

// runContext lists the files `docker build DIR` sends to the builder: DIR minus what DIR/.dockerignore
// excludes, matched with the library BuildKit and the Docker CLI use for it.
func runContext(args []string) error {
	if len(args) != 1 {
		return fmt.Errorf("usage: context DIR")
	}
	root := args[0]
	var patterns []string
	f, err := os.Open(filepath.Join(root, ".dockerignore"))
	switch {
	case err == nil:
		patterns, err = ignorefile.ReadAll(f)
		f.Close()
		if err != nil {
			return err
		}
	case !errors.Is(err, os.ErrNotExist):
		return err
	}
	pm, err := patternmatcher.New(patterns)
	if err != nil {
		return err
	}
	files := []string{}
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(root, path)
		if err != nil || rel == "." {
			return err
		}
		excluded, err := pm.MatchesOrParentMatches(rel)
		if err != nil {
			return err
		}
		if d.IsDir() {
			// Like the builder: skip an excluded folder unless an exception may re-include something in it.
			if excluded && !mayReinclude(pm, rel) {
				return filepath.SkipDir
			}
			return nil
		}
		if !excluded {
			files = append(files, filepath.ToSlash(rel))
		}
		return nil
	})
	if err != nil {
		return err
	}
	out, err := json.Marshal(files)
	if err != nil {
		return err
	}
	_, err = os.Stdout.Write(append(out, '\n'))
	return err
}

// mayReinclude tells whether an exception pattern (!path) could match a path inside the folder dir: its
// leading components match dir's, or it starts with "**".
func mayReinclude(pm *patternmatcher.PatternMatcher, dir string) bool {
	parts := strings.Split(filepath.ToSlash(dir), "/")
	for _, p := range pm.Patterns() {
		if !p.Exclusion() {
			continue
		}
		pp := strings.Split(filepath.ToSlash(p.String()), "/")
		ok := true
		for i := 0; i < len(parts) && ok; i++ {
			if i >= len(pp) {
				break // the pattern names dir itself or a parent: everything inside is re-included
			}
			if strings.HasPrefix(pp[i], "**") {
				return true
			}
			m, err := filepath.Match(pp[i], parts[i])
			ok = err == nil && m
		}
		if ok {
			return true
		}
	}
	return false
}
