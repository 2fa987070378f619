#!/usr/bin/env python3
"""Writes src/tokenizers/char_classes_data.cpp: the character tables Hugging Face tokenizers 0.23.2 decides with.

HF's BERT components and StripAccents do not use one Unicode version. Each predicate comes from a crate whose
tables were frozen at some version (see src/tokenizers/char_classes.h for the rule per predicate):

  unicode_categories 0.1.1 (crates.io, 2016; src/tables.rs generated in 2015 from UnicodeData.txt of Unicode
  8.0.0, one entry per UnicodeData line; src/lib.rs matches the private-use and ideograph ranges itself):
      OTHER_CONTROL + OTHER_FORMAT + OTHER_PRIVATE_USE   -> is_other          (BertNormalizer clean_text)
      PUNCTUATION_*                                      -> is_punctuation    (BertPreTokenizer, Punctuation)
      MARK_NONSPACING                                    -> is_mark_nonspacing (BertNormalizer strip_accents)
  unicode-normalization-alignments 0.1.12 (src/tables.rs, UNICODE_VERSION = 9.0.0):
      COMBINING_MARK_KV                                  -> is_combining_mark (StripAccents)
      CANONICAL_DECOMPOSED_KV keys + Hangul syllables    -> which code points NFD decomposes
      CANONICAL_COMBINING_CLASS_KV                       -> canonical combining class (NFD reordering)
  regex-syntax 0.8.11 (src/unicode_tables/perl_word.rs, Unicode 16.0.0):
      PERL_WORD                                          -> \w of the Whitespace pre-tokenizer's regex
  Rust std (Unicode 17.0.0: rustc 1.98 built the npm binary; rustc 1.95 here has the same
  char::UNICODE_VERSION), dumped by rust_std_tables.rs:
      char::to_lowercase                                 -> lowercase (BertNormalizer, Lowercase)
      char::is_numeric                                   -> Digits pre-tokenizer

usage:
  rustc -O -o /tmp/rust_std_tables rust_std_tables.rs && /tmp/rust_std_tables > /tmp/rust_std.txt
  make_char_classes.py UNICODE_CATEGORIES_0.1.1/src UNICODE_NORMALIZATION_ALIGNMENTS_0.1.12/src/tables.rs \
      REGEX_SYNTAX_0.8.11/src/unicode_tables/perl_word.rs /tmp/rust_std.txt > src/tokenizers/char_classes_data.cpp
(the crates' sources: crates.io, or github.com/swgillespie/unicode-categories at commit 92bb246 (untagged 0.1.1),
github.com/n1t0/unicode-normalization at 9ca6960 (0.1.12), github.com/rust-lang/regex at tag regex-syntax-0.8.11;
the npm binary's strings name the crate versions it was built from, e.g. regex-syntax-0.8.11,
unicode-normalization-alignments-0.1.12, and its .comment section "rustc version 1.98.0").
Checked against the npm binary on every scalar value by probe_hf_char_classes.js + check_char_classes.py
(predicate by predicate) and by tests/tokenizers/codepoints_test.cpp (token ids).
"""
import re
import sys


def rust_char_tables(text):
    """name -> list of code points, from `pub static NAME : &'static [char] = &[ '\\u{XXXX}', ... ];`."""
    out = {}
    for m in re.finditer(r"pub static (\w+) : &'static \[char\] = &\[(.*?)\];", text, re.S):
        out[m.group(1)] = [int(h, 16) for h in re.findall(r"\\u\{([0-9A-Fa-f]+)\}", m.group(2))]
    return out


def unicode_categories(src_dir):
    """The crate's tables (src/tables.rs) plus the ranges its lib.rs matches before searching a table (UnicodeData
    lists ranges such as private use as First/Last lines only; lib.rs spells them out)."""
    tables = rust_char_tables(open(src_dir + "/tables.rs", encoding="utf-8").read())
    lib = open(src_dir + "/lib.rs", encoding="utf-8").read()
    for m in re.finditer(r"match self \{(.*?)_ => table_binary_search\(self, tables::(\w+)\)", lib, re.S):
        for a, b in re.findall(r"'\\u\{([0-9A-Fa-f]+)\}'\s*\.\.\.?=?\s*'\\u\{([0-9A-Fa-f]+)\}'", m.group(1)):
            tables[m.group(2)] += range(int(a, 16), int(b, 16) + 1)
    return tables


def rust_const_body(text, name):
    m = re.search(r"const " + name + r"\s*:[^=]*=\s*&\[(.*?)\n\];", text, re.S)
    if not m:
        sys.exit("no table " + name)
    return m.group(1)


def ranges(cps):
    out = []
    for c in sorted(set(cps)):
        if out and out[-1][1] == c - 1:
            out[-1][1] = c
        else:
            out.append([c, c])
    return out


def valued_ranges(pairs):
    """[(cp, value)] -> [[first, last, value]] for runs of consecutive code points with one value."""
    out = []
    for c, v in sorted(pairs):
        if out and out[-1][1] == c - 1 and out[-1][2] == v:
            out[-1][1] = c
        else:
            out.append([c, c, v])
    return out


def lowercase_runs(mapping):
    """{cp: lower} (single code point mappings) -> [[first, last, stride, delta]]: every stride-th code point
    from first to last maps to itself + delta."""
    runs = []
    for c in sorted(mapping):
        d = mapping[c] - c
        if runs:
            r = runs[-1]
            if r[3] == d and r[1] == r[0] and c - r[1] in (1, 2):
                r[2] = c - r[1]
                r[1] = c
                continue
            if r[3] == d and r[1] != r[0] and c - r[1] == r[2]:
                r[1] = c
                continue
        runs.append([c, c, 1, d])
    return runs


