#!/usr/bin/env python3
"""Writes the committed seed corpora of the fuzz targets from the repository's fixtures (stdlib only).

    python3 tests/fuzz/make_seeds.py            # from the repository root; rewrites tests/fuzz/seeds/*
                                                # (fuzz_index_load's seeds come from make_index_seeds)
Seeds are kept small (a few KB): libFuzzer mutates them thousands of times a second, and a big seed makes
every execution slow. Large fixtures are therefore cut down here, keeping their structure (the components
of a tokenizer.json, the dtype/shape/offset table of a checkpoint).
"""
import base64
import json
import os
import struct
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SEEDS = os.path.join(ROOT, "tests", "fuzz", "seeds")
TINY = os.path.join(ROOT, "models", "tiny")
DATA = os.path.join(ROOT, "tests", "data")


def write(target, name, data):
    d = os.path.join(SEEDS, target)
    os.makedirs(d, exist_ok=True)
    if isinstance(data, str):
        data = data.encode("utf-8")
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def archive(files, preamble=""):
    parts = [preamble] if preamble else []
    for name, content in files:
        parts.append("#FILE " + name + "\n" + content)
    return "\n".join(parts)


# ---- safetensors: the smallest tensors of the tiny checkpoints, with their real bytes ----
def read_safetensors(path):
    with open(path, "rb") as f:
        blob = f.read()
    (n,) = struct.unpack("<Q", blob[:8])
    header = json.loads(blob[8:8 + n])
    return header, blob[8 + n:]


def safetensors(tensors, metadata=None):
    header, data = {}, b""
    if metadata is not None:
        header["__metadata__"] = metadata
    for name, dtype, shape, raw in tensors:
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [len(data), len(data) + len(raw)]}
        data += raw
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * (-len(h) % 8)  # the format pads the header to 8 bytes
    return struct.pack("<Q", len(h)) + h + data


def safetensors_seeds():
    for model in ("xlmr-biencoder-sp-tiny", "bert-biencoder-cls-tiny", "bert-crossencoder-tiny"):
        header, data = read_safetensors(os.path.join(TINY, model, "model.safetensors"))
        meta = header.pop("__metadata__", None)
        small = sorted(((v["data_offsets"][1] - v["data_offsets"][0], k) for k, v in header.items()))[:4]
        tensors = []
        for _, name in small:
            v = header[name]
            b, e = v["data_offsets"]
            tensors.append((name, v["dtype"], v["shape"], data[b:e]))
        write("fuzz_safetensors", model + ".safetensors", safetensors(tensors, meta))
    f32 = struct.pack("<4f", 1.0, -2.0, 0.5, float("nan"))
    write("fuzz_safetensors", "dtypes.safetensors", safetensors([
        ("a.f16", "F16", [2], struct.pack("<2e", 1.0, -0.5)),
        ("b.bf16", "BF16", [2, 1], b"\x80\x3f\x00\xc0"),
        ("c.f32", "F32", [2, 2], f32),
        ("d.i64", "I64", [1], struct.pack("<q", -7)),
        ("e.scalar", "F32", [], struct.pack("<f", 3.0)),
        ("f.empty", "F32", [0, 4], b""),
    ], {"format": "pt"}))
    write("fuzz_safetensors", "empty-header.safetensors", struct.pack("<Q", 8) + b"{}      ")


# ---- tokenizer.json: each fixture's components, with the vocabulary cut down ----
def cut_bpe(tok, n_merges=60):
    model = tok["model"]
    vocab = model["vocab"]
    merges = model["merges"][:n_merges]
    keep = {t for t in vocab if len(t) == 1}
    for m in merges:
        a, b = m.split(" ") if isinstance(m, str) else m
        keep.update([a, b, a + b])
    keep.update(t["content"] for t in tok.get("added_tokens", []))
    for key in ("unk_token",):
        if model.get(key):
            keep.add(model[key])
    keep.update(t for t in vocab if t.startswith("<0x"))
    ids = sorted(vocab[t] for t in keep if t in vocab)
    renum = {old: new for new, old in enumerate(ids)}
    model["vocab"] = {t: renum[i] for t, i in vocab.items() if i in renum}
    model["merges"] = merges
    return renum


