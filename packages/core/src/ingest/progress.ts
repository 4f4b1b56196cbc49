/** A snapshot of an ingest run, sent after each encoded and each written batch. */
export interface IngestProgress {
  readonly phase: 'encoded' | 'written' | 'done';
  readonly documents: number;
  readonly chunks: number;
  readonly chunksWritten: number;
  readonly tokens: number;
  readonly elapsedSeconds: number;
  readonly tokensPerSecond: number;
  /** Seconds left, when the total is known. */
  readonly etaSeconds: number | undefined;
  readonly totalDocuments: number | undefined;
}

export class ProgressMeter {
  private readonly started = performance.now();
  private documents = 0;
  private chunks = 0;
  private chunksWritten = 0;
  private tokens = 0;

  constructor(
    private readonly listener: ((progress: IngestProgress) => void) | undefined,
    private readonly total: number | undefined,
  ) {}

  encoded(documents: number, chunks: number, tokens: number): void {
    this.documents += documents;
    this.chunks += chunks;
    this.tokens += tokens;
    this.emit('encoded');
  }

  written(chunks: number): void {
    this.chunksWritten += chunks;
    this.emit('written');
  }

  finish(): IngestProgress {
    return this.emit('done');
  }

  private emit(phase: IngestProgress['phase']): IngestProgress {
    const elapsedSeconds = (performance.now() - this.started) / 1000;
    const perDocument = this.documents > 0 ? elapsedSeconds / this.documents : undefined;
    const progress: IngestProgress = {
      phase,
      documents: this.documents,
      chunks: this.chunks,
      chunksWritten: this.chunksWritten,
      tokens: this.tokens,
      elapsedSeconds,
      tokensPerSecond: elapsedSeconds > 0 ? this.tokens / elapsedSeconds : 0,
      etaSeconds:
        this.total !== undefined && perDocument !== undefined
          ? Math.max(0, (this.total - this.documents) * perDocument)
          : undefined,
      totalDocuments: this.total,
    };
    this.listener?.(progress);
    return progress;
  }
}
