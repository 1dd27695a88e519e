// The web demo: LiteRT.js (WASM, multi-threaded when the page is cross-origin
// isolated) runs a BiSeNet V2 .tflite on an image or camera frames and draws the
// colored class mask with a legend and the latency. Model input size, labels, colors
// and normalization come from the metadata JSON beside each .tflite.
//
// URL parameters: ?model=NAME (a model of /models/index.json) or ?model=URL/of.tflite
// (its .json beside it), ?threads=N (WASM threads, default min(cores, 4)).
import {loadLiteRt, loadAndCompile, supportsFeature, Tensor} from '@litertjs/core';
import * as seg from './segment.js';

const MAX_PIXELS = 50e6;   // larger images are refused with a message
const MAX_SIDE = 16384;    // the largest canvas side Chromium and Firefox draw
const WASM_DIR = new URL('./node_modules/@litertjs/core/wasm/', location.href).href;
const MODEL_DIR = new URL('./models/', location.href).href;
const DEFAULT_MODELS = ['bisenetv2_int8_ptq', 'bisenetv2_int8_qat', 'bisenetv2_fp32'];
const params = new URLSearchParams(location.search);

const $ = (id) => document.getElementById(id);
const ui = {
  modelSelect: $('model-select'), modelFile: $('model-file'), imageFile: $('image-file'),
  cameraBtn: $('camera-btn'), alpha: $('alpha'), benchBtn: $('bench-btn'), benchRuns: $('bench-runs'),
  status: $('status'), message: $('message'), canvas: $('result'), video: $('camera'),
  imageInfo: $('image-info'), legend: $('legend'), latency: $('latency'),
  benchResult: $('bench-result'), runtimeInfo: $('runtime-info'),
};

const state = {
  threads: 1,
  threaded: false,
  model: null,        // {compiled, info, name, source}
  image: null,        // {rgba, h, w, name}: the last segmented image
  last: null,         // the last result (tensors, class map, timings)
  lastBench: null,
  camera: null,       // {stream, running}
  queue: Promise.resolve(),
  pending: 0,
};

// ---------------------------------------------------------------- status & errors

function setStatus(text, kind) {
  ui.status.textContent = text;
  ui.status.dataset.state = kind;
}

function showError(err) {
  const text = err instanceof seg.UserError ? err.message
      : `Unexpected error: ${err && err.message ? err.message : String(err)}`;
  if (!(err instanceof seg.UserError)) console.error(err);
  ui.message.textContent = text;
  ui.message.hidden = false;
  setStatus(state.model ? `Error. Still using ${state.model.name}.` : 'Error: no model loaded.', 'error');
}

function clearError() {
  ui.message.hidden = true;
  ui.message.textContent = '';
}

/** Runs tasks one at a time; a failure shows a message and the page carries on. */
function enqueue(task) {
  state.pending++;
  const run = state.queue.then(async () => {
    try {
      await task();
    } catch (err) {
      showError(err);
    } finally {
      state.pending--;
    }
  });
  state.queue = run;
  return run;
}

window.addEventListener('unhandledrejection', (e) => showError(e.reason));
window.addEventListener('error', (e) => showError(e.error || e.message));

// ---------------------------------------------------------------- runtime & models

async function initRuntime() {
  const isolated = self.crossOriginIsolated === true;
  const canThread = isolated && await supportsFeature('threads') && await supportsFeature('relaxedSimd');
  const wanted = Number.parseInt(params.get('threads') || '', 10) ||
      Math.min(navigator.hardwareConcurrency || 1, 4);
  await loadLiteRt(WASM_DIR, {threads: canThread});
  state.threaded = canThread;
  state.threads = canThread ? Math.max(1, wanted) : 1;
  ui.runtimeInfo.textContent = `LiteRT.js WASM (XNNPack), ${state.threads} thread(s); ` +
      (isolated ? 'cross-origin isolated' : 'NOT cross-origin isolated: single-threaded') +
      (canThread ? '' : isolated ? ', threads unsupported here' : '');
}

async function fetchOk(url, what) {
  let response;
  try {
    response = await fetch(url);
  } catch (err) {
    throw new seg.UserError(`Could not fetch the ${what} ${url}: ${err.message}`);
  }
  if (!response.ok) {
    throw new seg.UserError(`Could not fetch the ${what} ${url}: HTTP ${response.status} ${response.statusText}`);
  }
  return response;
}

