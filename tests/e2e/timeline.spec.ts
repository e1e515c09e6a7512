// The timeline as a person sees it: the canvas follows its container (the detail panel takes
// room from it), the axis keeps its labels when narrow, and the tooltip is placed through the
// CSSOM (the CSP refuses `style=` attributes) inside the viewport.
import { test, expect, Page } from './test';
import { ViewerPage } from './viewer_page';

/** Records CSP violations with the class of the element they happened on. */
async function watchCsp(page: Page) {
  await page.addInitScript(() => {
    (window as any).__csp = [];
    document.addEventListener('securitypolicyviolation', (e) => {
      const el = e.target as Element | null;
      const inTimeline = !!(el && el.closest && el.closest('[data-testid=tunnel-timeline]'));
      (window as any).__csp.push({ directive: e.violatedDirective, inTimeline, cls: el && (el as Element).className });
    }, true);
  });
}

const timelineViolations = (page: Page) =>
  page.evaluate(() => ((window as any).__csp as { inTimeline: boolean }[]).filter((v) => v.inTimeline));

/** The canvas's CSS width, its container's inner width and what the container can scroll to. */
const widths = (page: Page) =>
  page.getByTestId('timeline-canvas').evaluate((c) => {
    const box = c.parentElement as HTMLElement;
    return { canvas: c.getBoundingClientRect().width, client: box.clientWidth, scroll: box.scrollWidth };
  });

/** Dark text pixels (the tick labels) in the axis band, right of the label column. */
const axisTextPixels = (page: Page) =>
  page.getByTestId('timeline-canvas').evaluate((el) => {
    const c = el as HTMLCanvasElement;
    const dpr = c.width / c.getBoundingClientRect().width;
    const ctx = c.getContext('2d') as CanvasRenderingContext2D;
    const left = Math.round(Math.min(240, Math.max(110, (c.width / dpr) * 0.3)) * dpr) + 2;
    const data = ctx.getImageData(left, 0, c.width - left, Math.round(34 * dpr)).data;
    let n = 0;
    for (let i = 0; i < data.length; i += 4) if (data[i + 3] > 100 && data[i] < 180) n++;
    return n;
  });

/** Moves the pointer over the lanes until a tunnel's or a session's tooltip shows; returns where. */
async function hoverATunnel(page: Page): Promise<[number, number]> {
  const box = (await page.getByTestId('timeline-canvas').boundingBox())!;
  for (let y = box.y + 150; y < box.y + box.height - 4; y += 5) {
    for (let x = box.x + box.width * 0.3; x < box.x + box.width - 2; x += 5) {
      await page.mouse.move(x, y);
      const tip = page.getByTestId('timeline-tooltip');
      const text = (await tip.count()) ? (await tip.textContent())! : '';
      // Zoomed out the lanes show sessions ("alice → 10.0.2.40:22 via …"), zoomed in tunnels.
      if (text.includes('accepted') || text.includes(' → ')) return [x, y];
    }
  }
  throw new Error('no tunnel under the pointer');
}

test('the timeline follows its container, keeps its axis and places its tooltip in view', async ({ page }) => {
  await watchCsp(page);
  await page.setViewportSize({ width: 1440, height: 900 });
  const v = new ViewerPage(page);
  await v.goto();
  await v.loadSample();
  await page.getByTestId('tunnel-timeline').scrollIntoViewIfNeeded();
  const wide = await widths(page);
  expect(Math.abs(wide.canvas - wide.client)).toBeLessThan(1);
  expect(wide.scroll).toBe(wide.client);
  expect(await axisTextPixels(page)).toBeGreaterThan(200);

  // The tooltip is visible, near the pointer and inside the viewport.
  const [x, y] = await hoverATunnel(page);
  const tip = page.getByTestId('timeline-tooltip');
  await expect(tip).toBeVisible();
  await expect(tip).toHaveCSS('visibility', 'visible');
  const tb = (await tip.boundingBox())!;
  expect(tb.x).toBeGreaterThanOrEqual(0);
  expect(tb.y).toBeGreaterThanOrEqual(0);
  expect(tb.x + tb.width).toBeLessThanOrEqual(1440);
  expect(tb.y + tb.height).toBeLessThanOrEqual(900);
  expect(Math.abs(tb.x - x)).toBeLessThan(tb.width + 30);
  expect(Math.abs(tb.y - y)).toBeLessThan(tb.height + 30);
  // At the right edge it turns to the left of the pointer, still in view.
  const cb = (await page.getByTestId('timeline-canvas').boundingBox())!;
  await page.mouse.move(cb.x + cb.width - 3, y);
  if (await tip.count()) {
    const eb = (await tip.boundingBox())!;
    expect(eb.x + eb.width).toBeLessThanOrEqual(1440);
  }

  // Clicking the tunnel opens the detail panel: the canvas narrows to its container at once,
  // and nothing is left under a scrollbar.
  await page.mouse.move(x, y);
  await page.mouse.down();
  await page.mouse.up();
  await expect(page.getByTestId('detail-panel')).toBeVisible();
  await expect.poll(async () => (await widths(page)).canvas).toBeLessThan(wide.canvas - 100);
  const narrow = await widths(page);
  expect(Math.abs(narrow.canvas - narrow.client)).toBeLessThan(1);
  expect(narrow.scroll).toBe(narrow.client);

  // At 900 px with the panel open the axis still has its labels.
  await page.setViewportSize({ width: 900, height: 900 });
  await expect.poll(async () => (await widths(page)).canvas).toBeLessThan(narrow.canvas);
  const small = await widths(page);
  expect(small.scroll).toBe(small.client);
  expect(await axisTextPixels(page)).toBeGreaterThan(100);

  expect(await timelineViolations(page)).toEqual([]);
});

test('zoomed out the lanes show sessions; zoomed in they open into tunnels', async ({ page }) => {
  await page.setViewportSize({ width: 1440, height: 900 });
  const v = new ViewerPage(page);
  await v.goto();
  await v.loadSample();
  const timeline = page.getByTestId('tunnel-timeline');
  await expect(timeline).toHaveAttribute('data-mode', 'sessions');
  expect(Number(await timeline.getAttribute('data-sessions'))).toBeGreaterThan(0);
  expect(Number(await timeline.getAttribute('data-findings'))).toBeGreaterThan(0);
  // The sample spans about three days; sessions open with at most 2 hours in view.
  await page.locator('body').click({ position: { x: 5, y: 5 } });
  for (let i = 0; i < 40 && (await timeline.getAttribute('data-mode')) === 'sessions'; i++) {
    await page.keyboard.press('w');
  }
  await expect(timeline).toHaveAttribute('data-mode', 'tunnels');
  expect(Number(await timeline.getAttribute('data-span-ms'))).toBeLessThanOrEqual(2 * 3600_000);
  await page.keyboard.press('0');
  await expect(timeline).toHaveAttribute('data-mode', 'sessions');
});
