/*
 * powerlossfs: a FUSE file system that can forget what was never fsynced, as a power loss would.
 *
 * Part of deliverycheck (docs/environments.md, "power-loss file system"). The harness mounts it over a
 * system's data directory and, for a power-loss fault, kills the system's processes, tells it "drop",
 * and starts them again: everything they wrote but did not make durable is gone.
 *
 *   powerlossfs BACKING MOUNTPOINT
 *
 * It is a passthrough to BACKING (every operation is applied to BACKING at once, so reads need no
 * overlay), and it remembers in memory what a power loss would take back. Run as root (allow_other,
 * default_permissions); single-threaded.
 *
 * Control: one command per line on stdin, one answer per line on stdout ("ok {json}" or "error ..."):
 *   drop      undo everything unsynced: the backing directory becomes the durable state
 *   sync-all  make everything durable now (as if every file and directory had been fsynced)
 *   stats     counters and the size of what is unsynced
 *   unmount   make everything durable, unmount, exit
 * End of input (the harness exited or was killed) does the same as "unmount", so the file system never
 * outlives the harness; "auto_unmount" covers this process itself being killed. The first line on
 * stdout is "ready" once mounted.
 *
 * THE MODEL (what survives a drop)
 *
 * File data. The bytes of a regular file and its size are durable as of the last fsync(2) or
 * fdatasync(2) of that file (any descriptor of the inode), or msync(MS_SYNC), or a write through a
 * descriptor opened with O_SYNC/O_DSYNC (treated as write + fdatasync). A drop puts back the durable
 * bytes and size of every file written, truncated or fallocated since: overwrites revert, appends
 * vanish, truncated bytes come back. A real power loss may keep any subset of unsynced writes (the page
 * cache flushes on its own); this keeps none, the most adverse outcome and a deterministic one.
 *
 * Directory operations: create/mknod/symlink, mkdir, link, unlink, rmdir, rename (and RENAME_EXCHANGE).
 * They persist in order, as in a journaling file system's ordered log (ext4, XFS): an fsync of a
 * directory D makes durable every directory operation up to and including the last one that changed
 * D's entries (so a rename is durable once either of its two directories is fsynced: it is one atomic
 * operation, as those file systems make it). An fsync of a file does NOT make its own directory entry
 * durable: POSIX does not promise it (fsync(2): "an explicit fsync() on a file descriptor for the
 * directory is also needed"), although ext4 often happens to. A drop undoes the operations not yet
 * durable, newest first: a file created and fsynced in a directory that was not fsynced vanishes; a
 * file whose directory was fsynced but whose data was not is there, empty (ALICE's and the ext4
 * "zero-length file" cases). This is stricter than ext4 and looser than a model that reorders
 * directory operations (ALICE explores those; we do not). Like LazyFS's "clear-cache", a drop loses
 * everything unsynced at once; unlike LazyFS we also lose directory operations.
 *
 * Not modelled: attributes (chmod, chown, utimens) are durable at once; xattrs are not supported;
 * sync(2)/syncfs(2) and sync_file_range(2) are not seen by FUSE, so they make nothing durable (only
 * fsync does; sync_file_range never promised durability). Torn writes within a sector are not
 * simulated. The kernel's page cache is not used for writes (no writeback cache): every write(2)
 * reaches this process before it returns, and attribute and entry timeouts are 0, so what processes
 * see after a drop is the backing directory.
 *
 * How: the first time an unsynced change touches a 4 KiB page of a file's durable bytes, the page's
 * durable content is copied into memory; memory is bounded by the durable bytes overwritten or
 * truncated, not by the bytes written (appends cost nothing). Unlinked files and removed directories
 * are moved into BACKING/.powerlossfs (hidden from the mount) until the removal is durable, so a drop
 * can put them back and open descriptors keep working. At startup a leftover .powerlossfs (this
 * process was killed) is deleted: what was written stays.
 *
 * Call "drop" only when no process still uses the mount (a power loss kills them first): a process
 * that survives sees its files change underneath it.
 *
 * Build (PowerLossFs.java does this on first use):
 *   gcc -std=gnu11 -O2 -Wall -Wextra -o powerlossfs powerlossfs.c $(pkg-config --cflags --libs fuse3)
 * Needs the Debian packages fuse3 (fusermount3, for auto_unmount), libfuse3-dev, gcc, pkg-config.
 */
#define FUSE_USE_VERSION 31
#define _GNU_SOURCE

#include <fuse.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <linux/fs.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/types.h>
#include <unistd.h>

#define PAGE 4096
#define GRAVE ".powerlossfs"
#define BUCKETS 4096

static int root_fd = -1;   /* the backing directory */
static int grave_fd = -1;  /* BACKING/.powerlossfs */
static char backing_path[PATH_MAX];
static struct fuse *fs;
static pthread_t main_thread;
static pthread_mutex_t big = PTHREAD_MUTEX_INITIALIZER; /* FUSE ops (one thread) vs control commands */
static unsigned long long grave_seq;

static struct {
    unsigned long long writes, fsyncs, dir_fsyncs, drops, syncs_all;
} counters;

/* ---------------------------------------------------------------- file data ---------------------- */

struct saved {             /* the durable bytes of one page, copied before its first unsynced change */
    uint64_t key;          /* page index + 1; 0 = empty slot */
    uint32_t len;
    char *data;
};

struct dirty {             /* one inode with unsynced data changes */
    dev_t dev;
    ino_t ino;
    int fd;                /* O_RDWR on the backing inode, to copy pages and to restore them */
    off_t durable_size;
    struct saved *tab;
    size_t cap, n;
    struct dirty *next;
};

