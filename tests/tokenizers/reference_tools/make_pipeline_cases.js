// Records Hugging Face tokenizers' ids for the pipeline variants of pipeline_cases.json (a base tokenizer.json of
// the repository with some top-level sections replaced) into tests/data/tokenizers/pipeline-cases-hf.json.
// usage (from the repository root): NODE_PATH=<dir with tokenizers@0.23.2>/node_modules \
//   node tests/tokenizers/reference_tools/make_pipeline_cases.js > tests/data/tokenizers/pipeline-cases-hf.json
const { Tokenizer } = require('tokenizers');
const fs = require('fs');
const spec = JSON.parse(fs.readFileSync(__dirname + '/pipeline_cases.json', 'utf8'));
(async () => {
  const out = { source: 'HF tokenizers (npm tokenizers ' + require('tokenizers/package.json').version + ')',
                spec: 'tests/tokenizers/reference_tools/pipeline_cases.json', texts: spec.texts, cases: [] };
  for (const c of spec.cases) {
    const tj = JSON.parse(fs.readFileSync(c.base, 'utf8'));
    Object.assign(tj, c.set);
    const tok = Tokenizer.fromString(JSON.stringify(tj));
    tok.disablePadding();
    tok.disableTruncation();
    const ids = [];
    for (const t of spec.texts) {
      if (process.env.TRACE) process.stderr.write(c.name + " " + JSON.stringify(t) + "\n");
      ids.push((await tok.encode(t)).getIds());
    }
    out.cases.push({ name: c.name, base: c.base, set: c.set, ids });
  }
  process.stdout.write(JSON.stringify(out) + '\n');
})();
