/**
 * Child process that runs chromalite's HTTP server for the benchmark, so the server has its own
 * process (and peak RSS), as the real Chroma server does. Protocol over IPC:
 *   → {ready}            once modules are loaded (start-up of Node and tsx is not timed)
 *   ← {cmd:"start", path} → {port}      startServer on that folder, port 0
 *   ← {cmd:"close"}       → exits 0 after server.close() (saves the index, checkpoints SQLite)
 * It also closes and exits if the parent goes away.
 */
import { startServer, type RunningServer } from "../../src/server/index.js";

let server: RunningServer | undefined;
let closing: Promise<void> | undefined;

function closeAndExit(code: number): Promise<void> {
  closing ??= (async () => {
    try {
      await server?.close();
    } finally {
      process.exit(code);
    }
  })();
  return closing;
}

process.on("message", (msg: { cmd: string; path?: string }) => {
  if (msg.cmd === "start" && msg.path) {
    startServer({ path: msg.path, host: "127.0.0.1", port: 0 }).then(
      (s) => {
        server = s;
        process.send?.({ port: s.port });
      },
      (err: unknown) => {
        process.send?.({ error: String(err) });
        process.exit(1);
      },
    );
  } else if (msg.cmd === "close") {
    void closeAndExit(0);
  }
});
process.on("disconnect", () => void closeAndExit(1));
process.on("SIGTERM", () => void closeAndExit(0));
process.send?.({ ready: true });
