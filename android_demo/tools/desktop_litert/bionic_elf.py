r"""The ELF edits that let glibc's dynamic loader load an Android (bionic) x86_64 library,
beyond what patchelf does. Used by ``port_litert.sh`` (which runs patchelf after it):

``unpack-relocs``
    Android's linker reads *packed* relocations (``DT_ANDROID_RELA``, the "APS2" format lld
    writes with ``--pack-dyn-relocs=android``); glibc ignores those tags and would leave every
    vtable, function pointer and ``.init_array`` entry unrelocated. This decodes them (the
    format of bionic's ``linker_reloc_iterators.h``) into a plain ``Elf64_Rela`` table,
    appended at the end of the file in a new read-only ``PT_LOAD`` (the ``PT_NOTE`` program
    header is reused for it: nothing needs it at run time), and turns ``DT_ANDROID_RELA`` /
    ``DT_ANDROID_RELASZ`` into ``DT_RELA`` / ``DT_RELASZ``.
``weak-version-needs``
    bionic's symbols carry versions glibc does not define (``LIBC``, ``LIBC_N``, ...). patchelf
    clears the versions of the symbol references (``--clear-symbol-version``); the version-need
    records stay, and glibc refuses a library whose needed version is missing unless the need
    is marked weak (``VER_FLG_WEAK``), which this does.
``rename-imports OLD=NEW ...``
    Imports whose bionic ABI differs from glibc's function of the same name (``sigfillset``
    writes 8 bytes on bionic and 128 on glibc; ``sysconf``'s ``_SC_*`` numbers differ; ...) are
    renamed, in place and to a name of the same length, so they bind to the shim's version
    instead of glibc's (patchelf 0.14 cannot rename symbols).
``undefined``
    Prints the library's undefined dynamic symbols: ``NAME [weak]`` per line.

Only what this library needs is handled: ELF64 little-endian x86_64, RELA.
"""
import argparse
import struct
import sys

PT_LOAD, PT_NOTE = 1, 4
DT_NULL, DT_NEEDED, DT_RELA, DT_RELASZ, DT_RELAENT, DT_STRTAB, DT_SYMTAB = 0, 1, 7, 8, 9, 5, 6
DT_VERNEED, DT_VERNEEDNUM = 0x6FFFFFFE, 0x6FFFFFFF
DT_ANDROID_REL, DT_ANDROID_RELSZ, DT_ANDROID_RELA, DT_ANDROID_RELASZ = 0x6000000F, 0x60000010, 0x60000011, 0x60000012
DT_RELR, DT_ANDROID_RELR = 36, 0x6FFFE000
SHT_RELA, SHT_ANDROID_RELA = 4, 0x60000002
VER_FLG_WEAK = 0x2
EM_X86_64 = 62
R_X86_64_NAMES = {1: "R_X86_64_64", 6: "R_X86_64_GLOB_DAT", 7: "R_X86_64_JUMP_SLOT", 8: "R_X86_64_RELATIVE"}
# APS2 group flags (bionic linker_relocs.h)
GROUPED_BY_INFO, GROUPED_BY_OFFSET_DELTA, GROUPED_BY_ADDEND, GROUP_HAS_ADDEND = 1, 2, 4, 8
PAGE = 0x4000  # the library's LOAD alignment (16 KB), kept for the new segment


