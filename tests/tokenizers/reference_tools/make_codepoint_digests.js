// Records how Hugging Face tokenizers (npm `tokenizers`, the Rust library) tokenizes every Unicode scalar value,
// in the compact form tests/tokenizers/codepoints_test.cpp checks (tests/data/tokenizers/codepoints/).
//
//   node make_codepoint_digests.js TOKENIZER_JSON               > KIND.digests
//   node make_codepoint_digests.js TOKENIZER_JSON --ids B0 B1   > ids.jsonl   (blocks B0..B1, hex, per code point)
//
// Per code point c (U+0000..U+10FFFF without surrogates) two texts are encoded with special tokens, no truncation,
// no padding: c alone, and "a" + c + "b " + c. Their ids, each as int32 little-endian followed by -1, are
// concatenated over the 256 code points of a block (in code point order); the block's digest is the first 16 hex
// digits of the SHA-256 of those bytes. Runs of blocks with the same digest are written as one line
// "FIRST LAST DIGEST" (block numbers in hex, block = code point >> 8).
// The --ids form prints {"cp": N, "alone": [...], "context": [...]} lines, to name the code points of a block
// that differs.
// (NODE_PATH must point at a node_modules holding tokenizers@0.23.2.)
const { Tokenizer } = require('tokenizers');
const crypto = require('crypto');

const [, , tokPath, mode, b0, b1] = process.argv;
const tok = Tokenizer.fromFile(tokPath);
tok.disableTruncation();
tok.disablePadding();

const isSurrogate = (c) => c >= 0xd800 && c <= 0xdfff;
const texts = (c) => {
  const s = String.fromCodePoint(c);
  return [s, 'a' + s + 'b ' + s];
};

async function blockIds(block) {
  const cps = [];
  const inputs = [];
  for (let c = block << 8; c < (block + 1) << 8; ++c) {
    if (isSurrogate(c)) continue;
    cps.push(c);
    inputs.push(...texts(c));
  }
  const enc = inputs.length ? await tok.encodeBatch(inputs) : [];
  return cps.map((c, i) => ({ cp: c, alone: enc[2 * i].getIds(), context: enc[2 * i + 1].getIds() }));
}

function digest(rows) {
  const words = [];
  for (const r of rows) {
    for (const ids of [r.alone, r.context]) {
      for (const id of ids) words.push(id);
      words.push(-1);
    }
  }
  const buf = Buffer.alloc(words.length * 4);
  words.forEach((w, i) => buf.writeInt32LE(w, i * 4));
  return crypto.createHash('sha256').update(buf).digest('hex').slice(0, 16);
}

(async () => {
  const version = require('tokenizers/package.json').version;
  if (mode === '--ids') {
    for (let b = parseInt(b0, 16); b <= parseInt(b1, 16); ++b)
      for (const r of await blockIds(b)) process.stdout.write(JSON.stringify(r) + '\n');
    return;
  }
  const lines = [
    '# HF tokenizers ' + version + ' (npm) on ' + tokPath.split('/').slice(-2).join('/'),
    '# per block of 256 code points: sha256 (first 16 hex digits) of the ids of c and of "a"+c+"b "+c',
    '# (int32 LE, each sequence ended by -1), surrogates skipped. Made by make_codepoint_digests.js.',
  ];
  let run = null;
  const flush = () => {
    if (run) lines.push(run.first.toString(16) + ' ' + run.last.toString(16) + ' ' + run.digest);
  };
  for (let b = 0; b < 0x1100; ++b) {
    const d = digest(await blockIds(b));
    if (run && run.digest === d && run.last === b - 1) {
      run.last = b;
    } else {
      flush();
      run = { first: b, last: b, digest: d };
    }
  }
  flush();
  process.stdout.write(lines.join('\n') + '\n');
})();
