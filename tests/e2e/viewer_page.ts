// Page object for the viewer: every test talks to the page through these hooks (contracts.md §4).
import { expect, Page, Locator } from '@playwright/test';

export type UploadFile = { name: string; mimeType?: string; buffer: Buffer };

export class ViewerPage {
  readonly page: Page;
  readonly status: Locator;
  readonly tunnelRows: Locator;
  readonly endpointRows: Locator;
  readonly fileStatuses: Locator;

  constructor(page: Page) {
    this.page = page;
    this.status = page.getByTestId('load-status');
    this.tunnelRows = page.getByTestId('tunnel-row');
    this.endpointRows = page.getByTestId('endpoint-change-row');
    this.fileStatuses = page.getByTestId('file-status');
  }

  async goto() {
    await this.page.goto('./');
    await expect(this.status).toHaveAttribute('data-state', 'idle');
  }

  async upload(files: (string | UploadFile)[]) {
    await this.page.getByTestId('file-input').setInputFiles(
      files.map((f) => (typeof f === 'string' ? f : { mimeType: 'application/octet-stream', ...f })),
    );
    await this.waitDone();
  }

  async waitDone() {
    await expect(this.status).toHaveAttribute('data-state', 'done');
  }

  async loadSample() {
    await this.page.getByTestId('load-sample').click();
    await this.waitDone();
  }

  async filter(query: string) {
    const input = this.page.getByTestId('filter-input');
    await input.fill(query);
    await input.press('Enter');
  }

  stat(name: 'events' | 'tunnels' | 'failed-tunnels' | 'endpoints' | 'principals'): Locator {
    return this.page.getByTestId(`stat-${name}`);
  }
}
