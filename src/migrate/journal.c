/* SPDX-License-Identifier: Apache-2.0 */
/* journal.c - the state model, atomic saves, the run lock, the default
 * path.  JSON reading and writing are in journal_json.c. */
#include "journal.h"
#include "buf.h"
#include "plan.h"
#include "sigv4.h"
#include "snm_version.h"
#include "timefmt.h"

#include <assert.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/rand.h>

static const char *const step_names[] = {"preflight", "repository", "snapshot",
                                         "restore",   "verify",     "done"};
static const char *const snap_names[] = {"pending", "started", "success",
                                         "partial", "failed"};
static const char *const restore_names[] = {"pending",  "restoring", "restored",
                                            "verified", "skipped",   "failed",
                                            "replacing"};

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

const char *snm_step_name(enum snm_step s)
{
  return (size_t)s < N_OF(step_names) ? step_names[s] : "unknown";
}

const char *snm_snapshot_state_name(enum snm_snapshot_state s)
{
  return (size_t)s < N_OF(snap_names) ? snap_names[s] : "unknown";
}

const char *snm_restore_state_name(enum snm_restore_state s)
{
  return (size_t)s < N_OF(restore_names) ? restore_names[s] : "unknown";
}

static int lookup(const char *const *names, size_t n, const char *name)
{
  for (size_t i = 0; i < n; i++)
    if (strcmp(names[i], name) == 0)
      return (int)i;
  return -1;
}

int snm_step_parse(const char *name, enum snm_step *out)
{
  int i = lookup(step_names, N_OF(step_names), name);

  if (i < 0)
    return SNM_EINVAL;
  *out = (enum snm_step)i;
  return 0;
}

int snm_snapshot_state_parse(const char *name, enum snm_snapshot_state *out)
{
  int i = lookup(snap_names, N_OF(snap_names), name);

  if (i < 0)
    return SNM_EINVAL;
  *out = (enum snm_snapshot_state)i;
  return 0;
}

int snm_restore_state_parse(const char *name, enum snm_restore_state *out)
{
  int i = lookup(restore_names, N_OF(restore_names), name);

  if (i < 0)
    return SNM_EINVAL;
  *out = (enum snm_restore_state)i;
  return 0;
}

/* ---- the model -------------------------------------------------------- */

void snm_state_init(struct snm_state *st)
{
  memset(st, 0, sizeof(*st));
  st->format = SNM_STATE_FORMAT;
  st->created_ms = SNM_STATE_UNKNOWN;
  st->updated_ms = SNM_STATE_UNKNOWN;
  st->step = SNM_STEP_PREFLIGHT;
}

static void counts_dispose(struct snm_state_counts *c)
{
  for (size_t i = 0; i < c->len; i++)
    free(c->items[i].index);
  free(c->items);
  c->items = NULL;
  c->len = 0;
}

static void round_dispose(struct snm_state_round *rd)
{
  free(rd->snapshot.name);
  free(rd->snapshot.repository);
  counts_dispose(&rd->snapshot.docs_before);
  counts_dispose(&rd->snapshot.docs_after);
  for (size_t i = 0; i < rd->snapshot.n_data_streams; i++)
    free(rd->snapshot.data_streams[i]);
  free(rd->snapshot.data_streams);
  for (size_t i = 0; i < rd->n_restores; i++) {
    struct snm_state_restore *r = &rd->restores[i];

    for (size_t j = 0; j < r->n_indices; j++) {
      free(r->indices[j].source);
      free(r->indices[j].target);
      free(r->indices[j].data_stream);
      free(r->indices[j].target_stream);
      free(r->indices[j].uuid);
    }
    free(r->indices);
    free(r->domain);
    snm_state_meta_dispose(r);
  }
  free(rd->restores);
  snm_state_cutover_dispose(&rd->cutover);
}

