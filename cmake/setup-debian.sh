#!/usr/bin/env bash
# Installs radlite's build and test dependencies from Debian's packages.
# Safe to run repeatedly: it only calls apt-get when something is missing.
set -euo pipefail

packages=(
  g++ cmake make pkg-config
  libtorch-dev              # the encoder (CPU build of libtorch)
  libopenblas0-openmp       # makes libtorch's BLAS ~40x faster than the reference BLAS
  # libsentencepiece-dev is the tests' oracle only (test_sentencepiece cross-checks against it): radlite never
  # links it, because Debian's build embeds protobuf 3.14 and crashes any process that also loads libtorch.
  libsentencepiece-dev      # test oracle for radlite's own SentencePiece code (see above)
  libutf8proc-dev           # Unicode categories and normalization for the tokenizers
  libstemmer-dev            # Snowball/Porter stemming for BM25
  libonig-dev               # Oniguruma: the regex engine of HF tokenizers (Replace / Split patterns)
  libdnnl-dev               # oneDNN's int8 matmul on AMX / VNNI CPUs (the library Debian's libtorch links already)
  libeigen3-dev             # dense vectors in the retrieval module
  libcli11-dev              # the radlite tool's option parsing (header-only)
  libhnswlib-dev            # HNSW graphs for approximate dense search (header-only)
  libfaiss-dev              # IVF-PQ approximate dense search (static library; links BLAS/LAPACK, OpenMP)
  nlohmann-json3-dev        # JSON files
  libssl-dev                # libcrypto: SHA-256 of weights and index files
  libgtest-dev libgmock-dev # tests
  python3-torch             # models/convert_checkpoint.py and its test
  curl                      # models/download.sh and its test
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ ${#missing[@]} -gt 0 ]; then
  echo "radlite setup: installing ${missing[*]}" >&2
  sudo_cmd=()
  [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
echo "radlite setup: dependencies present" >&2
