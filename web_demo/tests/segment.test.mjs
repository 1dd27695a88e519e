// Unit tests of segment.js in node (no browser): the JS preprocessing against
// bisenetv2_tf.runtime.metadata.preprocess_rgb (PIL bilinear resize + normalization + quantization),
// bit for bit, on random images of many sizes, for a quantized and a float model.
import {test} from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import * as seg from '../segment.js';
import {config, python, readMeta} from './helpers.mjs';

function compareBytes(got, want, what) {
  assert.equal(got.length, want.length, `${what}: length`);
  let diff = 0, first = -1;
  for (let i = 0; i < got.length; i++) {
    if (got[i] !== want[i]) {
      diff++;
      if (first < 0) first = i;
    }
  }
  assert.equal(diff, 0, `${what}: ${diff} of ${got.length} bytes differ (first at ${first}: ` +
      `${got[first]} vs ${want[first]})`);
}

for (const key of ['int8', 'fp32']) {
  test(`preprocess() equals preprocess_rgb bit for bit (${key} metadata, resizes included)`, () => {
    const meta = readMeta(config.models[key]);
    const info = seg.parseMetadata(meta);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), `webdemo-pre-${key}-`));
    try {
      python(['web_demo/tools/reference_classmap.py', '--meta', config.models[key].replace(/\.tflite$/, '.json'),
        '--preprocess-cases', dir]);
      const {cases, pillow} = JSON.parse(fs.readFileSync(path.join(dir, 'cases.json'), 'utf8'));
      // Pillow 13 changed the order of the two resize passes (see resizeBilinearPIL).
      const opts = {legacyOrder: Number.parseInt(pillow, 10) < 13};
      assert.ok(cases.length >= 10);
      let resizedCases = 0;
      for (const c of cases) {
        const read = (ext) => new Uint8Array(fs.readFileSync(path.join(dir, `${c.prefix}.${ext}`)));
        const rgb = read('rgb');
        const geo = seg.letterboxGeometry(c.h, c.w, info.height, info.width);
        assert.deepEqual([geo.newH, geo.newW], [c.new_h, c.new_w], `letterbox of ${c.h}x${c.w}`);
        if (geo.newH !== c.h || geo.newW !== c.w) {
          resizedCases++;
          compareBytes(seg.resizeBilinearPIL(rgb, c.h, c.w, geo.newH, geo.newW, opts), read('resized'),
              `PIL bilinear ${c.h}x${c.w} -> ${c.new_h}x${c.new_w}`);
        }
        const {data} = seg.preprocess(rgb, c.h, c.w, info, opts);
        assert.equal(data instanceof Float32Array ? 'float32' : 'uint8', c.dtype);
        compareBytes(new Uint8Array(data.buffer), read('tensor'), `tensor of ${c.h}x${c.w}`);
      }
      assert.ok(resizedCases >= 8, 'most cases resize');
    } finally {
      fs.rmSync(dir, {recursive: true, force: true});
    }
  });
}

test('pyRound rounds half to even like Python', () => {
  assert.deepEqual([0.5, 1.5, 2.5, 2.4999, 2.5001, 269.5, 270.5].map(seg.pyRound), [0, 2, 2, 2, 3, 270, 270]);
});

test('classMapFromOutput: argmax over K, first maximum wins (numpy)', () => {
  const out = new Uint8Array([1, 9, 9, 0, /**/ 7, 7, 7, 7, /**/ 0, 0, 0, 5]);
  assert.deepEqual(Array.from(seg.classMapFromOutput(out, 1, 3, {outputKind: 'logits'})), [1, 0, 3]);
  const ids = new Int32Array([2, 0, 1]);
  assert.deepEqual(Array.from(seg.classMapFromOutput(ids, 1, 3, {outputKind: 'argmax'})), [2, 0, 1]);
});

test('parseMetadata refuses what LiteRT.js cannot feed or the page cannot draw', () => {
  const meta = readMeta(config.models.int8);
  assert.equal(seg.parseMetadata(meta).inputDtype, 'uint8');
  const bad = (patch, re) => assert.throws(() => seg.parseMetadata({...structuredClone(meta), ...patch}),
      (err) => err instanceof seg.UserError && re.test(err.message));
  bad({format: 'other'}, /not a bisenetv2-tf\/metadata/);
  bad({version: 2}, /version 2/);
  bad({input: {...meta.input, shape: [-1, 384, 480, 3]}}, /static batch/);
  bad({input: {...meta.input, dtype: 'int8'}}, /cannot be fed by LiteRT\.js/);
  bad({colors: meta.colors.slice(1)}, /one \[r, g, b\] per label/);
  bad({output: {...meta.output, dtype: 'int64'}}, /cannot be read/);
});

test('looksLikeTflite checks the TFL3 identifier', () => {
  const model = fs.readFileSync(config.models.int8);
  assert.ok(seg.looksLikeTflite(new Uint8Array(model.subarray(0, 16))));
  assert.ok(!seg.looksLikeTflite(new TextEncoder().encode('<html>not a model</html>')));
  assert.ok(!seg.looksLikeTflite(new Uint8Array(3)));
});
