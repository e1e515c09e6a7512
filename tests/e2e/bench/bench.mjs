// The browser half of `cargo xtask bench` (xtask/src/bench.rs writes the config and reads the result).
//
//   node tests/e2e/bench/bench.mjs CONFIG.json RESULT.json
//
// Debian's headless Chromium through playwright-core (no browser download), the real file input with
// file PATHS (Chromium reads the files itself; nothing is copied through Playwright). Every scenario runs
// in a fresh browser context. Measured in the page:
// - load: from the `change` event of `file-input` (capture listener) to the first `data-state="done"` of
//   `load-status` after it (MutationObserver), i.e. until the dataset is built and the counters are final;
// - JSON.parse: after the app's load, in the same page, the same file is read through a second, hidden
//   `<input type=file>` (`await file.arrayBuffer()`, gunzipped with `DecompressionStream` for .gz; not
//   timed), then `gc()`, `new TextDecoder().decode(buf)` (timed separately) and `JSON.parse(text)`
//   (timed), --parseRuns times (5); the median is reported;
// - long tasks: PerformanceObserver 'longtask' entries on the page's main thread that start after `change`;
// - memory: (a) the renderer processes' RSS (VmRSS in /proc, summed over the browser's
//   `--type=renderer` descendants of this node process, which launched Chromium; dedicated workers live
//   in the renderer) sampled every 100 ms by node:
//   the peak during the load minus the value just before it; (b) the size of every WebAssembly.Memory
//   the app's wasm instances own, main thread and workers, read after the load (linear memory never
//   shrinks, so this is its peak), found by wrapping WebAssembly.instantiate(Streaming) in the worker
//   loader script (served through page.route with the wrapper prepended); (c) the main thread's
//   `performance.memory.usedJSHeapSize` (precise with --enable-precise-memory-info).
//   `performance.measureUserAgentSpecificMemory` needs a cross-origin-isolated page, which a static
//   host without COOP/COEP headers is not; it is used when available.
// - re-filter: `fill` the query into `filter-input`, then press Enter; from the keydown (capture
//   listener) until `stat-events` shows a different value and `load-status` is `done`, plus the next
//   animation frame (so the new counters, histogram, timeline and table have been rendered).
import { chromium } from 'playwright-core';
import * as fs from 'fs';

const [configPath, resultPath] = process.argv.slice(2);
const config = JSON.parse(fs.readFileSync(configPath, 'utf8'));
const log = (...a) => console.error('[bench]', ...a);

const chromiumArgs = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
  // For the measurements only: gc() between JSON.parse runs, precise performance.memory.
  '--js-flags=--expose-gc', '--enable-precise-memory-info',
];

// Runs before any page script: long tasks, the change/keydown times and every load-status state.
function instrument() {
  const b = (window.__bench = { states: [], longTasks: [], changeAt: null, keyAt: null });
  try {
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) b.longTasks.push({ start: e.startTime, duration: e.duration });
    }).observe({ type: 'longtask', buffered: true });
  } catch (_) { /* no longtask support */ }
  document.addEventListener('change', (e) => {
    if (e.target && e.target.dataset && e.target.dataset.testid === 'file-input') b.changeAt = performance.now();
  }, true);
  document.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && e.target && e.target.dataset && e.target.dataset.testid === 'filter-input') b.keyAt = performance.now();
  }, true);
  let last = null;
  const check = () => {
    const el = document.querySelector('[data-testid="load-status"]');
    const s = el ? el.getAttribute('data-state') : null;
    if (s !== last) { last = s; b.states.push([s, performance.now()]); }
  };
  const start = () => new MutationObserver(check).observe(document.documentElement, { subtree: true, childList: true, attributes: true, attributeFilter: ['data-state'] });
  if (document.documentElement) start(); else document.addEventListener('DOMContentLoaded', start);
}

