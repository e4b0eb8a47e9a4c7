package statefunts.cluster;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import java.nio.charset.StandardCharsets;
import org.apache.flink.statefun.sdk.egress.generated.KafkaProducerRecord;
import org.apache.flink.statefun.sdk.egress.generated.KinesisEgressRecord;
import org.apache.flink.statefun.sdk.reqreply.generated.TypedValue;

/** Decodes the egress records remote functions send, wrapped in a TypedValue. */
public final class EgressRecords {
  public static final String KAFKA_TYPENAME = "type.googleapis.com/io.statefun.sdk.egress.KafkaProducerRecord";
  public static final String KINESIS_TYPENAME = "type.googleapis.com/io.statefun.sdk.egress.KinesisEgressRecord";

  private EgressRecords() {}

  /** A Kafka producer record; an empty key means none. */
  public record Kafka(String topic, String key, ByteString value) {
    public String valueUtf8() {
      return value.toString(StandardCharsets.UTF_8);
    }
  }

  /** A Kinesis record; an empty explicit hash key means none. */
  public record Kinesis(String stream, String partitionKey, String explicitHashKey, ByteString value) {
    public String valueUtf8() {
      return value.toString(StandardCharsets.UTF_8);
    }
  }

  public static Kafka kafka(TypedValue record) {
    expect(record, KAFKA_TYPENAME);
    try {
      KafkaProducerRecord r = KafkaProducerRecord.parseFrom(record.getValue());
      return new Kafka(r.getTopic(), r.getKey(), r.getValueBytes());
    } catch (InvalidProtocolBufferException e) {
      throw new AssertionError("not a KafkaProducerRecord: " + TypedValues.describe(record), e);
    }
  }

  public static Kinesis kinesis(TypedValue record) {
    expect(record, KINESIS_TYPENAME);
    try {
      KinesisEgressRecord r = KinesisEgressRecord.parseFrom(record.getValue());
      return new Kinesis(r.getStream(), r.getPartitionKey(), r.getExplicitHashKey(), r.getValueBytes());
    } catch (InvalidProtocolBufferException e) {
      throw new AssertionError("not a KinesisEgressRecord: " + TypedValues.describe(record), e);
    }
  }

  private static void expect(TypedValue record, String typename) {
    if (!record.getTypename().equals(typename) || !record.getHasValue()) {
      throw new AssertionError("expected a " + typename + " with a value, got " + TypedValues.describe(record));
    }
  }
}