void snm_state_dispose(struct snm_state *st)
{
  free(st->snapmig_version);
  free(st->plan_name);
  free(st->plan_path);
  free(st->run_id);
  for (size_t i = 0; i < st->n_registrations; i++)
    free(st->registrations[i].domain);
  free(st->registrations);
  for (size_t i = 0; i < st->n_rounds; i++)
    round_dispose(&st->rounds[i]);
  free(st->rounds);
  snm_state_init(st);
}

int snm_state_set_str(char **field, const char *value)
{
  char *copy = NULL;

  if (value != NULL && (copy = strdup(value)) == NULL)
    return SNM_ENOMEM;
  free(*field);
  *field = copy;
  return 0;
}

/* Grow a malloced array of `size`-byte items by one zeroed item. */
static void *grow(void *items, size_t len, size_t size)
{
  char *p = realloc(items, (len + 1) * size);

  if (p != NULL)
    memset(p + len * size, 0, size);
  return p;
}

struct snm_state_count *snm_state_counts_find(const struct snm_state_counts *c,
                                              const char *index)
{
  for (size_t i = 0; i < c->len; i++)
    if (strcmp(c->items[i].index, index) == 0)
      return &c->items[i];
  return NULL;
}

int snm_state_counts_set(struct snm_state_counts *c, const char *index,
                         long long count)
{
  struct snm_state_count *e = snm_state_counts_find(c, index), *items;
  char *name;

  if (e != NULL) {
    e->count = count;
    return 0;
  }
  if ((name = strdup(index)) == NULL)
    return SNM_ENOMEM;
  if ((items = grow(c->items, c->len, sizeof(*items))) == NULL) {
    free(name);
    return SNM_ENOMEM;
  }
  c->items = items;
  items[c->len].index = name;
  items[c->len].count = count;
  c->len++;
  return 0;
}

struct snm_state_registration *
snm_state_find_registration(const struct snm_state *st, const char *domain)
{
  for (size_t i = 0; i < st->n_registrations; i++)
    if (strcmp(st->registrations[i].domain, domain) == 0)
      return &st->registrations[i];
  return NULL;
}

int snm_state_set_registration(struct snm_state *st, const char *domain,
                               int created)
{
  struct snm_state_registration *e = snm_state_find_registration(st, domain);
  char *name;

  if (e != NULL) {
    e->created = created;
    return 0;
  }
  if ((name = strdup(domain)) == NULL)
    return SNM_ENOMEM;
  if ((e = grow(st->registrations, st->n_registrations, sizeof(*e))) == NULL) {
    free(name);
    return SNM_ENOMEM;
  }
  st->registrations = e;
  e[st->n_registrations].domain = name;
  e[st->n_registrations].created = created;
  st->n_registrations++;
  return 0;
}

struct snm_state_round *snm_state_cur(const struct snm_state *st)
{
  assert(st->n_rounds > 0);
  return &st->rounds[st->n_rounds - 1];
}

int snm_state_push_round(struct snm_state *st, struct snm_state_round **out)
{
  struct snm_state_round *rounds, *rd;

  if ((rounds = grow(st->rounds, st->n_rounds, sizeof(*rounds))) == NULL)
    return SNM_ENOMEM;
  st->rounds = rounds;
  rd = &rounds[st->n_rounds++];
  rd->number = (unsigned)st->n_rounds;
  rd->snapshot.state = SNM_SNAP_PENDING;
  rd->snapshot.started_ms = SNM_STATE_UNKNOWN;
  rd->snapshot.finished_ms = SNM_STATE_UNKNOWN;
  rd->cutover.blocked_ms = rd->cutover.verified_ms = SNM_STATE_UNKNOWN;
  rd->cutover.switched_ms = rd->cutover.unblocked_ms = SNM_STATE_UNKNOWN;
  if (out != NULL)
    *out = rd;
  return 0;
}

