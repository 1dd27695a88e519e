// Shared by the tests and bench.mjs: configuration, the Python reference, the demo
// server and headless Chromium.
//
// Environment:
//   WEB_DEMO_MODEL_DIR   models (.tflite + .json), default <repo>/models/camvid
//   WEB_DEMO_INT8_MODEL  default bisenetv2_int8_ptq.tflite (in WEB_DEMO_MODEL_DIR)
//   WEB_DEMO_FP32_MODEL  default bisenetv2_fp32.tflite
//   WEB_DEMO_IMAGE       fixture image, default the first ../shared/data/camvid/val/*.png
//   WEB_DEMO_URL         a running `serve.py` (run_tests.sh starts one); else each
//                        test file starts its own on a free port
//   CHROMIUM             default /usr/bin/chromium
//   PYTHON               default python3
import {spawn, spawnSync} from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import {fileURLToPath} from 'node:url';

export const WEB_DEMO = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
export const REPO = path.dirname(WEB_DEMO);

const modelDir = path.resolve(REPO, process.env.WEB_DEMO_MODEL_DIR || 'models/camvid');
const valDir = path.resolve(REPO, '..', 'shared', 'data', 'camvid', 'val');

function defaultImage() {
  if (!fs.existsSync(valDir)) return path.join(valDir, '(missing)');
  const pngs = fs.readdirSync(valDir).filter((f) => f.endsWith('.png')).sort();
  return path.join(valDir, pngs[0] || '(no png)');
}

export const config = {
  modelDir,
  models: {
    int8: path.resolve(modelDir, process.env.WEB_DEMO_INT8_MODEL || 'bisenetv2_int8_ptq.tflite'),
    fp32: path.resolve(modelDir, process.env.WEB_DEMO_FP32_MODEL || 'bisenetv2_fp32.tflite'),
  },
  image: process.env.WEB_DEMO_IMAGE ? path.resolve(process.env.WEB_DEMO_IMAGE) : defaultImage(),
  chromium: process.env.CHROMIUM || '/usr/bin/chromium',
  python: process.env.PYTHON || 'python3',
  resultsDir: path.join(WEB_DEMO, 'test-results'),
};

/** Fails (never skips) when a configured file is missing. */
export function requireFile(file, what) {
  if (!fs.existsSync(file)) {
    throw new Error(`${what} is missing: ${file}\n` +
        'Set WEB_DEMO_MODEL_DIR (and WEB_DEMO_INT8_MODEL / WEB_DEMO_FP32_MODEL) or WEB_DEMO_IMAGE; ' +
        'see web_demo/README.md.');
  }
  return file;
}

export function readMeta(tflitePath) {
  requireFile(tflitePath, 'The model');
  const json = tflitePath.replace(/\.tflite$/, '.json');
  return JSON.parse(fs.readFileSync(requireFile(json, 'The model metadata'), 'utf8'));
}

/** Runs a Python command from the repository root; returns stdout, throws on failure. */
export function python(args) {
  const r = spawnSync(config.python, args, {cwd: REPO, encoding: 'utf8', maxBuffer: 64 << 20,
    env: {...process.env, TF_CPP_MIN_LOG_LEVEL: '2'}});
  if (r.error) throw r.error;
  if (r.status !== 0) {
    throw new Error(`${config.python} ${args.join(' ')} exited ${r.status}:\n${r.stderr}\n${r.stdout}`);
  }
  return r.stdout;
}

/** The Python reference for a model and an image (web_demo/tools/reference_classmap.py). */
export function pythonReference(model, image, outDir, {threads = 2, bench = 0} = {}) {
  const args = ['web_demo/tools/reference_classmap.py', '--model', model, '--image', image,
    '--out-dir', outDir, '--threads', String(threads)];
  if (bench) args.push('--bench', String(bench));
  python(args);
  const read = (f) => new Uint8Array(fs.readFileSync(path.join(outDir, f)));
  return {
    result: JSON.parse(fs.readFileSync(path.join(outDir, 'result.json'), 'utf8')),
    image: read('image.bin'), input: read('input.bin'), output: read('output.bin'),
    classMap: read('classmap.bin'),
  };
}

/** Starts web_demo/serve.py on a free loopback port; resolves {url, stop}. */
export function startServer(dir = modelDir) {
  if (process.env.WEB_DEMO_URL) {
    return Promise.resolve({url: process.env.WEB_DEMO_URL.replace(/\/?$/, '/'), stop: async () => {}});
  }
  return new Promise((resolve, reject) => {
    const child = spawn(config.python, [path.join(WEB_DEMO, 'serve.py'), '--port', '0', '--quiet',
      '--model-dir', dir], {stdio: ['ignore', 'pipe', 'pipe']});
    let out = '', err = '';
    const timer = setTimeout(() => reject(new Error(`serve.py did not start:\n${err}`)), 30000);
    child.stderr.on('data', (d) => { err += d; });
    child.stdout.on('data', (d) => {
      out += d;
      const m = out.match(/Serving (http:\/\/127\.0\.0\.1:\d+\/)/);
      if (m) {
        clearTimeout(timer);
        resolve({
          url: m[1],
          stop: () => new Promise((done) => {
            if (child.exitCode !== null) return done();
            child.once('exit', done);
            child.kill('SIGTERM');
          }),
        });
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`serve.py exited ${code}:\n${err}`));
    });
  });
}

export const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
  // A synthetic camera, allowed without a prompt, for the camera test.
  '--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream',
];

/** Debian's Chromium driven by playwright-core (Playwright's own browsers are not used). */
export async function launchChromium() {
  requireFile(config.chromium, 'Chromium');
  const {chromium} = await import('playwright-core');
  return chromium.launch({executablePath: config.chromium, args: CHROMIUM_ARGS, headless: true, timeout: 120000});
}

export function b64(s) {
  return new Uint8Array(Buffer.from(s, 'base64'));
}
