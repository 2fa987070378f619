#!/usr/bin/env bash
# Downloads the published RadLITE models from the Hugging Face hub into models/ (needs internet):
#   matulichpt/radlit-biencoder    -> models/radlit-biencoder     (RoBERTa bi-encoder, sentence-transformers)
#   matulichpt/radlit-crossencoder -> models/radlit-crossencoder  (BERT cross-encoder, one logit)
#
# usage: models/download.sh [--dest DIR] [--revision REV] [--force] [--curl] [biencoder|crossencoder|all]
#
# Uses `huggingface-cli download` when it is installed (unless --curl), else curl. Only the files radlite
# reads are fetched: config, weights, tokenizer files and the sentence-transformers module files.
# A repository that has only pytorch_model.bin gets it converted with models/convert_checkpoint.py
# (needs python3 with torch).
# Each model is downloaded into a temporary directory and moved into place when complete, so an
# interrupted run never leaves a half model directory behind.
#
# Environment: HF_TOKEN (sent as a bearer token, for gated or private copies), HF_ENDPOINT (a mirror,
# default https://huggingface.co).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
dest="$here"
revision="main"
force=0
use_hf_cli=1
which="all"
endpoint="${HF_ENDPOINT:-https://huggingface.co}"
endpoint="${endpoint%/}"

die() { echo "download.sh: error: $*" >&2; exit 1; }
usage() { sed -n '2,16p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }

while [ $# -gt 0 ]; do
  case "$1" in
    --dest) [ $# -ge 2 ] || { usage >&2; exit 2; }; dest="$2"; shift 2 ;;
    --revision) [ $# -ge 2 ] || { usage >&2; exit 2; }; revision="$2"; shift 2 ;;
    --force) force=1; shift ;;
    --curl) use_hf_cli=0; shift ;;
    -h|--help) usage; exit 0 ;;
    biencoder|crossencoder|all) which="$1"; shift ;;
    *) echo "download.sh: unknown argument '$1'" >&2; usage >&2; exit 2 ;;
  esac
done

case "$which" in
  biencoder) repos=(radlit-biencoder) ;;
  crossencoder) repos=(radlit-crossencoder) ;;
  all) repos=(radlit-biencoder radlit-crossencoder) ;;
esac
owner="matulichpt"

# Files radlite may read. Weights and config.json are required; the rest exist depending on the model.
optional_files=(
  tokenizer.json tokenizer_config.json special_tokens_map.json added_tokens.json
  vocab.json merges.txt vocab.txt sentencepiece.bpe.model
  modules.json sentence_bert_config.json config_sentence_transformers.json
  README.md LICENSE
)

auth=()
[ -n "${HF_TOKEN:-}" ] && auth=(-H "Authorization: Bearer ${HF_TOKEN}")

# fetch <repo> <file> <out>: 0 downloaded, 1 the file does not exist in the repository; other errors abort.
fetch() {
  local url="${endpoint}/$1/resolve/${revision}/$2" code
  mkdir -p "$(dirname "$3")"
  code=$(curl -sS -L --retry 2 --connect-timeout 15 "${auth[@]}" -o "$3.part" -w '%{http_code}' "$url") ||
    die "downloading $url failed (curl exit $?; see the message above)"
  case "$code" in
    200) mv "$3.part" "$3"; echo "  $2"; return 0 ;;
    404) rm -f "$3.part"; return 1 ;;
    401|403) rm -f "$3.part"; die "$url: HTTP $code (access denied: log in or set HF_TOKEN)" ;;
    *) rm -f "$3.part"; die "$url: HTTP $code" ;;
  esac
}

find_torch_python() {
  local p
  for p in /usr/bin/python3 "$(command -v python3 || true)"; do
    [ -n "$p" ] && [ -x "$p" ] && "$p" -c "import torch" 2>/dev/null && { echo "$p"; return 0; }
  done
  return 1
}

