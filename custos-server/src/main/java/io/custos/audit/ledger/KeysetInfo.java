package io.custos.audit.ledger;

import java.util.List;

/**
 * Public facts about a Tink keyset: its name, primary key id and all key ids. Never key material.
 *
 * @param name         keyset name ({@code ledger}, {@code token-map})
 * @param primaryKeyId id of the key new ciphertexts use
 * @param keyIds       ids of every key in the keyset (old ones decrypt old entries)
 */
public record KeysetInfo(String name, int primaryKeyId, List<Integer> keyIds) {
  public KeysetInfo {
    keyIds = List.copyOf(keyIds);
  }

  @Override
  public String toString() {
    return name + " keyset: primary key id " + Integer.toUnsignedString(primaryKeyId) + ", " + keyIds.size() + " key(s)";
  }
}
