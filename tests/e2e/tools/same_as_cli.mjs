// Loads files into the release site and compares what the page shows with the native CLI on
// the same files: the counters (events, tunnels, failed, endpoints, principals, sessions,
// findings) and the sessions and findings exports byte for byte. For data too big for the
// suite (the benchmark's): node tests/e2e/tools/same_as_cli.mjs PATH...  (after
// `cargo xtask build` and `cargo build --release -p tunnelscope-cli`); exits 1 on a difference.
import { chromium } from 'playwright-core';
import { execFileSync, spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { fileURLToPath } from 'url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const cli = path.join(root, 'target/release/tunnelscope');
const inputs = process.argv.slice(2).map((p) => path.resolve(p));
const files = [];
const walk = (p) => (fs.statSync(p).isDirectory() ? fs.readdirSync(p).forEach((e) => walk(path.join(p, e))) : files.push(p));
inputs.forEach(walk);
const run = (args) => execFileSync(cli, [...args, ...inputs], { maxBuffer: 1 << 30, stdio: ['ignore', 'pipe', 'ignore'] }).toString();
const t0 = Date.now();
const stats = JSON.parse(run(['stats', '--json']));
const want = {
  events: String(stats.records.loaded),
  tunnels: String(stats.tunnels.total),
  'failed-tunnels': String(stats.tunnels.failed),
  endpoints: String(stats.endpoints.length),
  principals: String(stats.principals),
  sessions: String(stats.sessions.total),
  findings: String(stats.findings.high + stats.findings.medium + stats.findings.low + stats.findings.info),
};
const sessionsCsv = run(['sessions', '--format', 'csv']);
const findingsCsv = run(['findings', '--format', 'csv']);
console.log(`CLI: ${JSON.stringify(want)} in ${Date.now() - t0} ms`);

const port = 8096;
const server = spawn('cargo', ['xtask', 'serve-dist', '--port', String(port)], { cwd: root, stdio: 'ignore' });
let failed = false;
try {
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--disable-gpu'] });
  const page = await browser.newPage({ acceptDownloads: true });
  for (let i = 0; i < 100; i++) {
    try { await page.goto(`http://127.0.0.1:${port}/`); break; } catch { await new Promise((r) => setTimeout(r, 300)); }
  }
  const t1 = Date.now();
  await page.getByTestId('file-input').setInputFiles(files);
  await page.locator('[data-testid=load-status][data-state=done]').waitFor({ timeout: 600_000 });
  await page.locator('.app[data-settled=true]').waitFor({ timeout: 600_000 });
  const got = {};
  for (const k of Object.keys(want)) got[k] = (await page.getByTestId(`stat-${k}`).textContent()).trim();
  console.log(`page: ${JSON.stringify(got)} after ${Date.now() - t1} ms`);
  for (const k of Object.keys(want)) if (got[k] !== want[k]) { failed = true; console.log(`DIFFERENT ${k}: page ${got[k]}, CLI ${want[k]}`); }
  for (const [testid, text] of [['export-sessions-csv', sessionsCsv], ['export-findings-csv', findingsCsv]]) {
    const pending = page.waitForEvent('download', { timeout: 600_000 });
    await page.getByTestId(testid).click();
    const body = fs.readFileSync(await (await pending).path(), 'utf8');
    const same = body === text;
    failed ||= !same;
    console.log(`${testid}: ${same ? 'the same' : 'DIFFERENT'} (${body.length} bytes, ${text.split('\r\n').length - 2} rows)`);
  }
  await browser.close();
} finally {
  server.kill();
}
process.exit(failed ? 1 : 0);