// Prepended to the worker loader: remembers every wasm memory the worker instantiates.
const wasmHook = `(() => {
  const mems = (self.__benchWasm = self.__benchWasm || []);
  const keep = (r) => { const inst = r && (r.instance || r); if (inst && inst.exports) for (const v of Object.values(inst.exports)) if (v instanceof WebAssembly.Memory) mems.push(v); return r; };
  const i = WebAssembly.instantiate, s = WebAssembly.instantiateStreaming;
  WebAssembly.instantiate = function (...a) { return i.apply(this, a).then(keep); };
  if (s) WebAssembly.instantiateStreaming = function (...a) { return s.apply(this, a).then(keep); };
})();\n`;

// ---- renderer RSS from /proc --------------------------------------------------------------
function children(pid) {
  try {
    const dir = `/proc/${pid}/task`;
    const out = [];
    for (const t of fs.readdirSync(dir)) {
      try { out.push(...fs.readFileSync(`${dir}/${t}/children`, 'utf8').split(' ').filter(Boolean).map(Number)); } catch (_) {}
    }
    return out;
  } catch (_) { return []; }
}
function rendererPids(root) {
  const all = [];
  const stack = [root];
  while (stack.length) { const p = stack.pop(); for (const c of children(p)) { all.push(c); stack.push(c); } }
  return all.filter((p) => { try { return fs.readFileSync(`/proc/${p}/cmdline`, 'utf8').includes('--type=renderer'); } catch (_) { return false; } });
}
function rssOf(pid) {
  try { const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8')); return m ? Number(m[1]) * 1024 : 0; } catch (_) { return 0; }
}
function rendererRss(browserPid) { return rendererPids(browserPid).reduce((s, p) => s + rssOf(p), 0); }
function sampler(browserPid) {
  let peak = rendererRss(browserPid);
  const start = peak;
  const t = setInterval(() => { peak = Math.max(peak, rendererRss(browserPid)); }, 100);
  return { start, stop() { clearInterval(t); const end = rendererRss(browserPid); peak = Math.max(peak, end); return { start, peak, end }; } };
}

const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s.length ? s[Math.floor(s.length / 2)] : null; };

// ---- one scenario ------------------------------------------------------------------------
async function openApp(browser) {
  // No service worker: the worker loader is served through page.route (the wasm hook below),
  // which does not see requests a service worker could answer; the bench times loads, not the
  // offline copy (issue 23).
  const context = await browser.newContext({ serviceWorkers: 'block' });
  const page = await context.newPage();
  let crashed = false;
  page.on('crash', () => { crashed = true; log('page crashed'); });
  const errors = [];
  page.on('pageerror', (e) => { errors.push({ at: Date.now(), message: String(e).slice(0, 300) }); log('page error:', String(e).slice(0, 300)); });
  await page.addInitScript(instrument);
  await page.route('**/worker_loader.js', async (route) => {
    try {
      const res = await route.fetch();
      await route.fulfill({ response: res, body: wasmHook + (await res.text()) });
    } catch (_) { await route.continue(); }
  });
  await page.goto(config.url);
  await page.waitForFunction(() => {
    const el = document.querySelector('[data-testid="load-status"]');
    return el && el.getAttribute('data-state') === 'idle';
  }, null, { timeout: 60_000 });
  await page.waitForLoadState('networkidle');
  await page.waitForTimeout(500);
  return { context, page, errors, isCrashed: () => crashed };
}

