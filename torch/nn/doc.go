// Package nn holds the parameters of a model and the building blocks models are made of:
// Conv2d, BatchNorm2d, Linear, Dropout, with PyTorch's default initialisation.
//
// A Store owns every parameter and buffer of a model under a PyTorch-style dotted name
// ("layer1.0.conv1.weight"), in registration order — the order of PyTorch's state_dict when
// blocks register parameters before buffers, module by module. Paths build names:
//
//	st := nn.NewStore(torch.CPU)
//	defer st.Close()
//	conv := nn.NewConv2d(st.Root().Sub("conv1"), 3, 64, 3, nn.Conv2dConfig{Padding: 1})
//	bn := nn.NewBatchNorm2d(st.Root().Sub("bn1"), 64)
//	if err := st.Err(); err != nil { … }
//	y := s.Relu(bn.Forward(s, conv.Forward(s, x)))   // s: a step's torch.Scope
//
// Ownership: the Store owns its tensors; they live until Store.Close. Blocks keep handles the
// Store owns. Forward results belong to the scope passed in. Store errors are sticky like a
// torch.Scope's: constructors record failures and Store.Err reports the first.
//
// Mode: Store.SetTraining switches BatchNorm (batch statistics and running-stat updates) and
// Dropout between training and evaluation for every block of the store.
//
// Concurrency: a Store is not safe for concurrent use.
//
// Build: like torch, nn needs libtorch through cgo (build tag notorch leaves it empty).
package nn
