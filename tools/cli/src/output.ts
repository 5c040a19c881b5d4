/** What commands print: a table (or key/value lines) for people, JSON with --json for scripts. */
import Table from 'cli-table3';

export interface Output {
  json: boolean;
  /** Prints the value as JSON, or lets `human` print it. */
  result(value: unknown, human: () => void): void;
  line(text?: string): void;
  table(head: string[], rows: Array<Array<string | number | boolean | null | undefined>>): void;
  fields(value: Record<string, unknown>): void;
  /** Progress and notes: stderr, so stdout stays the result. */
  note(text: string): void;
}

export function createOutput(json: boolean, stdout: NodeJS.WritableStream = process.stdout, stderr: NodeJS.WritableStream = process.stderr): Output {
  const write = (text: string) => stdout.write(`${text}\n`);
  return {
    json,
    result(value, human) {
      if (json) write(JSON.stringify(value, null, 2));
      else human();
    },
    line: (text = '') => write(text),
    table(head, rows) {
      if (rows.length === 0) {
        write('(none)');
        return;
      }
      const table = new Table({
        head,
        style: { head: [], border: [], compact: true, 'padding-left': 0, 'padding-right': 0 },
        chars: { top: '', 'top-mid': '', 'top-left': '', 'top-right': '', bottom: '', 'bottom-mid': '', 'bottom-left': '', 'bottom-right': '', left: '', 'left-mid': '', mid: '', 'mid-mid': '', right: '', 'right-mid': '', middle: '  ' },
      });
      for (const row of rows) table.push(row.map((cell) => (cell === null || cell === undefined || cell === '' ? '-' : String(cell))));
      write(table.toString().split('\n').map((row) => row.trimEnd()).join('\n'));
    },
    fields(value) {
      const width = Math.max(...Object.keys(value).map((key) => key.length));
      for (const [key, field] of Object.entries(value)) {
        if (field === undefined || field === '' || (Array.isArray(field) && field.length === 0)) continue;
        write(`${key.padEnd(width)}  ${typeof field === 'object' ? JSON.stringify(field) : String(field)}`);
      }
    },
    note: (text) => stderr.write(`${text}\n`),
  };
}
