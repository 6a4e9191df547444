/**
 * Chat messages as VS Code's Language Model API hands them to a provider, described structurally so core
 * needs no `vscode` import: a `vscode.LanguageModelChatRequestMessage` satisfies `ChatRequestMessage`,
 * and its parts (`LanguageModelTextPart`, `…ToolCallPart`, `…ToolResultPart`, `…DataPart`) are recognised
 * by shape. Unknown parts (thinking, prompt-tsx internals, future types) are skipped, never fatal.
 */

/** `vscode.LanguageModelChatMessageRole`: 1 user, 2 assistant; 3 is the (proposed) system role. */
export const ROLE_USER = 1;
export const ROLE_ASSISTANT = 2;
export const ROLE_SYSTEM = 3;

export interface ChatRequestMessage {
  readonly role: number;
  readonly content: ReadonlyArray<unknown>;
  readonly name?: string | undefined;
}

/** `vscode.LanguageModelChatTool`. */
export interface ChatTool {
  name: string;
  description: string;
  inputSchema?: object | undefined;
}

/** `vscode.LanguageModelChatToolMode.Required` (auto is 1). */
export const TOOL_MODE_REQUIRED = 2;

export interface ChatRequestOptions {
  readonly modelOptions?: { readonly [name: string]: unknown };
  readonly tools?: readonly ChatTool[];
  readonly toolMode?: number;
}

/** What a provider streams back; the extension maps these onto `vscode.LanguageModel*Part`s. */
export type ChatResponsePart = { type: 'text'; value: string } | { type: 'toolCall'; callId: string; name: string; input: object };

/** A message reduced to the parts Unmetered forwards upstream. */
export type Part =
  | { kind: 'text'; text: string }
  | { kind: 'toolCall'; callId: string; name: string; input: object }
  | { kind: 'toolResult'; callId: string; text: string }
  | { kind: 'image'; mimeType: string; data: Uint8Array };

export interface Message {
  role: 'system' | 'user' | 'assistant';
  name?: string;
  parts: Part[];
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;

function toolResultText(content: unknown): string {
  if (!Array.isArray(content)) return typeof content === 'string' ? content : JSON.stringify(content ?? '');
  return content
    .map((c) => {
      if (typeof c === 'string') return c;
      if (isObject(c) && typeof c.value === 'string') return c.value;
      // A prompt-tsx part or a data part: send what it holds as JSON rather than dropping the result.
      if (isObject(c) && c.data instanceof Uint8Array) return new TextDecoder().decode(c.data);
      return JSON.stringify(isObject(c) && 'value' in c ? c.value : c);
    })
    .join('');
}

/** Recognises one content part by shape; undefined for parts Unmetered does not forward. */
function toPart(p: unknown): Part | undefined {
  if (!isObject(p)) return typeof p === 'string' ? { kind: 'text', text: p } : undefined;
  if (typeof p.callId === 'string' && typeof p.name === 'string' && 'input' in p) {
    return { kind: 'toolCall', callId: p.callId, name: p.name, input: isObject(p.input) ? p.input : {} };
  }
  if (typeof p.callId === 'string' && 'content' in p) return { kind: 'toolResult', callId: p.callId, text: toolResultText(p.content) };
  if (typeof p.value === 'string') return { kind: 'text', text: p.value };
  if (typeof p.mimeType === 'string' && p.data instanceof Uint8Array && p.mimeType.startsWith('image/')) {
    return { kind: 'image', mimeType: p.mimeType, data: p.data };
  }
  return undefined;
}

export function normaliseMessages(messages: readonly ChatRequestMessage[]): Message[] {
  return messages.map((m) => {
    const role = m.role === ROLE_ASSISTANT ? 'assistant' : m.role === ROLE_SYSTEM ? 'system' : 'user';
    const parts = m.content.map(toPart).filter((p): p is Part => p !== undefined);
    return m.name ? { role, name: m.name, parts } : { role, parts };
  });
}

/**
 * The text a tokenizer should see for a message: its text, tool-call names and arguments, tool results.
 * Images are not counted (their token cost is provider-specific and the provider reports it).
 */
export function countableText(m: Message): string {
  return m.parts
    .map((p) =>
      p.kind === 'text' ? p.text : p.kind === 'toolCall' ? `${p.name}${JSON.stringify(p.input)}` : p.kind === 'toolResult' ? p.text : '',
    )
    .join('\n');
}

/** Tool definitions as a tokenizer should see them (name, description, schema). */
export function countableTools(tools: readonly ChatTool[] | undefined): string {
  return (tools ?? []).map((t) => `${t.name}:${t.description}${t.inputSchema ? JSON.stringify(t.inputSchema) : ''}`).join('\n');
}
