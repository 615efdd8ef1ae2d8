// The SPF, DKIM and DMARC checks in the player, in Chromium: the DMARC verdict of
// dmarc-reject and the DKIM body-hash mismatch of dkim-body-changed, at desktop and phone
// width. The check is a list of rows, all inside the explanation card; verdicts are chips with
// a class and a word; an elided value is whole one click away; the lanes colour the verdicts.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { start, openPlayer, position, takeOver, nativeTimeline, ARTIFACTS } from './support.mjs';

let env;
before(async () => { env = await start(); });
after(async () => { await env?.close(); });

const WORDS = ['pass', 'fail', 'softfail', 'neutral', 'none', 'temperror', 'permerror'];
const WIDTHS = [1280, 360];

/** The 1-based step (as the URL counts) whose summary starts with `prefix`, and its check. */
function verdictStep(lesson, prefix) {
  const steps = nativeTimeline(lesson).steps;
  const index = steps.findIndex((s) => s.summary.startsWith(prefix));
  assert.ok(index >= 0, `${lesson}: a step starting ${prefix}`);
  assert.ok(steps[index].check, `${lesson}: step ${index + 1} has a check`);
  return { step: index + 1, check: steps[index].check };
}

/** Asserts that every element matching `selector` lies within the card's box. */
async function allWithin(page, card, selector, what) {
  const outer = await card.boundingBox();
  const boxes = await page.locator(selector).evaluateAll((els) => els.map((e) => {
    const r = e.getBoundingClientRect();
    return { x: r.x, right: r.right, visible: r.width > 0, text: e.textContent.slice(0, 60) };
  }));
  assert.ok(boxes.length > 0, `${what}: some ${selector}`);
  const scrollX = await page.evaluate(() => window.scrollX);
  for (const box of boxes.filter((b) => b.visible)) {
    assert.ok(box.x + scrollX >= outer.x - 0.5 && box.right + scrollX <= outer.x + outer.width + 0.5,
      `${what}: ${selector} "${box.text}" [${box.x}, ${box.right}] leaves the card [${outer.x}, ${outer.x + outer.width}]`);
  }
}

/** Opens `lesson` at its verdict step at `width` px and checks what every check must show. */
async function openCheck(lesson, prefix, width, colorScheme = 'light') {
  const { step, check } = verdictStep(lesson, prefix);
  const page = await openPlayer(env, `lesson=${lesson}&step=${step}`,
    { viewport: { width, height: 900 }, reducedMotion: 'reduce', colorScheme });
  // The card is measured while values are opened and scrolled to: on the full player.
  await takeOver(page);
  await position(page, step);
  const card = page.locator('#explanation');
  const view = card.locator('section.check');
  await view.waitFor();
  const what = `${lesson} at ${width} px`;

  // A list of rows, one per row of the timeline's check, in order.
  assert.equal(await view.locator('ol.check-rows').count(), 1, what);
  const rows = view.locator('ol.check-rows > li.check-row');
  assert.equal(await rows.count(), check.rows.length, `${what}: rows`);
  const labels = await rows.locator('.row-label').allTextContents();
  assert.deepEqual(labels, check.rows.map((r) => r.label), `${what}: labels in order`);
  const depths = await rows.evaluateAll((els) => els.map((e) => Number(e.dataset.depth)));
  assert.deepEqual(depths, check.rows.map((r) => r.depth ?? 0), `${what}: depths`);

  // Nothing leaves the card, and the page does not scroll sideways.
  await allWithin(page, card, '#explanation .check-row', what);
  await allWithin(page, card, '#explanation .long-value', what);
  await allWithin(page, card, '#explanation .chip', what);
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `${what}: the page scrolls sideways by ${overflow} px`);

  // Every verdict is a chip with a verdict class and its word; the check's own comes first.
  const chips = await view.locator('.verdict-chip').evaluateAll((els) =>
    els.map((e) => ({ classes: [...e.classList], word: e.textContent.trim() })));
  assert.ok(chips.length >= 2, `${what}: verdict chips`);
  for (const chip of chips) {
    assert.ok(WORDS.includes(chip.word), `${what}: chip word ${chip.word}`);
    assert.ok(chip.classes.includes(`verdict-${chip.word}`), `${what}: ${chip.classes} for ${chip.word}`);
  }
  assert.equal(chips[0].word, check.verdict, `${what}: the check's verdict`);
  const colour = await view.locator('.check-head .verdict-chip').evaluate((e) => getComputedStyle(e).color);
  const text = await card.locator('.why').evaluate((e) => getComputedStyle(e).color);
  assert.notEqual(colour, text, `${what}: the verdict is coloured`);

  // The sections link to the method's own RFC.
  const rfc = { spf: 7208, dkim: 6376, dmarc: 7489 }[check.method];
  const hrefs = await view.locator('a.row-section').evaluateAll((els) => els.map((e) => e.href));
  assert.ok(hrefs.length > 0 && hrefs.every((h) => h.startsWith(`https://www.rfc-editor.org/rfc/rfc${rfc}#section-`)),
    `${what}: ${hrefs}`);

  // In the lanes, the verdict steps carry their verdict's class and word, and their whole
  // summary on hover and focus.
  const lane = page.locator('.lanes li.msg.current');
  assert.ok((await lane.getAttribute('class')).split(' ').includes(`verdict-${check.verdict}`), `${what}: lane class`);
  assert.equal(await lane.locator('.verdict-chip').textContent(), check.verdict, `${what}: lane chip`);
  const label = lane.locator('.label');
  assert.equal(await label.getAttribute('title'), nativeTimeline(lesson).steps[step - 1].summary, `${what}: title`);
  await label.focus();
  const clamp = await label.evaluate((e) => getComputedStyle(e).webkitLineClamp);
  assert.ok(clamp === 'none' || clamp === 'unset' || clamp === '', `${what}: focused label unclamped (${clamp})`);
  return { page, view, card, check, what };
}

