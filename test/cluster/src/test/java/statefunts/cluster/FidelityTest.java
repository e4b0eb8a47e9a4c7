package statefunts.cluster;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * LocalRuntime measured against the real runtime (fidelity.ts, fidelity-app.ts): a scenario runs
 * here at parallelism 1 while the endpoint records every exchange, then fidelity.ts runs the
 * same scenario through LocalRuntime and compares the two, address by address. The test fails
 * on any difference but those timing may cause (where batches are cut, the order of states
 * within a request, the interleaving of different callers), which it prints as notes.
 */
class FidelityTest {
  private static final String ENDPOINT = "fidelity";
  private static final Duration WAIT = Duration.ofSeconds(60);

  private static String node(String... args) throws IOException, InterruptedException {
    List<String> command = new ArrayList<>();
    command.add(required("statefun.node"));
    command.add(Path.of(required("statefun.dist"), "fidelity.js").toString());
    command.addAll(List.of(args));
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    byte[] out = p.getInputStream().readAllBytes();
    if (!p.waitFor(2, TimeUnit.MINUTES)) {
      p.destroyForcibly();
      throw new AssertionError("fidelity.js " + String.join(" ", args) + " did not finish within 2 min");
    }
    String text = new String(out, StandardCharsets.UTF_8);
    if (p.exitValue() != 0) throw new AssertionError("fidelity.js " + String.join(" ", args) + " exited " + p.exitValue() + ":\n" + text);
    return text;
  }

  private static String required(String property) {
    String v = System.getProperty(property);
    if (v == null || v.isEmpty()) throw new AssertionError("no system property " + property + ": run through `npm run test:cluster`");
    return v;
  }

  private static void scenario(String name) throws Exception {
    Recording recording = Recording.from(ENDPOINT);
    String plan = node("plan", name);
    try (StateFunCluster cluster = StateFunCluster.builder("fidelity-" + name)
        .endpoint("fid/*", Endpoints.url(ENDPOINT))
        .egress("fid/out")
        .egress("fid/kinesis")
        .parallelism(1)
        .start()) {
      for (String line : plan.split("\n")) {
        if (line.isBlank()) continue;
        String[] f = line.split(" ");
        switch (f[0]) {
          case "send" -> cluster.send(f[1], f[2], TypedValues.of(f[3], ByteString.copyFrom(Base64.getDecoder().decode(f.length > 4 ? f[4] : ""))));
          case "await" -> cluster.awaitEgress(f[1], Integer.parseInt(f[2]), WAIT);
          default -> throw new AssertionError("fidelity.js plan: unknown step " + line);
        }
      }
      cluster.stop();
    }
    String report;
    try {
      report = node("compare", name, recording.file().toString(), Long.toString(recording.lines()));
    } catch (AssertionError e) {
      Notes.write("fidelity", e.getMessage());
      throw e;
    }
    for (String line : report.split("\n")) Notes.write("fidelity", line);
    System.out.println(report);
    assertTrue(report.startsWith("scenario " + name + ": 0 difference(s)"), report);
  }

  @Test
  @Timeout(value = 3, unit = TimeUnit.MINUTES)
  void messagingTimersAndTtlSpecs() throws Exception {
    scenario("messaging");
  }

  @Test
  @Timeout(value = 3, unit = TimeUnit.MINUTES)
  void fanOutRepliesDeletesAndDefaults() throws Exception {
    scenario("fanout");
  }
}
