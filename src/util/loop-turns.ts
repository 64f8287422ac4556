/**
 * Whether an engine call must let the event loop turn before it runs. A caller awaiting calls back
 * to back starts each call in the same turn the previous one ended in (all in microtasks), so without
 * a yield it would starve timers, I/O and the background indexers: such a call always yields. A call
 * that arrives after the loop has turned with no call running (an HTTP request, a timer, a UI event)
 * has just let everything else run, and skips the yield (about 10 µs of a server request).
 * One state per thread: the event loop is.
 */
let running = 0;
/** The loop turned while no call was running, and no call has started since. */
let turnedIdle = false;
let probing = false;

function probe(): void {
  if (probing) return;
  probing = true;
  setImmediate(() => {
    probing = false;
    if (running === 0) turnedIdle = true;
  });
}

/** Notes a call's start; true when it must yield to the event loop before it does any work. */
export function callStarts(): boolean {
  running++;
  const mustYield = !turnedIdle;
  turnedIdle = false;
  return mustYield;
}

/** Notes a call's end: once none runs, the next turn of the loop counts as a turn between calls. */
export function callEnds(): void {
  running--;
  if (running === 0) probe();
}
