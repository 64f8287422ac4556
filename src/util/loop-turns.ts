/**
 * Whether an engine call must let the event loop turn before it runs. A caller awaiting calls back
 * to back starts each call in the turn the previous one ended in (all in microtasks), so without a
 * yield it would starve timers, I/O and the background indexers: such a call always yields. A call
 * that starts in a later turn than the last call ended in (an HTTP request, a timer, a UI event) was
 * started by the event loop itself, which has just let everything else run: it skips the yield. Under
 * a server's load that is one turn of the loop less for every request to wait through (each turn
 * holds a slice of every background job), and about 10 µs less when it is idle.
 * One state per thread: the event loop is.
 */

/** Turns of the loop seen so far (counted only while calls end, which is all that matters). */
let turn = 0;
/** The turn the last call ended in. */
let lastEnd = -1;
let counting = false;

function countTurn(): void {
  if (counting) return;
  counting = true;
  setImmediate(() => {
    counting = false;
    turn++;
  });
}

/** True when a call starting now was chained onto the last call's end (same turn): it must yield first. */
export function chainedCall(): boolean {
  return lastEnd === turn;
}

/** Notes a call's end: a call started before the loop turns again is a caller's next call. */
export function callEnds(): void {
  lastEnd = turn;
  countTurn();
}