static struct dirty *buckets[BUCKETS];
static size_t dirty_files;
static unsigned long long saved_bytes;

static struct dirty **bucket(dev_t dev, ino_t ino) {
    return &buckets[((uint64_t) ino * 0x9E3779B97F4A7C15ULL ^ (uint64_t) dev) % BUCKETS];
}

static struct dirty *dirty_find(dev_t dev, ino_t ino) {
    for (struct dirty *d = *bucket(dev, ino); d; d = d->next) {
        if (d->dev == dev && d->ino == ino) {
            return d;
        }
    }
    return NULL;
}

static struct saved *saved_find(struct dirty *d, uint64_t idx) {
    if (d->cap == 0) {
        return NULL;
    }
    for (size_t i = (idx * 0x9E3779B97F4A7C15ULL) % d->cap;; i = (i + 1) % d->cap) {
        if (d->tab[i].key == 0) {
            return NULL;
        }
        if (d->tab[i].key == idx + 1) {
            return &d->tab[i];
        }
    }
}

static int saved_insert(struct dirty *d, uint64_t idx, char *data, uint32_t len) {
    if ((d->n + 1) * 2 > d->cap) {
        size_t cap = d->cap ? d->cap * 2 : 16;
        struct saved *tab = calloc(cap, sizeof *tab);
        if (!tab) {
            return -ENOMEM;
        }
        for (size_t i = 0; i < d->cap; i++) {
            if (d->tab[i].key) {
                size_t j = ((d->tab[i].key - 1) * 0x9E3779B97F4A7C15ULL) % cap;
                while (tab[j].key) {
                    j = (j + 1) % cap;
                }
                tab[j] = d->tab[i];
            }
        }
        free(d->tab);
        d->tab = tab;
        d->cap = cap;
    }
    size_t j = (idx * 0x9E3779B97F4A7C15ULL) % d->cap;
    while (d->tab[j].key) {
        j = (j + 1) % d->cap;
    }
    d->tab[j] = (struct saved) {idx + 1, len, data};
    d->n++;
    saved_bytes += len;
    return 0;
}

/* The dirty record of the inode behind fd, created (durable size = its size now) on first change. */
static int dirty_for(int fd, struct dirty **out) {
    struct stat st;
    if (fstat(fd, &st) < 0) {
        return -errno;
    }
    struct dirty *d = dirty_find(st.st_dev, st.st_ino);
    if (!d) {
        char proc[64];
        snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
        int rw = open(proc, O_RDWR | O_CLOEXEC);
        if (rw < 0) {
            return -errno;
        }
        d = calloc(1, sizeof *d);
        if (!d) {
            close(rw);
            return -ENOMEM;
        }
        d->dev = st.st_dev;
        d->ino = st.st_ino;
        d->fd = rw;
        d->durable_size = st.st_size;
        struct dirty **b = bucket(st.st_dev, st.st_ino);
        d->next = *b;
        *b = d;
        dirty_files++;
    }
    *out = d;
    return 0;
}

static int pread_full(int fd, char *buf, size_t len, off_t off) {
    size_t done = 0;
    while (done < len) {
        ssize_t r = pread(fd, buf + done, len - done, off + (off_t) done);
        if (r < 0) {
            if (errno == EINTR) {
                continue;
            }
            return -errno;
        }
        if (r == 0) {
            memset(buf + done, 0, len - done); /* changed behind our back; keep what is there */
            break;
        }
        done += (size_t) r;
    }
    return 0;
}

static ssize_t pwrite_full(int fd, const char *buf, size_t len, off_t off) {
    size_t done = 0;
    while (done < len) {
        ssize_t r = pwrite(fd, buf + done, len - done, off + (off_t) done);
        if (r < 0) {
            if (errno == EINTR) {
                continue;
            }
            return done ? (ssize_t) done : -errno;
        }
        done += (size_t) r;
    }
    return (ssize_t) done;
}

/* Copies the durable bytes of every page meeting [from, to) that is not copied yet. */
static int save_range(struct dirty *d, off_t from, off_t to) {
    if (to > d->durable_size) {
        to = d->durable_size;
    }
    if (from < 0 || from >= to) {
        return 0;
    }
    for (uint64_t p = (uint64_t) from / PAGE; (off_t) (p * PAGE) < to; p++) {
        if (saved_find(d, p)) {
            continue;
        }
        off_t start = (off_t) (p * PAGE);
        uint32_t len = (uint32_t) (d->durable_size - start < PAGE ? d->durable_size - start : PAGE);
        char *buf = malloc(len);
        if (!buf) {
            return -ENOMEM;
        }
        int r = pread_full(d->fd, buf, len, start);
        if (r == 0) {
            r = saved_insert(d, p, buf, len);
        }
        if (r < 0) {
            free(buf);
            return r;
        }
    }
    return 0;
}

static void dirty_free(struct dirty *d) {
    for (size_t i = 0; i < d->cap; i++) {
        if (d->tab[i].key) {
            saved_bytes -= d->tab[i].len;
            free(d->tab[i].data);
        }
    }
    free(d->tab);
    close(d->fd);
    free(d);
    dirty_files--;
}

/* fsync of a file: its current content becomes durable. */
static void commit_data(dev_t dev, ino_t ino) {
    for (struct dirty **p = bucket(dev, ino); *p; p = &(*p)->next) {
        if ((*p)->dev == dev && (*p)->ino == ino) {
            struct dirty *d = *p;
            *p = d->next;
            dirty_free(d);
            return;
        }
    }
}

