import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { EncodeBatcherObserver } from './encode-batcher.js';

/** The service's Prometheus metrics, in a registry of its own (never prom-client's global one). */
export class ServerMetrics {
  readonly registry = new Registry();
  readonly requests: Counter<'route' | 'method' | 'status'>;
  readonly latency: Histogram<'route' | 'method'>;
  readonly queueTexts: Gauge;
  readonly queueRequests: Gauge;
  readonly batchTexts: Histogram;
  readonly batchRequests: Histogram;
  readonly batchSeconds: Histogram;
  readonly rejected: Counter;

  constructor() {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });
    this.requests = new Counter({
      name: 'm3_http_requests_total',
      help: 'HTTP requests answered, by route, method and status',
      labelNames: ['route', 'method', 'status'],
      registers,
    });
    this.latency = new Histogram({
      name: 'm3_http_request_duration_seconds',
      help: 'Time from request to response, by route',
      labelNames: ['route', 'method'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
    this.queueTexts = new Gauge({
      name: 'm3_encoder_queue_texts',
      help: 'Texts waiting for the encoder',
      registers,
    });
    this.queueRequests = new Gauge({
      name: 'm3_encoder_queue_requests',
      help: 'Requests waiting for the encoder',
      registers,
    });
    this.batchTexts = new Histogram({
      name: 'm3_encoder_batch_texts',
      help: 'Texts per encoder call (micro-batches of concurrent requests)',
      buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256],
      registers,
    });
    this.batchRequests = new Histogram({
      name: 'm3_encoder_batch_requests',
      help: 'Requests merged into one encoder call',
      buckets: [1, 2, 4, 8, 16, 32, 64],
      registers,
    });
    this.batchSeconds = new Histogram({
      name: 'm3_encoder_batch_duration_seconds',
      help: 'Time of one encoder call',
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    });
    this.rejected = new Counter({
      name: 'm3_encoder_rejected_total',
      help: 'Requests refused with 503 because the encoder queue was full',
      registers,
    });
  }

  batcherObserver(): EncodeBatcherObserver {
    return {
      onQueueChange: (texts, requests) => {
        this.queueTexts.set(texts);
        this.queueRequests.set(requests);
      },
      onBatch: (texts, requests, seconds) => {
        this.batchTexts.observe(texts);
        this.batchRequests.observe(requests);
        this.batchSeconds.observe(seconds);
      },
      onRejected: () => this.rejected.inc(),
    };
  }
}
