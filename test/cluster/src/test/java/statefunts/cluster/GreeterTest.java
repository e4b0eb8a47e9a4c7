package statefunts.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.apache.flink.statefun.sdk.reqreply.generated.TypedValue;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * examples/greeter through the real runtime: example/person counts each person's visits in
 * its state and asks example/greeter for a greeting, which goes to the Kafka egress
 * example/greets (topic "greetings", key the person's name).
 */
class GreeterTest {
  private static final String ENDPOINT = "greeter";
  private static final String EGRESS = "example/greets";
  private static final int PEOPLE = 50;
  private static final int VISITS = 10;

  /** examples/greeter/functions.ts greeting(name, visits). */
  static String greeting(String name, int visits) {
    if (visits == 1) return "Hello " + name + "! Nice to meet you.";
    if (visits == 2) return "Hello again " + name + "! Second time today.";
    return "Welcome back " + name + ", visit number " + visits + ".";
  }

  static List<String> people() {
    List<String> names = new ArrayList<>();
    for (int i = 0; i < PEOPLE; i++) {
      // A few names beyond ASCII, and one with characters JSON must escape.
      String base = switch (i % 10) {
        case 3 -> "Zoë";
        case 7 -> "Łukasz \"Luk\" Ś";
        default -> "person";
      };
      names.add(base + "-" + String.format("%02d", i));
    }
    return names;
  }

  private static StateFunCluster start(String job) throws Exception {
    return StateFunCluster.builder(job)
        .endpoint("example/*", Endpoints.url(ENDPOINT))
        .egress(EGRESS)
        .parallelism(2)
        .checkpointInterval(Duration.ofSeconds(1))
        .start();
  }

  /** Everyone's visits {@code from}..{@code to}, interleaved: everyone's first, then everyone's second, ... */
  private static void visit(StateFunCluster cluster, int from, int to) {
    for (int visit = from; visit <= to; visit++) {
      for (String name : people()) {
        cluster.send("example/person", name,
            TypedValues.json("example/GreetRequest", "{\"name\":" + TypedValues.jsonString(name) + "}"));
      }
    }
  }

  /** Exactly VISITS greetings per person, in visit order, nothing else. */
  private static void assertGreetings(List<TypedValue> records) {
    Map<String, List<String>> byKey = new TreeMap<>();
    for (TypedValue record : records) {
      EgressRecords.Kafka kafka = EgressRecords.kafka(record);
      assertEquals("greetings", kafka.topic(), () -> "topic of " + TypedValues.describe(record));
      byKey.computeIfAbsent(kafka.key(), k -> new ArrayList<>()).add(kafka.valueUtf8());
    }
    Map<String, List<String>> expected = new LinkedHashMap<>();
    for (String name : people()) {
      List<String> texts = new ArrayList<>();
      for (int visit = 1; visit <= VISITS; visit++) texts.add(greeting(name, visit));
      expected.put(name, texts);
    }
    assertEquals(new TreeMap<>(expected).keySet(), byKey.keySet(), "record keys (one per person)");
    for (String name : people()) {
      // One person's greetings come from one greeter instance, in visit order.
      assertEquals(expected.get(name), byKey.get(name), "greetings of " + name + ", in order");
    }
    assertEquals(PEOPLE * VISITS, records.size(), "records on " + EGRESS);
  }

  @Test
  @Timeout(value = 5, unit = TimeUnit.MINUTES)
  void fiftyPeopleTenVisitsEachGreetedExactly() throws Exception {
    List<TypedValue> records;
    try (StateFunCluster cluster = start("greeter")) {
      visit(cluster, 1, VISITS);
      cluster.awaitEgress(EGRESS, PEOPLE * VISITS, Duration.ofMinutes(3));
      // Checkpoints complete with the whole feed consumed (the job's state is checkpointed).
      Feed.Checkpoint checkpoint = cluster.awaitCheckpointAtOrAfter(PEOPLE * VISITS, Duration.ofMinutes(1));
      assertEquals(PEOPLE * VISITS, checkpoint.position(), "feed position in the checkpoint");
      cluster.stop();
      // Read after the job stopped: nothing more arrived than expected (no duplicates, no strays).
      records = cluster.egressLog().records(EGRESS);
    }
    assertGreetings(records);
  }

  /**
   * The endpoint process is killed (SIGKILL) while messages keep coming, and started again on
   * the same port once the runtime has failed to reach it: the runtime retries (no job
   * restart), and every greeting is still exact.
   */
  @Test
  @Timeout(value = 5, unit = TimeUnit.MINUTES)
  void endpointKilledAndRestartedMidRunStillGreetsExactly() throws Exception {
    List<TypedValue> records;
    long failedAttempts;
    int restores;
    try (StateFunCluster cluster = start("greeter-restart")) {
      visit(cluster, 1, VISITS / 2);
      cluster.awaitEgress(EGRESS, PEOPLE * VISITS / 2, Duration.ofMinutes(3));
      Endpoints.kill(ENDPOINT);
      try {
        visit(cluster, VISITS / 2 + 1, VISITS);
        cluster.awaitFunctionCounter("example/person", "remoteInvocationFailures", 1, Duration.ofMinutes(1));
      } finally {
        Endpoints.start(ENDPOINT);
      }
      cluster.awaitEgress(EGRESS, PEOPLE * VISITS, Duration.ofMinutes(3));
      failedAttempts = cluster.functionCounter("example/person", "remoteInvocationFailures");
      restores = cluster.feed().restores();
      cluster.stop();
      records = cluster.egressLog().records(EGRESS);
    }
    assertTrue(failedAttempts >= 1, "the runtime tried the killed endpoint");
    assertEquals(0, restores, "the job was not restarted: the runtime retried the requests");
    assertGreetings(records);
  }
}
