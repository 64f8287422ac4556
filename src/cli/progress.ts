/**
 * A one-line progress bar on stderr, drawn only when stderr is a terminal (pipes and logs get nothing
 * but the final summary the command prints). Hand-written: a dozen lines do not justify a dependency.
 */

const REDRAW_MS = 100;
const BAR = 24;

export function isTerminal(stream: NodeJS.ReadableStream | NodeJS.WritableStream): boolean {
  return (stream as { isTTY?: boolean }).isTTY === true;
}

export function formatCount(n: number): string {
  return n.toLocaleString("en-US");
}

export class Progress {
  readonly #stream: NodeJS.WritableStream;
  readonly #enabled: boolean;
  #label = "";
  #total: number | undefined;
  #done = 0;
  #started = 0;
  #drawn = 0;
  #active = false;

  constructor(stream: NodeJS.WritableStream, enabled = isTerminal(stream)) {
    this.#stream = stream;
    this.#enabled = enabled;
  }

  /** Starts a bar for one task (a collection); `total` unknown draws a counter without a bar. */
  start(label: string, total?: number): void {
    this.end();
    this.#label = label;
    this.#total = total;
    this.#done = 0;
    this.#started = performance.now();
    this.#active = true;
    this.#draw(true);
  }

  add(n: number): void {
    if (!this.#active) return;
    this.#done += n;
    this.#draw(false);
  }

  /** Draws the final state of the current bar and moves to the next line. */
  end(): void {
    if (!this.#active) return;
    this.#draw(true);
    this.#active = false;
    if (this.#enabled) this.#stream.write("\n");
  }

  /** Removes the current bar without a trace (before an error message). */
  clear(): void {
    if (this.#active && this.#enabled) this.#stream.write("\r\x1b[K");
    this.#active = false;
  }

  #draw(force: boolean): void {
    if (!this.#enabled) return;
    const now = performance.now();
    if (!force && now - this.#drawn < REDRAW_MS) return;
    this.#drawn = now;
    const seconds = Math.max((now - this.#started) / 1000, 1e-3);
    const rate = `${formatCount(Math.round(this.#done / seconds))}/s`;
    let text: string;
    if (this.#total !== undefined && this.#total > 0) {
      const ratio = Math.min(1, this.#done / this.#total);
      const filled = Math.round(ratio * BAR);
      const bar = `${"█".repeat(filled)}${"░".repeat(BAR - filled)}`;
      text = `${this.#label} ${bar} ${String(Math.floor(ratio * 100)).padStart(3)}% ${formatCount(this.#done)}/${formatCount(this.#total)} ${rate}`;
    } else {
      text = `${this.#label} ${formatCount(this.#done)} ${rate}`;
    }
    const columns = (this.#stream as NodeJS.WriteStream).columns;
    if (columns && text.length >= columns) text = text.slice(0, columns - 1);
    this.#stream.write(`\r\x1b[K${text}`);
  }
}
