package statefunts.cluster;

import com.google.protobuf.Message;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.flink.api.common.state.CheckpointListener;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.runtime.state.FunctionInitializationContext;
import org.apache.flink.runtime.state.FunctionSnapshotContext;
import org.apache.flink.streaming.api.checkpoint.CheckpointedFunction;
import org.apache.flink.streaming.api.functions.source.SourceFunction;
import org.apache.flink.statefun.sdk.reqreply.generated.FromFunction;

/**
 * Reads a {@link Feed} from the position in its checkpoint: after a restore it emits again
 * exactly what followed the restored checkpoint. Not parallel (one feed, one position). Emits
 * {@link FromFunction.Invocation}s; {@link FeedRouter} turns them into messages.
 */
final class FeedSource implements SourceFunction<Message>, CheckpointedFunction, CheckpointListener {
  private static final long serialVersionUID = 1;
  /** How long one wait for the next item lasts before the cancel flag is checked again. */
  private static final long WAIT_MILLIS = 100;

  private final String feedId;
  private transient ListState<Long> positionState;
  private transient long position;
  private transient volatile boolean cancelled;
  /** Positions of the snapshots taken and not yet known to have completed, by checkpoint id. */
  private transient Map<Long, Long> pendingSnapshots;

  FeedSource(String feedId) {
    this.feedId = feedId;
  }

  @Override
  public void initializeState(FunctionInitializationContext context) throws Exception {
    positionState =
        context
            .getOperatorStateStore()
            .getListState(new ListStateDescriptor<>("statefun-ts-feed-position", Long.class));
    position = 0;
    pendingSnapshots = new ConcurrentHashMap<>();
    if (context.isRestored()) {
      for (Long p : positionState.get()) position = p;
      Feed.lookup(feedId).noteRestored(position);
    }
  }

  @Override
  public void snapshotState(FunctionSnapshotContext context) throws Exception {
    // Called under the checkpoint lock, so the position matches what was emitted.
    positionState.update(java.util.List.of(position));
    pendingSnapshots.put(context.getCheckpointId(), position);
  }

  @Override
  public void notifyCheckpointComplete(long checkpointId) {
    // Completion notices may be skipped (a later one subsumes them): settle every older one too.
    Feed feed = Feed.lookup(feedId);
    pendingSnapshots.keySet().stream().filter(id -> id <= checkpointId).sorted().forEach(id -> {
      Long p = pendingSnapshots.remove(id);
      if (p != null && id == checkpointId) feed.noteCheckpointCompleted(id, p);
    });
  }

  @Override
  public void run(SourceContext<Message> context) throws Exception {
    Feed feed = Feed.lookup(feedId);
    while (!cancelled) {
      if (feed.takeInjectedFailure(position)) {
        throw new IllegalStateException("statefun-ts test: a task failure injected after a completed checkpoint, at feed position " + position);
      }
      FromFunction.Invocation next;
      try {
        next = feed.awaitAt(position, WAIT_MILLIS);
      } catch (InterruptedException e) {
        if (cancelled) return;
        throw e;
      }
      if (next == null) continue;
      synchronized (context.getCheckpointLock()) {
        context.collect(next);
        position++;
      }
      feed.noteEmitted(position);
    }
  }

  @Override
  public void cancel() {
    cancelled = true;
  }
}
