// Pure functions of the web demo: metadata checks, the reference preprocessing of
// bisenetv2_tf/runtime/metadata.py (preprocess_rgb) reproduced bit for bit, PIL's bilinear resize,
// the class map from the output tensor, and the overlay colors.
// No DOM and no LiteRT here, so node can import this file too.

export const METADATA_FORMAT = 'bisenetv2-tf/metadata';
export const METADATA_VERSION = 1;
const QRANGE = {uint8: [0, 255], int8: [-128, 127]};
// Element types LiteRT.js 2.5 can hand to and read from a model.
const JS_DTYPES = new Set(['float32', 'uint8', 'int32']);

/** A problem the page shows to the user as a message (not a crash). */
export class UserError extends Error {
  constructor(message) {
    super(message);
    this.name = 'UserError';
  }
}

function fail(message) {
  throw new UserError(message);
}

/**
 * Checks a metadata JSON (see bisenetv2_tf/runtime/metadata.py) and returns what the page needs:
 * {height, width, inputDtype, quant, mean, std, labels, colors, numClasses, outputKind}.
 */
export function parseMetadata(meta) {
  if (!meta || typeof meta !== 'object') fail('The metadata is not a JSON object.');
  if (meta.format !== METADATA_FORMAT) {
    fail(`The metadata is not a ${METADATA_FORMAT} file (format: ${JSON.stringify(meta.format)}).`);
  }
  if (meta.version !== METADATA_VERSION) {
    fail(`Metadata version ${meta.version} is not supported (this page reads version ${METADATA_VERSION}).`);
  }
  const input = meta.input || {};
  const shape = input.shape;
  if (!Array.isArray(shape) || shape.length !== 4 || shape[0] !== 1 || shape[3] !== 3 ||
      !(shape[1] > 0) || !(shape[2] > 0)) {
    fail(`The model input shape ${JSON.stringify(shape)} is not [1, H, W, 3] with a static batch of 1.`);
  }
  if (input.layout && input.layout !== 'NHWC') fail(`Input layout ${input.layout} is not NHWC.`);
  const inputDtype = input.dtype;
  if (!(inputDtype in QRANGE) && inputDtype !== 'float32') {
    fail(`Input dtype ${inputDtype} is not supported.`);
  }
  if (!JS_DTYPES.has(inputDtype)) {
    fail(`Input dtype ${inputDtype} cannot be fed by LiteRT.js (it takes float32, int32 or uint8); ` +
         'convert with --io-dtype uint8.');
  }
  const quant = input.quantization || null;
  if (inputDtype in QRANGE && !(quant && quant.scale > 0 && Number.isInteger(quant.zero_point))) {
    fail(`Input dtype ${inputDtype} needs a quantization {scale, zero_point}.`);
  }
  const norm = meta.normalization || {};
  const mean = norm.mean, std = norm.std;
  if (!Array.isArray(mean) || mean.length !== 3 || !Array.isArray(std) || std.length !== 3 ||
      std.some((s) => !(s > 0))) {
    fail('The metadata normalization needs mean[3] and std[3] > 0.');
  }
  const labels = meta.labels, colors = meta.colors;
  if (!Array.isArray(labels) || !labels.length) fail('The metadata has no labels.');
  if (!Array.isArray(colors) || colors.length !== labels.length ||
      colors.some((c) => !Array.isArray(c) || c.length !== 3)) {
    fail('The metadata colors must be one [r, g, b] per label.');
  }
  const output = meta.output || {};
  const outputKind = output.kind || 'logits';
  if (!['logits', 'probs', 'argmax'].includes(outputKind)) fail(`Output kind ${outputKind} is unknown.`);
  if (!JS_DTYPES.has(output.dtype)) {
    fail(`Output dtype ${output.dtype} cannot be read by LiteRT.js (it reads float32, int32 or uint8).`);
  }
  return {
    height: shape[1], width: shape[2], inputDtype, quant,
    mean: mean.map(Math.fround), std: std.map(Math.fround),
    labels, colors, numClasses: labels.length, outputKind,
    outputShape: output.shape, outputDtype: output.dtype,
    precision: meta.precision || '?',
  };
}

