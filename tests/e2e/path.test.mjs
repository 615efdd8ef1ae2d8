// The learning path (issue 12) in Chromium: "Start here" from the first screen, goals
// before step 1, the recap and "Next lesson" at the end, progress marks that survive a
// reload, and a page that still works when storage is refused.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { deflateRawSync } from 'node:zlib';
import { start, open, openPlayer, position, lessonIds, nativeTimeline, ARTIFACTS } from './support.mjs';

let env;
before(async () => { env = await start(); });
after(async () => { await env?.close(); });

const focusedId = (page) => page.evaluate(() => document.activeElement?.id ?? '');
const query = (page) => new URL(page.url()).search;
/** A scenario's text as the player's `?scenario=` permalink (raw DEFLATE, base64url). */
const permalink = (text) => deflateRawSync(Buffer.from(text), { level: 9 }).toString('base64url');
const hasGoals = async (id) => /^goals\s*=/m.test(await readFile(`src/scenario/lessons/${id}.toml`, 'utf8'));

test('a first visit opens "Start here": how email travels, then every lesson in path order', async () => {
  const ids = lessonIds();
  const page = await open(env.browser, env.url);
  const intro = page.locator('#intro[role="dialog"][aria-modal="true"]');
  await intro.waitFor();
  assert.equal(await page.locator('#intro-heading').textContent(), 'Start here: how email travels');
  await page.waitForFunction(() => document.activeElement?.id === 'intro-heading');
  const text = await intro.textContent();
  for (const words of ['MUA', 'submission server', 'MX record', 'POP3 or IMAP', 'three-digit reply', 'envelope', 'From:']) {
    assert.ok(text.includes(words), `the introduction mentions ${words}`);
  }
  // The path: every lesson once, in the CLI's (path) order, numbered, under its topic.
  assert.deepEqual(await intro.locator('a.path-lesson').evaluateAll((a) => a.map((e) => e.dataset.lesson)), ids);
  const topics = await intro.locator('.path-topic h4').allTextContents();
  assert.equal(new Set(topics).size, topics.length, `each topic once: ${topics}`);
  assert.equal(topics[0], 'Basics');
  assert.equal(await intro.locator('.path-topic ol').nth(1).getAttribute('start'),
    String(await intro.locator('.path-topic').first().locator('li').count() + 1), 'numbers run across topics');
  assert.equal(await page.locator('#path-progress').textContent(), `0 of ${ids.length} lessons finished.`);
  assert.equal(await page.locator('.path .marks').count(), 0, 'nothing is marked on a first visit');
  for (const id of ids) {
    const goal = intro.locator(`a[data-lesson="${id}"] ~ .goal`);
    assert.equal(await goal.count(), (await hasGoals(id)) ? 1 : 0, `${id}: its first goal, if it has goals`);
  }
  assert.equal(await page.locator('#intro-start').getAttribute('href'), `?lesson=${ids[0]}&step=0`);

  // Modal: Tab never reaches the page behind (past the dialog's last link too), the player
  // behind does not step, Esc closes it.
  const links = await intro.locator('a, button').count();
  for (let i = 0; i < links + 3; i++) {
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => document.activeElement?.closest('.app')?.tagName), undefined,
      `Tab ${i + 1} stays out of the page behind the dialog`);
  }
  await page.locator('#intro .close').focus();
  await page.keyboard.press('ArrowRight');
  await page.keyboard.press('Escape');
  await intro.waitFor({ state: 'detached' });
  await page.waitForFunction(() => document.activeElement?.id === 'intro-toggle');
  assert.equal(await page.locator('#intro-toggle').getAttribute('aria-expanded'), 'false');
  await position(page, 0);
  await page.waitForFunction((id) => location.search === `?lesson=${id}&step=0`, ids[0]);
  await page.keyboard.press('ArrowRight');
  await position(page, 1);

  // The toolbar's "Start here" opens it again; a lesson link opens that lesson in place.
  await page.click('#intro-toggle');
  await intro.waitFor();
  assert.equal(await page.locator('#intro-toggle').getAttribute('aria-expanded'), 'true');
  await intro.locator(`a.path-lesson[data-lesson="${ids[4]}"]`).click();
  await intro.waitFor({ state: 'detached' });
  await page.waitForFunction((id) => location.search === `?lesson=${id}&step=0`, ids[4]);
  await position(page, 0);
  // A deep link opens its lesson and step, without the introduction.
  await page.goto(`${env.url}?lesson=mx-relay&step=3`);
  await position(page, 3);
  assert.equal(await page.locator('#intro').count(), 0);
  assert.deepEqual(page.errors, []);
});