function parseJsonText(text, name) {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new seg.UserError(`${name} is not valid JSON: ${err.message}`);
  }
}

function sameShape(a, b) {
  return a.length === b.length && Array.from(a).every((v, i) => v === b[i]);
}

/** Compiles model bytes with their metadata; replaces the current model on success only. */
async function compileModel(name, bytes, meta, source) {
  const info = seg.parseMetadata(meta);
  if (!seg.looksLikeTflite(bytes)) {
    throw new seg.UserError(`${name} is not a TFLite model (no "TFL3" flatbuffer identifier; ` +
        `${bytes.length} bytes).`);
  }
  setStatus(`Compiling ${name}…`, 'busy');
  let compiled;
  try {
    compiled = await loadAndCompile(bytes, {accelerator: 'wasm', cpuOptions: {numThreads: state.threads}});
  } catch (err) {
    throw new seg.UserError(`LiteRT.js could not load ${name}: ${err && err.message ? err.message : err}`);
  }
  try {
    const ins = compiled.getInputDetails(), outs = compiled.getOutputDetails();
    const wantIn = [1, info.height, info.width, 3];
    if (ins.length !== 1 || !sameShape(ins[0].shape, wantIn) || ins[0].dtype !== info.inputDtype) {
      throw new seg.UserError(`${name}: the model input (${ins.map((t) => `${t.dtype}[${t.shape}]`)}) ` +
          `does not match its metadata (${info.inputDtype}[${wantIn}]).`);
    }
    const n = info.height * info.width;
    const outSize = outs.length ? outs[0].shape.reduce((a, b) => a * b, 1) : 0;
    if (outs.length < 1 || outs[0].dtype !== info.outputDtype ||
        !(outSize === n || outSize === n * info.numClasses)) {
      throw new seg.UserError(`${name}: the model output (${outs.map((t) => `${t.dtype}[${t.shape}]`)}) ` +
          `does not match its metadata (${info.outputDtype}, ${info.numClasses} classes).`);
    }
    // Warm-up run (XNNPack packs weights on the first run) so the shown latency is steady.
    const t0 = performance.now();
    const zeros = info.inputDtype === 'float32' ? new Float32Array(n * 3) : new Uint8Array(n * 3);
    await runModel(compiled, zeros, info);
    const warm = performance.now() - t0;
    if (state.model) state.model.compiled.delete();
    state.model = {compiled, info, name, source, warmupMs: warm};
  } catch (err) {
    compiled.delete();
    throw err;
  }
  renderLegend(null);
  setStatus(`Ready: ${name} (${info.precision}, input ${info.height}×${info.width}, ` +
      `${info.inputDtype}). First run ${state.model.warmupMs.toFixed(0)} ms.`, 'ready');
}

async function loadModelUrl(tfliteUrl, name) {
  clearError();
  setStatus(`Loading ${name}…`, 'busy');
  const jsonUrl = tfliteUrl.replace(/\.tflite(\?.*)?$/, '.json');
  const meta = parseJsonText(await (await fetchOk(jsonUrl, 'metadata')).text(), jsonUrl);
  const bytes = new Uint8Array(await (await fetchOk(tfliteUrl, 'model')).arrayBuffer());
  await compileModel(name, bytes, meta, tfliteUrl);
  if (state.image) await segmentImage(state.image);
}

async function loadModelFiles(files) {
  clearError();
  const list = Array.from(files || []);
  const tfl = list.find((f) => !f.name.toLowerCase().endsWith('.json'));
  const js = list.find((f) => f.name.toLowerCase().endsWith('.json'));
  if (!tfl || !js) {
    throw new seg.UserError('Pick two files: the model (.tflite) and its metadata (.json).');
  }
  setStatus(`Loading ${tfl.name}…`, 'busy');
  const meta = parseJsonText(await js.text(), js.name);
  const bytes = new Uint8Array(await tfl.arrayBuffer());
  await compileModel(tfl.name, bytes, meta, 'file');
  ui.modelSelect.value = '';
  if (state.image) await segmentImage(state.image);
}

async function listModels() {
  let names = DEFAULT_MODELS;
  try {
    const response = await fetch(MODEL_DIR + 'index.json');
    if (response.ok) {
      const models = (await response.json()).models || [];
      names = models.map((m) => m.name);
    }
  } catch (err) {
    // A plain static server has no index: offer the default names.
  }
  ui.modelSelect.replaceChildren(...names.map((n) => new Option(n, n)),
      new Option('(model from files)', ''));
  return names;
}

