#define _GNU_SOURCE
#include "cgzip.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>
#include <zlib.h>

struct cgzip_stream {
    gzFile gz;
    unsigned char *pushback;      /* peeked bytes not yet handed to the reader */
    size_t pushback_length;
    size_t pushback_offset;
    cgzip_status_code status;
    int errno_value;
    char message[160];
};

static void cgzip_record(cgzip_stream *s, cgzip_status_code status, const char *text, int err) {
    if (s->status != CGZIP_OK) return; /* keep the first cause */
    s->status = status;
    s->errno_value = err;
    if (text == NULL) text = "";
    strncpy(s->message, text, sizeof(s->message) - 1);
    s->message[sizeof(s->message) - 1] = '\0';
}

/* Inspects zlib's error state after a short or failed gzread and records it. Returns 1 when the
   read has to fail. */
static int cgzip_check(cgzip_stream *s, int saved_errno) {
    int errnum = Z_OK;
    const char *text = gzerror(s->gz, &errnum);
    switch (errnum) {
    case Z_OK:
    case Z_STREAM_END:
        return 0;
    case Z_BUF_ERROR: /* "unexpected end of file": input ended inside the gzip stream */
        cgzip_record(s, CGZIP_TRUNCATED, text, 0);
        return 1;
    case Z_DATA_ERROR:
    case Z_STREAM_ERROR:
    case Z_NEED_DICT:
        cgzip_record(s, CGZIP_CORRUPT, text, 0);
        return 1;
    case Z_ERRNO:
        cgzip_record(s, CGZIP_IO, strerror(saved_errno), saved_errno);
        return 1;
    default: /* Z_MEM_ERROR and anything unforeseen */
        cgzip_record(s, CGZIP_IO, text, ENOMEM);
        return 1;
    }
}

/* Reads up to `size` decompressed bytes, looping over gzread's int-sized chunks. */
static ssize_t cgzip_read_raw(cgzip_stream *s, char *buffer, size_t size) {
    size_t total = 0;
    while (total < size) {
        size_t want = size - total;
        if (want > (size_t)INT_MAX) want = (size_t)INT_MAX;
        errno = 0;
        int got = gzread(s->gz, buffer + total, (unsigned)want);
        int saved_errno = errno;
        if (got > 0) {
            total += (size_t)got;
            if ((size_t)got < want) {
                /* Short: note a stream that ended early now; the data read is returned and the next
                   read fails. */
                (void)cgzip_check(s, saved_errno);
                break;
            }
            continue;
        }
        if (cgzip_check(s, saved_errno)) {
            if (total > 0) return (ssize_t)total; /* hand over what decompressed; fail on the next call */
            errno = s->errno_value != 0 ? s->errno_value : EIO;
            return -1;
        }
        break; /* clean end of data */
    }
    return (ssize_t)total;
}

static ssize_t cgzip_cookie_read(void *cookie, char *buffer, size_t size) {
    cgzip_stream *s = cookie;
    size_t served = 0;
    if (s->pushback_offset < s->pushback_length) {
        size_t available = s->pushback_length - s->pushback_offset;
        served = available < size ? available : size;
        memcpy(buffer, s->pushback + s->pushback_offset, served);
        s->pushback_offset += served;
        if (s->pushback_offset == s->pushback_length) {
            free(s->pushback);
            s->pushback = NULL;
            s->pushback_length = s->pushback_offset = 0;
        }
        if (served == size) return (ssize_t)served;
    }
    if (s->status != CGZIP_OK) {
        if (served > 0) return (ssize_t)served;
        errno = s->errno_value != 0 ? s->errno_value : EIO;
        return -1;
    }
    ssize_t more = cgzip_read_raw(s, buffer + served, size - served);
    if (more < 0) return served > 0 ? (ssize_t)served : -1;
    return (ssize_t)(served + (size_t)more);
}

static int cgzip_cookie_close(void *cookie) {
    cgzip_close((cgzip_stream *)cookie);
    return 0;
}

cgzip_stream *cgzip_open(int fd) {
    cgzip_stream *s = calloc(1, sizeof(*s));
    if (s == NULL) {
        close(fd);
        errno = ENOMEM;
        return NULL;
    }
    s->gz = gzdopen(fd, "rb");
    if (s->gz == NULL) {
        int saved = errno != 0 ? errno : ENOMEM;
        close(fd);
        free(s);
        errno = saved;
        return NULL;
    }
    gzbuffer(s->gz, 128 * 1024);
    return s;
}

long cgzip_peek(cgzip_stream *s, unsigned char *buffer, size_t length) {
    if (s == NULL || s->pushback != NULL || length == 0) return s == NULL ? -1 : 0;
    unsigned char *copy = malloc(length);
    if (copy == NULL) {
        errno = ENOMEM;
        return -1;
    }
    ssize_t got = cgzip_read_raw(s, (char *)copy, length);
    if (got <= 0) {
        free(copy);
        return got < 0 ? -1 : 0;
    }
    memcpy(buffer, copy, (size_t)got);
    s->pushback = copy;
    s->pushback_length = (size_t)got;
    s->pushback_offset = 0;
    return (long)got;
}

int cgzip_is_compressed(cgzip_stream *s) {
    return s != NULL && gzdirect(s->gz) == 0;
}

cgzip_status_code cgzip_status(const cgzip_stream *s, const char **message, int *errno_value) {
    if (message != NULL) *message = s->message;
    if (errno_value != NULL) *errno_value = s->errno_value;
    return s->status;
}

FILE *cgzip_fopen(cgzip_stream *s) {
    cookie_io_functions_t functions = {
        .read = cgzip_cookie_read,
        .write = NULL,
        .seek = NULL,
        .close = cgzip_cookie_close,
    };
    return fopencookie(s, "r", functions);
}

void cgzip_close(cgzip_stream *s) {
    if (s == NULL) return;
    if (s->gz != NULL) gzclose(s->gz);
    free(s->pushback);
    free(s);
}