static void commit_all_data(void) {
    for (size_t b = 0; b < BUCKETS; b++) {
        while (buckets[b]) {
            struct dirty *d = buckets[b];
            buckets[b] = d->next;
            dirty_free(d);
        }
    }
}

/* --------------------------------------------------------- directory operations ------------------ */

enum kind { R_CREATE, R_MKDIR, R_UNLINK, R_RMDIR, R_RENAME, R_EXCHANGE, R_LINK };

struct rec {
    enum kind kind;
    char *a;       /* the path created / removed / renamed from (relative to BACKING) */
    char *b;       /* rename: the path renamed to; link: the new path */
    char *grave;   /* unlink/rmdir: where the removed entry waits; rename: the replaced entry */
    int grave_dir; /* the entry in the grave is a directory */
    ino_t d1, d2;  /* the directories whose entries changed */
};

static struct rec *log_recs;
static size_t log_n, log_cap;

static int log_add(struct rec r) {
    if (log_n == log_cap) {
        size_t cap = log_cap ? log_cap * 2 : 64;
        struct rec *n = realloc(log_recs, cap * sizeof *n);
        if (!n) {
            return -ENOMEM;
        }
        log_recs = n;
        log_cap = cap;
    }
    log_recs[log_n++] = r;
    return 0;
}

static void rec_free(struct rec *r) {
    free(r->a);
    free(r->b);
    free(r->grave);
}

/* The operation is durable: what it removed is gone for good. */
static void rec_commit(struct rec *r) {
    if (r->grave && unlinkat(grave_fd, r->grave, r->grave_dir ? AT_REMOVEDIR : 0) < 0) {
        fprintf(stderr, "powerlossfs: cannot delete %s/" GRAVE "/%s: %s\n", backing_path, r->grave, strerror(errno));
    }
    rec_free(r);
}

static void commit_prefix(size_t n) {
    for (size_t i = 0; i < n; i++) {
        rec_commit(&log_recs[i]);
    }
    memmove(log_recs, log_recs + n, (log_n - n) * sizeof *log_recs);
    log_n -= n;
}

/* fsync of directory ino: every operation up to the last one that changed its entries is durable. */
static void commit_dir(ino_t ino) {
    for (size_t i = log_n; i > 0; i--) {
        if (log_recs[i - 1].d1 == ino || log_recs[i - 1].d2 == ino) {
            commit_prefix(i);
            return;
        }
    }
}

static char first_error[512];
static unsigned long undo_errors;

static void undo_error(const char *fmt, ...) {
    undo_errors++;
    if (!first_error[0]) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(first_error, sizeof first_error, fmt, ap);
        va_end(ap);
    }
}

static void rec_undo(struct rec *r) {
    switch (r->kind) {
    case R_CREATE:
    case R_MKDIR:
        if (unlinkat(root_fd, r->a, r->kind == R_MKDIR ? AT_REMOVEDIR : 0) < 0) {
            undo_error("undo create %s: %s", r->a, strerror(errno));
        }
        break;
    case R_LINK:
        if (unlinkat(root_fd, r->b, 0) < 0) {
            undo_error("undo link %s: %s", r->b, strerror(errno));
        }
        break;
    case R_UNLINK:
    case R_RMDIR:
        if (renameat(grave_fd, r->grave, root_fd, r->a) < 0) {
            undo_error("undo removal of %s: %s", r->a, strerror(errno));
        }
        break;
    case R_RENAME:
        if (renameat(root_fd, r->b, root_fd, r->a) < 0) {
            undo_error("undo rename %s -> %s: %s", r->a, r->b, strerror(errno));
        } else if (r->grave && renameat(grave_fd, r->grave, root_fd, r->b) < 0) {
            undo_error("undo replacement of %s: %s", r->b, strerror(errno));
        }
        break;
    case R_EXCHANGE:
        if (renameat2(root_fd, r->a, root_fd, r->b, RENAME_EXCHANGE) < 0) {
            undo_error("undo exchange %s <-> %s: %s", r->a, r->b, strerror(errno));
        }
        break;
    }
    free(r->a);
    free(r->b);
    free(r->grave);
}

/* ------------------------------------------------------------------- helpers --------------------- */

/* The path relative to BACKING ("." for the root), or NULL for the hidden grave. */
static const char *rel(const char *path) {
    if (!path || path[0] != '/') {
        return NULL;
    }
    const char *r = path[1] ? path + 1 : ".";
    size_t g = strlen(GRAVE);
    if (strncmp(r, GRAVE, g) == 0 && (r[g] == '\0' || r[g] == '/')) {
        return NULL;
    }
    return r;
}

#define REL(var, path)               \
    const char *var = rel(path);     \
    if (!var) {                      \
        return -ENOENT;              \
    }

static int ino_of(const char *relpath, ino_t *ino) {
    struct stat st;
    if (fstatat(root_fd, relpath, &st, AT_SYMLINK_NOFOLLOW) < 0) {
        return -errno;
    }
    *ino = st.st_ino;
    return 0;
}

static int parent_ino(const char *relpath, ino_t *ino) {
    char parent[PATH_MAX];
    const char *slash = strrchr(relpath, '/');
    if (!slash) {
        return ino_of(".", ino);
    }
    size_t n = (size_t) (slash - relpath);
    if (n >= sizeof parent) {
        return -ENAMETOOLONG;
    }
    memcpy(parent, relpath, n);
    parent[n] = '\0';
    return ino_of(parent, ino);
}

static char *new_grave(void) {
    char *name = malloc(32);
    if (name) {
        snprintf(name, 32, "%llu", ++grave_seq);
    }
    return name;
}

