// Share links in the URL fragment (issue 14) in Chromium: the scenario travels after `#`,
// which browsers never send, so the static server's log never holds it; old `?scenario=`
// links still open and move to the fragment; hostile fragments leave a notice or nothing.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { deflateRawSync } from 'node:zlib';
import { start, open, position } from './support.mjs';

let env;
before(async () => { env = await start(); });
after(async () => { await env?.close(); });

/** A scenario's text as the player's permalink parameter (raw DEFLATE, base64url). */
const permalink = (text) => deflateRawSync(Buffer.from(text), { level: 9 }).toString('base64url');
/** mx-relay with its title changed: a scenario that is no library lesson. */
const edited = async (title) =>
  (await readFile('src/scenario/lessons/mx-relay.toml', 'utf8')).replace('Relaying through an MX lookup', title);

/** Opens `url` and waits for the player's controls. */
async function openAt(url) {
  const page = await open(env.browser, url);
  await page.locator('#play').waitFor();
  return page;
}

/** The page never showed its panic panel nor logged an error. */
async function assertCalm(page) {
  assert.equal(await page.locator('#panic-panel').count(), 0, 'no error panel');
  assert.deepEqual(page.errors, []);
}

test('a #scenario= link opens at its step, keeps the step in the fragment and survives a reload; the server never sees it', async () => {
  const param = permalink(await edited('Fragment relay'));
  const served = env.requests.length;
  const link = `${env.url}#scenario=${param}&step=5`;
  const page = await openAt(link);
  await page.locator('#lesson-title', { hasText: 'Fragment relay' }).waitFor();
  await position(page, 5);
  const entries = await page.evaluate(() => history.length);
  await page.keyboard.press('ArrowRight');
  await page.keyboard.press('ArrowRight');
  await position(page, 7);
  await page.waitForFunction(() => location.hash.endsWith('&step=7'));
  // The page writes its own encoding of the same text (miniz, not Node's zlib).
  const own = new URL(page.url()).hash.match(/^#scenario=([A-Za-z0-9_-]+)&step=7$/)?.[1];
  assert.ok(own, `the fragment form: ${page.url().slice(0, 120)}`);
  assert.equal(page.url(), `${env.url}#scenario=${own}&step=7`, 'no query');
  assert.equal(await page.evaluate(() => history.length), entries, 'stepping adds no history entries');
  await page.reload();
  await page.locator('#lesson-title', { hasText: 'Fragment relay' }).waitFor();
  await position(page, 7);
  // A fragment changed in the address bar (hashchange) plays its own text, then its step.
  const other = permalink(await edited('Pasted relay'));
  await page.evaluate((hash) => { location.hash = hash; }, `scenario=${other}&step=2`);
  await page.locator('#lesson-title', { hasText: 'Pasted relay' }).waitFor();
  await position(page, 2);
  await page.evaluate((hash) => { location.hash = hash; }, `scenario=${other}&step=4`);
  await position(page, 4);
  // A damaged one keeps what is played and says why.
  await page.evaluate(() => { location.hash = 'scenario=%%%'; });
  await page.locator('.notice', { hasText: 'could not be read' }).waitFor();
  await page.locator('#lesson-title', { hasText: 'Pasted relay' }).waitFor();
  // The server's log: the page and its files were fetched, never with the scenario.
  const log = env.requests.slice(served);
  assert.ok(log.length > 0 && log.includes('/'), `the page was requested: ${log}`);
  for (const url of log) {
    assert.ok(!url.includes('scenario') && ![param, own, other].some((p) => url.includes(p.slice(0, 32))),
      `a request carried the scenario: ${url.slice(0, 120)}`);
  }
  await assertCalm(page);
});

test('an old ?scenario= link still opens, then the address holds #scenario= and no scenario in the query', async () => {
  const param = permalink(await edited('Old-style relay'));
  const served = env.requests.length;
  const page = await openAt(`${env.url}?scenario=${param}&step=3`);
  // What the fragment avoids: an old link's query is in the server's log.
  assert.ok(env.requests.slice(served).some((url) => url.includes(`scenario=${param.slice(0, 32)}`)),
    'the log records queries');
  await page.locator('#lesson-title', { hasText: 'Old-style relay' }).waitFor();
  await position(page, 3);
  await page.waitForFunction(() => location.hash.startsWith('#scenario='));
  const url = new URL(page.url());
  assert.equal(url.search, '');
  assert.ok(!url.searchParams.has('scenario'));
  assert.match(url.hash, /^#scenario=[A-Za-z0-9_-]+&step=3$/);
  // The address it moved to opens the same text at the same step.
  await page.reload();
  await page.locator('#lesson-title', { hasText: 'Old-style relay' }).waitFor();
  await position(page, 3);
  // A damaged old link leaves a notice, and its scenario leaves the query too.
  const damaged = await openAt(`${env.url}?scenario=not*base64`);
  await damaged.locator('.notice', { hasText: 'could not be read' }).waitFor();
  await damaged.waitForFunction(() => !location.search.includes('scenario'));
  await assertCalm(page);
  await assertCalm(damaged);
});

test('hostile fragments leave a clear notice or are ignored, never the error panel', async () => {
  const notices = [
    ['#scenario=%%%garbage!!', 'could not be read'],
    ['#scenario=AAAA', 'could not be read'],
    [`#scenario=${'A'.repeat(1 << 20)}`, 'characters long'],
    ['#scenario=', 'carries no scenario'],
    [`#scenario=${permalink('not = [a scenario')}`, 'could not be loaded'],
  ];
  for (const [hash, why] of notices) {
    const page = await openAt(`${env.url}${hash}`);
    await page.locator('.notice', { hasText: why }).waitFor();
    // A lesson opens in its place, and the bad fragment leaves the address.
    await page.waitForFunction(() => location.hash === '' && location.search.startsWith('?lesson='));
    await assertCalm(page);
    await page.close();
  }
  // A step alone, a negative or absurd step: ignored.
  for (const [query, hash] of [['', '#step=-1'], ['?lesson=mx-relay', '#step=-1'], ['?lesson=mx-relay', '#scenario']]) {
    const page = await openAt(`${env.url}${query}${hash}`);
    assert.equal(await page.locator('.notice').count(), 0, `${query}${hash} leaves no notice`);
    await assertCalm(page);
    await page.close();
  }
  const lesson = await openAt(`${env.url}?lesson=mx-relay#step=-1`);
  await lesson.waitForFunction(() => location.hash === '');
  assert.equal(new URL(lesson.url()).search, '?lesson=mx-relay&step=0');
  const far = await openAt(`${env.url}#scenario=${permalink(await edited('Far relay'))}&step=99999999999999999999`);
  await far.locator('#lesson-title', { hasText: 'Far relay' }).waitFor();
  await position(far, 0);
  await assertCalm(lesson);
  await assertCalm(far);
});
