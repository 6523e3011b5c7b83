/* opt.h - the one command-line parser: every command declares its options
 * in a table and reads argv through snm_opt_next.
 *
 * Forms understood (as GNU getopt_long does, without abbreviations):
 *   --name            a flag
 *   --name=VALUE      an option that takes a value ("--name=" gives "")
 *   --name VALUE      the same; VALUE is the next argument, whatever it is
 *   -a -b, -ab        short flags, alone or bundled
 *   -sVALUE, -s VALUE a short option that takes a value; in a bundle
 *                     ("-qsVALUE") it takes the rest of the bundle
 *   --                ends the options: every later argument is an operand
 *   -                 an operand (by convention: standard input)
 * Operands and options may come in any order ("run PLAN --fresh"), unless
 * the spec says stop_at_operand (the global options before COMMAND).
 *
 * Errors (unknown option, missing value, a value given to a flag) end the
 * parse with SNM_OPT_ERROR and one message in it->error that names the
 * option, e.g. "unknown option '--bogus'"; snm_opt_usage_error prints it
 * the way every command does.
 */
#ifndef SNM_OPT_H
#define SNM_OPT_H

#include <stdio.h>

enum snm_opt_kind {
  SNM_OPT_FLAG = 0, /* takes no value */
  SNM_OPT_VALUE = 1 /* takes exactly one value */
};

/* One option of a command.  `id` is what snm_opt_next returns for it (> 0);
 * a table ends with an entry whose id is 0. */
struct snm_opt {
  int id;
  const char *name;       /* long name without "--", or NULL */
  char letter;            /* short letter, or 0 */
  enum snm_opt_kind kind; /* SNM_OPT_FLAG or SNM_OPT_VALUE */
  const char *value_name; /* "FILE" in the help text (SNM_OPT_VALUE) */
  const char *help;       /* help text; lines after the first are indented
                             under it; NULL: not listed */
};

/* The id every command gives -h/--help (snm_opt_help_entry). */
#define SNM_OPT_HELP 1
#define SNM_OPT_HELP_ENTRY                                                     \
  {                                                                            \
    SNM_OPT_HELP, "help", 'h', SNM_OPT_FLAG, NULL, "this text"                 \
  }

/* A command's interface: what its --help prints and what it accepts. */
struct snm_opt_spec {
  const char *command;        /* "run"; NULL for the global options */
  const char *synopsis;       /* after "usage: snapmig CMD ": "[--json] PLAN" */
  const char *about;          /* paragraphs between the usage line and the
                                 options ("\n"-separated, ends with '\n'), or
                                 NULL */
  const struct snm_opt *opts; /* ends with an entry whose id is 0 */
  const char *epilog;         /* text after the options (environment, exit
                                 status), ends with '\n', or NULL */
  int stop_at_operand;        /* 1: the first operand ends the options */
};

/* snm_opt_next results besides an option's id. */
enum {
  SNM_OPT_END = 0,      /* argv is used up */
  SNM_OPT_OPERAND = -1, /* it->value is an operand */
  SNM_OPT_ERROR = -2    /* it->error says what is wrong */
};

struct snm_opt_iter {
  const struct snm_opt_spec *spec; /* borrowed */
  int argc;
  char **argv;               /* argv[0] is the command's name; borrowed */
  int i;                     /* next argument to read */
  const char *bundle;        /* rest of a short-option bundle, or NULL */
  int only_operands;         /* after "--" (or the first operand with
                                stop_at_operand) */
  const char *value;         /* the option's value or the operand, else NULL;
                                points into argv */
  const struct snm_opt *opt; /* the option just read, or NULL */
  char error[160];           /* why SNM_OPT_ERROR was returned */
};

/* Start reading argv[1..argc-1] with `spec`. */
void snm_opt_init(struct snm_opt_iter *it, const struct snm_opt_spec *spec,
                  int argc, char **argv);

/* The next option (its id, it->value set for SNM_OPT_VALUE), an operand
 * (SNM_OPT_OPERAND, it->value), SNM_OPT_END, or SNM_OPT_ERROR (it->error
 * filled; later calls return SNM_OPT_ERROR again). */
int snm_opt_next(struct snm_opt_iter *it);

/* The arguments not read yet (after stop_at_operand ended the options with
 * the operand just returned, the arguments after it). */
int snm_opt_rest(const struct snm_opt_iter *it, char ***argv);

/* The command's --help text: usage line, about, the option list (generated
 * from the table, aligned), epilog. */
void snm_opt_help(FILE *fp, const struct snm_opt_spec *spec);

/* Just the option list of snm_opt_help. */
void snm_opt_help_options(FILE *fp, const struct snm_opt *opts);

/* Print "snapmig CMD: MESSAGE" and "Run 'snapmig CMD --help' for the
 * options." on stderr; returns SNM_EXIT_USAGE (2). */
int snm_opt_usage_error(const struct snm_opt_spec *spec, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* For a missing operand: "snapmig CMD: no WHAT given", the usage line and
 * the --help hint on stderr; returns SNM_EXIT_USAGE. */
int snm_opt_missing(const struct snm_opt_spec *spec, const char *what);

#endif
