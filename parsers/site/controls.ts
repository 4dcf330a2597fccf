// C0 controls but tab, line feed, form feed and carriage return; DEL; C1 controls.
const CONTROL_CHARACTERS = /[\u0000-\u0008\u000b\u000e-\u001f\u007f-\u009f]/g;

/**
 * The text with its control characters read as U+FFFD. None belongs in a title, a name or a message the site shows;
 * a NUL cannot be stored (Postgres takes none), and an ESC printed by `show` would drive the operator's terminal.
 */
export function withoutControlCharacters(text: string): string {
  return text.replace(CONTROL_CHARACTERS, '\uFFFD');
}
