const d = 384, n = 20000;
const vs = Array.from({ length: n }, () => Float32Array.from({ length: d }, () => Math.random()));
const q = Float32Array.from({ length: d }, () => Math.random());
function l2a(a: Float32Array, b: Float32Array) { let s = 0; for (let i = 0; i < a.length; i++) { const x = a[i]! - b[i]!; s += x * x; } return s; }
function l2b(a: Float32Array, b: Float32Array) {
  let s0 = 0, s1 = 0, s2 = 0, s3 = 0; const n = a.length; let i = 0;
  for (; i + 3 < n; i += 4) { const x0 = a[i]! - b[i]!, x1 = a[i+1]! - b[i+1]!, x2 = a[i+2]! - b[i+2]!, x3 = a[i+3]! - b[i+3]!; s0 += x0*x0; s1 += x1*x1; s2 += x2*x2; s3 += x3*x3; }
  for (; i < n; i++) { const x = a[i]! - b[i]!; s0 += x * x; }
  return s0 + s1 + s2 + s3;
}
for (const [name, f] of [["plain", l2a], ["unrolled", l2b], ["plain", l2a], ["unrolled", l2b]] as const) {
  let t = performance.now(); let acc = 0;
  for (let r = 0; r < 10; r++) for (const v of vs) acc += f(q, v);
  console.log(name, ((performance.now() - t) / (10 * n) * 1000).toFixed(3), "us/dist", acc > 0);
}
