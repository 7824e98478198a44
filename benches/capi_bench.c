/* In-process timing of the C API (what libxl would call), for scripts/bench.sh.
 *
 *   capi_bench DISK OUTDIR N [list]
 *
 * Prints the mean wall time and the mean CPU time (user + system, of this process)
 * in ms of N rounds of each of:
 *   list     xenboot_open + xenboot_list + xenboot_close
 *   dir      open + list + select(default) + extract_to_dir + close (files removed)
 *   memory   open + list + select(default) + extract to mmap'd blobs (a byte of every
 *            page read) + close
 *   mapped   the same with map_image: the blobs map the image's pages
 * (with `list`, only the first)
 *   fds      open + list + select(default) + extract_to_fds into two new files,
 *            fdatasync'd like extract_to_dir does (the streaming path: a caller's fd
 *            is not known to be a plain file, so no copy_file_range) + close
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <fcntl.h>
#include <unistd.h>
#include "xenboot.h"

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static double cpu_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static double t0, c0;

static void start(void)
{
    t0 = now_ms();
    c0 = cpu_ms();
}

static void report(const char *name, int rounds)
{
    printf("%s %.3f %.3f\n", name, (now_ms() - t0) / rounds, (cpu_ms() - c0) / rounds);
}

static void die(const char *what, xenboot *h)
{
    fprintf(stderr, "capi_bench: %s: %s\n", what,
            h ? xenboot_error_message(h) : xenboot_last_error());
    exit(1);
}

/* Reads one byte of every page, as a consumer of the blob would. */
static volatile unsigned char sink;
static void touch(const xenboot_blob *b)
{
    for (size_t o = 0; o < b->size; o += 4096)
        sink ^= ((const unsigned char *)b->data)[o];
}

static xenboot *open_and_list(const char *disk)
{
    xenboot *h = NULL;
    const xenboot_entry *entries;
    size_t n, def;
    if (xenboot_open(disk, NULL, &h) != XENBOOT_OK)
        die("open", NULL);
    if (xenboot_list(h, &entries, &n, &def) != XENBOOT_OK || n == 0)
        die("list", h);
    return h;
}

/* Rounds of open + list + select + xenboot_extract (+ touching the blobs) + close;
   with map_image set when `map` is. */
static void to_memory(const char *disk, int rounds, int map)
{
    start();
    for (int i = 0; i < rounds; i++) {
        xenboot *h = open_and_list(disk);
        size_t idx;
        xenboot_blob k, r;
        char *cmd;
        xenboot_extract_options eo;
        xenboot_extract_options_init(&eo);
        eo.map_image = map;
        if (xenboot_select(h, NULL, &idx) != XENBOOT_OK)
            die("select", h);
        if (xenboot_extract(h, &eo, &k, &r, &cmd) != XENBOOT_OK)
            die("extract", h);
        touch(&k);
        touch(&r);
        xenboot_blob_free(&k);
        xenboot_blob_free(&r);
        xenboot_string_free(cmd);
        xenboot_close(h);
    }
    report(map ? "mapped" : "memory", rounds);
}

int main(int argc, char **argv)
{
    if (argc != 4 && !(argc == 5 && strcmp(argv[4], "list") == 0)) {
        fprintf(stderr, "usage: capi_bench DISK OUTDIR N [list]\n");
        return 2;
    }
    const char *disk = argv[1], *dir = argv[2];
    int rounds = atoi(argv[3]);

    start();
    for (int i = 0; i < rounds; i++)
        xenboot_close(open_and_list(disk));
    report("list", rounds);
    if (argc == 5)
        return 0;

    start();
    for (int i = 0; i < rounds; i++) {
        xenboot *h = open_and_list(disk);
        size_t idx;
        char *k, *r, *cmd;
        if (xenboot_select(h, NULL, &idx) != XENBOOT_OK)
            die("select", h);
        if (xenboot_extract_to_dir(h, NULL, dir, &k, &r, &cmd) != XENBOOT_OK)
            die("extract_to_dir", h);
        unlink(k);
        if (r)
            unlink(r);
        xenboot_string_free(k);
        xenboot_string_free(r);
        xenboot_string_free(cmd);
        xenboot_close(h);
    }
    report("dir", rounds);

    to_memory(disk, rounds, 0);
    to_memory(disk, rounds, 1);

    char kp[4096], rp[4096];
    snprintf(kp, sizeof kp, "%s/fd_kernel", dir);
    snprintf(rp, sizeof rp, "%s/fd_ramdisk", dir);
    start();
    for (int i = 0; i < rounds; i++) {
        xenboot *h = open_and_list(disk);
        size_t idx;
        char *cmd;
        int kfd = open(kp, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        int rfd = open(rp, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (kfd < 0 || rfd < 0) {
            perror("capi_bench: open");
            return 1;
        }
        if (xenboot_select(h, NULL, &idx) != XENBOOT_OK)
            die("select", h);
        if (xenboot_extract_to_fds(h, NULL, kfd, rfd, &cmd) != XENBOOT_OK)
            die("extract_to_fds", h);
        fdatasync(kfd);
        fdatasync(rfd);
        close(kfd);
        close(rfd);
        unlink(kp);
        unlink(rp);
        xenboot_string_free(cmd);
        xenboot_close(h);
    }
    report("fds", rounds);
    return 0;
}