test('the introduction reads well at phone, laptop and wide widths, light and dark', async () => {
  for (const colorScheme of ['light', 'dark']) {
    for (const [width, height] of [[360, 780], [1280, 900], [1920, 1080]]) {
      const page = await open(env.browser, env.url, { viewport: { width, height }, colorScheme, reducedMotion: 'reduce' });
      await page.locator('#intro').waitFor();
      const overflow = await page.evaluate(() => document.querySelector('.intro-overlay').scrollWidth - window.innerWidth);
      assert.ok(overflow <= 0, `the introduction at ${width} px scrolls sideways by ${overflow} px`);
      const box = await page.locator('#intro').boundingBox();
      assert.ok(box.x >= 0 && box.x + box.width <= width, `the dialog fits ${width} px`);
      await page.screenshot({ path: `${ARTIFACTS}/intro-${width}-${colorScheme}.png`, fullPage: false });
      assert.deepEqual(page.errors, []);
      await page.close();
    }
  }
});

test('playing a lesson to its end marks it finished in the picker, and the mark survives a reload', async () => {
  const ids = lessonIds();
  const page = await openPlayer(env, `lesson=${ids[0]}`);
  await page.click('#lessons-toggle');
  const mark = page.locator(`#picker button.lesson[data-lesson="${ids[0]}"] .mark-finished`);
  assert.equal(await mark.count(), 0, 'not finished before the end');
  const { total } = await position(page, 0);
  await page.keyboard.press('End');
  await position(page, total);
  await mark.waitFor();
  assert.equal(await mark.textContent(), '✓ (finished)');
  assert.equal(await mark.locator('[aria-hidden="true"]').textContent(), '✓');
  assert.equal(await mark.locator('.sr-only').textContent(), ' (finished)');
  assert.equal(await page.locator('#picker .mark-finished').count(), 1, 'only the lesson played');
  assert.match(await page.evaluate(() => localStorage.getItem('smtp-playground-progress')), new RegExp(`^${ids[0]} finished$`, 'm'));

  await page.reload();
  await page.locator('#play').waitFor();
  await page.click('#lessons-toggle');
  await mark.waitFor();
  // The introduction's path shows it too, and offers the next lesson to continue with.
  await page.click('#intro-toggle');
  await page.locator(`#intro a.path-lesson[data-lesson="${ids[0]}"] ~ .marks .mark-finished`).waitFor();
  assert.equal(await page.locator('#path-progress').textContent(), `1 of ${ids.length} lessons finished.`);
  assert.equal(await page.locator('#intro-start').getAttribute('data-lesson'), ids[1]);
  assert.match(await page.locator('#intro-start').textContent(), /^Continue with: /);
  assert.deepEqual(page.errors, []);
});

test('predicting every reply right earns a star with the score', async () => {
  const id = 'telnet-session';
  const steps = nativeTimeline(id).steps;
  const replies = steps.filter((s) => s.kind === 'reply' && s.code);
  const page = await openPlayer(env, `lesson=${id}`);
  await page.click('#predict-toggle');
  const { total } = await position(page, 0);
  for (let shown = 0; shown < total;) {
    await page.keyboard.press('ArrowRight');
    if (await page.locator('#predict').count()) {
      await page.locator('#predict button.guess-code', { hasText: String(steps[shown].code) }).click();
    }
    shown = (await position(page, shown + 1)).shown;
  }
  assert.match(await page.locator('#score').textContent(), new RegExp(`^Your score: ${replies.length} of ${replies.length}`));
  await page.click('#lessons-toggle');
  const star = page.locator(`#picker button.lesson[data-lesson="${id}"] .mark-predicted.all`);
  await star.waitFor();
  assert.equal(await star.locator('[aria-hidden="true"]').textContent(), `★ ${replies.length}/${replies.length}`);
  assert.equal(await star.locator('.sr-only').textContent(), ` (all ${replies.length} replies predicted)`);
  assert.equal(await page.locator(`#picker button.lesson[data-lesson="${id}"] .mark-finished`).count(), 1);
  assert.deepEqual(page.errors, []);
});

