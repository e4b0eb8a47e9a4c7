package statefunts.cluster;

import org.apache.flink.statefun.sdk.reqreply.generated.TypedValue;
import org.apache.flink.streaming.api.functions.sink.SinkFunction;

/** Puts every record of one egress into an {@link EgressLog}. */
final class CollectingSink implements SinkFunction<TypedValue> {
  private static final long serialVersionUID = 1;

  private final String logId;
  private final String egress;

  CollectingSink(String logId, String egress) {
    this.logId = logId;
    this.egress = egress;
  }

  @Override
  public void invoke(TypedValue value, Context context) {
    EgressLog.lookup(logId).add(egress, value);
  }
}