static int dir_is_empty(const char *relpath) {
    int fd = openat(root_fd, relpath, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
        return -errno;
    }
    DIR *dp = fdopendir(fd);
    if (!dp) {
        int e = -errno;
        close(fd);
        return e;
    }
    struct dirent *de;
    int empty = 1;
    while ((de = readdir(dp))) {
        if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..")) {
            empty = 0;
            break;
        }
    }
    closedir(dp);
    return empty;
}

static void own(const char *relpath) {
    struct fuse_context *c = fuse_get_context();
    if (fchownat(root_fd, relpath, c->uid, c->gid, AT_SYMLINK_NOFOLLOW) < 0) {
        fprintf(stderr, "powerlossfs: chown %s: %s\n", relpath, strerror(errno));
    }
}

struct handle {
    int fd;
    DIR *dp;        /* directories */
    int sync;       /* opened O_SYNC / O_DSYNC */
    int is_root;    /* the mount's root directory (hides the grave) */
};

#define H(fi) ((struct handle *) (uintptr_t) (fi)->fh)

/* Open flags for the backing file: the kernel has already applied O_APPEND to the offset, O_TRUNC is
   done by us (so the truncated bytes are saved), durability is ours to model. */
static int backing_flags(int flags) {
    return (flags & ~(O_APPEND | O_TRUNC | O_CREAT | O_EXCL | O_NOCTTY | O_SYNC | O_DSYNC | O_DIRECT)) | O_CLOEXEC;
}

static int truncate_fd(int fd, off_t size) {
    struct dirty *d;
    int r = dirty_for(fd, &d);
    if (r < 0) {
        return r;
    }
    r = save_range(d, size, d->durable_size);
    if (r < 0) {
        return r;
    }
    return ftruncate(fd, size) < 0 ? -errno : 0;
}

static int new_handle(struct fuse_file_info *fi, int fd, int flags) {
    struct handle *h = calloc(1, sizeof *h);
    if (!h) {
        close(fd);
        return -ENOMEM;
    }
    h->fd = fd;
    h->sync = (flags & (O_SYNC | O_DSYNC)) != 0;
    fi->fh = (uint64_t) (uintptr_t) h;
    return 0;
}

/* ---------------------------------------------------------------- operations --------------------- */

static void *op_init(struct fuse_conn_info *conn, struct fuse_config *cfg) {
    cfg->use_ino = 1;
    cfg->hard_remove = 1;      /* unlink is ours to model; no .fuse_hidden files */
    cfg->nullpath_ok = 1;      /* operations on open, unlinked files come with a handle only */
    cfg->entry_timeout = 0;    /* after a drop the kernel must look again */
    cfg->attr_timeout = 0;
    cfg->negative_timeout = 0;
    cfg->kernel_cache = 0;
    cfg->auto_cache = 0;
    cfg->direct_io = 0;
    conn->want &= ~FUSE_CAP_WRITEBACK_CACHE; /* every write reaches us before write(2) returns */
    return NULL;
}

static int do_getattr(const char *path, struct stat *st, struct fuse_file_info *fi) {
    if (fi && H(fi) && !H(fi)->dp) {
        return fstat(H(fi)->fd, st) < 0 ? -errno : 0;
    }
    REL(r, path);
    return fstatat(root_fd, r, st, AT_SYMLINK_NOFOLLOW) < 0 ? -errno : 0;
}

static int do_readlink(const char *path, char *buf, size_t size) {
    REL(r, path);
    ssize_t n = readlinkat(root_fd, r, buf, size - 1);
    if (n < 0) {
        return -errno;
    }
    buf[n] = '\0';
    return 0;
}

static int do_mknod(const char *path, mode_t mode, dev_t rdev) {
    REL(r, path);
    ino_t dir;
    int e = parent_ino(r, &dir);
    if (e < 0) {
        return e;
    }
    if (mknodat(root_fd, r, mode, rdev) < 0) {
        return -errno;
    }
    own(r);
    return log_add((struct rec) {.kind = R_CREATE, .a = strdup(r), .d1 = dir, .d2 = dir});
}

static int do_mkdir(const char *path, mode_t mode) {
    REL(r, path);
    ino_t dir;
    int e = parent_ino(r, &dir);
    if (e < 0) {
        return e;
    }
    if (mkdirat(root_fd, r, mode) < 0) {
        return -errno;
    }
    own(r);
    return log_add((struct rec) {.kind = R_MKDIR, .a = strdup(r), .d1 = dir, .d2 = dir});
}

static int do_symlink(const char *target, const char *path) {
    REL(r, path);
    ino_t dir;
    int e = parent_ino(r, &dir);
    if (e < 0) {
        return e;
    }
    if (symlinkat(target, root_fd, r) < 0) {
        return -errno;
    }
    own(r);
    return log_add((struct rec) {.kind = R_CREATE, .a = strdup(r), .d1 = dir, .d2 = dir});
}

static int remove_entry(const char *path, int isdir) {
    REL(r, path);
    struct stat st;
    if (fstatat(root_fd, r, &st, AT_SYMLINK_NOFOLLOW) < 0) {
        return -errno;
    }
    if (isdir && !S_ISDIR(st.st_mode)) {
        return -ENOTDIR;
    }
    if (!isdir && S_ISDIR(st.st_mode)) {
        return -EISDIR;
    }
    if (isdir) {
        int empty = dir_is_empty(r);
        if (empty < 0) {
            return empty;
        }
        if (!empty) {
            return -ENOTEMPTY;
        }
    }
    ino_t dir;
    int e = parent_ino(r, &dir);
    if (e < 0) {
        return e;
    }
    char *g = new_grave();
    if (!g) {
        return -ENOMEM;
    }
    if (renameat(root_fd, r, grave_fd, g) < 0) {
        e = -errno;
        free(g);
        return e;
    }
    return log_add((struct rec) {.kind = isdir ? R_RMDIR : R_UNLINK, .a = strdup(r), .grave = g,
                                 .grave_dir = isdir, .d1 = dir, .d2 = dir});
}

