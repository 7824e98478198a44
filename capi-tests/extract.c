/*
 * The happy path of the C ABI on a real guest image, using only xenboot.h and
 * libxenboot.so: open, list, select, extract to memory (released with munmap, as libxl
 * does), to a directory and to file descriptors, with overrides and limits, comparing
 * every byte with the files the image was built from.
 *
 * usage: extract IMAGE EXPECT_DIR N_ENTRIES DEFAULT_INDEX DEFAULT_TITLE OTHER_INDEX ARGS_MODE
 *                [MAPPED]
 *   EXPECT_DIR holds: kernel, ramdisk (absent when the default entry has none), args,
 *                     other_kernel (the kernel of entry OTHER_INDEX)
 *   ARGS_MODE  "exact": the command line equals EXPECT_DIR/args;
 *              "contains": it contains it
 *   MAPPED     "mapped": with map_image the kernel blob must be a mapping of IMAGE
 *              (its file lies page-aligned there); otherwise it may be a copy
 *
 * Prints one line per failed check and exits 1 if any failed.
 */
#define _GNU_SOURCE
#include "xenboot.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"

struct buf {
    unsigned char *data;
    size_t size;
    int present;
};

/* Reads a whole file; present = 0 when it does not exist. */
static struct buf read_file(const char *path)
{
    struct buf b = {NULL, 0, 0};
    FILE *f = fopen(path, "rb");
    if (!f)
        return b;
    b.present = 1;
    size_t cap = 0;
    for (;;) {
        if (b.size == cap) {
            cap = cap ? cap * 2 : 65536;
            b.data = realloc(b.data, cap);
            if (!b.data) {
                perror("realloc");
                exit(2);
            }
        }
        size_t n = fread(b.data + b.size, 1, cap - b.size, f);
        if (n == 0)
            break;
        b.size += n;
    }
    fclose(f);
    return b;
}

static struct buf read_expect(const char *dir, const char *name)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    return read_file(path);
}

static int same(const void *data, size_t size, const struct buf *want)
{
    return want->present && size == want->size &&
           (size == 0 || memcmp(data, want->data, size) == 0);
}

/* Reads everything from fd (rewound first). */
static struct buf read_fd(int fd)
{
    struct buf b = {NULL, 0, 1};
    off_t end = lseek(fd, 0, SEEK_END);
    if (end < 0 || lseek(fd, 0, SEEK_SET) != 0)
        return b;
    b.data = malloc((size_t)end + 1);
    while (b.data && b.size < (size_t)end) {
        ssize_t n = read(fd, b.data + b.size, (size_t)end - b.size);
        if (n <= 0)
            break;
        b.size += (size_t)n;
    }
    return b;
}

static const char *image, *expect_dir, *default_title, *args_mode;
static size_t n_entries, default_index, other_index;
static int expect_mapped;
static struct buf want_kernel, want_ramdisk, want_args, want_other_kernel;
static int log_calls;

static void count_log(void *ctx, int level, const char *msg)
{
    (void)level;
    (void)msg;
    (*(int *)ctx)++;
}

static int args_ok(const char *cmdline)
{
    char want[4096];
    snprintf(want, sizeof want, "%.*s", (int)want_args.size, (const char *)want_args.data);
    if (strcmp(args_mode, "exact") == 0)
        return strcmp(cmdline, want) == 0;
    return strstr(cmdline, want) != NULL;
}

static void check_list(xenboot *h, const xenboot_entry **out)
{
    const xenboot_entry *e = NULL;
    size_t n = 0, def = 0;
    EXPECT_STATUS(xenboot_list(h, &e, &n, &def), XENBOOT_OK);
    CHECK(n == n_entries);
    CHECK(def == default_index);
    *out = e;
    if (n != n_entries || def >= n || e == NULL)
        return;
    for (size_t i = 0; i < n; i++) {
        CHECK(e[i].title != NULL && e[i].path != NULL && e[i].position != NULL);
        CHECK(e[i].args != NULL);
        CHECK(e[i].initrds != NULL && e[i].initrds[e[i].n_initrds] == NULL);
        CHECK(e[i].bootable == (e[i].why_not == NULL));
    }
    CHECK(strcmp(e[def].title, default_title) == 0);
    CHECK(e[def].bootable && e[def].kernel != NULL);
    CHECK((e[def].n_initrds > 0) == want_ramdisk.present);
    CHECK(args_ok(e[def].args));

    size_t idx = 12345;
    EXPECT_STATUS(xenboot_select(h, NULL, &idx), XENBOOT_OK);
    CHECK(idx == default_index);
    idx = 12345;
    EXPECT_STATUS(xenboot_select(h, default_title, &idx), XENBOOT_OK);
    CHECK(idx == default_index);
    idx = 12345;
    EXPECT_STATUS(xenboot_select(h, e[other_index].position, &idx), XENBOOT_OK);
    CHECK(idx == other_index);
    idx = 12345;
    EXPECT_STATUS(xenboot_select(h, "99", &idx), XENBOOT_E_NO_ENTRY);
    CHECK(idx == 12345);
    /* Back to the default for the extractions below. */
    EXPECT_STATUS(xenboot_select(h, NULL, &idx), XENBOOT_OK);
}

