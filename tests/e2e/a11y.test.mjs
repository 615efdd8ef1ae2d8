// Accessibility in Chromium: axe-core (the engine behind Lighthouse's and most browser
// extensions' audits) over every state a learner reaches, light and dark, phone and desktop;
// the skip link; and the transcript as one Tab stop with arrow keys between its lines.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { start, open, openPlayer, position, toEnd, setEditorText } from './support.mjs';

let env;
let axeSource;
before(async () => {
  env = await start();
  axeSource = await readFile('node_modules/axe-core/axe.min.js', 'utf8');
});
after(async () => { await env?.close(); });

/** axe-core's violations on the page as it is now: WCAG 2.1 A and AA and best practices.
 *  Each as `rule (impact): selector, …` so a failure says what and where. */
async function violations(page) {
  if (!(await page.evaluate(() => typeof window.axe === 'object'))) {
    await page.addScriptTag({ content: axeSource });
  }
  return page.evaluate(async () => {
    const result = await window.axe.run(document, {
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] },
      resultTypes: ['violations'],
    });
    return result.violations.map((v) => `${v.id} (${v.impact}): ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(', ')}`);
  });
}

/** Audits `page` in the state `what`, collecting violations into `found`. */
async function audit(page, what, found) {
  await page.waitForTimeout(100); // the last render's animation frame
  for (const v of await violations(page)) found.push(`${what}: ${v}`);
}

for (const [scheme, width, height] of [['light', 1280, 800], ['dark', 1280, 800], ['light', 360, 740], ['dark', 1920, 1080]]) {
  test(`axe finds nothing in the player's states (${scheme}, ${width}×${height})`, async () => {
    const found = [];
    const page = await openPlayer(env, 'lesson=dsn-notify', { colorScheme: scheme, viewport: { width, height } });
    await audit(page, 'before step 1', found);
    await page.keyboard.press('ArrowRight');
    await page.keyboard.press('ArrowRight');
    await audit(page, 'step 2', found);
    // A MAIL line's parts opened and one part chosen (the selected label's contrast).
    const total = (await position(page)).total;
    await page.keyboard.press('End');
    await position(page, total);
    await audit(page, 'the end, with the recap', found);
    const row = page.locator('.transcript li', { has: page.locator('button.parts') }).nth(2);
    await row.locator('button.parts').click();
    await row.locator('.annotated').waitFor();
    await row.locator('button.ab-seg').nth(1).click();
    await audit(page, 'a line\'s parts, one chosen', found);
    // Every inspector tab.
    const tabs = page.locator('section.inspectors [role=tab]');
    for (let i = 0; i < (await tabs.count()); i++) {
      await tabs.nth(i).click();
      await audit(page, `inspector ${await tabs.nth(i).textContent()}`, found);
    }
    await page.click('#lessons-toggle');
    await page.locator('#picker').waitFor();
    await audit(page, 'the lesson picker', found);
    await page.click('#lessons-toggle');
    await page.click('#help-toggle');
    await audit(page, 'the shortcuts', found);
    await page.keyboard.press('Escape');
    await page.click('#predict-toggle');
    await page.keyboard.press('Home');
    for (let i = 0; i < 3; i++) await page.keyboard.press('ArrowRight');
    await page.locator('#predict').waitFor();
    await audit(page, 'predict the reply, asking', found);
    await page.click('#predict-toggle');
    await page.click('#presenter-toggle');
    await audit(page, 'presenter mode', found);
    await page.click('#presenter-toggle');
    await page.click('#intro-toggle');
    await page.locator('#intro').waitFor();
    await audit(page, 'start here', found);
    assert.deepEqual(found, []);
    assert.deepEqual(page.errors, []);
  });
}

test('axe finds nothing in the lab\'s tabs, with a console session run', async () => {
  const found = [];
  const page = await openPlayer(env, 'lesson=mx-relay', { viewport: { width: 1280, height: 800 } });
  await page.click('#lab-toggle');
  await page.locator('#lab').waitFor();
  await page.selectOption('#console-server', 'mx.example.net');
  await page.fill('#console-input', 'EHLO learner.example');
  await page.press('#console-input', 'Enter');
  await page.locator('.console-reply').first().waitFor();
  await audit(page, 'console', found);
  const tabs = page.locator('#lab [role=tab]');
  for (let i = 1; i < (await tabs.count()); i++) {
    await tabs.nth(i).click();
    // The editor's module is imported when it first opens.
    if ((await tabs.nth(i).getAttribute('id')) === 'lab-tab-editor') await page.locator('#editor-source').waitFor();
    await audit(page, `lab ${await tabs.nth(i).textContent()}`, found);
  }
  // The editor with an error marked, in both themes.
  await page.click('#lab-tab-editor');
  await setEditorText(page, 'title = "t"\ndescription = "d"\n[[host]]\nnam = "x"\n');
  await page.locator('.editor-error-line').waitFor();
  await audit(page, 'lab editor, an error marked', found);
  await page.emulateMedia({ colorScheme: 'dark' });
  await audit(page, 'lab editor, an error marked, dark', found);
  assert.deepEqual(found, []);
  assert.deepEqual(page.errors, []);
});

