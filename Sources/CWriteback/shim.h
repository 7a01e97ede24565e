// Early writeback for files that will be synced: ask the kernel to start writing a written range
// to disk now, without waiting for it, so that the final fsync waits only for what was written
// last. A hint only: it changes no file contents, and where it is missing it does nothing.
#ifndef RECEVAL_WRITEBACK_H
#define RECEVAL_WRITEBACK_H

#include <stdint.h>

#if defined(__linux__)
// Declared here rather than through <fcntl.h>, which declares it only under _GNU_SOURCE.
extern int sync_file_range(int fd, int64_t offset, int64_t nbytes, unsigned int flags);
static inline int receval_start_writeback(int fd, int64_t offset, int64_t nbytes) {
    return sync_file_range(fd, offset, nbytes, 2 /* SYNC_FILE_RANGE_WRITE */);
}
#else
static inline int receval_start_writeback(int fd, int64_t offset, int64_t nbytes) {
    (void)fd; (void)offset; (void)nbytes;
    return 0;
}
#endif

#endif
