// Single-thread throughput of Hugging Face tokenizers (npm "tokenizers", Rust core), one encode call per text,
// no truncation: the baseline for `radlite bench-tokenize`. Prints one JSON line like it.
// usage: node hf_bench.js TOKENIZER_JSON TEXTS.jsonl REPEAT   (NODE_PATH: a node_modules with tokenizers)
const { Tokenizer } = require('tokenizers');
const fs = require('fs');
(async () => {
  const [, , tokPath, inPath, repeatArg] = process.argv;
  const tok = Tokenizer.fromFile(tokPath);
  tok.disableTruncation();
  tok.disablePadding();
  const texts = fs.readFileSync(inPath, 'utf8').split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l).text);
  const repeat = +(repeatArg || 1);
  let tokens = 0;
  const t0 = process.hrtime.bigint();
  for (let r = 0; r < repeat; ++r) for (const t of texts) tokens += (await tok.encode(t)).getIds().length;
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  console.log(JSON.stringify({ texts: texts.length * repeat, tokens, seconds, tokens_per_s: tokens / seconds }));
})();