test('the first Tab stop skips to the lesson without touching the address', async () => {
  const page = await openPlayer(env, 'lesson=mx-relay&step=4');
  const before = page.url();
  await page.keyboard.press('Tab');
  const skip = page.locator('.skip-link:focus');
  await skip.waitFor();
  assert.equal(await skip.textContent(), 'Skip to the lesson');
  const box = await skip.boundingBox();
  assert.ok(box && box.y >= 0 && box.height > 10, `the focused skip link is on screen: ${JSON.stringify(box)}`);
  await page.keyboard.press('Enter');
  await page.locator('#lesson:focus').waitFor();
  assert.equal(page.url(), before);
  // The next Tab goes to the lesson's first control, past the toolbar.
  await page.keyboard.press('Tab');
  const next = await page.evaluate(() => document.activeElement.closest('#lesson') !== null
    && document.activeElement.closest('.toolbar') === null);
  assert.ok(next, 'focus is inside the lesson');
  assert.deepEqual(page.errors, []);
});

test('the transcript is one Tab stop; arrow keys move between its lines and leave the player where it is', async () => {
  const page = await openPlayer(env, 'lesson=mx-relay');
  const { total } = await toEnd(page);
  const rows = page.locator('.transcript li');
  assert.equal(await rows.count(), total);
  // Only the current line's buttons are in the Tab order.
  const tabbable = () => page.locator('.transcript button:not([tabindex="-1"])').count();
  const current = page.locator('.transcript li[aria-current="step"]');
  assert.equal(await tabbable(), await current.locator('button').count());
  await current.locator('button.jump').focus();
  await page.keyboard.press('ArrowUp');
  await page.keyboard.press('ArrowUp');
  const focused = await page.evaluate(() => Number(document.activeElement.closest('li').dataset.index));
  assert.equal(focused, total - 3);
  assert.equal((await position(page)).shown, total, 'arrows in the transcript do not step');
  // The line focused last holds the Tab stop now; Enter jumps to it.
  assert.equal(await page.locator(`.transcript li[data-index="${total - 3}"] button.jump`).getAttribute('tabindex'), '0');
  assert.equal(await tabbable(), await rows.nth(total - 3).locator('button').count());
  await page.keyboard.press('Enter');
  await position(page, total - 2);
  // ArrowDown from a parts button goes to the next line's parts button where it has one.
  const withParts = page.locator('.transcript li', { has: page.locator('button.parts') });
  await withParts.first().locator('button.parts').focus();
  const from = await page.evaluate(() => Number(document.activeElement.closest('li').dataset.index));
  await page.keyboard.press('ArrowDown');
  const to = await page.evaluate(() => ({
    index: Number(document.activeElement.closest('li').dataset.index),
    parts: document.activeElement.classList.contains('parts'),
  }));
  assert.equal(to.index, from + 1);
  assert.equal(to.parts, (await rows.nth(from + 1).locator('button.parts').count()) === 1);
  // A whole finished lesson is a short walk with Tab: count the stops round the page.
  const fresh = await open(env.browser, `${env.url}?lesson=mx-relay`);
  await fresh.locator('#play').waitFor();
  await fresh.keyboard.press('End');
  await position(fresh, total);
  const stops = await fresh.evaluate(() => [...document.querySelectorAll('a[href], button, input, select, textarea, [tabindex]')]
    .filter((e) => e.tabIndex >= 0 && !e.disabled && e.getClientRects().length > 0).length);
  assert.ok(stops < 50, `${stops} Tab stops on a finished lesson of ${total} steps`);
  assert.deepEqual([...page.errors, ...fresh.errors], []);
});

