// Issue 23: the page in Portuguese (Brazil). A pt-BR browser gets the page in pt-BR; with the
// sample loaded, a finding and a session opened, no visible text node and no title,
// placeholder or aria-label holds an English word outside the terms AWS keeps in English
// (event and field names, query terms, rule IDs, IDs, the product name) and the data itself.
import { test, expect, Page } from './test';
import { ViewerPage } from './viewer_page';

// Common English words of the page's own strings (none is also a Portuguese word the page uses).
const ENGLISH = new Set(
  `the of and to in on by for with from not load loaded loading sample clear light dark events event
  tunnels tunnel failed sessions session findings finding principals source target time start end latest
  last first show all rows previous next close apply settings rule rules export raw records record filter
  files file read skipped rejected duplicates invalid accepted denied attempts attempt ports port instance
  instances users user unknown none created deleted requested create delete modify describe calls call
  account accounts region regions coverage days gaps trail changes change report window drop here choose
  folder nothing leaves your browser related selected copy outcome duration max assumed lanes timeline
  zoom help query language shortcuts newest severe most high medium low gap details error type address
  groups security seen about left cancel waiting outside hours working before after between more other
  used may have lasted never opened is are was be this that these those it its their them or
  activity changed where which when who what only possible view evidence subject tables below shows
  side matches match per each one person through joined within click open panel histogram select drag`
    .split(/\s+/)
    .filter(Boolean),
);

// Kept in English (issue 23) or data of the sample, compared lower-case.
const KEPT = new Set(
  `tunnelscope eice cloudtrail ec2 instance connect endpoint endpoints ssh rdp utc csv json ndjson
  eventbridge cloudwatch logs lookup events iam arn aws tcp ip ips ipv4 ipv6 cidr cidrs os windows
  enter esc shift escape alice bob carol mallory dave erin root admin deploy ci ops`.split(/\s+/).filter(Boolean),
);

/** Every visible text node and every title, placeholder and aria-label, as strings. */
async function shownTexts(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const out: string[] = [];
    const visible = (el: Element | null) =>
      !!el && (el as HTMLElement).checkVisibility?.({ checkOpacity: true, checkVisibilityCSS: true }) !== false;
    // The raw record is the event as AWS wrote it; data cells are values, not the page's words.
    // The help's term column is the query language itself.
    const skip = (el: Element | null) => !!el?.closest('[data-testid=raw-json], [data-testid=help] td.mono');
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      const el = n.parentElement;
      const text = (n.textContent ?? '').trim();
      if (text && visible(el) && !skip(el) && !['SCRIPT', 'STYLE'].includes(el!.tagName)) out.push(text);
    }
    for (const el of Array.from(document.querySelectorAll('[title],[placeholder],[aria-label]'))) {
      if (skip(el)) continue;
      for (const a of ['title', 'placeholder', 'aria-label']) {
        const v = el.getAttribute(a);
        if (v) out.push(v);
      }
    }
    return out;
  });
}

/** The English words in `texts`, with the text each was found in. */
function englishWords(texts: string[]): string[] {
  const found: string[] = [];
  for (const text of texts) {
    // A quoted word is a literal (a query's "or"), not a sentence of the page.
    for (const token of text.replace(/"[^"]*"/g, ' ').split(/[\s,;()[\]{}'«»“”·…→←–—=<>!?]+/)) {
      // IDs, ARNs, IPs, times, query terms (`outcome:failed|accepted`), rule IDs, file names
      // and paths carry these.
      if (!token || /[\d:/.@_\-\\*|]/.test(token)) continue;
      // Query operators (AND, OR, NOT) and acronyms (CSV, UTC).
      if (token.length > 1 && token === token.toUpperCase()) continue;
      // Event and field names (OpenTunnel, SendSSHPublicKey, preserveClientIp).
      if (/[a-z][A-Z]/.test(token)) continue;
      const word = token.toLowerCase();
      if (KEPT.has(word)) continue;
      if (ENGLISH.has(word)) found.push(`${word} (in "${text.slice(0, 80)}")`);
    }
  }
  return [...new Set(found)];
}

