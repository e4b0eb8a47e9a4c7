package statefunts.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * What the runtime does with our 400, 404 and 500 answers under both HTTP transports (apps.ts
 * "status": serve()'s own answers, the 400 provoked by a front that corrupts the body). One job
 * per case, restart strategy none, a 2 s call timeout: a job that fails at once failed on the
 * first attempt; one that retries fails when the call timeout is spent, after many attempts.
 */
class StatusPolicyTest {
  private static final String ENDPOINT = "status";
  private static final long CALL_TIMEOUT_MS = 2_000;

  enum Outcome {
    /** The job failed on the first answer. */
    FAILED_AT_ONCE,
    /** The request was retried with backoff until the call timeout, then the job failed. */
    RETRIED_UNTIL_CALL_TIMEOUT
  }

  // What StateFun 3.3.0 does (observed; the README's status-code section says the same).

  @Test
  @Timeout(value = 2, unit = TimeUnit.MINUTES)
  void async400RetriedUntilTheCallTimeout() throws Exception {
    statusAnswer("async", 400, "malformed", Outcome.RETRIED_UNTIL_CALL_TIMEOUT);
  }

  @Test
  @Timeout(value = 2, unit = TimeUnit.MINUTES)
  void async404RetriedUntilTheCallTimeout() throws Exception {
    statusAnswer("async", 404, "unbound", Outcome.RETRIED_UNTIL_CALL_TIMEOUT);
  }

  @Test
  @Timeout(value = 2, unit = TimeUnit.MINUTES)
  void async500RetriedUntilTheCallTimeout() throws Exception {
    statusAnswer("async", 500, "fails", Outcome.RETRIED_UNTIL_CALL_TIMEOUT);
  }

  @Test
  @Timeout(value = 2, unit = TimeUnit.MINUTES)
  void okhttp400FailsTheJobAtOnce() throws Exception {
    statusAnswer("okhttp", 400, "malformed", Outcome.FAILED_AT_ONCE);
  }

  @Test
  @Timeout(value = 2, unit = TimeUnit.MINUTES)
  void okhttp404FailsTheJobAtOnce() throws Exception {
    statusAnswer("okhttp", 404, "unbound", Outcome.FAILED_AT_ONCE);
  }

  @Test
  @Timeout(value = 2, unit = TimeUnit.MINUTES)
  void okhttp500RetriedUntilTheCallTimeout() throws Exception {
    statusAnswer("okhttp", 500, "fails", Outcome.RETRIED_UNTIL_CALL_TIMEOUT);
  }

  private static Map<String, String> transport(String name) {
    Map<String, String> t = new LinkedHashMap<>();
    t.put("type", "io.statefun.transports.v1/" + name);
    if (name.equals("async")) {
      t.put("call", CALL_TIMEOUT_MS + "ms");
      t.put("connect", "1s");
    } else {
      t.put("timeouts.call", CALL_TIMEOUT_MS + "ms");
      t.put("timeouts.connect", "1s");
      t.put("timeouts.read", "1s");
      t.put("timeouts.write", "1s");
    }
    return t;
  }

  private static void statusAnswer(String transportName, int status, String function, Outcome expected) throws Exception {
    Recording recording = Recording.from(ENDPOINT);
    Throwable failure;
    long failedAt;
    List<Recording.Exchange> attempts;
    long failures;
    try (StateFunCluster cluster = StateFunCluster.builder("status-" + transportName + "-" + status)
        .endpoint("status/*", Endpoints.url(ENDPOINT) + "/{function.name}", null, transport(transportName))
        .parallelism(1)
        .start()) {
      cluster.send("status/" + function, "x", TypedValues.of("io.statefun.types/string", ByteString.copyFromUtf8("")));
      failure = cluster.awaitJobFailure(Duration.ofSeconds(60));
      failedAt = System.currentTimeMillis();
      failures = cluster.functionCounter("status/" + function, "remoteInvocationFailures");
      attempts = recording.matching(e -> e.url().equals("/status/" + function));
    }
    assertTrue(!attempts.isEmpty(), "the runtime sent no request");
    for (Recording.Exchange a : attempts) assertEquals(status, a.status(), () -> "the answer to attempt " + a.seq() + ": " + a.replyText());
    long spent = failedAt - attempts.get(0).at();
    Outcome seen = attempts.size() == 1 ? Outcome.FAILED_AT_ONCE : Outcome.RETRIED_UNTIL_CALL_TIMEOUT;
    String summary = String.format("%s transport, HTTP %d: %s: %d attempt(s), remoteInvocationFailures %d, job failed %d ms after the first; %s",
        transportName, status, seen, attempts.size(), failures, spent, StateFunCluster.describe(failure).lines().reduce((a, b) -> b).orElse(""));
    Notes.write("status-policy", summary);
    System.out.println(summary);
    assertEquals(expected, seen, summary);
    if (seen == Outcome.RETRIED_UNTIL_CALL_TIMEOUT) {
      // Retried for the whole call timeout (and not much longer), with backoff: a few dozen attempts at most.
      assertTrue(spent >= CALL_TIMEOUT_MS - 100 && spent < CALL_TIMEOUT_MS + 5_000, summary);
      assertTrue(attempts.size() >= 3, summary);
    } else {
      assertTrue(spent < CALL_TIMEOUT_MS, summary);
    }
  }
}
