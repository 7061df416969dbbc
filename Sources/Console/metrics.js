// Prometheus text from /metrics, parsed into samples, and the rates between scrapes.

/// [{name, labels: {k: v}, value}] from the text exposition format (comments skipped).
export function parseMetrics(text) {
  const samples = [];
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)/.exec(line);
    if (!match) continue;
    const labels = {};
    if (match[3]) {
      for (const pair of match[3].matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[pair[1]] = pair[2];
    }
    samples.push({ name: match[1], labels, value: Number(match[4]) });
  }
  return samples;
}

/// The sum of every sample of `name` whose labels include `where`; null when there is none.
export function total(samples, name, where = {}) {
  let sum = null;
  for (const sample of samples) {
    if (sample.name !== name) continue;
    if (Object.entries(where).some(([key, value]) => sample.labels[key] !== value)) continue;
    sum = (sum ?? 0) + sample.value;
  }
  return sum;
}

/// Counters sampled over time; per-second rates between consecutive scrapes.
export class RateHistory {
  constructor(limit = 60) {
    this.limit = limit;
    this.points = [];
  }

  add(time, counters) {
    this.points.push({ time, counters });
    if (this.points.length > this.limit + 1) this.points.shift();
  }

  /// [{time, rate}] for one counter (a counter that went down — a restart — starts again from 0).
  rates(name) {
    const rates = [];
    for (let index = 1; index < this.points.length; index += 1) {
      const before = this.points[index - 1];
      const after = this.points[index];
      const seconds = (after.time - before.time) / 1000;
      const a = before.counters[name];
      const b = after.counters[name];
      if (seconds <= 0 || a == null || b == null) continue;
      rates.push({ time: after.time, rate: Math.max(0, b >= a ? b - a : b) / seconds });
    }
    return rates;
  }
}
