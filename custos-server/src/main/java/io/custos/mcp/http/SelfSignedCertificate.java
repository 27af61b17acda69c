package io.custos.mcp.http;

import java.io.IOException;
import java.io.InputStream;
import java.io.StringWriter;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import javax.crypto.spec.PBEParameterSpec;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
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
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * The self-signed TLS certificate generated on first run (ECDSA P-256, SAN localhost / 127.0.0.1 / ::1,
 * one year): the private key as PKCS#8 PEM readable by the owner only (as the ledger and pseudonym keys are),
 * and the certificate as PEM so local clients can trust it (e.g. {@code NODE_EXTRA_CA_CERTS}). For
 * development and demos; production terminates TLS with its own certificate.
 *
 * <p>The key is not stored in a password-protected PKCS#12 file: its password would have to sit beside it, so the
 * password-based encryption (10,000 PBKDF2 iterations, twice) protected nothing and cost about a second of CPU
 * at every start. {@link #load()} builds the keystore Jetty needs in memory.
 *
 * @param privateKey  PKCS#8 PEM file of the private key (mode 600)
 * @param certificate PEM file of the certificate
 */
public record SelfSignedCertificate(Path privateKey, Path certificate) {

  /** A keystore held in memory and the one-process password that protects its entry. */
  public record InMemoryKeyStore(KeyStore store, char[] password) {}

  private static final String ALIAS = "custos";

  /**
   * Loads the certificate from {@code dir}, generating key and certificate first if either is absent (a data
   * directory from a version that kept a PKCS#12 keystore gets a new certificate).
   *
   * @throws IOException if the files cannot be read or written
   */
  public static SelfSignedCertificate loadOrCreate(Path dir) throws IOException {
    Path key = dir.resolve("private-key.pem");
    Path pem = dir.resolve("certificate.pem");
    if (Files.exists(key) && Files.exists(pem)) {
      return new SelfSignedCertificate(key, pem);
    }
    Files.createDirectories(dir);
    Files.deleteIfExists(dir.resolve("keystore.p12"));
    Files.deleteIfExists(dir.resolve("keystore.password"));
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
      Files.deleteIfExists(key);
      Files.createFile(key, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
      Files.writeString(key, pem(new JcaPKCS8Generator(kp.getPrivate(), null)));
      Files.writeString(pem, pem(cert));
      return new SelfSignedCertificate(key, pem);
    } catch (GeneralSecurityException | OperatorCreationException e) {
      throw new IOException("could not generate the self-signed TLS certificate", e);
    }
  }

  /**
   * The key and certificate as an in-memory PKCS#12 keystore under a random password that lives only in this
   * process (so its password-based protection needs no iterations worth paying for at start).
   *
   * @throws IOException if the files are unreadable or not a PKCS#8 key and an X.509 certificate
   */
  public InMemoryKeyStore load() throws IOException {
    try (PEMParser keyPem = new PEMParser(Files.newBufferedReader(privateKey));
        InputStream certIn = Files.newInputStream(certificate)) {
      Object parsed = keyPem.readObject();
      if (!(parsed instanceof PrivateKeyInfo info)) {
        throw new IOException("TLS private key is not a PKCS#8 PEM file");
      }
      PrivateKey key = new JcaPEMKeyConverter().getPrivateKey(info);
      Certificate cert = CertificateFactory.getInstance("X.509").generateCertificate(certIn);
      byte[] secret = new byte[24];
      SecureRandom random = new SecureRandom();
      random.nextBytes(secret);
      char[] password = Base64.getUrlEncoder().withoutPadding().encodeToString(secret).toCharArray();
      byte[] salt = new byte[16];
      random.nextBytes(salt);
      KeyStore store = KeyStore.getInstance("PKCS12");
      store.load(null, null);
      store.setEntry(ALIAS, new KeyStore.PrivateKeyEntry(key, new Certificate[] {cert}),
          new KeyStore.PasswordProtection(password, "PBEWithHmacSHA256AndAES_256", new PBEParameterSpec(salt, 1)));
      return new InMemoryKeyStore(store, password);
    } catch (GeneralSecurityException e) {
      throw new IOException("TLS key or certificate could not be loaded", e);
    }
  }

  private static String pem(Object object) throws IOException {
    StringWriter sw = new StringWriter();
    try (JcaPEMWriter w = new JcaPEMWriter(sw)) {
      w.writeObject(object);
    }
    return sw.toString();
  }
}
