// Screenshots of the SPF, DKIM and DMARC checks for looking at them by eye: the DMARC
// verdict of dmarc-reject and the DKIM body-hash mismatch of dkim-body-changed, at 360, 1280
// and 1920 px, light and dark, into test-artifacts/checks/ (git-ignored). Needs dist/ built.
//
//   node scripts/shoot-checks.mjs [--open-values]   # --open-values: every elided value opened
import { mkdir } from 'node:fs/promises';
import { chromium } from 'playwright-core';
import { serve } from './serve.mjs';

const OUT = 'test-artifacts/checks';
const SHOTS = [['dmarc-reject', 18], ['dkim-body-changed', 72]];
const WIDTHS = [[360, 780], [1280, 900], [1920, 1080]];
const openValues = process.argv.includes('--open-values');

await mkdir(OUT, { recursive: true });
const site = await serve({ root: 'dist' });
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu'],
});
try {
  for (const [lesson, step] of SHOTS) {
    for (const [width, height] of WIDTHS) {
      for (const scheme of ['light', 'dark']) {
        const page = await browser.newPage({ viewport: { width, height }, colorScheme: scheme, reducedMotion: 'reduce' });
        await page.goto(`${site.url}?lesson=${lesson}&step=${step}`);
        await page.locator('#explanation .check').waitFor();
        if (openValues) {
          for (const d of await page.locator('details.long-value').all()) await d.locator('summary').click();
        }
        const name = `${OUT}/${lesson}-${width}-${scheme}${openValues ? '-open' : ''}`;
        await page.screenshot({ path: `${name}.png`, fullPage: true });
        await page.locator('#explanation').screenshot({ path: `${name}-card.png` });
        await page.locator('.lanes').screenshot({ path: `${name}-lanes.png` });
        console.log(name);
        await page.close();
      }
    }
  }
} finally {
  await browser.close();
  site.server.close();
}
