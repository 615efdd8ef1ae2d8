// Shared set-up for the browser tests: the built site on a loopback port and a
// headless Debian Chromium driven by playwright-core.
import { mkdir } from 'node:fs/promises';
import { chromium } from 'playwright-core';
import { serve } from '../../scripts/serve.mjs';

export const ARTIFACTS = 'test-artifacts/screenshots';

/** Starts the static server over dist/ and a browser; returns them and a `close()`. */
export async function start() {
  const site = await serve({ root: 'dist' });
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
  await mkdir(ARTIFACTS, { recursive: true });
  return {
    url: site.url,
    browser,
    async close() {
      await browser.close();
      site.server.close();
    },
  };
}

/** Opens a page that fails the test on any uncaught page error or console error. */
export async function open(browser, url, options = {}) {
  const page = await browser.newPage(options);
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  await page.goto(url);
  page.errors = errors;
  return page;
}