class Elf:
    def __init__(self, data):
        self.data = bytearray(data)
        d = self.data
        if d[:4] != b"\x7fELF" or d[4] != 2 or d[5] != 1:
            raise SystemExit("bionic_elf: not an ELF64 little-endian file")
        (self.e_type, self.e_machine, _, _, self.e_phoff, self.e_shoff, _, _, self.e_phentsize, self.e_phnum,
         self.e_shentsize, self.e_shnum, self.e_shstrndx) = struct.unpack_from("<HHIQQQIHHHHHH", d, 16)
        if self.e_machine != EM_X86_64:
            raise SystemExit(f"bionic_elf: machine {self.e_machine}, only x86_64 ({EM_X86_64}) is handled")

    # program headers: (index, type, flags, offset, vaddr, paddr, filesz, memsz, align)
    def phdrs(self):
        for i in range(self.e_phnum):
            yield (i,) + struct.unpack_from("<IIQQQQQQ", self.data, self.e_phoff + i * self.e_phentsize)

    def set_phdr(self, i, *fields):
        struct.pack_into("<IIQQQQQQ", self.data, self.e_phoff + i * self.e_phentsize, *fields)

    # section headers: (index, name, type, flags, addr, offset, size, link, info, addralign, entsize)
    def shdrs(self):
        for i in range(self.e_shnum):
            yield (i,) + struct.unpack_from("<IIQQQQIIQQ", self.data, self.e_shoff + i * self.e_shentsize)

    def section_name(self, name_off):
        strtab = next(s for s in self.shdrs() if s[0] == self.e_shstrndx)
        return self.cstr(strtab[5] + name_off)

    def cstr(self, off):
        return self.data[off:self.data.index(b"\0", off)].decode()

    def offset_of(self, vaddr):
        for _, ptype, _, off, va, _, filesz, _, _ in self.phdrs():
            if ptype == PT_LOAD and va <= vaddr < va + filesz:
                return off + vaddr - va
        raise SystemExit(f"bionic_elf: address {vaddr:#x} is in no LOAD segment")

    def dynamic(self):
        """[(file offset of the entry, tag, value)] up to DT_NULL."""
        ph = next(p for p in self.phdrs() if p[1] == 2)  # PT_DYNAMIC
        out = []
        for off in range(ph[3], ph[3] + ph[6], 16):
            tag, val = struct.unpack_from("<qQ", self.data, off)
            out.append((off, tag, val))
            if tag == DT_NULL:
                break
        return out

    def dyn(self, tag, default=None):
        for _, t, v in self.dynamic():
            if t == tag:
                return v
        return default

    def dynstr(self, off):
        return self.cstr(self.offset_of(self.dyn(DT_STRTAB)) + off)

    def dynsyms(self):
        """[(file offset of the entry, name offset, name, info, shndx)] from the .dynsym section."""
        sec = next(s for s in self.shdrs() if s[2] == 11)  # SHT_DYNSYM
        strtab = self.offset_of(self.dyn(DT_STRTAB))
        out = []
        for off in range(sec[5], sec[5] + sec[6], 24):
            name, info, _, shndx, _, _ = struct.unpack_from("<IBBHQQ", self.data, off)
            out.append((off, name, self.cstr(strtab + name), info, shndx))
        return out

    def verneed(self):
        """[(file offset of the Vernaux, file name, version name, flags)]"""
        out = []
        if self.dyn(DT_VERNEED) is None:
            return out
        off = self.offset_of(self.dyn(DT_VERNEED))
        for _ in range(self.dyn(DT_VERNEEDNUM)):
            _, cnt, vn_file, vn_aux, vn_next = struct.unpack_from("<HHIII", self.data, off)
            aux = off + vn_aux
            for _ in range(cnt):
                _, flags, _, vna_name, vna_next = struct.unpack_from("<IHHII", self.data, aux)
                out.append((aux, self.dynstr(vn_file), self.dynstr(vna_name), flags))
                aux += vna_next
            off += vn_next
        return out


