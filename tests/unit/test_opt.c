/* Unit tests for opt.c (the one command-line parser) and exit.c (error
 * class -> exit status). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "exit.h"
#include "opt.h"
#include "workflow.h"

enum {
  O_HELP = SNM_OPT_HELP,
  O_JSON,
  O_QUIET,
  O_VERBOSE,
  O_STATE,
  O_PRINT,
  O_X
};

static const struct snm_opt opts[] = {
    {O_JSON, "json", 0, SNM_OPT_FLAG, NULL, "JSON on stdout"},
    {O_QUIET, "quiet", 'q', SNM_OPT_FLAG, NULL, "errors only"},
    {O_VERBOSE, "verbose", 'v', SNM_OPT_FLAG, NULL, "more (-vv: traces)"},
    {O_STATE, "state", 's', SNM_OPT_VALUE, "FILE",
     "the state file\nsecond line"},
    {O_PRINT, "print", 0, SNM_OPT_VALUE, NULL, "print WHAT"},
    {O_X, NULL, 'x', SNM_OPT_FLAG, NULL, NULL}, /* not listed */
    SNM_OPT_HELP_ENTRY,
    {0, NULL, 0, 0, NULL, NULL}};

static const struct snm_opt_spec spec = {
    "demo", "[--json] PLAN", "About the demo.\n", opts, "Exit status: 0.\n", 0};

static const char *name_of(int id)
{
  static const char *const names[] = {"?",       "help",  "json",  "quiet",
                                      "verbose", "state", "print", "x"};
  return id > 0 && id <= O_X ? names[id] : "?";
}

/* Parse the NULL-terminated `args` (after argv[0] "demo") with `sp` and
 * render what came out: "json quiet state=F arg=P" or "... ERROR: msg". */
static char *parse(const struct snm_opt_spec *sp, const char *const *args)
{
  static char out[1024];
  char *argv[32];
  struct snm_opt_iter it;
  int argc = 0, c;
  size_t n = 0;

  argv[argc++] = (char *)"demo";
  while (*args != NULL)
    argv[argc++] = (char *)*args++;
  argv[argc] = NULL;
  out[0] = '\0';
  snm_opt_init(&it, sp, argc, argv);
  while ((c = snm_opt_next(&it)) != SNM_OPT_END) {
    if (c == SNM_OPT_ERROR) {
      n += (size_t)snprintf(out + n, sizeof(out) - n, "%sERROR: %s",
                            n > 0 ? " " : "", it.error);
      /* an error is final */
      assert_int_equal(snm_opt_next(&it), SNM_OPT_ERROR);
      break;
    }
    if (c == SNM_OPT_OPERAND) {
      assert_null(it.opt);
      n += (size_t)snprintf(out + n, sizeof(out) - n, "%sarg=%s",
                            n > 0 ? " " : "", it.value);
    } else if (it.opt->kind == SNM_OPT_VALUE) {
      assert_int_equal(it.opt->id, c);
      n += (size_t)snprintf(out + n, sizeof(out) - n, "%s%s=%s",
                            n > 0 ? " " : "", name_of(c), it.value);
    } else {
      assert_int_equal(it.opt->id, c);
      assert_null(it.value);
      n += (size_t)snprintf(out + n, sizeof(out) - n, "%s%s", n > 0 ? " " : "",
                            name_of(c));
    }
    assert_true(n < sizeof(out));
  }
  return out;
}

#define P(...) parse(&spec, (const char *const[]){__VA_ARGS__, NULL})

static void test_long_options(void **state)
{
  (void)state;
  assert_string_equal(P("--json", "plan.json"), "json arg=plan.json");
  /* a value with '=' or as the next argument */
  assert_string_equal(P("--state=s.json", "p"), "state=s.json arg=p");
  assert_string_equal(P("--state", "s.json", "p"), "state=s.json arg=p");
  /* the value keeps everything after the first '=' */
  assert_string_equal(P("--state=a=b"), "state=a=b");
  assert_string_equal(P("--state="), "state=");
  /* the next argument is the value whatever it looks like */
  assert_string_equal(P("--state", "--json"), "state=--json");
  assert_string_equal(P("--state", "-"), "state=-");
  assert_string_equal(P("--print", "x", "--quiet"), "print=x quiet");
  /* options after operands */
  assert_string_equal(P("p", "--json", "q"), "arg=p json arg=q");
  assert_string_equal(P("--help"), "help");
}

static void test_short_options(void **state)
{
  (void)state;
  assert_string_equal(P("-q", "-v"), "quiet verbose");
  /* bundles */
  assert_string_equal(P("-qv"), "quiet verbose");
  assert_string_equal(P("-vv"), "verbose verbose");
  assert_string_equal(P("-vqx", "p"), "verbose quiet x arg=p");
  /* a value glued on, or the next argument */
  assert_string_equal(P("-sFILE"), "state=FILE");
  assert_string_equal(P("-s", "FILE", "p"), "state=FILE arg=p");
  /* in a bundle, a value option takes the rest of it */
  assert_string_equal(P("-qsFILE"), "quiet state=FILE");
  assert_string_equal(P("-qs", "FILE"), "quiet state=FILE");
  assert_string_equal(P("-qvs=x"), "quiet verbose state==x");
  assert_string_equal(P("-h"), "help");
  /* "-" alone is an operand (standard input) */
  assert_string_equal(P("-", "-q"), "arg=- quiet");
}

static void test_double_dash(void **state)
{
  (void)state;
  assert_string_equal(P("--", "-plan.json"), "arg=-plan.json");
  assert_string_equal(P("-q", "--", "--json", "-v", "--"),
                      "quiet arg=--json arg=-v arg=--");
  assert_string_equal(P("--"), "");
  /* "--" as a value is a value, not the end */
  assert_string_equal(P("--state", "--", "-q"), "state=-- quiet");
}

