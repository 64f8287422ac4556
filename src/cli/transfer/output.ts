/**
 * Where export writes: stdout, or a file written as FILE.partial-PID and renamed when complete (a failed
 * export never leaves a file that looks whole). Waits for 'drain', so memory stays flat whatever the
 * reader's speed, and turns a stream error (EPIPE: the reader went away) into a rejected write.
 */
import fs from "node:fs";
import path from "node:path";

export class Output {
  readonly #stream: NodeJS.WritableStream;
  readonly #file: string | undefined;
  readonly #partial: string | undefined;
  #error: Error | undefined;
  #onError: ((err: Error) => void) | undefined;

  private constructor(stream: NodeJS.WritableStream, file?: string, partial?: string) {
    this.#stream = stream;
    this.#file = file;
    this.#partial = partial;
    stream.on("error", (err: Error) => {
      this.#error ??= err;
      this.#onError?.(err);
    });
  }

  static stdout(stream: NodeJS.WritableStream): Output {
    return new Output(stream);
  }

  static file(file: string): Output {
    const target = path.resolve(file);
    const partial = `${target}.partial-${process.pid}`;
    return new Output(fs.createWriteStream(partial), target, partial);
  }

  get name(): string {
    return this.#file ?? "stdout";
  }

  #failure(err: Error): Error {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "EPIPE") return new Error(`the reader of ${this.name} went away before the export finished`, { cause: err });
    return new Error(`cannot write ${this.name}: ${err.message}`, { cause: err });
  }

  async write(text: string): Promise<void> {
    if (this.#error) throw this.#failure(this.#error);
    if (this.#stream.write(text)) return;
    await new Promise<void>((resolve, reject) => {
      const done = () => {
        this.#stream.off("drain", done);
        this.#onError = undefined;
        resolve();
      };
      this.#onError = (err) => {
        this.#stream.off("drain", done);
        this.#onError = undefined;
        reject(this.#failure(err));
      };
      this.#stream.on("drain", done);
    });
  }

  /** Flushes; a file is closed and renamed to its name. stdout stays open. */
  async finish(): Promise<void> {
    if (this.#error) throw this.#failure(this.#error);
    if (!this.#file || !this.#partial) return;
    const stream = this.#stream as fs.WriteStream;
    await new Promise<void>((resolve, reject) => {
      stream.once("error", (err) => reject(this.#failure(err)));
      stream.end(() => resolve());
    });
    fs.renameSync(this.#partial, this.#file);
  }

  /** After a failure: a file's partial copy is removed. */
  abort(): void {
    if (!this.#partial) return;
    (this.#stream as fs.WriteStream).destroy();
    fs.rmSync(this.#partial, { force: true });
  }
}
