// The player's controls, URL, transcript, explanations and accessibility, in Chromium.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { start, open, openPlayer, position, transcriptShown, nativeTranscript, nativeTimeline, lessonIds } from './support.mjs';

let env;
before(async () => { env = await start(); });
after(async () => { await env?.close(); });

const currentStep = (page) => page.locator('.transcript li[aria-current="step"]');
const query = (page) => new URL(page.url()).search;

test('the keyboard steps, jumps and plays; ? opens the shortcuts', async () => {
  const page = await openPlayer(env, 'lesson=telnet-session');
  const { total } = await position(page, 0);
  for (let i = 1; i <= 3; i++) await page.keyboard.press('ArrowRight');
  await position(page, 3);
  await page.keyboard.press('ArrowLeft');
  await position(page, 2);
  await page.keyboard.press('End');
  await position(page, total);
  await page.keyboard.press('Home');
  await position(page, 0);
  assert.equal(await page.locator('.transcript li').count(), 0);

  await page.keyboard.press('Space');
  await page.locator('#play[aria-label="Pause"]').waitFor();
  await position(page, 1);
  await page.keyboard.press('Space');
  await page.locator('#play[aria-label="Play"]').waitFor();

  await page.keyboard.press('?');
  const help = page.locator('#help[role="dialog"]');
  await help.waitFor();
  const text = await help.textContent();
  for (const key of ['Space', '→', '←', 'Home', 'End', '?']) assert.ok(text.includes(key), `help lists ${key}`);
  await page.keyboard.press('Escape');
  await help.waitFor({ state: 'detached' });
  assert.deepEqual(page.errors, []);
});

test('play runs to the end by itself at 4×, and the speed can be chosen', async () => {
  const page = await openPlayer(env, 'lesson=size-limit');
  await page.selectOption('#speed', { label: '4×' });
  const { total } = await position(page);
  await page.click('#play');
  await position(page, total);
  await page.locator('#play[aria-label="Play"]').waitFor();
  assert.deepEqual(await transcriptShown(page), nativeTranscript('size-limit'));
  assert.deepEqual(page.errors, []);
});

test('stepping back restores the earlier state exactly', async () => {
  const page = await openPlayer(env, 'lesson=mx-relay&step=12');
  await position(page, 12);
  const snapshot = async () => ({
    transcript: await transcriptShown(page),
    explanation: await page.locator('#explanation').textContent(),
    lanes: await page.locator('.lanes').innerHTML(),
    clock: await page.locator('#clock').textContent(),
    query: query(page),
  });
  const before12 = await snapshot();
  assert.equal(before12.query, '?lesson=mx-relay&step=12');
  await page.click('#forward');
  await position(page, 13);
  await page.waitForFunction(() => location.search.endsWith('step=13'));
  assert.notDeepEqual((await snapshot()).transcript, before12.transcript);
  await page.click('#back');
  await position(page, 12);
  await page.waitForFunction(() => location.search.endsWith('step=12'));
  assert.deepEqual(await snapshot(), before12);
  assert.deepEqual(page.errors, []);
});

test('the URL opens a lesson at a step, follows stepping and survives a reload', async () => {
  const page = await openPlayer(env, 'lesson=dsn-notify&step=20');
  const { total } = await position(page, 20);
  assert.equal(total, nativeTimeline('dsn-notify').steps.length);
  assert.equal(await page.locator('#lesson-title').textContent(), 'Ask for delivery reports: NOTIFY and RET');
  assert.equal(await page.locator('.transcript li').count(), 20);
  assert.deepEqual(await transcriptShown(page), nativeTranscript('dsn-notify').slice(0, (await transcriptShown(page)).length));
  await page.keyboard.press('ArrowRight');
  await page.waitForFunction(() => location.search === '?lesson=dsn-notify&step=21');
  await page.reload();
  await position(page, 21);
  assert.equal(await currentStep(page).count(), 1);
  // A step past the end opens at the end.
  await page.goto(`${env.url}?lesson=size-limit&step=9999`);
  const end = await position(page);
  assert.equal(end.shown, end.total);
  assert.deepEqual(page.errors, []);
});