int snm_state_add_round(struct snm_state *st, const struct snm_plan *plan,
                        const char *snapshot_name, struct snm_err *err)
{
  struct snm_state_round *rd;

  if (snm_state_push_round(st, &rd) != 0)
    goto nomem;
  if (snm_state_set_str(&rd->snapshot.name, snapshot_name) != 0 ||
      snm_state_set_str(&rd->snapshot.repository, plan->repository.name) != 0)
    goto undo;
  if (plan->n_restores > 0 &&
      (rd->restores = calloc(plan->n_restores, sizeof(*rd->restores))) == NULL)
    goto undo;
  for (size_t i = 0; i < plan->n_restores; i++) {
    const char *dom = plan->domains[plan->restores[i].domain].id;

    if ((rd->restores[i].domain = strdup(dom)) == NULL)
      goto undo;
    rd->restores[i].state = SNM_RESTORE_PENDING;
    rd->n_restores = i + 1;
  }
  return 0;
undo:
  /* st as it was: the round goes (the array keeps its larger size) */
  round_dispose(rd);
  st->n_rounds--;
nomem:
  return snm_err_set(err, SNM_ENOMEM, "out of memory");
}

struct snm_state_restore *snm_state_find_restore(const struct snm_state *st,
                                                 const char *domain)
{
  const struct snm_state_round *rd;

  if (st->n_rounds == 0)
    return NULL;
  rd = snm_state_cur(st);
  for (size_t i = 0; i < rd->n_restores; i++)
    if (strcmp(rd->restores[i].domain, domain) == 0)
      return &rd->restores[i];
  return NULL;
}

struct snm_state_index *
snm_state_restore_find_index(const struct snm_state_restore *r,
                             const char *source)
{
  for (size_t i = 0; i < r->n_indices; i++)
    if (strcmp(r->indices[i].source, source) == 0)
      return &r->indices[i];
  return NULL;
}

int snm_state_restore_add_index(struct snm_state_restore *r, const char *source,
                                const char *target,
                                struct snm_state_index **out)
{
  struct snm_state_index *e = snm_state_restore_find_index(r, source);
  char *src = NULL, *tgt = NULL;

  if (e != NULL) {
    if (snm_state_set_str(&e->target, target) != 0)
      return SNM_ENOMEM;
    goto found;
  }
  if ((src = strdup(source)) == NULL || (tgt = strdup(target)) == NULL ||
      (e = grow(r->indices, r->n_indices, sizeof(*e))) == NULL) {
    free(src);
    free(tgt);
    return SNM_ENOMEM;
  }
  r->indices = e;
  e += r->n_indices++;
  e->source = src;
  e->target = tgt;
  e->state = SNM_RESTORE_PENDING;
  e->docs_expected = SNM_STATE_UNKNOWN;
  e->docs_found = SNM_STATE_UNKNOWN;
  e->bytes = SNM_STATE_UNKNOWN;
  e->data_stream = NULL;
  e->target_stream = NULL;
  e->bytes_reused = SNM_STATE_UNKNOWN;
  e->uuid = NULL;
  e->replace = 0;
found:
  if (out != NULL)
    *out = e;
  return 0;
}

int snm_state_begin(struct snm_state *st, const struct snm_plan *plan,
                    const char *plan_path, const char *snapshot_name,
                    long long now_ms, struct snm_err *err)
{
  unsigned char rnd[4];
  char id[SNM_TIME_RFC3339_MAX + 16], when[SNM_TIME_RFC3339_MAX];
  size_t k = 0;

  assert(st->n_rounds == 0);
  if (RAND_bytes(rnd, sizeof(rnd)) != 1)
    return snm_err_set(err, SNM_EIO,
                       "cannot make a run id: no random bytes available");
  /* "20261123T235901Z-1a2b3c4d": sortable, and unique enough per plan */
  snm_time_format(when, now_ms, 0);
  for (const char *p = when; *p != '\0'; p++)
    if (*p != '-' && *p != ':')
      id[k++] = *p;
  snprintf(id + k, sizeof(id) - k, "-%02x%02x%02x%02x", rnd[0], rnd[1], rnd[2],
           rnd[3]);

  if (snm_plan_digest(st->plan_digest, plan) != 0)
    goto nomem;
  if (snm_state_set_str(&st->snapmig_version, SNM_VERSION) != 0 ||
      snm_state_set_str(&st->plan_name, plan->name) != 0 ||
      snm_state_set_str(&st->plan_path, plan_path) != 0 ||
      snm_state_set_str(&st->run_id, id) != 0)
    goto nomem;
  st->created_ms = now_ms;
  st->updated_ms = now_ms;
  return snm_state_add_round(st, plan, snapshot_name, err);
nomem:
  return snm_err_set(err, SNM_ENOMEM, "out of memory");
}