static int do_unlink(const char *path) {
    return remove_entry(path, 0);
}

static int do_rmdir(const char *path) {
    return remove_entry(path, 1);
}

static int do_rename(const char *from, const char *to, unsigned int flags) {
    REL(a, from);
    REL(b, to);
    ino_t da, db;
    int e = parent_ino(a, &da);
    if (e == 0) {
        e = parent_ino(b, &db);
    }
    if (e < 0) {
        return e;
    }
    if (flags & RENAME_EXCHANGE) {
        if (renameat2(root_fd, a, root_fd, b, RENAME_EXCHANGE) < 0) {
            return -errno;
        }
        return log_add((struct rec) {.kind = R_EXCHANGE, .a = strdup(a), .b = strdup(b), .d1 = da, .d2 = db});
    }
    if (flags & ~RENAME_NOREPLACE) {
        return -EINVAL;
    }
    struct stat sa, sb;
    if (fstatat(root_fd, a, &sa, AT_SYMLINK_NOFOLLOW) < 0) {
        return -errno;
    }
    char *g = NULL;
    int gdir = 0;
    if (fstatat(root_fd, b, &sb, AT_SYMLINK_NOFOLLOW) == 0) {
        if (flags & RENAME_NOREPLACE) {
            return -EEXIST;
        }
        if (sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino) {
            return 0; /* two links to one file: rename(2) does nothing */
        }
        if (S_ISDIR(sa.st_mode) && !S_ISDIR(sb.st_mode)) {
            return -ENOTDIR;
        }
        if (!S_ISDIR(sa.st_mode) && S_ISDIR(sb.st_mode)) {
            return -EISDIR;
        }
        if (S_ISDIR(sb.st_mode)) {
            int empty = dir_is_empty(b);
            if (empty < 0) {
                return empty;
            }
            if (!empty) {
                return -ENOTEMPTY;
            }
            gdir = 1;
        }
        g = new_grave();
        if (!g) {
            return -ENOMEM;
        }
        if (renameat(root_fd, b, grave_fd, g) < 0) {
            e = -errno;
            free(g);
            return e;
        }
    } else if (errno != ENOENT) {
        return -errno;
    }
    if (renameat(root_fd, a, root_fd, b) < 0) {
        e = -errno;
        if (g) {
            renameat(grave_fd, g, root_fd, b);
            free(g);
        }
        return e;
    }
    return log_add((struct rec) {.kind = R_RENAME, .a = strdup(a), .b = strdup(b), .grave = g,
                                 .grave_dir = gdir, .d1 = da, .d2 = db});
}

static int do_link(const char *from, const char *to) {
    REL(a, from);
    REL(b, to);
    ino_t db;
    int e = parent_ino(b, &db);
    if (e < 0) {
        return e;
    }
    if (linkat(root_fd, a, root_fd, b, 0) < 0) {
        return -errno;
    }
    return log_add((struct rec) {.kind = R_LINK, .b = strdup(b), .d1 = db, .d2 = db});
}

static int do_chmod(const char *path, mode_t mode, struct fuse_file_info *fi) {
    if (fi && H(fi) && !H(fi)->dp) {
        return fchmod(H(fi)->fd, mode) < 0 ? -errno : 0;
    }
    REL(r, path);
    return fchmodat(root_fd, r, mode, 0) < 0 ? -errno : 0;
}

static int do_chown(const char *path, uid_t uid, gid_t gid, struct fuse_file_info *fi) {
    if (fi && H(fi) && !H(fi)->dp) {
        return fchown(H(fi)->fd, uid, gid) < 0 ? -errno : 0;
    }
    REL(r, path);
    return fchownat(root_fd, r, uid, gid, AT_SYMLINK_NOFOLLOW) < 0 ? -errno : 0;
}

static int do_truncate(const char *path, off_t size, struct fuse_file_info *fi) {
    if (fi && H(fi) && !H(fi)->dp) {
        return truncate_fd(H(fi)->fd, size);
    }
    REL(r, path);
    int fd = openat(root_fd, r, O_WRONLY | O_CLOEXEC);
    if (fd < 0) {
        return -errno;
    }
    int e = truncate_fd(fd, size);
    close(fd);
    return e;
}

static int do_utimens(const char *path, const struct timespec tv[2], struct fuse_file_info *fi) {
    if (fi && H(fi) && !H(fi)->dp) {
        return futimens(H(fi)->fd, tv) < 0 ? -errno : 0;
    }
    REL(r, path);
    return utimensat(root_fd, r, tv, AT_SYMLINK_NOFOLLOW) < 0 ? -errno : 0;
}

static int do_create(const char *path, mode_t mode, struct fuse_file_info *fi) {
    REL(r, path);
    ino_t dir;
    int e = parent_ino(r, &dir);
    if (e < 0) {
        return e;
    }
    int fd = openat(root_fd, r, backing_flags(fi->flags) | O_CREAT | O_EXCL, mode);
    if (fd >= 0) {
        own(r);
        e = log_add((struct rec) {.kind = R_CREATE, .a = strdup(r), .d1 = dir, .d2 = dir});
        if (e < 0) {
            close(fd);
            return e;
        }
        return new_handle(fi, fd, fi->flags);
    }
    if (errno != EEXIST || (fi->flags & O_EXCL)) {
        return -errno;
    }
    fd = openat(root_fd, r, backing_flags(fi->flags));
    if (fd < 0) {
        return -errno;
    }
    if ((fi->flags & O_TRUNC) && (e = truncate_fd(fd, 0)) < 0) {
        close(fd);
        return e;
    }
    return new_handle(fi, fd, fi->flags);
}