for (const width of WIDTHS) {
  test(`dmarc-reject's DMARC check at ${width} px`, async () => {
    const { page, view, check, what } = await openCheck('dmarc-reject', 'DMARC:', width);
    assert.equal(check.verdict, 'fail');
    const subject = await view.locator('.check-subject dd').allTextContents();
    assert.deepEqual(subject, ['example.com', 'p=reject'], what);
    // Each identifier with its result and its alignment.
    const spf = view.locator('li.check-row', { hasText: 'SPF example.com' });
    assert.equal(await spf.locator('.mark-chip').textContent(), 'aligned', what);
    assert.equal(await spf.locator('.verdict-chip').textContent(), 'fail', what);
    assert.match(await view.locator('li.check-row', { hasText: 'reply' }).last().textContent(), /550 5\.7\.1/);
    await page.screenshot({ path: `${ARTIFACTS}/checks-dmarc-reject-${width}.png`, fullPage: true });
    assert.deepEqual(page.errors, [], what);
    await page.close();
  });

  test(`dkim-body-changed's body-hash mismatch at ${width} px`, async () => {
    const { page, view, card, check, what } = await openCheck('dkim-body-changed', 'DKIM: body hash mismatch', width, 'dark');
    // Both hashes, whole, together, each with its label.
    const row = check.rows.find((r) => r.label === 'body hash');
    const shown = view.locator('li.check-row', { has: page.locator('.row-label', { hasText: /^body hash$/ }) });
    assert.equal(await shown.locator('.row-values.compare .long-value').count(), 2, what);
    assert.deepEqual(await shown.locator('.value-text').allTextContents(), row.values.map((v) => v.value), what);
    assert.deepEqual(await shown.locator('.value-label').allTextContents(), ['computed', 'claimed (bh=)'], what);
    assert.notEqual(row.values[0].value, row.values[1].value);
    assert.equal(await shown.locator('.mark-chip').textContent(), 'no match', what);

    // b= is elided; one click shows it whole, selectable, inside the card.
    const b = check.rows.find((r) => r.label === 'b=').values[0].value;
    const details = view.locator('details.long-value.elided', { has: page.locator('.value-label', { hasText: /^b=$/ }) });
    const summary = details.locator('summary');
    const short = await summary.locator('.value-short').textContent();
    assert.ok(short.includes('…') && short.length < b.length, `${what}: b= elided as ${short}`);
    assert.equal(await details.locator('.value-full').isVisible(), false, what);
    await summary.click();
    const full = details.locator('.value-full');
    await full.waitFor({ state: 'visible' });
    assert.equal(await full.textContent(), b, `${what}: the whole b=`);
    assert.notEqual(await full.evaluate((e) => getComputedStyle(e).userSelect), 'none', what);
    await allWithin(page, card, '#explanation .value-full', what);
    // The canonical body too, line by line.
    const body = view.locator('details.long-value.elided', { has: page.locator('.value-label', { hasText: 'canonical body' }) });
    await body.locator('summary').click();
    const lines = (await body.locator('.value-full').innerText()).split('\n');
    assert.ok(lines.length >= 3 && lines[0].endsWith('\\r\\n'), `${what}: ${lines.slice(0, 2)}`);
    await allWithin(page, card, '#explanation .check-row', `${what}, values open`);
    await page.screenshot({ path: `${ARTIFACTS}/checks-dkim-body-changed-${width}.png`, fullPage: true });
    assert.deepEqual(page.errors, [], what);
    await page.close();
  });
}