/* ---- files ------------------------------------------------------------ */

/* The directory part of `path` ("." when none), malloced. */
static char *dir_of(const char *path)
{
  const char *slash = strrchr(path, '/');

  if (slash == NULL)
    return strdup(".");
  if (slash == path)
    return strdup("/");
  return strndup(path, (size_t)(slash - path));
}

/* Create the parent directory of `path` (one level, mode 0700) if missing. */
static int ensure_parent(const char *path, struct snm_err *err)
{
  char *dir = dir_of(path);
  int rc = 0;

  if (dir == NULL)
    return snm_err_set(err, SNM_ENOMEM, "out of memory");
  if (mkdir(dir, 0700) != 0 && errno != EEXIST)
    rc = snm_err_set(err, SNM_EIO,
                     "cannot create the state directory %s: %s (check that "
                     "its parent exists and is writable, or pass --state "
                     "FILE)",
                     dir, strerror(errno));
  free(dir);
  return rc;
}

static int write_all(int fd, const char *data, size_t len)
{
  while (len > 0) {
    ssize_t n = write(fd, data, len);

    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      return -1;
    data += n;
    len -= (size_t)n;
  }
  return 0;
}

static int fsync_dir(const char *path, struct snm_err *err)
{
  char *dir = dir_of(path);
  int fd, rc = 0;

  if (dir == NULL)
    return snm_err_set(err, SNM_ENOMEM, "out of memory");
  fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0 || fsync(fd) != 0)
    rc = snm_err_set(err, SNM_EIO,
                     "cannot sync the directory %s after writing %s: %s", dir,
                     path, strerror(errno));
  if (fd >= 0)
    close(fd);
  free(dir);
  return rc;
}

static unsigned long state_saves; /* see snm_state_saves() */

unsigned long snm_state_saves(void)
{
  return state_saves;
}

int snm_state_save(const struct snm_state *st, const char *path,
                   struct snm_err *err)
{
  struct snm_buf tmp;
  char *text = NULL;
  const char *call = NULL;
  int fd = -1, rc, e;

  snm_buf_init(&tmp, 0);
  if ((rc = snm_state_to_json(&text, st, err)) != 0)
    goto done;
  if ((rc = ensure_parent(path, err)) != 0)
    goto done;
  if (snm_buf_printf(&tmp, "%s.tmp.%ld", path, (long)getpid()) != 0) {
    rc = snm_err_set(err, SNM_ENOMEM, "out of memory");
    goto done;
  }
  for (int attempt = 0; fd < 0; attempt++) {
    fd = open(snm_buf_str(&tmp), O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0600);
    /* a file of ours left by an earlier process with the same pid */
    if (fd < 0 && errno == EEXIST && attempt == 0 &&
        unlink(snm_buf_str(&tmp)) == 0)
      continue;
    if (fd < 0) {
      call = "create";
      goto fail_noclean;
    }
  }
  if (fchmod(fd, 0600) != 0) {
    call = "chmod";
    goto fail;
  }
  if (write_all(fd, text, strlen(text)) != 0) {
    call = "write";
    goto fail;
  }
  if (fsync(fd) != 0) {
    call = "sync";
    goto fail;
  }
  rc = close(fd);
  fd = -1;
  if (rc != 0) {
    call = "close";
    goto fail;
  }
  if (rename(snm_buf_str(&tmp), path) != 0) {
    call = "rename";
    goto fail;
  }
  rc = fsync_dir(path, err);
  if (rc == 0)
    state_saves++;
  goto done;

fail:
  e = errno;
  if (fd >= 0)
    close(fd);
  fd = -1;
  unlink(snm_buf_str(&tmp));
  errno = e;
fail_noclean:
  rc = snm_err_set(err, SNM_EIO,
                   "cannot save the run state to %s (%s %s: %s); check free "
                   "space and permissions there, or pass --state FILE",
                   path, call, snm_buf_str(&tmp), strerror(errno));
done:
  if (fd >= 0)
    close(fd);
  free(text);
  snm_buf_dispose(&tmp);
  return rc;
}

