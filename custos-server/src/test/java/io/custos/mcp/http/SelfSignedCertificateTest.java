package io.custos.mcp.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.cert.X509Certificate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The development TLS certificate: generated once, owner-only key, reloaded as the same key pair. */
class SelfSignedCertificateTest {
  @TempDir
  Path dir;

  @Test
  void generatedOnceThenReloadedAsTheSameKeyPairAndCertificate() throws Exception {
    SelfSignedCertificate first = SelfSignedCertificate.loadOrCreate(dir);
    String pem = Files.readString(first.certificate());
    assertThat(Files.getPosixFilePermissions(first.privateKey())).isEqualTo(PosixFilePermissions.fromString("rw-------"));
    assertThat(Files.readString(first.privateKey())).startsWith("-----BEGIN PRIVATE KEY-----");

    SelfSignedCertificate again = SelfSignedCertificate.loadOrCreate(dir);
    assertThat(Files.readString(again.certificate())).isEqualTo(pem);

    SelfSignedCertificate.InMemoryKeyStore keys = again.load();
    PrivateKey key = (PrivateKey) keys.store().getKey("custos", keys.password());
    X509Certificate cert = (X509Certificate) keys.store().getCertificate("custos");
    // The key held in memory signs what the certificate's public key verifies: they are one pair.
    Signature signer = Signature.getInstance("SHA256withECDSA");
    signer.initSign(key);
    signer.update(new byte[] {1, 2, 3});
    byte[] signature = signer.sign();
    Signature verifier = Signature.getInstance("SHA256withECDSA");
    verifier.initVerify(cert.getPublicKey());
    verifier.update(new byte[] {1, 2, 3});
    assertThat(verifier.verify(signature)).isTrue();
    assertThat(cert.getSubjectAlternativeNames()).extracting(san -> (Object) san.get(1)).contains("localhost", "127.0.0.1");
  }

  @Test
  void eachLoadProtectsTheInMemoryEntryWithItsOwnPassword() throws Exception {
    SelfSignedCertificate cert = SelfSignedCertificate.loadOrCreate(dir);
    assertThat(cert.load().password()).isNotEqualTo(cert.load().password());
  }

  @Test
  void aDataDirectoryWithTheOldPkcs12KeystoreGetsANewCertificateAndLosesTheOldFiles() throws Exception {
    Files.writeString(dir.resolve("keystore.p12"), "old");
    Files.writeString(dir.resolve("keystore.password"), "old");
    Files.writeString(dir.resolve("certificate.pem"), "old");
    SelfSignedCertificate cert = SelfSignedCertificate.loadOrCreate(dir);
    assertThat(Files.readString(cert.certificate())).startsWith("-----BEGIN CERTIFICATE-----");
    assertThat(dir.resolve("keystore.p12")).doesNotExist();
    assertThat(dir.resolve("keystore.password")).doesNotExist();
  }

  @Test
  void aKeyFileThatIsNotPkcs8IsRefused() throws Exception {
    SelfSignedCertificate cert = SelfSignedCertificate.loadOrCreate(dir);
    Files.writeString(cert.privateKey(), Files.readString(cert.certificate()));
    assertThatThrownBy(cert::load).isInstanceOf(IOException.class).hasMessageContaining("PKCS#8");
  }
}
