package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"sigs.k8s.io/yaml"
)

type schemaResult struct {
	File   string `json:"file"`
	Valid  bool   `json:"valid"`
	Errors string `json:"errors,omitempty"`
}

// runSchema validates YAML or JSON documents against a JSON Schema (draft 2020-12 unless the schema says
// otherwise) and prints one result per document; exits 1 when any is invalid.
func runSchema(args []string) error {
	if len(args) < 2 {
		return fmt.Errorf("usage: schema SCHEMA DOC...")
	}
	schemaPath, err := filepath.Abs(args[0])
	if err != nil {
		return err
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	schema, err := c.Compile(schemaPath)
	if err != nil {
		return err
	}
	results := make([]schemaResult, 0, len(args)-1)
	invalid := 0
	for _, doc := range args[1:] {
		r := schemaResult{File: doc, Valid: true}
		if err := validateDoc(schema, doc); err != nil {
			r.Valid, r.Errors = false, err.Error()
			invalid++
		}
		results = append(results, r)
	}
	out, err := json.MarshalIndent(results, "", "  ")
	if err != nil {
		return err
	}
	if _, err := os.Stdout.Write(append(out, '\n')); err != nil {
		return err
	}
	if invalid > 0 {
		return fmt.Errorf("%d of %d documents invalid", invalid, len(results))
	}
	return nil
}

func validateDoc(schema *jsonschema.Schema, path string) error {
	raw, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	// YAML 1.2 via JSON: the document is validated exactly as a JSON consumer would read it.
	asJSON, err := yaml.YAMLToJSON(raw)
	if err != nil {
		return err
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(asJSON))
	if err != nil {
		return err
	}
	return schema.Validate(inst)
}
