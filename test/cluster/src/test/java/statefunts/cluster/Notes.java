package statefunts.cluster;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * What a test measured, for the run's summary: `npm run test:cluster` prints every note after
 * the results (system property {@code statefun.notes}, a directory; one file per topic).
 */
public final class Notes {
  private Notes() {}

  /** Appends one line to the note {@code topic}. */
  public static synchronized void write(String topic, String line) {
    String dir = System.getProperty("statefun.notes");
    if (dir == null || dir.isEmpty()) return;
    try {
      Path file = Path.of(dir).resolve(topic + ".txt");
      Files.createDirectories(file.getParent());
      Files.writeString(file, line + "\n", StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
