// Player first (issue 13) in Chromium: a lesson plays from its static data without the
// simulator module; the lab, a share link and an embedding page's load-scenario fetch the
// simulator once, in a Web Worker; blocked, it is reported and the lesson still plays; the
// data each lesson ships is exactly what the simulator makes in the browser; and a learner's
// own RSA-signed message verifies in the page.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, readdir } from 'node:fs/promises';
import { start, open, openPlayer, position, toEnd, lessonIds, DEFER_RELEASE, setEditorText } from './support.mjs';

let env;
before(async () => { env = await start(); });
after(async () => { await env?.close(); });

/** Every URL the page asked for, as the browser saw them (the worker's fetches included). */
function recordRequests(page) {
  const urls = [];
  page.context().on('request', (r) => urls.push(new URL(r.url()).pathname));
  return urls;
}
const simulatorFetches = (urls) => urls.filter((u) => /simulator_bg\.wasm$/.test(u)).length;
const fullFetches = (urls) => urls.filter((u) => /player-full_bg\.wasm$/.test(u)).length;
const PHONE = { viewport: { width: 360, height: 740 }, isMobile: true, hasTouch: true };

/** A fresh browser context with `options` and a page at `query`, with its requests and
 *  page errors recorded; `prepare(context, page)` runs before the page is opened. */
async function visit(options, query, errors = [], prepare = async () => {}) {
  const context = await env.browser.newContext(options);
  const page = await context.newPage();
  page.on('pageerror', (e) => errors.push(e.message));
  const urls = recordRequests(page);
  await prepare(context, page);
  await page.goto(`${env.url}?${query}`);
  return { context, page, urls, errors };
}

async function openLab(page, tab) {
  if (!(await page.locator('#lab').count())) await page.click('#lab-toggle');
  await page.click(`#lab-tab-${tab}`);
  await page.locator(`#lab-panel-${tab}`).waitFor();
}

test('a lesson plays from its data alone: no simulator module is fetched', async () => {
  const context = await env.browser.newContext();
  const page = await context.newPage();
  const urls = recordRequests(page);
  await page.goto(`${env.url}?lesson=dkim-pass&step=0`);
  await page.locator('#play').waitFor();
  await page.locator('#lesson-title', { hasText: 'DKIM' }).waitFor();
  for (let i = 0; i < 20; i++) await page.keyboard.press('ArrowRight');
  await position(page, 20);
  const { total } = await toEnd(page);
  assert.ok(total > 20, `${total} steps`);
  assert.ok(urls.includes('/lessons/dkim-pass.json'), urls.join(' '));
  // The scenario's text comes with the full player (its lab works on it), which a wide screen
  // fetches once the lesson plays: after the lesson index, the full player's first request.
  assert.ok(urls.indexOf('/lessons/dkim-pass.toml') > urls.indexOf('/lessons/index.json'), urls.join(' '));
  assert.equal(simulatorFetches(urls), 0, `no simulator: ${urls.join(' ')}`);
  assert.equal(urls.filter((u) => u.includes('simulator')).length, 0);
  await context.close();
});

test('on a phone a lesson plays from the player module alone: no full player, no index, no simulator', async () => {
  const { context, page, urls, errors } = await visit(PHONE, 'lesson=mx-relay&step=0');
  await page.locator('#play').waitFor();
  for (let i = 0; i < 6; i++) await page.click('#forward');
  await position(page, 6);
  // The journey map, lanes, transcript and explanation are the player module's own.
  await page.locator('.journey').waitFor();
  assert.ok((await page.locator('.transcript .text').count()) > 0);
  assert.match(await page.locator('.explanation').textContent(), /\S/);
  assert.equal(fullFetches(urls), 0, urls.join(' '));
  assert.equal(urls.filter((u) => u.endsWith('/lessons/index.json')).length, 0, urls.join(' '));
  // Nor the scenario's text, which the lesson's data leaves out for the full player.
  assert.equal(urls.filter((u) => u.endsWith('.toml')).length, 0, urls.join(' '));
  assert.equal(simulatorFetches(urls), 0, urls.join(' '));
  assert.deepEqual(errors, []);
  await context.close();
});

