// Playwright runs the built site (dist/) in Debian's Chromium: no browser is ever downloaded.
// Every spec runs twice: with the site served from the root and from a sub-path.
import { defineConfig } from '@playwright/test';

const chromiumArgs = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

export default defineConfig({
  testDir: '.',
  testMatch: /.*\.spec\.ts/,
  timeout: 120_000,
  expect: {
    timeout: 30_000,
    // Pictures: a small tolerance for anti-aliasing; animations and the caret are turned off.
    toHaveScreenshot: { maxDiffPixelRatio: 0.01, animations: 'disabled', caret: 'hide' },
  },
  // One baseline per picture: the root and the sub-path site must look the same.
  snapshotPathTemplate: '{testDir}/__screenshots__/{testFileName}/{arg}{ext}',
  fullyParallel: false,
  workers: 1,
  reporter: [['list']],
  use: {
    launchOptions: { executablePath: process.env.CHROMIUM || '/usr/bin/chromium', args: chromiumArgs },
    trace: 'off',
  },
  projects: [
    { name: 'root', use: { baseURL: 'http://127.0.0.1:8091/' } },
    { name: 'subpath', use: { baseURL: 'http://127.0.0.1:8092/tools/tunnelscope/' } },
  ],
  webServer: [
    {
      command: 'cargo xtask serve-dist --port 8091 --prefix /',
      cwd: '../..',
      url: 'http://127.0.0.1:8091/',
      reuseExistingServer: false,
      timeout: 300_000,
    },
    {
      command: 'cargo xtask serve-dist --port 8092 --prefix /tools/tunnelscope/',
      cwd: '../..',
      url: 'http://127.0.0.1:8092/tools/tunnelscope/',
      reuseExistingServer: false,
      timeout: 300_000,
    },
  ],
});