function modelUrl(nameOrUrl) {
  if (/[/:]/.test(nameOrUrl) || nameOrUrl.endsWith('.tflite')) {
    return {url: new URL(nameOrUrl, location.href).href, name: nameOrUrl.split('/').pop().replace(/\.tflite$/, '')};
  }
  return {url: `${MODEL_DIR}${encodeURIComponent(nameOrUrl)}.tflite`, name: nameOrUrl};
}

// ---------------------------------------------------------------- inference

/** Input data -> output data (a copy), tensor in + run + tensor out. */
async function runModel(compiled, data, info) {
  const input = new Tensor(data, [1, info.height, info.width, 3]);
  let outputs;
  try {
    outputs = await compiled.run(input);
  } finally {
    input.delete();
  }
  try {
    return outputs[0].toTypedArray();
  } finally {
    for (const t of outputs) t.delete();
  }
}

/** Decoded RGBA pixels of h x w -> preprocessing, inference, drawing; fills state.last. */
async function segmentImage(image) {
  if (!state.model) throw new seg.UserError('No model is loaded.');
  const {compiled, info, name} = state.model;
  const {rgba, h, w} = image;
  const t0 = performance.now();
  const rgb = seg.rgbaToRgb(rgba, h * w);
  const {data, newH, newW} = seg.preprocess(rgb, h, w, info);
  const t1 = performance.now();
  const output = await runModel(compiled, data, info);
  const t2 = performance.now();
  const classMap = seg.classMapFromOutput(output, info.height, info.width, info);
  const counts = draw(image, classMap, info, newH, newW);
  const t3 = performance.now();
  const timings = {preprocess: t1 - t0, inference: t2 - t1, postprocess: t3 - t2, total: t3 - t0};
  state.image = image;
  state.last = {model: name, precision: info.precision, input: data, output, classMap,
    H: info.height, W: info.width, h, w, newH, newW, counts, timings, threads: state.threads};
  renderLegend(counts);
  for (const td of ui.latency.querySelectorAll('td')) {
    td.textContent = `${timings[td.dataset.key].toFixed(1)} ms`;
  }
  ui.imageInfo.textContent = `${image.name}: ${w}×${h}` +
      (newW !== w || newH !== h ? `, resized to ${newW}×${newH}` : '') +
      ` in a ${info.width}×${info.height} input`;
  ui.benchBtn.disabled = false;
  if (!state.camera) {
    setStatus(`Done: ${image.name} with ${name} in ${timings.total.toFixed(0)} ms ` +
        `(inference ${timings.inference.toFixed(0)} ms, ${state.threads} thread(s)).`, 'done');
  }
}

/** Draws the image and the mask (valid region scaled back to h x w, nearest). */
function draw(image, classMap, info, newH, newW) {
  const {rgba, h, w} = image;
  const alpha = Number(ui.alpha.value);
  const {rgba: mask, counts} = seg.colorize(classMap, info.width, newH, newW, info.colors, alpha);
  const canvas = ui.canvas;
  canvas.width = w;
  canvas.height = h;
  const ctx = canvas.getContext('2d');
  ctx.putImageData(new ImageData(new Uint8ClampedArray(rgba.buffer, rgba.byteOffset, rgba.length), w, h), 0, 0);
  const off = new OffscreenCanvas(newW, newH);
  off.getContext('2d').putImageData(new ImageData(mask, newW, newH), 0, 0);
  ctx.imageSmoothingEnabled = false;
  ctx.drawImage(off, 0, 0, newW, newH, 0, 0, w, h);
  return counts;
}

function renderLegend(counts) {
  const info = state.model && state.model.info;
  if (!info) return;
  const total = counts ? counts.reduce((a, b) => a + b, 0) : 0;
  ui.legend.replaceChildren(...info.labels.map((label, i) => {
    const li = document.createElement('li');
    const sw = document.createElement('span');
    sw.className = 'swatch';
    sw.style.background = `rgb(${info.colors[i].join(',')})`;
    const name = document.createElement('span');
    name.textContent = label;
    li.append(sw, name);
    if (counts) {
      const pct = document.createElement('span');
      pct.className = 'pct';
      pct.textContent = `${(100 * counts[i] / Math.max(total, 1)).toFixed(1)}%`;
      li.append(pct);
      if (!counts[i]) li.classList.add('absent');
    }
    li.dataset.classId = String(i);
    return li;
  }));
}