test.describe('in Portuguese (Brazil)', () => {
  test.use({ locale: 'pt-BR' });

  test('the whole page speaks pt-BR, kept terms aside', async ({ page }) => {
    const viewer = new ViewerPage(page);
    await viewer.goto();
    await expect(page.locator('html')).toHaveAttribute('lang', 'pt-BR');
    await expect(page.getByTestId('lang')).toHaveValue('pt-BR');
    expect(englishWords(await shownTexts(page))).toEqual([]);

    await viewer.loadSample();
    // Numbers grouped as pt-BR writes them; the counters stay plain integers (contracts.md §4).
    await expect(page.getByTestId('load-status')).toContainText('eventos carregados de');
    expect(await viewer.stat('events').textContent()).toMatch(/^\d+$/);
    const first = page.getByTestId('finding-row').first();
    await first.click();
    await expect(page.getByTestId('finding-detail')).toBeVisible();
    await viewer.waitDone();
    const session = page.getByTestId('session-row').first();
    await session.click();
    await expect(page.getByTestId('session-detail')).toBeVisible();
    await viewer.waitDone();
    await expect(page.getByTestId('detail-panel')).toBeVisible();
    await page.locator('details').evaluateAll((ds) => ds.forEach((d) => ((d as HTMLDetailsElement).open = true)));
    const words = englishWords(await shownTexts(page));
    expect(words, words.join('\n')).toEqual([]);

    // The help too.
    await page.getByTestId('show-help').click();
    await expect(page.getByTestId('help')).toBeVisible();
    const help = englishWords(await shownTexts(page));
    expect(help, help.join('\n')).toEqual([]);
  });

  test('a query that does not parse is explained in pt-BR', async ({ page }) => {
    const viewer = new ViewerPage(page);
    await viewer.goto();
    await viewer.loadSample();
    for (const [query, said] of [
      ['user:alice OR', 'OR precisa de um termo depois'],
      ['port:x', 'não é um número de porta'],
      ['(user:alice', 'nunca é fechado'],
      ['colour:red', 'chave desconhecida'],
    ]) {
      await viewer.filter(query);
      await expect(page.getByTestId('filter-error')).toContainText(said);
      await expect(page.getByTestId('filter-error')).toContainText('Não aplicado');
      const words = englishWords(await shownTexts(page));
      expect(words, words.join('\n')).toEqual([]);
    }
  });

  test('the detector finds an English string left in', async ({ page }) => {
    const viewer = new ViewerPage(page);
    await viewer.goto();
    await page.evaluate(() => {
      const p = document.createElement('p');
      p.textContent = 'Load sample data';
      document.body.append(p);
    });
    expect(englishWords(await shownTexts(page))).toContain('load (in "Load sample data")');
  });

  test('the switch changes the language, kept across a reload and in the link', async ({ page }) => {
    const viewer = new ViewerPage(page);
    await viewer.goto();
    await expect(page.getByTestId('load-sample')).toHaveText('Carregar dados de exemplo');
    await page.getByTestId('lang').selectOption('en');
    await expect(page.getByTestId('load-sample')).toHaveText('Load sample data');
    await expect(page.locator('html')).toHaveAttribute('lang', 'en');
    await page.reload();
    await expect(page.getByTestId('load-sample')).toHaveText('Load sample data');
    await page.getByTestId('lang').selectOption('pt-BR');
    await expect(page).toHaveURL(/lang=pt-BR/);
    await page.reload();
    await expect(page.getByTestId('load-sample')).toHaveText('Carregar dados de exemplo');
  });
});

test.describe('in an English browser', () => {
  test.use({ locale: 'en-US' });

  test('English is the default, and a link with lang=pt-BR opens in Portuguese', async ({ page }) => {
    const viewer = new ViewerPage(page);
    await viewer.goto();
    await expect(page.locator('html')).toHaveAttribute('lang', 'en');
    await expect(page.getByTestId('load-sample')).toHaveText('Load sample data');
    expect(page.url()).not.toContain('lang=');
    await viewer.loadSample();
    await expect(page.getByTestId('load-status')).toContainText('events loaded from');
    expect(page.url()).not.toContain('lang=');

    await page.goto('./#lang=pt-BR');
    await expect(page.getByTestId('load-sample')).toHaveText('Carregar dados de exemplo');
    await expect(page.locator('html')).toHaveAttribute('lang', 'pt-BR');
  });
});
