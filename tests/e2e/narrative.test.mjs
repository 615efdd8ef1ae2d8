// What a learner reads, lesson by lesson, on a phone: the goals before step 1, at every
// step exactly the explanation the native core wrote (the authored note), never pushing
// the page sideways, and the recap with the next lesson at the end.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { start, openPlayer, position, lessonIds, binary } from './support.mjs';

let env;
before(async () => { env = await start(); });
after(async () => { await env?.close(); });

const timeline = (id) =>
  JSON.parse(execFileSync(binary(), ['run', id, '--json'], { encoding: 'utf8', maxBuffer: 256 << 20 }));

test('every step of every lesson shows its note at 360 px without sideways scrolling', async () => {
  for (const id of lessonIds()) {
    const steps = timeline(id).steps;
    const page = await openPlayer(env, `lesson=${id}`, { viewport: { width: 360, height: 740 } });
    const goals = await page.locator('#goals li').allTextContents();
    assert.ok(goals.length >= 1 && goals.length <= 3, `${id}: ${goals.length} goals before step 1`);
    for (let i = 1; i <= steps.length; i++) {
      await page.keyboard.press('ArrowRight');
      await position(page, i);
      const shown = await page.evaluate(() => ({
        why: document.querySelector('#explanation .why')?.textContent ?? '',
        wide: document.documentElement.scrollWidth,
      }));
      assert.equal(shown.why, steps[i - 1].explanation, `${id} step ${i}`);
      assert.ok(shown.wide <= 360, `${id} step ${i}: the page is ${shown.wide} px wide at 360`);
    }
    const recap = (await page.locator('#recap').textContent()) ?? '';
    assert.ok(recap.length > 40, `${id} ends with a recap`);
    const onward = await page.locator('#next-lesson, #open-path').count();
    assert.equal(onward, 1, `${id} offers the next lesson (or the whole path after the last)`);
    assert.deepEqual(page.errors, [], id);
    await page.close();
  }
});
