import type { IngestProgress } from '@m3kit/core';
import type { OutputStream } from '../io.js';

/** Formats seconds as `12s`, `3m05s` or `2h04m`. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

const integer = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

export function formatCount(value: number): string {
  return integer.format(value);
}

/**
 * Ingest progress on stderr: on a terminal, one bar redrawn in place (at most 10 times a second)
 * with documents, chunks, tokens/s and ETA; otherwise (a log, a pipe, CI) a plain line every few
 * seconds, so logs stay readable.
 */
export class ProgressReporter {
  private lastDraw = 0;
  private drawn = false;
  private readonly tty: boolean;

  constructor(
    private readonly stream: OutputStream,
    private readonly options: {
      total: number | undefined;
      resumedFrom: number;
      plainIntervalMs?: number;
    },
  ) {
    this.tty = stream.isTTY === true;
  }

  update(progress: IngestProgress): void {
    const now = performance.now();
    const interval = this.tty ? 100 : (this.options.plainIntervalMs ?? 5000);
    if (progress.phase !== 'done' && now - this.lastDraw < interval) return;
    this.lastDraw = now;
    if (this.tty) this.drawBar(progress);
    else if (progress.phase !== 'done') this.stream.write(`progress: ${this.describe(progress)}\n`);
  }

  /** Clears the bar so the summary starts on a clean line. */
  finish(): void {
    if (this.tty && this.drawn) this.stream.write('\r\x1b[2K');
    this.drawn = false;
  }

  private describe(progress: IngestProgress): string {
    const done = progress.documents + this.options.resumedFrom;
    const total =
      progress.totalDocuments !== undefined
        ? progress.totalDocuments + this.options.resumedFrom
        : undefined;
    const documents =
      total !== undefined
        ? `${formatCount(done)}/${formatCount(total)} documents`
        : `${formatCount(done)} documents`;
    const eta =
      progress.etaSeconds !== undefined ? `, ETA ${formatDuration(progress.etaSeconds)}` : '';
    return (
      `${documents}, ${formatCount(progress.chunksWritten)} chunks written, ` +
      `${formatCount(progress.tokensPerSecond)} tokens/s, ${formatDuration(progress.elapsedSeconds)} elapsed${eta}`
    );
  }

  private drawBar(progress: IngestProgress): void {
    const done = progress.documents + this.options.resumedFrom;
    const total =
      progress.totalDocuments !== undefined
        ? progress.totalDocuments + this.options.resumedFrom
        : undefined;
    const width = 24;
    let bar = '';
    if (total !== undefined && total > 0) {
      const fraction = Math.min(1, done / total);
      const filled = Math.round(fraction * width);
      bar = `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${String(Math.floor(fraction * 100)).padStart(3)}% `;
    }
    const line = `${bar}${this.describe(progress)}`;
    const columns = this.stream.columns ?? 120;
    this.stream.write(`\r\x1b[2K${line.length >= columns ? line.slice(0, columns - 1) : line}`);
    this.drawn = true;
  }
}
