// Package checkpoint stores and loads training checkpoints: a directory holding
//
//	config.json             architecture (models.Config), preprocessing, step, file digests,
//	                        and the trainer's own state under "train" (free-form JSON)
//	online.safetensors      online network: "encoder.<torchvision name>", "projector.<i>.<name>"
//	target.safetensors      target (EMA) network, same names
//	optimizer.safetensors   optimizer state (names chosen by the trainer), optional
//
// Names follow PyTorch's state_dict ("encoder.layer1.0.bn1.running_mean"), and the files are
// plain safetensors, so Python reads a checkpoint with safetensors.torch.load_file and json.
// A network file may hold extra tensors outside the "encoder." and "projector." prefixes (for
// example the loss's learnable temperature and bias); those are kept and ignored by checks.
//
// Save writes every file through a temporary file, fsync and rename, tensors first and
// config.json last; config.json records each file's size and SHA-256, so a checkpoint whose save
// was interrupted between two renames, or whose file was truncated or replaced, fails to load
// with an error naming the file. Load checks every tensor's name, shape and dtype against the
// architecture and names the offending tensor.
//
// Functions are safe for concurrent use on different directories.
package checkpoint