/* The default entry's kernel, ramdisk and command line, as extracted into memory. */
static void check_default(const xenboot_blob *k, const xenboot_blob *r, const char *cmd)
{
    CHECK(same(k->data, k->size, &want_kernel));
    if (want_ramdisk.present)
        CHECK(same(r->data, r->size, &want_ramdisk));
    else
        CHECK(r->data == NULL && r->size == 0);
    CHECK(cmd != NULL && args_ok(cmd));
}

static void to_memory(xenboot *h, const xenboot_entry *e)
{
    xenboot_blob k = {NULL, 0}, r = {NULL, 0};
    char *cmd = NULL;
    EXPECT_STATUS(xenboot_extract(h, NULL, &k, &r, &cmd), XENBOOT_OK);
    check_default(&k, &r, cmd);
    if (cmd && e)
        CHECK(strcmp(cmd, e[default_index].args) == 0);
    /* Released the way libxl releases them. */
    if (k.data)
        CHECK(munmap(k.data, k.size) == 0);
    if (r.data)
        CHECK(munmap(r.data, r.size) == 0);
    free(cmd);

    /* Overrides: another entry, no ramdisk, another command line. */
    xenboot_extract_options eo;
    xenboot_extract_options_init(&eo);
    char other[32];
    snprintf(other, sizeof other, "%zu", other_index);
    const char *no_ramdisks[1] = {NULL};
    eo.entry = other;
    eo.ramdisks = no_ramdisks;
    eo.n_ramdisks = 0;
    eo.args = "console=hvc0 custom=1";
    EXPECT_STATUS(xenboot_extract(h, &eo, &k, &r, &cmd), XENBOOT_OK);
    CHECK(same(k.data, k.size, &want_other_kernel));
    CHECK(r.data == NULL && r.size == 0);
    CHECK(cmd && strcmp(cmd, "console=hvc0 custom=1") == 0);
    xenboot_blob_free(&k);
    CHECK(k.data == NULL && k.size == 0);
    xenboot_blob_free(&r);
    xenboot_string_free(cmd);

    /* Kernel and ramdisk paths overridden: the other entry with the default's files,
       the ramdisk given twice (concatenated). */
    if (e && e[default_index].n_initrds > 0) {
        const char *twice[2] = {e[default_index].initrds[0], e[default_index].initrds[0]};
        struct buf first;
        char path[4096];
        snprintf(path, sizeof path, "%s/initrd0", expect_dir);
        first = read_file(path);
        xenboot_extract_options_init(&eo);
        eo.entry = other;
        eo.kernel = e[default_index].kernel;
        eo.ramdisks = twice;
        eo.n_ramdisks = 2;
        EXPECT_STATUS(xenboot_extract(h, &eo, &k, &r, &cmd), XENBOOT_OK);
        CHECK(same(k.data, k.size, &want_kernel));
        CHECK(first.present && r.size == 2 * first.size &&
              memcmp(r.data, first.data, first.size) == 0 &&
              memcmp((char *)r.data + first.size, first.data, first.size) == 0);
        CHECK(cmd && strcmp(cmd, e[other_index].args) == 0);
        xenboot_blob_free(&k);
        xenboot_blob_free(&r);
        xenboot_string_free(cmd);
        free(first.data);
    }

    /* A missing override path: NOT_FOUND, nothing written. */
    xenboot_extract_options_init(&eo);
    eo.kernel = "/boot/no-such-kernel";
    xenboot_blob ks = {(void *)0x1, 1};
    char *cs = (char *)0x2;
    EXPECT_STATUS(xenboot_extract(h, &eo, &ks, &r, &cs), XENBOOT_E_NOT_FOUND);
    CHECK(ks.data == (void *)0x1 && cs == (char *)0x2);
    CHECK(strstr(xenboot_error_message(h), "/boot/no-such-kernel") != NULL);
    eo.kernel = NULL;
    eo.entry = "99";
    EXPECT_STATUS(xenboot_extract(h, &eo, &ks, &r, &cs), XENBOOT_E_NO_ENTRY);
    CHECK(ks.data == (void *)0x1 && cs == (char *)0x2);
}

