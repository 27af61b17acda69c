package io.custos.cli;

import io.custos.audit.ledger.CheckpointSigner;
import io.custos.audit.ledger.KeyCreation;
import io.custos.audit.ledger.KeysetInfo;
import io.custos.audit.ledger.LocalKeySource;
import io.custos.verify.KeyTransitions;
import io.custos.verify.checkpoint.KeyTransition;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code custos keys init|rotate}: ledger, token-map and request-state keysets and the checkpoint signing key. Prints ids, never keys. */
@Command(name = "keys", mixinStandardHelpOptions = true, description = "Create or rotate the audit ledger keys.",
    subcommands = {KeysCommand.Init.class, KeysCommand.Rotate.class})
final class KeysCommand {
  private KeysCommand() {}

  @Command(name = "init", description = "Create AES-256-GCM keysets (ledger, token map, request state) and an Ed25519 checkpoint key pair.")
  static final class Init implements Callable<Integer> {
    @Option(names = "--dir", required = true, description = "key directory (created, owner-only)") Path dir;

    @Override
    public Integer call() throws Exception {
      List<KeysetInfo> created = LocalKeySource.init(dir, Optional.empty());
      created.forEach(k -> System.out.println("created " + k));
      LocalKeySource ks = LocalKeySource.open(dir);
      System.out.println("created checkpoint signing key (Ed25519)");
      System.out.println("creation times recorded in " + dir.resolve(KeyCreation.FILE) + " (the compliance report's key ages)");
      System.out.println("public key for auditors: " + ks.publicKeyFile() + "; each ledger also publishes its C2SP verifier"
          + " key (origin and key) as " + CheckpointSigner.VKEY_FILE + " in its directory");
      return 0;
    }
  }

  @Command(name = "rotate", description = "Add a new primary key to each keyset (old keys stay so old entries remain"
      + " readable) and replace the Ed25519 checkpoint key: the old key signs a transition statement endorsing the new one,"
      + " then its private half is deleted. A running Custos signs its next checkpoint with the new key.")
  static final class Rotate implements Callable<Integer> {
    @Option(names = "--dir", required = true, description = "key directory") Path dir;

    @Override
    public Integer call() throws Exception {
      LocalKeySource.rotate(dir, Optional.empty()).forEach(k -> System.out.println("rotated " + k));
      KeyTransition t = LocalKeySource.rotateCheckpointKey(dir, Optional.empty(), Instant.now());
      System.out.println("rotation times recorded in " + dir.resolve(KeyCreation.FILE));
      System.out.println("rotated checkpoint key (Ed25519): key " + KeyTransition.id(t.oldKey().publicKey()) + " retired,"
          + " key " + KeyTransition.id(t.newKey().publicKey()) + " signs from " + t.from() + "; the retired private key is"
          + " deleted, the transition statement signed by it is in " + dir.resolve(KeyTransitions.FILE));
      System.out.println("restart Custos to encrypt new entries with the new keys; each ledger publishes the statement"
          + " beside its " + CheckpointSigner.VKEY_FILE + " before signing with the new key, and auditors keep verifying"
          + " with the key they pinned");
      return 0;
    }
  }
}
