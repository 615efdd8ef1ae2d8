// Embedding: www/embed-example.html on one origin, the player (and embed.js) on another,
// driven through the <smtp-playground> element's postMessage API; a third origin tries to
// drive the player and to impersonate it, and is ignored.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import { start, open, DEFER_RELEASE } from './support.mjs';

let env;
let course; // the course page's origin
let forger; // a third origin
before(async () => {
  env = await start(); // the player: dist/ on its own port
  const player = new URL(env.url).origin;
  // The example page as a course site would host it: embed.js loaded from the player's origin.
  const example = (await readFile('dist/embed-example.html', 'utf8'))
    .replace('src="embed.js"', `src="${player}/embed.js"`);
  assert.ok(example.includes(`${player}/embed.js`), 'the example loads embed.js');
  course = await site(example);
  // Posts forged commands to the course page's players and forged events to the page.
  const forgery = `<!DOCTYPE html><script>
    for (let i = 0; i < parent.frames.length; i++) {
      parent.frames[i].postMessage({ type: 'smtp-playground:goto', step: 7 }, '*');
      parent.frames[i].postMessage({ type: 'smtp-playground:load-lesson', lesson: 'telnet-session' }, '*');
    }
    parent.postMessage({ type: 'smtp-playground:step-changed', step: 99, of: 99 }, '*');
    parent.postMessage({ type: 'smtp-playground:resize', height: 5 }, '*');
    parent.postMessage('forger:done', '*');
  </script>`;
  forger = await site(forgery);
});
after(async () => {
  course?.server.close();
  forger?.server.close();
  await env?.close();
});

