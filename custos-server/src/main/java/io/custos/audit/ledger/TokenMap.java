package io.custos.audit.ledger;

import com.google.crypto.tink.Aead;
import io.custos.verify.SegmentFormat;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The encrypted token map: pseudonym to patient id, so that an authorized administrator can re-identify the
 * patient behind an audit pseudonym (45 CFR 164.514(c) re-identification code kept separately and secured;
 * 164.528 accounting of disclosures needs it). Append-only file of AES-256-GCM records
 * {@code [length int32][Tink ciphertext of "pseudonym\tpatient id"]}, fsynced per new mapping. Callers
 * that re-identify must record that as an audit event ({@code custos audit report} does).
 */
public final class TokenMap implements AutoCloseable {
  public static final String FILE = "token-map.enc";
  private static final byte[] AD = "custos.token-map.v1".getBytes(StandardCharsets.UTF_8);

  private final FileChannel ch;
  private final Aead aead;
  private final Map<String, String> byPseudonym = new ConcurrentHashMap<>();

  private TokenMap(FileChannel ch, Aead aead) {
    this.ch = ch;
    this.aead = aead;
  }

  /** Opens (creating) the token map file and decrypts it into memory. */
  public static TokenMap open(Path file, Aead aead) throws IOException {
    Files.createDirectories(file.toAbsolutePath().getParent());
    boolean created = !Files.exists(file);
    FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
    if (created) {
      try {
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
      } catch (UnsupportedOperationException ignored) {
        // non-POSIX
      }
    }
    TokenMap m = new TokenMap(ch, aead);
    try {
      m.load();
    } catch (IOException e) {
      ch.close();
      throw e;
    }
    return m;
  }

  private void load() throws IOException {
    long size = ch.size();
    long pos = 0;
    ByteBuffer len = ByteBuffer.allocate(4);
    while (pos + 4 <= size) {
      len.clear();
      ch.read(len, pos);
      len.flip();
      int n = len.getInt();
      if (n <= 0 || pos + 4 + n > size) {
        break; // torn tail from a crash: dropped
      }
      ByteBuffer ct = ByteBuffer.allocate(n);
      SegmentFormat.readFully(ch, ct, pos + 4);
      try {
        String[] kv = new String(aead.decrypt(ct.array(), AD), StandardCharsets.UTF_8).split("\t", 2);
        byPseudonym.put(kv[0], kv[1]);
      } catch (GeneralSecurityException e) {
        throw new IOException("token map record at byte " + pos + " does not decrypt");
      }
      pos += 4 + n;
    }
    ch.truncate(pos);
  }

  /** Records that {@code pseudonym} stands for {@code patientId} (durably, once). */
  public synchronized void remember(String pseudonym, String patientId) throws IOException {
    if (patientId.equals(byPseudonym.get(pseudonym))) {
      return;
    }
    try {
      byte[] ct = aead.encrypt((pseudonym + "\t" + patientId).getBytes(StandardCharsets.UTF_8), AD);
      ByteBuffer b = ByteBuffer.allocate(4 + ct.length).putInt(ct.length).put(ct);
      b.flip();
      long pos = ch.size();
      while (b.hasRemaining()) {
        pos += ch.write(b, pos);
      }
      ch.force(false);
      byPseudonym.put(pseudonym, patientId);
    } catch (GeneralSecurityException e) {
      throw new IOException("token map encryption failed", e);
    }
  }

  /** Re-identifies a pseudonym. The caller must audit this. */
  public Optional<String> patientFor(String pseudonym) {
    return Optional.ofNullable(byPseudonym.get(pseudonym));
  }

  /** Pseudonyms recorded for a patient id. */
  public List<String> pseudonymsFor(String patientId) {
    List<String> out = new ArrayList<>();
    byPseudonym.forEach((p, id) -> {
      if (id.equals(patientId)) {
        out.add(p);
      }
    });
    return out;
  }

  @Override
  public void close() throws IOException {
    ch.close();
  }
}
