#!/usr/bin/env node
// Writes a tiny random-weight llama model as GGUF v3, for llama-server to serve in the real-inference
// suites (nothing useful comes out of it: the point is a real server doing real token counting).
//   node test/real/tiny-gguf.mjs OUT.gguf [SEED]
// Layout from the GGUF spec (ggml-org/ggml docs/gguf.md; ggml/include/gguf.h in the llama.cpp source that
// node-llama-cpp 3.22.1 ships: magic "GGUF", version 3, alignment 32): a header (magic, version, tensor
// count, key/value count), the key/values, the tensor infos (name, dims, type, offset into the data
// section), padding to the alignment, then the tensor data, each tensor aligned. Tensor names and the
// llama.* keys follow src/llama-arch.cpp there. The vocabulary is SentencePiece-style ("llama"): <unk>, <s>,
// </s>, 256 byte-fallback tokens and a few words, so any prompt tokenizes; a ChatML template with tools
// lets llama-server (--jinja) take tool definitions.
import { writeFileSync } from 'node:fs';

const T = { UINT32: 4, INT32: 5, FLOAT32: 6, BOOL: 7, STRING: 8, ARRAY: 9 };
const ALIGN = 32;
const dims = { vocab: 0, embd: 64, ff: 128, heads: 4, layers: 2, ctxTrain: 131072 };

const WORDS = ['▁the', '▁a', '▁is', '▁ok', '▁hello', '▁world', '▁code', '▁file', '▁read', '▁yes', '▁no', '.', ',', '▁'];
const tokens = [
  '<unk>',
  '<s>',
  '</s>',
  ...Array.from({ length: 256 }, (_, b) => `<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`),
  ...WORDS,
];
// token types (llama-vocab.h LLAMA_TOKEN_TYPE_*): 1 normal, 2 unknown, 3 control, 6 byte
const types = tokens.map((t, i) => (i === 0 ? 2 : i < 3 ? 3 : i < 259 ? 6 : 1));
const scores = tokens.map((_, i) => (i < 259 ? 0 : -i));
dims.vocab = tokens.length;

const TEMPLATE =
  '{%- if tools %}<|im_start|>system\nTools:\n{%- for t in tools %}\n{{ t | tojson }}{%- endfor %}<|im_end|>\n{%- endif %}' +
  '{%- for m in messages %}<|im_start|>{{ m.role }}\n{%- if m.content is string %}{{ m.content }}{%- else' +
  ' %}{%- for c in m.content %}{{ c.text }}{%- endfor %}{%- endif %}' +
  '{%- if m.tool_calls %}{%- for tc in m.tool_calls %}<tool_call>{{ tc.function | tojson }}</tool_call>{%- endfor %}{%- endif %}<|im_end|>\n{%- endfor %}' +
  '{%- if add_generation_prompt %}<|im_start|>assistant\n{%- endif %}';

class Out {
  parts = [];
  size = 0;
  push(b) {
    this.parts.push(b);
    this.size += b.length;
  }
  u32(v) {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(v);
    this.push(b);
  }
  i32(v) {
    const b = Buffer.alloc(4);
    b.writeInt32LE(v);
    this.push(b);
  }
  u64(v) {
    const b = Buffer.alloc(8);
    b.writeBigUInt64LE(BigInt(v));
    this.push(b);
  }
  f32(v) {
    const b = Buffer.alloc(4);
    b.writeFloatLE(v);
    this.push(b);
  }
  str(s) {
    const b = Buffer.from(s, 'utf8');
    this.u64(b.length);
    this.push(b);
  }
  pad() {
    const n = (ALIGN - (this.size % ALIGN)) % ALIGN;
    if (n) this.push(Buffer.alloc(n));
  }
}

