import { writeLine, type CliIo } from './io.js';
import { Redactor } from './output/redactor.js';

/** What a running command shares: the streams, the environment, and the redactor every message passes. */
export class CommandContext {
  readonly redactor = new Redactor();

  constructor(
    readonly io: CliIo,
    readonly command: string,
    readonly verbose: boolean,
  ) {}

  get env(): CliIo['env'] {
    return this.io.env;
  }

  get cwd(): string {
    return this.io.cwd;
  }

  get signal(): AbortSignal | undefined {
    return this.io.signal;
  }

  /** A message line on stderr (progress, notes, warnings, errors), secrets removed. */
  note(line: string): void {
    this.io.stderr.write(`${this.redactor.redact(line)}\n`);
  }

  /** A result line on stdout (tables, summaries, JSON), secrets removed. */
  async out(line: string): Promise<void> {
    await writeLine(this.io.stdout, this.redactor.redact(line));
  }

  /** A data line on stdout (embeddings, token ids): written as it is, with backpressure. */
  async data(line: string): Promise<void> {
    await writeLine(this.io.stdout, line);
  }
}
