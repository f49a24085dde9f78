// Package data reads the image data sets scl trains and evaluates on, and decodes images.
//
// # Data sets
//
// Every data set implements [Dataset]: a fixed number of items, each an 8-bit [Image] (height ×
// width × channels, interleaved), an integer label (-1 when unlabeled) and a stable string id.
// [Open] builds one by name and split:
//
//	fashion_mnist  train | test                 IDX files, gzipped or not (default directory
//	                                            /usr/share/datasets/fashion-mnist), 28×28 grey
//	cifar10        train | test                 official binary version (data_batch_1..5.bin,
//	                                            test_batch.bin) or the python version torchvision
//	                                            downloads (cifar-10-batches-py, pickles read by
//	                                            package scl/pickle), 32×32 RGB
//	cifar100       train | test                 python (cifar-100-python/train, test, meta) or
//	                                            binary version; fine labels (cifar100_coarse: the
//	                                            20 coarse ones)
//	food101        train | test                 official layout (images/, meta/classes.txt,
//	                                            meta/train.txt, meta/test.txt)
//	tiny_imagenet  train | val | test           official layout (wnids.txt, words.txt,
//	                                            train/<wnid>/images, val_annotations.txt)
//	imagenet1k     val (flat) | class folders   flat validation folder + LOC_val_solution.csv
//	                                            (LOC_synset_mapping.txt for the class order)
//	stl10          unlabeled | train | test     official binary version (unlabeled_X.bin,
//	                                            train_X.bin/_y.bin, test_X.bin/_y.bin), 96×96 RGB,
//	                                            column-major on disk, labels 1-based on disk
//	hf             train | validation | test    a Hugging Face hub snapshot: Parquet shards
//	                                            (data/<split>-*.parquet, data/<split>/,
//	                                            <split>/) with an image struct {bytes, path} and
//	                                            a label column, read row group by row group;
//	                                            class names from the Parquet "huggingface"
//	                                            metadata or the dataset card (README.md). Named
//	                                            data sets (tiny_imagenet, food101, imagenet1k)
//	                                            read such a snapshot too when --data-dir is one
//	folder         any                          class sub-directories of JPEG/PNG files (also
//	                                            tiny_imagenet, food101, imagenet1k without their
//	                                            official annotation files, and user data)
//	files          any                          a flat directory or a file list, unlabeled
//
// Labels are always 0-based in memory. [Shard] cuts a data set into contiguous, deterministic
// shards for distributed feature extraction; the training loader (package scl/data/loader) shards
// its shuffled stream itself.
//
// # Bad input
//
// Missing, truncated or mis-sized files and corrupt images are reported as errors that name the
// file, the offset or index, and what was expected. Image folders can instead skip corrupt files
// and count them ([FolderConfig].SkipCorrupt, [Folder.Skipped]). Decoders never trust a header's
// sizes for allocation: IDX payloads are read incrementally and must match the header, image
// dimensions are checked against [MaxPixels] before decoding.
//
// # Memory and concurrency
//
// Fashion-MNIST and CIFAR-10 are held in memory; STL-10 binaries and image folders are read from
// disk per item. Every Dataset is safe for concurrent use by multiple goroutines. Images returned
// by in-memory data sets may share memory with the data set: treat Image.Pix as read-only.
// Data sets holding open files must be closed with Close (idempotent); Close on the others is a
// no-op.
//
// Augmentations live in scl/data/augment, the parallel multi-crop loader in scl/data/loader.
package data