def emit(name, ctype, rows, per_line, fmt):
    lines = ["const %s %s[] = {" % (ctype, name)]
    for i in range(0, len(rows), per_line):
        lines.append("    " + " ".join(fmt(r) + "," for r in rows[i:i + per_line]))
    lines.append("};")
    lines.append("const std::size_t %sSize = sizeof(%s) / sizeof(%s[0]);" % (name, name, name))
    return "\n".join(lines)


def rust_char_literal(text):
    """Code point of a Rust char literal as ucd-generate writes them: 'x', '\\t', '\\u{XXXX}'."""
    body = text[1:-1]
    if body.startswith("\\u{"):
        return int(body[3:-1], 16)
    if body.startswith("\\"):
        return {"t": 9, "n": 10, "r": 13, "0": 0, "\\": 92, "'": 39, '"': 34}[body[1:]]
    return ord(body)


def perl_word(path):
    text = open(path, encoding="utf-8").read()
    if "Unicode version: 16.0.0." not in text:
        sys.exit("expected regex-syntax's perl_word.rs of Unicode 16.0.0")
    lit = r"('(?:\\u\{[0-9A-Fa-f]+\}|\\.|[^'\\])')"
    return [[rust_char_literal(a), rust_char_literal(b)] for a, b in re.findall(r"\(" + lit + r",\s*" + lit + r"\)", text)]


def main():
    cat_dir, norm_path, word_path, rust_path = sys.argv[1:5]
    cats = unicode_categories(cat_dir)
    norm = open(norm_path, encoding="utf-8").read()
    if "UNICODE_VERSION: (u64, u64, u64) = (9, 0, 0)" not in norm:
        sys.exit("expected unicode-normalization-alignments tables of Unicode 9.0.0")

    other = cats["OTHER_CONTROL"] + cats["OTHER_FORMAT"] + cats["OTHER_PRIVATE_USE"]
    punct = [c for k, v in cats.items() if k.startswith("PUNCTUATION_") for c in v]
    mn = cats["MARK_NONSPACING"]

    ccc = []
    for kv in re.findall(r"0x([0-9A-Fa-f]+)", rust_const_body(norm, "CANONICAL_COMBINING_CLASS_KV")):
        v = int(kv, 16)
        ccc.append((v >> 8, v & 0xFF))
    marks = [int(h, 16) for h in re.findall(r"0x([0-9A-Fa-f]+)", rust_const_body(norm, "COMBINING_MARK_KV"))]
    decomposed = [int(h, 16) for h in
                  re.findall(r"\(0x([0-9A-Fa-f]+),", rust_const_body(norm, "CANONICAL_DECOMPOSED_KV"))]
    decomposed += range(0xAC00, 0xAC00 + 11172)  # Hangul syllables: decomposed algorithmically by the crate

    lower, numeric = {}, []
    for line in open(rust_path, encoding="ascii"):
        f = line.split()
        if f[0] == "numeric":
            numeric.append(int(f[1], 16))
            continue
        cp, to = int(f[1], 16), [int(x, 16) for x in f[2:]]
        if len(to) == 1:
            lower[cp] = to[0]
        elif cp != 0x130:
            sys.exit("unexpected multi-character lowercase of U+%04X" % cp)

    hexr = lambda r: "{0x%X, 0x%X}" % (r[0], r[1])
    parts = [
        "// Generated by tests/tokenizers/reference_tools/make_char_classes.py; do not edit. The sources and the",
        "// Unicode version of each table are described there and in char_classes.h.",
        "// clang-format off",
        "#include \"tokenizers/char_classes.h\"",
        "",
        "namespace radlite::tokenizers::char_classes::data {",
        "",
        "// unicode_categories 0.1.1 (Unicode 8.0.0): Cc + Cf + Co.",
        emit("kOther", "Range", ranges(other), 6, hexr),
        "// unicode_categories 0.1.1 (Unicode 8.0.0): Pc Pd Pe Pf Pi Po Ps.",
        emit("kPunctuation", "Range", ranges(punct), 6, hexr),
        "// unicode_categories 0.1.1 (Unicode 8.0.0): Mn.",
        emit("kMarkNonspacing", "Range", ranges(mn), 6, hexr),
        "// unicode-normalization-alignments 0.1.12 (Unicode 9.0.0): General_Category=Mark.",
        emit("kCombiningMark", "Range", ranges(marks), 6, hexr),
        "// unicode-normalization-alignments 0.1.12 (Unicode 9.0.0): code points with a canonical decomposition.",
        emit("kCanonicalDecomposable", "Range", ranges(decomposed), 6, hexr),
        "// unicode-normalization-alignments 0.1.12 (Unicode 9.0.0): nonzero canonical combining classes.",
        emit("kCombiningClass", "ValuedRange", valued_ranges(ccc), 5,
             lambda r: "{0x%X, 0x%X, %d}" % (r[0], r[1], r[2])),
        "// regex-syntax 0.8.11 (Unicode 16.0.0): \\w (PERL_WORD).",
        emit("kWord", "Range", perl_word(word_path), 6, hexr),
        "// Rust std char::is_numeric (Unicode 17.0.0): Nd + Nl + No.",
        emit("kNumeric", "Range", ranges(numeric), 6, hexr),
        "// Rust std char::to_lowercase (Unicode 17.0.0), single code point mappings; U+0130 is handled in code.",
        emit("kLowercase", "CaseRun", lowercase_runs(lower), 4,
             lambda r: "{0x%X, 0x%X, %d, %d}" % (r[0], r[1], r[2], r[3])),
        "",
        "}  // namespace radlite::tokenizers::char_classes::data",
        "",
    ]
    sys.stdout.write("\n".join(parts))


if __name__ == "__main__":
    main()
