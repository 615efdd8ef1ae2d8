// The first slice: the seed's telnet session, produced by the wasm core, stepped to the end.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { start, open, ARTIFACTS } from './support.mjs';

let env;
before(async () => { env = await start(); });
after(async () => { await env?.close(); });

test('stepping the seed session shows every transcript line and ends on 221', async () => {
  const page = await open(env.browser, env.url);
  const golden = (await readFile('tests/golden/seed_telnet.txt', 'utf8')).trimEnd().split('\n');
  const step = page.locator('#step');
  await step.waitFor();
  assert.equal(await page.locator('.transcript li').count(), 0);
  for (let i = 1; i <= golden.length; i++) {
    await step.click();
    await page.locator('.transcript li').nth(i - 1).waitFor();
  }
  assert.ok(await step.isDisabled(), 'Step is disabled at the end');
  const shown = await page.locator('.transcript li').allTextContents();
  assert.deepEqual(shown, golden);
  assert.equal(await page.locator('#reply-meaning .code').textContent(), '221');
  assert.match(await page.locator('#reply-meaning .meaning').textContent(), /closing/i);
  await page.screenshot({ path: `${ARTIFACTS}/slice-end.png`, fullPage: true });
  assert.deepEqual(page.errors, []);
});
