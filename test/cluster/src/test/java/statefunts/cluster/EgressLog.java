package statefunts.cluster;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import org.apache.flink.statefun.sdk.reqreply.generated.TypedValue;

/**
 * Every TypedValue the functions sent to the test's egresses, per egress id, in arrival order
 * (the order of one sink instance; records of different function instances interleave). A
 * record sent again after a restore is logged again: this is what the functions emitted, not
 * what a transactional sink would have committed.
 */
public final class EgressLog implements AutoCloseable {
  private static final ConcurrentMap<String, EgressLog> LOGS = new ConcurrentHashMap<>();

  private final String id;
  private final Map<String, List<TypedValue>> records = new TreeMap<>();

  private EgressLog(String id) {
    this.id = id;
  }

  public static EgressLog create() {
    EgressLog log = new EgressLog("egress-log-" + UUID.randomUUID());
    LOGS.put(log.id, log);
    return log;
  }

  static EgressLog lookup(String id) {
    EgressLog log = LOGS.get(id);
    if (log == null) {
      throw new IllegalStateException("no egress log " + id + " in this JVM (it was closed)");
    }
    return log;
  }

  public String id() {
    return id;
  }

  synchronized void add(String egress, TypedValue value) {
    records.computeIfAbsent(egress, e -> new ArrayList<>()).add(value);
    notifyAll();
  }

  /** The records of {@code egress} so far. */
  public synchronized List<TypedValue> records(String egress) {
    return List.copyOf(records.getOrDefault(egress, List.of()));
  }

  public synchronized int count(String egress) {
    return records.getOrDefault(egress, List.of()).size();
  }

  /** Record counts of every egress that received something. */
  public synchronized Map<String, Integer> counts() {
    Map<String, Integer> out = new TreeMap<>();
    records.forEach((k, v) -> out.put(k, v.size()));
    return out;
  }

  /** Waits up to {@code millis} for a record to arrive (or returns at once if millis <= 0). */
  synchronized void awaitChange(long millis) throws InterruptedException {
    if (millis > 0) wait(millis);
  }

  @Override
  public void close() {
    LOGS.remove(id, this);
  }
}
