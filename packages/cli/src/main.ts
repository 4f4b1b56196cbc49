import { dropCommand } from './commands/drop.js';
import { ingestCommand } from './commands/ingest.js';
import { embedCommand } from './commands/embed.js';
import { queryCommand } from './commands/query.js';
import { serveCommand } from './commands/serve.js';
import { statsCommand } from './commands/stats.js';
import { tokenizeCommand } from './commands/tokenize.js';
import { CommandContext } from './context.js';
import { EXIT_CODES, type ExitCode } from './exit-codes.js';
import { COMMAND_HELP, MAIN_HELP } from './help.js';
import type { CliIo } from './io.js';
import { describeError, exitCodeFor } from './output/report-error.js';

export const VERSION = '0.1.0';

type Command = (argv: readonly string[], context: CommandContext) => Promise<ExitCode>;

const COMMANDS: Record<string, Command> = {
  ingest: ingestCommand,
  query: queryCommand,
  stats: statsCommand,
  drop: dropCommand,
  embed: embedCommand,
  tokenize: tokenizeCommand,
  serve: serveCommand,
};

/**
 * Runs one `m3` command line and returns its exit code. Never throws and never exits the
 * process: the binary does that, tests call this in-process.
 */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined) {
    io.stderr.write(`${MAIN_HELP}\n`);
    return EXIT_CODES.usage;
  }
  if (name === '--help' || name === '-h' || name === 'help') {
    const topic = name === 'help' ? rest[0] : undefined;
    io.stdout.write(`${topic && COMMAND_HELP[topic] ? COMMAND_HELP[topic] : MAIN_HELP}\n`);
    return EXIT_CODES.ok;
  }
  if (name === '--version' || name === '-V') {
    io.stdout.write(`${VERSION}\n`);
    return EXIT_CODES.ok;
  }
  const command = COMMANDS[name];
  if (!command) {
    io.stderr.write(
      `m3: unknown command ${JSON.stringify(name)}; commands: ${Object.keys(COMMANDS).join(', ')} (m3 --help)\n`,
    );
    return EXIT_CODES.usage;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    io.stdout.write(`${COMMAND_HELP[name]}\n`);
    return EXIT_CODES.ok;
  }
  const verbose = rest.includes('--verbose') || rest.includes('-v');
  const context = new CommandContext(io, name, verbose);
  try {
    return await command(rest, context);
  } catch (error) {
    for (const line of describeError(error, { command: name, verbose })) context.note(line);
    return exitCodeFor(error);
  }
}
