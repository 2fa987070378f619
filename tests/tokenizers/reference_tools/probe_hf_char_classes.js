// Dumps, for every Unicode scalar value c, what each character-level HF tokenizers component does with it: one
// TSV line per code point, JSON-encoded fields:
//   hex(c), clean_text("a"+c+"b"), handle_chinese_chars("a"+c+"b"), strip_accents(c), lowercase(c) (the four
//   BertNormalizer steps alone), BertPreTokenizer("a"+c+"b") piece count, WhitespaceSplit("a"+c+"b") piece count,
//   NFD(c), StripAccents(c), Lowercase(c), Whitespace("a"+c+"b") and Digits(individual)("a"+c+"b") piece counts.
// check_char_classes.py compares it with the rule written in src/tokenizers/char_classes.h.
//   NODE_PATH=... node probe_hf_char_classes.js > hf_probe.tsv      (about 2 minutes)
const t = require('tokenizers');
const bert = (o) => t.bertNormalizer(Object.assign(
  { cleanText: false, handleChineseChars: false, stripAccents: false, lowercase: false }, o));
const clean = bert({ cleanText: true }), chinese = bert({ handleChineseChars: true });
const strip = bert({ stripAccents: true }), lower = bert({ lowercase: true });
const pre = t.bertPreTokenizer(), wss = t.whitespaceSplitPreTokenizer();
const ws = t.whitespacePreTokenizer(), digits = t.digitsPreTokenizer(true);
const nfd = t.nfdNormalizer(), stripAccents = t.stripAccentsNormalizer(), lowercase = t.lowercase();
const out = [];
for (let c = 0; c <= 0x10ffff; ++c) {
  if (c >= 0xd800 && c <= 0xdfff) continue;
  const s = String.fromCodePoint(c), ctx = 'a' + s + 'b';
  const f = [c.toString(16), clean.normalizeString(ctx), chinese.normalizeString(ctx), strip.normalizeString(s),
    lower.normalizeString(s), pre.preTokenizeString(ctx).length, wss.preTokenizeString(ctx).length,
    nfd.normalizeString(s), stripAccents.normalizeString(s), lowercase.normalizeString(s),
    ws.preTokenizeString(ctx).length, digits.preTokenizeString(ctx).length];
  out.push(f.map((x) => JSON.stringify(x)).join('\t'));
  if (out.length >= 65536) {
    process.stdout.write(out.join('\n') + '\n');
    out.length = 0;
  }
}
process.stdout.write(out.join('\n') + '\n');
