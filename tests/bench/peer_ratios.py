"""Prints radlite's figures next to its peers' and the radlite/peer ratios (> 1: radlite is faster).
usage: peer_ratios.py RADLITE_JSON TORCH_JSON ORT_JSON"""
import json
import sys

rad, tor, ort = (json.load(open(p)) for p in sys.argv[1:4])
peers = {"ORT f32": ort["ort_f32"], "torch f32": tor["torch_f32"], "torch int8": tor["torch_int8"]}
shapes = [k for k in next(iter(rad["radlite"].values())) if k.startswith("tokens_per_s_")]
rows = [(k, f"bi {k[13:]} tokens/s", True) for k in shapes] + [
        ("query_ms", "one 32-token query ms", False), ("ce_pairs_per_s_512", "CE pairs @512 pairs/s", True),
        ("ce_pairs_per_s_256", "CE pairs @256 pairs/s", True)]
print(f"\nthreads {rad['threads']}; ONNX Runtime {ort['ort_version']}, PyTorch {tor['torch_version']}; "
      f"float32 parity of the PyTorch definition with radlite: query embedding {tor.get('max_abs_diff_query_embedding')}"
      f", CE logits {tor.get('max_abs_diff_ce_logits')}")
print(f"PyTorch int8 accuracy: min cosine to its float32 {tor['torch_int8_min_cosine']:.5f}, CE max |diff| / spread "
      f"{tor['torch_int8_ce_max_diff_over_spread']:.4f}")
head = f"{'':28}" + "".join(f"{n:>14}" for n in list(peers) + [f"radlite {d}" for d in rad["radlite"]])
print(head)
for key, name, higher in rows:
    line = f"{name:<28}" + "".join(f"{p.get(key, float('nan')):14.1f}" for p in peers.values())
    line += "".join(f"{r.get(key, float('nan')):14.1f}" for r in rad["radlite"].values())
    print(line)
print("radlite / peer (speed ratio, > 1 = radlite faster):")
for d, r in rad["radlite"].items():
    for key, name, higher in rows:
        if key not in r:
            continue
        ratios = []
        for pn, p in peers.items():
            if key in p:
                ratio = r[key] / p[key] if higher else p[key] / r[key]
                ratios.append(f"{ratio:5.2f}x {pn}")
        print(f"  {d:5} {name:<28} " + "   ".join(ratios))