test('the full player takes over once, at the same step, when the inspectors come into view or the lab opens', async () => {
  // Desktop: the inspectors are on the first screen, so the full player follows the lesson.
  const { context, page, urls, errors } = await visit({ viewport: { width: 1280, height: 800 } }, 'lesson=dsn-notify&step=5');
  await page.locator('.inspectors [role=tablist]').waitFor();
  assert.equal(fullFetches(urls), 1, urls.join(' '));
  assert.equal((await position(page)).shown, 5);
  assert.equal(await page.locator('#lesson-title').count(), 1);
  assert.equal(await page.locator('.awaiting').count(), 0);
  await context.close();

  // Phone: nothing needs it until the learner opens the lab, which opens on its console,
  // with the step, the speed and the focus kept.
  const { context: phone, page: lab, urls: labUrls } = await visit(PHONE, 'lesson=mx-relay&step=0', errors);
  await lab.locator('#play').waitFor();
  for (let i = 0; i < 4; i++) await lab.click('#forward');
  await position(lab, 4);
  assert.equal(fullFetches(labUrls), 0);
  await lab.focus('#lab-toggle');
  await lab.keyboard.press('Enter');
  await lab.locator('#lab-panel-console').waitFor();
  assert.equal((await position(lab)).shown, 4);
  assert.equal(await lab.evaluate(() => document.activeElement?.id), 'lab-toggle');
  assert.equal(fullFetches(labUrls), 1, labUrls.join(' '));
  // One player on the page: the player module's is gone.
  assert.equal(await lab.locator('#lesson-title').count(), 1);
  await lab.click('#forward');
  await position(lab, 5);
  assert.deepEqual(errors, []);
  await phone.close();
});

test('the takeover keeps the page\'s and the transcript\'s scroll, and replays the keys pressed and clicks made meanwhile', async () => {
  const { context, page, errors } = await visit({ viewport: { width: 1280, height: 800 } },
    'lesson=greylisting&step=40', [], async (context, page) => {
      // The full player arrives late enough to scroll the page first.
      await context.route(/player-full_bg\.wasm$/, async (route) => {
        await new Promise((ok) => setTimeout(ok, 800));
        await route.continue();
      });
      await page.addInitScript(DEFER_RELEASE);
    });
  await page.locator('#play').waitFor();
  const scrolls = () => page.evaluate(() => ({
    page: Math.round(scrollY), transcript: document.querySelector('.transcript').scrollTop,
  }));
  // Far into a long lesson the inspectors are below the first screen: scrolling to them
  // brings the full player. The scroll is read again as the state is handed over.
  await page.evaluate(() => {
    window.__onHold = () => {
      window.__handed = { page: Math.round(scrollY), transcript: document.querySelector('.transcript').scrollTop };
    };
    document.querySelector('.transcript').scrollTop = 57;
    document.querySelector('.awaiting.inspectors').scrollIntoView();
  });
  await page.waitForFunction(() => window.__held === 1, null, { timeout: 20000 });
  const handed = await page.evaluate(() => window.__handed);
  assert.ok(handed.page > 0 && handed.transcript > 0, JSON.stringify(handed));
  for (let i = 0; i < 3; i++) await page.keyboard.press('ArrowRight');
  await page.click('#forward');
  // Swapped in (the held keys not yet released): the full player's page scrolled as the
  // player module's was.
  await page.waitForFunction(() => document.documentElement.dataset.player === 'full');
  assert.deepEqual(await scrolls(), handed);
  assert.equal((await position(page)).shown, 40);
  await page.evaluate(() => { window.__release = true; });
  // The keys, then the click on the same spot, now the full player's Forward.
  await position(page, 44);
  assert.equal(await page.evaluate(() => document.activeElement?.id), 'forward');
  assert.equal(await page.locator('#lesson-title').count(), 1);
  assert.deepEqual(errors, []);
  await context.close();
});

test('the full player blocked: a clear message, and the lesson still plays', async () => {
  const context = await env.browser.newContext(PHONE);
  await context.route(/player-full/, (route) => route.abort());
  const page = await context.newPage();
  await page.goto(`${env.url}?lesson=mx-relay&step=0`);
  await page.locator('#play').waitFor();
  await page.click('#lab-toggle');
  await page.locator('.notice[role=alert]', { hasText: 'could not be loaded' }).waitFor();
  // Nothing says "Loading…" for ever: the places of the full player's parts say they are missing.
  assert.equal(await page.locator('.awaiting').count(), 0);
  await page.click('#forward');
  await page.click('#forward');
  await position(page, 2);
  await context.close();
});

