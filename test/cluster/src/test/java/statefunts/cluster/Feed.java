package statefunts.cluster;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.apache.flink.statefun.sdk.reqreply.generated.FromFunction;

/**
 * The test-controlled input of a job: an append-only sequence of messages (target address and
 * argument), read by {@link FeedSource} at a position that is part of its checkpoint. Appending
 * never blocks; the source waits for the next item. A feed lives in this JVM only (the
 * MiniCluster runs here too) and is found by its id, which the job carries in its global
 * configuration.
 */
public final class Feed implements AutoCloseable {
  private static final ConcurrentMap<String, Feed> FEEDS = new ConcurrentHashMap<>();

  private final String id;
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition appended = lock.newCondition();
  private final List<FromFunction.Invocation> items = new ArrayList<>();
  private final AtomicLong emitted = new AtomicLong();
  private final AtomicInteger restores = new AtomicInteger();
  private final List<Long> restoredPositions = new ArrayList<>();
  private final List<Checkpoint> completedCheckpoints = new ArrayList<>();
  /** Armed by {@link #failOnceAfterNextCheckpoint()}; the checkpoint that completed since, once one has. */
  private boolean failureArmed;
  private long failureAfterEmitting;
  private Checkpoint failureCheckpoint;
  private InjectedFailure injectedFailure;

  /** A task failure the feed's source threw on purpose: after which checkpoint, at which position. */
  public record InjectedFailure(Checkpoint after, long position, long atMillis) {}

  /** A checkpoint of the job that completed, and the feed position it holds. */
  public record Checkpoint(long id, long position) {}

  private Feed(String id) {
    this.id = id;
  }

  /** A new, empty feed, registered under a fresh id. */
  public static Feed create() {
    Feed feed = new Feed("feed-" + UUID.randomUUID());
    FEEDS.put(feed.id, feed);
    return feed;
  }

  /** The feed registered under {@code id}. */
  static Feed lookup(String id) {
    Feed feed = FEEDS.get(id);
    if (feed == null) {
      throw new IllegalStateException(
          "no feed " + id + " in this JVM (it was closed, or the job runs in another process)");
    }
    return feed;
  }

  public String id() {
    return id;
  }

  /** Appends messages; they are delivered in this order. */
  public void append(List<FromFunction.Invocation> messages) {
    lock.lock();
    try {
      for (FromFunction.Invocation m : messages) items.add(Objects.requireNonNull(m));
      appended.signalAll();
    } finally {
      lock.unlock();
    }
  }

  public void append(FromFunction.Invocation message) {
    append(List.of(message));
  }

  /** How many messages were appended. */
  public long size() {
    lock.lock();
    try {
      return items.size();
    } finally {
      lock.unlock();
    }
  }

  /**
   * The item at {@code position}, waiting up to {@code timeoutMillis} for it to be appended.
   *
   * @return the item, or null if it was not appended in time
   */
  FromFunction.Invocation awaitAt(long position, long timeoutMillis) throws InterruptedException {
    long remaining = TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
    lock.lock();
    try {
      while (position >= items.size()) {
        if (remaining <= 0) return null;
        remaining = appended.awaitNanos(remaining);
      }
      return items.get((int) position);
    } finally {
      lock.unlock();
    }
  }

  /** The source's position after its latest emitted item (it goes back after a restore). */
  public long emitted() {
    return emitted.get();
  }

  void noteEmitted(long position) {
    emitted.set(position);
  }

  /** How many times the source was restored from a checkpoint. */
  public int restores() {
    return restores.get();
  }

  /** The positions the source resumed at, one per restore. */
  public List<Long> restoredPositions() {
    synchronized (restoredPositions) {
      return List.copyOf(restoredPositions);
    }
  }

  void noteRestored(long position) {
    synchronized (restoredPositions) {
      restoredPositions.add(position);
    }
    restores.incrementAndGet();
    emitted.set(position);
  }

  /** The job's completed checkpoints, oldest first (as the source was told of them). */
  public List<Checkpoint> completedCheckpoints() {
    lock.lock();
    try {
      return List.copyOf(completedCheckpoints);
    } finally {
      lock.unlock();
    }
  }

  void noteCheckpointCompleted(long checkpointId, long position) {
    lock.lock();
    try {
      Checkpoint c = new Checkpoint(checkpointId, position);
      if (failureArmed && failureCheckpoint == null) failureCheckpoint = c;
      completedCheckpoints.add(c);
      appended.signalAll();
    } finally {
      lock.unlock();
    }
  }

  /**
   * Waits until a checkpoint holding feed position {@code position} or later has completed,
   * that is, one taken after the source had emitted the first {@code position} messages.
   *
   * @return that checkpoint, or null if none completed within {@code timeoutMillis}
   */
  public Checkpoint awaitCheckpointAtOrAfter(long position, long timeoutMillis) throws InterruptedException {
    long remaining = TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
    lock.lock();
    try {
      while (true) {
        for (Checkpoint c : completedCheckpoints) if (c.position() >= position) return c;
        if (remaining <= 0) return null;
        remaining = appended.awaitNanos(remaining);
      }
    } finally {
      lock.unlock();
    }
  }

  /**
   * Makes the source throw once, as a task failure, after the next checkpoint completes and
   * {@code emittedAfter} more messages were emitted past that checkpoint's position (so that the
   * job has work beyond the checkpoint to roll back). The job then restores from that checkpoint,
   * or a later one, if its restart strategy allows.
   */
  public void failOnceAfterNextCheckpoint(long emittedAfter) {
    lock.lock();
    try {
      if (failureArmed || injectedFailure != null) throw new IllegalStateException("a failure was injected already");
      failureArmed = true;
      failureAfterEmitting = emittedAfter;
    } finally {
      lock.unlock();
    }
  }

  /** The failure injected by {@link #failOnceAfterNextCheckpoint()}, once the source threw it; else null. */
  public InjectedFailure injectedFailure() {
    lock.lock();
    try {
      return injectedFailure;
    } finally {
      lock.unlock();
    }
  }

  /** For the source: whether to throw now (once, after an armed checkpoint completed). */
  boolean takeInjectedFailure(long position) {
    lock.lock();
    try {
      if (!failureArmed || failureCheckpoint == null || position < failureCheckpoint.position() + failureAfterEmitting) return false;
      failureArmed = false;
      injectedFailure = new InjectedFailure(failureCheckpoint, position, System.currentTimeMillis());
      return true;
    } finally {
      lock.unlock();
    }
  }

  @Override
  public void close() {
    FEEDS.remove(id, this);
  }
}
