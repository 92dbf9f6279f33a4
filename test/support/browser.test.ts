import { strict as assert } from 'node:assert';
import { existsSync } from 'node:fs';
import { launchChromium, screenshot } from './browser.js';

describe('the browser the page tests use', function () {
  this.timeout(60_000);
  it('is a real headless Chromium that renders a page and saves a screenshot', async () => {
    const browser = await launchChromium();
    try {
      const page = await browser.newPage();
      await page.setContent('<main><h1>canvas-discourse-sync</h1></main>');
      assert.equal(await page.textContent('h1'), 'canvas-discourse-sync');
      assert.match(browser.version(), /^\d+\./);
      assert.ok(existsSync(await screenshot(page, 'browser-smoke')));
    } finally {
      await browser.close();
    }
  });
});