test('a lesson\'s text blocked: the full player takes over, says the lab has no text, and the lesson plays', async () => {
  const context = await env.browser.newContext();
  await context.route(/lessons\/mx-relay\.toml$/, (route) => route.abort());
  const page = await context.newPage();
  await page.goto(`${env.url}?lesson=mx-relay&step=0`);
  await page.locator('#play').waitFor();
  await page.click('#lab-toggle');
  await page.waitForFunction(() => document.documentElement.dataset.player === 'full');
  await page.locator('.notice[role=alert]', { hasText: 'The text of the lesson “mx-relay” could not be loaded' }).waitFor();
  assert.match(await page.locator('.notice').textContent(), /It still plays, but the lab has no text to work on\./);
  await page.click('.lab-close');
  await page.keyboard.press('ArrowRight');
  await page.keyboard.press('ArrowRight');
  await position(page, 2);
  // Another lesson opened in the full player whose text cannot be fetched says so, and
  // the lesson shown stays.
  await context.route(/lessons\/dkim-pass\.toml$/, (route) => route.abort());
  await page.click('#lessons-toggle');
  await page.click('#picker button.lesson[data-lesson="dkim-pass"]');
  await page.locator('.notice[role=alert]', { hasText: 'The text of the lesson “dkim-pass” could not be loaded' }).waitFor();
  assert.match(await page.locator('#lesson-title').textContent(), /MX lookup/);
  await context.close();
});

test('the lab fetches the simulator once, and every tab works through it', async () => {
  const context = await env.browser.newContext();
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  const urls = recordRequests(page);
  await page.goto(`${env.url}?lesson=mx-relay&step=0`);
  await page.locator('#play').waitFor();
  await openLab(page, 'console');
  await page.selectOption('#console-server', 'mx.example.net');
  await page.fill('#console-input', 'EHLO learner.example');
  await page.press('#console-input', 'Enter');
  await page.locator('.console-reply', { hasText: '250' }).first().waitFor();
  await openLab(page, 'editor');
  // The live check is the simulator's parser: a located error.
  await setEditorText(page, 'title = "t"\ndescription = "d"\n[[host]]\nnam = "x"\n');
  await page.locator('#editor-status.lab-error', { hasText: 'Line 4, column 1' }).waitFor();
  await openLab(page, 'share');
  await page.selectOption('#export-format', 'transcript');
  await page.waitForFunction(() => document.querySelector('#export-text')?.value.includes('EHLO'));
  assert.equal(simulatorFetches(urls), 1, urls.join(' '));
  assert.deepEqual(errors, []);
  await context.close();
});

test('a share link and an embed load-scenario each fetch the simulator once and play', async () => {
  const source = await readFile('src/scenario/lessons/size-limit.toml', 'utf8');
  // A link made by the page itself.
  const maker = await openPlayer(env, 'lesson=size-limit');
  await openLab(maker, 'share');
  await maker.click('#share-link');
  const link = await maker.inputValue('#share-url');
  await maker.close();

  const context = await env.browser.newContext();
  const page = await context.newPage();
  const urls = recordRequests(page);
  await page.goto(link);
  await page.locator('#lesson-title', { hasText: 'SIZE' }).waitFor();
  await page.keyboard.press('End');
  const { shown, total } = await position(page);
  assert.ok(total > 0 && shown === total);
  assert.equal(simulatorFetches(urls), 1, urls.join(' '));

  // An embedding page sends a scenario of its own.
  const embedUrls = recordRequests(page);
  embedUrls.length = 0;
  await page.goto(`${env.url}embed-example.html`);
  const frame = page.frameLocator('#retries iframe');
  await frame.locator('#play').waitFor();
  await page.evaluate((text) => {
    const element = document.querySelector('#retries');
    element.loadScenario ? element.loadScenario(text) : element.call('load-scenario', { source: text });
  }, source.replace('SIZE', 'SIZE (sent by the page)'));
  await frame.locator('#lesson-title', { hasText: 'sent by the page' }).waitFor();
  assert.equal(simulatorFetches(embedUrls), 1, embedUrls.join(' '));
  await context.close();
});

