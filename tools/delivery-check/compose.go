package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/compose-spec/compose-go/v2/cli"
)

// runCompose loads compose files the way `docker compose config` does (compose-go: schema validation,
// interpolation from the environment and env files, normalisation, consistency of references) and prints
// the resolved project as JSON.
func runCompose(args []string) error {
	fs := flag.NewFlagSet("compose", flag.ContinueOnError)
	var envFiles, profiles stringList
	fs.Var(&envFiles, "env-file", "env file for interpolation (repeatable; default: .env beside the first file)")
	fs.Var(&profiles, "profile", "profile to enable (repeatable)")
	name := fs.String("project-name", "", "project name (default: the compose file's `name`, else its folder)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		return fmt.Errorf("usage: compose [-env-file F] [-profile P] FILE...")
	}
	dir, err := filepath.Abs(filepath.Dir(fs.Arg(0)))
	if err != nil {
		return err
	}
	opts := []cli.ProjectOptionsFn{
		cli.WithWorkingDirectory(dir),
		cli.WithOsEnv,
		cli.WithEnvFiles(envFiles...),
		cli.WithDotEnv,
		cli.WithProfiles(profiles),
		cli.WithInterpolation(true),
		cli.WithNormalization(true),
		cli.WithResolvedPaths(true),
		cli.WithConsistency(true),
	}
	if *name != "" {
		opts = append(opts, cli.WithName(*name))
	}
	po, err := cli.NewProjectOptions(fs.Args(), opts...)
	if err != nil {
		return err
	}
	project, err := po.LoadProject(context.Background())
	if err != nil {
		return err
	}
	out, err := project.MarshalJSON()
	if err != nil {
		return err
	}
	_, err = os.Stdout.Write(append(out, '\n'))
	return err
}

type stringList []string

func (s *stringList) String() string     { return strings.Join(*s, ",") }
func (s *stringList) Set(v string) error { *s = append(*s, v); return nil }
