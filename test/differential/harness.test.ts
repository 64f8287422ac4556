/**
 * The differential harness itself: an error the test's own code throws must never count as an
 * agreement with chromalite, or a bug in a suite could pass for "both refused the input".
 */
import { describe, expect, it } from "vitest";
import { InvalidArgumentError } from "../../src/index.js";
import { capture, classifyError, compareOutcome, expectOutcome, Mismatch, type Outcome } from "./harness.js";

/** An error as the official client throws it from inside its own code (the stack is what counts). */
function fromClient(err: Error): Error {
  err.stack = `${err.name}: ${err.message}\n    at Function.keys (<anonymous>)\n    at validateWhere (/x/node_modules/chromadb/dist/chromadb.mjs:1365:25)\n    at run (/x/test/a.test.ts:1:1)`;
  return err;
}

describe("differential harness", () => {
  it("counts a TypeError as invalid input only when the official client threw it", async () => {
    expect(classifyError(fromClient(new TypeError("Cannot convert undefined or null to object")), "oracle")).toBe("invalid");
    expect(classifyError(fromClient(new Error("limit can only be specified when a where clause is provided")), "oracle")).toBe("invalid");
    // Thrown here, by the test: a bug, not an answer.
    const own = await capture("oracle", () => Promise.reject(new TypeError("x is not a function")));
    expect(own).toMatchObject({ ok: false, kind: "other" });
    const ownPlain = await capture("oracle", () => Promise.reject(new Error("boom")));
    expect(ownPlain).toMatchObject({ ok: false, kind: "other" });
    // chromalite's own errors are classified by code; anything else is "other".
    expect(classifyError(new InvalidArgumentError("bad"), "lite")).toBe("invalid");
    expect(classifyError(new TypeError("bad"), "lite")).toBe("other");
  });

  it("never takes two unexplained failures for an agreement", () => {
    const other: Outcome<number> = { ok: false, kind: "other", error: "TypeError: x is not a function" };
    expect(() => compareOutcome(other, other, "both crashed")).toThrow(Mismatch);
    const invalid: Outcome<number> = { ok: false, kind: "invalid", error: "InvalidArgumentError: bad" };
    expect(() => compareOutcome(invalid, invalid, "both refused")).not.toThrow();
    expect(() => expectOutcome(invalid, invalid, "ok", "both refused, success expected")).toThrow(Mismatch);
    expect(() => expectOutcome(invalid, invalid, "invalid", "both refused, as expected")).not.toThrow();
  });
});