test('the simulator blocked: a clear message, and the lesson still plays', async () => {
  const context = await env.browser.newContext();
  await context.route(/simulator/, (route) => route.abort());
  const page = await context.newPage();
  await page.goto(`${env.url}?lesson=mx-relay&step=0`);
  await page.locator('#play').waitFor();
  await openLab(page, 'message');
  await page.fill('#eml-text', 'From: a@example.com\r\nTo: bob@example.net\r\n\r\nHi\r\n');
  await page.click('#eml-send');
  await page.locator('#eml-error', { hasText: 'simulator could not be loaded' }).waitFor();
  await page.click('.lab-close');
  await page.keyboard.press('ArrowRight');
  await page.keyboard.press('ArrowRight');
  await position(page, 2);
  // A share link needs the simulator: its notice says so, and the first lesson plays.
  const linked = await context.newPage();
  await linked.goto(`${env.url}#scenario=AAAA`);
  await linked.locator('.notice', { hasText: 'simulator could not be loaded' }).waitFor();
  await linked.locator('#lesson-title').waitFor();
  await linked.keyboard.press('ArrowRight');
  await position(linked, 1);
  await context.close();
});

test('each lesson\'s data is exactly what the simulator makes in the browser', async () => {
  const page = await open(env.browser, `${env.url}?lesson=telnet-session`);
  const ids = lessonIds();
  const differences = await page.evaluate(async (ids) => {
    const worker = new Worker('./simulator-worker.js');
    const messages = [];
    let wake = () => {};
    worker.onmessage = (e) => { messages.push(JSON.parse(e.data)); wake(); };
    const next = () => new Promise((resolve) => {
      if (messages.length) return resolve(messages.shift());
      wake = () => { wake = () => {}; resolve(messages.shift()); };
    });
    const ready = await next();
    if (ready !== 'ready') return [`not ready: ${JSON.stringify(ready)}`];
    const differ = [];
    for (const [i, id] of ids.entries()) {
      const text = await (await fetch(`lessons/${id}.json`)).text();
      const source = await (await fetch(`lessons/${id}.toml`)).text();
      worker.postMessage(JSON.stringify({ id: i, request: { Run: { lesson: id, source, console: null } } }));
      // The steps come first, packed (src/timeline/packed.rs): a table of texts that grows
      // part by part, and each step an array of the Step's fields in order, texts as indices.
      const texts = [];
      const steps = [];
      let reply = await next();
      while (reply.part) {
        texts.push(...reply.part.part.texts);
        for (const [time, duration, from, to, kind, wire, tls, summary, explanation, rfc, code, changes, check] of reply.part.part.steps) {
          const step = { time, duration, from: texts[from], to: texts[to], kind, wire: wire === null ? null : texts[wire], tls,
            summary: texts[summary], explanation: texts[explanation], rfc: rfc === null ? null : texts[rfc], code, changes };
          if (check !== null) step.check = check;
          steps.push(step);
        }
        reply = await next();
      }
      const run = reply.answer?.answer?.Played;
      if (!run) differ.push(`${id}: ${JSON.stringify(reply).slice(0, 200)}`);
      else {
        run.timeline.steps = steps;
        // The file leaves the text out (it is lessons/ID.toml, which the worker ran).
        if (run.source !== source) differ.push(`${id}: the worker ran another text`);
        delete run.source;
        // Byte for byte: the worker's answer, its steps unpacked, re-serialised is the file's text.
        if (JSON.stringify(run) !== text) differ.push(`${id} differs`);
      }
    }
    worker.terminate();
    return differ;
  }, ids);
  assert.deepEqual(differences, []);
  // Every lesson the site ships was checked (dist/lessons/ holds one file per lesson and the index).
  const shipped = (await readdir('dist/lessons')).filter((f) => f.endsWith('.json') && f !== 'index.json');
  assert.equal(ids.length, shipped.length);
});

test('a real RSA-signed message (dkimpy) pasted as .eml verifies in the page', async () => {
  const world = await readFile('tests/e2e/fixtures/rsa-world.toml', 'utf8');
  const eml = await readFile('tests/e2e/fixtures/rsa-signed.eml', 'utf8');
  const page = await openPlayer(env, 'lesson=dkim-pass');
  await openLab(page, 'editor');
  await setEditorText(page, world);
  await page.click('#editor-run');
  await page.locator('#lesson-title', { hasText: 'RSA-signed' }).waitFor();
  await openLab(page, 'message');
  await page.fill('#eml-text', eml);
  await page.click('#eml-send');
  const verdict = page.locator('.transcript .text', { hasText: 'DKIM: the signature of example.com (s=rsa2026) verifies → pass' });
  await verdict.waitFor();
  assert.equal(await verdict.count(), 1);
  assert.deepEqual(page.errors, []);
});
