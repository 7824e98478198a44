/*
 * Check macros shared by the C test programs (test code only; the programs use
 * nothing of the library but xenboot.h).
 */
#ifndef XENBOOT_CAPI_TESTS_CHECK_H
#define XENBOOT_CAPI_TESTS_CHECK_H

#include <stdio.h>

static int failures;

#define CHECK(cond)                                                          \
    do {                                                                     \
        if (!(cond)) {                                                       \
            fprintf(stderr, "%s:%d: check failed: %s (last error: %s)\n",    \
                    __FILE__, __LINE__, #cond, xenboot_last_error());        \
            failures++;                                                      \
        }                                                                    \
    } while (0)

#define EXPECT_STATUS(call, want)                                            \
    do {                                                                     \
        xenboot_status got_ = (call);                                        \
        if (got_ != (want)) {                                                \
            fprintf(stderr, "%s:%d: %s returned %s, want %s (last error: %s)\n", \
                    __FILE__, __LINE__, #call, xenboot_status_name(got_),    \
                    xenboot_status_name(want), xenboot_last_error());        \
            failures++;                                                      \
        }                                                                    \
    } while (0)

#endif