download_with_curl() {  # <repo> <dir>
  local repo="$1" dir="$2" f sub
  fetch "$repo" config.json "$dir/config.json" || die "$repo has no config.json at revision $revision"
  for f in "${optional_files[@]}"; do fetch "$repo" "$f" "$dir/$f" || true; done
  # sentence-transformers modules: 1_Pooling/config.json, 2_Normalize, ... as listed in modules.json.
  if [ -f "$dir/modules.json" ]; then
    for sub in $(sed -n 's/.*"path"[[:space:]]*:[[:space:]]*"\([^"]\+\)".*/\1/p' "$dir/modules.json"); do
      case "$sub" in *..*|/*) die "$repo: modules.json lists an unsafe path '$sub'" ;; esac
      mkdir -p "$dir/$sub"
      fetch "$repo" "$sub/config.json" "$dir/$sub/config.json" || true
    done
  fi
  fetch "$repo" model.safetensors "$dir/model.safetensors" ||
    fetch "$repo" pytorch_model.bin "$dir/pytorch_model.bin" ||
    die "$repo has neither model.safetensors nor pytorch_model.bin at revision $revision"
}

download_with_hf_cli() {  # <repo> <dir>
  huggingface-cli download "$1" --revision "$revision" --local-dir "$2" \
    --include "*.json" "*.safetensors" "*.txt" "*.model" "README.md" "LICENSE" >/dev/null ||
    die "huggingface-cli download $1 failed (see the message above)"
  if [ ! -f "$2/model.safetensors" ]; then
    huggingface-cli download "$1" pytorch_model.bin --revision "$revision" --local-dir "$2" >/dev/null ||
      die "$1 has neither model.safetensors nor pytorch_model.bin at revision $revision"
  fi
  rm -rf "$2/.cache"  # huggingface-cli's bookkeeping, not part of the model
}

# Fail early and clearly when the hub cannot be reached (no network, proxy, DNS).
if ! reason="$(curl -sS -o /dev/null --connect-timeout 15 --max-time 60 "${auth[@]}" \
                  "${endpoint}/api/models/${owner}/${repos[0]}" 2>&1)"; then
  die "cannot reach ${endpoint}: ${reason}. This script needs internet access; on a machine without it,
copy the model directories from a machine that has them (see models/README.md)."
fi

mkdir -p "$dest"
for name in "${repos[@]}"; do
  repo="${owner}/${name}"
  target="$dest/$name"
  if [ -e "$target" ] && [ $force -eq 0 ]; then
    echo "download.sh: $target exists, skipped (--force replaces it)" >&2
    continue
  fi
  tmp="$(mktemp -d "$dest/.${name}.download.XXXXXX")"
  trap 'rm -rf "$tmp"' EXIT
  echo "download.sh: $repo ($revision) -> $target"
  if [ $use_hf_cli -eq 1 ] && command -v huggingface-cli >/dev/null 2>&1; then
    download_with_hf_cli "$repo" "$tmp"
  else
    download_with_curl "$repo" "$tmp"
  fi
  if [ ! -f "$tmp/tokenizer.json" ] && [ ! -f "$tmp/vocab.txt" ] && [ ! -f "$tmp/sentencepiece.bpe.model" ] &&
     { [ ! -f "$tmp/vocab.json" ] || [ ! -f "$tmp/merges.txt" ]; }; then
    die "$repo: no tokenizer files (tokenizer.json, vocab.json+merges.txt, vocab.txt or sentencepiece.bpe.model)"
  fi
  if [ ! -f "$tmp/model.safetensors" ]; then
    py="$(find_torch_python)" ||
      die "$repo has only pytorch_model.bin; converting it needs python3 with torch (Debian: python3-torch)"
    "$py" "$here/convert_checkpoint.py" "$tmp" || die "converting $repo's pytorch_model.bin failed"
    rm -f "$tmp/pytorch_model.bin"
  fi
  rm -rf "$target"
  mv "$tmp" "$target"
  trap - EXIT
  echo "download.sh: $target ready"
done
