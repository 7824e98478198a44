/*
 * Error paths of the C ABI, using only xenboot.h and libxenboot.so.
 *
 * usage: errors GARBAGE_IMAGE MISSING_PATH HOST_CONFIG
 *   GARBAGE_IMAGE  a file that is no disk image (no partition table, no filesystem)
 *   MISSING_PATH   a path that does not exist
 *   HOST_CONFIG    a boot configuration file on the host (opened with isconfig)
 *
 * Prints one line per failed check and exits 1 if any failed.
 */
#define _GNU_SOURCE
#include "xenboot.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"

#define CONTAINS(hay, needle) (strstr((hay), (needle)) != NULL)

/* Sentinels: out-parameters must be untouched by failed calls. */
static xenboot *const BAD_HANDLE = (xenboot *)0x5a5a;
#define BAD_INDEX ((size_t)4242)

struct log_record {
    int calls;
    int last_level;
    char last_msg[4096];
};

static void record_log(void *ctx, int level, const char *msg)
{
    struct log_record *r = ctx;
    r->calls++;
    r->last_level = level;
    snprintf(r->last_msg, sizeof r->last_msg, "%s", msg);
}

static void version_and_null_safety(void)
{
    CHECK(strcmp(xenboot_version(), XENBOOT_VERSION_STRING) == 0);
    CHECK(XENBOOT_ABI_VERSION == 1);
    CHECK(xenboot_last_error() != NULL);
    CHECK(strcmp(xenboot_status_name(XENBOOT_E_NO_ENTRY), "XENBOOT_E_NO_ENTRY") == 0);
    CHECK(XENBOOT_E_INVALID == 1000 && XENBOOT_E_PANIC == 1009);
    /* NULL-safe releases. */
    xenboot_close(NULL);
    xenboot_blob_free(NULL);
    xenboot_string_free(NULL);
    xenboot_blob empty = {NULL, 0};
    xenboot_blob_free(&empty);
    CHECK(xenboot_error_message(NULL) == NULL);
}

static void options(void)
{
    xenboot_options o;
    EXPECT_STATUS(xenboot_options_init(NULL), XENBOOT_E_INVALID);
    CHECK(CONTAINS(xenboot_last_error(), "opts"));
    memset(&o, 0xff, sizeof o);
    EXPECT_STATUS(xenboot_options_init(&o), XENBOOT_OK);
    CHECK(o.size == sizeof o);
    CHECK(o.max_kernel == 128u << 20);
    CHECK(o.max_ramdisk == 1u << 30);
    CHECK(o.max_config == 1u << 20);
    CHECK(!o.isconfig && !o.has_offset && o.log == NULL && o.log_ctx == NULL);

    xenboot_extract_options eo;
    EXPECT_STATUS(xenboot_extract_options_init(NULL), XENBOOT_E_INVALID);
    EXPECT_STATUS(xenboot_extract_options_init(&eo), XENBOOT_OK);
    CHECK(eo.size == sizeof eo && eo.entry == NULL && eo.kernel == NULL &&
          eo.ramdisks == NULL && eo.args == NULL);
}

static void failed_opens(const char *garbage, const char *missing)
{
    xenboot *h = BAD_HANDLE;
    xenboot_options o;
    xenboot_options_init(&o);

    EXPECT_STATUS(xenboot_open(NULL, NULL, &h), XENBOOT_E_INVALID);
    CHECK(h == BAD_HANDLE);
    CHECK(CONTAINS(xenboot_last_error(), "location is NULL"));
    EXPECT_STATUS(xenboot_open(garbage, NULL, NULL), XENBOOT_E_INVALID);
    CHECK(CONTAINS(xenboot_last_error(), "out is NULL"));
    EXPECT_STATUS(xenboot_open("", NULL, &h), XENBOOT_E_INVALID);
    EXPECT_STATUS(xenboot_open("\xff\xfe", NULL, &h), XENBOOT_E_INVALID);
    CHECK(CONTAINS(xenboot_last_error(), "UTF-8"));
    CHECK(h == BAD_HANDLE);

    /* A missing file: an I/O error naming the path. */
    EXPECT_STATUS(xenboot_open(missing, NULL, &h), XENBOOT_E_IO);
    CHECK(h == BAD_HANDLE);
    CHECK(CONTAINS(xenboot_last_error(), missing));

    /* Garbage: no configuration, and the message says what was tried. */
    EXPECT_STATUS(xenboot_open(garbage, &o, &h), XENBOOT_E_NO_CONFIG);
    CHECK(h == BAD_HANDLE);
    CHECK(CONTAINS(xenboot_last_error(), garbage));
    CHECK(CONTAINS(xenboot_last_error(), "tried"));
    CHECK(CONTAINS(xenboot_last_error(), "whole disk"));

    /* An offset past the end is an invalid argument. */
    o.has_offset = true;
    o.offset = (uint64_t)1 << 50;
    EXPECT_STATUS(xenboot_open(garbage, &o, &h), XENBOOT_E_INVALID);
    CHECK(CONTAINS(xenboot_last_error(), "offset"));
    o.has_offset = false;

    /* The log callback hears about the failure too. */
    struct log_record rec = {0, -1, ""};
    o.log = record_log;
    o.log_ctx = &rec;
    EXPECT_STATUS(xenboot_open(missing, &o, &h), XENBOOT_E_IO);
    CHECK(rec.calls == 1);
    CHECK(rec.last_level == XENBOOT_LOG_ERROR);
    CHECK(CONTAINS(rec.last_msg, missing));

    /* An options struct that was never initialised is refused. */
    xenboot_options bad;
    memset(&bad, 0, sizeof bad);
    EXPECT_STATUS(xenboot_open(garbage, &bad, &h), XENBOOT_E_INVALID);
    CHECK(CONTAINS(xenboot_last_error(), "xenboot_options_init"));
    CHECK(h == BAD_HANDLE);
}