test('an unknown lesson gets a friendly message and the picker, grouped by topic', async () => {
  const page = await open(env.browser, `${env.url}?lesson=no-such-lesson`);
  const notice = page.locator('.notice[role="alert"]');
  await notice.waitFor();
  assert.match(await notice.textContent(), /no lesson called “no-such-lesson”/);
  const picker = page.locator('#picker');
  // The lesson list is the full player's, grouped by the lesson index that comes with it.
  await picker.locator('h2', { hasText: 'Basics' }).waitFor();
  assert.ok(await picker.isVisible());
  const topics = await picker.locator('h2').allTextContents();
  assert.ok(topics.includes('Basics') && topics.length >= 4, topics.join(', '));
  assert.equal(await picker.locator('button.lesson').count(), lessonIds().length);
  assert.ok((await picker.locator('li p').first().textContent()).length > 20, 'lessons have descriptions');
  await picker.locator('button[data-lesson="greylisting"]').click();
  await page.locator('#play').waitFor();
  await page.waitForFunction(() => location.search === '?lesson=greylisting&step=0');
  assert.equal(await page.locator('.notice').count(), 0);
  assert.deepEqual(page.errors, []);
});

test('the transcript: click to jump, CRLF on demand, aria-current, polite announcements, download', async () => {
  const page = await openPlayer(env, 'lesson=telnet-session&step=8', { acceptDownloads: true });
  await position(page, 8);
  const lines = nativeTranscript('telnet-session');
  assert.equal(await page.locator('.transcript').getAttribute('aria-label'), 'Transcript up to the current step');
  await page.locator('.transcript li').nth(2).locator('button.jump').click();
  await position(page, 3);
  assert.equal(await page.locator('.transcript li').count(), 3);
  assert.equal(await page.locator('.transcript li').nth(2).getAttribute('aria-current'), 'step');
  assert.equal(await currentStep(page).count(), 1);
  // Only the newest line is announced, politely.
  const announcer = page.locator('#announcer[aria-live="polite"]');
  const shown = await transcriptShown(page);
  assert.equal(await announcer.textContent(), shown[shown.length - 1]);
  assert.equal(await page.locator('.transcript[aria-live]').count(), 0, 'the list itself is not live');

  assert.equal(await page.locator('.crlf').count(), 0);
  await page.click('#crlf-toggle');
  await page.locator('#crlf-toggle[aria-pressed="true"]').waitFor();
  const marks = await page.locator('.crlf').allTextContents();
  assert.ok(marks.length > 0 && marks.every((m) => m === '␍␊'), marks.join());
  assert.deepEqual(await transcriptShown(page), shown, 'the lines themselves do not change');

  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#download')]);
  assert.equal(download.suggestedFilename(), 'telnet-session-transcript.txt');
  const text = await readFile(await download.path(), 'utf8');
  assert.equal(text, lines.map((l) => `${l}\n`).join(''));
  assert.deepEqual(page.errors, []);
});

test('the explanation names the reply class, the enhanced status code and links the RFC section', async () => {
  const timeline = nativeTimeline('unknown-recipient');
  const index = timeline.steps.findIndex((s) => s.kind === 'reply' && s.code === 550);
  assert.ok(index >= 0);
  const page = await openPlayer(env, `lesson=unknown-recipient&step=${index + 1}`);
  await position(page, index + 1);
  const explanation = page.locator('#explanation');
  const text = await explanation.textContent();
  assert.ok(text.includes(timeline.steps[index].summary), text);
  assert.match(text, /5xx: Permanent Negative Completion/);
  assert.match(text, /Enhanced status code\s*5\.1\.1/);
  const link = explanation.locator('.rfc a').first();
  assert.equal(await link.getAttribute('href'), 'https://www.rfc-editor.org/rfc/rfc5321#section-4.2.2');
  // A command links its own section.
  const mail = timeline.steps.findIndex((s) => s.kind === 'command' && s.wire.startsWith('MAIL FROM'));
  await page.goto(`${env.url}?lesson=unknown-recipient&step=${mail + 1}`);
  await position(page, mail + 1);
  assert.equal(await page.locator('#explanation .rfc a').getAttribute('href'),
    'https://www.rfc-editor.org/rfc/rfc5321#section-4.1.1.2');
  assert.deepEqual(page.errors, []);
});

