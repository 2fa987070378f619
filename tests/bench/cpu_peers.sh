#!/usr/bin/env bash
# radlite against its CPU peers, in one run, on the same weights and the same inputs:
#   ONNX Runtime (npm onnxruntime-node@1.30.0, CPU provider; installed with --ignore-scripts, whose skipped step
#   only fetches GPU files) and PyTorch eager float32 + dynamic int8 (engine onednn; Debian python3-torch).
# bench_cpu writes random-weight RoBERTa-base and MiniLM-L12 cross-encoder directories; torch_peer.py loads those
# safetensors into a plain PyTorch definition (and checks its float32 outputs against radlite's), exports it to
# ONNX for ort_peer.js; every runtime gets radlite's batching (length-sorted, <= 32 rows, <= 8192 tokens).
#
# usage: tests/bench/cpu_peers.sh [BUILD_DIR] [THREADS] [REPEAT]
#   env RADLITE_BENCH_DIR (work folder; default BUILD_DIR/bench_peers), RADLITE_BENCH_DTYPES (default f32,int8;
#   bf16 is slow on CPUs without avx512_bf16 or amx_bf16), PYTHON (default /usr/bin/python3, which has Debian's
#   torch), RADLITE_BENCH_ARGS (extra bench_cpu options)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd); root=$(cd "$here/../.." && pwd)
build=${1:-$root/build}; threads=${2:-$(nproc)}; repeat=${3:-2}
bench=$build/tests/bench/bench_cpu
[ -x "$bench" ] || { echo "build bench_cpu first (missing $bench)" >&2; exit 2; }
work=$(mkdir -p "${RADLITE_BENCH_DIR:-$build/bench_peers}" && cd "${RADLITE_BENCH_DIR:-$build/bench_peers}" && pwd)
py=${PYTHON:-/usr/bin/python3}
mkdir -p "$work/onnx"
if [ ! -d "$work/node_modules/onnxruntime-node" ]; then
  (cd "$work" && npm install --silent --ignore-scripts onnxruntime-node@1.30.0 >/dev/null)
fi
cp "$here/ort_peer.js" "$work/"

# shellcheck disable=SC2086
"$bench" --write-models "$work/models" ${RADLITE_BENCH_ARGS:-}
# radlite first: its JSON also holds the exact inputs (ids) the peers then run.
# shellcheck disable=SC2086
"$bench" --models "$work/models" --threads "$threads" --repeat "$repeat" --dtypes "${RADLITE_BENCH_DTYPES:-f32,int8}" \
  --sections load,tokens,query,rerank --json "$work/radlite.json" ${RADLITE_BENCH_ARGS:-}
"$py" "$here/torch_peer.py" "$work/models" "$work/radlite.json" "$work/torch.json" "$work/onnx" "$threads" "$repeat"
(cd "$work" && node ort_peer.js "$work/onnx" "$work/radlite.json" "$work/ort.json" "$threads" "$repeat")
"$py" "$here/peer_ratios.py" "$work/radlite.json" "$work/torch.json" "$work/ort.json"
