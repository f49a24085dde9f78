package main

import (
	"fmt"

	"github.com/urfave/cli/v2"

	"github.com/scl-dev/scl/data/augment"
)

// Flags of the views' recipe (augment.Recipe): unset flags keep SPEC §6's views.
const (
	flagGlobalScale = "global-crop-scale"
	flagLocalScale  = "local-crop-scale"
	flagLocalSize   = "local-size"
	flagBlurProb    = "blur-prob"
	flagSolarize    = "solarize-prob"
	flagJitter      = "jitter-strength"
)

// viewRecipeFlags lists the recipe flags under category (empty: none).
func viewRecipeFlags(category string) []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: flagGlobalScale, Category: category, Usage: "global views' crop area range lo,hi (default: 0.1,1, SPEC §6)"},
		&cli.StringFlag{Name: flagLocalScale, Category: category, Usage: "local views' crop area range lo,hi (default: 0.05,1)"},
		&cli.IntFlag{Name: flagLocalSize, Category: category, Usage: "local views' side in pixels (default: int(s·3/7))"},
		&cli.Float64Flag{Name: flagBlurProb, Category: category, Usage: "Gaussian blur probability of every view (default: 1)"},
		&cli.Float64Flag{Name: flagSolarize, Category: category, Usage: "global views' solarize probability (default: 0.2)"},
		&cli.Float64Flag{Name: flagJitter, Category: category, Usage: "scale of ColorJitter's strengths 0.8, 0.8, 0.8, 0.2 (default: 1)"},
	}
}

// viewRecipeFromFlags reads the recipe flags; only flags given on the command line change it.
func viewRecipeFromFlags(c *cli.Context) (augment.Recipe, error) {
	var r augment.Recipe
	for _, f := range []struct {
		name string
		dst  *[2]float64
	}{{flagGlobalScale, &r.GlobalScale}, {flagLocalScale, &r.LocalScale}} {
		if !c.IsSet(f.name) {
			continue
		}
		v, err := augment.ParseRange(c.String(f.name))
		if err != nil {
			return r, fmt.Errorf("--%s: %w", f.name, err)
		}
		*f.dst = v
	}
	r.LocalSize = c.Int(flagLocalSize)
	for _, f := range []struct {
		name string
		dst  **float64
	}{{flagBlurProb, &r.BlurP}, {flagSolarize, &r.SolarizeP}, {flagJitter, &r.Jitter}} {
		if c.IsSet(f.name) {
			v := c.Float64(f.name)
			*f.dst = &v
		}
	}
	if err := r.Validate(); err != nil {
		return r, fmt.Errorf("%w (--%s, --%s, --%s, --%s, --%s, --%s)", err,
			flagGlobalScale, flagLocalScale, flagLocalSize, flagBlurProb, flagSolarize, flagJitter)
	}
	return r, nil
}
