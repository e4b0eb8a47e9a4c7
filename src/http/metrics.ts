/**
 * An endpoint's Prometheus metrics in the text exposition format 0.0.4.
 *
 * A few counters and histograms kept in plain arrays rather than prom-client: recording costs a
 * handful of array writes per request on the hot path, there is no process-global registry to
 * collide with an application's own, and the package keeps a single runtime dependency.
 *
 * Label values are bounded: `function_type` is only ever a bound type (or "" for a request that
 * named none, or an unknown one), so garbage requests cannot grow the series without limit.
 */
import type { BatchOutcome } from "../invoke/pipeline";

/** Seconds: sub-millisecond batches up to the cluster's default call timeout (1 min). */
const DURATION_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];
/** Invocations per batch, up to past the cluster's default maxNumBatchRequests (1000). */
const BATCH_SIZE_BUCKETS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 5000];

const OUTCOMES: readonly BatchOutcome[] = ["ok", "incomplete", "malformed", "unknown_function", "failed"];
const ERROR_OUTCOMES: readonly BatchOutcome[] = ["malformed", "unknown_function", "failed"];

class Histogram {
  readonly counts: number[];
  sum = 0;
  count = 0;

  constructor(readonly buckets: readonly number[]) {
    this.counts = new Array<number>(buckets.length).fill(0);
  }

  observe(value: number): void {
    const { buckets, counts } = this;
    for (let i = 0; i < buckets.length; i++) {
      if (value <= buckets[i]) {
        counts[i]++;
        break;
      }
    }
    this.sum += value;
    this.count++;
  }

  /** The `_bucket`, `_sum` and `_count` lines (bucket counts cumulative, as Prometheus wants). */
  lines(name: string, labels: string): string[] {
    const out: string[] = [];
    let cumulative = 0;
    for (let i = 0; i < this.buckets.length; i++) {
      cumulative += this.counts[i];
      out.push(`${name}_bucket{${labels},le="${this.buckets[i]}"} ${cumulative}`);
    }
    out.push(`${name}_bucket{${labels},le="+Inf"} ${this.count}`);
    out.push(`${name}_sum{${labels}} ${this.sum}`);
    out.push(`${name}_count{${labels}} ${this.count}`);
    return out;
  }
}

class FunctionSeries {
  readonly batches: Record<BatchOutcome, number> = { ok: 0, incomplete: 0, malformed: 0, unknown_function: 0, failed: 0 };
  invocations = 0;
  readonly batchSize = new Histogram(BATCH_SIZE_BUCKETS);
  readonly duration = new Histogram(DURATION_BUCKETS);
}

function label(value: string): string {
  return value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}

/** Counts what an endpoint served; `render()` gives the `/metrics` body. */
export class EndpointMetrics {
  readonly #series = new Map<string, FunctionSeries>();
  readonly #rejected = new Map<number, number>();
  #inFlight = 0;

  readonly #functionTypes: () => readonly string[];

  /**
   * @param functionTypes - the bound types now (read live: a function bound after the server
   *   started is listed, at zero, and counted under its own label)
   */
  constructor(functionTypes: () => readonly string[]) {
    this.#functionTypes = functionTypes;
    this.#series.set("", new FunctionSeries());
    for (const type of functionTypes()) this.#series.set(type, new FunctionSeries());
  }

  #seriesOf(functionType: string): FunctionSeries {
    let series = this.#series.get(functionType);
    if (series === undefined) this.#series.set(functionType, (series = new FunctionSeries()));
    return series;
  }

  /** Accounts for one request of the request path (a `BatchReporter`). */
  readonly report = (functionType: string, invocations: number, outcome: BatchOutcome, seconds: number): void => {
    // Only a bound type (or "") is ever reported for other outcomes, so the labels stay bounded.
    const series = this.#seriesOf(outcome === "unknown_function" ? "" : functionType);
    series.batches[outcome]++;
    series.duration.observe(seconds);
    if (outcome === "ok") {
      series.invocations += invocations;
      series.batchSize.observe(invocations);
    }
  };

  /** Counts a request refused before the request path (405, 413, 415, a 400 for a bad encoding, 404 route). */
  rejected(status: number): void {
    this.#rejected.set(status, (this.#rejected.get(status) ?? 0) + 1);
  }

  /** A batch started (`+1`) or finished (`-1`). */
  inFlight(delta: 1 | -1): void {
    this.#inFlight += delta;
  }

  /** The `/metrics` body (`Content-Type: text/plain; version=0.0.4`). */
  render(): string {
    const out: string[] = [];
    const family = (name: string, type: string, help: string): void => {
      out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    };
    for (const type of this.#functionTypes()) this.#seriesOf(type);
    const each = (fn: (labels: string, s: FunctionSeries) => void): void => {
      for (const [type, s] of this.#series) fn(`function_type="${label(type)}"`, s);
    };

    family("statefun_batches_total", "counter", "Requests (invocation batches) by function type and outcome.");
    each((l, s) => {
      for (const outcome of OUTCOMES) out.push(`statefun_batches_total{${l},outcome="${outcome}"} ${s.batches[outcome]}`);
    });
    family("statefun_invocations_total", "counter", "Invocations run in successful batches.");
    each((l, s) => out.push(`statefun_invocations_total{${l}} ${s.invocations}`));
    family("statefun_errors_total", "counter", "Requests answered with an error, by kind (400 malformed, 404 unknown_function, 500 failed).");
    each((l, s) => {
      for (const kind of ERROR_OUTCOMES) out.push(`statefun_errors_total{${l},kind="${kind}"} ${s.batches[kind]}`);
    });
    family("statefun_batch_size", "histogram", "Invocations per successful batch.");
    each((l, s) => out.push(...s.batchSize.lines("statefun_batch_size", l)));
    family("statefun_batch_duration_seconds", "histogram", "Time from request bytes to reply bytes.");
    each((l, s) => out.push(...s.duration.lines("statefun_batch_duration_seconds", l)));
    family("statefun_batches_in_flight", "gauge", "Batches being run now.");
    out.push(`statefun_batches_in_flight ${this.#inFlight}`);
    family("statefun_http_rejected_total", "counter", "HTTP requests refused before the request path, by status.");
    for (const [status, n] of [...this.#rejected].sort((a, b) => a[0] - b[0])) {
      out.push(`statefun_http_rejected_total{status="${status}"} ${n}`);
    }
    return out.join("\n") + "\n";
  }
}
