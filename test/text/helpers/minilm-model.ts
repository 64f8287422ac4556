/**
 * Writes a BERT encoder of all-MiniLM-L6-v2's exact shape (6 layers, 12 heads, hidden 384, FFN 1536,
 * vocabulary 30522, 512 positions) with random weights, as an ONNX file built in pure JS with
 * onnx-proto, next to the real MiniLM tokenizer, laid out as transformers.js expects:
 * `ROOT/Xenova/all-MiniLM-L6-v2/{config.json, tokenizer*.json, onnx/model.onnx}`. The real weights are
 * not available offline; this proves chromalite's loading path end to end (same inputs, outputs,
 * sizes and speed as the real model), not its semantics.
 */
import fs from "node:fs";
import path from "node:path";
import onnxProto from "onnx-proto";
import type { onnx as Onnx } from "onnx-proto";
import { sharedData } from "../../helpers/datasets.js";

// onnx-proto is CommonJS: its namespace arrives on the default export.
const { onnx } = onnxProto;

export const MINILM_TOKENIZER_DIR = sharedData("models/all-MiniLM-L6-v2-tokenizer").path;
export const MINILM_ID = "Xenova/all-MiniLM-L6-v2";

const HIDDEN = 384;
const HEADS = 12;
const HEAD = HIDDEN / HEADS;
const FFN = 1536;
const LAYERS = 6;
const VOCAB = 30522;
const POSITIONS = 512;

const T = onnx.TensorProto.DataType;
const A = onnx.AttributeProto.AttributeType;

/** Deterministic pseudo-random weights (xorshift), small enough to keep activations tame. */
function randomTensor(name: string, dims: number[], scale: number, seed: number): Onnx.ITensorProto {
  const n = dims.reduce((a, b) => a * b, 1);
  const data = new Float32Array(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    data[i] = ((x >>> 0) / 0xffffffff - 0.5) * 2 * scale;
  }
  return { name, dims, dataType: T.FLOAT, rawData: new Uint8Array(data.buffer) };
}

function constTensor(name: string, dims: number[], values: number[]): Onnx.ITensorProto {
  return { name, dims, dataType: T.FLOAT, rawData: new Uint8Array(Float32Array.from(values).buffer) };
}

function int64Tensor(name: string, dims: number[], values: number[]): Onnx.ITensorProto {
  return { name, dims, dataType: T.INT64, rawData: new Uint8Array(BigInt64Array.from(values.map(BigInt)).buffer) };
}

function node(op: string, inputs: string[], outputs: string[], attrs: Onnx.IAttributeProto[] = []): Onnx.INodeProto {
  return { opType: op, input: inputs, output: outputs, name: outputs[0], attribute: attrs };
}

const ints = (name: string, values: number[]): Onnx.IAttributeProto => ({ name, type: A.INTS, ints: values });
const int = (name: string, value: number): Onnx.IAttributeProto => ({ name, type: A.INT, i: value });
const float = (name: string, value: number): Onnx.IAttributeProto => ({ name, type: A.FLOAT, f: value });

function io(name: string, elemType: number, dims: (string | number)[]): Onnx.IValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType,
        shape: { dim: dims.map((d) => (typeof d === "string" ? { dimParam: d } : { dimValue: d })) },
      },
    },
  };
}

