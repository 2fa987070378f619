// Records reference ids with Hugging Face tokenizers (the npm package "tokenizers", Rust core) in the layout of
// tests/data/tokenizers/*.json.
// usage: node make_hf_fixture.js TOKENIZER_JSON SINGLES.jsonl PAIRS.jsonl MAX_SINGLE MAX_PAIR > fixture.json
// (NODE_PATH must point at a node_modules holding tokenizers@0.23.2.)
const { Tokenizer } = require('tokenizers');
const fs = require('fs');
const [, , tokPath, singlesPath, pairsPath, maxSingle, maxPair] = process.argv;
const read = (p) => fs.readFileSync(p, 'utf8').split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l));
(async () => {
  const tok = Tokenizer.fromFile(tokPath);
  tok.disablePadding();
  const out = { source: 'HF tokenizers (npm tokenizers ' + require('tokenizers/package.json').version + ') on ' +
                        tokPath.split('/').slice(-2).join('/'),
                max_length_single: +maxSingle, max_length_pair: +maxPair, truncation: 'longest_first',
                single: [], pairs: [] };
  tok.setTruncation(+maxSingle);
  for (const j of read(singlesPath)) {
    const e = await tok.encode(j.text);
    out.single.push({ text: j.text, input_ids: e.getIds(), token_type_ids: e.getTypeIds() });
  }
  tok.setTruncation(+maxPair);
  for (const j of read(pairsPath)) {
    const e = await tok.encode(j.query, j.doc);
    out.pairs.push({ query: j.query, doc: j.doc, input_ids: e.getIds(), token_type_ids: e.getTypeIds() });
  }
  process.stdout.write(JSON.stringify(out) + '\n');
})();
