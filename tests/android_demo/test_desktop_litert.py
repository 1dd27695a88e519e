"""The helpers of the Android demo's desktop-JVM LiteRT check (android_demo/tools/desktop_litert):
the decoder of Android's packed relocations, the in-place import renaming, and the YUV frames
with the app's YUV -> RGB arithmetic. (The check itself runs in build_apk.sh --check.)"""
import importlib.util
import struct
from pathlib import Path

import numpy as np
import pytest

TOOLS = Path(__file__).resolve().parents[2] / "android_demo" / "tools" / "desktop_litert"


def load(name):
    spec = importlib.util.spec_from_file_location(name, TOOLS / f"{name}.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


bionic_elf = load("bionic_elf")
frames = load("frames")


def sleb(v):
    out = bytearray()
    while True:
        b = v & 0x7F
        v >>= 7
        if (v == 0 and not b & 0x40) or (v == -1 and b & 0x40):
            return bytes(out + bytes([b]))
        out.append(b | 0x80)


def test_aps2_groups_decode_like_bionics_iterator():
    relative = 8
    glob_dat = (5 << 32) | 6
    blob = b"APS2" + b"".join(sleb(v) for v in [
        5, 0x1000,                      # 5 relocations, offsets start at 0x1000
        # group: 3 RELATIVE by offset delta 8, each with its own addend delta
        3, bionic_elf.GROUPED_BY_OFFSET_DELTA | bionic_elf.GROUPED_BY_INFO | bionic_elf.GROUP_HAS_ADDEND, 8, relative,
        0x500, 0x10, -0x20,
        # group: 2 relocations, offsets and infos each, no addend (reset to 0)
        2, 0,
        0x100, glob_dat, 0x8, relative,
    ])
    assert bionic_elf.decode_aps2(blob) == [
        (0x1008, relative, 0x500), (0x1010, relative, 0x510), (0x1018, relative, 0x4F0),
        (0x1118, glob_dat, 0), (0x1120, relative, 0),
    ]


def test_aps2_needs_its_magic():
    with pytest.raises(SystemExit):
        bionic_elf.decode_aps2(b"APS1" + sleb(0) + sleb(0))


def tiny_elf(names):
    """An ELF64 x86_64 image with one PT_LOAD, a PT_DYNAMIC (DT_STRTAB) and a .dynsym of undefined names."""
    strtab = b"\0" + b"".join(n.encode() + b"\0" for n in names)
    ehdr_size, phdr_size, shdr_size = 64, 56, 64
    dyn_off = ehdr_size + 2 * phdr_size
    dynamic = struct.pack("<qQqQ", bionic_elf.DT_STRTAB, 0, bionic_elf.DT_NULL, 0)
    sym_off = dyn_off + len(dynamic)
    syms = b"\0" * 24
    pos = 1
    for n in names:
        syms += struct.pack("<IBBHQQ", pos, 0x12, 0, 0, 0, 0)
        pos += len(n) + 1
    str_off = sym_off + len(syms)
    dynamic = struct.pack("<qQqQ", bionic_elf.DT_STRTAB, str_off, bionic_elf.DT_NULL, 0)
    sh_off = str_off + len(strtab)
    size = sh_off + 2 * shdr_size
    ehdr = b"\x7fELF" + bytes([2, 1, 1]) + b"\0" * 9 + struct.pack(
        "<HHIQQQIHHHHHH", 3, bionic_elf.EM_X86_64, 1, 0, ehdr_size, sh_off, 0, ehdr_size, phdr_size, 2, shdr_size, 2, 0)
    phdrs = struct.pack("<IIQQQQQQ", bionic_elf.PT_LOAD, 4, 0, 0, 0, size, size, 0x1000)
    phdrs += struct.pack("<IIQQQQQQ", 2, 6, dyn_off, dyn_off, dyn_off, len(dynamic), len(dynamic), 8)
    shdrs = b"\0" * shdr_size + struct.pack("<IIQQQQIIQQ", 0, 11, 2, sym_off, sym_off, len(syms), 0, 1, 8, 24)
    return bionic_elf.Elf(ehdr + phdrs + dynamic + syms + strtab + shdrs)


def test_imports_are_renamed_in_place(capsys):
    elf = tiny_elf(["sysconf", "dlsym"])
    bionic_elf.rename_imports(elf, ["sysconf=Sysconf", "dlsym=Dlsym"])
    assert [s[2] for s in elf.dynsyms()] == ["", "Sysconf", "Dlsym"]
    with pytest.raises(SystemExit):  # names keep their length
        bionic_elf.rename_imports(elf, ["Dlsym=dl_sym"])


def test_yuv_frames_decode_like_the_apps_converter():
    rng = np.random.default_rng(1)
    rgb = rng.integers(0, 256, (6, 8, 3), dtype=np.uint8)
    y, u, v = frames.rgb_to_yuv420(rgb)
    assert y.shape == (6, 8) and u.shape == v.shape == (3, 4)
    back = frames.yuv420_to_rgb(y, u, v)
    # YuvConverter.toArgb, pixel (row 3, col 5): chroma sample (1, 2)
    yy, uu, vv = int(y[3, 5]), int(u[1, 2]) - 128, int(v[1, 2]) - 128
    clamp = lambda x: max(0, min(255, x))  # noqa: E731
    assert tuple(back[3, 5]) == (clamp((yy * 65536 + 32768 + 91881 * vv) >> 16),
                                 clamp((yy * 65536 + 32768 - 22554 * uu - 46802 * vv) >> 16),
                                 clamp((yy * 65536 + 32768 + 116130 * uu) >> 16))
    # gray stays gray; colour comes back close (4:2:0 loses chroma detail only)
    gray = np.full((4, 4, 3), 77, np.uint8)
    assert (frames.yuv420_to_rgb(*frames.rgb_to_yuv420(gray)) == gray).all()
    flat = np.broadcast_to(np.array([200, 40, 90], np.uint8), (4, 4, 3))
    assert np.abs(frames.yuv420_to_rgb(*frames.rgb_to_yuv420(flat)).astype(int) - flat).max() <= 2


def test_frames_are_written_in_camera2_layouts(tmp_path):
    rgb = np.arange(4 * 6 * 3, dtype=np.uint8).reshape(4, 6, 3)
    y, u, v = frames.rgb_to_yuv420(rgb)
    nv21 = frames.write_frame(tmp_path, "a", y, u, v, "nv21", 0)
    data = (tmp_path / "a.yuv").read_bytes()
    assert nv21["u"]["pixelStride"] == nv21["v"]["pixelStride"] == 2
    assert data[nv21["v"]["offset"]] == v[0, 0] and data[nv21["u"]["offset"]] == u[0, 0]
    assert data[nv21["u"]["offset"] + 2] == u[0, 1]
    i420 = frames.write_frame(tmp_path, "b", y, u, v, "i420", 90)
    data = (tmp_path / "b.yuv").read_bytes()
    assert i420["y"]["rowStride"] > 6 and i420["y"]["rowStride"] % 64 == 0
    row1 = i420["y"]["rowStride"]
    assert data[row1 + 5] == y[1, 5]
    assert data[i420["v"]["offset"] + i420["v"]["rowStride"] + 1] == v[1, 1]
