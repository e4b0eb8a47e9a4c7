package statefunts.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.databind.JsonNode;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.flink.statefun.sdk.reqreply.generated.FromFunction;
import org.apache.flink.statefun.sdk.reqreply.generated.TypedValue;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Exactly-once through failures (smoke.ts, the same command interpreter on both SDKs): a seeded
 * stream of commands to {@value #IDS} ids — increment, send an increment to another id, send one
 * after a delay, send one with a token and cancel it, write to an egress — fed in four chunks
 * with checkpoints every second, a task failure injected right after a completed checkpoint
 * (the job restores from it and the feed replays what followed), and the endpoint killed and
 * started again while requests are in flight (the runtime retries; no restore).
 *
 * <p>Verified through state, not through the egress: the collecting egress is not
 * transactional, so records emitted between the restored checkpoint and the failure arrive
 * again after the restore. So once the whole feed is in a completed checkpoint (no failure
 * follows) and the cancelled messages' delay has passed, a "verify" command per id reports
 * its count, which must equal what the commands add up to: more means something was applied
 * twice, less that something was lost. The egress records are checked too, as at-least-once:
 * every expected record arrived, nothing else, and duplicates are counted.
 */
class ExactlyOnceSmokeTest {
  static final int IDS = 64;
  static final int COMMANDS = 20_480;
  static final int CHUNKS = 4;
  /** The delay of the messages that are cancelled: long enough to outlast a failure and its restore. */
  static final long CANCELLED_DELAY_MS = 6_000;
  /** What a cancelled message would add: one getting through shows at once. */
  static final int CANCELLED_N = 1_000_000;
  static final long SEED = 20_260_301L;
  /** Paced chunks: this many commands every PACE_MILLIS (5,120 commands over about 3 s, three checkpoints). */
  static final int PACE_SLICE = 64;
  static final long PACE_MILLIS = 40;
  /** The injected failure comes this many commands after the checkpoint it follows. */
  static final long FAIL_AFTER_EMITTING = 768;
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Duration WAIT = Duration.ofMinutes(3);

  /** The generated commands and what they add up to. */
  record Workload(List<FromFunction.Invocation> commands, Map<String, Long> expected, Set<String> expectedEgress, int cancelled) {}

  static String id(int i) {
    return String.format("id-%02d", i);
  }

  static FromFunction.Invocation command(String id, String json) {
    return StateFunCluster.message("smoke/cmd", id, TypedValues.json("smoke/Command", json));
  }

  static Workload workload() {
    Random random = new Random(SEED);
    List<FromFunction.Invocation> commands = new ArrayList<>();
    Map<String, Long> expected = new TreeMap<>();
    Set<String> egress = new HashSet<>();
    for (int i = 0; i < IDS; i++) expected.put(id(i), 0L);
    int cancelled = 0;
    while (commands.size() < COMMANDS) {
      int seq = commands.size();
      String self = id(random.nextInt(IDS));
      String to = id(random.nextInt(IDS));
      int n = 1 + random.nextInt(9);
      int kind = random.nextInt(100);
      if (kind < 40) {
        commands.add(command(self, "{\"op\":\"inc\",\"n\":" + n + "}"));
        expected.merge(self, (long) n, Long::sum);
      } else if (kind < 60) {
        commands.add(command(self, "{\"op\":\"send\",\"to\":\"" + to + "\",\"n\":" + n + "}"));
        expected.merge(to, (long) n, Long::sum);
      } else if (kind < 75) {
        int ms = 10 + random.nextInt(490);
        commands.add(command(self, "{\"op\":\"delay\",\"to\":\"" + to + "\",\"n\":" + n + ",\"ms\":" + ms + "}"));
        expected.merge(to, (long) n, Long::sum);
      } else if (kind < 80) {
        // A delayed message and, next, its cancellation (tokens are scoped to the sender's id).
        String token = "c" + seq;
        commands.add(command(self, "{\"op\":\"delayc\",\"to\":\"" + to + "\",\"n\":" + CANCELLED_N + ",\"ms\":" + CANCELLED_DELAY_MS
            + ",\"token\":\"" + token + "\"}"));
        commands.add(command(self, "{\"op\":\"cancel\",\"token\":\"" + token + "\"}"));
        cancelled++;
      } else {
        commands.add(command(self, "{\"op\":\"egress\",\"seq\":" + seq + "}"));
        egress.add(self + ":" + seq);
      }
    }
    return new Workload(commands, expected, egress, cancelled);
  }

  @Test
  @Timeout(value = 6, unit = TimeUnit.MINUTES)
  void statefunTs() throws Exception {
    run("smoke", "statefun-ts");
  }

  @Test
  @Timeout(value = 6, unit = TimeUnit.MINUTES)
  void officialSdkBaseline() throws Exception {
    run("smoke-official", "apache-flink-statefun 3.3.0");
  }

  private static void run(String endpoint, String sdk) throws Exception {
    Workload w = workload();
    List<FromFunction.Invocation> commands = w.commands();
    int chunk = commands.size() / CHUNKS;
    Map<String, Long> verified = new TreeMap<>();
    Map<String, Integer> egressSeen = new HashMap<>();
    String summary;
    try (StateFunCluster cluster = StateFunCluster.builder("smoke-" + endpoint)
        .endpoint("smoke/*", Endpoints.url(endpoint))
        .egress("smoke/out")
        .egress("smoke/reports")
        .parallelism(2)
        .checkpointInterval(Duration.ofSeconds(1))
        .restartAttempts(3, Duration.ofMillis(500))
        .start()) {
      Feed feed = cluster.feed();
      long began = System.nanoTime();

      // 1. A first chunk at once (its time is the SDKs' throughput measure), checkpointed.
      long chunk1 = timeChunk(cluster, commands.subList(0, chunk), 0);
      cluster.awaitCheckpointAtOrAfter(chunk, WAIT);

      // 2. The second chunk paced over a few checkpoints, and a task failure once a checkpoint has
      //    completed and more commands followed it: the job restores and the feed replays them.
      feed.failOnceAfterNextCheckpoint(FAIL_AFTER_EMITTING);
      appendPaced(feed, commands.subList(chunk, 2 * chunk));
      awaitRestore(cluster, WAIT);
      cluster.awaitCheckpointAtOrAfter(2L * chunk, WAIT);
      Feed.InjectedFailure injected = feed.injectedFailure();

      // 3. The third chunk paced, and meanwhile the endpoint killed, and started again once the
      //    runtime has failed to reach it.
      Thread pacer = new Thread(() -> appendPaced(feed, commands.subList(2 * chunk, 3 * chunk)), "smoke-pacer");
      pacer.start();
      long killedAt;
      long failedAttempts;
      try {
        awaitEmitted(cluster, 2L * chunk + chunk / 3, WAIT);
        long failuresBefore = cluster.functionCounter("smoke/cmd", "remoteInvocationFailures");
        killedAt = feed.emitted();
        Endpoints.kill(endpoint);
        try {
          cluster.awaitFunctionCounter("smoke/cmd", "remoteInvocationFailures", failuresBefore + 1, WAIT);
        } finally {
          Endpoints.start(endpoint);
        }
        failedAttempts = cluster.functionCounter("smoke/cmd", "remoteInvocationFailures") - failuresBefore;
      } finally {
        pacer.join();
      }
      cluster.awaitCheckpointAtOrAfter(3L * chunk, WAIT);

      // 4. The rest at once (timed too); then every command is in a completed checkpoint, and no failure follows.
      long chunk4 = timeChunk(cluster, commands.subList(3 * chunk, commands.size()), -1);
      cluster.awaitCheckpointAtOrAfter(feed.size(), WAIT);
      long processed = System.nanoTime();
      int restores = feed.restores();
      assertEquals(1, restores, "restores (the injected task failure only; the endpoint's restart is retried, not restored)");

      // A cancelled message would arrive within its delay of the last command: wait that out, then verify.
      TimeUnit.MILLISECONDS.sleep(CANCELLED_DELAY_MS + 500);
      int round = 0;
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (true) {
        round++;
        List<FromFunction.Invocation> verify = new ArrayList<>();
        for (String id : w.expected().keySet()) verify.add(command(id, "{\"op\":\"verify\",\"round\":" + round + "}"));
        int before = cluster.egressLog().count("smoke/reports");
        feed.append(verify);
        List<TypedValue> reports = cluster.awaitEgress("smoke/reports", before + IDS, WAIT);
        for (TypedValue r : reports.subList(before, reports.size())) {
          JsonNode n = JSON.readTree(EgressRecords.kafka(r).valueUtf8());
          if (n.get("round").asInt() == round) verified.put(n.get("id").asText(), n.get("count").asLong());
        }
        assertEquals(IDS, verified.size(), "ids verified in round " + round);
        boolean over = false;
        boolean under = false;
        for (Map.Entry<String, Long> e : w.expected().entrySet()) {
          long got = verified.get(e.getKey());
          over |= got > e.getValue();
          under |= got < e.getValue();
        }
        // Over-counting never heals: report it at once. Too few may be delayed messages still on their way.
        if (over || !under || System.nanoTime() > deadline) break;
        TimeUnit.MILLISECONDS.sleep(500);
      }
      long ended = System.nanoTime();
      for (TypedValue r : cluster.egressLog().records("smoke/out")) egressSeen.merge(EgressRecords.kafka(r).valueUtf8(), 1, Integer::sum);
      int checkpoints = feed.completedCheckpoints().size();
      cluster.stop();

      assertNotNull(injected, "the injected failure happened");
      assertTrue(injected.position() > injected.after().position() && feed.restoredPositions().get(0) < injected.position(),
          "the failure came after commands beyond the restored checkpoint, which were replayed: " + injected + ", restored at " + feed.restoredPositions());
      long duplicates = egressSeen.values().stream().mapToLong(c -> c - 1).sum();
      summary = String.format(
          "%s: %d ids, %d commands (%d cancelled delayed messages) + %d markers + %d verify, %d checkpoints completed; "
              + "task failure injected after checkpoint %d (feed position %d), thrown at position %d, restored %d time(s) at %s; "
              + "endpoint killed at feed position %d (%d failed attempts, retried, no restore); "
              + "verified %d/%d ids exact in round %d; egress records %d expected, %d distinct, %d duplicates (re-emitted after the restore); "
              + "unpaced chunks of %d commands: %d ms and %d ms; whole run %.1f s (%.1f s to the last checkpoint, then the %.1f s wait for cancelled messages and the verify)",
          sdk, IDS, commands.size(), w.cancelled(), 2 * IDS, IDS * round, checkpoints,
          injected.after().id(), injected.after().position(), injected.position(), restores, feed.restoredPositions(),
          killedAt, failedAttempts,
          countEqual(w.expected(), verified), IDS, round, w.expectedEgress().size(), egressSeen.size(), duplicates,
          chunk, chunk1, chunk4, (ended - began) / 1e9, (processed - began) / 1e9, (CANCELLED_DELAY_MS + 500) / 1e3);
    }
    Notes.write("exactly-once-smoke", summary);
    System.out.println(summary);
    assertEquals(w.expected(), verified, "every id's verified count (" + summary + ")");
    assertEquals(w.expectedEgress(), egressSeen.keySet(), "egress records (at least once, nothing else)");
  }

  /**
   * Appends commands, then a marker (a verify of round {@code markerRound}) per id, and returns
   * the ms until every marker's report arrived: each id has then run all its commands of the
   * chunk (what they sent on may still be on its way).
   */
  private static long timeChunk(StateFunCluster cluster, List<FromFunction.Invocation> commands, int markerRound) throws Exception {
    long start = System.nanoTime();
    List<FromFunction.Invocation> all = new ArrayList<>(commands);
    for (int i = 0; i < IDS; i++) all.add(command(id(i), "{\"op\":\"verify\",\"round\":" + markerRound + "}"));
    cluster.feed().append(all);
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (true) {
      List<TypedValue> reports = cluster.egressLog().records("smoke/reports");
      long markers = 0;
      for (TypedValue r : reports) {
        if (JSON.readTree(EgressRecords.kafka(r).valueUtf8()).get("round").asInt() == markerRound) markers++;
      }
      if (markers >= IDS) return (System.nanoTime() - start) / 1_000_000;
      if (System.nanoTime() > deadline) throw new AssertionError("markers of round " + markerRound + ": " + markers + " of " + IDS);
      // Wait for a record beyond those just counted.
      cluster.awaitEgress("smoke/reports", reports.size() + 1, WAIT);
    }
  }

  /** Appends commands {@value #PACE_SLICE} at a time every {@value #PACE_MILLIS} ms: a steady stream across checkpoints. */
  private static void appendPaced(Feed feed, List<FromFunction.Invocation> commands) {
    try {
      for (int i = 0; i < commands.size(); i += PACE_SLICE) {
        feed.append(commands.subList(i, Math.min(commands.size(), i + PACE_SLICE)));
        TimeUnit.MILLISECONDS.sleep(PACE_MILLIS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted while feeding", e);
    }
  }

  private static long countEqual(Map<String, Long> expected, Map<String, Long> verified) {
    return expected.entrySet().stream().filter(e -> e.getValue().equals(verified.get(e.getKey()))).count();
  }

  private static void awaitRestore(StateFunCluster cluster, Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (cluster.feed().restores() < 1) {
      if (cluster.terminated()) throw new AssertionError("the job ended instead of restoring: " + StateFunCluster.describe(cluster.failure()));
      if (System.nanoTime() > deadline) {
        throw new AssertionError("no restore within " + timeout.toSeconds() + " s of arming the failure (injected: " + cluster.feed().injectedFailure()
            + ", checkpoints " + cluster.feed().completedCheckpoints().size() + ")");
      }
      TimeUnit.MILLISECONDS.sleep(20);
    }
  }

  private static void awaitEmitted(StateFunCluster cluster, long position, Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (cluster.feed().emitted() < position) {
      if (cluster.terminated()) throw new AssertionError("the job ended: " + StateFunCluster.describe(cluster.failure()));
      if (System.nanoTime() > deadline) throw new AssertionError("the feed emitted " + cluster.feed().emitted() + " of " + position + " within " + timeout.toSeconds() + " s");
      TimeUnit.MILLISECONDS.sleep(5);
    }
  }
}