/** Checks a file's bytes for the TFLite flatbuffer identifier "TFL3" (bytes 4..7). */
export function looksLikeTflite(bytes) {
  return bytes.length >= 8 && bytes[4] === 0x54 && bytes[5] === 0x46 && bytes[6] === 0x4c &&
      bytes[7] === 0x33;
}

/** Python's round(): round half to even. */
export function pyRound(x) {
  const f = Math.floor(x);
  const d = x - f;
  if (d > 0.5) return f + 1;
  if (d < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

/** metadata.letterbox_geometry: (h, w), (H, W) -> {scale, newH, newW}. */
export function letterboxGeometry(h, w, bigH, bigW) {
  const r = Math.min(bigH / h, bigW / w);
  if (r === 1) return {scale: r, newH: h, newW: w};
  return {
    scale: r,
    newH: Math.min(bigH, Math.max(1, pyRound(h * r))),
    newW: Math.min(bigW, Math.max(1, pyRound(w * r))),
  };
}

// ---- PIL Image.resize(..., Image.BILINEAR) for 8-bit RGB, ported from Pillow's
// src/libImaging/Resample.c (precompute_coeffs, normalize_coeffs_8bpc,
// ImagingResampleHorizontal/Vertical_8bpc, ImagingResampleInner), so that resized
// images match the Python reference pixel for pixel.
const PRECISION_BITS = 32 - 8 - 2;

function bilinearFilter(x) {
  if (x < 0) x = -x;
  return x < 1 ? 1 - x : 0;
}

function precomputeCoeffs(inSize, outSize) {
  const support1 = 1.0;  // BILINEAR support
  const scale = inSize / outSize;
  const filterscale = Math.max(scale, 1.0);
  const support = support1 * filterscale;
  const ksize = Math.ceil(support) * 2 + 1;
  const kk = new Float64Array(outSize * ksize);
  const bounds = new Int32Array(outSize * 2);
  for (let xx = 0; xx < outSize; xx++) {
    const center = (xx + 0.5) * scale;
    const ss = 1.0 / filterscale;
    let ww = 0.0;
    let xmin = Math.trunc(center - support + 0.5);
    if (xmin < 0) xmin = 0;
    let xmax = Math.trunc(center + support + 0.5);
    if (xmax > inSize) xmax = inSize;
    xmax -= xmin;
    const off = xx * ksize;
    for (let x = 0; x < xmax; x++) {
      const w = bilinearFilter((x + xmin - center + 0.5) * ss);
      kk[off + x] = w;
      ww += w;
    }
    for (let x = 0; x < xmax; x++) {
      if (ww !== 0.0) kk[off + x] /= ww;
    }
    bounds[xx * 2] = xmin;
    bounds[xx * 2 + 1] = xmax;
  }
  // normalize_coeffs_8bpc: to fixed point, C's (int) truncation.
  const ik = new Int32Array(kk.length);
  for (let i = 0; i < kk.length; i++) {
    ik[i] = kk[i] < 0 ? Math.trunc(-0.5 + kk[i] * (1 << PRECISION_BITS))
                      : Math.trunc(0.5 + kk[i] * (1 << PRECISION_BITS));
  }
  return {ksize, bounds, kk: ik};
}

function clip8(v) {
  const s = v >> PRECISION_BITS;
  return s < 0 ? 0 : s > 255 ? 255 : s;
}

function horizontalPass(src, srcW, rows, rowOffset, outW) {
  const hor = precomputeCoeffs(srcW, outW);
  const half = 1 << (PRECISION_BITS - 1);
  const out = new Uint8Array(rows * outW * 3);
  for (let yy = 0; yy < rows; yy++) {
    const rowIn = (yy + rowOffset) * srcW * 3;
    for (let xx = 0; xx < outW; xx++) {
      const xmin = hor.bounds[xx * 2], xmax = hor.bounds[xx * 2 + 1], k0 = xx * hor.ksize;
      let s0 = half, s1 = half, s2 = half;
      for (let x = 0; x < xmax; x++) {
        const k = hor.kk[k0 + x], p = rowIn + (x + xmin) * 3;
        s0 += src[p] * k; s1 += src[p + 1] * k; s2 += src[p + 2] * k;
      }
      const o = (yy * outW + xx) * 3;
      out[o] = clip8(s0); out[o + 1] = clip8(s1); out[o + 2] = clip8(s2);
    }
  }
  return out;
}

function verticalPass(src, w, vert, outH, rowShift) {
  const half = 1 << (PRECISION_BITS - 1);
  const out = new Uint8Array(outH * w * 3);
  for (let yy = 0; yy < outH; yy++) {
    const ymin = vert.bounds[yy * 2] - rowShift, ymax = vert.bounds[yy * 2 + 1], k0 = yy * vert.ksize;
    for (let xx = 0; xx < w; xx++) {
      let s0 = half, s1 = half, s2 = half;
      for (let y = 0; y < ymax; y++) {
        const k = vert.kk[k0 + y], p = ((y + ymin) * w + xx) * 3;
        s0 += src[p] * k; s1 += src[p + 1] * k; s2 += src[p + 2] * k;
      }
      const o = (yy * w + xx) * 3;
      out[o] = clip8(s0); out[o + 1] = clip8(s1); out[o + 2] = clip8(s2);
    }
  }
  return out;
}

/**
 * PIL bilinear resize of packed RGB (h*w*3 bytes) to outH x outW; returns packed RGB.
 * Pass order as in Pillow >= 13 (python-pillow/Pillow#9549): vertical first when the
 * height shrinks by more than twice as many pixels as the width, else horizontal
 * first (always horizontal first in Pillow <= 12: {legacyOrder: true}).
 */
export function resizeBilinearPIL(rgb, h, w, outH, outW, {legacyOrder = false} = {}) {
  if (outH === h && outW === w) return rgb.slice();
  const needH = outW !== w;
  const needV = outH !== h;
  const horizontalFirst = legacyOrder || !((h - outH) > 0 && (h - outH) > (w - outW) * 2);
  const vert = precomputeCoeffs(h, outH);
  if (!horizontalFirst) {
    const tmp = needV ? verticalPass(rgb, w, vert, outH, 0) : rgb;
    return needH ? horizontalPass(tmp, w, outH, 0, outW) : tmp;
  }
  if (!needH) return verticalPass(rgb, w, vert, outH, 0);
  // Only the source rows the vertical pass reads are resampled horizontally.
  const yFirst = vert.bounds[0];
  const yLast = vert.bounds[outH * 2 - 2] + vert.bounds[outH * 2 - 1];
  const tmp = horizontalPass(rgb, w, yLast - yFirst, yFirst, outW);
  return needV ? verticalPass(tmp, outW, vert, outH, yFirst) : tmp;
}

/** RGBA (canvas ImageData bytes) -> packed RGB, alpha dropped. */
export function rgbaToRgb(rgba, pixels) {
  const rgb = new Uint8Array(pixels * 3);
  for (let i = 0, j = 0; i < pixels; i++, j += 4) {
    rgb[i * 3] = rgba[j]; rgb[i * 3 + 1] = rgba[j + 1]; rgb[i * 3 + 2] = rgba[j + 2];
  }
  return rgb;
}

/**
 * metadata.preprocess_rgb in JS: packed RGB h x w -> the (1,H,W,3) input tensor data
 * (Uint8Array for uint8 inputs, Float32Array for float32), float32 arithmetic in the
 * same order as numpy so the tensor is bit-identical.
 * Returns {data, newH, newW}. legacyOrder: resize as Pillow <= 12 (see resizeBilinearPIL).
 */
export function preprocess(rgb, h, w, info, {legacyOrder = false} = {}) {
  const {height: H, width: W, mean, std, inputDtype, quant} = info;
  const {newH, newW} = letterboxGeometry(h, w, H, W);
  const pix = (newH !== h || newW !== w) ? resizeBilinearPIL(rgb, h, w, newH, newW, {legacyOrder}) : rgb;
  const f = Math.fround;
  const c255 = f(255);
  // Lookup per channel: x = (p / 255f - mean) / std, all float32 ops.
  const lut = [0, 1, 2].map((c) => {
    const t = new Float32Array(256);
    for (let p = 0; p < 256; p++) t[p] = f(f(f(p / c255) - mean[c]) / std[c]);
    return t;
  });
  const n = H * W * 3;
  if (inputDtype === 'float32') {
    const data = new Float32Array(n);  // padding: 0.0
    for (let y = 0; y < newH; y++) {
      for (let x = 0; x < newW; x++) {
        const i = (y * newW + x) * 3, o = (y * W + x) * 3;
        data[o] = lut[0][pix[i]]; data[o + 1] = lut[1][pix[i + 1]]; data[o + 2] = lut[2][pix[i + 2]];
      }
    }
    return {data, newH, newW};
  }
  // Quantized: q = clamp(floor(x / scale + 0.5) + zero_point).
  const [lo, hi] = QRANGE[inputDtype];
  const scale = f(quant.scale), zp = quant.zero_point;
  const qOf = (x) => Math.min(hi, Math.max(lo, Math.floor(f(f(x / scale) + 0.5)) + zp));
  const qlut = lut.map((t) => Uint8Array.from(t, (x) => qOf(x) & 0xff));
  const data = new Uint8Array(n).fill(qOf(0) & 0xff);
  for (let y = 0; y < newH; y++) {
    for (let x = 0; x < newW; x++) {
      const i = (y * newW + x) * 3, o = (y * W + x) * 3;
      data[o] = qlut[0][pix[i]]; data[o + 1] = qlut[1][pix[i + 1]]; data[o + 2] = qlut[2][pix[i + 2]];
    }
  }
  return {data, newH, newW};
}

/**
 * metadata.class_map_from_output: output data of (1,H,W,K) (argmax over K, first
 * maximum wins as in numpy) or (1,H,W) class ids -> Uint8Array of H*W class ids.
 */
export function classMapFromOutput(out, H, W, info) {
  const n = H * W;
  const map = new Uint8Array(n);
  if (info.outputKind === 'argmax' || out.length === n) {
    for (let i = 0; i < n; i++) map[i] = out[i];
    return map;
  }
  const K = out.length / n;
  if (!Number.isInteger(K) || K < 1) {
    throw new UserError(`The output has ${out.length} values, not H*W*K for ${H}x${W}.`);
  }
  for (let i = 0, o = 0; i < n; i++, o += K) {
    let best = 0, bv = out[o];
    for (let k = 1; k < K; k++) {
      if (out[o + k] > bv) { bv = out[o + k]; best = k; }
    }
    map[i] = best;
  }
  return map;
}

/**
 * The class map's valid (top-left newH x newW) region -> RGBA overlay pixels of
 * newH x newW with the metadata colors and the given alpha, plus per-class pixel counts.
 */
export function colorize(classMap, W, newH, newW, colors, alpha) {
  const rgba = new Uint8ClampedArray(newH * newW * 4);
  const counts = new Array(colors.length).fill(0);
  for (let y = 0; y < newH; y++) {
    for (let x = 0; x < newW; x++) {
      const c = classMap[y * W + x];
      const o = (y * newW + x) * 4;
      const col = colors[c];
      if (col) {
        rgba[o] = col[0]; rgba[o + 1] = col[1]; rgba[o + 2] = col[2]; rgba[o + 3] = alpha;
        counts[c]++;
      }
    }
  }
  return {rgba, counts};
}

/** Median and p-th percentile (nearest rank) of a list of numbers. */
export function percentile(values, p) {
  const s = [...values].sort((a, b) => a - b);
  if (!s.length) return NaN;
  const rank = Math.ceil((p / 100) * s.length);
  return s[Math.min(s.length - 1, Math.max(0, rank - 1))];
}
