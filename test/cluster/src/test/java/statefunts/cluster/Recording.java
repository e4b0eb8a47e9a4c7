package statefunts.cluster;

import com.google.protobuf.InvalidProtocolBufferException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.databind.JsonNode;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.flink.statefun.sdk.reqreply.generated.Address;
import org.apache.flink.statefun.sdk.reqreply.generated.FromFunction;
import org.apache.flink.statefun.sdk.reqreply.generated.ToFunction;
import org.apache.flink.statefun.sdk.reqreply.generated.TypedValue;

/**
 * The exchanges a recording endpoint (endpoint.ts) wrote, one JSON line each, read from a line
 * on: a test notes {@link #lines()} before it starts its job and reads only what came after.
 */
public final class Recording {
  private static final ObjectMapper JSON = new ObjectMapper();

  private final Path file;
  private final long from;

  private Recording(Path file, long from) {
    this.file = file;
    this.from = from;
  }

  /** The recording of endpoint {@code name}, from its current end on (what happens next). */
  public static Recording from(String endpointName) {
    Path file = Endpoints.recording(endpointName);
    return new Recording(file, countLines(file));
  }

  /** The recording file. */
  public Path file() {
    return file;
  }

  /** How many lines the file had when this view began. */
  public long lines() {
    return from;
  }

  private static long countLines(Path file) {
    try {
      return Files.readAllLines(file, StandardCharsets.UTF_8).stream().filter(l -> !l.isBlank()).count();
    } catch (NoSuchFileException e) {
      return 0;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** One recorded request and its reply. */
  public record Exchange(long seq, long at, long ms, String url, int status, ToFunction request, FromFunction reply, String replyText) {
    /** The batch's target, {@code namespace/type(id)}. */
    public String target() {
      return describe(request.getInvocation().getTarget());
    }

    public String targetType() {
      Address a = request.getInvocation().getTarget();
      return a.getNamespace() + "/" + a.getType();
    }

    public String targetId() {
      return request.getInvocation().getTarget().getId();
    }

    public List<ToFunction.Invocation> invocations() {
      return request.getInvocation().getInvocationsList();
    }

    /** Whether the reply is an invocation result (not the missing-state handshake, not an error). */
    public boolean isResult() {
      return reply != null && reply.hasInvocationResult();
    }

    /** The state {@code name} as the request carried it; null when not carried at all. */
    public ToFunction.PersistedValue state(String name) {
      for (ToFunction.PersistedValue v : request.getInvocation().getStateList()) {
        if (v.getStateName().equals(name)) return v;
      }
      return null;
    }

    /** Whether some invocation of the batch has an argument of {@code typename}. */
    public boolean hasArgument(String typename) {
      return invocations().stream().anyMatch(i -> i.getArgument().getTypename().equals(typename));
    }
  }

  static String describe(Address a) {
    return a.getNamespace() + "/" + a.getType() + "(" + a.getId() + ")";
  }

  /** Every exchange recorded since this view began, in the order they were written. */
  public List<Exchange> exchanges() {
    List<String> all;
    try {
      all = Files.readAllLines(file, StandardCharsets.UTF_8);
    } catch (NoSuchFileException e) {
      return List.of();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    List<Exchange> out = new ArrayList<>();
    long index = 0;
    for (String line : all) {
      if (line.isBlank()) continue;
      if (index++ < from) continue;
      out.add(parse(line));
    }
    return out;
  }

  private static Exchange parse(String line) {
    try {
      JsonNode n = JSON.readTree(line);
      byte[] body = Base64.getDecoder().decode(n.get("body").asText());
      byte[] reply = Base64.getDecoder().decode(n.get("reply").asText());
      int status = n.get("status").asInt();
      return new Exchange(
          n.get("seq").asLong(),
          n.get("at").asLong(),
          n.get("ms").asLong(),
          n.get("url").asText(),
          status,
          ToFunction.parseFrom(body),
          status == 200 ? FromFunction.parseFrom(reply) : null,
          status == 200 ? "" : new String(reply, StandardCharsets.UTF_8));
    } catch (InvalidProtocolBufferException e) {
      throw new AssertionError("a recorded exchange is not a ToFunction/FromFunction: " + line, e);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The exchanges matching {@code filter}. */
  public List<Exchange> matching(Predicate<Exchange> filter) {
    return exchanges().stream().filter(filter).toList();
  }

  /**
   * Waits until at least {@code count} exchanges match {@code filter}, and returns them all.
   *
   * @throws AssertionError naming {@code what} when they are not there within {@code timeout}
   */
  public List<Exchange> await(String what, int count, Predicate<Exchange> filter, Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      List<Exchange> found = matching(filter);
      if (found.size() >= count) return found;
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out after " + timeout.toSeconds() + " s waiting for " + count + " recorded " + what
            + " (found " + found.size() + " among " + exchanges().size() + " exchanges in " + file + " after line " + from + ")");
      }
      // The file grows without notice: look again shortly.
      TimeUnit.MILLISECONDS.sleep(20);
    }
  }

  /** Exchanges to {@code target} ({@code namespace/type(id)}) whose batch has an argument of {@code typename}, with a result. */
  public static Predicate<Exchange> resultAt(String target, String argumentTypename) {
    return e -> e.isResult() && e.target().equals(target) && e.hasArgument(argumentTypename);
  }

  /** The value bytes of a TypedValue as lower-case hex. */
  public static String hex(TypedValue v) {
    StringBuilder s = new StringBuilder();
    for (byte b : v.getValue().toByteArray()) s.append(String.format("%02x", b));
    return s.toString();
  }
}