static int do_open(const char *path, struct fuse_file_info *fi) {
    REL(r, path);
    int fd = openat(root_fd, r, backing_flags(fi->flags));
    if (fd < 0) {
        return -errno;
    }
    int e;
    if ((fi->flags & O_TRUNC) && (fi->flags & O_ACCMODE) != O_RDONLY && (e = truncate_fd(fd, 0)) < 0) {
        close(fd);
        return e;
    }
    return new_handle(fi, fd, fi->flags);
}

static int do_read(const char *path, char *buf, size_t size, off_t off, struct fuse_file_info *fi) {
    (void) path;
    ssize_t n = pread(H(fi)->fd, buf, size, off);
    return n < 0 ? -errno : (int) n;
}

static int do_write(const char *path, const char *buf, size_t size, off_t off, struct fuse_file_info *fi) {
    (void) path;
    struct dirty *d;
    int e = dirty_for(H(fi)->fd, &d);
    if (e == 0) {
        e = save_range(d, off, off + (off_t) size);
    }
    if (e < 0) {
        return e;
    }
    counters.writes++;
    ssize_t n = pwrite_full(H(fi)->fd, buf, size, off);
    if (n >= 0 && H(fi)->sync) {
        commit_data(d->dev, d->ino);
    }
    return (int) n;
}

static int do_statfs(const char *path, struct statvfs *st) {
    (void) path;
    return fstatvfs(root_fd, st) < 0 ? -errno : 0;
}

static int do_flush(const char *path, struct fuse_file_info *fi) {
    (void) path;
    (void) fi;
    return 0; /* close(2) makes nothing durable */
}

static int do_release(const char *path, struct fuse_file_info *fi) {
    (void) path;
    close(H(fi)->fd);
    free(H(fi));
    return 0;
}

static int do_fsync(const char *path, int datasync, struct fuse_file_info *fi) {
    (void) path;
    (void) datasync; /* fdatasync persists the data and the size, all this model tracks */
    struct stat st;
    if (fstat(H(fi)->fd, &st) < 0) {
        return -errno;
    }
    counters.fsyncs++;
    commit_data(st.st_dev, st.st_ino);
    return 0;
}

static int do_opendir(const char *path, struct fuse_file_info *fi) {
    REL(r, path);
    int fd = openat(root_fd, r, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
        return -errno;
    }
    struct handle *h = calloc(1, sizeof *h);
    if (!h) {
        close(fd);
        return -ENOMEM;
    }
    h->fd = fd;
    h->dp = fdopendir(fd);
    if (!h->dp) {
        int e = -errno;
        close(fd);
        free(h);
        return e;
    }
    h->is_root = strcmp(r, ".") == 0;
    fi->fh = (uint64_t) (uintptr_t) h;
    return 0;
}

static int do_readdir(const char *path, void *buf, fuse_fill_dir_t filler, off_t off,
                      struct fuse_file_info *fi, enum fuse_readdir_flags flags) {
    (void) path;
    (void) off;
    (void) flags;
    struct handle *h = H(fi);
    rewinddir(h->dp);
    struct dirent *de;
    while ((errno = 0, de = readdir(h->dp))) {
        if (h->is_root && strcmp(de->d_name, GRAVE) == 0) {
            continue;
        }
        struct stat st = {0};
        st.st_ino = de->d_ino;
        st.st_mode = (mode_t) DTTOIF(de->d_type);
        if (filler(buf, de->d_name, &st, 0, 0)) {
            break;
        }
    }
    return errno ? -errno : 0;
}

static int do_releasedir(const char *path, struct fuse_file_info *fi) {
    (void) path;
    closedir(H(fi)->dp);
    free(H(fi));
    return 0;
}

static int do_fsyncdir(const char *path, int datasync, struct fuse_file_info *fi) {
    (void) path;
    (void) datasync;
    struct stat st;
    if (fstat(H(fi)->fd, &st) < 0) {
        return -errno;
    }
    counters.dir_fsyncs++;
    commit_dir(st.st_ino);
    return 0;
}

static int do_access(const char *path, int mask) {
    REL(r, path);
    return faccessat(root_fd, r, mask, AT_EACCESS) < 0 ? -errno : 0;
}

static int do_fallocate(const char *path, int mode, off_t off, off_t len, struct fuse_file_info *fi) {
    (void) path;
    int supported = FALLOC_FL_KEEP_SIZE | FALLOC_FL_PUNCH_HOLE | FALLOC_FL_ZERO_RANGE;
    if (mode & ~supported) {
        return -EOPNOTSUPP;
    }
    struct dirty *d;
    int e = dirty_for(H(fi)->fd, &d);
    if (e == 0 && (mode & (FALLOC_FL_PUNCH_HOLE | FALLOC_FL_ZERO_RANGE))) {
        e = save_range(d, off, off + len);
    }
    if (e < 0) {
        return e;
    }
    return fallocate(H(fi)->fd, mode, off, len) < 0 ? -errno : 0;
}

