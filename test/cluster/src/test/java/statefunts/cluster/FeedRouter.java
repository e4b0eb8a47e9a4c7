package statefunts.cluster;

import com.google.protobuf.Message;
import org.apache.flink.statefun.sdk.Address;
import org.apache.flink.statefun.sdk.FunctionType;
import org.apache.flink.statefun.sdk.io.Router;
import org.apache.flink.statefun.sdk.reqreply.generated.FromFunction;

/**
 * Routes each feed item to its target: the argument (a TypedValue, as remote functions take)
 * goes to the address. The ingress type is protobuf's Message, the supertype of both.
 */
final class FeedRouter implements Router<Message> {
  @Override
  public void route(Message message, Downstream<Message> downstream) {
    FromFunction.Invocation invocation = (FromFunction.Invocation) message;
    var target = invocation.getTarget();
    downstream.forward(
        new Address(new FunctionType(target.getNamespace(), target.getType()), target.getId()),
        invocation.getArgument());
  }
}
