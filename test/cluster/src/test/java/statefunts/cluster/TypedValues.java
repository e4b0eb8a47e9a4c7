package statefunts.cluster;

import com.google.protobuf.ByteString;
import java.nio.charset.StandardCharsets;
import org.apache.flink.statefun.sdk.reqreply.generated.TypedValue;

/** Builds and describes the TypedValues the tests send and receive. */
public final class TypedValues {
  private TypedValues() {}

  /** JSON text under a user typename (what an SDK's JSON type reads). */
  public static TypedValue json(String typename, String jsonText) {
    return of(typename, ByteString.copyFromUtf8(jsonText));
  }

  public static TypedValue of(String typename, ByteString value) {
    return TypedValue.newBuilder().setTypename(typename).setHasValue(true).setValue(value).build();
  }

  /** A JSON string literal holding {@code s}. */
  public static String jsonString(String s) {
    StringBuilder out = new StringBuilder("\"");
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> out.append("\\\"");
        case '\\' -> out.append("\\\\");
        case '\n' -> out.append("\\n");
        case '\r' -> out.append("\\r");
        case '\t' -> out.append("\\t");
        default -> {
          if (c < 0x20) out.append(String.format("\\u%04x", (int) c));
          else out.append(c);
        }
      }
    }
    return out.append('"').toString();
  }

  /** One line for assertion messages: typename and value (as text when it is UTF-8, else hex). */
  public static String describe(TypedValue v) {
    if (!v.getHasValue()) return v.getTypename() + " (no value)";
    byte[] bytes = v.getValue().toByteArray();
    String text = new String(bytes, StandardCharsets.UTF_8);
    boolean printable = text.codePoints().allMatch(cp -> cp >= 0x20 && cp != 0xfffd);
    if (printable) return v.getTypename() + " " + jsonString(text);
    StringBuilder hex = new StringBuilder();
    for (byte b : bytes) hex.append(String.format("%02x", b));
    return v.getTypename() + " 0x" + hex;
  }
}
