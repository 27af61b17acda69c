package io.custos.incident;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Optional;

/** One server's incident records: owner-only files {@code <dir>/<id>.json}. */
final class FileIncidentStore implements IncidentStore {
  private final Path dir;

  FileIncidentStore(Path dir) {
    this.dir = dir;
  }

  @Override
  public Optional<String> create(String id, String alertId, byte[] record) throws IOException {
    Path file = file(id);
    Files.createDirectories(dir);
    Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    Files.write(file, record);
    return Optional.empty();
  }

  @Override
  public Optional<byte[]> read(String id) throws IOException {
    Path file = file(id);
    return Files.isRegularFile(file) ? Optional.of(Files.readAllBytes(file)) : Optional.empty();
  }

  @Override
  public void remove(String id) throws IOException {
    Files.deleteIfExists(file(id));
  }

  private Path file(String id) {
    return dir.resolve(id + ".json");
  }
}