static void test_errors(void **state)
{
  (void)state;
  assert_string_equal(P("--bogus", "p"), "ERROR: unknown option '--bogus'");
  assert_string_equal(P("--bogus=1"), "ERROR: unknown option '--bogus'");
  /* no abbreviations */
  assert_string_equal(P("--sta", "x"), "ERROR: unknown option '--sta'");
  assert_string_equal(P("-z"), "ERROR: unknown option '-z'");
  assert_string_equal(P("-qz"), "quiet ERROR: unknown option '-z' (in '-qz')");
  /* a letter that only exists as a long name */
  assert_string_equal(P("-j"), "ERROR: unknown option '-j'");
  /* missing values */
  assert_string_equal(P("p", "--state"),
                      "arg=p ERROR: option '--state' needs a value "
                      "(--state FILE)");
  assert_string_equal(P("--print"),
                      "ERROR: option '--print' needs a value (--print VALUE)");
  assert_string_equal(P("-s"), "ERROR: option '-s' needs a value (-s FILE)");
  assert_string_equal(P("-qs"),
                      "quiet ERROR: option '-s' needs a value (-s FILE)");
  /* a value for a flag */
  assert_string_equal(P("--json=yes"), "ERROR: option '--json' takes no value");
  assert_string_equal(P("--json="), "ERROR: option '--json' takes no value");
  assert_string_equal(P("--help=1"), "ERROR: option '--help' takes no value");
  /* nothing is read after an error */
  assert_string_equal(P("--bogus", "--json", "p"),
                      "ERROR: unknown option '--bogus'");
  /* a very long unknown name is cut, the message stays one line */
  assert_string_equal(
      P("--aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
        "aaaa"),
      "ERROR: unknown option "
      "'--aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa'");
}

static void test_stop_at_operand(void **state)
{
  static const struct snm_opt global[] = {
      SNM_OPT_HELP_ENTRY,
      {O_QUIET, "quiet", 'q', SNM_OPT_FLAG, NULL, "q"},
      {0, NULL, 0, 0, NULL, NULL}};
  static const struct snm_opt_spec gspec = {NULL,   "COMMAND", NULL,
                                            global, NULL,      1};
  char *argv[] = {"snapmig", "-q", "run", "--json", "-q", "p", NULL};
  struct snm_opt_iter it;
  char **rest;

  (void)state;
  assert_string_equal(
      parse(&gspec, (const char *const[]){"-h", "run", "-q", "--bogus", NULL}),
      "help arg=run arg=-q arg=--bogus");
  snm_opt_init(&it, &gspec, 6, argv);
  assert_int_equal(snm_opt_next(&it), O_QUIET);
  assert_int_equal(snm_opt_next(&it), SNM_OPT_OPERAND);
  assert_string_equal(it.value, "run");
  /* what the command gets: the arguments after its name */
  assert_int_equal(snm_opt_rest(&it, &rest), 3);
  assert_ptr_equal(rest, argv + 3);
  assert_string_equal(rest[0], "--json");
}

static void test_help_text(void **state)
{
  char *text = NULL;
  size_t len = 0;
  FILE *fp = open_memstream(&text, &len);

  (void)state;
  assert_non_null(fp);
  snm_opt_help(fp, &spec);
  assert_int_equal(fclose(fp), 0);
  assert_string_equal(text, "usage: snapmig demo [--json] PLAN\n"
                            "\n"
                            "About the demo.\n"
                            "\n"
                            "  --json            JSON on stdout\n"
                            "  -q, --quiet       errors only\n"
                            "  -v, --verbose     more (-vv: traces)\n"
                            "  -s, --state FILE  the state file\n"
                            "                    second line\n"
                            "  --print VALUE     print WHAT\n"
                            "  -h, --help        this text\n"
                            "\n"
                            "Exit status: 0.\n");
  free(text);
}

static void test_exit_status(void **state)
{
  (void)state;
  assert_int_equal(snm_exit_status(SNM_OK), 0);
  assert_int_equal(snm_exit_status(SNM_EINVAL), 2);
  assert_int_equal(snm_exit_status(SNM_ECANCELED), 130);
  assert_int_equal(snm_exit_status(SNM_ENOMEM), 1);
  assert_int_equal(snm_exit_status(SNM_EIO), 1);
  assert_int_equal(snm_exit_status(SNM_ENET), 1);
  assert_int_equal(snm_exit_status(SNM_ETIMEOUT), 1);
  assert_int_equal(snm_exit_status(SNM_EHTTP), 1);
  assert_int_equal(snm_exit_status(SNM_EAUTH), 1);
  assert_int_equal(snm_exit_status(SNM_EPARSE), 1);
  assert_int_equal(snm_exit_status_run(SNM_RUN_DONE), 0);
  assert_int_equal(snm_exit_status_run(SNM_RUN_FAILED), 1);
  assert_int_equal(snm_exit_status_run(SNM_RUN_REFUSED), 2);
  assert_int_equal(snm_exit_status_run(SNM_RUN_INTERRUPTED), 130);
  assert_int_equal(SNM_EXIT_USAGE, 2);
  assert_int_equal(SNM_EXIT_INTERRUPTED, 130);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_long_options),
      cmocka_unit_test(test_short_options),
      cmocka_unit_test(test_double_dash),
      cmocka_unit_test(test_errors),
      cmocka_unit_test(test_stop_at_operand),
      cmocka_unit_test(test_help_text),
      cmocka_unit_test(test_exit_status),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
