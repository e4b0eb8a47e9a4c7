package statefunts.cluster;

/** A {@code namespace/name} (function type, egress id), split at its last '/'. */
public record TypeName(String namespace, String name) {
  public static TypeName parse(String typename) {
    int slash = typename.lastIndexOf('/');
    if (slash <= 0 || slash == typename.length() - 1) {
      throw new IllegalArgumentException(
          "expected <namespace>/<name>, got \"" + typename + "\"");
    }
    return new TypeName(typename.substring(0, slash), typename.substring(slash + 1));
  }

  @Override
  public String toString() {
    return namespace + "/" + name;
  }
}
