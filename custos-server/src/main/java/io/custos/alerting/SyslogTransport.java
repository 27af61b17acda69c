package io.custos.alerting;

import com.cloudbees.syslog.Facility;
import com.cloudbees.syslog.MessageFormat;
import com.cloudbees.syslog.sender.TcpSyslogMessageSender;
import io.custos.policy.AlertSink;
import java.io.IOException;
import java.time.Duration;
import javax.net.ssl.SSLContext;

/**
 * Sends alerts as RFC 5424 messages ({@link Rfc5424#alert}) over TLS with RFC 5425 framing ({@code MSG-LEN SP
 * SYSLOG-MSG}, octet counting) through the CloudBees syslog-java-client, one persistent connection that is re-opened
 * on failure. The collector's certificate chain is checked against {@code trust}; the library does not verify the
 * host name, so {@code trust} should hold the collector's own certificate or a private CA that signs only collectors.
 */
public final class SyslogTransport implements AlertTransport {
  private final TcpSyslogMessageSender sender;
  private final String hostname;

  /**
   * @param host     the collector (TLS syslog, conventionally port 6514)
   * @param trust    TLS context whose trust managers accept the collector's certificate
   * @param hostname HOSTNAME field of the messages (this server's name)
   * @param timeout  connect timeout
   */
  public SyslogTransport(String host, int port, SSLContext trust, String hostname, Duration timeout) {
    this.hostname = hostname;
    this.sender = new TcpSyslogMessageSender();
    sender.setSyslogServerHostname(host);
    sender.setSyslogServerPort(port);
    sender.setSsl(true);
    sender.setSSLContext(trust);
    sender.setMessageFormat(MessageFormat.RFC_5425);
    sender.setDefaultFacility(Facility.AUTHPRIV);
    sender.setDefaultAppName(Rfc5424.APP_NAME);
    sender.setDefaultMessageHostname(hostname);
    sender.setSocketConnectTimeoutInMillis((int) timeout.toMillis());
    sender.setPostfix(""); // RFC 5425 frames are delimited by their octet count, not a line end
    sender.setMaxRetryCount(1); // one reconnect for a connection the collector closed; RetryingSink does the rest
  }

  @Override
  public String kind() {
    return "syslog";
  }

  @Override
  public void send(AlertSink.Alert alert) throws IOException {
    sender.sendMessage(Rfc5424.alert(alert, hostname));
  }

  @Override
  public void close() throws IOException {
    sender.close();
  }
}
