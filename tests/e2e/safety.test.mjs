// Every string a scenario or a URL brings is shown as text, never run as markup: a scenario
// full of XSS payloads sent through the embed API (load-scenario), and payloads in the
// player's URL parameters.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { start } from './support.mjs';

const TITLE = '<img src=x onerror="window.xss=1;alert(1)">';
const DESCRIPTION = '<script>window.xss=2;alert(2)</script> and "><svg onload=window.xss=3>';
// Host names are validated as domains now, so a markup name is refused with a located error,
// which must itself show as text; the rest of the scenario uses a valid client name.
const BAD_HOST = '"><svg onload="window.xss=4;alert(4)">';
const CLIENT = 'client.example.com';
const LOCAL = '<img src=x onerror=window.xss=5>';
const BODY = '<script>window.xss=6</script><img src=x onerror=alert(6)>';

// TOML basic strings: escape backslashes and quotes.
const toml = (text) => `"${text.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`;
const RECIPIENT = `"${LOCAL}"@example.com`;
const SCENARIO = `title = ${toml(TITLE)}
description = ${toml(DESCRIPTION)}
topic = ${toml('"><img src=x onerror=window.xss=7>')}

[[try_next]]
label = ${toml('javascript:alert(8)')}
hint = ${toml('javascript:window.xss=8 <a href="javascript:alert(8)">click</a>')}

[[host]]
name = ${toml(CLIENT)}
role = "client"
ip = "192.0.2.10"

[[host]]
name = "smtp.example.com"
role = "mx"
ip = "192.0.2.25"
domains = ["example.com"]
mailboxes = [${toml(RECIPIENT)}, "sender@example.com"]
smtp = {}

[dns]
"example.com" = { mx = [[10, "smtp.example.com"]] }
"smtp.example.com" = { a = ["192.0.2.25"] }

[[type]]
from = ${toml(CLIENT)}
to = "smtp.example.com"
lines = [
  "HELO example.com",
  "MAIL FROM:<sender@example.com>",
  ${toml(`RCPT TO:<${RECIPIENT}>`)},
  "DATA",
  ${toml(`Subject: ${TITLE}`)},
  "From: sender@example.com",
  "",
  ${toml(BODY)},
  ".",
  "QUIT",
]
`;

