package statefunts.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.databind.JsonNode;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.flink.statefun.sdk.reqreply.generated.TypedValue;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * examples/shopping-cart through the real runtime (apps.ts "cart": carts abandoned after
 * {@link #ABANDON_AFTER_MS}): restock, add, remove and checkout produce exact receipts on the
 * Kafka egress example/receipts; an abandoned cart's reservations are released by its delayed
 * message, and re-arming the timer cancelled the first one. What inventories hold is seen
 * through later carts: a reservation succeeds only if the stock is there.
 */
class ShoppingCartTest {
  private static final String ENDPOINT = "cart";
  private static final String RECEIPTS = "example/receipts";
  /** apps.ts CLUSTER_ABANDON_AFTER_MS. */
  private static final long ABANDON_AFTER_MS = 2_000;
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Duration WAIT = Duration.ofSeconds(60);

  private static void restock(StateFunCluster cluster, String item, int quantity) {
    cluster.send("example/inventory", item, TypedValues.json("example/Restock", "{\"quantity\":" + quantity + "}"));
  }

  private static void command(StateFunCluster cluster, String user, String json) {
    cluster.send("example/cart", user, TypedValues.json("example/CartCommand", json));
  }

  private static void add(StateFunCluster cluster, String user, String item, int quantity) {
    command(cluster, user, "{\"type\":\"add\",\"item\":\"" + item + "\",\"quantity\":" + quantity + "}");
  }

  /** A receipt as {user, items by name}: the items' order is the order reservations came back in, which varies. */
  private static String receipt(TypedValue record) throws Exception {
    EgressRecords.Kafka kafka = EgressRecords.kafka(record);
    assertEquals("receipts", kafka.topic(), "receipt topic");
    JsonNode r = JSON.readTree(kafka.valueUtf8());
    assertEquals(kafka.key(), r.get("user").asText(), "receipt key is the user");
    Map<String, Integer> items = new TreeMap<>();
    for (JsonNode line : r.get("items")) items.put(line.get("item").asText(), line.get("quantity").asInt());
    assertEquals(2, r.size(), () -> "receipt fields: " + r);
    return r.get("user").asText() + " " + items;
  }

  /** Reservation answers that reached {@code user}'s cart, counted over all batches. */
  private static long reservationsAt(Recording recording, String user) {
    return recording.matching(e -> e.isResult() && e.target().equals("example/cart(" + user + ")")).stream()
        .flatMap(e -> e.invocations().stream())
        .filter(i -> i.getArgument().getTypename().equals("example/Reservation"))
        .count();
  }

  private static void awaitReservations(Recording recording, String user, long count) throws InterruptedException {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (reservationsAt(recording, user) < count) {
      if (System.nanoTime() > deadline) throw new AssertionError("timed out waiting for " + count + " reservation answers at " + user + "'s cart");
      TimeUnit.MILLISECONDS.sleep(20);
    }
  }

  @Test
  @Timeout(value = 3, unit = TimeUnit.MINUTES)
  void restockAddRemoveCheckoutAndAnAbandonedCart() throws Exception {
    Recording recording = Recording.from(ENDPOINT);
    List<String> receipts = new ArrayList<>();
    try (StateFunCluster cluster = StateFunCluster.builder("shopping-cart")
        .endpoint("example/*", Endpoints.url(ENDPOINT))
        .egress(RECEIPTS)
        .parallelism(2)
        .start()) {
      for (String[] r : new String[][] {{"apple", "10"}, {"pear", "3"}, {"fig", "5"}, {"kiwi", "5"}}) restock(cluster, r[0], Integer.parseInt(r[1]));
      for (String item : List.of("apple", "pear", "fig", "kiwi")) {
        recording.await("restock of " + item, 1, Recording.resultAt("example/inventory(" + item + ")", "example/Restock"), WAIT);
      }

      // ann reserves three items, gives one back, and checks out the rest.
      add(cluster, "ann", "apple", 4);
      add(cluster, "ann", "pear", 1);
      add(cluster, "ann", "fig", 2);
      awaitReservations(recording, "ann", 3);
      command(cluster, "ann", "{\"type\":\"remove\",\"item\":\"fig\"}");
      command(cluster, "ann", "{\"type\":\"checkout\"}");
      receipts.add(receipt(cluster.awaitEgress(RECEIPTS, 1, WAIT).get(0)));

      // bob cannot have 5 pears (2 are left after ann's), then takes the 2 that are.
      add(cluster, "bob", "pear", 5);
      awaitReservations(recording, "bob", 1);
      add(cluster, "bob", "pear", 2);
      awaitReservations(recording, "bob", 2);
      command(cluster, "bob", "{\"type\":\"checkout\"}");
      receipts.add(receipt(cluster.awaitEgress(RECEIPTS, 2, WAIT).get(1)));

      // dee reserves 2 kiwis, and 1 more a second later, which re-arms the abandonment timer.
      add(cluster, "dee", "kiwi", 2);
      Recording.Exchange first = recording.await("dee's first add", 1, e -> e.isResult() && e.target().equals("example/cart(dee)"), WAIT).get(0);
      // The scenario's own time: the second change comes while the first timer is pending.
      TimeUnit.MILLISECONDS.sleep(ABANDON_AFTER_MS / 2);
      add(cluster, "dee", "kiwi", 1);
      Recording.Exchange abandon = recording.await("dee's abandonment", 1, Recording.resultAt("example/cart(dee)", "example/Abandon"), WAIT).get(0);
      List<Recording.Exchange> deeRequests = recording.matching(e -> e.isResult() && e.target().equals("example/cart(dee)"));
      // The request that carried the second add: the last one before the abandonment with an ingress command.
      Recording.Exchange second = deeRequests.stream()
          .filter(e -> e.seq() > first.seq() && e.seq() < abandon.seq() && e.hasArgument("example/CartCommand"))
          .reduce((a, b) -> b)
          .orElseThrow(() -> new AssertionError("no recorded request carried dee's second add"));
      long sinceFirst = abandon.at() - first.at();
      long sinceSecond = abandon.at() - second.at();
      // The delay counts from when the runtime applied the reply, a few ms after the request was recorded.
      assertTrue(sinceSecond >= ABANDON_AFTER_MS - 20,
          "the abandonment came " + sinceSecond + " ms after the second add, " + sinceFirst + " ms after the first: the first timer was not cancelled");
      assertTrue(sinceSecond < ABANDON_AFTER_MS + 1_000, "the abandonment came " + sinceSecond + " ms after the second add");

      // eve can have all 5 kiwis only if dee's 3 were released.
      add(cluster, "eve", "kiwi", 5);
      awaitReservations(recording, "eve", 1);
      command(cluster, "eve", "{\"type\":\"checkout\"}");
      receipts.add(receipt(cluster.awaitEgress(RECEIPTS, 3, WAIT).get(2)));
      cluster.awaitCheckpointAtOrAfter(cluster.feed().size(), WAIT);
      cluster.stop();
      assertEquals(3, cluster.egressLog().count(RECEIPTS), "receipts after the job stopped");
      long abandonments = recording.matching(Recording.resultAt("example/cart(dee)", "example/Abandon")).stream()
          .flatMap(e -> e.invocations().stream())
          .filter(i -> i.getArgument().getTypename().equals("example/Abandon"))
          .count();
      assertEquals(1, abandonments, "abandonment messages delivered to dee (the re-armed timer's only)");
      System.out.printf("shopping cart: abandonment %d ms after the second add (%d ms after the first), delay %d ms%n", sinceSecond, sinceFirst, ABANDON_AFTER_MS);
      Notes.write("shopping-cart", String.format("abandonment delivered %d ms after the re-arming add (%d ms after the first add); configured %d ms", sinceSecond, sinceFirst, ABANDON_AFTER_MS));
    }
    assertEquals(List.of("ann {apple=4, pear=1}", "bob {pear=2}", "eve {kiwi=5}"), receipts, "receipts, in order");
  }
}
