// The `test` and `expect` every spec imports: Playwright's, plus an automatic fixture that fails
// the test when any page of it logs a console error, throws an uncaught error or rejection, or
// has something blocked by the Content Security Policy (a `securitypolicyviolation` event: the
// page's own CSP blocking its inline styles showed nothing in the tests while the event table
// had no visible rows). Nothing is tolerated: a spec that expects an error must catch it itself.
import { test as base, expect, ConsoleMessage } from '@playwright/test';

export { expect };
export type { Page, Locator } from '@playwright/test';

declare global {
  interface Window {
    __cspViolations?: string[];
  }
}

/** Installed in every page and frame before its own scripts run. */
function recordViolations() {
  const describe = (e: SecurityPolicyViolationEvent) =>
    `securitypolicyviolation: ${e.violatedDirective} blocked ${e.blockedURI || '(inline)'}` +
    ` at ${e.sourceFile || document.location.href}:${e.lineNumber}:${e.columnNumber}` +
    (e.sample ? ` sample ${JSON.stringify(e.sample)}` : '');
  // Capture phase on the document: the event is dispatched at the element that caused it.
  document.addEventListener(
    'securitypolicyviolation',
    (e) => {
      const text = describe(e as SecurityPolicyViolationEvent);
      (window.__cspViolations ||= []).push(text);
      console.error(text);
    },
    true,
  );
}

function where(msg: ConsoleMessage): string {
  const l = msg.location();
  return l.url ? ` (${l.url}:${l.lineNumber}:${l.columnNumber})` : '';
}

export const test = base.extend<{ failOnPageProblems: void }>({
  failOnPageProblems: [
    async ({ context }, use) => {
      const problems: string[] = [];
      // On the context, so pages a test opens itself are watched too.
      context.on('console', (msg) => {
        if (msg.type() === 'error') problems.push(`console error: ${msg.text()}${where(msg)}`);
      });
      context.on('weberror', (e) => problems.push(`page error: ${e.error().stack || e.error().message}`));
      await context.addInitScript(recordViolations);
      await use();
      // Violations recorded but not (yet) seen as console messages: read them from the pages.
      for (const page of context.pages()) {
        const recorded = await page.evaluate(() => window.__cspViolations ?? []).catch(() => [] as string[]);
        for (const v of recorded) {
          if (!problems.some((p) => p.includes(v))) problems.push(`console error: ${v}`);
        }
      }
      if (problems.length > 0) {
        // Messages alike but for a hash (Chromium names each blocked inline style's) are listed
        // once with their count, the first 20 kinds of them.
        const counts = new Map<string, number>();
        for (const p of problems) {
          const key = p.replace(/'sha256-[A-Za-z0-9+/=]+'/g, "'sha256-…'");
          counts.set(key, (counts.get(key) ?? 0) + 1);
        }
        const lines = [...counts].map(([p, n]) => (n > 1 ? `${n}x ${p}` : p));
        const more = lines.length > 20 ? `\n… and ${lines.length - 20} more kinds` : '';
        const error = new Error(
          `${problems.length} console error(s), page error(s) or CSP violation(s):\n${lines.slice(0, 20).join('\n')}${more}`,
        );
        error.stack = error.message;
        throw error;
      }
    },
    { auto: true },
  ],
});
