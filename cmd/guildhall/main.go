// Command guildhall serves the Guildhall groups server and manages it:
//
//	guildhall serve                     serve the dashboard and the API
//	guildhall migrate                   apply pending migrations and exit
//	guildhall user add --email E ...    create an account
//	guildhall backup FILE               back up the database (pg_dump)
//	guildhall restore FILE              restore a backup (pg_restore)
//	guildhall seed                      fill the database with seeded data
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "guildhall:", err)
		os.Exit(1)
	}
}

const usage = `usage:
  guildhall serve   [--addr A] [--database-url U] [--data-dir D] [--trust-proxy] [--metrics-addr M]
                    [--shutdown-timeout T] [--drain-delay T] [--api-rate-limit R] [--api-burst B]
  guildhall migrate [--database-url U] [--data-dir D]
  guildhall user add --email E --name N (--password P | --password-stdin) [--site-admin] [--private-profile]
  guildhall token create --email E --name N [--elevated]
  guildhall backup  [--database-url U] [--data-dir D] FILE
  guildhall restore [--replace] [--database-url U] [--data-dir D] FILE
  guildhall seed [--accounts N] [--groups N] [--members-per-group N] [--queue N] [--queue-group NAME] [--queue-owner EMAIL] [--force]`

// run dispatches a subcommand; it is main without the process exits.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return errors.New("no command given\n" + usage)
	}
	logger := slog.New(slog.NewJSONHandler(stderr, nil))
	switch args[0] {
	case "serve":
		return serve(ctx, args[1:], logger)
	case "migrate":
		return migrate(ctx, args[1:], stdout, logger)
	case "user":
		if len(args) < 2 || args[1] != "add" {
			return errors.New("unknown user command\n" + usage)
		}
		return userAdd(ctx, args[2:], stdin, stdout, logger)
	case "seed":
		return seedCmd(ctx, args[1:], stdout, stderr, logger)
	case "token":
		if len(args) < 2 || args[1] != "create" {
			return errors.New("unknown token command\n" + usage)
		}
		return tokenCreate(ctx, args[2:], stdout, logger)
	case "backup":
		return backup(ctx, args[1:], stdout, logger)
	case "restore":
		return restore(ctx, args[1:], stdout, logger)
	case "help", "-h", "--help":
		fmt.Fprintln(stdout, usage)
		return nil
	default:
		return fmt.Errorf("unknown command %q\n%s", args[0], usage)
	}
}