/* True when the page holding `p` is mapped from the file `image`. */
static int maps_image(const void *p)
{
    char want[4096], line[8192];
    if (!realpath(image, want))
        return 0;
    FILE *f = fopen("/proc/self/maps", "r");
    if (!f)
        return 0;
    int found = 0;
    while (!found && fgets(line, sizeof line, f)) {
        unsigned long lo, hi;
        char *path = strchr(line, '/');
        if (sscanf(line, "%lx-%lx", &lo, &hi) != 2 || !path)
            continue;
        path[strcspn(path, "\n")] = 0;
        found = (unsigned long)p >= lo && (unsigned long)p < hi && strcmp(path, want) == 0;
    }
    fclose(f);
    return found;
}

/* map_image: the same bytes, mapped from the image where they lie page-aligned;
   the blobs stay private and writable, and the image is not changed by writes. */
static void mapped(xenboot *h)
{
    xenboot_extract_options eo;
    xenboot_blob k = {NULL, 0}, r = {NULL, 0};
    char *cmd = NULL;
    for (int round = 0; round < 2; round++) {
        xenboot_extract_options_init(&eo);
        eo.map_image = 1;
        EXPECT_STATUS(xenboot_extract(h, &eo, &k, &r, &cmd), XENBOOT_OK);
        check_default(&k, &r, cmd);
        if (expect_mapped)
            CHECK(k.data && maps_image(k.data));
        /* Writes stay in the blob (checked by the second round). */
        if (k.size)
            memset(k.data, 0xa5, k.size < 8192 ? k.size : 8192);
        if (r.size)
            ((unsigned char *)r.data)[r.size - 1] ^= 0xff;
        if (k.data)
            CHECK(munmap(k.data, k.size) == 0);
        if (r.data)
            CHECK(munmap(r.data, r.size) == 0);
        xenboot_string_free(cmd);
    }
}

static void to_dir(xenboot *h)
{
    char dir[] = "/tmp/xenboot-capi-XXXXXX";
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        failures++;
        return;
    }
    char *kp = NULL, *rp = NULL, *cmd = NULL;
    EXPECT_STATUS(xenboot_extract_to_dir(h, NULL, dir, &kp, &rp, &cmd), XENBOOT_OK);
    if (kp) {
        struct buf got = read_file(kp);
        struct stat st;
        CHECK(same(got.data, got.size, &want_kernel));
        CHECK(stat(kp, &st) == 0 && (st.st_mode & 0777) == 0600);
        CHECK(strncmp(kp, dir, strlen(dir)) == 0 && strstr(kp, "/boot_kernel.") != NULL);
        free(got.data);
        unlink(kp);
    }
    if (want_ramdisk.present) {
        CHECK(rp != NULL);
        if (rp) {
            struct buf got = read_file(rp);
            CHECK(same(got.data, got.size, &want_ramdisk));
            CHECK(strstr(rp, "/boot_ramdisk.") != NULL);
            free(got.data);
            unlink(rp);
        }
    } else {
        CHECK(rp == NULL);
    }
    CHECK(cmd && args_ok(cmd));
    xenboot_string_free(kp);
    xenboot_string_free(rp);
    xenboot_string_free(cmd);

    /* A directory that does not exist: I/O error, nothing written. */
    char missing[4200];
    snprintf(missing, sizeof missing, "%s/missing", dir);
    kp = rp = cmd = (char *)0x7;
    EXPECT_STATUS(xenboot_extract_to_dir(h, NULL, missing, &kp, &rp, &cmd), XENBOOT_E_IO);
    CHECK(kp == (char *)0x7 && rp == (char *)0x7 && cmd == (char *)0x7);
    CHECK(rmdir(dir) == 0); /* empty: nothing was left behind */
}