async function wasmMemory(page) {
  let main = 0, workers = 0, nWorkers = 0;
  const each = [], heaps = [], profiles = [];
  try { main = await page.evaluate(() => (self.__benchWasm || []).reduce((s, m) => s + m.buffer.byteLength, 0)); } catch (_) {}
  for (const w of page.workers()) {
    try {
      const n = await w.evaluate(() => (self.__benchWasm || []).reduce((s, m) => s + m.buffer.byteLength, 0));
      // [live, peak] heap bytes the worker's counting allocator saw (src/heap.rs).
      const heap = await w.evaluate(() => (typeof self.__tsHeap === 'function' ? self.__tsHeap() : null));
      // Milliseconds per phase of the last load in the worker (src/profile.rs).
      const profile = await w.evaluate(() => (typeof self.__tsProfile === 'function' ? self.__tsProfile() : null));
      if (n > 0) { workers += n; nWorkers += 1; each.push(n); heaps.push(heap); profiles.push(profile); }
    } catch (_) {}
  }
  // Largest first: the owner holds the dataset, helpers only one parsed file at a time.
  const order = each.map((_, i) => i).sort((a, b) => each[b] - each[a]);
  return { main, workers, nWorkers, each: order.map((i) => each[i]), heaps: order.map((i) => heaps[i]), profiles: order.map((i) => profiles[i]) };
}

async function counters(page) {
  return page.evaluate(() => {
    const t = (id) => { const el = document.querySelector(`[data-testid="${id}"]`); return el ? el.textContent.trim() : null; };
    const statuses = {};
    for (const el of document.querySelectorAll('[data-testid="file-status"]')) {
      const s = el.getAttribute('data-status'); statuses[s] = (statuses[s] || 0) + 1;
    }
    return { events: t('stat-events'), tunnels: t('stat-tunnels'), failed: t('stat-failed-tunnels'), statuses };
  });
}

async function load(browser, app, paths) {
  const { page } = app;
  const rss = sampler(process.pid);
  // A person presses the file input (the engine starts: issue 23) and spends a moment in the
  // file dialog before the files arrive.
  await page.getByTestId('file-input').dispatchEvent('pointerdown');
  await page.waitForTimeout(1000);
  const wallStart = Date.now();
  await page.getByTestId('file-input').setInputFiles(paths);
  let timedOut = false;
  let failed = null;
  const errorsBefore = app.errors.length;
  // Done, or crashed, or timed out, or an uncaught page error followed by 60 s without a state change.
  for (;;) {
    let state;
    try {
      state = await page.evaluate(() => {
        const b = window.__bench;
        const last = b.states.length ? b.states[b.states.length - 1] : null;
        return { done: b.changeAt !== null && b.states.some(([s, t]) => s === 'done' && t > b.changeAt), lastChange: last ? performance.now() - last[1] : 0 };
      });
    } catch (e) {
      if (!app.isCrashed()) log(`page unreachable: ${String(e).slice(0, 200)}`);
      break;
    }
    if (state.done) break;
    const err = app.errors.slice(errorsBefore).at(-1);
    if (err && Date.now() - err.at > 60_000 && state.lastChange > 60_000) { failed = err.message; break; }
    if (Date.now() - wallStart > config.loadTimeoutMs) { timedOut = true; break; }
    await new Promise((r) => setTimeout(r, 200));
  }
  const wallMs = Date.now() - wallStart;
  const mem = rss.stop();
  if (app.isCrashed()) return { crashed: true, wallMs, rss: mem };
  if (failed) { log(`load failed: ${failed}`); return { failed, wallMs, rss: mem, wasm: await wasmMemory(page) }; }
  if (timedOut) { log('load did not finish in time'); return { timedOut: true, wallMs, rss: mem, wasm: await wasmMemory(page) }; }
  // The load's timeline (ms from `change`): the page's states and marks, the workers' marks.
  const timeline = await page.evaluate(() => {
    const b = window.__bench;
    const at = (t) => Math.round(t - b.changeAt);
    const out = b.states.filter(([, t]) => t >= b.changeAt).map(([s, t]) => [`page: ${s}`, at(t)]);
    for (const m of performance.getEntriesByType('mark')) if (m.startTime >= b.changeAt) out.push([m.name, at(m.startTime)]);
    return { out, origin: performance.timeOrigin + b.changeAt };
  });
  const b = await page.evaluate(() => {
    const b = window.__bench;
    const done = b.states.find(([s, t]) => s === 'done' && t > b.changeAt);
    const during = b.longTasks.filter((t) => t.start >= b.changeAt);
    // The task that delivered `change` began before it: the browser's making of the selected
    // files' File objects (before) and the page's handler (after), reported apart.
    const ct = b.longTasks.find((t) => t.start < b.changeAt && t.start + t.duration >= b.changeAt);
    const changeTask = ct ? { before: b.changeAt - ct.start, after: ct.start + ct.duration - b.changeAt } : null;
    let heap = null;
    if (performance.memory) heap = performance.memory.usedJSHeapSize;
    return {
      loadMs: done[1] - b.changeAt,
      longest: during.reduce((m, t) => Math.max(m, t.duration), 0),
      longTasks: during.length,
      changeTask,
      over100: during.filter((t) => t.duration > 100).length,
      heap,
      isolated: self.crossOriginIsolated === true,
    };
  });
  let uaMemory = null;
  if (b.isolated) {
    try { uaMemory = (await page.evaluate(() => performance.measureUserAgentSpecificMemory())).bytes; } catch (_) {}
  }
  const wasm = await wasmMemory(page);
  // The workers' marks come with their profiles (src/profile.rs), on the epoch's clock.
  for (const p of wasm.profiles) {
    for (const [what, t] of (p && p.marks) || []) timeline.out.push([what, Math.round(t - timeline.origin)]);
  }
  timeline.out.sort((x, y) => x[1] - y[1]);
  log(`  timeline (ms after change): ${timeline.out.map(([w, t]) => `${t} ${w}`).join(' | ')}`);
  return { ...b, wallMs, rss: mem, wasm, uaMemory, counters: await counters(page), timeline: timeline.out };
}

