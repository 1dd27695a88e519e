/*
 * libandroidshim.so: what LiteRT's Android x86_64 library (libLiteRt.so, built for bionic)
 * needs from Android that glibc does not give, so that the library runs on the desktop JVM
 * (port_litert.sh; the check in build_apk.sh --check). Three kinds of symbols:
 *
 * 1. Android-only symbols (liblog, bionic extras, EGL/GLES for the GPU path the app never
 *    takes): defined here under their own names.
 * 2. Functions whose bionic ABI differs from glibc's function of the same name. bionic_elf.py
 *    renames these imports in libLiteRt.so to the same name with a capital first letter
 *    (sysconf -> Sysconf), so they bind here and not to glibc:
 *    - sigfillset / pthread_sigmask: bionic's LP64 sigset_t is 8 bytes, glibc's 128 (glibc's
 *      sigfillset on bionic's 8-byte stack variable would overwrite the caller's frame);
 *    - sysconf / pathconf: bionic numbers its _SC_* and _PC_* names differently;
 *    - strerror_r: bionic's is the POSIX one (int), glibc's symbol of that name the GNU one;
 *    - dlsym: bionic's RTLD_DEFAULT lookup also searches the calling library (see Dlsym);
 *    - strtold_l: long double is IEEE quad (__float128, in xmm0) on x86_64 Android, x87 on glibc;
 *    - the stdio functions that take a FILE*: code built for old Android API levels (LiteRT's
 *      libc++) reaches stdin/stdout/stderr as &__sF[0..2], an array of bionic FILEs defined
 *      here; these wrappers turn those three addresses into glibc's streams.
 * 3. Nothing else: every other import binds to glibc (libc.so.6, libm.so.6, libdl.so.2), whose
 *    ABI on x86_64 is bionic's for what the library uses (struct stat, dirent, pthread types
 *    of the same sizes, the stack guard at %fs:0x28).
 *
 * Build: gcc -shared -fPIC -O2 -o libandroidshim.so androidshim.c
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <locale.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>
#include <wchar.h>

#define EXPORT __attribute__((visibility("default")))

/* ---- 1. Android-only ---------------------------------------------------------------- */

/* liblog: to stderr, "I/tag: message" (priorities 2..7 = V D I W E F) */
static char priority_letter(int prio) {
    static const char letters[] = "??VDIWEFS";
    return prio >= 0 && prio < (int) sizeof(letters) - 1 ? letters[prio] : '?';
}

EXPORT int __android_log_write(int prio, const char *tag, const char *msg) {
    return fprintf(stderr, "%c/%s: %s\n", priority_letter(prio), tag ? tag : "", msg ? msg : "");
}

EXPORT int __android_log_vprint(int prio, const char *tag, const char *fmt, va_list ap) {
    char buf[1024];
    vsnprintf(buf, sizeof buf, fmt, ap);
    return __android_log_write(prio, tag, buf);
}

EXPORT int __android_log_print(int prio, const char *tag, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int n = __android_log_vprint(prio, tag, fmt, ap);
    va_end(ap);
    return n;
}

/* bionic's errno accessor (glibc's is __errno_location) */
EXPORT int *__errno(void) {
    return &errno;
}

/*
 * System properties: a release build of Android API ANDROIDSHIM_SDK_INT (default 35, the app's
 * targetSdk); every other property is unset. LiteRT reads ro.build.version.sdk before it
 * creates the XNNPACK delegate (API 20 or later); unset, it would run without XNNPACK.
 */
EXPORT int __system_property_get(const char *name, char *value) {
    const char *v = "";
    if (strcmp(name, "ro.build.version.sdk") == 0) {
        v = getenv("ANDROIDSHIM_SDK_INT");
        if (v == NULL || *v == '\0') {
            v = "35";
        }
    } else if (strcmp(name, "ro.build.version.codename") == 0) {
        v = "REL";
    }
    size_t n = strlen(v) < 91 ? strlen(v) : 91; /* PROP_VALUE_MAX 92 with the NUL */
    memcpy(value, v, n);
    value[n] = '\0';
    return (int) n;
}

EXPORT void android_set_abort_message(const char *msg) {
    fprintf(stderr, "abort message: %s\n", msg ? msg : "");
}

/* the GNU strerror_r under bionic's name (glibc's strerror_r is the GNU one with _GNU_SOURCE) */
EXPORT char *__gnu_strerror_r(int errnum, char *buf, size_t n) {
    return strerror_r(errnum, buf, n);
}