test('lanes: a column per host, arrows by kind, replies marked by class and TLS drawn differently', async () => {
  const timeline = nativeTimeline('submission-auth');
  const page = await openPlayer(env, `lesson=submission-auth&step=${timeline.steps.length}`, { reducedMotion: 'reduce' });
  await position(page, timeline.steps.length);
  assert.deepEqual(await page.locator('.lane-heads strong').allTextContents(), timeline.lanes.map((l) => l.name));
  assert.ok(await page.locator('.lane-steps .msg').count() <= 8, 'only recent steps are drawn');
  const tls = timeline.steps.findIndex((s) => s.tls);
  assert.ok(tls >= 0, 'the lesson has TLS steps');
  await page.goto(`${env.url}?lesson=submission-auth&step=${tls + 1}`);
  await position(page, tls + 1);
  const current = page.locator('.msg.current');
  assert.match(await current.getAttribute('class'), /\btls\b/);
  assert.equal(await current.locator('.lock[aria-label="encrypted"]').count(), 1);
  assert.equal(await current.locator('.arrow').evaluate((e) => getComputedStyle(e).borderTopStyle), 'dashed');
  // A reply carries a mark, not only a colour.
  const reply = page.locator('.msg.reply.c2 .mark').first();
  assert.equal(await reply.textContent(), '✓');
  assert.deepEqual(page.errors, []);
});

test('long waits are compressed and labelled', async () => {
  const timeline = nativeTimeline('retry-later');
  const index = timeline.steps.findIndex((s, i) => i > 0 && s.time - timeline.steps[i - 1].time > 10_000);
  assert.ok(index > 0);
  const page = await openPlayer(env, `lesson=retry-later&step=${index + 1}`);
  await position(page, index + 1);
  assert.match(await page.locator('#wait').textContent(), /^ \d+ (second|minute|hour|day)s?( \d+ \w+)? later$/);
  assert.match(await page.locator('.lane-steps .gap').textContent(), /later$/);
  await page.click('#back');
  await position(page, index);
  assert.equal(await page.locator('#wait').count(), 0);
  assert.deepEqual(page.errors, []);
});

test('prefers-reduced-motion: messages appear without travelling', async () => {
  const moving = await openPlayer(env, 'lesson=telnet-session&step=2');
  await moving.keyboard.press('ArrowRight');
  await position(moving, 3);
  assert.match(await moving.locator('.msg.current .arrow').evaluate((e) => getComputedStyle(e).animationName), /^grow-/);
  const still = await openPlayer(env, 'lesson=telnet-session&step=2');
  await still.emulateMedia({ reducedMotion: 'reduce' });
  await still.keyboard.press('ArrowRight');
  await position(still, 3);
  assert.equal(await still.locator('.msg.current .arrow').evaluate((e) => getComputedStyle(e).animationName), 'none');
  assert.equal(await still.locator('.msg.current .label').evaluate((e) => getComputedStyle(e).animationName), 'none');
  assert.deepEqual([...moving.errors, ...still.errors], []);
});

test('predict the reply: each reply waits for a guess, and the score counts the right ones', async () => {
  const id = 'telnet-session';
  const timeline = nativeTimeline(id);
  const replies = timeline.steps.map((s, i) => [i, s]).filter(([, s]) => s.kind === 'reply' && s.code);
  assert.ok(replies.length >= 4);
  const page = await openPlayer(env, `lesson=${id}`);
  await page.click('#predict-toggle');
  await page.locator('#predict-toggle[aria-pressed="true"]').waitFor();
  let right = 0;
  for (const [n, [index, step]] of replies.entries()) {
    // Step until the reply is held back.
    while ((await position(page)).shown < index) {
      const { shown } = await position(page);
      await page.keyboard.press('ArrowRight');
      await position(page, shown + 1);
    }
    const panel = page.locator('#predict');
    await page.keyboard.press('ArrowRight');
    await panel.waitFor();
    await page.waitForFunction(() => document.activeElement?.classList.contains('guess-class'));
    await page.keyboard.press('ArrowRight');
    assert.equal((await position(page)).shown, index, 'the reply stays hidden until guessed');
    const codes = await panel.locator('button.guess-code').allTextContents();
    assert.ok(codes.includes(String(step.code)), `${step.code} is among ${codes}`);
    // A mix of answers: right class, wrong code, right code.
    let verdict;
    if (n % 3 === 0) {
      await panel.locator('button.guess-class', { hasText: `${Math.floor(step.code / 100)}xx` }).click();
      right++; verdict = /Right/;
    } else if (n % 3 === 1) {
      const wrong = Math.floor(step.code / 100) === 2 ? 5 : 2;
      await panel.locator('button.guess-class', { hasText: `${wrong}xx` }).click();
      verdict = /Not quite/;
    } else {
      await panel.locator('button.guess-code', { hasText: String(step.code) }).click();
      right++; verdict = /Right/;
    }
    await position(page, index + 1);
    assert.match(await page.locator('#verdict').textContent(), verdict);
  }
  await page.keyboard.press('End');
  const score = await page.locator('#score').textContent();
  assert.equal(score.split(' (')[0], `Your score: ${right} of ${replies.length} replies predicted`);
  assert.deepEqual(page.errors, []);
});

