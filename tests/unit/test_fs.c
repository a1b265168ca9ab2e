/* Unit tests for base/fs_posix.c: complete writes, whole-file reads, atomic replacement and
 * no-follow tree removal, each in a private temp directory. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../base/err.h"
#include "unit.h"
#include "../../base/fs.h"
#include "../../base/util.h"

#define dir unit_tmpdir

static void path_in(char *out, const char *leaf)
{
	assert_int_equal(ib_snprintf(out, IB_PATH_MAX, "%s/%s", dir, leaf), 0);
}

static void put(const char *leaf, const char *text)
{
	char p[IB_PATH_MAX];
	FILE *f;

	path_in(p, leaf);
	f = fopen(p, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static size_t entries(void)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	size_t n = 0;

	assert_non_null(d);
	while ((e = readdir(d)))
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

/* ---- writes ---- */

static void test_write_all_pipe(void **state)
{
	int p[2];
	char buf[6] = {0};

	(void)state;
	assert_int_equal(pipe(p), 0);
	assert_int_equal(ib_write_all(p[1], "hello", 5), 0);
	assert_int_equal(read(p[0], buf, 5), 5);
	assert_string_equal(buf, "hello");
	close(p[0]);
	/* No reader: EPIPE is returned, not retried forever. */
	signal(SIGPIPE, SIG_IGN);
	assert_int_equal(ib_write_all(p[1], "x", 1), -EPIPE);
	close(p[1]);
	assert_int_equal(ib_write_all(-1, "x", 1), -EBADF);
}

static void test_pwrite_all(void **state)
{
	char p[IB_PATH_MAX], *data;
	size_t len;
	int fd;

	(void)state;
	path_in(p, "pw");
	fd = open(p, O_RDWR | O_CREAT | O_TRUNC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(ib_pwrite_all(fd, "world", 5, 6), 0);
	assert_int_equal(ib_pwrite_all(fd, "hello ", 6, 0), 0);
	close(fd);
	assert_int_equal(ib_read_file(p, 100, 0, &data, &len), 0);
	assert_int_equal(len, 11);
	assert_string_equal(data, "hello world");
	free(data);
}

/* ---- reads ---- */

static void test_read_file(void **state)
{
	char p[IB_PATH_MAX], *data = NULL;
	size_t len = 99;

	(void)state;
	put("a", "abc");
	path_in(p, "a");
	assert_int_equal(ib_read_file(p, 3, 0, &data, &len), 0);
	assert_int_equal(len, 3);
	assert_string_equal(data, "abc");
	free(data);
	assert_int_equal(ib_read_file(p, 2, 0, &data, &len), -EFBIG);
	assert_null(data);
	assert_non_null(strstr(ib_errmsg(-EFBIG), "larger than 2 bytes"));
	/* len may be omitted */
	assert_int_equal(ib_read_file(p, 10, 0, &data, NULL), 0);
	free(data);
	path_in(p, "missing");
	assert_int_equal(ib_read_file(p, 10, IB_READ_QUIET, &data, &len), -ENOENT);
	assert_int_equal(len, 0);
}

static void test_read_file_refuses_links_dirs_fifos(void **state)
{
	char p[IB_PATH_MAX], t[IB_PATH_MAX], *data;
	size_t len;

	(void)state;
	put("target", "secret");
	path_in(t, "target");
	path_in(p, "link");
	assert_int_equal(symlink(t, p), 0);
	assert_int_equal(ib_read_file(p, 100, IB_READ_NOFOLLOW, &data, &len), -ELOOP);
	assert_int_equal(ib_read_file(p, 100, 0, &data, &len), 0); /* followed when allowed */
	free(data);
	assert_int_equal(ib_read_file(dir, 100, 0, &data, &len), -EINVAL);
	assert_non_null(strstr(ib_errmsg(-EINVAL), "not a regular file"));
	/* A FIFO must not block the open (nobody writes to it): refused at once. */
	path_in(p, "fifo");
	assert_int_equal(mkfifo(p, 0600), 0);
	assert_int_equal(ib_read_file(p, 100, IB_READ_NOFOLLOW, &data, &len), -EINVAL);
}

/* ---- atomic replacement ---- */

static void test_atomic_replaces_and_sets_mode(void **state)
{
	char p[IB_PATH_MAX], *data;
	struct stat st;
	size_t len;

	(void)state;
	put("f", "old content");
	path_in(p, "f");
	assert_int_equal(ib_atomic_write_file(p, 0640, "new", 3), 0);
	assert_int_equal(ib_read_file(p, 100, 0, &data, &len), 0);
	assert_string_equal(data, "new");
	free(data);
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0640);
	assert_int_equal(entries(), 1); /* no temp file left */
}