/** Serves `html` on an origin of its own. */
function site(html) {
  const server = createServer((req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end(html));
  return new Promise((ok) => server.listen(0, '127.0.0.1', () => ok({ server, url: `http://127.0.0.1:${server.address().port}/` })));
}

/** A course page of its own on another origin: embed.js from the player's origin, then `body`. */
const coursePage = (body) => site(`<!DOCTYPE html><meta charset="utf-8"><body style="margin:0">
    <script type="module" src="${new URL(env.url).origin}/embed.js"></script>
    ${body}</body>`);

/** Records every event of the players (they bubble) from the page's first script on. */
const RECORD = () => {
  window.events = [];
  for (const type of ['ready', 'step-changed', 'lesson-finished', 'resize']) {
    document.addEventListener(type, (e) => window.events.push({ ...e.detail, id: e.target.id, type }), true);
  }
};

/** Opens a course page (the example unless `url` says), recording its players' events and
 *  errors; `init` are further init scripts. */
async function openCourse(viewport = { width: 1100, height: 900 }, { url = course.url, init = [] } = {}) {
  const page = await env.browser.newPage({ viewport });
  page.errors = [];
  page.on('pageerror', (e) => page.errors.push(e.message));
  page.on('console', (m) => { if (m.type() === 'error') page.errors.push(m.text()); });
  for (const script of [RECORD, ...init]) await page.addInitScript(script);
  await page.goto(url);
  return page;
}

/** Waits for an event of player `id` matching `fields`; returns it. */
async function event(page, id, type, fields = {}) {
  const handle = await page.waitForFunction(([id, type, fields]) => window.events.find((e) =>
    e.id === id && e.type === type && Object.entries(fields).every(([k, v]) => e[k] === v)), [id, type, fields]);
  return handle.jsonValue();
}

const frameOf = (page, lesson) => page.frames().find((f) => f.url().includes(`lesson=${lesson}`));
const call = (page, id, method, ...args) =>
  page.evaluate(([id, method, args]) => document.getElementById(id)[method](...args), [id, method, args]);

test('the course page embeds two players from another origin; they size themselves and hide the chrome', async () => {
  const page = await openCourse();
  const player = new URL(env.url).origin;
  assert.notEqual(new URL(course.url).origin, player);
  await page.locator('#retries').scrollIntoViewIfNeeded();
  const auto = await event(page, 'unknown', 'ready', { lesson: 'unknown-recipient' });
  const ready = await event(page, 'retries', 'ready', { lesson: 'retries-exhausted' });
  assert.ok(auto.steps > 5 && ready.steps > 5);

  const iframe = page.locator('#retries iframe');
  assert.equal(new URL(await iframe.getAttribute('src')).origin, player);
  assert.equal(await iframe.getAttribute('sandbox'), 'allow-scripts allow-same-origin allow-popups');
  assert.equal(await iframe.getAttribute('loading'), 'lazy');
  assert.ok((await iframe.getAttribute('title')).length > 0);
  const url = new URL(await iframe.getAttribute('src'));
  assert.equal(url.searchParams.get('parent'), new URL(course.url).origin);
  assert.equal(url.searchParams.get('embed'), '1');

  // The frame's height follows its document's.
  const frame = frameOf(page, 'retries-exhausted');
  await event(page, 'retries', 'resize');
  await page.waitForFunction(() => {
    const f = document.querySelector('#retries iframe');
    return f.style.height !== '480px';
  });
  // The player's content arrives in parts (the lesson, then the library index): the frame
  // follows each resize, so it settles on its document's height.
  let inner = 0;
  let outer = -10;
  for (let i = 0; i < 50 && Math.abs(inner - outer) > 2; i++) {
    if (i > 0) await page.waitForTimeout(100);
    inner = await frame.evaluate(() => document.body.offsetHeight);
    outer = await iframe.evaluate((f) => f.clientHeight);
  }
  assert.ok(Math.abs(inner - outer) <= 2, `frame ${outer}px fits its document ${inner}px`);

  // Minimal chrome: no toolbar, no picker; the panels asked for; a link to the full player.
  for (const f of [frame, frameOf(page, 'unknown-recipient')]) {
    assert.equal(await f.locator('.toolbar').count(), 0);
    assert.equal(await f.locator('#picker').count(), 0);
    const link = f.locator('.embed-open a');
    assert.equal(await link.getAttribute('target'), '_blank');
    assert.equal(await link.getAttribute('rel'), 'noopener');
  }
  assert.equal(await frame.locator('.inspectors').count(), 1);
  const autoFrame = frameOf(page, 'unknown-recipient');
  assert.equal(await autoFrame.locator('.controls').count(), 0);
  assert.equal(await autoFrame.locator('.inspectors').count(), 0);
  assert.equal(await autoFrame.locator('.transcript-panel').count(), 1);
  assert.equal(await autoFrame.locator('#explanation').count(), 1);

  // The first player plays by itself once it is seen: scrolling to the second one above may
  // have taken it out of view, and an autoplay player waits until it is visible.
  await page.locator('#unknown').scrollIntoViewIfNeeded();
  await event(page, 'unknown', 'step-changed', { step: 2 });
  // Its link opens the full player at the lesson and the step shown.
  const href = new URL(await autoFrame.locator('.embed-open a').evaluate((a) => a.href));
  assert.equal(href.origin, player);
  assert.equal(href.searchParams.get('lesson'), 'unknown-recipient');
  assert.equal(href.searchParams.get('embed'), null);
  assert.deepEqual(page.errors, []);
  await page.close();
});

test('an embed given a height keeps it from the start while it plays; the player scrolls inside', async () => {
  // On a phone the player's page is more than twice the frame's height: autoplay must start
  // when half the frame is seen, as half the page never can be.
  const page = await openCourse({ width: 360, height: 740 });
  const iframe = page.locator('#unknown iframe');
  // Before the player is seen or has said anything, the frame already has its height.
  assert.equal(await iframe.evaluate((f) => f.style.height), '560px');
  await page.evaluate(() => {
    window.heights = [];
    document.getElementById('unknown').addEventListener('step-changed', () =>
      window.heights.push(document.querySelector('#unknown iframe').getBoundingClientRect().height));
  });
  await page.locator('#unknown').scrollIntoViewIfNeeded();
  await event(page, 'unknown', 'step-changed', { step: 6 });
  const heights = await page.evaluate(() => window.heights);
  assert.ok(heights.length >= 5, `${heights}`);
  assert.deepEqual([...new Set(heights)], [560], 'the frame never changed height');
  // The player asked to grow (its document is taller than the frame), and was not followed.
  const resized = await page.evaluate(() => window.events.filter((e) => e.id === 'unknown' && e.type === 'resize'));
  assert.ok(resized.some((e) => e.height > 560), JSON.stringify(resized));
  const frame = frameOf(page, 'unknown-recipient');
  assert.ok(await frame.evaluate(() => document.documentElement.scrollHeight > innerHeight), 'it scrolls inside');
  assert.deepEqual(page.errors, []);
  await page.close();
});

test('the element drives the player: goto, play, pause, load-scenario, load-lesson; lesson-finished at the end', async () => {
  const page = await openCourse();
  await page.locator('#retries').scrollIntoViewIfNeeded();
  const { steps } = await event(page, 'retries', 'ready', { lesson: 'retries-exhausted' });
  const frame = () => frameOf(page, 'retries-exhausted');

  // goto through the page's button and through the method.
  await page.click('#go-5');
  const five = await event(page, 'retries', 'step-changed', { step: 5 });
  assert.equal(five.of, steps);
  assert.ok(five.summary.length > 0 && typeof five.time === 'number');
  await frame().locator('#counter').filter({ hasText: `5 / ${steps}` }).waitFor();
  assert.match(await page.locator('#event-log').textContent(), /step-changed: 5 of/);
  await call(page, 'retries', 'goto', 3);
  await event(page, 'retries', 'step-changed', { step: 3 });

  // play advances, pause stops.
  await page.click('#go-play');
  await event(page, 'retries', 'step-changed', { step: 4 });
  await frame().locator('#play[aria-label="Pause"]').waitFor();
  await page.click('#go-pause');
  await frame().locator('#play[aria-label="Play"]').waitFor();
  const stopped = await page.evaluate(() => window.events.filter((e) => e.id === 'retries' && e.type === 'step-changed').length);
  await page.waitForTimeout(1500);
  assert.equal(await page.evaluate(() => window.events.filter((e) => e.id === 'retries' && e.type === 'step-changed').length), stopped);

  // A scenario sent as text plays from its first step.
  const source = (await readFile('src/scenario/lessons/telnet-session.toml', 'utf8'))
    .replace('title = "Talking SMTP by hand"', 'title = "Sent by the course page"');
  await call(page, 'retries', 'loadScenario', source);
  const custom = await event(page, 'retries', 'ready', { title: 'Sent by the course page' });
  assert.equal(custom.lesson, null);
  await frame().locator('#lesson-title', { hasText: 'Sent by the course page' }).waitFor();
  await call(page, 'retries', 'goto', custom.steps);
  const finished = await event(page, 'retries', 'lesson-finished', { lesson: null });
  assert.deepEqual(finished.outcome.delivered, { 'recipient@example.com': 1 });

  // A scenario that does not parse keeps the one shown and says where the error is.
  await call(page, 'retries', 'loadScenario', 'title = "unclosed');
  await frame().locator('.notice', { hasText: /line 1, column/ }).waitFor();
  await frame().locator('#lesson-title', { hasText: 'Sent by the course page' }).waitFor();

  // load-lesson, then the end of it.
  await page.click('#go-greylisting');
  const grey = await event(page, 'retries', 'ready', { lesson: 'greylisting' });
  await call(page, 'retries', 'goto', grey.steps);
  const end = await event(page, 'retries', 'lesson-finished', { lesson: 'greylisting' });
  assert.ok(Object.keys(end.outcome.delivered).length > 0);
  assert.deepEqual(page.errors, []);
  await page.close();
});

test('messages from another origin, from the wrong window or of the wrong shape are ignored', async () => {
  const page = await openCourse();
  await page.locator('#retries').scrollIntoViewIfNeeded();
  await event(page, 'retries', 'ready', { lesson: 'retries-exhausted' });
  await call(page, 'retries', 'pause');
  await call(page, 'unknown', 'pause');
  const frame = frameOf(page, 'retries-exhausted');

  // A third origin, framed by the course page, posts commands to every frame and events to the page.
  const done = page.evaluate(() => new Promise((ok) =>
    window.addEventListener('message', (e) => { if (e.data === 'forger:done') ok(); })));
  await page.evaluate((src) => {
    const f = document.createElement('iframe');
    f.src = src;
    document.body.append(f);
  }, `${forger.url}forger.html`);
  await done;

  // Wrong shapes from the right origin and window: the course page itself.
  await page.evaluate((origin) => {
    const target = document.querySelector('#retries iframe').contentWindow;
    for (const message of [
      'smtp-playground:goto', null, 42, [], { type: 'goto', step: 7 }, { type: 'smtp-playground:goto' },
      { type: 'smtp-playground:goto', step: -1 }, { type: 'smtp-playground:goto', step: '7' },
      { type: 'smtp-playground:goto', step: 1.5 }, { type: 'smtp-playground:goto', step: Infinity },
      { type: 'smtp-playground:goto', step: 1e300 }, { type: 'smtp-playground:load-lesson', lesson: '../x' },
      { type: 'smtp-playground:load-lesson', lesson: 7 }, { type: 'smtp-playground:load-scenario', source: 7 },
      { type: 'smtp-playground:load-scenario', source: '' }, { type: 'smtp-playground:load-scenario', source: 'x'.repeat(300000) },
      { type: 'smtp-playground:explode' }, { type: 7 },
    ]) target.postMessage(message, origin);
  }, new URL(env.url).origin);

  // Then a real command: once it is seen, everything before it has been handled.
  await call(page, 'retries', 'goto', 2);
  await event(page, 'retries', 'step-changed', { step: 2 });
  await page.waitForTimeout(300);
  const steps = await page.evaluate(() => window.events.filter((e) => e.type === 'step-changed').map((e) => e.step));
  assert.ok(!steps.includes(7) && !steps.includes(99), `no forged step: ${steps}`);
  assert.equal(await page.evaluate(() => window.events.some((e) => e.type === 'ready' && e.lesson === 'telnet-session')), false);
  assert.match(await frame.locator('#counter').textContent(), /^2 \//);
  assert.equal(await frame.locator('#lesson-title').textContent(), 'Retries exhausted: the message bounces');
  assert.equal(await frameOf(page, 'unknown-recipient').locator('#lesson-title').textContent(), 'Several recipients, one unknown');
  // The forged resize (5px) neither reached the page's listeners nor sized the frame.
  assert.equal(await page.evaluate(() => window.events.some((e) => e.type === 'resize' && e.height === 5)), false);
  assert.ok(parseInt(await page.locator('#retries iframe').evaluate((f) => f.style.height), 10) > 100);
  assert.equal(await frame.locator('#panic-panel').count(), 0);
  assert.equal(await frame.locator('.notice').count(), 0);
  assert.deepEqual(page.errors, []);
  await page.close();
});

test('without ?parent= or outside a frame the message API stays off; embed mode still hides the chrome', async () => {
  const page = await open(env.browser, `${env.url}?embed=1&lesson=mx-relay&step=3&panels=transcript`);
  await page.locator('.transcript-panel').waitFor();
  assert.equal(await page.locator('.toolbar').count(), 0);
  assert.equal(await page.locator('#picker').count(), 0);
  assert.equal(await page.locator('.lanes').count(), 0);
  assert.equal(await page.locator('.controls').count(), 0);
  assert.equal(await page.locator('.transcript li').count() > 0, true);
  // The URL keeps its embed parameters (no rewrite to ?lesson=&step=).
  assert.match(page.url(), /embed=1/);
  assert.deepEqual(page.errors, []);
  await page.close();
});

test('an autoplay embed below the fold loads but waits at step 0 until it is scrolled into view', async () => {
  const late = await coursePage(`<div id="text" style="height:1200px">A course page's text.</div>
    <smtp-playground id="late" lesson="telnet-session" autoplay panels="lanes,explanation"></smtp-playground>
    <div style="height:2000px"></div>`);
  try {
    const page = await openCourse({ width: 900, height: 800 }, { url: late.url });
    // Near enough for the lazy frame to load, but not on screen.
    await page.evaluate(() => window.scrollTo(0, 300));
    await event(page, 'late', 'ready', { lesson: 'telnet-session' });
    await page.waitForTimeout(2500);
    const early = await page.evaluate(() => window.events.filter((e) => e.type === 'step-changed' && e.step > 0).length);
    assert.equal(early, 0, 'no step played while off screen');
    await page.locator('#late').scrollIntoViewIfNeeded();
    await event(page, 'late', 'step-changed', { step: 1 });
    await page.close();
  } finally {
    late.server.close();
  }
});

test('autoplay under prefers-reduced-motion still advances, without travel animation', async () => {
  const travel = (page) => page.locator('.lanes').evaluate((e) => e.getAttribute('style'));
  const reduced = await open(env.browser, `${env.url}?embed=1&lesson=telnet-session&autoplay=1`, { reducedMotion: 'reduce' });
  await reduced.waitForFunction(() => Number(document.querySelector('#counter')?.textContent.split(' / ')[0]) >= 2);
  assert.match(await travel(reduced), /--travel:0ms/);
  assert.equal(await reduced.locator('#play').getAttribute('aria-label'), 'Pause');
  const moving = await open(env.browser, `${env.url}?embed=1&lesson=telnet-session&autoplay=1`, { reducedMotion: 'no-preference' });
  await moving.waitForFunction(() => Number(document.querySelector('#counter')?.textContent.split(' / ')[0]) >= 1);
  assert.doesNotMatch(await travel(moving), /--travel:0ms/);
  assert.deepEqual([...reduced.errors, ...moving.errors], []);
  await reduced.close();
  await moving.close();
});

test('an embed taken over by the full player keeps the commands sent meanwhile and announces nothing twice', async () => {
  const page = await openCourse(undefined, { init: [DEFER_RELEASE] });
  await page.locator('#retries').scrollIntoViewIfNeeded();
  const { steps } = await event(page, 'retries', 'ready', { lesson: 'retries-exhausted' });
  const frame = frameOf(page, 'retries-exhausted');
  // Its inspectors are in view: the full player loads and is handed the page; until it
  // releases them, commands are held.
  await frame.waitForFunction(() => window.__held === 1, null, { timeout: 30000 });
  await call(page, 'retries', 'goto', 5);
  await call(page, 'retries', 'goto', 6);
  await page.waitForTimeout(300);
  const told = () => page.evaluate(() => window.events.filter((e) => e.id === 'retries'));
  assert.ok(!(await told()).some((e) => e.type === 'step-changed' && e.step > 0), 'held until the full player listens');
  await frame.evaluate(() => { window.__release = true; });
  await event(page, 'retries', 'step-changed', { step: 6 });
  await frame.locator('#counter').filter({ hasText: `6 / ${steps}` }).waitFor();
  assert.equal(await frame.evaluate(() => document.documentElement.dataset.player), 'full');
  assert.equal(await frame.locator('.inspectors').count(), 1);
  // One `ready`, and step 0 told once: the full player repeats nothing the player module
  // said. (The two commands, replayed together, are drawn as one change.)
  const events = (await told()).filter((e) => e.type === 'ready' || e.type === 'step-changed');
  assert.deepEqual(events.map((e) => `${e.type} ${e.step ?? e.lesson}`),
    ['ready retries-exhausted', 'step-changed 0', 'step-changed 6']);
  assert.deepEqual(page.errors, []);
  await page.close();
});

test('an autoplay embed paused by its page stays paused when the full player takes over', async () => {
  const auto = await coursePage(
    '<smtp-playground id="auto" lesson="telnet-session" autoplay panels="lanes,controls,explanation,inspectors"></smtp-playground>');
  try {
    const page = await openCourse(undefined, { url: auto.url, init: [DEFER_RELEASE] });
    await event(page, 'auto', 'step-changed', { step: 1 });
    await call(page, 'auto', 'pause');
    const frame = frameOf(page, 'telnet-session');
    await frame.locator('#play[aria-label="Play"]').waitFor();
    await frame.waitForFunction(() => window.__held === 1, null, { timeout: 30000 });
    await frame.evaluate(() => { window.__release = true; });
    await frame.waitForFunction(() => document.documentElement.dataset.player === 'full');
    const stopped = await page.evaluate(() => window.events.filter((e) => e.type === 'step-changed').length);
    await page.waitForTimeout(1500);
    assert.equal(await page.evaluate(() => window.events.filter((e) => e.type === 'step-changed').length), stopped,
      'the full player did not autoplay again');
    assert.equal(await frame.locator('#play').getAttribute('aria-label'), 'Play');
    await page.close();
  } finally {
    auto.server.close();
  }
});
