/**
 * Token counting with tiktoken, used only where a provider reports no usage (and for the editor chat's
 * `provideTokenCount`). tiktoken is a 5.6 MB WebAssembly module: it is loaded on first use, never at
 * activation, and one encoder per encoding is kept for the life of the process.
 *
 * Encodings: OpenAI's current families (gpt-4o, gpt-4.1, gpt-4.5, gpt-5*, o1/o3/o4*, codex, gpt-oss) use
 * o200k_base; everything else is counted with cl100k_base. For Claude, Gemini and local models (Llama,
 * Qwen, …) that is an APPROXIMATION: their own tokenizers are not public or not shipped here, and cl100k
 * lands within roughly ±20 % of them on English and code. Such counts are always marked `estimated`.
 */
import type { Tiktoken } from 'tiktoken';
import { UnmeteredError } from '../errors';

export type EncodingName = 'o200k_base' | 'cl100k_base';

// Matched against the bare model name (provider prefix, `ft:` and Ollama tag handled by the caller below).
const O200K_FAMILIES = /^(?:gpt-4o|chatgpt-4o|gpt-4\.1|gpt-4\.5|gpt-5|gpt-oss|gpt-realtime|gpt-audio|o[1-9](?:$|[-_.:]))|codex/;

/** Which tiktoken encoding approximates `model` best. */
export function encodingFor(model: string): EncodingName {
  let name = model.trim().toLowerCase();
  if (name.startsWith('ft:')) name = name.slice(3);
  // "openai/gpt-4o", "azure/gpt-5", "library/llama3": the family is the last path segment.
  name = name.slice(name.lastIndexOf('/') + 1);
  return O200K_FAMILIES.test(name) ? 'o200k_base' : 'cl100k_base';
}

/** A loaded encoder: counting is synchronous from here on. */
export interface Tokenizer {
  readonly encoding: EncodingName;
  count(text: string): number;
}

type TiktokenModule = typeof import('tiktoken');

let library: Promise<TiktokenModule> | undefined;
const encoders = new Map<EncodingName, Tiktoken>();
const tokenizers = new Map<EncodingName, Tokenizer>();

function loadLibrary(): Promise<TiktokenModule> {
  library ??= import('tiktoken').catch((cause: unknown) => {
    library = undefined; // a later call may retry (e.g. after the wasm file was restored)
    throw new UnmeteredError(
      'E_TOKENIZER',
      `tiktoken could not be loaded: expected tiktoken_bg.wasm beside the bundle or in` +
        ` node_modules/tiktoken, got: ${String((cause as Error)?.message ?? cause)}`,
      { cause },
    );
  });
  return library;
}

function tokenizerFor(encoding: EncodingName, lib: TiktokenModule): Tokenizer {
  let t = tokenizers.get(encoding);
  if (t) return t;
  const enc = lib.get_encoding(encoding);
  encoders.set(encoding, enc);
  // encode_ordinary: text such as "<|endoftext|>" typed by a user is ordinary text, not a control token.
  t = { encoding, count: (text) => (text.length === 0 ? 0 : enc.encode_ordinary(text).length) };
  tokenizers.set(encoding, t);
  return t;
}

/** Loads (once) and returns the tokenizer for `model`'s encoding. */
export async function loadTokenizer(model: string): Promise<Tokenizer> {
  const encoding = encodingFor(model);
  return tokenizers.get(encoding) ?? tokenizerFor(encoding, await loadLibrary());
}

/** The tokenizer for `model` if it is already loaded, else undefined (never loads anything). */
export function loadedTokenizer(model: string): Tokenizer | undefined {
  return tokenizers.get(encodingFor(model));
}

/** Number of tokens `text` takes for `model` (see the module comment for which counts are approximations). */
export async function countTokens(text: string, model: string): Promise<number> {
  return (await loadTokenizer(model)).count(text);
}

/** One chat message as OpenAI's chat format sees it, for prompt-size estimates. */
export interface CountableMessage {
  role: string;
  content: string;
  name?: string;
}

/** Tokens one message takes in OpenAI's chat framing: 3 (<|start|>role…<|message|>…<|end|>), 1 more with a `name`. */
export function messageTokens(tk: Pick<Tokenizer, 'count'>, m: CountableMessage): number {
  return 3 + tk.count(m.role) + tk.count(m.content) + (m.name !== undefined ? 1 + tk.count(m.name) : 0);
}

/**
 * Prompt tokens of a chat request, with OpenAI's documented chat framing: each message's
 * messageTokens and 3 priming the reply. Matches the prompt_tokens OpenAI's API reports for gpt-4
 * and gpt-4o (openai-cookbook, "How to count tokens with tiktoken"); for other families it is an
 * estimate. The chat service estimates an unreported prompt with it.
 */
export function chatPromptTokens(tk: Pick<Tokenizer, 'count'>, messages: readonly CountableMessage[]): number {
  let n = 3;
  for (const m of messages) n += messageTokens(tk, m);
  return n;
}

/** Frees the WebAssembly memory of every loaded encoder (extension deactivation, end of a CLI run). */
export function disposeTokenizers(): void {
  for (const enc of encoders.values()) enc.free();
  encoders.clear();
  tokenizers.clear();
}
