package pgcluster

// The data directory: made private, handed to the server's OS user, and
// secured in place when an earlier version left it open.

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// makeDataDir creates dataDir with mode 0700. Missing parents are created
// with mode 0755 so that the postgres user can still traverse them.
func makeDataDir(dataDir string) error {
	if err := os.MkdirAll(filepath.Dir(dataDir), 0o755); err != nil {
		return fmt.Errorf("pgcluster: create parent of data directory: %w", err)
	}
	if err := makePrivateDir(dataDir); err != nil {
		return err
	}
	fi, err := os.Stat(dataDir)
	if err != nil {
		return fmt.Errorf("pgcluster: data directory: %w", err)
	}
	// The directory is chowned recursively when running as root: refuse
	// shared directories such as /tmp itself.
	if fi.Mode()&os.ModeSticky != 0 || filepath.Dir(dataDir) == dataDir {
		return fmt.Errorf("pgcluster: data directory %s looks shared (root or sticky bit); use a dedicated directory", dataDir)
	}
	return nil
}

// makePrivateDir creates dir with mode 0700, or tightens an existing one to
// it (a data directory from an earlier version may be wider).
func makePrivateDir(dir string) error {
	if err := os.Mkdir(dir, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("pgcluster: create %s: %w", dir, err)
	}
	fi, err := os.Stat(dir)
	if err != nil {
		return fmt.Errorf("pgcluster: %w", err)
	}
	if !fi.IsDir() {
		return fmt.Errorf("pgcluster: %s is not a directory", dir)
	}
	if fi.Mode().Perm() != 0o700 {
		if err := os.Chmod(dir, 0o700); err != nil {
			return fmt.Errorf("pgcluster: make %s private: %w", dir, err)
		}
	}
	return nil
}

// secure makes pg_hba.conf admit only the socket. When it had to change an
// existing cluster's file (one made by an earlier version, which trusted
// TCP on 127.0.0.1 and ran with fsync off), it first flushes every file of
// the cluster to disk, so that what the cluster held before is as durable as
// what it commits from now on.
func (c *Cluster) secure(ctx context.Context, existed bool) error {
	path := filepath.Join(c.pgData, "pg_hba.conf")
	old, err := os.ReadFile(path)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("pgcluster: %w", err)
	}
	if string(old) == hbaConf {
		return nil
	}
	if existed && !c.noSync {
		if out, err := c.run(ctx, "initdb", "--sync-only", "-D", c.pgData); err != nil {
			return fmt.Errorf("pgcluster: flush %s to disk: %w\n%s", c.pgData, err, out)
		}
	}
	tmp := path + ".guildhall"
	if err := os.WriteFile(tmp, []byte(hbaConf), 0o600); err != nil {
		return fmt.Errorf("pgcluster: %w", err)
	}
	if err := c.chown(tmp); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("pgcluster: %w", err)
	}
	if existed {
		c.logger.Info("pgcluster: secured a data directory made by an earlier version: socket only, fsync on", "pgdata", c.pgData)
	}
	return nil
}

// chown hands path to the server's OS user when the binaries run as one.
func (c *Cluster) chown(path string) error {
	if c.cred == nil {
		return nil
	}
	if err := os.Lchown(path, int(c.cred.Uid), int(c.cred.Gid)); err != nil {
		return fmt.Errorf("pgcluster: chown %s to %s: %w", path, pgUserName, err)
	}
	return nil
}