static void to_fds(xenboot *h)
{
    char kname[] = "/tmp/xenboot-k-XXXXXX", rname[] = "/tmp/xenboot-r-XXXXXX";
    int kfd = mkstemp(kname), rfd = mkstemp(rname);
    CHECK(kfd >= 0 && rfd >= 0);
    if (kfd < 0 || rfd < 0)
        return;
    unlink(kname);
    unlink(rname);
    char *cmd = NULL;
    EXPECT_STATUS(xenboot_extract_to_fds(h, NULL, kfd, rfd, &cmd), XENBOOT_OK);
    struct buf k = read_fd(kfd), r = read_fd(rfd);
    CHECK(same(k.data, k.size, &want_kernel));
    if (want_ramdisk.present)
        CHECK(same(r.data, r.size, &want_ramdisk));
    else
        CHECK(r.size == 0);
    CHECK(cmd && args_ok(cmd));
    free(k.data);
    free(r.data);
    xenboot_string_free(cmd);
    /* The descriptors are still open. */
    CHECK(fcntl(kfd, F_GETFD) != -1 && fcntl(rfd, F_GETFD) != -1);
    if (want_ramdisk.present) {
        cmd = (char *)0x9;
        EXPECT_STATUS(xenboot_extract_to_fds(h, NULL, kfd, -1, &cmd), XENBOOT_E_INVALID);
        CHECK(cmd == (char *)0x9);
    }
    close(kfd);
    close(rfd);
    /* A closed descriptor is an I/O error, not a crash. */
    cmd = (char *)0x9;
    EXPECT_STATUS(xenboot_extract_to_fds(h, NULL, kfd, rfd, &cmd), XENBOOT_E_IO);
    CHECK(cmd == (char *)0x9);
}

static void limits(void)
{
    xenboot_options o;
    xenboot_options_init(&o);
    o.max_kernel = 16;
    xenboot *h = NULL;
    EXPECT_STATUS(xenboot_open(image, &o, &h), XENBOOT_OK);
    if (!h)
        return;
    xenboot_blob k = {(void *)0x1, 1}, r = {(void *)0x2, 2};
    char *cmd = (char *)0x3;
    EXPECT_STATUS(xenboot_extract(h, NULL, &k, &r, &cmd), XENBOOT_E_LIMIT);
    CHECK(k.data == (void *)0x1 && r.data == (void *)0x2 && cmd == (char *)0x3);
    CHECK(strstr(xenboot_error_message(h), "limit") != NULL);
    xenboot_close(h);
}

int main(int argc, char **argv)
{
    if (argc != 8 && argc != 9) {
        fprintf(stderr,
                "usage: %s IMAGE EXPECT_DIR N_ENTRIES DEFAULT_INDEX DEFAULT_TITLE "
                "OTHER_INDEX ARGS_MODE [MAPPED]\n",
                argv[0]);
        return 2;
    }
    image = argv[1];
    expect_dir = argv[2];
    n_entries = strtoul(argv[3], NULL, 10);
    default_index = strtoul(argv[4], NULL, 10);
    default_title = argv[5];
    other_index = strtoul(argv[6], NULL, 10);
    args_mode = argv[7];
    expect_mapped = argc == 9 && strcmp(argv[8], "mapped") == 0;
    want_kernel = read_expect(expect_dir, "kernel");
    want_ramdisk = read_expect(expect_dir, "ramdisk");
    want_args = read_expect(expect_dir, "args");
    want_other_kernel = read_expect(expect_dir, "other_kernel");
    if (!want_kernel.present || !want_args.present || !want_other_kernel.present) {
        fprintf(stderr, "%s lacks kernel, args or other_kernel\n", expect_dir);
        return 2;
    }

    char *report = NULL;
    EXPECT_STATUS(xenboot_probe(image, NULL, &report), XENBOOT_OK);
    CHECK(report && strstr(report, "\"error\":null") && strstr(report, default_title));
    xenboot_string_free(report);

    xenboot_options o;
    xenboot_options_init(&o);
    o.log = count_log;
    o.log_ctx = &log_calls;
    xenboot *h = NULL;
    EXPECT_STATUS(xenboot_open(image, &o, &h), XENBOOT_OK);
    if (h) {
        const xenboot_entry *e = NULL;
        check_list(h, &e);
        to_memory(h, e);
        mapped(h);
        to_dir(h);
        to_fds(h);
        xenboot_close(h);
        limits();
    }
    free(want_kernel.data);
    free(want_ramdisk.data);
    free(want_args.data);
    free(want_other_kernel.data);
    if (failures) {
        fprintf(stderr, "%d check(s) failed\n", failures);
        return 1;
    }
    printf("extract: all checks passed (%d log messages)\n", log_calls);
    return 0;
}
