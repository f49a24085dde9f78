package main

// Flag names shared by commands built with and without libtorch (see train_flags.go for the
// rest of scl train's). Names are kebab-case; the reference's underscore spellings are aliases.
const (
	flagGlobalViews = "num-global-views"
	flagLocalViews  = "num-local-views"
)