async function jsonParse(page, path, gz) {
  await page.evaluate(() => {
    const i = document.createElement('input');
    i.type = 'file';
    i.id = '__bench_file';
    i.style.display = 'none';
    document.documentElement.appendChild(i); // outside <body>, which the app owns
  });
  await page.locator('#__bench_file').setInputFiles(path);
  return page.evaluate(async ({ gz, runs }) => {
    const f = document.getElementById('__bench_file').files[0];
    try {
      const t0 = performance.now();
      let buf = gz
        ? await new Response(f.stream().pipeThrough(new DecompressionStream('gzip'))).arrayBuffer()
        : await f.arrayBuffer();
      const readMs = performance.now() - t0;
      const decode = [], parse = [];
      let records = 0;
      for (let i = 0; i < runs; i++) {
        if (self.gc) self.gc();
        const a = performance.now();
        let text = new TextDecoder().decode(buf);
        const b = performance.now();
        let obj = JSON.parse(text);
        const c = performance.now();
        records = obj.Records.length;
        decode.push(b - a);
        parse.push(c - b);
        text = null; obj = null;
      }
      const bytes = buf.byteLength;
      buf = null;
      if (self.gc) self.gc();
      return { readMs, decode, parse, records, bytes };
    } catch (e) {
      return { error: String(e) };
    }
  }, { gz, runs: config.parseRuns });
}

async function refilter(page, queries) {
  const out = [];
  for (const q of queries) {
    const input = page.getByTestId('filter-input');
    await input.fill(q);
    await page.waitForTimeout(300);
    const before = await page.evaluate(() => {
      window.__bench.keyAt = null;
      const el = document.querySelector('[data-testid="stat-events"]');
      return el ? el.textContent.trim() : null;
    });
    // Wait in the page for the change, then one more animation frame.
    const waiter = page.evaluate((before) => new Promise((resolve) => {
      const ok = () => {
        const ev = document.querySelector('[data-testid="stat-events"]');
        const st = document.querySelector('[data-testid="load-status"]');
        // Settled: every section (histogram, timeline, tables) shows the new view, not only the counters.
        const settled = document.querySelector('.app')?.getAttribute('data-settled') !== 'false';
        return ev && ev.textContent.trim() !== before && st && st.getAttribute('data-state') === 'done' && settled;
      };
      const finish = () => requestAnimationFrame(() => resolve({ ms: performance.now() - window.__bench.keyAt, events: document.querySelector('[data-testid="stat-events"]').textContent.trim() }));
      const mo = new MutationObserver(() => { if (window.__bench.keyAt !== null && ok()) { mo.disconnect(); finish(); } });
      mo.observe(document.documentElement, { subtree: true, childList: true, characterData: true, attributes: true });
      setTimeout(() => { mo.disconnect(); resolve({ ms: null, events: before, timeout: true }); }, 120_000);
    }), before);
    await input.press('Enter');
    const r = await waiter;
    out.push({ query: q, before, ...r });
    log(`re-filter ${JSON.stringify(q)}: ${r.ms === null ? 'no change within 120 s' : r.ms.toFixed(1) + ' ms'} (${before} -> ${r.events})`);
  }
  return out;
}