test('on a touch screen the hints speak of taps, not keys; with a keyboard, of keys', async () => {
  const phone = await openPlayer(env, 'lesson=mx-relay', { viewport: { width: 360, height: 740 }, hasTouch: true, isMobile: true });
  assert.ok(await phone.evaluate(() => matchMedia('(pointer: coarse)').matches), 'the emulated phone has a coarse pointer');
  const hint = (page) => page.locator('#explanation .hint').innerText();
  assert.match(await hint(phone), /^Tap play/);
  assert.doesNotMatch(await hint(phone), /Press|→|\?/);
  assert.equal(await phone.locator('#help-toggle').isVisible(), false);
  const desk = await openPlayer(env, 'lesson=mx-relay', { viewport: { width: 1280, height: 800 } });
  assert.match(await hint(desk), /^Press play, or → .* Press \? for the keyboard shortcuts\.$/);
  assert.equal(await desk.locator('#help-toggle').isVisible(), true);
  assert.deepEqual([...phone.errors, ...desk.errors], []);
});

test('events on a lifeline are filled marks, not empty boxes, and the clock is a reading, not a button', async () => {
  const page = await openPlayer(env, 'lesson=retry-later&step=20', { viewport: { width: 1280, height: 800 } });
  const look = (selector) => page.locator(selector).first().evaluate((e) => {
    const s = getComputedStyle(e);
    return { fill: s.backgroundColor, ink: s.color, radius: s.borderRadius, turned: s.transform !== 'none' };
  });
  const note = await look('.msg.event.note .arrow');
  const queue = await look('.msg.event.queue .arrow');
  for (const mark of [note, queue]) assert.equal(mark.fill, mark.ink, 'filled with the message colour');
  assert.equal(note.radius, '50%');
  assert.ok(queue.turned, 'the queue mark is a diamond');
  const clock = await page.locator('.clock time').evaluate((e) => getComputedStyle(e).borderTopStyle);
  assert.equal(clock, 'none');
  assert.equal(await page.locator('.clock svg.icon').count(), 1);
  assert.deepEqual(page.errors, []);
});

test('on a phone the lanes cut nothing for good: host names wrap, roles stay, a tapped label shows whole', async () => {
  const page = await openPlayer(env, 'lesson=spf-spoofed&step=14', { viewport: { width: 360, height: 740 }, hasTouch: true, isMobile: true });
  const heads = await page.locator('.lane-heads li').evaluateAll((items) => items.map((li) => {
    const [name, role] = [li.querySelector('strong'), li.querySelector('small')];
    return { name: name.textContent, whole: name.scrollWidth <= name.clientWidth + 1 && name.scrollHeight <= name.clientHeight + 1,
      role: role.textContent, shown: role.getClientRects().length > 0 && role.scrollWidth <= role.clientWidth + 1 };
  }));
  for (const head of heads) {
    assert.ok(head.whole, `${head.name} shown whole`);
    assert.ok(head.shown, `${head.name}'s role "${head.role}" shown whole`);
  }
  const label = page.locator('.msg:not(.checked) .label', { hasText: 'example.com. I' });
  const cut = () => label.evaluate((e) => e.scrollWidth > e.clientWidth + 1);
  assert.ok(await cut(), 'the query is cut in its narrow lane');
  await label.tap();
  await page.locator('.msg .label:focus').waitFor();
  assert.equal(await cut(), false, 'tapped, it shows whole');
  assert.equal((await position(page)).shown, 14, 'a tap on a label does not step');
  assert.deepEqual(page.errors, []);
});

test('the journey map: where the message is, the queue and its next try, the refusing host, the path taken', async () => {
  const page = await openPlayer(env, 'lesson=retry-later', { viewport: { width: 1280, height: 800 } });
  const map = page.locator('figure.journey');
  await map.waitFor();
  assert.equal(await map.locator('.jhost').count(), 4, 'every host of the lesson');
  assert.equal(await map.locator('.holds').count(), 0, 'before step 1 nothing has moved');
  // Step on until the relay has queued the message for a later try.
  let deferred = false;
  for (let i = 0; i < 60 && !deferred; i++) {
    await page.keyboard.press('ArrowRight');
    deferred = (await map.locator('.jqueue').count()) > 0 && /next try in/.test(await map.locator('.jqueue').innerText());
  }
  assert.ok(deferred, 'a queue with its next try is shown');
  const relay = map.locator('.jhost', { hasText: 'smtp.example.com' });
  assert.match(await relay.innerText(), /the message is here/);
  assert.match(await map.locator('.jhost.down').innerText(), /mx\.example\.net[\s\S]*refused a connection/);
  assert.equal(await map.locator('.jlink.refused').count(), 1);
  assert.ok(await map.locator('.jlink.carried').count() >= 1, 'the first hop carried the message');
  // At the end: delivered at the MX, no queue, nobody down, both hops drawn as the path.
  await page.keyboard.press('End');
  await page.waitForFunction(() => !document.querySelector('.journey .jqueue'));
  assert.match(await map.locator('.jhost', { hasText: 'mx.example.net' }).innerText(), /1 message stored/);
  assert.equal(await map.locator('.jhost.down').count(), 0);
  assert.equal(await map.locator('.jlink.carried').count(), 2);
  assert.deepEqual(page.errors, []);
});

