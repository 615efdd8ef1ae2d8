// The longest task a page's main thread ran, read from a Chromium trace.
//
// Record with `browser.startTracing(page, { categories: TASK_CATEGORIES })`. The 'toplevel'
// category has one slice per task the renderer's scheduler runs (ThreadControllerImpl::RunTask),
// and also the microtask checkpoints that run outside any task (a resolved promise, such as
// WebAssembly instantiation, calling into the module): both block input, and both count.
// 'blink.user_timing' carries the page's `performance.mark()`s, which say which process and
// thread is the page's main thread and where a measured interval starts and ends.

export const TASK_CATEGORIES = ['toplevel', 'blink.user_timing'];

/** The trace's events, from the buffer `browser.stopTracing()` returns. */
export function traceEvents(buffer) {
  const trace = JSON.parse(buffer.toString('utf8'));
  return Array.isArray(trace) ? trace : trace.traceEvents ?? [];
}

/** The `performance.mark(name)` event (the last one of that name), or undefined. */
export function markEvent(events, name) {
  return events.filter((e) => e.cat?.includes('blink.user_timing') && e.name === name).at(-1);
}

/** The navigationStart of the navigation a mark was made in (same process and navigation id). */
export function navigationStart(events, mark) {
  const id = mark.args?.data?.navigationId;
  return events.find((e) => e.name === 'navigationStart' && e.pid === mark.pid && id && e.args?.data?.navigationId === id);
}

/**
 * The longest outermost slice on the main thread that `mark` was made on, among those that
 * start in [fromUs, toUs] (trace microseconds), in milliseconds; null when the thread has none.
 */
export function longestTask(events, mark, fromUs, toUs) {
  const slices = [];
  const open = [];
  for (const e of events) {
    if (e.pid !== mark.pid || e.tid !== mark.tid || !e.cat?.includes('toplevel')) continue;
    if (e.ph === 'X' && e.dur !== undefined) slices.push({ ts: e.ts, end: e.ts + e.dur });
    else if (e.ph === 'B') open.push(e.ts);
    else if (e.ph === 'E' && open.length) slices.push({ ts: open.pop(), end: e.ts });
  }
  slices.sort((a, b) => a.ts - b.ts || b.end - a.end);
  let longest = null;
  let outerEnd = -Infinity;
  for (const s of slices) {
    if (s.ts < outerEnd) continue; // nested in the slice before it
    outerEnd = s.end;
    if (s.ts >= fromUs && s.ts <= toUs) longest = Math.max(longest ?? 0, (s.end - s.ts) / 1000);
  }
  return longest;
}
