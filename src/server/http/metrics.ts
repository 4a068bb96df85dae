/**
 * A small Prometheus registry: counters, gauges and histograms rendered in the text exposition
 * format. Kept in-process; each node exposes its own figures.
 */
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';

type Labels = Record<string, string>;

const NO_LABELS: Labels = Object.freeze({});

function labelKey(labels: Labels): string {
  const keys = Object.keys(labels).sort();
  if (keys.length === 0) return '';
  return `{${keys.map((k) => `${k}="${String(labels[k]).replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`).join(',')}}`;
}

// Callers that pass the same label object each time (the request hook) get its key computed once.
// A fresh object per call would pay for an entry here: pass no labels rather than `{}`.
const keys = new WeakMap<Labels, string>();

function keyOf(labels: Labels): string {
  let k = keys.get(labels);
  if (k === undefined) keys.set(labels, (k = labelKey(labels)));
  return k;
}

interface Series {
  help: string;
  type: 'counter' | 'gauge' | 'histogram';
  render(name: string): string[];
}

export class Counter implements Series {
  readonly type = 'counter' as const;
  private values = new Map<string, number>();
  constructor(readonly help: string) {}
  inc(labels: Labels = NO_LABELS, by = 1): void {
    const k = keyOf(labels);
    this.values.set(k, (this.values.get(k) ?? 0) + by);
  }
  get(labels: Labels = {}): number {
    return this.values.get(labelKey(labels)) ?? 0;
  }
  render(name: string): string[] {
    if (this.values.size === 0) return [`${name} 0`];
    return [...this.values].map(([k, v]) => `${name}${k} ${v}`);
  }
}

export class Gauge implements Series {
  readonly type = 'gauge' as const;
  private value = 0;
  constructor(
    readonly help: string,
    private readonly collect?: () => number,
  ) {}
  set(v: number): void {
    this.value = v;
  }
  inc(by = 1): void {
    this.value += by;
  }
  dec(by = 1): void {
    this.value -= by;
  }
  get(): number {
    return this.collect ? this.collect() : this.value;
  }
  render(name: string): string[] {
    return [`${name} ${this.get()}`];
  }
}

export class Histogram implements Series {
  readonly type = 'histogram' as const;
  private series = new Map<string, { counts: number[]; sum: number; count: number; labels: Labels }>();
  constructor(
    readonly help: string,
    private readonly buckets: number[],
  ) {}
  observe(value: number, labels: Labels = NO_LABELS): void {
    const k = keyOf(labels);
    let s = this.series.get(k);
    if (!s) {
      s = { counts: this.buckets.map(() => 0), sum: 0, count: 0, labels };
      this.series.set(k, s);
    }
    for (let i = 0; i < this.buckets.length; i++) if (value <= this.buckets[i]!) s.counts[i]!++;
    s.sum += value;
    s.count++;
  }
  render(name: string): string[] {
    const out: string[] = [];
    for (const s of this.series.values()) {
      this.buckets.forEach((b, i) => out.push(`${name}_bucket${labelKey({ ...s.labels, le: String(b) })} ${s.counts[i]}`));
      out.push(`${name}_bucket${labelKey({ ...s.labels, le: '+Inf' })} ${s.count}`);
      out.push(`${name}_sum${labelKey(s.labels)} ${s.sum}`);
      out.push(`${name}_count${labelKey(s.labels)} ${s.count}`);
    }
    return out;
  }
}

/** Buckets for the storage engine's short waits: a flush, a checkpoint, a hold of commits. */
const STORAGE_SECONDS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1];
/** Finer around the milliseconds a message's own latency budget is counted in. */
const MESSAGE_SECONDS = [0.0005, 0.001, 0.002, 0.003, 0.005, 0.0075, 0.01, 0.015, 0.02, 0.025, 0.035, 0.05, 0.1, 0.25, 0.5, 1];

const LOOP_TICK_MS = 10;

/**
 * The event loop's delay (how late its timers ran): what every request on the node waited
 * besides its own work. Each second's worst delay goes into a histogram, so any number of
 * scrapers read the same cumulative figures and none of them resets anything.
 */
class EventLoopWatch {
  private readonly monitor: IntervalHistogram = monitorEventLoopDelay({ resolution: LOOP_TICK_MS });
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly worst: Histogram) {
    this.monitor.enable();
    this.timer = setInterval(() => this.sample(), 1000);
    this.timer.unref();
  }

  private sample(): void {
    const m = this.monitor;
    // Node records the time between the monitor's ticks (in ns): a loop that is never late reads
    // one tick, so the tick is taken off. (After a reset the first tick is not measured: a second
    // misses at most its first 10 ms.) A block is counted in the second in which the loop ran
    // again, however long it lasted.
    if (m.count > 0) this.worst.observe(Math.max(0, m.max / 1e9 - LOOP_TICK_MS / 1000));
    m.reset();
  }

  stop(): void {
    clearInterval(this.timer);
    this.monitor.disable();
  }
}

export class Metrics {
  private readonly registry = new Map<string, Series>();

  readonly httpRequests = this.add('parley_http_requests_total', new Counter('HTTP requests answered, by method, route and status'));
  readonly httpDuration = this.add(
    'parley_http_request_duration_seconds',
    new Histogram('HTTP request latency', [0.0005, 0.001, 0.002, 0.003, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5]),
  );
  readonly websockets = this.add('parley_websocket_connections', new Gauge('Open WebSocket connections'));
  readonly messagesSent = this.add('parley_messages_sent_total', new Counter('Messages stored and acknowledged'));
  // The message writer and SQLite's WAL: what a message's latency waits on besides the CPU.
  readonly messageBatch = this.add(
    'parley_message_batch_size',
    new Histogram('Messages stored per transaction of the message writer (group commit)', [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000]),
  );
  readonly messageStore = this.add(
    'parley_message_store_seconds',
    new Histogram('Time from a send reaching the message writer to its answer: waiting for a batch, its commit and, on SQLite, its flush', MESSAGE_SECONDS),
  );
  readonly walFlush = this.add('parley_wal_flush_seconds', new Histogram('SQLite: duration of each flush of the WAL that acknowledges message batches', STORAGE_SECONDS));
  readonly walCheckpoint = this.add(
    'parley_wal_checkpoint_seconds',
    new Histogram("SQLite: duration of each checkpoint of the checkpointer thread, which shares the node's CPU", STORAGE_SECONDS),
  );
  readonly walHold = this.add('parley_wal_hold_seconds', new Histogram('SQLite: time message commits waited for a quiet checkpoint that starts the WAL over', STORAGE_SECONDS));

  readonly eventLoopDelay = this.add(
    'parley_event_loop_delay_seconds',
    new Histogram("The node's event loop: the longest delay of its timers in each second", [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5]),
  );

  /** Starts measuring the event loop's delay (a timer every 10 ms); the answer stops it. */
  watchEventLoop(): () => void {
    const w = new EventLoopWatch(this.eventLoopDelay);
    return () => w.stop();
  }

  add<S extends Series>(name: string, series: S): S {
    this.registry.set(name, series);
    return series;
  }

  render(): string {
    const lines: string[] = [];
    const mem = process.memoryUsage();
    lines.push('# HELP process_resident_memory_bytes Resident memory size in bytes.', '# TYPE process_resident_memory_bytes gauge');
    lines.push(`process_resident_memory_bytes ${mem.rss}`);
    for (const [name, s] of this.registry) {
      // In HELP text only backslashes and line breaks are escaped (the format's rule).
      const help = s.help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
      lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${s.type}`, ...s.render(name));
    }
    return lines.join('\n') + '\n';
  }
}
