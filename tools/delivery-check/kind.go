package main

import (
	"encoding/json"
	"fmt"
	"os"

	"sigs.k8s.io/kind/pkg/apis/config/defaults"
	kind "sigs.k8s.io/kind/pkg/apis/config/v1alpha4"
	"sigs.k8s.io/yaml"
)

// runKind decodes a kind cluster configuration as `kind create cluster --config` does (strict YAML into
// the v1alpha4 types, so a misspelled field is an error), applies kind's defaults and prints it as JSON,
// with the node image this kind release defaults to (go.mod pins the release).
func runKind(args []string) error {
	if len(args) != 1 {
		return fmt.Errorf("usage: kind FILE")
	}
	raw, err := os.ReadFile(args[0])
	if err != nil {
		return err
	}
	var meta struct {
		Kind       string `json:"kind"`
		APIVersion string `json:"apiVersion"`
	}
	if err := yaml.Unmarshal(raw, &meta); err != nil {
		return err
	}
	if meta.Kind != "Cluster" || meta.APIVersion != "kind.x-k8s.io/v1alpha4" {
		return fmt.Errorf("want kind: Cluster, apiVersion: kind.x-k8s.io/v1alpha4; got %q, %q", meta.Kind, meta.APIVersion)
	}
	var cluster kind.Cluster
	if err := yaml.UnmarshalStrict(raw, &cluster); err != nil {
		return err
	}
	kind.SetDefaultsCluster(&cluster)
	out, err := json.MarshalIndent(map[string]any{"cluster": cluster, "defaultNodeImage": defaults.Image}, "", "  ")
	if err != nil {
		return err
	}
	_, err = os.Stdout.Write(append(out, '\n'))
	return err
}
