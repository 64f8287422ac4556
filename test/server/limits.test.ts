/**
 * Server limits a slow or careless client meets: connection caps and header/body timeouts (slow
 * clients cannot lock others out), invalid UTF-8 and impossible HNSW settings refused with a 400,
 * and no false MaxListenersExceededWarning with many requests in flight.
 */
import net from "node:net";
import { describe, expect, it, onTestFinished } from "vitest";
import { TD, request, startChromalite } from "./helpers.js";

/** A raw connection that sends the start of a request and then nothing. */
function halfOpen(port: number, head: string): Promise<{ socket: net.Socket; closed: Promise<string> }> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, "127.0.0.1", () => {
      socket.write(head);
      let got = "";
      socket.on("data", (d: Buffer) => (got += d.toString()));
      const closed = new Promise<string>((r) => socket.once("close", () => r(got)));
      resolve({ socket, closed });
    });
    socket.once("error", reject);
    onTestFinished(() => void socket.destroy());
  });
}

describe("connections", () => {
  it("slow clients holding every connection are cut off at the header timeout; then others get in", async () => {
    const target = await startChromalite({ maxConnections: 20, headersTimeoutMs: 1000 });
    onTestFinished(() => target.close());
    const slow = await Promise.all(Array.from({ length: 20 }, () => halfOpen(target.port, "GET /api/v2/heartbeat HTTP/1.1\r\nHost: x\r\n")));
    // The cap is reached: a new connection is closed at once.
    const refused = await fetch(`${target.url}/api/v2/heartbeat`).then(
      () => "answered",
      () => "refused",
    );
    expect(refused).toBe("refused");
    const started = performance.now();
    const cut = await Promise.all(slow.map((s) => s.closed));
    expect(performance.now() - started).toBeLessThan(3000);
    expect(cut.every((reply) => reply === "" || reply.startsWith("HTTP/1.1 408"))).toBe(true);
    const res = await fetch(`${target.url}/api/v2/heartbeat`);
    expect(res.status).toBe(200);
  });

  it("a body sent too slowly is cut off at the body timeout", async () => {
    const target = await startChromalite({ headersTimeoutMs: 500, bodyTimeoutMs: 1000 });
    onTestFinished(() => target.close());
    const { closed } = await halfOpen(
      target.port,
      `POST ${TD}/collections HTTP/1.1\r\nHost: x\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n{"na`,
    );
    const started = performance.now();
    const reply = await closed;
    expect(performance.now() - started).toBeLessThan(3000);
    expect(reply === "" || reply.startsWith("HTTP/1.1 408")).toBe(true);
  });
});

describe("input stored differently from what was sent is refused", () => {
  it("invalid UTF-8 in a body is a 400 and nothing is stored (it would have become U+FFFD)", async () => {
    const target = await startChromalite();
    onTestFinished(() => target.close());
    const created = await request(target.url, "POST", `${TD}/collections`, { name: "utf8" });
    const id = (created.body as { id: string }).id;
    const body = Buffer.concat([
      Buffer.from('{"ids":["a"],"embeddings":[[1,2]],"documents":["caf'),
      Buffer.from([0xe9]), // Latin-1 é, not UTF-8
      Buffer.from('"]}'),
    ]);
    const res = await fetch(`${target.url}${TD}/collections/${id}/add`, { method: "POST", headers: { "content-type": "application/json" }, body });
    expect(res.status).toBe(400);
    expect(await res.text()).toMatch(/not valid UTF-8/);
    const count = await request(target.url, "GET", `${TD}/collections/${id}/count`);
    expect(count.body).toBe(0);
  });

  it("max_neighbors above hnswlib's cap of 10,000 is a 400; 10,000 is accepted", async () => {
    const target = await startChromalite();
    onTestFinished(() => target.close());
    const create = (name: string, m: number) =>
      request(target.url, "POST", `${TD}/collections`, { name, configuration: { hnsw: { max_neighbors: m } } });
    const huge = await create("huge", 1e9);
    expect(huge.status).toBe(400);
    expect(huge.text).toMatch(/max_neighbors.*<= 10000/);
    expect((await create("capped", 10_000)).status).toBe(200);
    const legacy = await request(target.url, "POST", `${TD}/collections`, { name: "legacy", metadata: { "hnsw:M": 10_001 } });
    expect(legacy.status).toBe(400);
  });
});

describe("many requests in flight", () => {
  it("print no MaxListenersExceededWarning", async () => {
    const warnings: string[] = [];
    const onWarning = (w: Error) => void warnings.push(`${w.name}: ${w.message}`);
    process.on("warning", onWarning);
    onTestFinished(() => void process.off("warning", onWarning));
    const target = await startChromalite({ requestTimeoutMs: 30_000 });
    onTestFinished(() => target.close());
    const created = await request(target.url, "POST", `${TD}/collections`, { name: "busy" });
    const id = (created.body as { id: string }).id;
    const calls = [];
    for (let i = 0; i < 40; i++) {
      calls.push(
        request(target.url, "POST", `${TD}/collections/${id}/add`, {
          ids: Array.from({ length: 200 }, (_, j) => `${i}-${j}`),
          embeddings: Array.from({ length: 200 }, (_, j) => [i, j]),
        }),
      );
      calls.push(request(target.url, "POST", `${TD}/collections/${id}/query`, { query_embeddings: [[1, 1]], n_results: 3 }));
    }
    const statuses = (await Promise.all(calls)).map((r) => r.status);
    expect(statuses.filter((s) => s !== 200 && s !== 201)).toEqual([]);
    await new Promise((r) => setImmediate(r));
    expect(warnings.filter((w) => /MaxListeners/.test(w))).toEqual([]);
  });
});