// ---------------------------------------------------------------- images & camera

function pixelsOf(source, w, h) {
  const canvas = new OffscreenCanvas(w, h);
  const ctx = canvas.getContext('2d', {willReadFrequently: true});
  ctx.drawImage(source, 0, 0);
  return ctx.getImageData(0, 0, w, h).data;
}

/** An image file -> {rgba, h, w, name}, or a UserError for non-images and huge images. */
async function decodeImageFile(file) {
  const name = file.name || 'image';
  const url = URL.createObjectURL(file);
  let w, h;
  try {
    // The element reads the size from the header; the pixels are decoded only later.
    const img = new Image();
    await new Promise((resolve, reject) => {
      img.onload = resolve;
      img.onerror = () => reject(new seg.UserError(
          `"${name}" is not an image this browser can decode` + (file.type ? ` (type ${file.type}).` : '.')));
      img.src = url;
    });
    w = img.naturalWidth;
    h = img.naturalHeight;
  } finally {
    URL.revokeObjectURL(url);
  }
  if (!w || !h) throw new seg.UserError(`"${name}" has no pixels.`);
  if (w * h > MAX_PIXELS || w > MAX_SIDE || h > MAX_SIDE) {
    throw new seg.UserError(`"${name}" is ${w}×${h} (${(w * h / 1e6).toFixed(1)} megapixels), too large: ` +
        `this page takes up to ${MAX_PIXELS / 1e6} megapixels and ${MAX_SIDE} pixels a side. ` +
        'Scale it down first.');
  }
  let bitmap;
  try {
    bitmap = await createImageBitmap(file, {colorSpaceConversion: 'none', premultiplyAlpha: 'none'});
  } catch (err) {
    throw new seg.UserError(`"${name}" could not be decoded: ${err.message}`);
  }
  try {
    return {rgba: pixelsOf(bitmap, bitmap.width, bitmap.height), h: bitmap.height, w: bitmap.width, name};
  } finally {
    bitmap.close();
  }
}

async function onImageFile(file) {
  if (!file) return;
  clearError();
  stopCamera();
  setStatus(`Reading ${file.name}…`, 'busy');
  const image = await decodeImageFile(file);
  setStatus(`Segmenting ${file.name}…`, 'busy');
  await segmentImage(image);
}

async function startCamera() {
  clearError();
  if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
    throw new seg.UserError('No camera API here (it needs https or localhost and a browser that has one).');
  }
  let stream;
  try {
    stream = await navigator.mediaDevices.getUserMedia({video: {width: {ideal: 640}}, audio: false});
  } catch (err) {
    throw new seg.UserError(`The camera could not be opened: ${err.name}: ${err.message}`);
  }
  const video = ui.video;
  video.srcObject = stream;
  await video.play();
  state.camera = {stream, frames: 0};
  ui.cameraBtn.textContent = 'Stop camera';
  setStatus('Camera running…', 'busy');
  const cam = state.camera;
  const step = () => {
    if (state.camera !== cam) return;
    enqueue(async () => {
      if (state.camera !== cam || !video.videoWidth) return;
      const w = video.videoWidth, h = video.videoHeight;
      await segmentImage({rgba: pixelsOf(video, w, h), h, w, name: 'camera'});
      if (state.camera !== cam) return;
      cam.frames++;
      setStatus(`Camera: frame ${cam.frames}, ${state.last.timings.total.toFixed(0)} ms ` +
          `(inference ${state.last.timings.inference.toFixed(0)} ms).`, 'camera');
    }).then(() => setTimeout(step, 0));
  };
  step();
}

function stopCamera() {
  if (!state.camera) return;
  for (const track of state.camera.stream.getTracks()) track.stop();
  ui.video.srcObject = null;
  state.camera = null;
  ui.cameraBtn.textContent = 'Start camera';
  if (state.last) setStatus(`Camera stopped. ${state.model ? state.model.name : ''}`, 'done');
}

// ---------------------------------------------------------------- benchmark

