package main

import (
	"flag"
	"fmt"
	"os"

	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/api/types"
	"sigs.k8s.io/kustomize/kyaml/filesys"
)

// runKustomize builds a kustomization with kustomize's own engine (the one `kustomize build` and
// `kubectl kustomize` run) and prints the YAML stream. -load-restrictor none is
// `--load-restrictor=LoadRestrictionsNone`: files outside the kustomization's folder may be read.
func runKustomize(args []string) error {
	fs := flag.NewFlagSet("kustomize", flag.ContinueOnError)
	restrictor := fs.String("load-restrictor", "rootOnly", "rootOnly (kustomize's default) or none")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return fmt.Errorf("usage: kustomize [-load-restrictor rootOnly|none] DIR")
	}
	opts := krusty.MakeDefaultOptions()
	switch *restrictor {
	case "rootOnly":
		opts.LoadRestrictions = types.LoadRestrictionsRootOnly
	case "none":
		opts.LoadRestrictions = types.LoadRestrictionsNone
	default:
		return fmt.Errorf("-load-restrictor: want rootOnly or none, got %q", *restrictor)
	}
	resources, err := krusty.MakeKustomizer(opts).Run(filesys.MakeFsOnDisk(), fs.Arg(0))
	if err != nil {
		return err
	}
	out, err := resources.AsYaml()
	if err != nil {
		return err
	}
	_, err = os.Stdout.Write(out)
	return err
}
