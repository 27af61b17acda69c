#!/bin/sh
# Lays out the root filesystem that Jib puts on top of an empty (`scratch`) base: a jlink'd Java runtime, the few
# glibc shared libraries it loads, and the files a non-root JVM expects in /etc. Nothing else: no shell, no package
# manager, no coreutils. Base images cannot be pulled here (no registry access), so the base is made from this
# machine's JDK and glibc instead; see README "Container image" for the trade-off.
#
# Usage: rootfs.sh OUTPUT_DIR [CLASSES_DIR]
#   OUTPUT_DIR is replaced (a rerun with the same JDK reuses the runtime); CLASSES_DIR, if given, is created empty when
#   missing (Jib reads the module's class directory, and this module has no classes).
set -eu
out=$1
[ -z "${2:-}" ] || mkdir -p "$2"
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../../../scripts/find-jdk.sh"

# Modules found by `jdeps --print-module-deps` over custos.jar and its runtime libraries (jdk.javadoc dropped: only a
# doclet in one library names it), plus jdk.zipfs (zip file systems).
modules=java.base,java.desktop,java.management,java.naming,java.net.http,java.scripting,java.security.jgss
modules=$modules,java.security.sasl,java.sql,java.xml.crypto,jdk.unsupported,jdk.zipfs
# Protobuf (under Tink) still calls sun.misc.Unsafe; JDK 24+ warns about it on every start. Baked into the runtime
# (jlink --add-options) because the option does not exist before JDK 23.
options=
major=$(sed -n 's/^JAVA_VERSION="\([0-9]*\).*/\1/p' "$JAVA_HOME/release")
[ "$major" -lt 24 ] || options=-Dsun.misc.unsafe.memory.access=allow
stamp="$JAVA_HOME $modules $options"

runtime="$out/opt/java"
if [ ! -x "$runtime/bin/java" ] || [ "$(cat "$out.stamp" 2>/dev/null)" != "$stamp" ]; then
  rm -rf "$out" "$out.stamp"
  mkdir -p "$out/opt"
  "$JAVA_HOME/bin/jlink" --add-modules "$modules" ${options:+--add-options="$options"} --strip-debug --no-man-pages --no-header-files \
    --compress=zip-6 --output "$runtime"
  # Native parts of AWT that need X11 or ALSA (absent from the image); headless AWT (java.awt.headless=true) uses none.
  rm -f "$runtime/lib/libawt_xawt.so" "$runtime/lib/libjawt.so" "$runtime/lib/libsplashscreen.so" "$runtime/lib/libjsound.so"
  # A class-data-sharing archive of the JDK's own classes, made by the runtime itself, for a faster start.
  "$runtime/bin/java" -Xshare:dump -Xlog:disable >/dev/null
  echo "$stamp" > "$out.stamp"
fi

# The glibc libraries the runtime links against (ldd over every executable and library), and the dynamic loader.
libdir="$out/lib/x86_64-linux-gnu"
rm -rf "$out/lib" "$out/lib64" "$out/etc" "$out/data" "$out/tmp"
# Mount points: /data (volume: ledger, keys, TLS certificate), /tmp (volume), /etc/custos (custos.yaml).
mkdir -p "$libdir" "$out/lib64" "$out/etc/custos" "$out/data" "$out/tmp"
for lib in libc.so.6 libm.so.6 libdl.so.2 libpthread.so.0 librt.so.1 libgcc_s.so.1 libz.so.1; do
  src=/lib/x86_64-linux-gnu/$lib
  if [ -e "$src" ]; then
    cp -L "$src" "$libdir/$lib"
  fi
done
cp -L /lib64/ld-linux-x86-64.so.2 "$out/lib64/ld-linux-x86-64.so.2"
# Fail here, not at run time, if the runtime needs a library that is not in the image (found on this machine or
# not). Unversioned names (libjava.so, libjvm.so, ...) are the runtime's own.
missing=$(find "$runtime" -type f \( -name '*.so' -o -path '*/bin/*' \) -exec ldd {} \; 2>/dev/null | awk '/=>/ {print $1}' | sort -u | while read -r lib; do
    case "$lib" in lib[a-z]*.so) ;; *) [ -e "$libdir/$lib" ] || echo "$lib" ;; esac
  done)
if [ -n "$missing" ]; then
  echo "rootfs.sh: the Java runtime needs libraries not copied into the image: $missing" >&2
  exit 1
fi

# The non-root user (uid/gid 65532, as distroless images use) and name resolution from files, then DNS.
printf 'root:x:0:0:root:/root:/sbin/nologin\ncustos:x:65532:65532:custos:/data:/sbin/nologin\n' > "$out/etc/passwd"
printf 'root:x:0:\ncustos:x:65532:\n' > "$out/etc/group"
printf 'hosts: files dns\n' > "$out/etc/nsswitch.conf"
