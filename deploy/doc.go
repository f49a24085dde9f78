// Package deploy holds the container image recipes (Dockerfile, train.Dockerfile,
// train-cuda.Dockerfile) and the Kubernetes manifests; it has no Go code of its own.
//
// Its test, TestServingImage, is the offline proof that the serving image works: it makes the
// base images locally (scripts/offline-bases.sh: debootstrap from Debian's apt mirror, no
// registry), builds deploy/Dockerfile with `make image`, starts the container on loopback with a
// read-only root file system and a small model mounted read-only, and checks /healthz, /info
// (version and commit) and one /v1/embeddings request against the same model run on the host.
// It runs only with SCL_IMAGE_TEST=1 (`make image-test`, which .ci/run calls after `make test`)
// and skips, naming the commands that failed, when the machine cannot run containers at all.
package deploy
