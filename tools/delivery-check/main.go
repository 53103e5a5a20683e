// Command delivery-check validates TelemetryPulse's delivery files offline, with the libraries the real
// tools are built from, so a file that passes here is one they accept:
//
//	delivery-check compose [-env-file F] [-profile P] FILE...   load like `docker compose config` (compose-go)
//	delivery-check kustomize [-load-restrictor none] DIR        build like `kustomize build` (krusty)
//	delivery-check context DIR                                  list the files `docker build DIR` sends
//	delivery-check kind FILE                                    decode a kind Cluster config strictly
//	delivery-check tiltfile -context NAME FILE                  evaluate a Tiltfile with recording stubs
//	delivery-check schema SCHEMA DOC...                         validate YAML or JSON against a JSON Schema
//
// Each command prints JSON (YAML for kustomize) on stdout and exits 1 with the problem on stderr.
package main

import (
	"fmt"
	"os"
)

func main() {
	if len(os.Args) < 2 {
		usage()
	}
	args := os.Args[2:]
	var err error
	switch os.Args[1] {
	case "compose":
		err = runCompose(args)
	case "kustomize":
		err = runKustomize(args)
	case "context":
		err = runContext(args)
	case "kind":
		err = runKind(args)
	case "tiltfile":
		err = runTiltfile(args)
	case "schema":
		err = runSchema(args)
	default:
		usage()
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "delivery-check %s: %v\n", os.Args[1], err)
		os.Exit(1)
	}
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: delivery-check compose|context|kustomize|kind|tiltfile|schema ARGS (see main.go)")
	os.Exit(2)
}