static void test_atomic_abort_leaves_target(void **state)
{
	struct ib_atomic_file a;
	char p[IB_PATH_MAX], *data;
	size_t len;

	(void)state;
	put("f", "keep");
	path_in(p, "f");
	assert_int_equal(ib_atomic_begin(&a, p, 0644), 0);
	assert_int_equal(entries(), 2);
	assert_int_equal(strncmp(a.tmp, p, strlen(p)), 0);
	assert_non_null(strstr(a.tmp, ".tmp."));
	assert_int_equal(ib_atomic_write(&a, "half", 4), 0);
	ib_atomic_abort(&a);
	ib_atomic_abort(&a); /* twice is harmless */
	assert_int_equal(entries(), 1);
	assert_int_equal(ib_read_file(p, 100, 0, &data, &len), 0);
	assert_string_equal(data, "keep");
	free(data);
}

static void test_atomic_commit_failure_removes_temp(void **state)
{
	struct ib_atomic_file a;
	char p[IB_PATH_MAX];

	(void)state;
	/* The target is a non-empty directory: the rename fails and the temp file goes. */
	path_in(p, "d");
	assert_int_equal(mkdir(p, 0755), 0);
	put("d/x", "x");
	assert_int_equal(ib_atomic_begin(&a, p, 0644), 0);
	assert_int_equal(ib_atomic_write(&a, "data", 4), 0);
	assert_true(ib_atomic_commit(&a) < 0);
	assert_int_equal(entries(), 1);
	ib_atomic_abort(&a);
}

static void test_atomic_errors(void **state)
{
	struct ib_atomic_file a;
	char p[IB_PATH_MAX], longp[IB_PATH_MAX];

	(void)state;
	path_in(p, "no/such/dir/f");
	assert_true(ib_atomic_begin(&a, p, 0644) < 0);
	ib_atomic_abort(&a);
	/* A name that fits but whose temp name does not is refused, never truncated. */
	memset(longp, 'a', sizeof(longp) - 8);
	longp[0] = '/';
	longp[sizeof(longp) - 8] = '\0';
	assert_int_equal(ib_atomic_begin(&a, longp, 0644), -ENAMETOOLONG);
	ib_atomic_abort(&a);
	assert_true(ib_atomic_commit(&a) < 0); /* nothing open */
}

/* ---- tree removal ---- */

static void test_rmtree_does_not_follow_links(void **state)
{
	char p[IB_PATH_MAX], t[IB_PATH_MAX];
	struct stat st;

	(void)state;
	path_in(p, "outside");
	assert_int_equal(mkdir(p, 0755), 0);
	put("outside/precious", "x");
	path_in(p, "tree");
	assert_int_equal(mkdir(p, 0755), 0);
	path_in(p, "tree/sub");
	assert_int_equal(mkdir(p, 0755), 0);
	put("tree/sub/file", "y");
	path_in(t, "outside");
	path_in(p, "tree/sub/link");
	assert_int_equal(symlink(t, p), 0);
	path_in(p, "tree");
	assert_int_equal(ib_rmtree(p), 0);
	assert_int_equal(lstat(p, &st), -1);
	path_in(p, "outside/precious");
	assert_int_equal(stat(p, &st), 0);
	/* Already gone: success; a plain file or a link at the name is removed itself. */
	path_in(p, "tree");
	assert_int_equal(ib_rmtree(p), 0);
	path_in(p, "alink");
	assert_int_equal(symlink(t, p), 0);
	assert_int_equal(ib_rmtree(p), 0);
	path_in(p, "outside/precious");
	assert_int_equal(stat(p, &st), 0);
}

