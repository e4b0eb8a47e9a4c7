package statefunts.cluster;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.flink.api.common.JobStatus;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.statefun.flink.harness.Harness;
import org.apache.flink.statefun.sdk.reqreply.generated.Address;
import org.apache.flink.statefun.sdk.reqreply.generated.FromFunction;
import org.apache.flink.statefun.sdk.reqreply.generated.TypedValue;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One StateFun 3.3.0 job in a Flink MiniCluster in this JVM, with remote functions at the
 * given endpoints (a module.yaml written for this run), the test's {@link Feed} as its ingress
 * and {@link EgressLog} collecting its egresses. {@link #close()} cancels the job and waits for
 * the MiniCluster to stop, so tests can run one after another.
 *
 * <pre>{@code
 * try (StateFunCluster cluster = StateFunCluster.builder("greeter")
 *     .endpoint("example/*", Endpoints.url("greeter"))
 *     .egress("example/greets")
 *     .start()) {
 *   cluster.send("example/person", "Bob", value);
 *   List<TypedValue> out = cluster.awaitEgress("example/greets", 1, Duration.ofSeconds(60));
 * }
 * }</pre>
 */
public final class StateFunCluster implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(StateFunCluster.class);
  private static final String CANCELLATION = "org.apache.flink.runtime.client.JobCancellationException";

  private final String name;
  private final Path workDir;
  private final Feed feed;
  private final EgressLog egressLog;
  private final Thread runner;
  private final CompletableFuture<Void> terminated = new CompletableFuture<>();
  private final Duration shutdownTimeout;
  private volatile JobClient jobClient;
  private volatile boolean cancelRequested;
  private volatile Throwable failure;
  /** Set once a test has taken the job's failure as its result: stop() no longer reports it. */
  private volatile boolean failureExpected;
  private boolean closed;

  private StateFunCluster(Builder b) throws IOException {
    this.name = b.name;
    this.shutdownTimeout = b.shutdownTimeout;
    this.workDir = Files.createTempDirectory(workRoot(), "statefun-" + b.name + "-");
    this.feed = Feed.create();
    this.egressLog = EgressLog.create();

    Path moduleYaml = workDir.resolve("module.yaml");
    Files.writeString(moduleYaml, b.moduleYaml(), StandardCharsets.UTF_8);

    Harness harness = new Harness();
    harness.withFlinkJobName("statefun-ts-" + b.name);
    harness.withParallelism(b.parallelism);
    harness.withConfiguration("statefun.remote.module-name", moduleYaml.toUri().toString());
    harness.withConfiguration("execution.job-listeners", JobClients.class.getName());
    harness.withConfiguration("metrics.reporters", MetricsCapture.NAME);
    harness.withConfiguration("metrics.reporter." + MetricsCapture.NAME + ".factory.class", MetricsCapture.class.getName());
    harness.withConfiguration("execution.checkpointing.interval", b.checkpointInterval.toMillis() + "ms");
    harness.withConfiguration("execution.checkpointing.mode", "EXACTLY_ONCE");
    harness.withConfiguration("state.checkpoints.dir", workDir.resolve("checkpoints").toUri().toString());
    if (b.restartAttempts == 0) {
      harness.withConfiguration("restart-strategy", "none");
    } else {
      harness.withConfiguration("restart-strategy", "fixed-delay");
      harness.withConfiguration("restart-strategy.fixed-delay.attempts", Integer.toString(b.restartAttempts));
      harness.withConfiguration("restart-strategy.fixed-delay.delay", b.restartDelay.toMillis() + "ms");
    }
    // Everything on the loopback interface, on ports the OS picks.
    harness.withConfiguration("rest.bind-address", "127.0.0.1");
    harness.withConfiguration("rest.address", "127.0.0.1");
    harness.withConfiguration("rest.bind-port", "0");
    harness.withConfiguration("taskmanager.host", "127.0.0.1");
    harness.withConfiguration("taskmanager.bind-host", "127.0.0.1");
    harness.withConfiguration("jobmanager.bind-host", "127.0.0.1");
    b.flinkConfig.forEach(harness::withConfiguration);
    harness.withGlobalConfiguration(TestIoModule.FEED, feed.id());
    harness.withGlobalConfiguration(TestIoModule.EGRESS_LOG, egressLog.id());
    harness.withGlobalConfiguration(TestIoModule.EGRESSES, String.join(",", b.egresses));

    CompletableFuture<JobClient> submitted = new CompletableFuture<>();
    this.runner =
        new Thread(
            () -> {
              try {
                JobClients.expectSubmissionOnCurrentThread()
                    .whenComplete((c, e) -> {
                      if (e != null) submitted.completeExceptionally(e);
                      else submitted.complete(c);
                    });
                harness.start();
                // Only a job whose sources all end finishes; ours never does.
                if (!cancelRequested) failure = new IllegalStateException("the job finished by itself");
              } catch (Throwable t) {
                if (!(cancelRequested && causedBy(t, CANCELLATION))) failure = t;
              } finally {
                submitted.completeExceptionally(
                    new IllegalStateException("Harness.start() returned before submitting a job", failure));
                terminated.complete(null);
              }
            },
            "statefun-harness-" + b.name);
    runner.setDaemon(true);
    LOG.info("starting job {} (parallelism {}, module {})", b.name, b.parallelism, moduleYaml);
    runner.start();
    try {
      jobClient = submitted.get(b.startTimeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (ExecutionException e) {
      terminated.join();
      cleanUp();
      throw new AssertionError("the StateFun job " + name + " did not start: " + describe(failure), failure);
    } catch (TimeoutException | InterruptedException e) {
      if (e instanceof InterruptedException) Thread.currentThread().interrupt();
      // Should it be submitted after all, it must not run on behind the test's back.
      cancelRequested = true;
      submitted.thenAccept(JobClient::cancel);
      runner.interrupt();
      cleanUp();
      throw new AssertionError("the StateFun job " + name + " was not submitted within " + b.startTimeout, e);
    }
    LOG.info("job {} submitted as {}", name, jobClient.getJobID());
  }

  public static Builder builder(String name) {
    return new Builder(name);
  }

  private static Path workRoot() throws IOException {
    String configured = System.getProperty("statefun.work");
    Path root = configured != null ? Path.of(configured) : Path.of(System.getProperty("java.io.tmpdir"));
    Files.createDirectories(root);
    return root;
  }

  /** The job's ingress: messages appended here go to their targets in order. */
  public Feed feed() {
    return feed;
  }

  /** Everything the functions sent to the declared egresses. */
  public EgressLog egressLog() {
    return egressLog;
  }

  /** Sends {@code argument} to the function {@code typename} with id {@code id} through the feed. */
  public void send(String typename, String id, TypedValue argument) {
    feed.append(message(typename, id, argument));
  }

  /** A feed item: {@code argument} for the function {@code typename} with id {@code id}. */
  public static FromFunction.Invocation message(String typename, String id, TypedValue argument) {
    TypeName type = TypeName.parse(typename);
    return FromFunction.Invocation.newBuilder()
        .setTarget(Address.newBuilder().setNamespace(type.namespace()).setType(type.name()).setId(id))
        .setArgument(argument)
        .build();
  }

  /**
   * The total of StateFun's counter {@code metric} for the function type {@code typename}, over
   * all its instances and restarts: {@code in}, {@code outLocal}, {@code outRemote},
   * {@code outEgress}, {@code remoteInvocationFailures} (failed HTTP attempts, retried or not),
   * {@code inflightAsyncOps}, {@code numBacklog}, {@code numBlockedAddress}.
   */
  public long functionCounter(String typename, String metric) {
    TypeName type = TypeName.parse(typename);
    return MetricsCapture.total(jobClient.getJobID().toString(), List.of("functions", type.namespace(), type.name()), metric);
  }

  /**
   * Waits until {@link #functionCounter} reaches {@code atLeast}.
   *
   * @throws AssertionError when the job fails, or the counter stays below within {@code timeout}
   */
  public long awaitFunctionCounter(String typename, String metric, long atLeast, Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      long value = functionCounter(typename, metric);
      if (value >= atLeast) return value;
      if (terminated.isDone()) {
        throw new AssertionError("the StateFun job " + name + " ended while waiting for " + typename + " " + metric
            + " to reach " + atLeast + " (it is " + value + "): " + describe(failure), failure);
      }
      long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
      if (left <= 0) {
        throw new AssertionError("timed out after " + timeout.toSeconds() + " s waiting for " + typename + " " + metric
            + " to reach " + atLeast + ": it is " + value + ", job " + status());
      }
      // Counters change without notice: look again shortly (or when a record arrives).
      egressLog.awaitChange(Math.min(left, 20));
    }
  }

  /**
   * Waits until a checkpoint completes that was taken after the feed's first {@code position}
   * messages had been emitted: then everything they caused so far is in that checkpoint.
   *
   * @throws AssertionError when the job fails, or no such checkpoint completes within {@code timeout}
   */
  public Feed.Checkpoint awaitCheckpointAtOrAfter(long position, Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
      Feed.Checkpoint c = feed.awaitCheckpointAtOrAfter(position, Math.max(0, Math.min(left, 250)));
      if (c != null) return c;
      if (terminated.isDone()) {
        throw new AssertionError("the StateFun job " + name + " ended while waiting for a checkpoint at feed position "
            + position + ": " + describe(failure), failure);
      }
      if (left <= 0) {
        throw new AssertionError("timed out after " + timeout.toSeconds() + " s waiting for a checkpoint at feed position "
            + position + ": completed " + feed.completedCheckpoints() + ", the feed emitted " + feed.emitted()
            + " of " + feed.size() + ", job " + status());
      }
    }
  }

  /** The job's failure (it ended by itself), or null while it runs or after a clean cancel. */
  public Throwable failure() {
    return failure;
  }

  /**
   * Waits until the job ends by itself and returns why (for tests whose subject is a job
   * failure); {@link #stop()} then does not report that failure again.
   *
   * @throws AssertionError when the job still runs after {@code timeout}
   */
  public Throwable awaitJobFailure(Duration timeout) throws InterruptedException {
    try {
      terminated.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      throw new AssertionError("the job " + name + " was expected to fail, but still runs after " + timeout.toSeconds()
          + " s (job " + status() + ")");
    } catch (ExecutionException e) {
      throw new AssertionError("the job " + name + " ended abnormally", e.getCause());
    }
    failureExpected = true;
    if (failure == null) throw new AssertionError("the job " + name + " ended without a failure");
    return failure;
  }

  /** Whether the job has ended (by itself, or stopped). */
  public boolean terminated() {
    return terminated.isDone();
  }

  /**
   * Waits until {@code egress} has received at least {@code count} records and returns them all.
   *
   * @throws AssertionError when the job fails, or the records are not there within {@code timeout}
   */
  public List<TypedValue> awaitEgress(String egress, int count, Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      if (egressLog.count(egress) >= count) return egressLog.records(egress);
      if (terminated.isDone()) {
        throw new AssertionError(
            "the StateFun job " + name + " ended while waiting for " + count + " records on " + egress
                + " (" + progress(egress) + "): " + describe(failure),
            failure);
      }
      long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
      if (left <= 0) {
        throw new AssertionError(
            "timed out after " + timeout.toSeconds() + " s waiting for " + count + " records on " + egress
                + ": " + progress(egress) + ", job " + status());
      }
      egressLog.awaitChange(Math.min(left, 250));
    }
  }

  private String progress(String egress) {
    return egressLog.count(egress) + " arrived (all egresses: " + egressLog.counts() + "); the feed emitted "
        + feed.emitted() + " of " + feed.size() + " messages, restores: " + feed.restores();
  }

  private String status() {
    JobClient client = jobClient;
    if (client == null) return "not submitted";
    try {
      JobStatus s = client.getJobStatus().get(10, TimeUnit.SECONDS);
      return s.toString();
    } catch (Exception e) {
      return "status unknown (" + e + ")";
    }
  }

  /** {@link #stop()}. */
  @Override
  public void close() {
    stop();
  }

  /**
   * Cancels the job and waits until the MiniCluster has stopped. Idempotent.
   *
   * @throws AssertionError if the job had failed by itself, or does not stop in time
   */
  public void stop() {
    if (closed) return;
    closed = true;
    try {
      if (!terminated.isDone() && jobClient != null) {
        cancelRequested = true;
        LOG.info("cancelling job {}", name);
        try {
          jobClient.cancel().get(shutdownTimeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
          // The job may have ended meanwhile; what it ended with is reported below.
          if (!terminated.isDone()) throw new AssertionError("could not cancel the job " + name, e.getCause());
        } catch (TimeoutException e) {
          throw new AssertionError("the job " + name + " did not acknowledge its cancellation within " + shutdownTimeout);
        }
      }
      try {
        terminated.get(shutdownTimeout.toMillis(), TimeUnit.MILLISECONDS);
      } catch (TimeoutException e) {
        throw new AssertionError("the job " + name + " did not stop within " + shutdownTimeout + " of its cancellation");
      }
      if (failure != null && !failureExpected) {
        throw new AssertionError("the StateFun job " + name + " failed: " + describe(failure), failure);
      }
      LOG.info("job {} stopped", name);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted while stopping the job " + name, e);
    } catch (ExecutionException e) {
      throw new AssertionError("the job " + name + " ended abnormally", e.getCause());
    } finally {
      cleanUp();
    }
  }

  private void cleanUp() {
    if (jobClient != null) MetricsCapture.forget(jobClient.getJobID().toString());
    feed.close();
    egressLog.close();
    deleteTree(workDir);
  }

  /**
   * Deletes the job's directory. Flink may still be discarding an aborted checkpoint in it
   * (its I/O threads outlive the job briefly), so files that vanish meanwhile are fine, and a
   * directory that was refilled is tried again.
   */
  private static void deleteTree(Path root) {
    for (int attempt = 1; attempt <= 3 && Files.exists(root); attempt++) {
      try {
        Files.walkFileTree(root, new SimpleFileVisitor<>() {
          @Override
          public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
            Files.deleteIfExists(file);
            return FileVisitResult.CONTINUE;
          }

          @Override
          public FileVisitResult visitFileFailed(Path file, IOException e) throws IOException {
            if (e instanceof NoSuchFileException) return FileVisitResult.CONTINUE;
            throw e;
          }

          @Override
          public FileVisitResult postVisitDirectory(Path dir, IOException e) throws IOException {
            if (e != null && !(e instanceof NoSuchFileException)) throw e;
            try {
              Files.deleteIfExists(dir);
            } catch (DirectoryNotEmptyException refilled) {
              // Written to meanwhile: the next attempt takes it.
            }
            return FileVisitResult.CONTINUE;
          }
        });
      } catch (IOException | UncheckedIOException e) {
        LOG.warn("could not delete {} (attempt {}): {}", root, attempt, e.toString());
      }
    }
    if (Files.exists(root)) LOG.warn("left {} behind", root);
  }

  private static boolean causedBy(Throwable t, String className) {
    for (Throwable c = t; c != null; c = c.getCause()) {
      if (c.getClass().getName().equals(className)) return true;
      if (c.getCause() == c) break;
    }
    return false;
  }

  /** The innermost causes of a failure, one per line, for assertion messages. */
  static String describe(Throwable t) {
    if (t == null) return "no failure recorded";
    List<String> chain = new ArrayList<>();
    Set<Throwable> seen = new LinkedHashSet<>();
    for (Throwable c = t; c != null && seen.add(c); c = c.getCause()) chain.add(c.toString());
    return String.join("\n  caused by ", chain);
  }

  /** What a job is made of. */
  public static final class Builder {
    private final String name;
    private final List<EndpointSpec> endpoints = new ArrayList<>();
    private final Set<String> egresses = new LinkedHashSet<>();
    private final Map<String, String> flinkConfig = new LinkedHashMap<>();
    private int parallelism = 2;
    private Duration checkpointInterval = Duration.ofSeconds(1);
    private int restartAttempts = 0;
    private Duration restartDelay = Duration.ofSeconds(1);
    private Duration startTimeout = Duration.ofSeconds(60);
    private Duration shutdownTimeout = Duration.ofSeconds(60);

    private Builder(String name) {
      if (!name.matches("[A-Za-z0-9_.-]+")) throw new IllegalArgumentException("job name: letters, digits, _ . - only: " + name);
      this.name = name;
    }

    /** Remote functions {@code functions} ({@code ns/name} or {@code ns/*}) served at {@code url}. */
    public Builder endpoint(String functions, String url) {
      return endpoint(functions, url, null, Map.of());
    }

    /**
     * As {@link #endpoint(String, String)}, with module.yaml's {@code maxNumBatchRequests} (null:
     * the runtime's default) and {@code transport} settings (empty: the default transport). A key
     * {@code a.b} is written as {@code b} inside a map {@code a} (the OkHttp transport's
     * {@code timeouts.call}, for example).
     */
    public Builder endpoint(String functions, String url, Integer maxNumBatchRequests, Map<String, String> transport) {
      endpoints.add(new EndpointSpec(functions, url, maxNumBatchRequests, Map.copyOf(transport)));
      return this;
    }

    /** An egress ({@code namespace/name}) whose records the test collects. */
    public Builder egress(String id) {
      egresses.add(TypeName.parse(id).toString());
      return this;
    }

    public Builder parallelism(int parallelism) {
      if (parallelism < 1) throw new IllegalArgumentException("parallelism must be at least 1");
      this.parallelism = parallelism;
      return this;
    }

    public Builder checkpointInterval(Duration interval) {
      this.checkpointInterval = Objects.requireNonNull(interval);
      return this;
    }

    /** How often a failed job is restarted from its last checkpoint; 0 (the default) fails the test at once. */
    public Builder restartAttempts(int attempts, Duration delay) {
      this.restartAttempts = attempts;
      this.restartDelay = Objects.requireNonNull(delay);
      return this;
    }

    /** Any other Flink or StateFun configuration key. */
    public Builder flinkConfig(String key, String value) {
      flinkConfig.put(key, value);
      return this;
    }

    public Builder startTimeout(Duration timeout) {
      this.startTimeout = Objects.requireNonNull(timeout);
      return this;
    }

    public StateFunCluster start() throws IOException {
      if (endpoints.isEmpty()) throw new IllegalStateException("a job needs at least one endpoint");
      return new StateFunCluster(this);
    }

    String moduleYaml() {
      StringBuilder y = new StringBuilder("# written by statefunts.cluster.StateFunCluster for job " + name + "\n");
      for (EndpointSpec e : endpoints) {
        y.append("---\nkind: io.statefun.endpoints.v2/http\nspec:\n");
        y.append("  functions: ").append(quote(e.functions())).append('\n');
        y.append("  urlPathTemplate: ").append(quote(e.url())).append('\n');
        if (e.maxNumBatchRequests() != null) y.append("  maxNumBatchRequests: ").append(e.maxNumBatchRequests()).append('\n');
        if (!e.transport().isEmpty()) {
          y.append("  transport:\n");
          Map<String, Map<String, String>> nested = new TreeMap<>();
          new TreeMap<>(e.transport()).forEach((k, v) -> {
            int dot = k.indexOf('.');
            if (dot < 0) y.append("    ").append(k).append(": ").append(quote(v)).append('\n');
            else nested.computeIfAbsent(k.substring(0, dot), x -> new TreeMap<>()).put(k.substring(dot + 1), v);
          });
          nested.forEach((group, entries) -> {
            y.append("    ").append(group).append(":\n");
            entries.forEach((k, v) -> y.append("      ").append(k).append(": ").append(quote(v)).append('\n'));
          });
        }
      }
      return y.toString();
    }

    private static String quote(String s) {
      return '"' + s.replace("\\", "\\\\").replace("\"", "\\\"") + '"';
    }
  }

  private record EndpointSpec(String functions, String url, Integer maxNumBatchRequests, Map<String, String> transport) {}
}
