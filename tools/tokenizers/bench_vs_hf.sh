#!/bin/bash
# radlite tokenizer throughput against HF tokenizers measured in the same run, same texts, same machine.
# usage: tools/tokenizers/bench_vs_hf.sh TOKENIZER_JSON TEXTS.jsonl [REPEAT]
# needs: build/radlite, node, and NODE_PATH pointing at a node_modules with tokenizers (npm install tokenizers@0.23.2)
set -euo pipefail
tok=$1; texts=$2; repeat=${3:-20}
here=$(cd "$(dirname "$0")" && pwd)
hf=$(node "$here/hf_bench.js" "$tok" "$texts" "$repeat")
rl=$("$here/../../build/radlite" bench-tokenize --tokenizer "$tok" --input "$texts" --repeat "$repeat")
python3 - "$hf" "$rl" <<'PY'
import json, sys
hf, rl = json.loads(sys.argv[1]), json.loads(sys.argv[2])
assert hf["tokens"] == rl["tokens"], ("token counts differ", hf["tokens"], rl["tokens"])
print(json.dumps({"tokens": rl["tokens"], "hf_tokens_per_s": round(hf["tokens_per_s"]),
                  "radlite_tokens_per_s": round(rl["tokens_per_s"]),
                  "ratio": round(rl["tokens_per_s"] / hf["tokens_per_s"], 2)}))
PY
