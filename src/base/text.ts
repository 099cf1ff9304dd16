/**
 * Text that came from outside (a ref typed by a user, a file name, a server's message) made safe to print on
 * one terminal line: control characters — newlines, carriage returns, ESC sequences, C1 controls, the bidi
 * overrides — are shown as escapes instead of acting. A message can then never forge a line of its own nor
 * recolour or move the terminal's cursor.
 */
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;
const NAMED: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t', '\u001b': '\\e' };

export function oneLine(text: string): string {
  return text.replace(UNSAFE, (c) => NAMED[c] ?? `\\u{${c.codePointAt(0)!.toString(16)}}`);
}
