package io.custos.audit.ledger;

import com.google.crypto.tink.Aead;
import io.custos.verify.checkpoint.KeyTransition;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.util.List;

/**
 * Where the ledger's keys come from (HIPAA 45 CFR 164.312(a)(2)(iv) encryption at rest, 164.312(c)(1)
 * integrity). The default is {@link LocalKeySource} (keyset files in a directory); a cloud KMS plugs in by
 * supplying the key-encryption key that wraps those keysets (envelope encryption), or by implementing this
 * interface directly. Implementations never log key material.
 */
public interface KeySource {

  /** AEAD (Tink AES256_GCM keyset, all key ids) for ledger event payloads. */
  Aead ledgerAead() throws GeneralSecurityException;

  /** AEAD for the pseudonym to patient-id token map. */
  Aead tokenMapAead() throws GeneralSecurityException;

  /** Ed25519 private key that signs checkpoints. */
  PrivateKey checkpointSigningKey() throws GeneralSecurityException;

  /** Ed25519 public key that verifies checkpoints. */
  PublicKey checkpointPublicKey() throws GeneralSecurityException;

  /**
   * The transition statements that chain the first checkpoint key to {@link #checkpointPublicKey()}, oldest first;
   * empty if the checkpoint key was never rotated (the default).
   */
  default List<KeyTransition> checkpointKeyTransitions() throws GeneralSecurityException {
    return List.of();
  }
}
