package io.custos.mcp.http;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.StringWriter;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.SecureRandom;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * The self-signed TLS certificate generated on first run (ECDSA P-256, SAN localhost / 127.0.0.1 / ::1,
 * one year), stored as a PKCS#12 keystore with a random password, plus the certificate in PEM so local
 * clients can trust it (e.g. {@code NODE_EXTRA_CA_CERTS}). For development and demos; production
 * configures its own keystore.
 *
 * @param keystore    PKCS#12 file
 * @param password    keystore password
 * @param certificate PEM file of the certificate
 */
public record SelfSignedCertificate(Path keystore, char[] password, Path certificate) {

  /**
   * Loads the certificate from {@code dir}, generating it first if absent.
   *
   * @throws IOException if the files cannot be read or written
   */
  public static SelfSignedCertificate loadOrCreate(Path dir) throws IOException {
    Path ks = dir.resolve("keystore.p12");
    Path pw = dir.resolve("keystore.password");
    Path pem = dir.resolve("certificate.pem");
    if (Files.exists(ks) && Files.exists(pw) && Files.exists(pem)) {
      return new SelfSignedCertificate(ks, Files.readString(pw).trim().toCharArray(), pem);
    }
    Files.createDirectories(dir);
    try {
      KeyPairGenerator kpg = KeyPairGenerator.getInstance("EC");
      kpg.initialize(new ECGenParameterSpec("secp256r1"));
      KeyPair kp = kpg.generateKeyPair();
      X500Name name = new X500Name("CN=localhost, O=Custos development certificate");
      Instant now = Instant.now();
      var builder = new JcaX509v3CertificateBuilder(name, new BigInteger(64, new SecureRandom()),
          Date.from(now.minus(Duration.ofMinutes(5))), Date.from(now.plus(Duration.ofDays(365))), name, kp.getPublic());
      builder.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(new GeneralName[] {
          new GeneralName(GeneralName.dNSName, "localhost"),
          new GeneralName(GeneralName.iPAddress, "127.0.0.1"),
          new GeneralName(GeneralName.iPAddress, "::1")}));
      // Self-signed: the certificate is its own trust anchor, so it must be allowed to sign itself.
      builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(true));
      builder.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature | KeyUsage.keyCertSign));
      builder.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(KeyPurposeId.id_kp_serverAuth));
      X509Certificate cert = new JcaX509CertificateConverter()
          .getCertificate(builder.build(new JcaContentSignerBuilder("SHA256withECDSA").build(kp.getPrivate())));
      byte[] pwBytes = new byte[24];
      new SecureRandom().nextBytes(pwBytes);
      char[] password = Base64.getUrlEncoder().withoutPadding().encodeToString(pwBytes).toCharArray();
      KeyStore store = KeyStore.getInstance("PKCS12");
      store.load(null, null);
      store.setKeyEntry("custos", kp.getPrivate(), password, new Certificate[] {cert});
      try (OutputStream out = Files.newOutputStream(ks)) {
        store.store(out, password);
      }
      Files.writeString(pw, new String(password));
      StringWriter sw = new StringWriter();
      try (JcaPEMWriter w = new JcaPEMWriter(sw)) {
        w.writeObject(cert);
      }
      Files.writeString(pem, sw.toString());
      restrict(ks);
      restrict(pw);
      return new SelfSignedCertificate(ks, password, pem);
    } catch (GeneralSecurityException | OperatorCreationException e) {
      throw new IOException("could not generate the self-signed TLS certificate", e);
    }
  }

  /** Loads the keystore. @throws IOException if unreadable */
  public KeyStore load() throws IOException {
    try (InputStream in = Files.newInputStream(keystore)) {
      KeyStore store = KeyStore.getInstance("PKCS12");
      store.load(in, password);
      return store;
    } catch (GeneralSecurityException e) {
      throw new IOException("TLS keystore could not be loaded", e);
    }
  }

  private static void restrict(Path p) throws IOException {
    try {
      Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rw-------"));
    } catch (UnsupportedOperationException ignored) {
      // non-POSIX file system: rely on the directory's permissions
    }
  }
}
