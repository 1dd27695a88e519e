// End-to-end tests of the page in headless Chromium (Debian's chromium, driven by
// playwright-core): the page's input tensor and class map against the Python LiteRT
// interpreter on the same image, the FP32 choice, the camera path, cross-origin
// isolation (threads), and bad inputs (a non-image, a huge image, a file that is not
// a TFLite model, a missing model) that must give a visible message, not a crash.
//
// Writes test-results/: screenshots and agreement.json (the figures the run reports).
import {after, before, describe, test} from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';

import {b64, config, launchChromium, python, pythonReference, readMeta, requireFile, startServer} from './helpers.mjs';

const TIMEOUT = 180000;  // one segmentation takes ~1 s; the CPU may be shared
const agreement = {};
let server, browser, page, tmp;
const consoleErrors = [];

function crc32(buf) {
  let c, crc = 0xffffffff;
  for (let n = 0; n < buf.length; n++) {
    c = (crc ^ buf[n]) & 0xff;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    crc = (crc >>> 8) ^ c;
  }
  return (crc ^ 0xffffffff) >>> 0;
}

/** A valid grayscale PNG of w x h (all one gray), small on disk however large. */
function grayPng(w, h) {
  const chunk = (type, data) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const td = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(td));
    return Buffer.concat([len, td, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0);
  ihdr.writeUInt32BE(h, 4);
  ihdr.set([8, 0, 0, 0, 0], 8);  // 8-bit grayscale
  const raw = Buffer.alloc((w + 1) * h, 128);
  for (let y = 0; y < h; y++) raw[y * (w + 1)] = 0;  // filter byte: none
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr), chunk('IDAT', zlib.deflateSync(raw, {level: 9})), chunk('IEND', Buffer.alloc(0))]);
}

async function statusState() {
  return page.evaluate(() => document.querySelector('#status').dataset.state);
}

/** Waits until the page's task queue is idle; returns the status state. */
async function settle() {
  await page.waitForFunction(() => window.demo && window.demo.state.pending === 0, null, {timeout: TIMEOUT});
  return statusState();
}

async function visibleMessage() {
  const visible = await page.isVisible('#message');
  return visible ? (await page.textContent('#message')).trim() : '';
}

async function segmentFile(file) {
  await page.setInputFiles('#image-file', file);
  // The change event queues the task; wait for it to start, then to finish.
  await page.waitForFunction(() => window.demo.state.pending > 0 ||
      ['done', 'error'].includes(document.querySelector('#status').dataset.state), null, {timeout: TIMEOUT});
  return settle();
}

async function exportLast() {
  return page.evaluate(() => window.demo.exportLast());
}

function diffCount(a, b) {
  assert.equal(a.length, b.length, 'lengths');
  let n = 0;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) n++;
  return n;
}

function compareRun(key, last, ref) {
  // 1) The page's own preprocessing == bisenetv2_tf.runtime.metadata.preprocess_rgb, bit for bit.
  const input = b64(last.input);
  const inputDiff = diffCount(input, ref.input);
  // 2) Raw output and 3) class map against the Python LiteRT interpreter.
  const out = b64(last.output);
  let maxAbs = 0, maxRef = 0;
  if (last.outputDtype === 'float32') {
    const a = new Float32Array(out.buffer, out.byteOffset, out.length / 4);
    const b = new Float32Array(ref.output.buffer, ref.output.byteOffset, ref.output.length / 4);
    assert.equal(a.length, b.length);
    for (let i = 0; i < a.length; i++) {
      maxAbs = Math.max(maxAbs, Math.abs(a[i] - b[i]));
      maxRef = Math.max(maxRef, Math.abs(b[i]));
    }
  } else {
    assert.equal(out.length, ref.output.length);
    for (let i = 0; i < out.length; i++) maxAbs = Math.max(maxAbs, Math.abs(out[i] - ref.output[i]));
  }
  const cm = b64(last.classMap);
  const cmDiff = diffCount(cm, ref.classMap);
  const entry = {
    model: last.model, precision: last.precision, image_hw: [last.h, last.w],
    input_hw: [last.H, last.W], resized_hw: [last.newH, last.newW],
    input_bytes_differing: inputDiff, input_bytes: input.length,
    output_max_abs_diff: maxAbs, output_max_abs: maxRef, output_dtype: last.outputDtype,
    classmap_pixels_differing: cmDiff, classmap_pixels: cm.length,
    classmap_agreement_pct: 100 * (1 - cmDiff / cm.length),
    page_counts: last.counts, python_counts: ref.result.counts,
    page_timings_ms: last.timings, threads: last.threads,
  };
  agreement[key] = entry;
  return entry;
}