/* FORTIFY's write check: glibc has __read_chk and __pread_chk, not this one */
EXPORT ssize_t __write_chk(int fd, const void *buf, size_t count, size_t buf_size) {
    if (count > buf_size) {
        fprintf(stderr, "androidshim: write: count %zu > buffer size %zu\n", count, buf_size);
        abort();
    }
    return write(fd, buf, count);
}

/* EGL / GLES: only LiteRT's GPU accelerator calls them; there is no display here */
#define STUB(name, value) EXPORT long name(void) { return value; }
STUB(eglBindAPI, 0)
STUB(eglChooseConfig, 0)
STUB(eglCreateContext, 0)
STUB(eglCreatePbufferSurface, 0)
STUB(eglDestroyContext, 0)
STUB(eglDestroySurface, 0)
STUB(eglGetCurrentContext, 0)
STUB(eglGetCurrentDisplay, 0)
STUB(eglGetDisplay, 0)                 /* EGL_NO_DISPLAY */
STUB(eglGetError, 0x3001)              /* EGL_NOT_INITIALIZED */
STUB(eglGetProcAddress, 0)
STUB(eglInitialize, 0)                 /* EGL_FALSE */
STUB(eglMakeCurrent, 0)
STUB(eglQueryString, 0)
STUB(glBindBuffer, 0)
STUB(glBindFramebuffer, 0)
STUB(glBindTexture, 0)
STUB(glBufferData, 0)
STUB(glBufferSubData, 0)
STUB(glClear, 0)
STUB(glDeleteBuffers, 0)
STUB(glDeleteFramebuffers, 0)
STUB(glDeleteTextures, 0)
STUB(glFramebufferTexture2D, 0)
STUB(glGenBuffers, 0)
STUB(glGenFramebuffers, 0)
STUB(glGenTextures, 0)
STUB(glGetError, 0)
STUB(glGetIntegerv, 0)
STUB(glGetString, 0)
STUB(glViewport, 0)

/* ---- 2. bionic ABI, under renamed imports -------------------------------------------- */

/* bionic's LP64 sigset_t: one unsigned long, signals 1..64 (the first 8 bytes of glibc's) */
typedef unsigned long bionic_sigset_t;

EXPORT int Sigfillset(bionic_sigset_t *set) {
    *set = ~0UL;
    return 0;
}

EXPORT int Pthread_sigmask(int how, const bionic_sigset_t *set, bionic_sigset_t *old) {
    sigset_t s, o;
    sigemptyset(&s);
    if (set) {
        memcpy(&s, set, sizeof *set);
    }
    int r = pthread_sigmask(how, set ? &s : NULL, old ? &o : NULL);
    if (r == 0 && old) {
        memcpy(old, &o, sizeof *old);
    }
    return r;
}

/* bionic's _SC_* numbers (libc/include/bits/sysconf.h) -> glibc's */
EXPORT long Sysconf(int name) {
    int g;
    switch (name) {
    case 0x06: g = _SC_CLK_TCK; break;
    case 0x0b: g = _SC_OPEN_MAX; break;
    case 0x27: g = _SC_PAGESIZE; break;
    case 0x28: g = _SC_PAGE_SIZE; break;
    case 0x4b: g = _SC_THREAD_KEYS_MAX; break;
    case 0x4c: g = _SC_THREAD_STACK_MIN; break;
    case 0x60: g = _SC_NPROCESSORS_CONF; break;
    case 0x61: g = _SC_NPROCESSORS_ONLN; break;
    case 0x62: g = _SC_PHYS_PAGES; break;
    case 0x63: g = _SC_AVPHYS_PAGES; break;
    default:
        if (name >= 0x8f && name <= 0x9d) { /* _SC_LEVEL1_ICACHE_SIZE .. _SC_LEVEL4_CACHE_LINESIZE, same order */
            g = _SC_LEVEL1_ICACHE_SIZE + (name - 0x8f);
            break;
        }
        fprintf(stderr, "androidshim: sysconf(%#x): no glibc equivalent here\n", name);
        errno = EINVAL;
        return -1;
    }
    return sysconf(g);
}