async function benchmark(runs) {
  if (!state.model || !state.last) throw new seg.UserError('Segment an image first.');
  const {compiled, info, name} = state.model;
  const input = state.last.input;
  const times = [];
  setStatus(`Benchmark: ${runs} runs of ${name}…`, 'busy');
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await runModel(compiled, input, info);
    times.push(performance.now() - t0);
  }
  const r = {model: name, precision: info.precision, runs, threads: state.threads,
    input: [info.height, info.width], times,
    median: seg.percentile(times, 50), p90: seg.percentile(times, 90), min: Math.min(...times)};
  state.lastBench = r;
  ui.benchResult.textContent = `Benchmark ${name}: median ${r.median.toFixed(1)} ms, ` +
      `p90 ${r.p90.toFixed(1)} ms, min ${r.min.toFixed(1)} ms over ${runs} runs, ${r.threads} thread(s).`;
  setStatus(`Benchmark done: median ${r.median.toFixed(1)} ms.`, 'done');
  return r;
}

// ---------------------------------------------------------------- test hooks

function base64(typed) {
  const bytes = new Uint8Array(typed.buffer, typed.byteOffset, typed.byteLength);
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

window.demo = {
  get state() {
    return {model: state.model && state.model.name, threads: state.threads, threaded: state.threaded,
      crossOriginIsolated: self.crossOriginIsolated, pending: state.pending,
      camera: state.camera ? state.camera.frames : null, status: ui.status.dataset.state};
  },
  /** The last result with its tensors as base64 (for the tests). */
  exportLast() {
    const l = state.last;
    if (!l) return null;
    return {model: l.model, precision: l.precision, H: l.H, W: l.W, h: l.h, w: l.w, newH: l.newH,
      newW: l.newW, counts: l.counts, timings: l.timings, threads: l.threads,
      inputDtype: l.input instanceof Float32Array ? 'float32' : 'uint8',
      outputDtype: l.output instanceof Float32Array ? 'float32' : l.output instanceof Int32Array ? 'int32' : 'uint8',
      input: base64(l.input), output: base64(l.output), classMap: base64(l.classMap)};
  },
  benchmark: (runs) => {
    let result;
    return enqueue(async () => { result = await benchmark(runs); }).then(() => result);
  },
  idle: () => state.queue,
  ready: null,
};

// ---------------------------------------------------------------- wiring

// The inputs are cleared after each pick, so picking the same file again runs again.
ui.imageFile.addEventListener('change', () => {
  const file = ui.imageFile.files[0];
  ui.imageFile.value = '';
  enqueue(() => onImageFile(file));
});
ui.modelFile.addEventListener('change', () => {
  const files = Array.from(ui.modelFile.files);
  ui.modelFile.value = '';
  enqueue(() => loadModelFiles(files));
});
ui.modelSelect.addEventListener('change', () => {
  const name = ui.modelSelect.value;
  if (!name) return;
  enqueue(async () => {
    try {
      await loadModelUrl(modelUrl(name).url, name);
    } catch (err) {
      // Show the model still in use.
      ui.modelSelect.value = state.model && state.model.source !== 'file' ? state.model.name : '';
      throw err;
    }
  });
});
ui.cameraBtn.addEventListener('click', () => {
  if (state.camera) stopCamera();
  else enqueue(startCamera);
});
ui.alpha.addEventListener('input', () => {
  if (state.last && state.image && !state.camera) {
    const l = state.last;
    renderLegend(draw(state.image, l.classMap, state.model.info, l.newH, l.newW));
  }
});
ui.benchBtn.addEventListener('click', () => enqueue(() => benchmark(
    Math.min(200, Math.max(1, Number.parseInt(ui.benchRuns.value, 10) || 10)))));

window.demo.ready = enqueue(async () => {
  await initRuntime();
  const names = await listModels();
  for (const el of [ui.modelSelect, ui.modelFile, ui.imageFile]) el.disabled = false;
  ui.cameraBtn.disabled = !(navigator.mediaDevices && navigator.mediaDevices.getUserMedia);
  if (ui.cameraBtn.disabled) ui.cameraBtn.title = 'No camera API in this context';
  const wanted = params.get('model') ||
      names.find((n) => n === DEFAULT_MODELS[0]) || names.find((n) => /int8/.test(n)) || names[0];
  if (!wanted) throw new seg.UserError('No models found under models/ (see web_demo/README.md).');
  const {url, name} = modelUrl(wanted);
  if ([...ui.modelSelect.options].some((o) => o.value === name)) ui.modelSelect.value = name;
  await loadModelUrl(url, name);
});
