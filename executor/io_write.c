/* io_write.c: writing a data file safely: missing folders, a temporary name, fsync, rename.
 *
 * A failed write (a full disk, a bad value found half-way) never leaves a half-written file under
 * the real name: the bytes go to "path.tmp.PID" in the same folder (so that the rename stays on
 * one file system and is atomic), which is removed on any error. */
#define _POSIX_C_SOURCE 200809L
#include "executor/io_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

enum { WRITE_BUFFER_BYTES = 1 << 20 }; /* stdio buffer: big writes, few system calls */

/* Creates the folder `dir` (its parents exist); fine when it is already there. */
static bool make_folder(const char *path, const char *dir, RtError *err)
{
    if (mkdir(dir, 0777) == 0)
        return true;
    int e = errno;
    struct stat st;
    if (e == EEXIST && stat(dir, &st) == 0) {
        if (S_ISDIR(st.st_mode))
            return true;
        return io_errorf(err, path, "cannot create folder '%s': a file has that name", dir);
    }
    return io_errorf(err, path, "cannot create folder '%s': %s", dir, strerror(e));
}

bool io_make_parent_folders(const char *path, RtError *err)
{
    const char *slash = strrchr(path, '/');
    if (!slash || slash == path)
        return true; /* the current folder, or the root */
    size_t n = (size_t)(slash - path);
    char *dir = malloc(n + 1);
    if (!dir)
        return io_errorf(err, path, "out of memory");
    memcpy(dir, path, n);
    dir[n] = '\0';
    struct stat st;
    bool ok = true;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        /* Create each prefix ending before a '/', then the whole folder. */
        for (size_t i = 1; ok && i <= n; i++) {
            if (i < n && dir[i] != '/')
                continue;
            if (i < n && dir[i - 1] == '/')
                continue; /* "a//b" */
            char saved = dir[i];
            dir[i] = '\0';
            ok = make_folder(path, dir, err);
            dir[i] = saved;
        }
    }
    free(dir);
    return ok;
}

bool io_writer_open(IoWriter *w, const char *path, RtError *err)
{
    *w = (IoWriter){.path = path};
    if (!io_make_parent_folders(path, err))
        return false;
    size_t n = strlen(path) + 32;
    w->temp_path = malloc(n);
    if (!w->temp_path)
        return io_errorf(err, path, "out of memory");
    snprintf(w->temp_path, n, "%s.tmp.%ld", path, (long)getpid());
    w->file = fopen(w->temp_path, "wb");
    if (!w->file) {
        int e = errno;
        free(w->temp_path);
        w->temp_path = NULL;
        return io_errorf(err, path, "cannot write: %s", strerror(e));
    }
    setvbuf(w->file, NULL, _IOFBF, WRITE_BUFFER_BYTES);
    return true;
}

bool io_writer_commit(IoWriter *w, RtError *err)
{
    int e = 0;
    errno = 0;
    if (fflush(w->file) != 0 || ferror(w->file))
        e = errno ? errno : EIO;
    if (!e && fsync(fileno(w->file)) != 0)
        e = errno;
    if (fclose(w->file) != 0 && !e)
        e = errno;
    w->file = NULL;
    if (!e && rename(w->temp_path, w->path) != 0)
        e = errno;
    if (e) {
        remove(w->temp_path);
        io_errorf(err, w->path, "cannot write: %s", strerror(e));
    }
    free(w->temp_path);
    w->temp_path = NULL;
    return e == 0;
}

bool io_write_text(const char *path, const char *data, size_t len, RtError *err)
{
    IoWriter w;
    if (!io_writer_open(&w, path, err))
        return false;
    /* a short write leaves the stream's error flag set: commit then removes the temporary file
     * and reports it */
    if (len > 0)
        (void)fwrite(data, 1, len, w.file);
    return io_writer_commit(&w, err);
}
