package statefunts.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import com.google.protobuf.ByteString;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.flink.statefun.sdk.reqreply.generated.FromFunction;
import org.apache.flink.statefun.sdk.reqreply.generated.ToFunction;
import org.apache.flink.statefun.sdk.reqreply.generated.TypedValue;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Every kind of state through the real runtime, byte for byte (apps.ts "showcase"): types/all
 * holds one state of each built-in type (int, long, float, double, bool, string), JSON with a
 * schema and protobuf; examples/showcase's types, egress and messaging functions. The bytes
 * expected here are built by this test from the wire format (PROTOCOL.md's table), not by an SDK.
 */
class ShowcaseTest {
  private static final String ENDPOINT = "showcase";
  private static final Duration WAIT = Duration.ofSeconds(60);

  // ---- the wire format, written out -----------------------------------------------------

  private static byte[] le(int size, java.util.function.Consumer<ByteBuffer> put) {
    ByteBuffer b = ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
    put.accept(b);
    return b.array();
  }

  private static byte[] concat(byte[]... parts) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (byte[] p : parts) out.writeBytes(p);
    return out.toByteArray();
  }

  private static byte[] varint(int v) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    while ((v & ~0x7f) != 0) {
      out.write((v & 0x7f) | 0x80);
      v >>>= 7;
    }
    out.write(v);
    return out.toByteArray();
  }

  /** A length-delimited field. */
  private static byte[] field(int number, byte[] bytes) {
    return concat(new byte[] {(byte) (number << 3 | 2)}, varint(bytes.length), bytes);
  }

  static byte[] intWrapper(int v) {
    return v == 0 ? new byte[0] : concat(new byte[] {0x0d}, le(4, b -> b.putInt(v)));
  }

  static byte[] longWrapper(long v) {
    return v == 0 ? new byte[0] : concat(new byte[] {0x09}, le(8, b -> b.putLong(v)));
  }

  static byte[] floatWrapper(float v) {
    return Float.floatToRawIntBits(v) == 0 ? new byte[0] : concat(new byte[] {0x0d}, le(4, b -> b.putFloat(v)));
  }

  static byte[] doubleWrapper(double v) {
    return Double.doubleToRawLongBits(v) == 0 ? new byte[0] : concat(new byte[] {0x09}, le(8, b -> b.putDouble(v)));
  }

  static byte[] boolWrapper(boolean v) {
    return v ? new byte[] {0x08, 0x01} : new byte[0];
  }

  static byte[] stringWrapper(String v) {
    return v.isEmpty() ? new byte[0] : field(1, v.getBytes(StandardCharsets.UTF_8));
  }

  /** {@code message Place { double lat = 1; double lon = 2; string label = 3; }} (and showcase.Location, the same shape). */
  static byte[] place(double lat, double lon, String label) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    if (Double.doubleToRawLongBits(lat) != 0) out.writeBytes(concat(new byte[] {0x09}, le(8, b -> b.putDouble(lat))));
    if (Double.doubleToRawLongBits(lon) != 0) out.writeBytes(concat(new byte[] {0x11}, le(8, b -> b.putDouble(lon))));
    if (!label.isEmpty()) out.writeBytes(field(3, label.getBytes(StandardCharsets.UTF_8)));
    return out.toByteArray();
  }

  private static TypedValue value(String typename, byte[] bytes) {
    return TypedValues.of(typename, ByteString.copyFrom(bytes));
  }

  private static String hex(byte[] bytes) {
    StringBuilder s = new StringBuilder();
    for (byte b : bytes) s.append(String.format("%02x", b));
    return s.toString();
  }

  /** Each state's typename and value bytes, as hex. */
  private static Map<String, String> carried(Recording.Exchange e, List<String> names) {
    Map<String, String> out = new LinkedHashMap<>();
    for (String name : names) {
      ToFunction.PersistedValue v = e.state(name);
      assertNotNull(v, () -> "the request to " + e.target() + " carries no state " + name);
      out.put(name, v.hasStateValue() ? v.getStateValue().getTypename() + (v.getStateValue().getHasValue() ? " " : " (no has_value) ") + Recording.hex(v.getStateValue()) : "(no value)");
    }
    return out;
  }

  /** Each MODIFY of a reply, in the same form. */
  private static Map<String, String> written(Recording.Exchange e) {
    Map<String, String> out = new LinkedHashMap<>();
    for (FromFunction.PersistedValueMutation m : e.reply().getInvocationResult().getStateMutationsList()) {
      out.put(m.getStateName(), m.getMutationType() == FromFunction.PersistedValueMutation.MutationType.MODIFY
          ? m.getStateValue().getTypename() + " " + Recording.hex(m.getStateValue())
          : "(deleted)");
    }
    return out;
  }

  private static final List<String> ALL = List.of("i", "l", "f", "d", "b", "s", "j", "p");

  private static Map<String, String> expectedAll(int i, long l, float f, double d, boolean b, String s, String json, byte[] p) {
    Map<String, String> m = new LinkedHashMap<>();
    m.put("i", "io.statefun.types/int " + hex(intWrapper(i)));
    m.put("l", "io.statefun.types/long " + hex(longWrapper(l)));
    m.put("f", "io.statefun.types/float " + hex(floatWrapper(f)));
    m.put("d", "io.statefun.types/double " + hex(doubleWrapper(d)));
    m.put("b", "io.statefun.types/bool " + hex(boolWrapper(b)));
    m.put("s", "io.statefun.types/string " + hex(stringWrapper(s)));
    m.put("j", "types/Doc " + hex(json.getBytes(StandardCharsets.UTF_8)));
    m.put("p", "type.googleapis.com/clustertest.Place " + hex(p));
    return m;
  }

  private static void read(StateFunCluster cluster, String tag) {
    cluster.send("types/all", "t", TypedValues.json("types/Read", "{\"tag\":\"" + tag + "\"}"));
  }

  private static String report(TypedValue record) {
    return EgressRecords.kafka(record).valueUtf8();
  }

  @Test
  @Timeout(value = 3, unit = TimeUnit.MINUTES)
  void everyKindOfStateReadBackByTheNextDeliveryAndALaterBatchByteForByte() throws Exception {
    Recording recording = Recording.from(ENDPOINT);
    try (StateFunCluster cluster = StateFunCluster.builder("showcase-types")
        .endpoint("types/*", Endpoints.url(ENDPOINT))
        .egress("types/reports")
        .start()) {
      String doc = "{\"name\":\"Zoë\",\"tags\":[\"a\",\"\\\"b\\\"\"]}";
      // 2^53 + 1 (no double holds it), 0.1 as a float (rounded to 32 bits), 0.1 as a double, text beyond ASCII.
      cluster.send("types/all", "t", TypedValues.json("types/Write",
          "{\"i\":-7,\"l\":\"9007199254740993\",\"f\":0.1,\"d\":0.1,\"b\":true,\"s\":\"héllo ✓\",\"j\":" + doc
              + ",\"p\":{\"lat\":52.52,\"lon\":13.405,\"label\":\"Berlin\"}}"));
      read(cluster, "next"); // the next delivery: in the same batch as the write, or the next one
      String r1 = report(cluster.awaitEgress("types/reports", 1, WAIT).get(0));
      read(cluster, "later"); // a later batch, after the write's reply was applied
      String r2 = report(cluster.awaitEgress("types/reports", 2, WAIT).get(1));
      // Default values: zero bytes each, but stored (has_value), and read back as the defaults, not as absent.
      cluster.send("types/all", "t", TypedValues.json("types/Write",
          "{\"i\":0,\"l\":\"0\",\"f\":0,\"d\":0,\"b\":false,\"s\":\"\",\"j\":{\"name\":\"z\",\"tags\":[]},\"p\":{\"lat\":0,\"lon\":0,\"label\":\"\"}}"));
      recording.await("the second write", 2, Recording.resultAt("types/all(t)", "types/Write"), WAIT);
      read(cluster, "defaults");
      String r3 = report(cluster.awaitEgress("types/reports", 3, WAIT).get(2));
      cluster.stop();

      String values = "\"i\":-7,\"l\":\"9007199254740993\",\"f\":0.10000000149011612,\"d\":0.1,\"b\":true,\"s\":\"héllo ✓\",\"j\":" + doc
          + ",\"p\":{\"lat\":52.52,\"lon\":13.405,\"label\":\"Berlin\"}}";
      assertEquals("{\"tag\":\"next\"," + values, r1, "what the next delivery read");
      assertEquals("{\"tag\":\"later\"," + values, r2, "what a later batch read");
      assertEquals("{\"tag\":\"defaults\",\"i\":0,\"l\":\"0\",\"f\":0,\"d\":0,\"b\":false,\"s\":\"\",\"j\":{\"name\":\"z\",\"tags\":[]},"
          + "\"p\":{\"lat\":0,\"lon\":0,\"label\":\"\"}}", r3, "what a batch read after defaults were written");

      Map<String, String> first = expectedAll(-7, 9007199254740993L, 0.1f, 0.1, true, "héllo ✓", doc, place(52.52, 13.405, "Berlin"));
      Map<String, String> defaults = expectedAll(0, 0, 0f, 0.0, false, "", "{\"name\":\"z\",\"tags\":[]}", new byte[0]);
      List<Recording.Exchange> writes = recording.matching(Recording.resultAt("types/all(t)", "types/Write"));
      assertEquals(2, writes.size(), "batches with a write");
      assertEquals(first, written(writes.get(0)), "the first write's mutations");
      assertEquals(defaults, written(writes.get(1)), "the second write's mutations");
      // The runtime hands the bytes back unchanged, with has_value set even for zero bytes.
      Recording.Exchange later = recording.matching(e -> e.isResult() && e.target().equals("types/all(t)") && e.invocations().size() == 1
          && e.invocations().get(0).getArgument().getValue().toStringUtf8().contains("later")).get(0);
      assertEquals(first, carried(later, ALL), "the states the later batch carried");
      Recording.Exchange afterDefaults = recording.matching(e -> e.isResult() && e.target().equals("types/all(t)")
          && e.invocations().get(0).getArgument().getValue().toStringUtf8().contains("defaults")).get(0);
      assertEquals(defaults, carried(afterDefaults, ALL), "the states carried after defaults were written");
    }
  }

  @Test
  @Timeout(value = 3, unit = TimeUnit.MINUTES)
  void theShowcaseExampleTypesEgressAndMessaging() throws Exception {
    Recording recording = Recording.from(ENDPOINT);
    String playground = "io.statefun.playground/egress";
    try (StateFunCluster cluster = StateFunCluster.builder("showcase-example")
        .endpoint("showcase/*", Endpoints.url(ENDPOINT))
        .egress("showcase/kafka")
        .egress("showcase/kinesis")
        .egress(playground)
        .start()) {
      long big = 1L << 53;
      byte[] location = place(52.52, 13.405, "Berlin");
      cluster.send("showcase/types", "t", value("io.statefun.types/int", intWrapper(7)));
      cluster.send("showcase/types", "t", value("io.statefun.types/long", longWrapper(big)));
      cluster.send("showcase/types", "t", TypedValues.json("showcase/Profile", "{\"name\":\"Ann\",\"age\":40}"));
      cluster.send("showcase/types", "t", value("type.googleapis.com/showcase.Location", location));
      recording.await("the location at showcase/types", 1, Recording.resultAt("showcase/types(t)", "type.googleapis.com/showcase.Location"), WAIT);
      cluster.send("showcase/types", "t", value("io.statefun.types/int", intWrapper(1)));
      cluster.send("showcase/egress", "e", value("io.statefun.types/string", stringWrapper("out")));
      cluster.send("showcase/messaging", "m", value("io.statefun.types/string", stringWrapper("hello")));

      TypedValue kafka = cluster.awaitEgress("showcase/kafka", 1, WAIT).get(0);
      TypedValue kinesis = cluster.awaitEgress("showcase/kinesis", 1, WAIT).get(0);
      List<TypedValue> records = cluster.awaitEgress(playground, 2, WAIT);
      Recording.Exchange last = recording.await("the last int at showcase/types", 1,
          e -> e.isResult() && e.target().equals("showcase/types(t)") && e.invocations().get(e.invocations().size() - 1).getArgument().getValue().equals(ByteString.copyFrom(intWrapper(1))),
          WAIT).get(0);
      cluster.stop();

      assertEquals(new EgressRecords.Kafka("showcase", "e", ByteString.copyFromUtf8("out")), EgressRecords.kafka(kafka), "Kafka record");
      assertEquals(new EgressRecords.Kinesis("showcase", "e", "", ByteString.copyFromUtf8("out")), EgressRecords.kinesis(kinesis), "Kinesis record");
      assertEquals(
          List.of("io.statefun.playground/EgressRecord {\"topic\":\"showcase\",\"payload\":\"out\"}",
              "io.statefun.playground/EgressRecord {\"topic\":\"showcase-log\",\"payload\":\"echoed: hello\"}"),
          records.stream().map(r -> r.getTypename() + " " + r.getValue().toStringUtf8()).sorted().toList(),
          "playground records");
      // What the first four messages left, as the runtime stored it and sent it back with the fifth.
      Map<String, String> expected = new LinkedHashMap<>();
      expected.put("count", "io.statefun.types/int " + hex(intWrapper(2)));
      expected.put("total", "io.statefun.types/long " + hex(longWrapper(big + 7)));
      expected.put("average", "io.statefun.types/double " + hex(doubleWrapper((double) (big + 7) / 2)));
      expected.put("profile", "showcase/Profile " + hex("{\"name\":\"Ann\",\"age\":40}".getBytes(StandardCharsets.UTF_8)));
      expected.put("where", "type.googleapis.com/showcase.Location " + hex(location));
      // It was sent after the first four were applied, so it rode alone.
      assertEquals(1, last.invocations().size(), "invocations in the fifth message's batch");
      assertEquals(expected, carried(last, List.of("count", "total", "average", "profile", "where")), "states carried with the fifth message");
      Map<String, String> after = new LinkedHashMap<>(expected);
      after.put("count", "io.statefun.types/int " + hex(intWrapper(3)));
      after.put("total", "io.statefun.types/long " + hex(longWrapper(big + 8)));
      after.put("average", "io.statefun.types/double " + hex(doubleWrapper((double) (big + 8) / 3)));
      Map<String, String> mutations = written(last);
      assertEquals(after.get("count"), mutations.get("count"), "count after the fifth message");
      assertEquals(after.get("total"), mutations.get("total"), "total after the fifth message");
      assertEquals(after.get("average"), mutations.get("average"), "average after the fifth message");
    }
  }
}
