package main

import (
	"fmt"
	"runtime/debug"
)

func init() {
	register(&command{
		name:    "version",
		summary: "print the halonsh version and the Go version it was built with",
		run: func(args []string) int {
			version := "devel"
			goVersion := "unknown"
			if info, ok := debug.ReadBuildInfo(); ok {
				goVersion = info.GoVersion
				if info.Main.Version != "" && info.Main.Version != "(devel)" {
					version = info.Main.Version
				}
			}
			fmt.Printf("halonsh %s (%s)\n", version, goVersion)
			return 0
		},
	})
}