/* Every operation runs under the big lock, so a control command sees no half-done operation. */
#define LOCK() pthread_mutex_lock(&big)
#define UNLOCK() pthread_mutex_unlock(&big)
#define LOCKED(call)            \
    do {                        \
        LOCK();                 \
        int res_ = (call);      \
        UNLOCK();               \
        return res_;            \
    } while (0)

static int l_getattr(const char *p, struct stat *s, struct fuse_file_info *f) { LOCKED(do_getattr(p, s, f)); }
static int l_readlink(const char *p, char *b, size_t n) { LOCKED(do_readlink(p, b, n)); }
static int l_mknod(const char *p, mode_t m, dev_t d) { LOCKED(do_mknod(p, m, d)); }
static int l_mkdir(const char *p, mode_t m) { LOCKED(do_mkdir(p, m)); }
static int l_unlink(const char *p) { LOCKED(do_unlink(p)); }
static int l_rmdir(const char *p) { LOCKED(do_rmdir(p)); }
static int l_symlink(const char *t, const char *p) { LOCKED(do_symlink(t, p)); }
static int l_rename(const char *a, const char *b, unsigned int f) { LOCKED(do_rename(a, b, f)); }
static int l_link(const char *a, const char *b) { LOCKED(do_link(a, b)); }
static int l_chmod(const char *p, mode_t m, struct fuse_file_info *f) { LOCKED(do_chmod(p, m, f)); }
static int l_chown(const char *p, uid_t u, gid_t g, struct fuse_file_info *f) { LOCKED(do_chown(p, u, g, f)); }
static int l_truncate(const char *p, off_t s, struct fuse_file_info *f) { LOCKED(do_truncate(p, s, f)); }
static int l_open(const char *p, struct fuse_file_info *f) { LOCKED(do_open(p, f)); }
static int l_read(const char *p, char *b, size_t n, off_t o, struct fuse_file_info *f) { LOCKED(do_read(p, b, n, o, f)); }
static int l_write(const char *p, const char *b, size_t n, off_t o, struct fuse_file_info *f) { LOCKED(do_write(p, b, n, o, f)); }
static int l_statfs(const char *p, struct statvfs *s) { LOCKED(do_statfs(p, s)); }
static int l_flush(const char *p, struct fuse_file_info *f) { LOCKED(do_flush(p, f)); }
static int l_release(const char *p, struct fuse_file_info *f) { LOCKED(do_release(p, f)); }
static int l_fsync(const char *p, int d, struct fuse_file_info *f) { LOCKED(do_fsync(p, d, f)); }
static int l_opendir(const char *p, struct fuse_file_info *f) { LOCKED(do_opendir(p, f)); }
static int l_readdir(const char *p, void *b, fuse_fill_dir_t fl, off_t o, struct fuse_file_info *f,
                     enum fuse_readdir_flags x) { LOCKED(do_readdir(p, b, fl, o, f, x)); }
static int l_releasedir(const char *p, struct fuse_file_info *f) { LOCKED(do_releasedir(p, f)); }
static int l_fsyncdir(const char *p, int d, struct fuse_file_info *f) { LOCKED(do_fsyncdir(p, d, f)); }
static int l_access(const char *p, int m) { LOCKED(do_access(p, m)); }
static int l_create(const char *p, mode_t m, struct fuse_file_info *f) { LOCKED(do_create(p, m, f)); }
static int l_utimens(const char *p, const struct timespec t[2], struct fuse_file_info *f) { LOCKED(do_utimens(p, t, f)); }
static int l_fallocate(const char *p, int m, off_t o, off_t l, struct fuse_file_info *f) { LOCKED(do_fallocate(p, m, o, l, f)); }

static const struct fuse_operations ops = {
    .init = op_init,
    .getattr = l_getattr,
    .readlink = l_readlink,
    .mknod = l_mknod,
    .mkdir = l_mkdir,
    .unlink = l_unlink,
    .rmdir = l_rmdir,
    .symlink = l_symlink,
    .rename = l_rename,
    .link = l_link,
    .chmod = l_chmod,
    .chown = l_chown,
    .truncate = l_truncate,
    .open = l_open,
    .read = l_read,
    .write = l_write,
    .statfs = l_statfs,
    .flush = l_flush,
    .release = l_release,
    .fsync = l_fsync,
    .opendir = l_opendir,
    .readdir = l_readdir,
    .releasedir = l_releasedir,
    .fsyncdir = l_fsyncdir,
    .access = l_access,
    .create = l_create,
    .utimens = l_utimens,
    .fallocate = l_fallocate,
};

/* ------------------------------------------------------------------- control --------------------- */

static void reply(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    putchar('\n');
    fflush(stdout);
}

static void sync_all(void) {
    commit_all_data();
    commit_prefix(log_n);
}

static void cmd_drop(void) {
    unsigned long long files = dirty_files, bytes = saved_bytes;
    unsigned long long undone = log_n;
    first_error[0] = '\0';
    undo_errors = 0;
    /* Data first (through descriptors, wherever the inode now is), then the names, newest first. */
    for (size_t b = 0; b < BUCKETS; b++) {
        while (buckets[b]) {
            struct dirty *d = buckets[b];
            buckets[b] = d->next;
            if (ftruncate(d->fd, d->durable_size) < 0) {
                undo_error("restore size of inode %llu: %s", (unsigned long long) d->ino, strerror(errno));
            }
            for (size_t i = 0; i < d->cap; i++) {
                struct saved *s = &d->tab[i];
                if (s->key && pwrite_full(d->fd, s->data, s->len, (off_t) ((s->key - 1) * PAGE)) != (ssize_t) s->len) {
                    undo_error("restore page %llu of inode %llu: %s", (unsigned long long) (s->key - 1),
                               (unsigned long long) d->ino, strerror(errno));
                }
            }
            dirty_free(d);
        }
    }
    while (log_n > 0) {
        rec_undo(&log_recs[--log_n]);
    }
    counters.drops++;
    reply("ok {\"reverted_files\":%llu,\"restored_bytes\":%llu,\"undone_ops\":%llu,\"errors\":%lu%s%s%s}",
          files, bytes, undone, undo_errors, first_error[0] ? ",\"first_error\":\"" : "",
          first_error, first_error[0] ? "\"" : "");
}

