// Package ptimport turns PyTorch weight files into scl checkpoints: the reference
// implementation's checkpoints, and torchvision or timm state dicts, read from torch.save files
// (package pth) or .safetensors files.
//
// # Layouts
//
//	reference           the reference's full checkpoint (scl_model.pth): the ReLIC module's state
//	                    dict, online_encoder.0.<i>.* (the encoder, an nn.Sequential of
//	                    torchvision's children: for ResNets 0 conv1, 1 bn1, 4–7 layer1–4; for
//	                    EfficientNet 0 features), online_encoder.1.block.{0,1,3}.* (projector:
//	                    Linear, BatchNorm1d, Linear), the same under target_encoder., and the
//	                    loss's scalars tau and b. Both networks, τ and b are imported.
//	reference-encoder   the reference's encoder file (encoder.pth): the target encoder alone,
//	                    <i>.* as above, or 0.<i>.* and 1.block.* when it holds the projector too.
//	torchvision, timm   torchvision's resnet18/resnet50/efficientnet_v2_s state dicts (timm's
//	                    ResNets use the same names): conv1.weight, layer1.0.bn1.running_mean,
//	                    features.0.0.weight, …; the classifier (fc.*, classifier.*) is dropped.
//
// Layout auto picks one from the names. A leading "module." (DataParallel) and a wrapping
// "state_dict"/"model" dict are removed first. The architecture, stem, width (ResNet base width,
// EfficientNet width and depth multipliers) and projector sizes are inferred from the names and
// shapes; Options can state them instead, and any tensor that does not fit the architecture is
// an error naming it (by its name in the file) with the expected and found shapes.
//
// Files without the projector (encoder files, torchvision, timm) get a freshly initialised
// projector of the default size and the online network equal to the target; the notes returned
// with the checkpoint say so, and config.json records the file, its SHA-256, the layout and the
// notes under "import".
package ptimport
