package statefunts.cluster;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Properties;
import java.util.TreeSet;

/**
 * The Node endpoints that `npm run test:cluster` (test/cluster/run.ts) started for this run, and
 * its control server, which kills and restarts them on request. The runner passes:
 *
 * <ul>
 *   <li>{@code statefun.endpoint.<name>}: the function URL of endpoint {@code name};
 *   <li>{@code statefun.recording.<name>}: the JSON-lines file where a recording endpoint
 *       appends every exchange (request headers and body, reply);
 *   <li>{@code statefun.control}: the control server's base URL.
 * </ul>
 */
public final class Endpoints {
  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  private Endpoints() {}

  /** The function URL of endpoint {@code name} (for module.yaml's urlPathTemplate). */
  public static String url(String name) {
    return required("statefun.endpoint." + name, "endpoint \"" + name + "\"");
  }

  /** Where the recording endpoint {@code name} writes its exchanges. */
  public static Path recording(String name) {
    return Path.of(required("statefun.recording." + name, "recording of endpoint \"" + name + "\""));
  }

  /** Kills endpoint {@code name}'s process (SIGKILL: no graceful shutdown) and waits for it to exit. */
  public static void kill(String name) throws IOException, InterruptedException {
    control(name, "kill");
  }

  /** Starts endpoint {@code name} again, on the same port, and waits until it listens. */
  public static void start(String name) throws IOException, InterruptedException {
    control(name, "start");
  }

  /** {@link #kill} then {@link #start}. */
  public static void restart(String name) throws IOException, InterruptedException {
    control(name, "restart");
  }

  private static void control(String name, String action) throws IOException, InterruptedException {
    String base = required("statefun.control", "control server");
    HttpRequest request =
        HttpRequest.newBuilder(URI.create(base + "/endpoints/" + name + "/" + action))
            .timeout(Duration.ofSeconds(60))
            .POST(HttpRequest.BodyPublishers.noBody())
            .build();
    HttpResponse<String> response = HTTP.send(request, HttpResponse.BodyHandlers.ofString());
    if (response.statusCode() != 200) {
      throw new AssertionError(action + " of endpoint " + name + " failed: HTTP " + response.statusCode() + ": " + response.body());
    }
  }

  private static String required(String property, String what) {
    String value = System.getProperty(property);
    if (value == null || value.isEmpty()) {
      TreeSet<String> known = new TreeSet<>();
      Properties props = System.getProperties();
      for (String key : props.stringPropertyNames()) {
        if (key.startsWith("statefun.endpoint.") || key.equals("statefun.control")) known.add(key);
      }
      throw new AssertionError(
          "no " + what + " (system property " + property + "): run these tests through `npm run test:cluster`, "
              + "which starts the Node endpoints and passes their URLs; given: " + known);
    }
    return value;
  }
}
