#ifndef FTPSCOPE_CGZIP_H
#define FTPSCOPE_CGZIP_H

#include <stddef.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

/// A read-only zlib stream over a file descriptor, exposed as a `FILE *` so that libpcap can read
/// gzip-compressed captures (and uncompressed ones: zlib passes data that is not gzip through unchanged).
typedef struct cgzip_stream cgzip_stream;

/// The state of a stream's decompression, as reported by `cgzip_status`.
typedef enum cgzip_status_code {
    /// No error so far.
    CGZIP_OK = 0,
    /// The gzip stream ended before its end marker: the compressed file was cut short.
    CGZIP_TRUNCATED = 1,
    /// The compressed data is damaged (bad deflate data, wrong check value).
    CGZIP_CORRUPT = 2,
    /// The underlying read failed, or memory ran out; `errno_value` in `cgzip_status` says why.
    CGZIP_IO = 3
} cgzip_status_code;

/// Wraps `fd` (taken over: closed when the stream is) in a zlib stream. Returns NULL (with errno set)
/// when memory or the descriptor is not usable; `fd` is then closed.
cgzip_stream *cgzip_open(int fd);

/// Reads up to `length` decompressed bytes from the start of the stream into `buffer` without
/// consuming them: they are returned again by the first reads of the `FILE *`. Call at most once,
/// before `cgzip_fopen`. Returns the number of bytes peeked (fewer than `length` at end of data) or -1.
long cgzip_peek(cgzip_stream *stream, unsigned char *buffer, size_t length);

/// 1 when the data is gzip-compressed, 0 when it is passed through as is (valid after `cgzip_peek`).
int cgzip_is_compressed(cgzip_stream *stream);

/// The decompression status; `message` (may be NULL) receives zlib's text for it (valid while the
/// stream lives), `errno_value` (may be NULL) the errno of a failed read.
cgzip_status_code cgzip_status(const cgzip_stream *stream, const char **message, int *errno_value);

/// Makes the read-only `FILE *` over the stream. From then on the `FILE *` owns the stream:
/// `fclose` ends both (and closes the descriptor). Returns NULL on failure (the stream is still the
/// caller's, to end with `cgzip_close`).
FILE *cgzip_fopen(cgzip_stream *stream);

/// Ends a stream that has no `FILE *` (for a failed `cgzip_fopen`, or a stream that is not used).
void cgzip_close(cgzip_stream *stream);

#ifdef __cplusplus
}
#endif

#endif