test('a world of 24 hosts: the lanes show the few hosts in play, named in full, and the map follows the step', async () => {
  const world = await readFile('tests/worlds/newsletter-21-schools.toml', 'utf8');
  for (const viewport of [{ width: 1280, height: 800 }, { width: 360, height: 740 }]) {
    const page = await openPlayer(env, 'lesson=mx-relay', { viewport });
    // Loaded as a learner would: pasted into the Lab's editor and run.
    await page.click('#lab-toggle');
    await page.click('#lab-tab-editor');
    await page.locator('#editor-source').waitFor();
    await setEditorText(page, world);
    await page.click('#editor-run');
    await page.locator('#lesson-title', { hasText: 'A newsletter to 21 schools' }).waitFor();
    await page.click('.lab-close');
    const { total } = await position(page);
    for (const at of [1, 40, 180, 400, total]) {
      await page.evaluate((at) => {
        const scrubber = document.querySelector('#scrubber');
        scrubber.value = String(at);
        scrubber.dispatchEvent(new Event('input', { bubbles: true }));
      }, at);
      await position(page, at);
      const heads = await page.locator('.lane-heads li strong').evaluateAll((names) => names.map((n) => ({
        name: n.textContent, whole: n.scrollWidth <= n.clientWidth + 1 && n.scrollHeight <= n.clientHeight + 1 })));
      assert.ok(heads.length >= 1 && heads.length <= 6, `${heads.length} lanes at step ${at} (${viewport.width} px)`);
      for (const head of heads) assert.ok(head.whole, `${head.name} whole at step ${at} (${viewport.width} px)`);
      assert.match(await page.locator('.lanes-idle').innerText(), new RegExp(`the ${heads.length} hosts in these steps; the journey map has all 24`));
      // The current step's hosts are lanes, and on the map within its visible box (the map
      // scrolls to them in the next animation frame, where it is measured).
      await page.evaluate(() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done))));
      const inView = await page.evaluate(() => {
        const body = document.querySelector('.journey-body').getBoundingClientRect();
        return [...document.querySelectorAll('.journey-hosts .jhost.active')].map((h) => {
          const r = h.getBoundingClientRect();
          return { name: h.querySelector('.jname').textContent, seen: r.right > body.left + 8 && r.left < body.right - 8 };
        });
      });
      assert.ok(inView.length >= 1, `an active host on the map at step ${at}`);
      assert.ok(inView.some((h) => h.seen), `the map shows ${inView.map((h) => h.name).join(' and ')} at step ${at} (${viewport.width} px)`);
    }
    assert.equal(await page.locator('.journey .jhost').count(), 24);
    assert.deepEqual(await violations(page), [], `axe at ${viewport.width} px`);
    assert.deepEqual(page.errors, []);
    await page.close();
  }
});

test('on a phone the current step\'s explanation is on the first screen, right under the lanes and controls', async () => {
  const page = await openPlayer(env, 'lesson=retry-later&step=30', { viewport: { width: 360, height: 740 }, hasTouch: true, isMobile: true });
  const box = (selector) => page.locator(selector).first().evaluate((e) => e.getBoundingClientRect().toJSON());
  const [lanes, controls, explanation, map] = [await box('.lanes'), await box('.controls'), await box('#explanation'), await box('.journey')];
  assert.ok(lanes.bottom <= controls.top && controls.bottom <= explanation.top, 'lanes, controls, explanation, in that order');
  assert.ok(explanation.top < 740 - 120, `the explanation starts at ${explanation.top} px, on the first screen with room to read`);
  assert.ok(map.top >= explanation.bottom, 'the journey map comes after the explanation on a phone');
  assert.ok(await page.locator('.lane-steps > li:visible').count() <= 5, 'only the newest lane rows');
  // On a wide screen the map stays above the lanes.
  const wide = await openPlayer(env, 'lesson=retry-later&step=30', { viewport: { width: 1280, height: 800 } });
  const [wideMap, wideLanes] = await Promise.all(['.journey', '.lanes'].map((s) => wide.locator(s).evaluate((e) => e.getBoundingClientRect().toJSON())));
  assert.ok(wideMap.bottom <= wideLanes.top);
  const wideExplanation = await wide.locator('#explanation').evaluate((e) => e.getBoundingClientRect().top);
  assert.ok(wideExplanation < 800 - 150, `on a 1280x800 laptop the explanation starts at ${wideExplanation} px`);
  assert.deepEqual([...page.errors, ...wide.errors], []);
});