/* Deeper than any recursion limit and than the number of descriptors the process may open. */
static void test_rmtree_deep(void **state)
{
	struct rlimit old, low;
	char p[IB_PATH_MAX];
	int fd, depth = 600;
	struct stat st;

	(void)state;
	path_in(p, "deep");
	assert_int_equal(mkdir(p, 0755), 0);
	fd = open(p, O_RDONLY | O_DIRECTORY);
	for (int i = 0; i < depth; i++) {
		int next;

		assert_int_equal(mkdirat(fd, "d", 0755), 0);
		next = openat(fd, "d", O_RDONLY | O_DIRECTORY);
		assert_true(next >= 0);
		if (i % 7 == 0)
			close(openat(next, "f", O_WRONLY | O_CREAT, 0644));
		close(fd);
		fd = next;
	}
	close(fd);
	assert_int_equal(getrlimit(RLIMIT_NOFILE, &old), 0);
	low = old;
	low.rlim_cur = 64; /* the soft limit only: it can be raised again */
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &low), 0);
	assert_int_equal(ib_rmtree(p), 0);
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &old), 0);
	assert_int_equal(lstat(p, &st), -1);
}

static void test_dir_names_sorted_by_bytes(void **state)
{
	char **names;
	size_t n;
	DIR *d;

	(void)state;
	put("b", "");
	put("B", "");
	put("a", "");
	put(".hidden", "");
	d = opendir(dir);
	assert_int_equal(ib_dir_names(d, 0, &names, &n), 0);
	closedir(d);
	assert_int_equal(n, 4);
	assert_string_equal(names[0], ".hidden");
	assert_string_equal(names[1], "B");
	assert_string_equal(names[2], "a");
	assert_string_equal(names[3], "b");
	ib_dir_names_free(names, n);
	d = opendir(dir);
	assert_int_equal(ib_dir_names(d, IB_DIR_NO_HIDDEN, &names, &n), 0);
	closedir(d);
	assert_int_equal(n, 3);
	ib_dir_names_free(names, n);
}

static void test_sync_parent(void **state)
{
	char p[IB_PATH_MAX];

	(void)state;
	path_in(p, "x");
	assert_int_equal(ib_sync_parent(p), 0);
	assert_int_equal(ib_sync_parent("relative-name"), 0);
	assert_int_equal(ib_sync_parent("/top"), 0);
	assert_true(ib_sync_parent("/no/such/dir/x") < 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_write_all_pipe, unit_tmpdir_setup, unit_tmpdir_teardown),
		cmocka_unit_test_setup_teardown(test_pwrite_all, unit_tmpdir_setup, unit_tmpdir_teardown),
		cmocka_unit_test_setup_teardown(test_read_file, unit_tmpdir_setup, unit_tmpdir_teardown),
		cmocka_unit_test_setup_teardown(test_read_file_refuses_links_dirs_fifos, unit_tmpdir_setup,
						unit_tmpdir_teardown),
		cmocka_unit_test_setup_teardown(test_atomic_replaces_and_sets_mode, unit_tmpdir_setup,
						unit_tmpdir_teardown),
		cmocka_unit_test_setup_teardown(test_atomic_abort_leaves_target, unit_tmpdir_setup,
						unit_tmpdir_teardown),
		cmocka_unit_test_setup_teardown(test_atomic_commit_failure_removes_temp, unit_tmpdir_setup,
						unit_tmpdir_teardown),
		cmocka_unit_test_setup_teardown(test_atomic_errors, unit_tmpdir_setup, unit_tmpdir_teardown),
		cmocka_unit_test_setup_teardown(test_rmtree_does_not_follow_links, unit_tmpdir_setup,
						unit_tmpdir_teardown),
		cmocka_unit_test_setup_teardown(test_rmtree_deep, unit_tmpdir_setup, unit_tmpdir_teardown),
		cmocka_unit_test_setup_teardown(test_dir_names_sorted_by_bytes, unit_tmpdir_setup,
						unit_tmpdir_teardown),
		cmocka_unit_test_setup_teardown(test_sync_parent, unit_tmpdir_setup, unit_tmpdir_teardown),
	};

	return cmocka_run_group_tests_name("fs", tests, NULL, NULL);
}
