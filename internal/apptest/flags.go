package apptest

import (
	"flag"
	"io"
)

func flagSet() *flag.FlagSet {
	fs := flag.NewFlagSet("apptest", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	return fs
}
