/**
 * The same conformance suite as conformance.test.ts, against the real Chroma server (the oracle): what
 * passes here and there is what the official client sees alike from both.
 */
import { describe } from "vitest";
import { oracleAvailable, startOracle } from "../helpers/oracle.js";
import { conformanceSuite } from "./conformance-suite.js";

const oracle = await oracleAvailable();

if (oracle.ok) {
  conformanceSuite("the real Chroma", async () => {
    const o = await startOracle(); // reset stays disabled, as the suite expects
    return { host: o.host, port: o.port, close: () => o.stop() };
  });
} else {
  describe.skip(`conformance against the real Chroma (skipped: ${oracle.reason})`, () => undefined);
}
