/**
 * Names that come from other people (teammates' summaries, file names in a shared folder) reach a
 * terminal, Markdown, CSV and HTML. A terminal acts on control characters: OSC 52 writes the
 * clipboard, OSC 0/2 sets the window title, ESC c and CSI 2J clear the screen, a backspace
 * rewrites the letters before it. So every such name goes through `plainText` first: the one
 * sanitizer every output shares. Pure string code: it also runs in the dashboard webview.
 */

/**
 * Whole escape sequences, payload included, so an OSC 52 clipboard string does not survive as
 * visible garbage: OSC/DCS/SOS/PM/APC strings up to BEL or ST (7-bit `ESC x` and 8-bit C1 forms);
 * CSI with its parameters; any other two-character ESC sequence.
 */
const SEQUENCES =
  // One pattern in three alternatives: string sequences (OSC, DCS, …), CSI sequences, other escapes.
  new RegExp(
    /(?:\u001b[\]PX^_]|[\u0090\u0098\u009d\u009e\u009f])[^\u0007\u001b\u009c]*(?:\u0007|\u001b\\|\u009c)?|/.source +
      /(?:\u001b\[|\u009b)[\u0020-\u003f]*[\u0040-\u007e]?|/.source +
      /\u001b[\u0020-\u002f]*[\u0030-\u007e]?/.source,
    'g',
  );

/**
 * What is left after the sequences: C0 (tab and line breaks too: a name is one line), DEL, C1,
 * and the bidirectional overrides and isolates that make text display in another order than it
 * reads (the "Trojan Source" characters).
 */
const CONTROLS = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/**
 * The text with every control character and escape sequence removed (never replaced by
 * look-alikes); tabs and line breaks become one space, since a name is one line.
 */
export function plainText(s: string): string {
  return s
    .replace(SEQUENCES, '')
    .replace(/[\t\r\n]+/g, ' ')
    .replace(CONTROLS, '');
}

/** A multi-line text for a terminal, each line through `plainText` (the line breaks are the text's own). */
export function plainLines(text: string): string {
  return text.split('\n').map(plainText).join('\n');
}