static void probes(const char *garbage, const char *missing)
{
    char *report = (char *)0x1;
    EXPECT_STATUS(xenboot_probe(NULL, NULL, &report), XENBOOT_E_INVALID);
    EXPECT_STATUS(xenboot_probe(garbage, NULL, NULL), XENBOOT_E_INVALID);
    CHECK(report == (char *)0x1);
    /* A source that cannot boot still gets a report, with the reason in it. */
    EXPECT_STATUS(xenboot_probe(garbage, NULL, &report), XENBOOT_OK);
    if (report != (char *)0x1) {
        CHECK(report[0] == '{');
        CHECK(CONTAINS(report, "\"error\":\"no usable boot configuration"));
        CHECK(CONTAINS(report, "\"scheme\":\"whole\""));
        xenboot_string_free(report);
    }
    report = NULL;
    EXPECT_STATUS(xenboot_probe(missing, NULL, &report), XENBOOT_OK);
    CHECK(report && CONTAINS(report, "cannot open"));
    free(report); /* plain free() releases library strings too */
}

static void bad_calls_on_a_handle(const char *config)
{
    xenboot *h = NULL;
    xenboot_options o;
    xenboot_options_init(&o);
    o.isconfig = true;
    EXPECT_STATUS(xenboot_open(config, &o, &h), XENBOOT_OK);
    if (h == NULL)
        return;
    CHECK(strcmp(xenboot_error_message(h), "") == 0);

    const xenboot_entry *entries = (const xenboot_entry *)0x1;
    size_t n = BAD_INDEX, def = BAD_INDEX;
    EXPECT_STATUS(xenboot_list(NULL, &entries, &n, &def), XENBOOT_E_INVALID);
    EXPECT_STATUS(xenboot_list(h, NULL, &n, &def), XENBOOT_E_INVALID);
    EXPECT_STATUS(xenboot_list(h, &entries, NULL, &def), XENBOOT_E_INVALID);
    EXPECT_STATUS(xenboot_list(h, &entries, &n, NULL), XENBOOT_E_INVALID);
    CHECK(CONTAINS(xenboot_error_message(h), "default_index is NULL"));
    CHECK(n == BAD_INDEX && def == BAD_INDEX && entries == (const xenboot_entry *)0x1);
    EXPECT_STATUS(xenboot_list(h, &entries, &n, &def), XENBOOT_OK);
    if (n == 0)
        CHECK(entries == NULL && def == XENBOOT_NO_INDEX);
    else
        CHECK(entries != NULL && def < n);

    /* Out-of-range and unknown entries; the index is untouched. */
    size_t idx = BAD_INDEX;
    EXPECT_STATUS(xenboot_select(h, "99", &idx), XENBOOT_E_NO_ENTRY);
    CHECK(idx == BAD_INDEX);
    CHECK(CONTAINS(xenboot_error_message(h), "99"));
    CHECK(strcmp(xenboot_error_message(h), xenboot_last_error()) == 0);
    EXPECT_STATUS(xenboot_select(h, "no such title", &idx), XENBOOT_E_NO_ENTRY);
    EXPECT_STATUS(xenboot_select(h, "\xc3", &idx), XENBOOT_E_INVALID);
    EXPECT_STATUS(xenboot_select(NULL, "0", &idx), XENBOOT_E_INVALID);
    EXPECT_STATUS(xenboot_select(h, "0", NULL), XENBOOT_E_INVALID);
    CHECK(idx == BAD_INDEX);

    /* Extraction: NULL arguments, bad options, nothing written on failure. */
    xenboot_blob k = {(void *)0x1, 7}, r = {(void *)0x2, 9};
    char *cmd = (char *)0x3, *kp = (char *)0x4, *rp = (char *)0x5;
    xenboot_extract_options eo;
    xenboot_extract_options_init(&eo);
    EXPECT_STATUS(xenboot_extract(NULL, NULL, &k, &r, &cmd), XENBOOT_E_INVALID);
    EXPECT_STATUS(xenboot_extract(h, NULL, NULL, &r, &cmd), XENBOOT_E_INVALID);
    EXPECT_STATUS(xenboot_extract(h, NULL, &k, NULL, &cmd), XENBOOT_E_INVALID);
    EXPECT_STATUS(xenboot_extract(h, NULL, &k, &r, NULL), XENBOOT_E_INVALID);
    eo.size = 0;
    EXPECT_STATUS(xenboot_extract(h, &eo, &k, &r, &cmd), XENBOOT_E_INVALID);
    xenboot_extract_options_init(&eo);
    const char *none[1] = {NULL};
    eo.ramdisks = none;
    eo.n_ramdisks = 1; /* a NULL path inside the array */
    EXPECT_STATUS(xenboot_extract(h, &eo, &k, &r, &cmd), XENBOOT_E_INVALID);
    CHECK(CONTAINS(xenboot_last_error(), "ramdisks[0]"));
    xenboot_extract_options_init(&eo);
    CHECK(eo.map_image == 0 && eo.reserved == 0);
    eo.reserved = 1; /* a field this library does not know */
    EXPECT_STATUS(xenboot_extract(h, &eo, &k, &r, &cmd), XENBOOT_E_UNSUPPORTED);
    CHECK(CONTAINS(xenboot_last_error(), "reserved"));
    xenboot_extract_options_init(&eo);
    eo.entry = "99";
    EXPECT_STATUS(xenboot_extract(h, &eo, &k, &r, &cmd), XENBOOT_E_NO_ENTRY);
    /* A host configuration file has no disk to extract from. */
    CHECK(xenboot_extract(h, NULL, &k, &r, &cmd) != XENBOOT_OK);
    CHECK(k.data == (void *)0x1 && k.size == 7 && r.data == (void *)0x2 && r.size == 9);
    CHECK(cmd == (char *)0x3);

    EXPECT_STATUS(xenboot_extract_to_dir(h, NULL, NULL, &kp, &rp, &cmd), XENBOOT_E_INVALID);
    EXPECT_STATUS(xenboot_extract_to_dir(h, NULL, "/tmp", NULL, &rp, &cmd), XENBOOT_E_INVALID);
    EXPECT_STATUS(xenboot_extract_to_dir(h, NULL, "/tmp", &kp, NULL, &cmd), XENBOOT_E_INVALID);
    EXPECT_STATUS(xenboot_extract_to_dir(h, NULL, "/tmp", &kp, &rp, NULL), XENBOOT_E_INVALID);
    CHECK(xenboot_extract_to_dir(h, NULL, "/tmp", &kp, &rp, &cmd) != XENBOOT_OK);
    CHECK(kp == (char *)0x4 && rp == (char *)0x5 && cmd == (char *)0x3);

    EXPECT_STATUS(xenboot_extract_to_fds(NULL, NULL, 1, 2, &cmd), XENBOOT_E_INVALID);
    EXPECT_STATUS(xenboot_extract_to_fds(h, NULL, -1, -1, &cmd), XENBOOT_E_INVALID);
    CHECK(CONTAINS(xenboot_error_message(h), "kernel_fd"));
    EXPECT_STATUS(xenboot_extract_to_fds(h, NULL, 1, 2, NULL), XENBOOT_E_INVALID);
    CHECK(cmd == (char *)0x3);

    xenboot_close(h);
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: %s GARBAGE_IMAGE MISSING_PATH HOST_CONFIG\n", argv[0]);
        return 2;
    }
    version_and_null_safety();
    options();
    failed_opens(argv[1], argv[2]);
    probes(argv[1], argv[2]);
    bad_calls_on_a_handle(argv[3]);
    if (failures) {
        fprintf(stderr, "%d check(s) failed\n", failures);
        return 1;
    }
    printf("errors: all checks passed\n");
    return 0;
}
