// ONNX Runtime peer of bench_cpu (npm onnxruntime-node, CPU execution provider): runs the ONNX exports of
// torch_peer.py (the same weights) on the exact inputs bench_cpu used, batched as radlite batches them.
//   node ort_peer.js ONNX_DIR RADLITE_JSON OUT_JSON THREADS REPEAT
const fs = require('fs');
const ort = require('onnxruntime-node');

const [onnxDir, radlitePath, outPath, threadsArg, repeatArg] = process.argv.slice(2);
const threads = Number(threadsArg), repeat = Number(repeatArg);
const inputs = JSON.parse(fs.readFileSync(radlitePath, 'utf8')).inputs;

// radlite's plan: rows sorted by decreasing length, passes of <= 32 rows and <= 8192 padded tokens.
function plan(lengths, batchSize = 32, budget = 8192) {
  const order = lengths.map((_, i) => i).sort((a, b) => lengths[b] - lengths[a] || a - b);
  const passes = [];
  for (let b = 0; b < order.length;) {
    const rows = Math.min(batchSize, Math.max(Math.floor(budget / Math.max(lengths[order[b]], 1)), 1));
    passes.push(order.slice(b, b + rows));
    b += rows;
  }
  return passes;
}

function feeds(rows, pad, types) {
  const B = rows.length, L = Math.max(...rows.map((r) => r.length));
  const ids = new BigInt64Array(B * L).fill(BigInt(pad)), mask = new BigInt64Array(B * L), tt = new BigInt64Array(B * L);
  rows.forEach((r, i) => r.forEach((v, j) => {
    ids[i * L + j] = BigInt(v);
    mask[i * L + j] = 1n;
    if (types) tt[i * L + j] = BigInt(types[i][j]);
  }));
  const f = { input_ids: new ort.Tensor('int64', ids, [B, L]), attention_mask: new ort.Tensor('int64', mask, [B, L]) };
  if (types) f.token_type_ids = new ort.Tensor('int64', tt, [B, L]);
  return f;
}

async function runAll(session, rows, pad, types) {
  for (const p of plan(rows.map((r) => r.length)))
    await session.run(feeds(p.map((i) => rows[i]), pad, types ? p.map((i) => types[i]) : null));
}

async function seconds(f) {
  const t0 = process.hrtime.bigint();
  await f();
  return Number(process.hrtime.bigint() - t0) / 1e9;
}

async function best(f, warmUp) {
  await warmUp();  // one row, as bench_cpu warms up
  let b = Infinity;
  for (let i = 0; i < repeat; ++i) b = Math.min(b, await seconds(f));
  return b;
}

(async () => {
  const opts = { intraOpNumThreads: threads, interOpNumThreads: 1, graphOptimizationLevel: 'all',
                 executionProviders: ['cpu'] };
  const bi = await ort.InferenceSession.create(`${onnxDir}/biencoder.onnx`, opts);
  const ce = await ort.InferenceSession.create(`${onnxDir}/crossencoder.onnx`, opts);
  const r = {};
  for (const name of Object.keys(inputs).filter((k) => /^bi_\d+x\d+$/.test(k))) {
    const tokens = inputs[name].reduce((n, r) => n + r.length, 0);
    r[`tokens_per_s_${name.slice(3)}`] = tokens / await best(() => runAll(bi, inputs[name], 1),
                                                             () => runAll(bi, inputs[name].slice(0, 1), 1));
  }
  const times = [];
  await runAll(bi, inputs.bi_query, 1);
  for (let i = 0; i < 10; ++i) times.push(await seconds(() => runAll(bi, inputs.bi_query, 1)));
  times.sort((a, b) => a - b);
  r.query_ms = 1e3 * (times[4] + times[5]) / 2;
  for (const m of [512, 256]) {
    const pairs = inputs[`ce_${m}`];
    const ids = pairs.map((p) => p.ids), types = pairs.map((p) => p.type_ids);
    r[`ce_pairs_per_s_${m}`] = pairs.length / await best(() => runAll(ce, ids, 0, types),
                                                         () => runAll(ce, ids.slice(0, 1), 0, types.slice(0, 1)));
  }
  fs.writeFileSync(outPath, JSON.stringify({ ort_f32: r, ort_version: require('onnxruntime-node/package.json').version }));
  console.error(`ort_peer: ${JSON.stringify(r)}`);
})().catch((e) => { console.error(e); process.exit(1); });