int snm_journal_state_path(char **out, const char *given, const char *plan_path,
                           const char *plan_name)
{
  if (given == NULL)
    return snm_journal_default_path(out, plan_path, plan_name);
  *out = strdup(given);
  return *out != NULL ? 0 : SNM_ENOMEM;
}

int snm_journal_default_path(char **out, const char *plan_path,
                             const char *plan_name)
{
  struct snm_buf b;
  const char *slash = strrchr(plan_path, '/');

  *out = NULL;
  snm_buf_init(&b, 0);
  if (slash != NULL &&
      snm_buf_append(&b, plan_path, (size_t)(slash - plan_path) + 1) != 0)
    goto nomem;
  if (snm_buf_puts(&b, ".snapmig/") != 0)
    goto nomem;
  for (const char *p = plan_name; *p != '\0'; p++) {
    char c = *p;
    int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
             (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';

    /* no hidden or parent-directory names either */
    if (p == plan_name && c == '.')
      ok = 0;
    if (snm_buf_putc(&b, ok ? c : '_') != 0)
      goto nomem;
  }
  if (snm_buf_puts(&b, ".state.json") != 0 ||
      (*out = snm_buf_steal(&b)) == NULL)
    goto nomem;
  return 0;
nomem:
  snm_buf_dispose(&b);
  return SNM_ENOMEM;
}

/* ---- the lock --------------------------------------------------------- */

/* Remove `<state path>.tmp.*`: called with the lock held, so no live
 * snapmig is writing them. */
static void remove_stale_tmp(const char *state_path)
{
  const char *slash = strrchr(state_path, '/');
  const char *base = slash != NULL ? slash + 1 : state_path;
  size_t blen = strlen(base);
  char *dir = dir_of(state_path);
  DIR *d;
  struct dirent *e;
  struct snm_buf full;

  if (dir == NULL || (d = opendir(dir)) == NULL) {
    free(dir);
    return;
  }
  snm_buf_init(&full, 0);
  while ((e = readdir(d)) != NULL) {
    if (strncmp(e->d_name, base, blen) != 0 ||
        strncmp(e->d_name + blen, ".tmp.", 5) != 0)
      continue;
    snm_buf_reset(&full);
    if (snm_buf_printf(&full, "%s/%s", dir, e->d_name) == 0)
      unlink(snm_buf_str(&full));
  }
  closedir(d);
  snm_buf_dispose(&full);
  free(dir);
}

/* flock `fd` (the lock file `path`) exclusively without waiting and write
 * our pid into it.  0; 1 when another process holds it (*holder: the pid
 * in the file, 0 when none); SNM_EIO with `err` set on another failure. */
static int flock_pid(int fd, const char *path, long *holder,
                     struct snm_err *err)
{
  char pid[32];
  ssize_t n;

  *holder = 0;
  if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
    int e = errno;
    if (e != EWOULDBLOCK)
      return snm_err_set(err, SNM_EIO, "cannot lock %s: %s", path, strerror(e));
    n = pread(fd, pid, sizeof(pid) - 1, 0);
    pid[n > 0 ? n : 0] = '\0';
    *holder = strtol(pid, NULL, 10);
    if (*holder < 0)
      *holder = 0;
    return 1;
  }
  snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
  if (ftruncate(fd, 0) != 0 ||
      pwrite(fd, pid, strlen(pid), 0) != (ssize_t)strlen(pid))
    return snm_err_set(err, SNM_EIO, "cannot write our pid into %s: %s", path,
                       strerror(errno));
  return 0;
}

