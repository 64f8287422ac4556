/**
 * A one-line progress bar on stderr, drawn only when stderr is a terminal (pipes and logs get nothing
 * but the final summary the command prints). Drawn by cli-progress (redraw throttling, terminal
 * width, cursor handling and its ETA estimate); this file only says what the line shows: the
 * collection, the bar, the percentage, records done of the total, the rate and the time left.
 */
import cliProgress, { type Options, type Params } from "cli-progress";

// A CommonJS module whose named exports Node cannot see: take them from the default export.
const { Format, SingleBar } = cliProgress;
type SingleBar = cliProgress.SingleBar;

const FPS = 10;
const BAR = 24;

export function isTerminal(stream: NodeJS.ReadableStream | NodeJS.WritableStream): boolean {
  return (stream as { isTTY?: boolean }).isTTY === true;
}

export function formatCount(n: number): string {
  return n.toLocaleString("en-US");
}

interface Payload {
  label: string;
  /** The total is unknown: a counter without a bar. */
  counter: boolean;
}

function line(options: Options, params: Params, payload: Payload): string {
  const seconds = Math.max((Date.now() - params.startTime) / 1000, 1e-3);
  const rate = `${formatCount(Math.round(params.value / seconds))}/s`;
  if (payload.counter) return `${payload.label} ${formatCount(params.value)} ${rate}`;
  const percent = String(Math.floor(params.progress * 100)).padStart(3);
  const eta = params.progress >= 1 || params.value === 0 ? "" : ` ETA ${Format.TimeFormat(params.eta, options, 1)}`;
  return `${payload.label} ${Format.BarFormat(params.progress, options)} ${percent}% ${formatCount(params.value)}/${formatCount(params.total)} ${rate}${eta}`;
}

export class Progress {
  readonly #bar: SingleBar | undefined;
  #active = false;

  /** `enabled` defaults to whether `stream` is a terminal. */
  constructor(stream: NodeJS.WritableStream, enabled = isTerminal(stream)) {
    this.#bar = enabled
      ? new SingleBar({
          stream,
          format: line,
          fps: FPS,
          barsize: BAR,
          barCompleteChar: "█",
          barIncompleteChar: "░",
          hideCursor: false,
          linewrap: false,
          etaBuffer: 50,
          // Only drawn where asked (a terminal, or a test's stand-in for one).
          noTTYOutput: !isTerminal(stream),
        })
      : undefined;
  }

  /** Starts a bar for one task (a collection); `total` unknown draws a counter without a bar. */
  start(label: string, total?: number): void {
    this.end();
    const counter = total === undefined || total <= 0;
    this.#bar?.start(counter ? 0 : total, 0, { label, counter } satisfies Payload);
    this.#active = true;
  }

  add(n: number): void {
    if (!this.#active) return;
    this.#bar?.increment(n);
  }

  /** Draws the final state of the current bar and moves to the next line. */
  end(): void {
    if (!this.#active) return;
    this.#active = false;
    this.#bar?.stop();
  }

  /** Removes the current bar without a trace (before an error message). */
  clear(): void {
    if (!this.#active) return;
    this.#active = false;
    if (!this.#bar) return;
    const bar = this.#bar as SingleBar & { options: { clearOnComplete: boolean } };
    bar.options.clearOnComplete = true;
    bar.stop();
    bar.options.clearOnComplete = false;
  }
}
