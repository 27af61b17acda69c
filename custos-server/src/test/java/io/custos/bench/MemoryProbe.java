package io.custos.bench;

import com.sun.tools.attach.AttachNotSupportedException;
import com.sun.tools.attach.VirtualMachine;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.management.remote.JMXConnectorFactory;
import javax.management.remote.JMXServiceURL;

/**
 * Memory of one JVM: resident set size from Linux {@code /proc/PID/status} ({@code VmRSS}, KiB) and used heap from
 * its {@link MemoryMXBean} (KiB), read in place or over the JDK attach API's local JMX connector. Reading the heap
 * does not collect; {@link #heapUsedKb(boolean) heapUsedKb(true)} first runs a full collection
 * ({@code MemoryMXBean.gc()}, as {@code System.gc()}), which is how a soak compares retained heap.
 */
record MemoryProbe(MemoryMXBean memory, Path procStatus) {
  /** This JVM (for a server run in-process). */
  static MemoryProbe self() {
    return new MemoryProbe(ManagementFactory.getMemoryMXBean(), Path.of("/proc/self/status"));
  }

  /** Another JVM of the same user, by process id: starts its local management agent (JDK attach API). */
  static MemoryProbe attach(long pid) throws IOException {
    try {
      VirtualMachine vm = VirtualMachine.attach(String.valueOf(pid));
      String address;
      try {
        address = vm.startLocalManagementAgent();
      } finally {
        vm.detach();
      }
      var connection = JMXConnectorFactory.connect(new JMXServiceURL(address)).getMBeanServerConnection();
      return new MemoryProbe(ManagementFactory.newPlatformMXBeanProxy(connection, ManagementFactory.MEMORY_MXBEAN_NAME,
          MemoryMXBean.class), Path.of("/proc", String.valueOf(pid), "status"));
    } catch (AttachNotSupportedException e) {
      throw new IOException("cannot attach to JVM " + pid, e);
    }
  }

  /** Resident set size in KiB, or -1 where {@code /proc} is not available. */
  long rssKb() {
    try {
      for (String line : Files.readAllLines(procStatus)) {
        if (line.startsWith("VmRSS:")) {
          return Long.parseLong(line.substring(6).trim().split("\\s+")[0]);
        }
      }
    } catch (IOException | RuntimeException e) {
      // no /proc (not Linux) or the process ended
    }
    return -1;
  }

  /** Used heap in KiB, after a full collection if {@code fullGc}. */
  long heapUsedKb(boolean fullGc) {
    if (fullGc) {
      memory.gc();
    }
    return memory.getHeapMemoryUsage().getUsed() / 1024;
  }
}
