#!/usr/bin/env bash
# Make the APK's x86_64 libLiteRt.so (an Android library: bionic, packed relocations) load on
# this machine's glibc, for the desktop-JVM test of the app's inference path
# (build_apk.sh --check runs this). The library's code is not changed; only what the dynamic
# loader reads is:
#
#   bash android_demo/tools/desktop_litert/port_litert.sh IN/libLiteRt.so OUT_DIR
#     -> OUT_DIR/libLiteRt.so (patched copy) + OUT_DIR/libandroidshim.so
#
# Steps (needs gcc, patchelf, binutils, python3):
#   1. gcc builds libandroidshim.so (androidshim.c): the Android-only symbols and the
#      bionic-ABI versions of a few functions;
#   2. bionic_elf.py unpacks Android's packed relocations (DT_ANDROID_RELA) into a RELA table,
#      renames the imports whose bionic ABI differs from glibc's (they bind to the shim) and
#      marks bionic's version needs (LIBC, LIBC_N) weak;
#   3. patchelf maps Android's libc.so / libm.so / libdl.so onto glibc's libc.so.6 / libm.so.6 /
#      libdl.so.2, liblog.so onto the shim, drops libEGL.so / libGLESv3.so (the shim has the
#      stubs the GPU path links against), clears the symbol versions of every import and sets
#      RUNPATH $ORIGIN (the shim sits beside it);
#   4. checks: no Android library is still needed, every Android-only import is the shim's,
#      and the library loads with every symbol bound (dlopen RTLD_NOW; LD_DEBUG=bindings
#      lists what the shim resolved).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
[[ $# -eq 2 ]] || { echo "usage: $0 IN/libLiteRt.so OUT_DIR" >&2; exit 2; }
IN="$1"
OUT="$2"
SO="$OUT/libLiteRt.so"
SHIM="$OUT/libandroidshim.so"
for tool in gcc patchelf readelf nm python3; do
    command -v "$tool" >/dev/null || { echo "port_litert.sh: $tool is missing" >&2; exit 1; }
done

# imports whose bionic ABI differs from glibc's -> the shim's versions (same length: renamed in place)
RENAMES=(sysconf=Sysconf pathconf=Pathconf sigfillset=Sigfillset pthread_sigmask=Pthread_sigmask
         strerror_r=Strerror_r strtold_l=Strtold_l dlsym=Dlsym
         fclose=Fclose fflush=Fflush fileno=Fileno fprintf=Fprintf fputc=Fputc fputwc=Fputwc fread=Fread
         fseek=Fseek fseeko=Fseeko ftello=Ftello fwrite=Fwrite getc=Getc getwc=Getwc setbuf=Setbuf
         ungetc=Ungetc ungetwc=Ungetwc vfprintf=Vfprintf)
# Android's libraries -> glibc's (or the shim); "-" drops the entry (the shim has the symbols)
declare -A NEEDED=([libc.so]=libc.so.6 [libm.so]=libm.so.6 [libdl.so]=libdl.so.2 [liblog.so]=libandroidshim.so
                   [libEGL.so]=- [libGLESv3.so]=-)

rm -rf "$OUT"
mkdir -p "$OUT"
echo "1. shim: gcc -> $SHIM"
gcc -shared -fPIC -O2 -Wall -Wextra -Werror -fvisibility=hidden -Wl,-soname,libandroidshim.so \
    -o "$SHIM" "$HERE/androidshim.c"

echo "2. ELF edits (bionic_elf.py) on a copy of $IN"
cp "$IN" "$SO"
python3 "$HERE/bionic_elf.py" unpack-relocs "$SO"
python3 "$HERE/bionic_elf.py" rename-imports "$SO" "${RENAMES[@]}" | tr '\n' ' '
echo
python3 "$HERE/bionic_elf.py" weak-version-needs "$SO" | tr '\n' ' '
echo

echo "3. patchelf"
remove=()
replace=()
while read -r lib; do
    [[ -n "${NEEDED[$lib]+x}" ]] || { echo "port_litert.sh: needs $lib, which has no mapping here" >&2; exit 1; }
    if [[ "${NEEDED[$lib]}" == - ]]; then remove+=(--remove-needed "$lib"); else replace+=(--replace-needed "$lib" "${NEEDED[$lib]}"); fi
done < <(readelf -dW "$SO" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p')
# one change per call, in this order: patchelf 0.14 loses a --replace-needed given together
# with --remove-needed, and --set-rpath after --remove-needed clobbers the names
echo "   patchelf --set-rpath '\$ORIGIN'"
patchelf --set-rpath '$ORIGIN' "$SO"
if ((${#remove[@]})); then
    echo "   patchelf ${remove[*]}"
    patchelf "${remove[@]}" "$SO"
fi
echo "   patchelf ${replace[*]}"
patchelf "${replace[@]}" "$SO"
mapfile -t imports < <(python3 "$HERE/bionic_elf.py" undefined "$SO" | cut -d' ' -f1)
clear=()
for s in "${imports[@]}"; do clear+=(--clear-symbol-version "$s"); done
echo "   patchelf --clear-symbol-version SYMBOL (x ${#imports[@]}: every import)"
patchelf "${clear[@]}" "$SO"

echo "4. checks"
needed="$(readelf -dW "$SO" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | tr '\n' ' ')"
echo "   needed: $needed"
for lib in "${!NEEDED[@]}"; do
    [[ " $needed " != *" $lib "* ]] || { echo "port_litert.sh: $lib is still needed" >&2; exit 1; }
done
if readelf -VW "$SO" | grep -qE 'Name: LIBC.*Flags: none'; then
    echo "port_litert.sh: a bionic version need is not weak" >&2
    exit 1
fi
# Android-only imports: not defined by glibc; each must be the shim's (weak ones may stay unresolved)
glibc_defs="$(mktemp)"
for lib in libc.so.6 libm.so.6 libdl.so.2; do
    path="$(gcc -print-file-name="$lib")"
    [[ -f "$path" ]] || path="$(ldconfig -p | awk -v l="$lib" '$1 == l && /x86-64/ { print $NF; exit }')"
    nm -D --defined-only "$path" | awk '{ sub(/@.*/, "", $3); print $3 }'
done | sort -u > "$glibc_defs"
nm -D --defined-only "$SHIM" | awk '{ print $3 }' | sort -u > "$OUT/shim-symbols.txt"
python3 "$HERE/bionic_elf.py" undefined "$SO" | sort > "$OUT/imports.txt"
awk '$2 != "weak" { print $1 }' "$OUT/imports.txt" | sort | comm -23 - "$glibc_defs" > "$OUT/android-only.txt"
missing="$(comm -23 "$OUT/android-only.txt" "$OUT/shim-symbols.txt" | tr '\n' ' ')"
rm -f "$glibc_defs"
[[ -z "$missing" ]] || { echo "port_litert.sh: imports neither glibc nor the shim defines: $missing" >&2; exit 1; }
echo "   $(wc -l < "$OUT/imports.txt") imports; the $(wc -l < "$OUT/android-only.txt") that glibc lacks are all the shim's (android-only.txt):"
tr '\n' ' ' < "$OUT/android-only.txt" | fold -s -w 100 | sed 's/^/     /'
echo
# load it: every symbol bound now (the library is BIND_NOW anyway), constructors run
LD_DEBUG=bindings LD_DEBUG_OUTPUT="$OUT/ld-debug" python3 - "$SO" <<'PY'
import ctypes, os, sys
lib = ctypes.CDLL(sys.argv[1], mode=os.RTLD_NOW)
lib.Java_org_tensorflow_lite_NativeInterpreterWrapper_createErrorReporter  # a JNI entry point resolves
print("   dlopen(RTLD_NOW) on glibc: loads, every symbol bound, constructors ran")
PY
bound="$(cat "$OUT"/ld-debug.* | grep -F "$(basename "$SO")" | grep -F "to $SHIM" \
    | sed -n 's/.*normal symbol `\([^'"'"']*\)'"'"'.*/\1/p' | sort -u)"
rm -f "$OUT"/ld-debug.*
echo "$bound" > "$OUT/bound-to-shim.txt"
echo "   LD_DEBUG=bindings: $(echo "$bound" | grep -c .) symbols of libLiteRt.so bound to libandroidshim.so"
