//go:build tools

// Package tools pins the Pulumi CLI to build from the Go module proxy (see ../../Makefile, target pulumi).
package tools

import (
	_ "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi"
)