test('at the end, "try this next" opens a lesson in one click and shows hints as text', async () => {
  const page = await openPlayer(env, 'lesson=dmarc-reject&step=9999');
  const ending = page.locator('#ending');
  await ending.waitFor();
  assert.equal(await ending.locator('.try-next .hint').count(), 2);
  assert.match(await ending.locator('.try-next .hint').first().textContent(), /p=quarantine/);
  await ending.locator('button.open-lesson[data-lesson="dkim-pass"]').click();
  await page.waitForFunction(() => location.search === '?lesson=dkim-pass&step=0');
  const title = await page.locator('#lesson-title').textContent();
  assert.ok(title.length > 0 && !title.startsWith('DMARC: the domain owner'), title);
  await position(page, 0);
  assert.deepEqual(page.errors, []);
});

test('presenter mode: large type, full screen, PageDown and PageUp step', async () => {
  const page = await openPlayer(env, 'lesson=pipelining&step=4');
  const size = () => page.locator('#explanation').evaluate((e) => parseFloat(getComputedStyle(e).fontSize));
  const small = await size();
  await page.keyboard.press('PageDown');
  assert.equal((await position(page)).shown, 4, 'PageDown does nothing outside presenter mode');
  await page.click('#presenter-toggle');
  await page.locator('.app.presenter').waitFor();
  assert.ok(await size() > small * 1.3, 'larger type');
  await page.waitForFunction(() => document.fullscreenElement === document.documentElement);
  await page.keyboard.press('PageDown');
  await position(page, 5);
  await page.keyboard.press('PageUp');
  await page.keyboard.press('PageUp');
  await position(page, 3);
  await page.click('#presenter-toggle');
  await page.waitForFunction(() => !document.querySelector('.app.presenter') && !document.fullscreenElement);
  assert.deepEqual(page.errors, []);
});

test('presenter mode fits one 16:10 or 16:9 screen: lanes, the explanation in large type and the controls, nothing below', async () => {
  for (const [width, height, least] of [[1280, 800, 20], [1920, 1080, 28]]) {
    const page = await openPlayer(env, 'lesson=mx-relay&step=12', { viewport: { width, height } });
    const normal = await page.locator('#explanation').evaluate((e) => parseFloat(getComputedStyle(e).fontSize));
    await page.click('#presenter-toggle');
    await page.locator('.app.presenter').waitFor();
    await page.waitForTimeout(300);
    const boxes = await page.evaluate(() => Object.fromEntries(['.lanes', '.controls', '#explanation', '#play', '.msg.current']
      .map((s) => [s, document.querySelector(s)?.getBoundingClientRect().toJSON()])));
    for (const [what, box] of Object.entries(boxes)) {
      assert.ok(box && box.top >= 0 && box.bottom <= height + 0.5 && box.right <= width + 0.5,
        `${what} within ${width}×${height}: ${JSON.stringify(box)}`);
    }
    assert.equal(await page.evaluate(() => document.documentElement.scrollHeight), height, 'the page does not scroll');
    const large = await page.locator('#explanation').evaluate((e) => parseFloat(getComputedStyle(e).fontSize));
    assert.ok(large >= least && large > normal * 1.25, `explanation at ${large}px on ${width}×${height} (normal ${normal}px)`);
    // Side by side: the explanation beside the lanes, not under them.
    assert.ok(boxes['#explanation'].left >= boxes['.lanes'].right, 'explanation beside the lanes');
    // Stepping on keeps the newest message in sight.
    for (let i = 0; i < 10; i++) await page.keyboard.press('PageDown');
    await position(page, 22);
    const current = await page.locator('.msg.current').evaluate((e) => e.getBoundingClientRect().toJSON());
    const lanes = await page.locator('.lanes').evaluate((e) => e.getBoundingClientRect().toJSON());
    assert.ok(current.top >= lanes.top && current.bottom <= lanes.bottom + 0.5, 'the current message is inside the lanes');
    await page.screenshot({ path: `test-artifacts/screenshots/presenter-${width}x${height}.png` });
    assert.deepEqual(page.errors, []);
    await page.close();
  }
});

