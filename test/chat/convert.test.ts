// VS Code chat messages (by shape, as the extension host hands them over) → OpenAI and Ollama messages.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { normaliseMessages, ROLE_ASSISTANT, ROLE_SYSTEM, ROLE_USER, TOOL_MODE_REQUIRED } from '../../src/core/chat/messages';
import { toOpenAIMessages, toOpenAITools } from '../../src/core/chat/openai';
import { toOllamaMessages, toOllamaTools } from '../../src/core/chat/ollamaChat';

// Shapes of vscode.LanguageModelTextPart / ToolCallPart / ToolResultPart / DataPart / PromptTsxPart.
class TextPart {
  constructor(public value: string) {}
}
class ToolCallPart {
  constructor(
    public callId: string,
    public name: string,
    public input: object,
  ) {}
}
class ToolResultPart {
  constructor(
    public callId: string,
    public content: unknown[],
  ) {}
}
class DataPart {
  constructor(
    public data: Uint8Array,
    public mimeType: string,
  ) {}
}
class PromptTsxPart {
  constructor(public value: unknown) {}
}

const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47]);

const conversation = normaliseMessages([
  { role: ROLE_SYSTEM, content: [new TextPart('You are terse.')], name: undefined },
  { role: ROLE_USER, content: [new TextPart('Weather in Paris?')], name: 'ada' },
  {
    role: ROLE_ASSISTANT,
    content: [new TextPart('Checking.'), new ToolCallPart('call_1', 'get_weather', { city: 'Paris' })],
    name: undefined,
  },
  {
    role: ROLE_USER,
    content: [new ToolResultPart('call_1', [new TextPart('18 °C, '), new TextPart('sunny')]), new TextPart('And tomorrow?')],
    name: undefined,
  },
  { role: ROLE_USER, content: [new TextPart('What is this?'), new DataPart(png, 'image/png'), { unknown: 'part' }], name: 'bad name!' },
]);

test('OpenAI: tool calls become assistant tool_calls, tool results become tool messages right after them', () => {
  assert.deepEqual(toOpenAIMessages(conversation), [
    { role: 'system', content: 'You are terse.' },
    { role: 'user', content: 'Weather in Paris?', name: 'ada' },
    {
      role: 'assistant',
      content: 'Checking.',
      tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }],
    },
    { role: 'tool', tool_call_id: 'call_1', content: '18 °C, sunny' },
    { role: 'user', content: 'And tomorrow?' },
    // An image makes the content a list of parts; a name OpenAI would reject (spaces, "!") is dropped.
    {
      role: 'user',
      content: [
        { type: 'text', text: 'What is this?' },
        { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw==' } },
      ],
    },
  ]);
});

test('OpenAI: an assistant turn that only calls tools has null content; a user turn of only tool results adds no empty user message', () => {
  const msgs = normaliseMessages([
    { role: ROLE_ASSISTANT, content: [new ToolCallPart('c9', 'ls', {})], name: undefined },
    { role: ROLE_USER, content: [new ToolResultPart('c9', [new TextPart('a.ts')])], name: undefined },
  ]);
  assert.deepEqual(toOpenAIMessages(msgs), [
    { role: 'assistant', content: null, tool_calls: [{ id: 'c9', type: 'function', function: { name: 'ls', arguments: '{}' } }] },
    { role: 'tool', tool_call_id: 'c9', content: 'a.ts' },
  ]);
});

test('tool results holding non-text parts are forwarded as JSON rather than dropped', () => {
  const [m] = normaliseMessages([
    { role: ROLE_USER, content: [new ToolResultPart('c1', [new PromptTsxPart({ node: 1 }), 'plain'])], name: undefined },
  ]);
  assert.deepEqual(m.parts, [{ kind: 'toolResult', callId: 'c1', text: '{"node":1}plain' }]);
});

test('OpenAI tools: JSON schema passed as parameters; Required mode forces a tool call; no tools → no tool fields', () => {
  const tools = [
    {
      name: 'get_weather',
      description: 'Weather for a city',
      inputSchema: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
    },
    { name: 'now', description: 'Time' },
  ];
  assert.deepEqual(toOpenAITools({ tools, toolMode: TOOL_MODE_REQUIRED }), {
    tools: [
      {
        type: 'function',
        function: {
          name: 'get_weather',
          description: 'Weather for a city',
          parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
        },
      },
      { type: 'function', function: { name: 'now', description: 'Time', parameters: { type: 'object', properties: {} } } },
    ],
    tool_choice: 'required',
  });
  assert.deepEqual(toOpenAITools({ tools: [], toolMode: 1 }), {});
});

test('Ollama: tool calls carry arguments as objects, tool results name their tool, images go as bytes', () => {
  const out = toOllamaMessages(conversation);
  assert.deepEqual(out.slice(0, 5), [
    { role: 'system', content: 'You are terse.' },
    { role: 'user', content: 'Weather in Paris?' },
    { role: 'assistant', content: 'Checking.', tool_calls: [{ function: { name: 'get_weather', arguments: { city: 'Paris' } } }] },
    { role: 'tool', content: '18 °C, sunny', tool_name: 'get_weather' },
    { role: 'user', content: 'And tomorrow?' },
  ]);
  assert.equal(out[5].content, 'What is this?');
  assert.deepEqual(out[5].images, [png]);
  assert.equal(out.length, 6);
  assert.deepEqual(toOllamaTools({ tools: [{ name: 'now', description: 'Time' }] }), [
    { type: 'function', function: { name: 'now', description: 'Time', parameters: { type: 'object', properties: {} } } },
  ]);
  assert.equal(toOllamaTools({ tools: [] }), undefined);
});
