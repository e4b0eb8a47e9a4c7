package statefunts.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.databind.JsonNode;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.flink.statefun.sdk.reqreply.generated.ToFunction;
import org.apache.flink.statefun.sdk.reqreply.generated.TypedValue;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * State TTLs of 2 s (apps.ts "ttl") in the real runtime, as LocalRuntime models them (store.ts):
 * a value expires once {@code ttl} ms have passed since it was written (expireAfterWrite) or
 * since it was last written or sent with a request (expireAfterCall: every request carries every
 * state, so every invocation of the address counts). Each function has ids probed at gaps around
 * the TTL; whether the probe's request carried the value (and what the function read) must
 * match the rule, except within {@link #MARGIN_MS} of the boundary, where it is only reported.
 */
class StateTtlTest {
  private static final String ENDPOINT = "ttl";
  private static final long TTL_MS = 2_000;
  /** Time between the runtime touching a state and the proxy recording the request, either way. */
  private static final long MARGIN_MS = 75;
  private static final long[] GAPS = {1_700, 1_900, 1_980, 2_020, 2_100, 2_300};
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Duration WAIT = Duration.ofSeconds(60);

  private static TypedValue string(String s) {
    return TypedValues.of("io.statefun.types/string", ByteString.copyFrom(ShowcaseTest.stringWrapper(s)));
  }

  private static void sleepUntil(long epochMillis) throws InterruptedException {
    long left = epochMillis - System.currentTimeMillis();
    if (left > 0) TimeUnit.MILLISECONDS.sleep(left);
  }

  private record Probe(String fn, String id, long gap) {
    String target() {
      return fn + "(" + id + ")";
    }
  }

  private static Recording.Exchange resultWith(Recording recording, Probe p, String text) throws InterruptedException {
    ByteString arg = ByteString.copyFrom(ShowcaseTest.stringWrapper(text));
    return recording.await(text + " at " + p.target(), 1,
        e -> e.isResult() && e.target().equals(p.target()) && e.invocations().stream().anyMatch(i -> i.getArgument().getValue().equals(arg)),
        WAIT).get(0);
  }

  private static boolean carriesValue(Recording.Exchange e) {
    ToFunction.PersistedValue v = e.state("v");
    return v != null && v.hasStateValue();
  }

  @Test
  @Timeout(value = 3, unit = TimeUnit.MINUTES)
  void expireAfterWriteAndAfterCallExpireAsLocalRuntimeSays() throws Exception {
    Recording recording = Recording.from(ENDPOINT);
    List<Probe> probes = new ArrayList<>();
    for (String fn : List.of("ttl/after-write", "ttl/after-call")) for (long gap : GAPS) probes.add(new Probe(fn, "gap" + gap, gap));
    List<String> lines = new ArrayList<>();
    List<String> wrong = new ArrayList<>();
    try (StateFunCluster cluster = StateFunCluster.builder("state-ttl")
        .endpoint("ttl/*", Endpoints.url(ENDPOINT))
        .egress("ttl/reports")
        .parallelism(1)
        .start()) {
      for (Probe p : probes) cluster.send(p.fn(), p.id(), string("set:x"));
      Map<Probe, Recording.Exchange> set = new HashMap<>();
      for (Probe p : probes) set.put(p, resultWith(recording, p, "set:x"));
      // A read 1 s after the write: it refreshes expireAfterCall only.
      long latestSet = set.values().stream().mapToLong(Recording.Exchange::at).max().orElseThrow();
      sleepUntil(latestSet + 1_000);
      for (Probe p : probes) cluster.send(p.fn(), p.id(), string("get:mid"));
      Map<Probe, Recording.Exchange> mid = new HashMap<>();
      for (Probe p : probes) mid.put(p, resultWith(recording, p, "get:mid"));
      // Each probe at its gap after the touch that counts: the write, or for expireAfterCall the last call.
      List<Probe> byTime = new ArrayList<>(probes);
      Map<Probe, Long> touch = new HashMap<>();
      for (Probe p : probes) touch.put(p, (p.fn().equals("ttl/after-write") ? set : mid).get(p).at());
      byTime.sort((a, b) -> Long.compare(touch.get(a) + a.gap(), touch.get(b) + b.gap()));
      for (Probe p : byTime) {
        sleepUntil(touch.get(p) + p.gap());
        cluster.send(p.fn(), p.id(), string("get:probe"));
      }
      Map<Probe, Recording.Exchange> probe = new HashMap<>();
      for (Probe p : probes) probe.put(p, resultWith(recording, p, "get:probe"));
      List<TypedValue> reports = cluster.awaitEgress("ttl/reports", probes.size() * 2, WAIT);
      cluster.stop();

      Map<String, String> reported = new HashMap<>();
      for (TypedValue r : reports) {
        EgressRecords.Kafka k = EgressRecords.kafka(r);
        JsonNode n = JSON.readTree(k.valueUtf8());
        reported.put(n.get("fn").asText() + "(" + k.key() + ") " + n.get("tag").asText(), n.get("v").isNull() ? "null" : n.get("v").asText());
      }
      for (Probe p : probes) {
        Recording.Exchange m = mid.get(p);
        assertTrue(carriesValue(m), p.target() + ": the value is there 1 s after the write");
        assertEquals("x", reported.get(p.target() + " mid"), p.target() + ": what the function read 1 s after the write");
        Recording.Exchange e = probe.get(p);
        Recording.Exchange from = p.fn().equals("ttl/after-write") ? set.get(p) : m;
        // The runtime stamps the state between the request it read it for (or the reply it wrote it with) and ...
        long earliest = e.at() - (from.at() + from.ms());
        long latest = e.at() - from.at();
        boolean present = carriesValue(e);
        assertEquals(present ? "x" : "null", reported.get(p.target() + " probe"), p.target() + ": the function reads what the request carried");
        String expected = latest < TTL_MS - MARGIN_MS ? "present" : earliest >= TTL_MS + MARGIN_MS ? "expired" : "either";
        String seen = present ? "present" : "expired";
        String line = String.format("%s: probed %d..%d ms after the %s: %s (rule: %s)", p.target(), earliest, latest,
            p.fn().equals("ttl/after-write") ? "write" : "last call", seen, expected);
        lines.add(line);
        if (!expected.equals("either") && !expected.equals(seen)) wrong.add(line);
      }
    }
    lines.forEach(l -> Notes.write("state-ttl", l));
    lines.forEach(System.out::println);
    assertEquals(List.of(), wrong, "probes that disagree with the TTL rule");
    // Each mode was seen both ways (the gaps straddle the TTL).
    for (String fn : List.of("ttl/after-write", "ttl/after-call")) {
      assertTrue(lines.stream().anyMatch(l -> l.startsWith(fn) && l.contains(": present")), fn + " kept a value younger than its TTL");
      assertTrue(lines.stream().anyMatch(l -> l.startsWith(fn) && l.contains(": expired")), fn + " expired a value older than its TTL");
    }
  }
}
