/** Counts Chroma reads as u32 (`limit`, `offset`, `nResults`): what is larger is refused there (422). */
import { InvalidArgumentError } from "../errors.js";
import { describe } from "./json.js";

export const U32_MAX = 0xffff_ffff;

/** A count argument: absent (undefined/null), or an integer from 0 to {@link U32_MAX}. */
export function optionalU32(v: unknown, field: string): number | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "number" || !Number.isInteger(v) || v < 0 || v > U32_MAX) {
    throw new InvalidArgumentError(`Expected '${field}' to be an integer from 0 to ${U32_MAX} (u32), but got ${describe(v)}`);
  }
  return v;
}
