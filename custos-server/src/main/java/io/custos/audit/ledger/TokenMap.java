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
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import javax.sql.DataSource;

/**
 * The encrypted token map: pseudonym to patient id, so that an authorized administrator can re-identify the
 * patient behind an audit pseudonym (45 CFR 164.514(c) re-identification code kept separately and secured;
 * 164.528 accounting of disclosures needs it). Each mapping is sealed with AES-256-GCM (Tink) and stored once:
 * in an append-only file {@code [length int32][ciphertext of "pseudonym\tpatient id"]}, fsynced per new mapping, or,
 * for a fleet, in the ledger's PostgreSQL database, where every server's mappings meet. Callers that re-identify must
 * record that as an audit event ({@code custos audit report} does).
 */
public final class TokenMap implements AutoCloseable {
  public static final String FILE = "token-map.enc";
  private static final byte[] AD = "custos.token-map.v1".getBytes(StandardCharsets.UTF_8);

  /** Where the sealed mappings live. */
  private interface Storage extends AutoCloseable {
    /** Every sealed mapping stored so far. */
    List<byte[]> readAll() throws IOException;

    /** Stores one sealed mapping durably (a repeat for the same pseudonym is harmless). */
    void add(String pseudonym, byte[] sealed) throws IOException;

    /** Whether other servers add mappings too (then a miss re-reads the storage). */
    boolean shared();

    @Override
    void close() throws IOException;
  }

  private final Storage storage;
  private final Aead aead;
  private final Map<String, String> byPseudonym = new ConcurrentHashMap<>();
  /** When a shared map was last re-read (nanoTime): a miss re-reads it at most once a second. */
  private volatile long reloadedAt = System.nanoTime() - 1_000_000_000L;

  private TokenMap(Storage storage, Aead aead) {
    this.storage = storage;
    this.aead = aead;
  }

  /** Opens (creating) the token map file and decrypts it into memory. */
  public static TokenMap open(Path file, Aead aead) throws IOException {
    return opened(FileStorage.open(file), aead);
  }

  /** Opens the token map in the database of a {@link PostgresLedgerStore} (shared by a fleet). */
  public static TokenMap open(PostgresLedgerStore store, Aead aead) throws IOException {
    return opened(new DatabaseStorage(store.dataSource()), aead);
  }

  private static TokenMap opened(Storage storage, Aead aead) throws IOException {
    TokenMap m = new TokenMap(storage, aead);
    try {
      m.load();
    } catch (IOException e) {
      storage.close();
      throw e;
    }
    return m;
  }

  private void load() throws IOException {
    for (byte[] sealed : storage.readAll()) {
      try {
        String[] kv = new String(aead.decrypt(sealed, AD), StandardCharsets.UTF_8).split("\t", 2);
        byPseudonym.put(kv[0], kv[1]);
      } catch (GeneralSecurityException e) {
        throw new IOException("a token map record does not decrypt");
      }
    }
  }

  /** Records that {@code pseudonym} stands for {@code patientId} (durably, once). */
  public synchronized void remember(String pseudonym, String patientId) throws IOException {
    if (patientId.equals(byPseudonym.get(pseudonym))) {
      return;
    }
    try {
      storage.add(pseudonym, aead.encrypt((pseudonym + "\t" + patientId).getBytes(StandardCharsets.UTF_8), AD));
      byPseudonym.put(pseudonym, patientId);
    } catch (GeneralSecurityException e) {
      throw new IOException("token map encryption failed", e);
    }
  }

  /** Re-identifies a pseudonym. The caller must audit this. */
  public Optional<String> patientFor(String pseudonym) throws IOException {
    if (!byPseudonym.containsKey(pseudonym) && storage.shared()) {
      reloadShared();
    }
    return Optional.ofNullable(byPseudonym.get(pseudonym));
  }

  /** Pseudonyms recorded for a patient id. */
  public List<String> pseudonymsFor(String patientId) throws IOException {
    if (storage.shared()) {
      reloadShared();
    }
    List<String> out = new ArrayList<>();
    byPseudonym.forEach((p, id) -> {
      if (id.equals(patientId)) {
        out.add(p);
      }
    });
    return out;
  }

  /** Picks up other servers' mappings; bounded to once a second, so that unknown pseudonyms cannot force a reload each. */
  private synchronized void reloadShared() throws IOException {
    if (System.nanoTime() - reloadedAt >= 1_000_000_000L) {
      load();
      reloadedAt = System.nanoTime();
    }
  }

  @Override
  public void close() throws IOException {
    storage.close();
  }

  /** The append-only file; a torn tail from a crash is dropped at open. */
  private static final class FileStorage implements Storage {
    private final FileChannel ch;

    private FileStorage(FileChannel ch) {
      this.ch = ch;
    }

    static FileStorage open(Path file) throws IOException {
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
      return new FileStorage(ch);
    }

    @Override
    public List<byte[]> readAll() throws IOException {
      List<byte[]> out = new ArrayList<>();
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
        out.add(ct.array());
        pos += 4 + n;
      }
      ch.truncate(pos);
      return out;
    }

    @Override
    public void add(String pseudonym, byte[] sealed) throws IOException {
      ByteBuffer b = ByteBuffer.allocate(4 + sealed.length).putInt(sealed.length).put(sealed);
      b.flip();
      long pos = ch.size();
      while (b.hasRemaining()) {
        pos += ch.write(b, pos);
      }
      ch.force(false);
    }

    @Override
    public boolean shared() {
      return false;
    }

    @Override
    public void close() throws IOException {
      ch.close();
    }
  }

  /** Table {@code ledger_token}: one row per pseudonym, written once by whichever server saw the patient first. */
  private record DatabaseStorage(DataSource ds) implements Storage {
    @Override
    public List<byte[]> readAll() throws IOException {
      List<byte[]> out = new ArrayList<>();
      try (Connection c = ds.getConnection();
          PreparedStatement s = c.prepareStatement("SELECT sealed FROM ledger_token");
          ResultSet rs = s.executeQuery()) {
        while (rs.next()) {
          out.add(rs.getBytes(1));
        }
      } catch (SQLException e) {
        throw new IOException("token map read failed: SQLState " + e.getSQLState(), e);
      }
      return out;
    }

    @Override
    public void add(String pseudonym, byte[] sealed) throws IOException {
      try (Connection c = ds.getConnection();
          PreparedStatement s = c.prepareStatement(
              "INSERT INTO ledger_token (pseudonym, sealed) VALUES (?, ?) ON CONFLICT (pseudonym) DO NOTHING")) {
        s.setString(1, pseudonym);
        s.setBytes(2, sealed);
        s.executeUpdate();
      } catch (SQLException e) {
        throw new IOException("token map write failed: SQLState " + e.getSQLState(), e);
      }
    }

    @Override
    public boolean shared() {
      return true;
    }

    @Override
    public void close() {
      // the ledger store owns the pool
    }
  }
}
