#!/usr/bin/env bash
# Tokenizer speed, radlite vs Hugging Face tokenizers (Rust, through its Node binding), measured in one run on
# the same ~2.5 MB medical corpus (CancerGov answers and questions), one thread, no truncation.
# usage: tests/bench/bench_tokenizers.sh [BUILD_DIR]      (needs Node.js and the npm registry for the peer)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd); root=$(cd "$here/../.." && pwd)
build=${1:-$root/build}
radlite=$build/radlite
[ -x "$radlite" ] || { echo "build radlite first (missing $radlite)" >&2; exit 2; }
work=${RADLITE_BENCH_DIR:-$(mktemp -d)}
mkdir -p "$work"
if [ ! -d "$work/node_modules/tokenizers" ]; then
  (cd "$work" && npm install --silent tokenizers@0.23.2 >/dev/null)
fi
cp "$here/hf_tokenizers.js" "$work/"
python3 - "$root/examples/data/cancergov" "$work/medical.jsonl" <<'PY'
import json, sys
src, dest = sys.argv[1:]
with open(dest, "w") as out:
    for name in ("corpus.jsonl", "queries.jsonl"):
        for line in open(f"{src}/{name}"):
            out.write(json.dumps({"text": json.loads(line)["text"]}, ensure_ascii=False) + "\n")
PY
printf '%-20s %14s %14s %14s %8s %8s\n' tokenizer "radlite tok/s" "HF tok/s" "HF batch tok/s" ratio "ratio(b)"
for spec in roberta-base:roberta-base/tokenizer.json bert-base-uncased:bert-base-uncased/tokenizer.json; do
  name=${spec%%:*}; file=$root/tests/data/tokenizers/files/${spec#*:}
  hf=$(cd "$work" && node hf_tokenizers.js bench "$file" medical.jsonl 3)
  ours=$("$radlite" bench-tokenize --tokenizer "$file" --input "$work/medical.jsonl" --repeat 3)
  python3 - "$name" "$ours" "$hf" <<'PY'
import json, sys
name, ours, hf = sys.argv[1], json.loads(sys.argv[2]), json.loads(sys.argv[3])
passes = ours["texts"] // hf["texts"]  # radlite reports totals over its repeats
if ours["tokens"] != hf["tokens"] * passes:
    print(f"warning: token counts differ: radlite {ours['tokens'] // passes} vs HF {hf['tokens']}", file=sys.stderr)
r, b = ours["tokens_per_s"] / hf["tokens_per_s"], ours["tokens_per_s"] / hf["batch_tokens_per_s"]
print(f"{name:<20} {ours['tokens_per_s']:14,.0f} {hf['tokens_per_s']:14,.0f} {hf['batch_tokens_per_s']:14,.0f} {r:7.2f}x {b:7.2f}x")
PY
done
echo "corpus: $(wc -l < "$work/medical.jsonl") texts, $(wc -c < "$work/medical.jsonl") bytes of JSON lines"