let env;
let course;
before(async () => {
  env = await start();
  const player = new URL(env.url).origin;
  const page = `<!DOCTYPE html><script type="module" src="${player}/embed.js"></script>
    <smtp-playground id="p" lesson="telnet-session" panels="lanes,controls,transcript,explanation,inspectors"></smtp-playground>`;
  const server = createServer((req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end(page));
  course = await new Promise((ok) => server.listen(0, '127.0.0.1', () => ok({ server, url: `http://127.0.0.1:${server.address().port}/` })));
});
after(async () => {
  course?.server.close();
  await env?.close();
});

/** Opens `url` with dialogs recorded from the first byte on; returns the page and them. */
async function openWatched(url) {
  const page = await env.browser.newPage();
  page.errors = [];
  page.on('pageerror', (e) => page.errors.push(e.message));
  page.on('console', (m) => { if (m.type() === 'error') page.errors.push(m.text()); });
  const dialogs = watchDialogs(page);
  await page.goto(url);
  return { page, dialogs };
}

/** Records (and dismisses) every dialog; returns the messages seen. */
function watchDialogs(page) {
  const dialogs = [];
  page.on('dialog', (d) => { dialogs.push(d.message()); d.dismiss().catch(() => {}); });
  return dialogs;
}

/** Nothing injected in `frame`: no flag set, no payload element, no handler attribute, no javascript: link. */
async function assertClean(frame, where) {
  const found = await frame.evaluate(() => ({
    xss: window.xss ?? null,
    images: document.querySelectorAll('img[src="x"]').length,
    svgs: [...document.querySelectorAll('svg')].filter((s) => s.hasAttribute('onload')).length,
    scripts: [...document.querySelectorAll('script')].filter((s) => s.textContent.includes('xss')).length,
    handlers: [...document.querySelectorAll('*')].flatMap((e) => [...e.attributes])
      .filter((a) => a.name.startsWith('on')).map((a) => a.name),
    links: [...document.querySelectorAll('a[href]')].filter((a) => a.href.trim().toLowerCase().startsWith('javascript:')).length,
  }));
  assert.deepEqual(found, { xss: null, images: 0, svgs: 0, scripts: 0, handlers: [], links: 0 }, where);
}

test('a scenario full of XSS payloads, sent through load-scenario, shows them as plain text', async () => {
  const { page, dialogs } = await openWatched(course.url);
  const frame = () => page.frames().find((f) => f.url().includes('embed=1'));
  while (!frame()) await page.waitForTimeout(50);
  await frame().locator('#lesson-title', { hasText: 'Talking SMTP by hand' }).waitFor();

  await page.evaluate((source) => document.getElementById('p').loadScenario(source), SCENARIO);
  const f = frame();
  await f.locator('#lesson-title', { hasText: TITLE }).waitFor();
  assert.equal(await f.locator('#lesson-title').textContent(), TITLE);
  assert.ok((await f.locator('#explanation').textContent()).includes(DESCRIPTION));
  await assertClean(f, 'before the first step');

  // Through every step: the lanes name the client, the transcript shows the address and body.
  await page.evaluate(() => document.getElementById('p').goto(1000));
  await f.locator('#ending').waitFor();
  const transcript = (await f.locator('.transcript .text').allTextContents()).join('\n');
  assert.ok(transcript.includes(`RCPT TO:<${RECIPIENT}>`), 'the address as typed');
  assert.ok(transcript.includes(BODY), 'the body as typed');
  assert.ok((await f.locator('.lanes').textContent()).includes(CLIENT), 'the host name');
  const ending = await f.locator('#ending').textContent();
  assert.ok(ending.includes('javascript:alert(8)') && ending.includes('<a href="javascript:alert(8)">click</a>'));
  await assertClean(f, 'at the end');
  for (const tab of await f.locator('[role="tab"]').all()) {
    await tab.click();
    await assertClean(f, `inspector tab ${await tab.textContent()}`);
  }
  // Stepping back and forth re-renders every step once more.
  for (let i = 0; i < 12; i++) await f.locator('#back').click();
  await assertClean(f, 'stepping back');

  // A markup host name is refused, and the error that names it is text.
  await page.evaluate((source) => document.getElementById('p').loadScenario(source),
    SCENARIO.replaceAll(toml(CLIENT), toml(BAD_HOST)));
  const notice = f.locator('.notice', { hasText: 'line' });
  await notice.waitFor();
  const said = await notice.textContent();
  assert.ok(said.includes('is not a domain') && said.includes('svg onload'), said);
  await assertClean(f, 'a refused host name');
  await page.waitForTimeout(300);
  assert.deepEqual(dialogs, []);
  assert.deepEqual(page.errors, []);
  await page.close();
});

test('payloads in the URL (lesson, step, panels, parent) are shown as text or ignored', async () => {
  const lesson = '<img src=x onerror=alert(1)>"><svg onload=alert(2)>';
  const { page, dialogs } =
    await openWatched(`${env.url}?lesson=${encodeURIComponent(lesson)}&step=${encodeURIComponent('<script>alert(3)</script>')}`);
  const notice = page.locator('.notice');
  await notice.waitFor();
  assert.ok((await notice.textContent()).includes(lesson), 'the unknown lesson named literally');
  await assertClean(page.mainFrame(), 'full player');

  const { page: embedded, dialogs: embeddedDialogs } = await openWatched(`${env.url}?embed=1&lesson=${encodeURIComponent(lesson)}`
    + `&panels=${encodeURIComponent('<svg onload=alert(4)>')}&parent=${encodeURIComponent('javascript:alert(5)')}`);
  await embedded.locator('.notice').waitFor();
  assert.ok((await embedded.locator('.notice').textContent()).includes(lesson));
  await assertClean(embedded.mainFrame(), 'embedded player');
  await page.waitForTimeout(300);
  assert.deepEqual(dialogs, []);
  assert.deepEqual(embeddedDialogs, []);
  assert.deepEqual(page.errors, []);
  assert.deepEqual(embedded.errors, []);
  await page.close();
  await embedded.close();
});