def sleb128(data, pos):
    result = shift = 0
    while True:
        b = data[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        shift += 7
        if not b & 0x80:
            if b & 0x40:
                result -= 1 << shift
            return result, pos


def decode_aps2(blob):
    """Android packed relocations (APS2, RELA) -> [(r_offset, r_info, r_addend)]."""
    if blob[:4] != b"APS2":
        raise SystemExit(f"bionic_elf: packed relocations start with {bytes(blob[:4])!r}, not APS2")
    pos = 4
    count, pos = sleb128(blob, pos)
    offset, pos = sleb128(blob, pos)
    info = addend = 0
    out = []
    while len(out) < count:
        size, pos = sleb128(blob, pos)
        flags, pos = sleb128(blob, pos)
        if flags & GROUPED_BY_OFFSET_DELTA:
            delta, pos = sleb128(blob, pos)
        if flags & GROUPED_BY_INFO:
            info, pos = sleb128(blob, pos)
        has_addend = flags & GROUP_HAS_ADDEND
        if has_addend and flags & GROUPED_BY_ADDEND:
            a, pos = sleb128(blob, pos)
            addend += a
        elif not has_addend:
            addend = 0
        for _ in range(size):
            if flags & GROUPED_BY_OFFSET_DELTA:
                offset += delta
            else:
                d, pos = sleb128(blob, pos)
                offset += d
            if not flags & GROUPED_BY_INFO:
                info, pos = sleb128(blob, pos)
            if has_addend and not flags & GROUPED_BY_ADDEND:
                a, pos = sleb128(blob, pos)
                addend += a
            out.append((offset & (2**64 - 1), info & (2**64 - 1), addend))
    if len(out) != count:
        raise SystemExit(f"bionic_elf: decoded {len(out)} relocations, the header says {count}")
    return out


def unpack_relocs(elf):
    dyn = elf.dynamic()
    tags = {t for _, t, _ in dyn}
    if tags & {DT_RELR, DT_ANDROID_RELR, DT_ANDROID_REL}:
        raise SystemExit("bionic_elf: RELR or packed REL relocations are not handled")
    if DT_ANDROID_RELA not in tags:
        print("no packed relocations (DT_ANDROID_RELA): nothing to unpack")
        return
    if DT_RELA in tags:
        raise SystemExit("bionic_elf: both DT_RELA and DT_ANDROID_RELA: not handled")
    start = elf.offset_of(elf.dyn(DT_ANDROID_RELA))
    relocs = decode_aps2(elf.data[start:start + elf.dyn(DT_ANDROID_RELASZ)])
    relocs.sort(key=lambda r: (r[1] & 0xFFFFFFFF != 8, r[0]))  # R_X86_64_RELATIVE first, like lld
    types = {}
    for _, info, _ in relocs:
        types[info & 0xFFFFFFFF] = types.get(info & 0xFFFFFFFF, 0) + 1
    unknown = set(types) - set(R_X86_64_NAMES)
    if unknown:
        raise SystemExit(f"bionic_elf: relocation types {sorted(unknown)} not expected here")
    table = b"".join(struct.pack("<QQq", o, i, a) for o, i, a in relocs)

    # the new segment: page-aligned at the end of the file and above the highest address
    note = [p for p in elf.phdrs() if p[1] == PT_NOTE]
    if not note:
        raise SystemExit("bionic_elf: no PT_NOTE program header to turn into the new PT_LOAD")
    loads = [p for p in elf.phdrs() if p[1] == PT_LOAD]
    if note[0][0] < max(p[0] for p in loads):
        raise SystemExit("bionic_elf: PT_NOTE comes before a PT_LOAD: the loads would not be in address order")
    file_off = -(-len(elf.data) // PAGE) * PAGE
    vaddr = -(-max(p[4] + p[7] for p in loads) // PAGE) * PAGE
    elf.data.extend(b"\0" * (file_off - len(elf.data)))
    elf.data.extend(table)
    elf.set_phdr(note[0][0], PT_LOAD, 4, file_off, vaddr, vaddr, len(table), len(table), PAGE)  # PF_R
    for off, tag, _ in dyn:
        if tag == DT_ANDROID_RELA:
            struct.pack_into("<qQ", elf.data, off, DT_RELA, vaddr)
        elif tag == DT_ANDROID_RELASZ:
            struct.pack_into("<qQ", elf.data, off, DT_RELASZ, len(table))
    if elf.dyn(DT_RELAENT) != 24:
        raise SystemExit("bionic_elf: DT_RELAENT is not 24")
    # the section header too, so readelf -r lists the table
    for s in elf.shdrs():
        if s[2] == SHT_ANDROID_RELA:
            struct.pack_into("<IIQQQQIIQQ", elf.data, elf.e_shoff + s[0] * elf.e_shentsize,
                             s[1], SHT_RELA, s[3], vaddr, file_off, len(table), s[7], s[8], 8, 24)
    summary = ", ".join(f"{n} {R_X86_64_NAMES[t]}" for t, n in sorted(types.items()))
    print(f"unpacked {len(relocs)} packed relocations ({summary}) into a RELA table of {len(table)} bytes"
          f" at offset {file_off:#x}, address {vaddr:#x} (new PT_LOAD in place of PT_NOTE)")


def weak_version_needs(elf):
    for aux, lib, name, flags in elf.verneed():
        struct.pack_into("<H", elf.data, aux + 4, flags | VER_FLG_WEAK)
        print(f"version need {name} of {lib}: weak")


def rename_imports(elf, pairs):
    syms = elf.dynsyms()
    strtab = elf.offset_of(elf.dyn(DT_STRTAB))
    # every string reference into .dynstr: a renamed string must not be shared (tail merging)
    refs = [s[1] for s in syms]
    refs += [v for _, t, v in elf.dynamic() if t in (DT_NEEDED, 14, 15, 29)]  # NEEDED, SONAME, RPATH, RUNPATH
    for pair in pairs:
        old, new = pair.split("=")
        if len(old) != len(new):
            raise SystemExit(f"bionic_elf: {old} -> {new}: names must have the same length")
        hits = [s for s in syms if s[2] == old]
        if not hits:
            raise SystemExit(f"bionic_elf: {old} is not a dynamic symbol")
        for _, name_off, _, _, shndx in hits:
            if shndx != 0:
                raise SystemExit(f"bionic_elf: {old} is defined here, only imports are renamed")
            end = strtab + name_off + len(old)
            shared = [r for r in refs if r != name_off and strtab + r < end and elf.data.index(b"\0", strtab + r) == end]
            if shared:
                raise SystemExit(f"bionic_elf: the string {old} is shared with another name")
            elf.data[strtab + name_off:strtab + name_off + len(old)] = new.encode()
        print(f"import {old} -> {new}")


def undefined(elf):
    for _, _, name, info, shndx in elf.dynsyms():
        if shndx == 0 and name:
            print(name + (" weak" if info >> 4 == 2 else ""))


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("command", choices=["unpack-relocs", "weak-version-needs", "rename-imports", "undefined"])
    p.add_argument("library")
    p.add_argument("pairs", nargs="*", help="rename-imports: OLD=NEW")
    args = p.parse_args(argv)
    with open(args.library, "rb") as f:
        elf = Elf(f.read())
    if args.command == "undefined":
        undefined(elf)
        return 0
    if args.command == "unpack-relocs":
        unpack_relocs(elf)
    elif args.command == "weak-version-needs":
        weak_version_needs(elf)
    else:
        rename_imports(elf, args.pairs)
    with open(args.library, "wb") as f:
        f.write(elf.data)
    return 0


if __name__ == "__main__":
    sys.exit(main())