function buildModel(): Uint8Array {
  const nodes: Onnx.INodeProto[] = [];
  const inits: Onnx.ITensorProto[] = [];
  let seed = 7;
  const weight = (name: string, dims: number[], scale = 0.05) => inits.push(randomTensor(name, dims, scale, seed++ * 7919));
  const ones = (name: string) => inits.push(constTensor(name, [HIDDEN], new Array<number>(HIDDEN).fill(1)));
  const zeros = (name: string, n = HIDDEN) => inits.push(constTensor(name, [n], new Array<number>(n).fill(0)));

  // Embeddings: word + position + token type, then LayerNorm.
  weight("word_embeddings", [VOCAB, HIDDEN]);
  weight("position_embeddings", [POSITIONS, HIDDEN]);
  weight("token_type_embeddings", [2, HIDDEN]);
  ones("emb_ln_g");
  zeros("emb_ln_b");
  inits.push(int64Tensor("i0", [], [0]), int64Tensor("i1", [], [1]));
  inits.push(int64Tensor("heads_shape", [4], [0, 0, HEADS, HEAD]), int64Tensor("hidden_shape", [3], [0, 0, HIDDEN]));
  inits.push(int64Tensor("axes_1_2", [2], [1, 2]));
  inits.push(constTensor("one", [], [1]), constTensor("neg_big", [], [-10000]), constTensor("scale", [], [1 / Math.sqrt(HEAD)]));
  inits.push(constTensor("half", [], [0.5]), constTensor("sqrt2", [], [Math.SQRT2]));

  nodes.push(node("Gather", ["word_embeddings", "input_ids"], ["we"]));
  nodes.push(node("Shape", ["input_ids"], ["ids_shape"]));
  nodes.push(node("Gather", ["ids_shape", "i1"], ["seq_len"], [int("axis", 0)]));
  nodes.push(node("Range", ["i0", "seq_len", "i1"], ["pos_ids"]));
  nodes.push(node("Gather", ["position_embeddings", "pos_ids"], ["pe"]));
  nodes.push(node("Gather", ["token_type_embeddings", "token_type_ids"], ["te"]));
  nodes.push(node("Add", ["we", "pe"], ["e1"]));
  nodes.push(node("Add", ["e1", "te"], ["e2"]));
  nodes.push(node("LayerNormalization", ["e2", "emb_ln_g", "emb_ln_b"], ["h0"], [int("axis", -1), float("epsilon", 1e-12)]));

  // Additive attention mask: 0 where attended, -10000 on padding, shaped (B, 1, 1, S).
  nodes.push(node("Cast", ["attention_mask"], ["mask_f"], [int("to", T.FLOAT)]));
  nodes.push(node("Sub", ["one", "mask_f"], ["mask_inv"]));
  nodes.push(node("Mul", ["mask_inv", "neg_big"], ["mask_add2"]));
  nodes.push(node("Unsqueeze", ["mask_add2", "axes_1_2"], ["mask_add"]));

  let h = "h0";
  for (let l = 0; l < LAYERS; l++) {
    const p = `l${l}_`;
    const linear = (input: string, name: string, inDim: number, outDim: number): string => {
      weight(`${p}${name}_w`, [inDim, outDim]);
      zeros(`${p}${name}_b`, outDim);
      nodes.push(node("MatMul", [input, `${p}${name}_w`], [`${p}${name}_mm`]));
      nodes.push(node("Add", [`${p}${name}_mm`, `${p}${name}_b`], [`${p}${name}_out`]));
      return `${p}${name}_out`;
    };
    const heads = (x: string, name: string, perm: number[]): string => {
      nodes.push(node("Reshape", [x, "heads_shape"], [`${p}${name}_r`]));
      nodes.push(node("Transpose", [`${p}${name}_r`], [`${p}${name}_t`], [ints("perm", perm)]));
      return `${p}${name}_t`;
    };
    const q = heads(linear(h, "q", HIDDEN, HIDDEN), "qh", [0, 2, 1, 3]);
    const k = heads(linear(h, "k", HIDDEN, HIDDEN), "kh", [0, 2, 3, 1]);
    const v = heads(linear(h, "v", HIDDEN, HIDDEN), "vh", [0, 2, 1, 3]);
    nodes.push(node("MatMul", [q, k], [`${p}scores_raw`]));
    nodes.push(node("Mul", [`${p}scores_raw`, "scale"], [`${p}scores_scaled`]));
    nodes.push(node("Add", [`${p}scores_scaled`, "mask_add"], [`${p}scores`]));
    nodes.push(node("Softmax", [`${p}scores`], [`${p}probs`], [int("axis", -1)]));
    nodes.push(node("MatMul", [`${p}probs`, v], [`${p}ctx_h`]));
    nodes.push(node("Transpose", [`${p}ctx_h`], [`${p}ctx_t`], [ints("perm", [0, 2, 1, 3])]));
    nodes.push(node("Reshape", [`${p}ctx_t`, "hidden_shape"], [`${p}ctx`]));
    const attn = linear(`${p}ctx`, "o", HIDDEN, HIDDEN);
    nodes.push(node("Add", [attn, h], [`${p}res1`]));
    ones(`${p}ln1_g`);
    zeros(`${p}ln1_b`);
    nodes.push(node("LayerNormalization", [`${p}res1`, `${p}ln1_g`, `${p}ln1_b`], [`${p}h1`], [int("axis", -1), float("epsilon", 1e-12)]));
    // FFN with exact GELU: x * 0.5 * (1 + erf(x / sqrt 2)).
    const up = linear(`${p}h1`, "up", HIDDEN, FFN);
    nodes.push(node("Div", [up, "sqrt2"], [`${p}g_div`]));
    nodes.push(node("Erf", [`${p}g_div`], [`${p}g_erf`]));
    nodes.push(node("Add", [`${p}g_erf`, "one"], [`${p}g_add`]));
    nodes.push(node("Mul", [up, `${p}g_add`], [`${p}g_mul`]));
    nodes.push(node("Mul", [`${p}g_mul`, "half"], [`${p}gelu`]));
    const down = linear(`${p}gelu`, "down", FFN, HIDDEN);
    nodes.push(node("Add", [down, `${p}h1`], [`${p}res2`]));
    ones(`${p}ln2_g`);
    zeros(`${p}ln2_b`);
    nodes.push(node("LayerNormalization", [`${p}res2`, `${p}ln2_g`, `${p}ln2_b`], [`${p}out`], [int("axis", -1), float("epsilon", 1e-12)]));
    h = `${p}out`;
  }
  nodes.push(node("Identity", [h], ["last_hidden_state"]));

  const model: Onnx.IModelProto = {
    irVersion: 8,
    producerName: "chromalite-test",
    opsetImport: [{ domain: "", version: 17 }],
    graph: {
      name: "minilm_shape_random",
      node: nodes,
      initializer: inits,
      input: [
        io("input_ids", T.INT64, ["batch", "sequence"]),
        io("attention_mask", T.INT64, ["batch", "sequence"]),
        io("token_type_ids", T.INT64, ["batch", "sequence"]),
      ],
      output: [io("last_hidden_state", T.FLOAT, ["batch", "sequence", HIDDEN])],
    },
  };
  return onnx.ModelProto.encode(model).finish();
}

/** Writes the model and the real tokenizer under `root`; returns the model's folder. */
export function writeMiniLmShapedModel(root: string): string {
  const dir = path.join(root, MINILM_ID);
  fs.mkdirSync(path.join(dir, "onnx"), { recursive: true });
  for (const file of ["config.json", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "vocab.txt"]) {
    fs.copyFileSync(path.join(MINILM_TOKENIZER_DIR, file), path.join(dir, file));
  }
  fs.writeFileSync(path.join(dir, "onnx", "model.onnx"), buildModel());
  return dir;
}
