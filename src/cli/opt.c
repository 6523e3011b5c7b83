/* opt.c - the command-line parser (opt.h). */
#include "opt.h"
#include "exit.h"

#include <stdarg.h>
#include <string.h>

void snm_opt_init(struct snm_opt_iter *it, const struct snm_opt_spec *spec,
                  int argc, char **argv)
{
  memset(it, 0, sizeof(*it));
  it->spec = spec;
  it->argc = argc;
  it->argv = argv;
  it->i = 1;
}

static int fail(struct snm_opt_iter *it, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int fail(struct snm_opt_iter *it, const char *fmt, ...)
{
  va_list ap;

  va_start(ap, fmt);
  vsnprintf(it->error, sizeof(it->error), fmt, ap);
  va_end(ap);
  it->i = it->argc; /* nothing more is read */
  it->bundle = NULL;
  it->opt = NULL;
  it->value = NULL;
  return SNM_OPT_ERROR;
}

static const struct snm_opt *find_long(const struct snm_opt_spec *spec,
                                       const char *name, size_t len)
{
  for (const struct snm_opt *o = spec->opts; o->id != 0; o++)
    if (o->name != NULL && strlen(o->name) == len &&
        memcmp(o->name, name, len) == 0)
      return o;
  return NULL;
}

static const struct snm_opt *find_short(const struct snm_opt_spec *spec, char c)
{
  for (const struct snm_opt *o = spec->opts; o->id != 0; o++)
    if (o->letter != 0 && o->letter == c)
      return o;
  return NULL;
}

/* "--name", "--name=value" at argv[it->i - 1]. */
static int next_long(struct snm_opt_iter *it, const char *arg)
{
  const char *name = arg + 2, *eq = strchr(name, '=');
  size_t len = eq != NULL ? (size_t)(eq - name) : strlen(name);
  const struct snm_opt *o = find_long(it->spec, name, len);

  if (o == NULL)
    return fail(it, "unknown option '--%.*s'", (int)(len > 60 ? 60 : len),
                name);
  if (o->kind == SNM_OPT_FLAG) {
    if (eq != NULL)
      return fail(it, "option '--%s' takes no value", o->name);
    it->opt = o;
    return o->id;
  }
  if (eq != NULL) {
    it->value = eq + 1;
  } else if (it->i < it->argc) {
    it->value = it->argv[it->i++];
  } else {
    return fail(it, "option '--%s' needs a value (--%s %s)", o->name, o->name,
                o->value_name != NULL ? o->value_name : "VALUE");
  }
  it->opt = o;
  return o->id;
}

/* The next letter of a short-option bundle it->bundle. */
static int next_short(struct snm_opt_iter *it)
{
  char c = *it->bundle++;
  const struct snm_opt *o = find_short(it->spec, c);

  if (o == NULL) {
    const char *arg = it->argv[it->i - 1];
    if (strlen(arg) > 2)
      return fail(it, "unknown option '-%c' (in '%.60s')", c, arg);
    return fail(it, "unknown option '-%c'", c);
  }
  if (o->kind == SNM_OPT_VALUE) {
    if (*it->bundle != '\0') {
      it->value = it->bundle;
    } else if (it->i < it->argc) {
      it->value = it->argv[it->i++];
    } else {
      return fail(it, "option '-%c' needs a value (-%c %s)", c, c,
                  o->value_name != NULL ? o->value_name : "VALUE");
    }
    it->bundle = NULL;
  } else if (*it->bundle == '\0') {
    it->bundle = NULL;
  }
  it->opt = o;
  return o->id;
}

int snm_opt_next(struct snm_opt_iter *it)
{
  const char *arg;

  it->opt = NULL;
  it->value = NULL;
  if (it->error[0] != '\0')
    return SNM_OPT_ERROR;
  if (it->bundle != NULL)
    return next_short(it);
  if (it->i >= it->argc)
    return SNM_OPT_END;
  arg = it->argv[it->i++];
  if (!it->only_operands && arg[0] == '-' && arg[1] != '\0') {
    if (strcmp(arg, "--") == 0) {
      it->only_operands = 1;
      return snm_opt_next(it);
    }
    if (arg[1] == '-')
      return next_long(it, arg);
    it->bundle = arg + 1;
    return next_short(it);
  }
  if (it->spec->stop_at_operand)
    it->only_operands = 1;
  it->value = arg;
  return SNM_OPT_OPERAND;
}

int snm_opt_rest(const struct snm_opt_iter *it, char ***argv)
{
  *argv = it->argv + it->i;
  return it->argc - it->i;
}

/* "  -q, --quiet", "  --state FILE", "  -s, --state=FILE": the left
 * column of an option's help line. */
static int left_column(char *out, size_t size, const struct snm_opt *o)
{
  int n = 0;

  if (o->letter != 0 && o->name != NULL)
    n = snprintf(out, size, "  -%c, --%s", o->letter, o->name);
  else if (o->letter != 0)
    n = snprintf(out, size, "  -%c", o->letter);
  else
    n = snprintf(out, size, "  --%s", o->name);
  if (o->kind == SNM_OPT_VALUE && n >= 0 && (size_t)n < size)
    n += snprintf(out + n, size - (size_t)n, " %s",
                  o->value_name != NULL ? o->value_name : "VALUE");
  return n;
}

void snm_opt_help_options(FILE *fp, const struct snm_opt *opts)
{
  char left[96];
  int width = 0;

  for (const struct snm_opt *o = opts; o->id != 0; o++) {
    int n = o->help != NULL ? left_column(left, sizeof(left), o) : 0;
    if (n > width)
      width = n;
  }
  for (const struct snm_opt *o = opts; o->id != 0; o++) {
    const char *h = o->help, *nl;

    if (h == NULL)
      continue;
    left_column(left, sizeof(left), o);
    nl = strchr(h, '\n');
    fprintf(fp, "%-*s  %.*s\n", width, left,
            (int)(nl != NULL ? (size_t)(nl - h) : strlen(h)), h);
    while (nl != NULL) {
      h = nl + 1;
      nl = strchr(h, '\n');
      fprintf(fp, "%-*s  %.*s\n", width, "",
              (int)(nl != NULL ? (size_t)(nl - h) : strlen(h)), h);
    }
  }
}

void snm_opt_help(FILE *fp, const struct snm_opt_spec *spec)
{
  if (spec->command != NULL)
    fprintf(fp, "usage: snapmig %s%s%s\n", spec->command,
            spec->synopsis[0] != '\0' ? " " : "", spec->synopsis);
  else
    fprintf(fp, "usage: snapmig %s\n", spec->synopsis);
  if (spec->about != NULL)
    fprintf(fp, "\n%s", spec->about);
  fputc('\n', fp);
  snm_opt_help_options(fp, spec->opts);
  if (spec->epilog != NULL)
    fprintf(fp, "\n%s", spec->epilog);
}

int snm_opt_usage_error(const struct snm_opt_spec *spec, const char *fmt, ...)
{
  va_list ap;

  if (spec->command != NULL)
    fprintf(stderr, "snapmig %s: ", spec->command);
  else
    fprintf(stderr, "snapmig: ");
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  if (spec->command != NULL)
    fprintf(stderr, "\nRun 'snapmig %s --help' for the options.\n",
            spec->command);
  else
    fprintf(stderr, "\nRun 'snapmig --help' for the commands.\n");
  return SNM_EXIT_USAGE;
}

int snm_opt_missing(const struct snm_opt_spec *spec, const char *what)
{
  fprintf(stderr, "snapmig %s: no %s given\nusage: snapmig %s %s\n",
          spec->command, what, spec->command, spec->synopsis);
  fprintf(stderr, "Run 'snapmig %s --help' for the options.\n", spec->command);
  return SNM_EXIT_USAGE;
}
