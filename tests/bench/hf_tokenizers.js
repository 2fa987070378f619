// Drives Hugging Face tokenizers (the Rust library, through its Node binding) for radlite's differential tests
// and speed comparison.
//   node hf_tokenizers.js encode TOKENIZER_JSON INPUT_JSONL [--pairs]  -> JSON lines {input_ids, token_type_ids}
//   node hf_tokenizers.js bench  TOKENIZER_JSON INPUT_JSONL [REPEAT]   -> one JSON line with tokens/s, per call
//                                                                         and in one batch, truncation off
const fs = require('fs');
const { Tokenizer } = require('tokenizers');

const [mode, tokPath, inPath, ...rest] = process.argv.slice(2);
const tok = Tokenizer.fromFile(tokPath);
tok.disableTruncation();
tok.disablePadding();
const rows = fs.readFileSync(inPath, 'utf8').split('\n').filter((l) => l.length).map((l) => JSON.parse(l));

async function encodeAll() {
  const pairs = rest.includes('--pairs');
  const out = [];
  for (const o of rows) {
    const e = pairs ? await tok.encode(o.query, o.doc) : await tok.encode(o.text);
    out.push(JSON.stringify({ input_ids: e.getIds(), token_type_ids: e.getTypeIds() }));
  }
  process.stdout.write(out.join('\n') + '\n');
}

async function bench() {
  const repeat = Number(rest[0] || 3);
  const texts = rows.map((o) => o.text);
  const bytes = texts.reduce((n, t) => n + Buffer.byteLength(t, 'utf8'), 0);
  let tokens = 0;
  for (const t of texts) tokens += (await tok.encode(t)).getIds().length;  // warm-up and token count
  let best = Infinity;
  for (let r = 0; r < repeat; ++r) {
    const t0 = process.hrtime.bigint();
    for (const t of texts) await tok.encode(t);
    best = Math.min(best, Number(process.hrtime.bigint() - t0) / 1e9);
  }
  let bestBatch = Infinity;
  for (let r = 0; r < repeat; ++r) {
    const t0 = process.hrtime.bigint();
    await tok.encodeBatch(texts);
    bestBatch = Math.min(bestBatch, Number(process.hrtime.bigint() - t0) / 1e9);
  }
  console.log(JSON.stringify({ texts: texts.length, bytes, tokens, tokens_per_s: tokens / best,
                               batch_tokens_per_s: tokens / bestBatch }));
}

(mode === 'bench' ? bench() : encodeAll()).catch((e) => { console.error(e); process.exit(1); });
