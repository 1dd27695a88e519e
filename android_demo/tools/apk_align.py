"""Page-align the native libraries in an APK, and check that they are.

Debian's zipalign (Android 10) aligns stored ``.so`` files to 4 KB (``-p``) and has no
``-P 16``; Android 15+ devices with 16 KB pages need 16 KB. Used by ``build_apk.sh``:

``align IN OUT``
    Rewrites the zip IN to OUT with the data of every stored ``lib/**.so`` at a multiple of
    16384 bytes and of every other stored entry at a multiple of 4 (what ``zipalign -p 4``
    does), by giving each stored entry's local header one extra field: the alignment record
    0xD935 that zipalign and apksigner write (2-byte alignment, then zero padding). apksigner
    reads that record and keeps the alignment when it signs. Deflated entries are copied as
    they are; the entries' order, names and data do not change.

``check APK``
    For every ``.so`` in APK: stored (not deflated) and its data offset (local header offset
    + 30 + name + extra) a multiple of 16384. Prints one line per library; exits 1 if any is
    not.
"""
import argparse
import struct
import sys
import zipfile

PAGE = 16384
ALIGNMENT_EXTRA_ID = 0xD935
LOCAL_HEADER = struct.Struct("<IHHHHHIIIHH")  # 30 bytes
LOCAL_SIG = 0x04034B50
CENTRAL_SIG = 0x02014B50
EOCD_SIG = 0x06054B50


def is_native_lib(name):
    return name.startswith("lib/") and name.endswith(".so")


def find_eocd(data):
    pos = data.rfind(struct.pack("<I", EOCD_SIG), max(0, len(data) - 65557))
    if pos < 0:
        raise SystemExit("apk_align: no end of central directory record")
    return pos


def align(src, dst):
    data = open(src, "rb").read()
    eocd = find_eocd(data)
    (_, disk, cd_disk, n_disk, n, cd_size, cd_offset, comment_len) = struct.unpack_from("<IHHHHIIH", data, eocd)
    if disk or cd_disk or n_disk != n:
        raise SystemExit("apk_align: multi-disk zips are not supported")
    out = bytearray()
    central = bytearray()
    pos = cd_offset
    for _ in range(n):
        (sig, _vm, _vn, flags, method, _t, _d, _crc, csize, _usize, nlen, elen, clen, _dn, _ia, _ea,
         lho) = struct.unpack_from("<IHHHHHHIIIHHHHHII", data, pos)
        if sig != CENTRAL_SIG:
            raise SystemExit("apk_align: bad central directory entry")
        name = data[pos + 46: pos + 46 + nlen].decode("utf-8")
        central_entry = bytearray(data[pos: pos + 46 + nlen + elen + clen])
        pos += 46 + nlen + elen + clen

        fields = list(LOCAL_HEADER.unpack_from(data, lho))
        if fields[0] != LOCAL_SIG:
            raise SystemExit(f"apk_align: bad local header for {name}")
        l_nlen, l_elen = fields[9], fields[10]
        name_bytes = data[lho + 30: lho + 30 + l_nlen]
        extra = data[lho + 30 + l_nlen: lho + 30 + l_nlen + l_elen]
        data_start = lho + 30 + l_nlen + l_elen
        end = data_start + csize
        if flags & 0x08:  # data descriptor after the data: optional signature, crc, sizes
            end += 16 if data[end: end + 4] == b"PK\x07\x08" else 12

        new_offset = len(out)
        if method == 0:  # stored: the alignment record is the local header's only extra field
            alignment = PAGE if is_native_lib(name) else 4
            start = new_offset + 30 + l_nlen + 6
            pad = -start % alignment
            extra = struct.pack("<HHH", ALIGNMENT_EXTRA_ID, 2 + pad, alignment) + b"\0" * pad
        fields[10] = len(extra)
        out += LOCAL_HEADER.pack(*fields) + name_bytes + extra + data[data_start:end]
        struct.pack_into("<I", central_entry, 42, new_offset)
        central += central_entry

    new_cd_offset = len(out)
    out += central
    out += struct.pack("<IHHHHIIH", EOCD_SIG, 0, 0, n, n, len(central), new_cd_offset, comment_len)
    out += data[eocd + 22: eocd + 22 + comment_len]
    with open(dst, "wb") as f:
        f.write(out)


def data_offset(f, info):
    f.seek(info.header_offset)
    fields = LOCAL_HEADER.unpack(f.read(30))
    return info.header_offset + 30 + fields[9] + fields[10]


def check(apk):
    bad = 0
    libs = 0
    with zipfile.ZipFile(apk) as z, open(apk, "rb") as f:
        for info in z.infolist():
            if not info.filename.endswith(".so"):
                continue
            libs += 1
            off = data_offset(f, info)
            stored = info.compress_type == zipfile.ZIP_STORED
            ok = stored and off % PAGE == 0
            bad += not ok
            print(f"{'ok  ' if ok else 'FAIL'} {info.filename}: {'stored' if stored else 'compressed'}, "
                  f"data at {off} = {off // PAGE} x 16384 + {off % PAGE}")
    if not libs:
        print("FAIL no .so in the APK")
        return 1
    return 1 if bad else 0


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    a = sub.add_parser("align", help="stored .so at 16 KB, other stored entries at 4 bytes")
    a.add_argument("src")
    a.add_argument("dst")
    c = sub.add_parser("check", help="every .so stored and its data 16 KB-aligned")
    c.add_argument("apk")
    args = p.parse_args(argv)
    if args.cmd == "align":
        align(args.src, args.dst)
        return 0
    return check(args.apk)


if __name__ == "__main__":
    sys.exit(main())
