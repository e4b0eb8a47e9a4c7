package statefunts.cluster;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import org.apache.flink.api.common.JobExecutionResult;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.core.execution.JobListener;

/**
 * Hands the test the JobClient of the job that Harness.start() submits (and then blocks on),
 * so that the test can cancel it. Flink instantiates this listener from the configuration key
 * {@code execution.job-listeners} and calls it on the thread that submits the job.
 */
public final class JobClients implements JobListener {
  private static final ConcurrentMap<Thread, CompletableFuture<JobClient>> AWAITED =
      new ConcurrentHashMap<>();

  /** The client of the next job the current thread submits. */
  static CompletableFuture<JobClient> expectSubmissionOnCurrentThread() {
    Thread thread = Thread.currentThread();
    CompletableFuture<JobClient> future = new CompletableFuture<>();
    AWAITED.put(thread, future);
    future.whenComplete((c, e) -> AWAITED.remove(thread, future));
    return future;
  }

  @Override
  public void onJobSubmitted(JobClient jobClient, Throwable throwable) {
    CompletableFuture<JobClient> future = AWAITED.get(Thread.currentThread());
    if (future == null) return;
    if (throwable != null) future.completeExceptionally(throwable);
    else future.complete(jobClient);
  }

  @Override
  public void onJobExecuted(JobExecutionResult result, Throwable throwable) {}
}