before(async () => {
  // Fail, never skip, when what the tests need is missing.
  requireFile(config.models.int8, 'The INT8 model');
  requireFile(config.models.fp32, 'The FP32 model');
  readMeta(config.models.int8);
  readMeta(config.models.fp32);
  requireFile(config.image, 'The fixture image');
  fs.mkdirSync(config.resultsDir, {recursive: true});
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'webdemo-test-'));
  server = await startServer(config.modelDir);
  browser = await launchChromium();
  page = await browser.newPage({viewport: {width: 1280, height: 800}});
  page.on('pageerror', (err) => consoleErrors.push(`pageerror: ${err.message}`));
  page.on('crash', () => consoleErrors.push('page crashed'));
  const int8Name = path.basename(config.models.int8, '.tflite');
  await page.goto(`${server.url}?model=${encodeURIComponent(int8Name)}`);
  await page.waitForFunction(() => window.demo && window.demo.ready, null, {timeout: TIMEOUT});
  await page.evaluate(() => window.demo.ready);
  await settle();
});

after(async () => {
  fs.writeFileSync(path.join(config.resultsDir, 'agreement.json'), JSON.stringify(agreement, null, 1));
  if (browser) await browser.close();
  if (server) await server.stop();
  if (tmp) fs.rmSync(tmp, {recursive: true, force: true});
});