static void cmd_stats(void) {
    reply("ok {\"dirty_files\":%zu,\"saved_bytes\":%llu,\"unsynced_ops\":%zu,\"writes\":%llu,\"fsyncs\":%llu,"
          "\"dir_fsyncs\":%llu,\"drops\":%llu,\"syncs_all\":%llu}",
          dirty_files, saved_bytes, log_n, counters.writes, counters.fsyncs, counters.dir_fsyncs,
          counters.drops, counters.syncs_all);
}

static void *control(void *arg) {
    (void) arg;
    char line[256];
    while (fgets(line, sizeof line, stdin)) {
        line[strcspn(line, "\r\n")] = '\0';
        LOCK();
        if (strcmp(line, "drop") == 0) {
            cmd_drop();
        } else if (strcmp(line, "sync-all") == 0) {
            sync_all();
            counters.syncs_all++;
            reply("ok {}");
        } else if (strcmp(line, "stats") == 0) {
            cmd_stats();
        } else if (strcmp(line, "unmount") == 0) {
            reply("ok {}");
            UNLOCK();
            break;
        } else {
            reply("error unknown command '%s' (known: drop, sync-all, stats, unmount)", line);
        }
        UNLOCK();
    }
    /* unmount, or end of input: the harness is gone. Wake the loop, which then unmounts. */
    fuse_exit(fs);
    pthread_kill(main_thread, SIGTERM);
    return NULL;
}

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
    (void) st;
    (void) flag;
    (void) ftw;
    if (remove(path) < 0) {
        fprintf(stderr, "powerlossfs: cannot delete %s: %s\n", path, strerror(errno));
    }
    return 0;
}

int main(int argc, char *argv[]) {
    if (argc != 3) {
        fprintf(stderr, "usage: powerlossfs BACKING MOUNTPOINT (commands on stdin: drop, sync-all, stats, unmount)\n");
        return 2;
    }
    umask(0);
    if (!realpath(argv[1], backing_path)) {
        fprintf(stderr, "powerlossfs: backing directory %s: %s\n", argv[1], strerror(errno));
        return 2;
    }
    root_fd = open(backing_path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (root_fd < 0) {
        fprintf(stderr, "powerlossfs: backing directory %s: %s\n", backing_path, strerror(errno));
        return 2;
    }
    char grave_path[PATH_MAX + sizeof GRAVE + 1];
    snprintf(grave_path, sizeof grave_path, "%s/%s", backing_path, GRAVE);
    struct stat st;
    if (lstat(grave_path, &st) == 0) { /* left by a killed powerlossfs: those removals stand */
        nftw(grave_path, remove_one, 16, FTW_DEPTH | FTW_PHYS);
    }
    if (mkdirat(root_fd, GRAVE, 0700) < 0 || (grave_fd = openat(root_fd, GRAVE, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
        fprintf(stderr, "powerlossfs: cannot create %s: %s\n", grave_path, strerror(errno));
        return 2;
    }

    char *fargv[] = {"powerlossfs", "-o",
                     "allow_other,default_permissions,auto_unmount,fsname=powerlossfs,subtype=powerlossfs", NULL};
    struct fuse_args args = FUSE_ARGS_INIT(3, fargv);
    fs = fuse_new(&args, &ops, sizeof ops, NULL);
    if (!fs) {
        fprintf(stderr, "powerlossfs: fuse_new failed\n");
        return 1;
    }
    if (fuse_mount(fs, argv[2]) != 0) {
        fprintf(stderr, "powerlossfs: cannot mount on %s (needs /dev/fuse, root, fusermount3)\n", argv[2]);
        fuse_destroy(fs);
        return 1;
    }
    struct fuse_session *se = fuse_get_session(fs);
    if (fuse_set_signal_handlers(se) != 0) {
        fprintf(stderr, "powerlossfs: cannot set signal handlers\n");
        fuse_unmount(fs);
        fuse_destroy(fs);
        return 1;
    }
    main_thread = pthread_self();
    /* The control thread must not take the signals meant to interrupt the loop. */
    sigset_t block, old;
    sigemptyset(&block);
    sigaddset(&block, SIGTERM);
    sigaddset(&block, SIGINT);
    sigaddset(&block, SIGHUP);
    sigaddset(&block, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &block, &old);
    reply("ready");
    pthread_t ctl;
    if (pthread_create(&ctl, NULL, control, NULL) != 0) {
        fprintf(stderr, "powerlossfs: cannot start the control thread\n");
        return 1;
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    fprintf(stderr, "powerlossfs: %s mounted on %s\n", backing_path, argv[2]);

    int res = fuse_loop(fs);

    LOCK();
    sync_all(); /* what was written stays: the graveyard is emptied */
    UNLOCK();
    fuse_remove_signal_handlers(se);
    fuse_unmount(fs);
    fuse_destroy(fs);
    unlinkat(root_fd, GRAVE, AT_REMOVEDIR);
    fprintf(stderr, "powerlossfs: unmounted %s\n", argv[2]);
    return res < 0 ? 1 : 0;
}