// BENCH_ONLY=events (a comma-separated list of scenario keys) runs only those: for quick
// experiments with `node bench.mjs` on a config xtask wrote; xtask itself runs them all.
const only = process.env.BENCH_ONLY ? process.env.BENCH_ONLY.split(',') : null;

async function scenario(browser, name, fn, key) {
  if (only && !only.includes(key)) return { skipped: true };
  log(`${name}…`);
  const app = await openApp(browser);
  try {
    return await fn(app);
  } catch (e) {
    log(`${name} failed: ${String(e).slice(0, 500)}`);
    return { error: String(e).slice(0, 500), crashed: app.isCrashed() };
  } finally {
    await app.context.close().catch(() => {});
  }
}

const browser = await chromium.launch({ executablePath: config.chromium, args: chromiumArgs, headless: true });
const result = { chromium: browser.version(), scenarios: {} };
const s = config.sets;

result.scenarios.big_json = await scenario(browser, 'one {"Records":[…]} file', async (app) => {
  const l = await load(browser, app, s.big_json.paths);
  log(`  app: ${JSON.stringify(l)}`);
  const p = l.loadMs !== undefined ? await jsonParse(app.page, s.big_json.paths[0], false) : null;
  log(`  JSON.parse: ${JSON.stringify(p)}`);
  return { load: l, parse: p };
}, 'big_json');
result.scenarios.big_gz = await scenario(browser, 'the same file as .json.gz', async (app) => {
  const l = await load(browser, app, s.big_gz.paths);
  log(`  app: ${JSON.stringify(l)}`);
  const p = l.loadMs !== undefined ? await jsonParse(app.page, s.big_gz.paths[0], true) : null;
  log(`  JSON.parse: ${JSON.stringify(p)}`);
  return { load: l, parse: p };
}, 'big_gz');
result.scenarios.tree = await scenario(browser, `${s.tree.paths.length} small .json.gz files`, async (app) => {
  const l = await load(browser, app, s.tree.paths);
  log(`  app: ${JSON.stringify(l)}`);
  return { load: l };
}, 'tree');
const sameRefilter = JSON.stringify(config.refilter.paths) === JSON.stringify(s.events.paths);
result.scenarios.events = await scenario(browser, `${s.events.records} events`, async (app) => {
  const l = await load(browser, app, s.events.paths);
  log(`  app: ${JSON.stringify(l)}`);
  const r = { load: l };
  if (sameRefilter && l.loadMs !== undefined) r.refilter = await refilter(app.page, config.queries);
  return r;
}, 'events');
if (sameRefilter) {
  result.scenarios.refilter = { sameAsEvents: true, load: result.scenarios.events.load, refilter: result.scenarios.events.refilter };
} else {
  result.scenarios.refilter = await scenario(browser, `re-filter on ${config.refilter.records} events`, async (app) => {
    const l = await load(browser, app, config.refilter.paths);
    log(`  app: ${JSON.stringify(l)}`);
    return { load: l, refilter: l.loadMs !== undefined ? await refilter(app.page, config.queries) : null };
  }, 'refilter');
}
await browser.close();
fs.writeFileSync(resultPath, JSON.stringify(result, null, 2));
log(`wrote ${resultPath}`);