int snm_journal_lock(struct snm_journal_lock *lk, const char *state_path,
                     struct snm_err *err)
{
  struct snm_buf path;
  long holder;
  int rc;

  lk->fd = -1;
  lk->path = NULL;
  snm_buf_init(&path, 0);
  if (snm_buf_printf(&path, "%s.lock", state_path) != 0) {
    rc = snm_err_set(err, SNM_ENOMEM, "out of memory");
    goto done;
  }
  if ((rc = ensure_parent(state_path, err)) != 0)
    goto done;
  lk->fd = open(snm_buf_str(&path), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (lk->fd < 0) {
    rc = snm_err_set(err, SNM_EIO,
                     "cannot open the lock file %s: %s (check permissions "
                     "there, or pass --state FILE)",
                     snm_buf_str(&path), strerror(errno));
    goto done;
  }
  if ((rc = flock_pid(lk->fd, snm_buf_str(&path), &holder, err)) != 0) {
    if (rc == 1 && holder > 0)
      rc = snm_err_set(err, SNM_EIO,
                       "another snapmig run holds %s (pid %ld); wait for it "
                       "to finish or stop it first",
                       snm_buf_str(&path), holder);
    else if (rc == 1)
      rc = snm_err_set(err, SNM_EIO,
                       "another snapmig run holds %s; wait for it to finish "
                       "or stop it first",
                       snm_buf_str(&path));
    goto done;
  }
  remove_stale_tmp(state_path);
  lk->path = snm_buf_steal(&path);
  if (lk->path == NULL)
    rc = snm_err_set(err, SNM_ENOMEM, "out of memory");
done:
  if (rc != 0 && lk->fd >= 0) {
    close(lk->fd);
    lk->fd = -1;
  }
  snm_buf_dispose(&path);
  return rc;
}

/* The folder of plan locks: $SNAPMIG_LOCK_DIR, else $XDG_RUNTIME_DIR/snapmig,
 * else /tmp/snapmig-UID; created 0700, and refused unless it is a real
 * folder of ours that nobody else can write. */
static int plan_lock_dir(struct snm_buf *out, struct snm_err *err)
{
  const char *env = getenv("SNAPMIG_LOCK_DIR");
  const char *xdg = getenv("XDG_RUNTIME_DIR");
  struct stat sb;
  int rc;

  if (env != NULL && env[0] != '\0')
    rc = snm_buf_puts(out, env);
  else if (xdg != NULL && xdg[0] == '/')
    rc = snm_buf_printf(out, "%s/snapmig", xdg);
  else
    rc = snm_buf_printf(out, "/tmp/snapmig-%ld", (long)getuid());
  if (rc != 0)
    return snm_err_set(err, SNM_ENOMEM, "out of memory");
  if (mkdir(snm_buf_str(out), 0700) != 0 && errno != EEXIST)
    return snm_err_set(err, SNM_EIO, "cannot create the lock folder %s: %s",
                       snm_buf_str(out), strerror(errno));
  if (lstat(snm_buf_str(out), &sb) != 0)
    return snm_err_set(err, SNM_EIO, "cannot read the lock folder %s: %s",
                       snm_buf_str(out), strerror(errno));
  if (!S_ISDIR(sb.st_mode) || sb.st_uid != getuid() ||
      (sb.st_mode & (S_IWGRP | S_IWOTH)) != 0)
    return snm_err_set(err, SNM_EIO,
                       "the lock folder %s is not a folder of this user that "
                       "only it can write; remove it or set "
                       "SNAPMIG_LOCK_DIR",
                       snm_buf_str(out));
  return 0;
}

int snm_journal_plan_lock(struct snm_journal_lock *lk, const char *plan_name,
                          const char *source_endpoint, struct snm_err *err)
{
  struct snm_buf key, dir;
  char hex[65];
  long holder;
  size_t n;
  int rc;

  lk->fd = -1;
  lk->path = NULL;
  snm_buf_init(&key, 0);
  snm_buf_init(&dir, 0);
  /* the endpoint as written, less letter case and trailing slashes */
  if (snm_buf_puts(&key, plan_name) != 0 || snm_buf_putc(&key, '\n') != 0 ||
      snm_buf_puts(&key, source_endpoint) != 0) {
    rc = snm_err_set(err, SNM_ENOMEM, "out of memory");
    goto done;
  }
  n = key.len;
  while (n > strlen(plan_name) + 1 && key.data[n - 1] == '/')
    n--;
  for (size_t i = strlen(plan_name) + 1; i < n; i++)
    if (key.data[i] >= 'A' && key.data[i] <= 'Z')
      key.data[i] = (char)(key.data[i] - 'A' + 'a');
  if (snm_sigv4_sha256_hex(hex, key.data, n) != 0) {
    rc = snm_err_set(err, SNM_ENOMEM, "out of memory");
    goto done;
  }
  if ((rc = plan_lock_dir(&dir, err)) != 0)
    goto done;
  if (snm_buf_printf(&dir, "/plan-%.32s.lock", hex) != 0) {
    rc = snm_err_set(err, SNM_ENOMEM, "out of memory");
    goto done;
  }
  lk->fd =
      open(snm_buf_str(&dir), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (lk->fd < 0) {
    rc = snm_err_set(err, SNM_EIO, "cannot open the lock file %s: %s",
                     snm_buf_str(&dir), strerror(errno));
    goto done;
  }
  if ((rc = flock_pid(lk->fd, snm_buf_str(&dir), &holder, err)) != 0) {
    if (rc == 1)
      rc = snm_err_set(err, SNM_EIO,
                       "another snapmig run of plan \"%s\" against %s is "
                       "running (pid %ld, lock %s); two runs of one plan "
                       "would take two snapshots: wait for it to finish or "
                       "stop it first",
                       plan_name, source_endpoint, holder, snm_buf_str(&dir));
    goto done;
  }
  lk->path = snm_buf_steal(&dir);
  rc = lk->path == NULL ? snm_err_set(err, SNM_ENOMEM, "out of memory") : 0;
done:
  if (rc != 0 && lk->fd >= 0) {
    close(lk->fd);
    lk->fd = -1;
  }
  snm_buf_dispose(&key);
  snm_buf_dispose(&dir);
  return rc;
}

void snm_journal_unlock(struct snm_journal_lock *lk)
{
  if (lk->fd >= 0)
    close(lk->fd);
  lk->fd = -1;
  free(lk->path);
  lk->path = NULL;
}

int snm_state_check_plan(const struct snm_state *st,
                         const struct snm_plan *plan, const char *state_path,
                         struct snm_err *err)
{
  char digest[65];

  if (st->plan_name == NULL || strcmp(st->plan_name, plan->name) != 0)
    return snm_err_set(err, SNM_EINVAL,
                       "%s belongs to plan \"%s\", not \"%s\": pass the right "
                       "--state FILE, or --fresh to start a new run (a new "
                       "snapshot name; nothing is deleted)",
                       state_path,
                       st->plan_name != NULL ? st->plan_name : "(none)",
                       plan->name);
  if (snm_plan_digest(digest, plan) != 0)
    return snm_err_set(err, SNM_ENOMEM, "out of memory");
  if (strcmp(st->plan_digest, digest) != 0)
    return snm_err_set(err, SNM_EINVAL,
                       "plan \"%s\" changed since %s was written (digest "
                       "%.12s, now %.12s): undo the change to resume run %s, "
                       "or pass --fresh to start a new run (a new snapshot "
                       "name; nothing is deleted)",
                       plan->name, state_path, st->plan_digest, digest,
                       st->run_id != NULL ? st->run_id : "(unknown)");
  return 0;
}