test('the theme toggle switches light and dark and persists in localStorage', async () => {
  const page = await openPlayer(env, 'lesson=telnet-session', { colorScheme: 'light' });
  const background = () => page.evaluate(() => getComputedStyle(document.body).backgroundColor);
  const light = await background();
  await page.click('#theme-toggle');
  await page.waitForFunction(() => document.documentElement.dataset.theme === 'dark');
  const dark = await background();
  assert.notEqual(dark, light);
  assert.equal(await page.evaluate(() => localStorage.getItem('smtp-playground-theme')), 'dark');
  await page.reload();
  await page.locator('#play').waitFor();
  assert.equal(await page.evaluate(() => document.documentElement.dataset.theme), 'dark');
  assert.equal(await background(), dark);
  await page.click('#theme-toggle');
  await page.waitForFunction(() => document.documentElement.dataset.theme === 'light');
  assert.equal(await background(), light);
  // With no choice stored, a dark system gets the dark theme.
  const system = await openPlayer(env, 'lesson=telnet-session', { colorScheme: 'dark' });
  assert.equal(await system.evaluate(() => getComputedStyle(document.body).backgroundColor), dark);
  assert.deepEqual([...page.errors, ...system.errors], []);
});

test('every control is focusable and labelled', async () => {
  const page = await openPlayer(env, 'lesson=telnet-session&step=3');
  const unlabelled = await page.evaluate(() => [...document.querySelectorAll('button, input, select, a[href]')]
    .filter((e) => !(e.getAttribute('aria-label') || e.textContent.trim() || e.closest('label')?.textContent.trim()))
    .map((e) => e.outerHTML));
  assert.deepEqual(unlabelled, []);
  const names = [];
  for (let i = 0; i < 16; i++) {
    await page.keyboard.press('Tab');
    names.push(await page.evaluate(() => document.activeElement?.id || document.activeElement?.tagName));
  }
  for (const id of ['intro-toggle', 'lessons-toggle', 'predict-toggle', 'theme-toggle', 'first', 'back', 'play', 'forward', 'last', 'scrubber', 'speed']) {
    assert.ok(names.includes(id), `${id} is reached by Tab: ${names}`);
  }
  assert.deepEqual(page.errors, []);
});

test('opening a MAIL line shows its annotated parts; the inspectors follow the step', async () => {
  const timeline = nativeTimeline('dsn-notify');
  const mail = timeline.steps.findIndex((s) => s.kind === 'command' && / RET=/.test(s.wire ?? ''));
  assert.ok(mail >= 0, 'dsn-notify has a MAIL with parameters');
  const page = await openPlayer(env, `lesson=dsn-notify&step=${mail + 1}`);
  await position(page, mail + 1);
  const row = page.locator('.transcript li').nth(mail);
  const expander = row.locator('button.parts');
  assert.equal(await expander.getAttribute('aria-expanded'), 'false');
  await expander.click();
  await row.locator('.annotated').waitFor();
  assert.equal(await expander.getAttribute('aria-expanded'), 'true');
  const labels = await row.locator('.ab-label').allTextContents();
  for (const label of ['verb', 'reverse-path', 'SIZE parameter', 'RET parameter', 'ENVID parameter']) {
    assert.ok(labels.includes(label), `${label} in ${labels}`);
  }
  // Arrow keys inside the parts move between them and do not step the player.
  await row.locator('button.ab-seg').first().focus();
  await page.keyboard.press('ArrowRight');
  await page.keyboard.press('ArrowRight');
  assert.equal((await position(page)).shown, mail + 1);
  assert.equal(await row.locator('button.ab-seg[aria-pressed="true"]').count(), 1);
  await expander.click();
  await row.locator('.annotated').waitFor({ state: 'detached' });
  // The inspectors are mounted beside the transcript and change with the step.
  const inspectors = page.locator('section.inspectors');
  await inspectors.waitFor();
  const atMail = await inspectors.innerText();
  await page.keyboard.press('End');
  await position(page, timeline.steps.length);
  assert.notEqual(await inspectors.innerText(), atMail);
  assert.deepEqual(page.errors, []);
});
