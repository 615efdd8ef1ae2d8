// Screenshots of three lessons at desktop and phone width (test-artifacts/screenshots/,
// git-ignored), and the layout checks that make them worth looking at: nothing wider
// than the viewport, every lane heading visible.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { start, openPlayer, position, ARTIFACTS } from './support.mjs';

let env;
before(async () => { env = await start(); });
after(async () => { await env?.close(); });

const SHOTS = [['telnet-session', 12], ['retry-later', 40], ['dkim-body-changed', 60]];
const WIDTHS = [['desktop', 1280, 900], ['phone', 360, 780]];

for (const [name, width, height] of WIDTHS) {
  test(`three lessons at ${width} px (${name})`, async () => {
    for (const [lesson, step] of SHOTS) {
      const page = await openPlayer(env, `lesson=${lesson}&step=${step}`,
        { viewport: { width, height }, reducedMotion: 'reduce', colorScheme: lesson === 'retry-later' ? 'dark' : 'light' });
      await position(page, step);
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      assert.ok(overflow <= 0, `${lesson} at ${width} px scrolls sideways by ${overflow} px`);
      const heads = page.locator('.lane-heads li');
      for (let i = 0; i < await heads.count(); i++) {
        const box = await heads.nth(i).boundingBox();
        assert.ok(box && box.x >= 0 && box.x + box.width <= width + 1, `${lesson}: lane ${i} is on screen`);
      }
      await page.screenshot({ path: `${ARTIFACTS}/${lesson}-${width}.png`, fullPage: true });
      assert.deepEqual(page.errors, [], lesson);
      await page.close();
    }
  });
}
