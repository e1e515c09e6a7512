// Frame time while panning a timeline of N tunnels (default 20,000) in headless Chromium
// (software rendering). Each frame is one 'd' key press on the focused canvas (pan 10 %),
// timed from the key event to the end of the next animation frame.
// Usage (after `cargo xtask build`): node tests/e2e/tools/pan_bench.mjs [N]
import { chromium } from 'playwright-core';
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { fileURLToPath } from 'url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const n = Number(process.argv[2] || 20000);
const port = 8098;
const records = [];
const t0 = Date.UTC(2026, 9, 1);
for (let i = 0; i < n; i++) {
  const failed = i % 17 === 0;
  records.push({
    eventVersion: '1.11', eventTime: new Date(t0 + i * 13_000).toISOString().replace('.000Z', 'Z'),
    eventSource: 'ec2-instance-connect.amazonaws.com', eventName: 'OpenTunnel', awsRegion: 'us-east-1',
    userIdentity: { type: 'IAMUser', arn: `arn:aws:iam::111122223333:user/u${i % 40}`, accountId: '111122223333' },
    sourceIPAddress: `198.51.100.${i % 250}`, eventID: `00000000-0000-4000-8000-${i.toString(16).padStart(12, '0')}`,
    requestParameters: { instanceConnectEndpointId: `eice-0${(i % 8).toString().repeat(16)}`, privateIpAddress: `10.0.${i % 200}.${i % 250}`, remotePort: i % 5 ? '22' : '3389', ...(i % 3 ? { maxTunnelDuration: '3600' } : {}) },
    ...(failed ? { errorCode: 'AccessDenied' } : {}),
  });
}
const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'pan-')), 'tunnels.json');
fs.writeFileSync(file, JSON.stringify({ Records: records }));
const server = spawn('cargo', ['xtask', 'serve-dist', '--port', String(port)], { cwd: root, stdio: 'ignore' });
const args = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];
try {
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args });
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  for (let i = 0; i < 100; i++) {
    try { await page.goto(`http://127.0.0.1:${port}/`); break; } catch { await new Promise((r) => setTimeout(r, 300)); }
  }
  await page.getByTestId('file-input').setInputFiles(file);
  await page.locator('[data-testid=load-status][data-state=done]').waitFor({ timeout: 300_000 });
  const marks = await page.getByTestId('tunnel-timeline').getAttribute('data-marks');
  await page.getByTestId('timeline-canvas').focus();
  const times = await page.evaluate(async () => {
    const canvas = document.querySelector('[data-testid=timeline-canvas]');
    const out = [];
    for (let i = 0; i < 60; i++) {
      const start = performance.now();
      canvas.dispatchEvent(new KeyboardEvent('keydown', { key: i % 20 < 10 ? 'd' : 'a', bubbles: true }));
      await new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0)));
      out.push(performance.now() - start);
    }
    return out;
  });
  times.sort((a, b) => a - b);
  const median = times[Math.floor(times.length / 2)];
  const p95 = times[Math.floor(times.length * 0.95)];
  console.log(`timeline with ${marks} tunnels: pan frame time median ${median.toFixed(1)} ms, p95 ${p95.toFixed(1)} ms, max ${times[times.length - 1].toFixed(1)} ms (60 frames, headless Chromium, software rendering)`);
  await browser.close();
} finally {
  server.kill();
}