def cut_wordpiece(tok, words=("the", "cancer", "lung", "##s", "##ing", "ct", "scan", "a", "of")):
    model = tok["model"]
    vocab = model["vocab"]
    keep = {t["content"] for t in tok.get("added_tokens", [])} | {model.get("unk_token", "[UNK]")}
    keep.update(t for t in vocab if len(t) == 1 and ord(t) < 0x250)
    keep.update(t for t in vocab if t.startswith("##") and len(t) == 3 and ord(t[2]) < 0x80)
    keep.update(w for w in words if w in vocab)
    ids = sorted(vocab[t] for t in keep if t in vocab)
    renum = {old: new for new, old in enumerate(ids)}
    model["vocab"] = {t: renum[i] for t, i in vocab.items() if i in renum}
    return renum


def renumber_specials(tok, renum):
    tok["added_tokens"] = [dict(t, id=renum[t["id"]]) for t in tok.get("added_tokens", []) if t["id"] in renum]
    pp = tok.get("post_processor")
    if not pp:
        return
    for part in [pp] + pp.get("processors", []):
        for key in ("sep", "cls"):
            if key in part and part[key][1] in renum:
                part[key][1] = renum[part[key][1]]
        for st in part.get("special_tokens", {}).values():
            st["ids"] = [renum.get(i, i) for i in st["ids"]]


def tokenizer_seeds():
    files = DATA + "/tokenizers/files"
    for name, path, kind in (
        ("roberta-bpe", files + "/roberta-base/tokenizer.json", "bpe"),
        ("bert-wordpiece", files + "/bert-base-uncased/tokenizer.json", "wordpiece"),
        ("minilm-wordpiece", files + "/bert-base-uncased/all-MiniLM-L6-v2.tokenizer.json", "wordpiece"),
        ("bpe-byte-fallback", files + "/synthetic/bpe-byte-fallback.tokenizer.json", "bpe"),
    ):
        with open(path, encoding="utf-8") as f:
            tok = json.load(f)
        renum = cut_bpe(tok) if kind == "bpe" else cut_wordpiece(tok)
        renumber_specials(tok, renum)
        write("fuzz_tokenizer_json", name + ".json", json.dumps(tok, ensure_ascii=False, indent=1))
    # Unigram (XLM-R layout) with the first pieces; the Precompiled charsmap is replaced by a small one
    # (trie of one unit, one replacement) since the real one is 300 KB.
    with open(TINY + "/xlmr-biencoder-sp-tiny/tokenizer.json", encoding="utf-8") as f:
        tok = json.load(f)
    tok["model"]["vocab"] = tok["model"]["vocab"][:120] + [tok["model"]["vocab"][-1]]
    blob = struct.pack("<I", 8) + struct.pack("<2I", 0x00000400, 0x80000041) + b"a\0"
    tok["normalizer"] = {"type": "Precompiled", "precompiled_charsmap": base64.b64encode(blob).decode()}
    keep = len(tok["model"]["vocab"])
    tok["added_tokens"] = [t for t in tok["added_tokens"] if t["id"] < keep - 1] + \
        [dict(t, id=keep - 1) for t in tok["added_tokens"] if t["id"] >= keep - 1][:1]
    write("fuzz_tokenizer_json", "xlmr-unigram.json", json.dumps(tok, ensure_ascii=False, indent=1))
    # Components the fixtures do not use, from the documented list (tokenizer.h).
    write("fuzz_tokenizer_json", "components.json", json.dumps({
        "version": "1.0", "truncation": None, "padding": None,
        "added_tokens": [{"id": 0, "content": "[UNK]", "special": True, "lstrip": False, "rstrip": False,
                          "normalized": False, "single_word": False},
                         {"id": 5, "content": "xx", "special": False, "lstrip": True, "rstrip": True,
                          "normalized": True, "single_word": True}],
        "normalizer": {"type": "Sequence", "normalizers": [{"type": "NFD"}, {"type": "StripAccents"},
                       {"type": "Lowercase"}, {"type": "Strip", "strip_left": True, "strip_right": True},
                       {"type": "Replace", "pattern": {"Regex": "\\s+"}, "content": " "}]},
        "pre_tokenizer": {"type": "Sequence", "pretokenizers": [
            {"type": "Whitespace"}, {"type": "Digits", "individual_digits": True},
            {"type": "Punctuation", "behavior": "Isolated"},
            {"type": "Split", "pattern": {"String": "-"}, "behavior": "Removed", "invert": False}]},
        "post_processor": {"type": "BertProcessing", "sep": ["[UNK]", 0], "cls": ["[UNK]", 0]},
        "decoder": {"type": "WordPiece", "prefix": "##", "cleanup": True},
        "model": {"type": "WordLevel", "vocab": {"[UNK]": 0, "a": 1, "b": 2, "1": 3, "-": 4, "xx": 5},
                  "unk_token": "[UNK]"}}, indent=1))


