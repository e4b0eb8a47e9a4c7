package statefunts.cluster;

import com.google.protobuf.Message;
import java.util.Map;
import org.apache.flink.statefun.flink.io.datastream.SinkFunctionSpec;
import org.apache.flink.statefun.flink.io.datastream.SourceFunctionSpec;
import org.apache.flink.statefun.sdk.io.EgressIdentifier;
import org.apache.flink.statefun.sdk.io.IngressIdentifier;
import org.apache.flink.statefun.sdk.reqreply.generated.TypedValue;
import org.apache.flink.statefun.sdk.spi.StatefulFunctionModule;

/**
 * The tests' embedded module (found through META-INF/services): one ingress that reads the
 * job's {@link Feed} and routes each item to its target, and one collecting egress per id
 * listed in the job's global configuration, each feeding the job's {@link EgressLog}. Jobs
 * without these keys get nothing from it.
 *
 * <p>Remote functions send egress records as TypedValue to the egress {@code namespace/name}
 * (RequestReplyFunction builds {@code EgressIdentifier<TypedValue>}), so the egresses here take
 * TypedValue, and the same ids must not also be declared in module.yaml.
 */
public final class TestIoModule implements StatefulFunctionModule {
  static final String FEED = "statefun-ts.test.feed";
  static final String EGRESS_LOG = "statefun-ts.test.egress-log";
  /** Comma-separated egress ids, {@code namespace/name}. */
  static final String EGRESSES = "statefun-ts.test.egresses";

  public static final IngressIdentifier<Message> INGRESS =
      new IngressIdentifier<>(Message.class, "statefun-ts.test", "feed");

  @Override
  public void configure(Map<String, String> globalConfiguration, Binder binder) {
    String feedId = globalConfiguration.get(FEED);
    if (feedId == null) return;
    binder.bindIngress(new SourceFunctionSpec<>(INGRESS, new FeedSource(feedId)));
    binder.bindIngressRouter(INGRESS, new FeedRouter());

    String logId = globalConfiguration.get(EGRESS_LOG);
    String egresses = globalConfiguration.getOrDefault(EGRESSES, "");
    for (String egress : egresses.split(",")) {
      if (egress.isBlank()) continue;
      TypeName name = TypeName.parse(egress.strip());
      binder.bindEgress(
          new SinkFunctionSpec<>(
              new EgressIdentifier<>(name.namespace(), name.name(), TypedValue.class),
              new CollectingSink(logId, name.toString())));
    }
  }
}
