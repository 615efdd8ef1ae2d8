// A bulk run in the player (issue 16): tests/worlds/thousand-greylisted.toml with 100 messages
// (5,900 steps) run from the Lab. The transcript and the inspectors list only the latest
// rows and say how many they leave out, so stepping to the end stays a short task.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { start, openPlayer, position, setEditorText } from './support.mjs';
import { TASK_CATEGORIES, longestTask, markEvent, traceEvents } from '../../scripts/trace-tasks.mjs';

let env;
before(async () => { env = await start(); });
after(async () => { await env?.close(); });

test('a run of 100 bulk messages: the transcript and inspectors list the latest, and say what they leave out', async () => {
  const world = readFileSync('tests/worlds/thousand-greylisted.toml', 'utf8').replace('count = 1000', 'count = 100');
  const page = await openPlayer(env, 'lesson=mx-relay');
  await page.click('#lab-toggle');
  await page.click('#lab-tab-editor');
  await setEditorText(page, world);
  await page.click('#editor-run');
  await page.locator('#lesson-title', { hasText: 'A thousand order confirmations' }).waitFor();
  await page.click('.lab-close');
  const { total } = await position(page);
  assert.equal(total, 5900);
  await env.browser.startTracing(page, { categories: TASK_CATEGORIES });
  await page.evaluate(() => performance.mark('end-from'));
  await page.keyboard.press('End');
  await position(page, total);
  await page.waitForTimeout(500);
  await page.evaluate(() => performance.mark('end-to'));
  const events = traceEvents(await env.browser.stopTracing());
  const longest = longestTask(events, markEvent(events, 'end-from'), markEvent(events, 'end-from').ts, markEvent(events, 'end-to').ts);
  console.log(`# End in a run of 5,900 steps: longest task ${longest?.toFixed(1)} ms`);
  // The transcript: the latest 100 steps, the current one last, and a line for the rest.
  assert.equal(await page.locator('.transcript li.step[data-index]').count(), 100);
  assert.match(await page.locator('.transcript li.earlier').textContent(), /^5800 earlier steps are not listed here/);
  assert.equal(await page.locator('.transcript li[aria-current="step"]').getAttribute('data-index'), '5899');
  // The ending names ten mailboxes and counts the rest.
  const outcome = await page.locator('#ending .outcome li').allTextContents();
  assert.equal(outcome.length, 11, outcome.join('\n'));
  assert.equal(outcome[10], 'Delivered to 90 more mailboxes: 90 messages');
  // The envelope inspector: the latest 50 transactions (300 in all: each message to the
  // relay, then twice to the MX).
  await page.locator('#insp-tab-envelope').click();
  assert.equal(await page.locator('.insp-envelope .insp-card').count(), 50);
  assert.equal(await page.locator('.insp-envelope > .insp-empty').textContent(), '250 earlier transactions are not listed here.');
  // Mailboxes: the first 50 of the 100 customers', by name.
  await page.locator('#insp-tab-mailboxes').click();
  assert.equal(await page.locator('.insp-boxes > li').count(), 50);
  assert.equal(await page.locator('.insp-mailboxes > .insp-empty').textContent(), '50 more mailboxes are not listed here.');
  // Stepping back into the run shows earlier steps again.
  await page.click('#first');
  await position(page, 0);
  for (let i = 0; i < 3; i++) await page.click('#forward');
  await position(page, 3);
  assert.equal(await page.locator('.transcript li.earlier').count(), 0);
  assert.deepEqual(page.errors, []);
});
