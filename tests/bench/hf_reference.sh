#!/usr/bin/env bash
# Regenerates tests/data/tokenizers/extra/*.json from Hugging Face tokenizers 0.23.2 (npm registry needed).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd); root=$(cd "$here/../.." && pwd)
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
(cd "$work" && npm install --silent tokenizers@0.23.2 >/dev/null && python3 "$here/make_stress_texts.py" >/dev/null)
cp "$here/hf_tokenizers.js" "$work/"
F=$root/tests/data/tokenizers/files
declare -A src=(
  [roberta-base]="files/roberta-base/tokenizer.json"
  [bert-base-uncased]="files/bert-base-uncased/tokenizer.json"
  [all-MiniLM-L6-v2]="files/bert-base-uncased/all-MiniLM-L6-v2.tokenizer.json"
  [xlmr-sp-tiny]="../../../models/tiny/xlmr-biencoder-sp-tiny/tokenizer.json")
for n in "${!src[@]}"; do
  p=$root/tests/data/tokenizers/${src[$n]}
  (cd "$work" && node hf_tokenizers.js encode "$p" stress_texts.jsonl > "$n.single.jsonl" \
               && node hf_tokenizers.js encode "$p" stress_pairs.jsonl --pairs > "$n.pairs.jsonl")
  python3 - "$work" "$n" "${src[$n]}" "$root/tests/data/tokenizers/extra/$n.json" <<'PY'
import json, sys
work, n, src, dest = sys.argv[1:]
texts = [json.loads(l)["text"] for l in open(f"{work}/stress_texts.jsonl")]
pairs = [json.loads(l) for l in open(f"{work}/stress_pairs.jsonl")]
s = [json.loads(l) for l in open(f"{work}/{n}.single.jsonl")]
p = [json.loads(l) for l in open(f"{work}/{n}.pairs.jsonl")]
d = {"generated_by": "Hugging Face tokenizers 0.23.2 (npm package `tokenizers`, Rust library) with truncation and padding disabled; texts: synthetic stress strings (see README.md)",
     "tokenizer": src, "max_length_single": 0, "max_length_pair": 0,
     "single": [{"text": t, "input_ids": e["input_ids"], "token_type_ids": e["token_type_ids"]} for t, e in zip(texts, s)],
     "pairs": [{"query": q["query"], "doc": q["doc"], "input_ids": e["input_ids"], "token_type_ids": e["token_type_ids"]} for q, e in zip(pairs, p)]}
json.dump(d, open(dest, "w"), ensure_ascii=False)
PY
done
echo "regenerated $(ls "$root/tests/data/tokenizers/extra"/*.json | wc -l) files"
