// Package archtest holds the independent reference of the architecture checks: the golden file
// scripts/torchvision_golden.py writes with torchvision (state-dict names and shapes, eval-mode
// outputs on fixed inputs with fixed weights) and the generator of those weights and inputs,
// which the Python script reproduces bit for bit. The tests of models, models/torchnet and
// export compare against it in every CI run, without Python.
package archtest
