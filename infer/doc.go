// Package infer runs exported encoders with ONNX Runtime: sessions on the CPU or CUDA,
// preprocessing from the model's metadata, batch feature extraction to .npy files (scl embed)
// and, in the sub-package infer/server, the HTTP embedding server (scl serve).
//
// # ONNX Runtime
//
// The runtime is a shared library loaded at run time through github.com/yalue/onnxruntime_go
// (which needs ONNX Runtime ≥ 1.24). [LoadRuntime] resolves it — an explicit path (--ort-lib),
// then $SCL_ORT_LIB, then .deps/lib/libonnxruntime.so.1 next to the executable or in the
// current directory or a parent (where scripts/setup.sh installs it), then the system loader
// path — and initialises ONNX Runtime's environment. That environment is process-wide: it is
// created once, under a mutex, and kept for the life of the process. A missing, foreign or
// too-old library is an error wrapping [ErrLibrary] that says to run scripts/setup.sh or pass
// --ort-lib.
//
// # Sessions and devices
//
// [OpenSession] opens a model with one float32 input [batch, C, H, W] and one float32 output
// [batch, D] on a [Device]: "cpu", "cuda[:n]" (CUDA execution provider; failure returns ONNX
// Runtime's reason) or "auto" (CUDA when it can be created, otherwise the CPU with one warning
// through SessionConfig.Warn). The CUDA provider libraries must sit beside the core library.
// A [Session] is safe for concurrent use; the caller must Close it; [LiveSessions] counts
// open sessions for leak tests.
//
// # Preprocessing
//
// [PreprocessFor] reads the model's metadata_props ([MetaImageSize], [MetaMean], [MetaStd],
// [MetaChannelOrder], [MetaFeatureDim]; package preprocess owns the keys and their codec) and
// applies user [Overrides]; the result is the project's one preprocessing spec
// ([Preprocess] = preprocess.Spec). An [Encoder] is a session
// with its preprocessing and optional L2 normalisation: the single definition of an embedding
// shared by scl embed and scl serve.
//
// # Extraction
//
// [OpenEncoder] is the one-call way to get an [Encoder] from a model file; [EmbedDataset]
// returns the features of a data set in memory (for periodic evaluation), and
// [Extract] writes features.npy (float32 [N, D]), labels.npy (int64 [N], labelled data only),
// ids.txt and manifest.json for a data set or one contiguous shard of it, reading batches
// through data/loader (decoding and preprocessing on its worker goroutines) while the previous
// batch runs. Every file is written
// atomically and the manifest last, so a folder with a manifest is complete and a rerun skips
// it; [Merge] joins shard folders in order. [ShardFromEnv] reads the shard from Kubernetes
// Indexed Jobs (JOB_COMPLETION_INDEX/JOB_COMPLETION_COUNT) or Slurm arrays
// (SLURM_ARRAY_TASK_ID/SLURM_ARRAY_TASK_COUNT).
//
// Library code here never prints: progress and warnings go through callbacks.
package infer
