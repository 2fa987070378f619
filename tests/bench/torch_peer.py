"""PyTorch peers of bench_cpu: the same weights (read from the safetensors files bench_cpu wrote) in a plain
PyTorch definition of BERT / RoBERTa, run eager in float32 and with dynamic int8 quantization of the Linear
layers (torch.ao.quantization.quantize_dynamic, engine onednn), on the exact inputs bench_cpu used. Also exports
the float32 models to ONNX for ort_peer.js.

usage: torch_peer.py MODELS_DIR RADLITE_JSON OUT_JSON ONNX_DIR THREADS REPEAT
Needs only torch and numpy (Debian python3-torch); no transformers, no onnx package.
"""
import json
import math
import re
import statistics
import struct
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

DTYPES = {"F32": np.float32, "F16": np.float16}


def read_safetensors(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    out = {}
    for name, meta in header.items():
        if name == "__metadata__":
            continue
        a, b = meta["data_offsets"]
        arr = np.frombuffer(data, dtype=DTYPES[meta["dtype"]], count=(b - a) // 4, offset=a)
        out[name] = torch.from_numpy(arr.reshape(meta["shape"]).copy()).float()
    return out


class Layer(nn.Module):
    def __init__(self, c):
        super().__init__()
        H, I = c["hidden_size"], c["intermediate_size"]
        self.nh, self.eps = c["num_attention_heads"], c["layer_norm_eps"]
        self.query, self.key, self.value = nn.Linear(H, H), nn.Linear(H, H), nn.Linear(H, H)
        self.attn_out, self.attn_ln = nn.Linear(H, H), nn.LayerNorm(H, eps=self.eps)
        self.inter, self.out, self.out_ln = nn.Linear(H, I), nn.Linear(I, H), nn.LayerNorm(H, eps=self.eps)

    def forward(self, x, additive):
        B, L, H = x.shape
        dh = H // self.nh
        def heads(t):
            return t.view(B, L, self.nh, dh).transpose(1, 2)
        q, k, v = heads(self.query(x)), heads(self.key(x)), heads(self.value(x))
        s = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(dh) + additive
        ctx = torch.matmul(torch.softmax(s, -1), v).transpose(1, 2).reshape(B, L, H)
        x = self.attn_ln(self.attn_out(ctx) + x)
        return self.out_ln(self.out(F.gelu(self.inter(x))) + x)


class Encoder(nn.Module):
    """BERT / RoBERTa encoder; cross=True adds BERT's pooler and classifier (one logit per label)."""

    def __init__(self, c, cross):
        super().__init__()
        H = c["hidden_size"]
        self.roberta = c["model_type"] != "bert"
        self.pad = c["pad_token_id"]
        self.word = nn.Embedding(c["vocab_size"], H)
        self.position = nn.Embedding(c["max_position_embeddings"], H)
        self.token_type = nn.Embedding(c["type_vocab_size"], H)
        self.emb_ln = nn.LayerNorm(H, eps=c["layer_norm_eps"])
        self.layers = nn.ModuleList(Layer(c) for _ in range(c["num_hidden_layers"]))
        self.cross = cross
        if cross:
            self.pooler = nn.Linear(H, H)
            self.classifier = nn.Linear(H, len(c["id2label"]))

    def forward(self, input_ids, attention_mask, token_type_ids=None):
        if self.roberta:
            not_pad = input_ids.ne(self.pad).long()
            positions = torch.cumsum(not_pad, 1) * not_pad + self.pad
        else:
            positions = torch.arange(input_ids.shape[1]).unsqueeze(0).expand_as(input_ids)
        types = torch.zeros_like(input_ids) if token_type_ids is None else token_type_ids
        x = self.emb_ln(self.word(input_ids) + self.token_type(types) + self.position(positions))
        additive = (1.0 - attention_mask[:, None, None, :].float()) * torch.finfo(torch.float32).min
        for layer in self.layers:
            x = layer(x, additive)
        if self.cross:
            return self.classifier(torch.tanh(self.pooler(x[:, 0])))
        m = attention_mask.unsqueeze(-1).float()
        pooled = (x * m).sum(1) / m.sum(1).clamp_min(1e-9)
        return pooled / pooled.norm(dim=1, keepdim=True).clamp_min(1e-12)

    def load(self, w):
        base = "bert." if self.cross else ""
        def get(n):
            return w[base + n]
        with torch.no_grad():
            self.word.weight.copy_(get("embeddings.word_embeddings.weight"))
            self.position.weight.copy_(get("embeddings.position_embeddings.weight"))
            self.token_type.weight.copy_(get("embeddings.token_type_embeddings.weight"))
            self.emb_ln.weight.copy_(get("embeddings.LayerNorm.weight"))
            self.emb_ln.bias.copy_(get("embeddings.LayerNorm.bias"))
            names = {"query": "attention.self.query", "key": "attention.self.key", "value": "attention.self.value",
                     "attn_out": "attention.output.dense", "attn_ln": "attention.output.LayerNorm",
                     "inter": "intermediate.dense", "out": "output.dense", "out_ln": "output.LayerNorm"}
            for i, layer in enumerate(self.layers):
                for mine, theirs in names.items():
                    getattr(layer, mine).weight.copy_(get(f"encoder.layer.{i}.{theirs}.weight"))
                    getattr(layer, mine).bias.copy_(get(f"encoder.layer.{i}.{theirs}.bias"))
            if self.cross:
                self.pooler.weight.copy_(get("pooler.dense.weight"))
                self.pooler.bias.copy_(get("pooler.dense.bias"))
                self.classifier.weight.copy_(w["classifier.weight"])
                self.classifier.bias.copy_(w["classifier.bias"])
        return self


def plan(lengths, batch_size=32, budget=8192):
    """radlite's batching (length-sorted passes under a padded-token budget), so every runtime does the same work."""
    order = sorted(range(len(lengths)), key=lambda i: -lengths[i])
    passes, b = [], 0
    while b < len(order):
        rows = min(batch_size, max(budget // max(lengths[order[b]], 1), 1))
        passes.append(order[b:b + rows])
        b += rows
    return passes


def tensors(rows, pad, types=None):
    L = max(len(r) for r in rows)
    ids = torch.full((len(rows), L), pad, dtype=torch.long)
    mask = torch.zeros((len(rows), L), dtype=torch.long)
    tt = torch.zeros((len(rows), L), dtype=torch.long)
    for i, r in enumerate(rows):
        ids[i, :len(r)] = torch.tensor(r)
        mask[i, :len(r)] = 1
        if types is not None:
            tt[i, :len(r)] = torch.tensor(types[i])
    return ids, mask, tt


def run_batches(model, rows, pad, types=None, cross=False):
    outs = [None] * len(rows)
    for p in plan([len(r) for r in rows]):
        ids, mask, tt = tensors([rows[i] for i in p], pad, [types[i] for i in p] if types else None)
        y = model(ids, mask, tt) if cross else model(ids, mask)
        for j, i in enumerate(p):
            outs[i] = y[j]
    return torch.stack(outs)


def measure(model, inputs, bi_pad, ce_pad, repeat, cross_model):
    r = {}
    def best(f, warm_up):
        warm_up()  # one row, as bench_cpu warms up: a whole extra batch would double the run on a busy machine
        return min(timed(f) for _ in range(repeat))
    for name in (k for k in inputs if re.fullmatch(r"bi_\d+x\d+", k)):
        ids = inputs[name]
        r["tokens_per_s_" + name[3:]] = sum(map(len, ids)) / best(lambda: run_batches(model, ids, bi_pad),
                                                                  lambda: run_batches(model, ids[:1], bi_pad))
    q = inputs["bi_query"]
    run_batches(model, q, bi_pad)
    r["query_ms"] = 1e3 * statistics.median(timed(lambda: run_batches(model, q, bi_pad)) for _ in range(10))
    for m in (512, 256):
        pairs = inputs[f"ce_{m}"]
        ids, types = [p["ids"] for p in pairs], [p["type_ids"] for p in pairs]
        r[f"ce_pairs_per_s_{m}"] = len(ids) / best(lambda: run_batches(cross_model, ids, ce_pad, types, True),
                                                   lambda: run_batches(cross_model, ids[:1], ce_pad, types[:1], True))
    return r


def timed(f):
    t0 = time.perf_counter()
    f()
    return time.perf_counter() - t0


def main():
    models, radlite_json, out_json, onnx_dir, threads, repeat = sys.argv[1:7]
    threads, repeat = int(threads), int(repeat)
    torch.set_num_threads(threads)
    torch.backends.quantized.engine = "onednn"
    rad = json.load(open(radlite_json))
    inputs, ref = rad["inputs"], rad.get("reference", {})
    cfg_bi = json.load(open(f"{models}/biencoder/config.json"))
    cfg_ce = json.load(open(f"{models}/crossencoder/config.json"))
    bi = Encoder(cfg_bi, False).load(read_safetensors(f"{models}/biencoder/model.safetensors")).eval()
    ce = Encoder(cfg_ce, True).load(read_safetensors(f"{models}/crossencoder/model.safetensors")).eval()
    bi_pad, ce_pad = cfg_bi["pad_token_id"], cfg_ce["pad_token_id"]
    report = {"torch_version": torch.__version__, "threads": torch.get_num_threads()}
    with torch.inference_mode():
        # Same weights, same inputs: the float32 outputs must match radlite's.
        if "bi_query" in ref:
            e = run_batches(bi, inputs["bi_query"], bi_pad).flatten()
            report["max_abs_diff_query_embedding"] = float((e - torch.tensor(ref["bi_query"])).abs().max())
        if "ce_512" in ref:
            p = inputs["ce_512"]
            l = run_batches(ce, [x["ids"] for x in p], ce_pad, [x["type_ids"] for x in p], True)
            report["max_abs_diff_ce_logits"] = float((l - torch.tensor(ref["ce_512"])).abs().max())
        print(f"torch_peer: float32 parity with radlite: query embedding {report.get('max_abs_diff_query_embedding')}, "
              f"cross-encoder logits {report.get('max_abs_diff_ce_logits')}", file=sys.stderr)
        report["torch_f32"] = measure(bi, inputs, bi_pad, ce_pad, repeat, ce)
        print(f"torch_peer: float32 {report['torch_f32']}", file=sys.stderr)
        qbi = torch.ao.quantization.quantize_dynamic(bi, {nn.Linear}, dtype=torch.qint8)
        qce = torch.ao.quantization.quantize_dynamic(ce, {nn.Linear}, dtype=torch.qint8)
        report["torch_int8"] = measure(qbi, inputs, bi_pad, ce_pad, repeat, qce)
        print(f"torch_peer: int8 {report['torch_int8']}", file=sys.stderr)
        # Accuracy of PyTorch's own int8, for comparison with radlite's.
        rows = [r for k in inputs if re.fullmatch(r"bi_\d+x\d+", k) for r in inputs[k][:4]] + inputs["bi_query"]
        cos = F.cosine_similarity(run_batches(bi, rows, bi_pad), run_batches(qbi, rows, bi_pad))
        report["torch_int8_min_cosine"] = float(cos.min())
        p = inputs["ce_512"]
        ids, types = [x["ids"] for x in p], [x["type_ids"] for x in p]
        a, b = run_batches(ce, ids, ce_pad, types, True), run_batches(qce, ids, ce_pad, types, True)
        report["torch_int8_ce_max_diff_over_spread"] = float((a - b).abs().max() / (a.max() - a.min()))
    # ONNX export of the float32 definitions (opset 14; dynamic batch and sequence axes).
    ids, mask, tt = tensors(inputs["bi_query"] * 2, bi_pad)
    torch.onnx.export(bi, (ids, mask), f"{onnx_dir}/biencoder.onnx", input_names=["input_ids", "attention_mask"],
                      output_names=["embedding"], opset_version=14,
                      dynamic_axes={"input_ids": {0: "b", 1: "l"}, "attention_mask": {0: "b", 1: "l"}})
    p = inputs["ce_256"][:2]
    ids, mask, tt = tensors([x["ids"] for x in p], ce_pad, [x["type_ids"] for x in p])
    torch.onnx.export(ce, (ids, mask, tt), f"{onnx_dir}/crossencoder.onnx",
                      input_names=["input_ids", "attention_mask", "token_type_ids"], output_names=["logits"],
                      opset_version=14, dynamic_axes={n: {0: "b", 1: "l"} for n in
                                                      ("input_ids", "attention_mask", "token_type_ids")})
    json.dump(report, open(out_json, "w"))


if __name__ == "__main__":
    main()
