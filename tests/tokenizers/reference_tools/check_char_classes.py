#!/usr/bin/env python3
"""Checks the rule of src/tokenizers/char_classes.h against HF tokenizers itself, on every scalar value.

  check_char_classes.py HF_PROBE.tsv UNICODE_CATEGORIES_0.1.1/src UNICODE_NORMALIZATION_ALIGNMENTS_0.1.12/src/tables.rs \
      REGEX_SYNTAX_0.8.11/src/unicode_tables/perl_word.rs RUST_STD.txt
(HF_PROBE.tsv from probe_hf_char_classes.js; the other inputs as for make_char_classes.py.) Prints, per component,
the number of code points where HF differs from what the crate tables predict, and the first of them.
"""
import json
import re
import sys

import make_char_classes as g

WHITE_SPACE = set(list(range(9, 14)) + [0x20, 0x85, 0xA0, 0x1680] + list(range(0x2000, 0x200B)) +
                  [0x2028, 0x2029, 0x202F, 0x205F, 0x3000])  # PropList.txt White_Space (Rust char::is_whitespace)
CJK = [(0x4E00, 0x9FFF), (0x3400, 0x4DBF), (0x20000, 0x2A6DF), (0x2A700, 0x2B73F), (0x2B740, 0x2B81F),
       (0x2B920, 0x2CEAF), (0xF900, 0xFAFF), (0x2F800, 0x2FA1F)]  # tokenizers/src/normalizers/bert.rs
ASCII_PUNCT = set(map(ord, "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"))


def main():
    probe, cat_dir, norm_path, word_path, rust_path = sys.argv[1:6]
    cats = g.unicode_categories(cat_dir)
    norm = open(norm_path, encoding="utf-8").read()
    other = set(cats["OTHER_CONTROL"] + cats["OTHER_FORMAT"] + cats["OTHER_PRIVATE_USE"])
    punct = set(c for k, v in cats.items() if k.startswith("PUNCTUATION_") for c in v)
    mn = set(cats["MARK_NONSPACING"])
    marks = set(int(h, 16) for h in re.findall(r"0x([0-9A-Fa-f]+)", g.rust_const_body(norm, "COMBINING_MARK_KV")))
    dec = {}
    for m in re.finditer(r"\(0x([0-9a-fA-F]+), &\[(.*?)\]\)", g.rust_const_body(norm, "CANONICAL_DECOMPOSED_KV")):
        dec[int(m.group(1), 16)] = [int(h, 16) for h in re.findall(r"\\u\{([0-9A-Fa-f]+)\}", m.group(2))]
    word = set(c for a, b in g.perl_word(word_path) for c in range(a, b + 1))
    lower, numeric = {}, set()
    for line in open(rust_path, encoding="ascii"):
        f = line.split()
        if f[0] == "numeric":
            numeric.add(int(f[1], 16))
        else:
            lower[int(f[1], 16)] = [int(x, 16) for x in f[2:]]

    def decompose(c):
        if 0xAC00 <= c < 0xAC00 + 11172:  # Hangul syllables, algorithmic
            s = c - 0xAC00
            t = 0x11A7 + s % 28
            return [0x1100 + s // 588, 0x1161 + (s % 588) // 28] + ([t] if t != 0x11A7 else [])
        return dec.get(c, [c])

    text = lambda cps: "".join(map(chr, cps))
    names = ["clean_text", "handle_chinese_chars", "strip_accents", "lowercase", "BertPreTokenizer",
             "WhitespaceSplit", "NFD", "StripAccents", "Lowercase", "Whitespace", "Digits"]
    bad = {n: [] for n in names}
    total = 0
    for line in open(probe, encoding="utf-8"):
        f = [json.loads(x) for x in line.rstrip("\n").split("\t")]
        c = int(f[0], 16)
        s, ctx, ws = chr(c), "a" + chr(c) + "b", c in WHITE_SPACE
        dropped = c == 0 or c == 0xFFFD or (c not in (9, 10, 13) and c in other)
        expect = [
            "ab" if dropped else ("a b" if ws else ctx),
            "a " + s + " b" if any(a <= c <= b for a, b in CJK) else ctx,
            text(x for x in decompose(c) if x not in mn),
            text(lower.get(c, [c])),
            2 if ws else (3 if c in ASCII_PUNCT or c in punct else 1),
            2 if ws else 1,
            text(decompose(c)),
            "" if c in marks else s,
            text(lower.get(c, [c])),
            1 if c in word else (2 if ws else 3),
            3 if c in numeric else 1,
        ]
        for n, got, want in zip(names, f[1:], expect):
            if got != want:
                bad[n].append(c)
        total += 1
    print("%d code points" % total)
    for n in names:
        print("%-22s %7d differ %s" % (n, len(bad[n]), " ".join("U+%04X" % c for c in bad[n][:10])))
    sys.exit(1 if any(bad.values()) else 0)


if __name__ == "__main__":
    main()