test('goals show before step 1; the recap and "Next lesson" at the end', async () => {
  const ids = lessonIds();
  const text = await readFile('tests/e2e/fixtures/narrated.toml', 'utf8');
  const page = await openPlayer(env, `scenario=${permalink(text)}`);
  await position(page, 0);
  assert.equal(await page.locator('#intro').count(), 0, 'a shared scenario opens on itself');
  assert.equal(await page.locator('#lesson-title').textContent(), 'A narrated delivery');
  const explanation = page.locator('#explanation');
  assert.match(await explanation.locator('.description').textContent(), /^Alice's laptop hands one message/);
  assert.equal(await page.locator('#goals-heading').textContent(), 'In this lesson you will learn to:');
  assert.deepEqual(await page.locator('#goals li').allTextContents(), [
    'Name the reply that accepts a recipient',
    'Tell the envelope (MAIL FROM, RCPT TO) from the From: header',
  ]);
  assert.equal(await page.locator('#recap').count(), 0, 'no recap before the end');
  await page.keyboard.press('ArrowRight');
  await position(page, 1);
  assert.equal(await page.locator('#goals').count(), 0, 'the goals give way to step 1');

  await page.keyboard.press('End');
  await page.locator('#ending').waitFor();
  assert.equal(await page.locator('#recap-heading').textContent(), 'What you learned');
  assert.match(await page.locator('#recap').textContent(), /^RCPT TO was answered 250/);
  // A scenario of one's own is not on the path: "Next lesson" is where the path resumes.
  const next = page.locator('#next-lesson');
  assert.equal(await next.getAttribute('data-lesson'), ids[0]);
  assert.match(await next.textContent(), /^Next lesson: \S/);
  assert.equal(await page.locator('.marks').count(), 0, 'nothing was marked');

  // A library lesson: goals only when its file has them, and no recap section without one.
  const lesson = ids[1];
  await page.goto(`${env.url}?lesson=${lesson}`);
  await position(page, 0);
  assert.equal(await page.locator('#goals').count() > 0, await hasGoals(lesson));
  assert.deepEqual(page.errors, []);
});

test('"Next lesson" opens the next lesson on the path; the last lesson points back to the path', async () => {
  const ids = lessonIds();
  const page = await openPlayer(env, `lesson=${ids[0]}&step=9999`);
  const next = page.locator('#next-lesson');
  await next.waitFor();
  assert.equal(await next.getAttribute('href'), `?lesson=${ids[1]}&step=0`);
  // The link names the lesson by id until the lesson index arrives (with the full player).
  await page.waitForFunction((id) => document.querySelector('#next-lesson strong')?.textContent.trim() !== id, ids[1]);
  const title = (await next.locator('strong').textContent()).trim();
  await next.click();
  await page.waitForFunction((id) => location.search === `?lesson=${id}&step=0`, ids[1]);
  assert.equal(await page.locator('#lesson-title').textContent(), title);
  await position(page, 0);
  // The link is a real address too: opened on its own, it plays that lesson.
  await page.goto(`${env.url}?lesson=${ids[2]}&step=0`);
  await position(page, 0);
  assert.equal(await page.locator('#intro').count(), 0);

  await page.goto(`${env.url}?lesson=${ids[ids.length - 1]}&step=9999`);
  await page.locator('#ending').waitFor();
  assert.equal(await page.locator('#next-lesson').count(), 0);
  await page.click('#open-path');
  await page.locator('#intro').waitFor();
  assert.deepEqual(page.errors, []);
});

test('with storage refused or full the player still works, only without marks', async () => {
  const cases = {
    refused: () => Object.defineProperty(window, 'localStorage', { get() { throw new DOMException('denied', 'SecurityError'); } }),
    full: () => { Storage.prototype.setItem = () => { throw new DOMException('full', 'QuotaExceededError'); }; },
  };
  for (const [name, script] of Object.entries(cases)) {
    const page = await env.browser.newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
    await page.addInitScript(script);
    await page.goto(env.url);
    await page.locator('#intro').waitFor();
    await page.keyboard.press('Escape');
    const { total } = await position(page, 0);
    await page.keyboard.press('End');
    await position(page, total);
    await page.locator('#ending').waitFor();
    await page.click('#lessons-toggle');
    // The mark stays for this page's life; nothing could be stored for the next.
    await page.locator('#picker .mark-finished').waitFor();
    await page.reload();
    await page.locator('#play').waitFor();
    await page.click('#lessons-toggle');
    await page.locator('#picker').waitFor();
    assert.equal(await page.locator('#picker .mark-finished').count(), 0, name);
    assert.equal(await page.locator('#panic-panel').count(), 0, name);
    assert.deepEqual(errors, [], name);
    await page.close();
  }
});