# ---- model directories: the tiny models' config files, as file archives ----
# The test-time variants (tests/CMakeLists.txt): their own files, and config.json from the base model.
VARIANTS = {"roberta-biencoder-tiny-st5": "roberta-biencoder-tiny", "bert-crossencoder-tiny-vocab": "bert-crossencoder-tiny"}


def model_config_seeds():
    names = ("config.json", "modules.json", "sentence_bert_config.json", "tokenizer_config.json",
             "1_Pooling/config.json", "2_Normalize/config.json")
    for model in sorted(os.listdir(TINY) + list(VARIANTS)):
        files = []
        for n in names:
            p = os.path.join(TINY, model, n)
            if model in VARIANTS:
                base = os.path.join(TINY, VARIANTS[model], n)
                p = base if n == "config.json" else os.path.join(DATA, "model_variants", model, n)
            if os.path.isfile(p):
                with open(p, encoding="utf-8") as f:
                    files.append((n, f.read()))
        write("fuzz_model_config", model + ".files", archive(files))


# ---- encode: the hard cases of the public texts (short ones) plus raw byte strings ----
def encode_seeds():
    with open(DATA + "/texts/public_texts.json", encoding="utf-8") as f:
        texts = json.load(f)
    picked = [t for t in texts if len(t.encode()) <= 300]
    for i, t in enumerate(picked[-40:]):  # the hard cases are at the end of the file
        write("fuzz_encode", "text-%02d.txt" % i, t)
    write("fuzz_encode", "invalid-utf8.bin", b"ab\xff\xfe\xc3(\xed\xa0\x80 \xf4\x90\x80\x80\x00 <s>[CLS]")
    write("fuzz_encode", "spaces.txt", "a" + " " * 200 + "b\t\n\r\u3000\u00a0c")


# ---- BEIR: the first lines of the bundled CancerGov set ----
def beir_seeds():
    base = os.path.join(ROOT, "examples", "data", "cancergov")
    with open(base + "/corpus.jsonl", encoding="utf-8") as f:
        lines = [json.loads(next(f)) for _ in range(3)]
    for d in lines:
        d["text"] = d["text"][:160]
    write("fuzz_beir", "corpus.jsonl", "".join(json.dumps(d, ensure_ascii=False) + "\n" for d in lines))
    with open(base + "/queries.jsonl", encoding="utf-8") as f:
        write("fuzz_beir", "queries.jsonl", "".join(next(f) for _ in range(4)))
    with open(base + "/qrels/test.tsv", encoding="utf-8") as f:
        write("fuzz_beir", "qrels.tsv", "".join(next(f) for _ in range(5)))


if __name__ == "__main__":
    safetensors_seeds()
    tokenizer_seeds()
    model_config_seeds()
    encode_seeds()
    beir_seeds()
    for t in sorted(os.listdir(SEEDS)):
        d = os.path.join(SEEDS, t)
        sizes = [os.path.getsize(os.path.join(d, n)) for n in os.listdir(d)]
        print("%-22s %3d seeds, %7d bytes" % (t, len(sizes), sum(sizes)))
    sys.exit(0)