/* bionic's _PC_* numbers (libc/include/unistd.h) -> glibc's */
EXPORT long Pathconf(const char *path, int name) {
    static const int glibc[] = {
        _PC_FILESIZEBITS, _PC_LINK_MAX, _PC_MAX_CANON, _PC_MAX_INPUT, _PC_NAME_MAX, _PC_PATH_MAX,
        _PC_PIPE_BUF, _PC_2_SYMLINKS, _PC_ALLOC_SIZE_MIN, _PC_REC_INCR_XFER_SIZE, _PC_REC_MAX_XFER_SIZE,
        _PC_REC_MIN_XFER_SIZE, _PC_REC_XFER_ALIGN, _PC_SYMLINK_MAX, _PC_CHOWN_RESTRICTED, _PC_NO_TRUNC,
        _PC_VDISABLE, _PC_ASYNC_IO, _PC_PRIO_IO, _PC_SYNC_IO,
    };
    if (name < 0 || name >= (int) (sizeof glibc / sizeof glibc[0])) {
        errno = EINVAL;
        return -1;
    }
    return pathconf(path, glibc[name]);
}

/*
 * dlsym(RTLD_DEFAULT, name): bionic, finding nothing in the global group, goes on to the
 * caller's own library and its dependencies; glibc stops. LiteRT finds its own XNNPACK delegate
 * that way (TfLiteXNNPackDelegateCreate, from the library that calls dlsym).
 */
EXPORT void *Dlsym(void *handle, const char *name) {
    void *p = dlsym(handle, name);
    Dl_info info;
    if (p == NULL && handle == RTLD_DEFAULT && dladdr(__builtin_return_address(0), &info) && info.dli_fname) {
        void *caller = dlopen(info.dli_fname, RTLD_LAZY | RTLD_NOLOAD);
        if (caller != NULL) {
            p = dlsym(caller, name);
            dlclose(caller);
        }
    }
    return p;
}

/* bionic's strerror_r is POSIX's */
extern int __xpg_strerror_r(int errnum, char *buf, size_t n);

EXPORT int Strerror_r(int errnum, char *buf, size_t n) {
    return __xpg_strerror_r(errnum, buf, n);
}

EXPORT __float128 Strtold_l(const char *s, char **end, locale_t loc) {
    return (__float128) strtold_l(s, end, loc);
}

/* bionic's FILE is 152 bytes on LP64; stdin, stdout, stderr are &__sF[0], [1], [2] */
#define BIONIC_FILE_SIZE 152
EXPORT __attribute__((aligned(16))) char __sF[3 * BIONIC_FILE_SIZE];

static FILE *real(FILE *f) {
    char *p = (char *) f;
    if (p >= __sF && p < __sF + sizeof __sF) {
        switch ((p - __sF) / BIONIC_FILE_SIZE) {
        case 0: return stdin;
        case 1: return stdout;
        default: return stderr;
        }
    }
    return f;
}

EXPORT int Fclose(FILE *f) { return fclose(real(f)); }
EXPORT int Fflush(FILE *f) { return fflush(f ? real(f) : NULL); }
EXPORT int Fileno(FILE *f) { return fileno(real(f)); }
EXPORT int Fputc(int c, FILE *f) { return fputc(c, real(f)); }
EXPORT wint_t Fputwc(wchar_t c, FILE *f) { return fputwc(c, real(f)); }
EXPORT size_t Fread(void *p, size_t size, size_t n, FILE *f) { return fread(p, size, n, real(f)); }
EXPORT int Fseek(FILE *f, long off, int whence) { return fseek(real(f), off, whence); }
EXPORT int Fseeko(FILE *f, off_t off, int whence) { return fseeko(real(f), off, whence); }
EXPORT off_t Ftello(FILE *f) { return ftello(real(f)); }
EXPORT size_t Fwrite(const void *p, size_t size, size_t n, FILE *f) { return fwrite(p, size, n, real(f)); }
EXPORT int Getc(FILE *f) { return getc(real(f)); }
EXPORT wint_t Getwc(FILE *f) { return getwc(real(f)); }
EXPORT void Setbuf(FILE *f, char *buf) { setbuf(real(f), buf); }
EXPORT int Ungetc(int c, FILE *f) { return ungetc(c, real(f)); }
EXPORT wint_t Ungetwc(wint_t c, FILE *f) { return ungetwc(c, real(f)); }
EXPORT int Vfprintf(FILE *f, const char *fmt, va_list ap) { return vfprintf(real(f), fmt, ap); }

EXPORT int Fprintf(FILE *f, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int n = vfprintf(real(f), fmt, ap);
    va_end(ap);
    return n;
}
