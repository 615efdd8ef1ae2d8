// Every lesson, played to its end in the browser, shows exactly the native CLI's transcript.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { start, openPlayer, position, transcriptShown, lessonIds, nativeTranscript } from './support.mjs';

let env;
before(async () => { env = await start(); });
after(async () => { await env?.close(); });

test('every lesson ends with the transcript the native CLI prints', async () => {
  const ids = lessonIds();
  assert.ok(ids.length >= 24, `${ids.length} lessons`);
  for (const id of ids) {
    const page = await openPlayer(env, `lesson=${id}`);
    const { shown, total } = await position(page, 0);
    assert.equal(shown, 0, `${id} opens before its first step`);
    await page.keyboard.press('End');
    await position(page, total);
    const want = nativeTranscript(id);
    assert.ok(want.length > 0, `${id} has a transcript`);
    assert.deepEqual(await transcriptShown(page), want, `lesson ${id}`);
    // The recap is the full player's: it arrives once the ending is on screen.
    await page.locator('#ending').waitFor();
    assert.equal(await page.locator('#ending').count(), 1, `${id} shows its ending`);
    assert.deepEqual(page.errors, [], id);
    await page.close();
  }
});
