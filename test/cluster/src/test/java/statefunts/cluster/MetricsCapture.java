package statefunts.cluster;

import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Metric;
import org.apache.flink.metrics.MetricConfig;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.metrics.reporter.MetricReporter;
import org.apache.flink.metrics.reporter.MetricReporterFactory;

/**
 * A Flink metric reporter (and its factory, found through META-INF/services) that keeps every
 * counter of a job in memory, so that tests can wait on what the runtime counts, for example
 * StateFun's per-function-type {@code remoteInvocationFailures} (one per failed HTTP attempt).
 * A counter's total survives task restarts: when a task's metrics go away, their last counts
 * are kept and added to the new task's.
 */
public final class MetricsCapture implements MetricReporter, MetricReporterFactory {
  /** Reporter name in the Flink configuration: {@code metrics.reporter.<NAME>.factory.class}. */
  static final String NAME = "statefuntscapture";

  private record Key(List<String> scope, String name) {}

  private static final class JobCounters {
    final ConcurrentMap<Key, Counter> live = new ConcurrentHashMap<>();
    final ConcurrentMap<Key, Long> retired = new ConcurrentHashMap<>();
  }

  private static final ConcurrentMap<String, JobCounters> JOBS = new ConcurrentHashMap<>();

  @Override
  public MetricReporter createMetricReporter(Properties properties) {
    return new MetricsCapture();
  }

  @Override
  public void open(MetricConfig config) {}

  @Override
  public void close() {}

  @Override
  public void notifyOfAddedMetric(Metric metric, String name, MetricGroup group) {
    String job = group.getAllVariables().get("<job_id>");
    if (job == null || !(metric instanceof Counter counter)) return;
    JOBS.computeIfAbsent(job, j -> new JobCounters()).live.put(key(name, group), counter);
  }

  @Override
  public void notifyOfRemovedMetric(Metric metric, String name, MetricGroup group) {
    String job = group.getAllVariables().get("<job_id>");
    if (job == null || !(metric instanceof Counter counter)) return;
    JobCounters counters = JOBS.get(job);
    if (counters == null) return;
    Key key = key(name, group);
    if (counters.live.remove(key, counter)) counters.retired.merge(key, counter.getCount(), Long::sum);
  }

  private static Key key(String name, MetricGroup group) {
    return new Key(List.of(group.getScopeComponents()), name);
  }

  /**
   * The total of the counters {@code name} whose scope ends with {@code scopeSuffix}, over all
   * subtasks and restarts of job {@code jobId}; 0 when there is none yet.
   */
  static long total(String jobId, List<String> scopeSuffix, String name) {
    JobCounters counters = JOBS.get(jobId);
    if (counters == null) return 0;
    long sum = 0;
    for (Map.Entry<Key, Counter> e : counters.live.entrySet()) {
      if (matches(e.getKey(), scopeSuffix, name)) sum += e.getValue().getCount();
    }
    for (Map.Entry<Key, Long> e : counters.retired.entrySet()) {
      if (matches(e.getKey(), scopeSuffix, name)) sum += e.getValue();
    }
    return sum;
  }

  private static boolean matches(Key key, List<String> suffix, String name) {
    if (!key.name().equals(name)) return false;
    List<String> scope = key.scope();
    int offset = scope.size() - suffix.size();
    return offset >= 0 && scope.subList(offset, scope.size()).equals(suffix);
  }

  static void forget(String jobId) {
    JOBS.remove(jobId);
  }
}
