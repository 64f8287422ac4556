/**
 * Child process that runs chromalite's HTTP server for the benchmark, so the server has its own
 * process (and peak RSS), as the real Chroma server does. Plain JavaScript on the built package
 * (dist/), run by plain node, as `chromalite run` runs: no TypeScript loader in the server's time or
 * memory (tsx's loader alone is about 34 MB of RSS). Protocol over IPC:
 *   → {ready}            once modules are loaded (start-up of Node is not timed)
 *   ← {cmd:"start", path} → {port}      startServer on that folder, port 0
 *   ← {cmd:"close"}       → exits 0 after server.close() (saves the index, checkpoints SQLite)
 * It also closes and exits if the parent goes away.
 */
import { startServer } from "../../dist/server/index.js";

/** @type {import("../../dist/server/index.js").RunningServer | undefined} */
let server;
/** @type {Promise<void> | undefined} */
let closing;

/** @param {number} code */
function closeAndExit(code) {
  closing ??= (async () => {
    try {
      await server?.close();
    } finally {
      process.exit(code);
    }
  })();
  return closing;
}

process.on("message", (/** @type {{ cmd: string, path?: string }} */ msg) => {
  if (msg.cmd === "start" && msg.path) {
    startServer({ path: msg.path, host: "127.0.0.1", port: 0 }).then(
      (s) => {
        server = s;
        process.send?.({ port: s.port });
      },
      (err) => {
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
