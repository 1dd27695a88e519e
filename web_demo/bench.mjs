// On-demand benchmark (not run in CI): LiteRT.js WASM in headless Chromium against the
// Python LiteRT interpreter, same model, same input, same machine, same thread count.
//
//   node web_demo/bench.mjs [--runs 20] [--threads 2] [--models int8,fp32] [--image PATH]
//
// Both sides time one inference as: input tensor in + run + output tensor out
// (browser: new Tensor + CompiledModel.run + toTypedArray; Python: set_tensor + invoke
// + get_tensor), after a warm-up run. Prints a markdown table.
// Models and image: as the tests (WEB_DEMO_MODEL_DIR etc., see tests/helpers.mjs).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {parseArgs} from 'node:util';

import {config, launchChromium, pythonReference, requireFile, startServer} from './tests/helpers.mjs';
import {percentile} from './segment.js';

const {values: args} = parseArgs({options: {
  runs: {type: 'string', default: '20'},
  threads: {type: 'string', default: '2'},
  models: {type: 'string', default: 'int8,fp32'},
  image: {type: 'string', default: config.image},
}});
const runs = Number.parseInt(args.runs, 10);
const threads = Number.parseInt(args.threads, 10);
const keys = args.models.split(',').map((s) => s.trim()).filter(Boolean);
for (const k of keys) requireFile(config.models[k] || k, `Model ${k}`);
requireFile(args.image, 'The image');

const stats = (times) => ({median: percentile(times, 50), p90: percentile(times, 90), min: Math.min(...times)});
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'webdemo-bench-'));
const server = await startServer(config.modelDir);
const browser = await launchChromium();
const version = browser.version();
const rows = [];
const load = [os.loadavg()[0]];
try {
  for (const key of keys) {
    const model = path.resolve(config.models[key] || key);
    if (path.dirname(model) !== config.modelDir) {
      throw new Error(`${model} is not in the served model directory ${config.modelDir}`);
    }
    const name = path.basename(model, '.tflite');
    const page = await browser.newPage();
    await page.goto(`${server.url}?model=${encodeURIComponent(name)}&threads=${threads}`);
    await page.waitForFunction(() => window.demo && window.demo.ready, null, {timeout: 300000});
    await page.evaluate(() => window.demo.ready);
    await page.setInputFiles('#image-file', args.image);
    await page.waitForFunction(() => window.demo.state.pending === 0, null, {timeout: 300000});
    const state = await page.evaluate(() => window.demo.state);
    if (state.status !== 'done') throw new Error(`page: ${await page.textContent('#message')}`);
    const b = await page.evaluate((n) => window.demo.benchmark(n), runs);
    await page.close();
    rows.push({name, runtime: `LiteRT.js ${state.threaded ? 'WASM threads' : 'WASM'} (Chromium)`,
      threads: b.threads, input: b.input, runs, ...stats(b.times)});

    const ref = pythonReference(model, args.image, path.join(tmp, name), {threads, bench: runs});
    rows.push({name, runtime: 'Python ai_edge_litert Interpreter', threads, input: ref.result.input_hw, runs,
      ...stats(ref.result.bench_ms)});
    load.push(os.loadavg()[0]);
  }
} finally {
  await browser.close();
  await server.stop();
  fs.rmSync(tmp, {recursive: true, force: true});
}

console.log(`\nBiSeNet V2 inference latency, ${os.cpus().length} CPU(s) ${os.cpus()[0].model}, ` +
    `Chromium ${version}, 1-min load average ${load.map((l) => l.toFixed(2)).join(' -> ')}\n`);
console.log('| model | runtime | threads | input (H×W) | runs | median ms | p90 ms | min ms |');
console.log('|---|---|---|---|---|---|---|---|');
for (const r of rows) {
  console.log(`| ${r.name} | ${r.runtime} | ${r.threads} | ${r.input[0]}×${r.input[1]} | ${r.runs} | ` +
      `${r.median.toFixed(1)} | ${r.p90.toFixed(1)} | ${r.min.toFixed(1)} |`);
}