describe('web demo in headless Chromium', () => {
  test('serves with COOP/COEP: cross-origin isolated, multi-threaded WASM', async () => {
    const res = await fetch(server.url);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('cross-origin-opener-policy'), 'same-origin');
    assert.equal(res.headers.get('cross-origin-embedder-policy'), 'require-corp');
    const wasm = await fetch(`${server.url}node_modules/@litertjs/core/wasm/litert_wasm_threaded_internal.wasm`,
        {method: 'HEAD'});
    assert.equal(wasm.status, 200);
    assert.equal(wasm.headers.get('content-type'), 'application/wasm');
    const index = await (await fetch(`${server.url}models/index.json`)).json();
    assert.ok(index.models.some((m) => m.tflite === path.basename(config.models.int8)), 'index lists the model');
    for (const bad of ['models/..%2Fserve.py', 'models/serve.py', 'node_modules/playwright-core/package.json',
      'node_modules/@litertjs/..%2F..%2Fpackage.json']) {
      assert.ok((await fetch(server.url + bad)).status >= 400, `${bad} is not served`);
    }
    const state = await page.evaluate(() => window.demo.state);
    assert.equal(state.crossOriginIsolated, true);
    assert.equal(state.threaded, true, 'the threaded WASM build is loaded');
    const cores = await page.evaluate(() => navigator.hardwareConcurrency);
    assert.equal(state.threads, Math.min(cores, 4));
    assert.match(await page.textContent('#runtime-info'), /cross-origin isolated/);
  });

  test('INT8: page tensor and class map equal the Python LiteRT interpreter', async (t) => {
    assert.equal(await segmentFile(config.image), 'done', await visibleMessage());
    const last = await exportLast();
    assert.equal(last.model, path.basename(config.models.int8, '.tflite'));
    const ref = pythonReference(config.models.int8, config.image, path.join(tmp, 'ref_int8'));
    const e = compareRun('int8', last, ref);
    t.diagnostic(`INT8 ${last.w}x${last.h}: input bytes differing ${e.input_bytes_differing}/${e.input_bytes}, ` +
        `output max |diff| ${e.output_max_abs_diff}, class map ${e.classmap_pixels_differing}/${e.classmap_pixels} ` +
        `pixels differ (${e.classmap_agreement_pct.toFixed(4)}% agree)`);
    assert.equal(e.input_bytes_differing, 0, 'input tensor is bit-identical to preprocess_rgb');
    // INT8 is integer arithmetic in the same XNNPack kernels: exact, no tolerance.
    assert.equal(e.classmap_pixels_differing, 0, 'INT8 class map equals Python exactly');
    assert.deepEqual(last.counts, ref.result.counts, 'legend counts');
    // The legend shows every label with its color from the metadata.
    const meta = readMeta(config.models.int8);
    const items = await page.$$eval('#legend li', (lis) => lis.map((li) => ({
      text: li.textContent, color: getComputedStyle(li.querySelector('.swatch')).backgroundColor})));
    assert.equal(items.length, meta.labels.length);
    items.forEach((it, i) => {
      assert.ok(it.text.includes(meta.labels[i]));
      assert.equal(it.color, `rgb(${meta.colors[i].join(', ')})`);
    });
    assert.match(await page.textContent('#latency'), /Inference\s*[\d.]+ ms/);
    await page.screenshot({path: path.join(config.resultsDir, 'int8_fixture.png'), fullPage: true});

    // The drawn mask: at full opacity each canvas pixel is its class color (no resize
    // here, so canvas pixel (x, y) is class map pixel (x, y)); at zero, the image.
    const setAlpha = (v) => page.$eval('#alpha', (el, val) => {
      el.value = String(val);
      el.dispatchEvent(new Event('input'));
    }, v);
    const canvasPixels = async () => b64(await page.$eval('#result', (c) => {
      const px = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
      let str = '';
      for (let i = 0; i < px.length; i += 0x8000) str += String.fromCharCode(...px.subarray(i, i + 0x8000));
      return btoa(str);
    }));
    await setAlpha(255);
    const opaque = await canvasPixels();
    let wrong = 0;
    for (let y = 0; y < last.h; y += 7) {
      for (let x = 0; x < last.w; x += 7) {
        const col = meta.colors[ref.classMap[y * last.W + x]], o = (y * last.w + x) * 4;
        if (opaque[o] !== col[0] || opaque[o + 1] !== col[1] || opaque[o + 2] !== col[2]) wrong++;
      }
    }
    assert.equal(wrong, 0, 'opaque mask pixels are the class colors');
    await setAlpha(0);
    const clear = await canvasPixels();
    let off = 0;
    for (let i = 0; i < last.h * last.w; i++) {
      for (let c = 0; c < 3; c++) if (clear[i * 4 + c] !== ref.image[i * 3 + c]) off++;
    }
    assert.equal(off, 0, 'at zero opacity the canvas is the image as PIL decodes it');
    await setAlpha(150);
  });

  test('INT8 on an image that must be resized (letterbox + PIL bilinear)', async (t) => {
    const big = path.join(tmp, 'resized_fixture.png');
    python(['-c', 'import sys; from PIL import Image; im = Image.open(sys.argv[1]).convert("RGB"); ' +
        'im.resize((1000, 750), Image.BICUBIC).save(sys.argv[2])', config.image, big]);
    assert.equal(await segmentFile(big), 'done', await visibleMessage());
    const last = await exportLast();
    const ref = pythonReference(config.models.int8, big, path.join(tmp, 'ref_int8_resized'));
    assert.notDeepEqual([last.newH, last.newW], [last.h, last.w], 'the image is resized');
    const e = compareRun('int8_resized', last, ref);
    t.diagnostic(`INT8 ${last.w}x${last.h} -> ${last.newW}x${last.newH}: input bytes differing ` +
        `${e.input_bytes_differing}, class map ${e.classmap_pixels_differing} pixels differ`);
    assert.equal(e.input_bytes_differing, 0, 'resized input tensor is bit-identical to preprocess_rgb');
    assert.equal(e.classmap_pixels_differing, 0);
  });

  test('FP32 chosen in the model list: same tensor, class map agrees', async (t) => {
    const fp32Name = path.basename(config.models.fp32, '.tflite');
    await page.selectOption('#model-select', fp32Name);
    await page.waitForFunction(() => window.demo.state.pending > 0 || window.demo.state.model !== null, null,
        {timeout: TIMEOUT});
    assert.equal(await settle(), 'done', await visibleMessage());  // re-segments the last image
    assert.equal(await page.evaluate(() => window.demo.state.model), fp32Name);
    assert.equal(await segmentFile(config.image), 'done', await visibleMessage());
    const last = await exportLast();
    assert.equal(last.inputDtype, 'float32');
    const ref = pythonReference(config.models.fp32, config.image, path.join(tmp, 'ref_fp32'));
    const e = compareRun('fp32', last, ref);
    t.diagnostic(`FP32: input bytes differing ${e.input_bytes_differing}, output max |diff| ` +
        `${e.output_max_abs_diff.toExponential(2)}, class map ${e.classmap_pixels_differing}/` +
        `${e.classmap_pixels} pixels differ`);
    assert.equal(e.input_bytes_differing, 0, 'float32 input tensor is bit-identical');
    // Float kernels may sum in another order or fuse multiply-adds differently: allow
    // 1e-4 relative to the largest logit, and 0.01% of pixels (18 of 184320) at near-ties.
    const tol = 1e-4 * Math.max(1, e.output_max_abs);
    assert.ok(e.output_max_abs_diff <= tol, `FP32 logits within ${tol} (${e.output_max_abs_diff})`);
    assert.ok(e.classmap_pixels_differing <= e.classmap_pixels * 1e-4, 'FP32 class map within 0.01%');
    await page.screenshot({path: path.join(config.resultsDir, 'fp32_fixture.png'), fullPage: true});
    // Back to INT8 for the remaining tests.
    await page.selectOption('#model-select', path.basename(config.models.int8, '.tflite'));
    await page.waitForFunction((n) => window.demo.state.model === n && window.demo.state.pending === 0,
        path.basename(config.models.int8, '.tflite'), {timeout: TIMEOUT});
  });

  test('the Benchmark button times repeated runs', async () => {
    await page.fill('#bench-runs', '3');
    await page.click('#bench-btn');
    await settle();
    const text = await page.textContent('#bench-result');
    assert.match(text, /median [\d.]+ ms, p90 [\d.]+ ms, min [\d.]+ ms over 3 runs, \d thread/);
    const b = await page.evaluate(() => window.demo.state);
    assert.equal(b.status, 'done');
  });

  test('a file that is not an image: a message, and the page still works', async () => {
    const notImage = path.join(tmp, 'notes.png');
    fs.writeFileSync(notImage, 'this is text, not a PNG\n'.repeat(20));
    assert.equal(await segmentFile(notImage), 'error');
    assert.match(await visibleMessage(), /"notes\.png" is not an image this browser can decode/);
    await page.screenshot({path: path.join(config.resultsDir, 'bad_not_an_image.png')});
    assert.equal(await segmentFile(config.image), 'done', await visibleMessage());
    assert.equal(await visibleMessage(), '', 'the message goes away on success');
  });

  test('a huge image: a message, no decode, no crash', async () => {
    const huge = path.join(tmp, 'huge.png');
    fs.writeFileSync(huge, grayPng(9000, 6000));  // 54 megapixels
    assert.equal(await segmentFile(huge), 'error');
    assert.match(await visibleMessage(), /"huge\.png" is 9000×6000 \(54\.0 megapixels\), too large/);
    await page.screenshot({path: path.join(config.resultsDir, 'bad_huge_image.png')});
    assert.equal(await segmentFile(config.image), 'done', await visibleMessage());
  });

  test('a model file that is not TFLite (and a truncated one): a message, the old model stays', async () => {
    const json = config.models.int8.replace(/\.tflite$/, '.json');
    const fake = path.join(tmp, 'fake.tflite');
    fs.writeFileSync(fake, '<!doctype html><title>404</title>'.repeat(10));
    await page.setInputFiles('#model-file', [fake, json]);
    assert.equal(await settle(), 'error');
    assert.match(await visibleMessage(), /fake\.tflite is not a TFLite model/);
    assert.match(await page.textContent('#status'), /Still using/);
    await page.screenshot({path: path.join(config.resultsDir, 'bad_not_tflite.png')});

    // Right identifier, cut short: LiteRT.js itself must refuse it without breaking the runtime.
    const cut = path.join(tmp, 'truncated.tflite');
    fs.writeFileSync(cut, fs.readFileSync(config.models.int8).subarray(0, 4096));
    await page.setInputFiles('#model-file', [cut, json]);
    assert.equal(await settle(), 'error');
    assert.match(await visibleMessage(), /LiteRT\.js could not load truncated\.tflite/);

    // A model with the metadata of another one (uint8 input, float32 metadata).
    await page.setInputFiles('#model-file', [config.models.int8, config.models.fp32.replace(/\.tflite$/, '.json')]);
    assert.equal(await settle(), 'error');
    assert.match(await visibleMessage(), /the model input \(uint8\[1,\d+,\d+,3\]\) does not match its metadata \(float32/);

    // Only a .tflite, no metadata.
    await page.setInputFiles('#model-file', [config.models.int8]);
    assert.equal(await settle(), 'error');
    assert.match(await visibleMessage(), /Pick two files/);

    // The runtime and the previous model still work.
    assert.equal(await segmentFile(config.image), 'done', await visibleMessage());
    const last = await exportLast();
    const ref = pythonReference(config.models.int8, config.image, path.join(tmp, 'ref_int8_again'));
    assert.equal(diffCount(b64(last.classMap), ref.classMap), 0);

    // A good pair through the same file input loads.
    await page.setInputFiles('#model-file', [config.models.int8, json]);
    assert.equal(await settle(), 'done', await visibleMessage());
  });

  test('a missing model URL: a message', async () => {
    const p2 = await browser.newPage();
    try {
      await p2.goto(`${server.url}?model=no_such_model`);
      await p2.waitForFunction(() => window.demo && window.demo.ready, null, {timeout: TIMEOUT});
      await p2.evaluate(() => window.demo.ready);
      await p2.waitForFunction(() => window.demo.state.pending === 0, null, {timeout: TIMEOUT});
      assert.equal(await p2.evaluate(() => document.querySelector('#status').dataset.state), 'error');
      assert.match(await p2.textContent('#message'), /no_such_model\.json: HTTP 404/);
      assert.ok(await p2.isVisible('#message'));
    } finally {
      await p2.close();
    }
  });

  test('camera (Chromium fake device): frames are segmented, then it stops', async () => {
    await page.click('#camera-btn');
    await page.waitForFunction(() => window.demo.state.camera >= 2, null, {timeout: TIMEOUT});
    const last = await exportLast();
    assert.equal(last.model, path.basename(config.models.int8), 'the model last opened from files');
    assert.ok(last.w > 0 && last.h > 0);
    assert.equal(b64(last.classMap).length, last.H * last.W);
    assert.equal(last.counts.reduce((a, b) => a + b, 0), last.newH * last.newW, 'legend counts the frame');
    await page.screenshot({path: path.join(config.resultsDir, 'camera.png')});
    await page.click('#camera-btn');
    await settle();
    assert.equal(await page.evaluate(() => window.demo.state.camera), null);
    assert.equal(await page.textContent('#camera-btn'), 'Start camera');
  });

  test('no uncaught errors on the page', () => {
    assert.deepEqual(consoleErrors, []);
  });
});