const kv = [
  ['general.architecture', T.STRING, 'llama'],
  ['general.name', T.STRING, 'unmetered-tiny'],
  ['general.alignment', T.UINT32, ALIGN],
  ['llama.context_length', T.UINT32, dims.ctxTrain],
  ['llama.embedding_length', T.UINT32, dims.embd],
  ['llama.block_count', T.UINT32, dims.layers],
  ['llama.feed_forward_length', T.UINT32, dims.ff],
  ['llama.attention.head_count', T.UINT32, dims.heads],
  ['llama.attention.head_count_kv', T.UINT32, dims.heads],
  ['llama.attention.layer_norm_rms_epsilon', T.FLOAT32, 1e-5],
  ['llama.rope.dimension_count', T.UINT32, dims.embd / dims.heads],
  ['llama.vocab_size', T.UINT32, dims.vocab],
  ['tokenizer.ggml.model', T.STRING, 'llama'],
  ['tokenizer.ggml.tokens', T.ARRAY, [T.STRING, tokens]],
  ['tokenizer.ggml.scores', T.ARRAY, [T.FLOAT32, scores]],
  ['tokenizer.ggml.token_type', T.ARRAY, [T.INT32, types]],
  ['tokenizer.ggml.unknown_token_id', T.UINT32, 0],
  ['tokenizer.ggml.bos_token_id', T.UINT32, 1],
  ['tokenizer.ggml.eos_token_id', T.UINT32, 2],
  ['tokenizer.ggml.add_bos_token', T.BOOL, true],
  ['tokenizer.chat_template', T.STRING, TEMPLATE],
];

function value(out, type, v) {
  if (type === T.STRING) out.str(v);
  else if (type === T.UINT32) out.u32(v);
  else if (type === T.INT32) out.i32(v);
  else if (type === T.FLOAT32) out.f32(v);
  else if (type === T.BOOL) out.push(Buffer.from([v ? 1 : 0]));
  else if (type === T.ARRAY) {
    const [inner, items] = v;
    out.u32(inner);
    out.u64(items.length);
    for (const x of items) value(out, inner, x);
  } else throw new Error(`type ${type}`);
}

// ggml dims: ne[0] is the row length (a matrix W of y = W x has ne = [in, out]).
const { embd, ff, vocab } = dims;
const tensors = [
  ['token_embd.weight', [embd, vocab]],
  ['output_norm.weight', [embd]],
  ['output.weight', [embd, vocab]],
];
for (let i = 0; i < dims.layers; i++)
  tensors.push(
    [`blk.${i}.attn_norm.weight`, [embd]],
    [`blk.${i}.attn_q.weight`, [embd, embd]],
    [`blk.${i}.attn_k.weight`, [embd, embd]],
    [`blk.${i}.attn_v.weight`, [embd, embd]],
    [`blk.${i}.attn_output.weight`, [embd, embd]],
    [`blk.${i}.ffn_norm.weight`, [embd]],
    [`blk.${i}.ffn_gate.weight`, [embd, ff]],
    [`blk.${i}.ffn_up.weight`, [embd, ff]],
    [`blk.${i}.ffn_down.weight`, [ff, embd]],
  );

/** mulberry32: a seeded generator, so the same seed writes the same file. */
function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function tinyGguf(seed = 1) {
  const rand = rng(seed);
  const out = new Out();
  out.push(Buffer.from('GGUF', 'ascii'));
  out.u32(3);
  out.u64(tensors.length);
  out.u64(kv.length);
  for (const [key, type, v] of kv) {
    out.str(key);
    out.u32(type);
    value(out, type, v);
  }
  const data = [];
  let offset = 0;
  for (const [name, shape] of tensors) {
    out.str(name);
    out.u32(shape.length);
    for (const d of shape) out.u64(d);
    out.u32(0); // GGML_TYPE_F32
    out.u64(offset);
    const n = shape.reduce((a, b) => a * b, 1);
    const b = Buffer.alloc(n * 4);
    // Norm weights 1, the rest small: a stable forward pass whatever the seed. In output.weight (one row of embd
    // per token) only the word tokens get weights; the others' logits are 0, below the best word's, so greedy
    // decoding says words. A byte token chosen greedily repeats an incomplete UTF-8 sequence, which llama-server
    // holds back from a stream: nothing but the stream's last events would reach the client.
    const words = name === 'output.weight' ? (tokens.length - WORDS.length) * embd : 0;
    for (let k = 0; k < n; k++) b.writeFloatLE(name.includes('norm') ? 1 : k < words ? 0 : (rand() - 0.5) * 0.2, k * 4);
    const padded = Math.ceil(b.length / ALIGN) * ALIGN;
    data.push(Buffer.concat([b, Buffer.alloc(padded - b.length)]));
    offset += padded;
  }
  out.pad();
  return Buffer.concat([...out.parts, ...data]);
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop())) {
  const [file, seed] = process.argv.slice(2);
  if (!file) {
    console.error('usage: node test/real/tiny-gguf.mjs OUT.gguf [SEED]');
    process.exit(2);
  }
  const b = tinyGguf(Number(seed ?? 1));
  writeFileSync(file, b);
  console.error(`tiny-gguf: wrote ${file} (${b.length} bytes, ${tokens.length} tokens)`);
}
