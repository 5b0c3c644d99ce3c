// SPDX-License-Identifier: GPL-2.0
/*
 * lib/imgdir.c: an image directory is written under a temporary sibling
 * and only appears, complete, at commit.  After every case no "*.tmp-*"
 * sibling may remain.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "imgdir.h"
#include "unit.h"

static char *base, *img; /* scratch dir, and base/img: the destination */

static int setup(void **state)
{
	(void)state;
	unit_log_reset();
	base = unit_tmpdir();
	if (!base || asprintf(&img, "%s/img", base) < 0)
		return -1;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	unit_rm_rf(base);
	free(base);
	free(img);
	base = img = NULL;
	return 0;
}

static void write_at(int dfd, const char *name, const char *text)
{
	int fd = openat(dfd, name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

static void write_file(const char *dir, const char *name, const char *text)
{
	int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	assert_true(dfd >= 0);
	write_at(dfd, name, text);
	close(dfd);
}

/* The content of dir/name, or NULL if it does not exist. */
static char *read_file(const char *dir, const char *name)
{
	static char buf[256];
	char *p;
	ssize_t n;
	int fd;

	assert_true(asprintf(&p, "%s/%s", dir, name) > 0);
	fd = open(p, O_RDONLY | O_CLOEXEC);
	free(p);
	if (fd < 0)
		return NULL;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	assert_true(n >= 0);
	buf[n] = '\0';
	return buf;
}

/* Sorted, space-separated names in dir ("" if empty, NULL if missing). */
static char *list(const char *dir)
{
	static char out[1024];
	char names[32][256];
	struct dirent *de;
	int n = 0, i, j;
	DIR *d = opendir(dir);

	if (!d)
		return NULL;
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..") && n < 32)
			snprintf(names[n++], sizeof(names[0]), "%s", de->d_name);
	closedir(d);
	for (i = 1; i < n; i++)
		for (j = i; j > 0 && strcmp(names[j - 1], names[j]) > 0; j--) {
			char t[256];

			memcpy(t, names[j], sizeof(t));
			memcpy(names[j], names[j - 1], sizeof(t));
			memcpy(names[j - 1], t, sizeof(t));
		}
	out[0] = '\0';
	for (i = 0; i < n; i++) {
		if (i)
			strcat(out, " ");
		strcat(out, names[i]);
	}
	return out;
}

static void assert_no_tmp_sibling(void)
{
	char *names = list(base);

	assert_non_null(names);
	if (strstr(names, ".tmp-"))
		fail_msg("a temporary directory is left: %s", names);
}

static bool exists(const char *path)
{
	struct stat st;

	return !lstat(path, &st);
}

/* ---- begin + commit ---- */

static void test_missing_dest_is_created(void **state)
{
	struct ckpt_imgdir d;
	struct stat st;

	(void)state;
	assert_int_equal(ckpt_imgdir_begin(img, &d), 0);
	assert_string_equal(d.path, img);
	assert_non_null(strstr(d.tmp, ".tmp-"));
	assert_int_equal(strncmp(d.tmp, img, strlen(img)), 0); /* a sibling */
	assert_int_equal(stat(d.tmp, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0700);
	assert_int_equal(fcntl(d.dirfd, F_GETFD), FD_CLOEXEC);
	assert_false(exists(img)); /* nothing visible before the commit */
	write_at(d.dirfd, "pages-1.img", "pages");
	write_at(d.dirfd, "inventory.img", "inv");
	assert_int_equal(ckpt_imgdir_commit(&d), 0);
	assert_string_equal(list(img), "inventory.img pages-1.img");
	assert_string_equal(read_file(img, "inventory.img"), "inv");
	assert_no_tmp_sibling();
	assert_int_equal(unit_log_errors(), 0);
}

static void test_empty_dest_is_replaced(void **state)
{
	struct ckpt_imgdir d;

	(void)state;
	assert_int_equal(mkdir(img, 0755), 0);
	assert_int_equal(ckpt_imgdir_begin(img, &d), 0);
	write_at(d.dirfd, "inventory.img", "inv");
	assert_int_equal(ckpt_imgdir_commit(&d), 0);
	assert_string_equal(list(img), "inventory.img");
	assert_no_tmp_sibling();
}

static void test_previous_image_is_swapped(void **state)
{
	struct ckpt_imgdir d;

	(void)state;
	assert_int_equal(mkdir(img, 0755), 0);
	write_file(img, "inventory.img", "old");
	write_file(img, "old-only.img", "x");
	write_file(img, "pages-1.img", "old pages");
	assert_int_equal(ckpt_imgdir_begin(img, &d), 0);
	/* Until the commit, the previous image is intact. */
	assert_string_equal(read_file(img, "inventory.img"), "old");
	write_at(d.dirfd, "pages-1.img", "new pages");
	write_at(d.dirfd, "inventory.img", "new");
	assert_int_equal(ckpt_imgdir_commit(&d), 0);
	assert_string_equal(list(img), "inventory.img pages-1.img");
	assert_string_equal(read_file(img, "inventory.img"), "new");
	assert_string_equal(read_file(img, "pages-1.img"), "new pages");
	assert_no_tmp_sibling();
	assert_int_equal(unit_log_errors(), 0);
}

static void test_previous_image_with_subdir(void **state)
{
	struct ckpt_imgdir d;
	char *sub;

	(void)state;
	assert_int_equal(mkdir(img, 0755), 0);
	write_file(img, "inventory.img", "old");
	assert_true(asprintf(&sub, "%s/sub.img", img) > 0);
	assert_int_equal(mkdir(sub, 0755), 0);
	write_file(sub, "deep", "x");
	free(sub);
	assert_int_equal(ckpt_imgdir_begin(img, &d), 0);
	write_at(d.dirfd, "inventory.img", "new");
	assert_int_equal(ckpt_imgdir_commit(&d), 0);
	assert_string_equal(list(img), "inventory.img");
	assert_no_tmp_sibling();
}

static void test_relative_path(void **state)
{
	struct ckpt_imgdir d;
	int cwd = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);

	(void)state;
	assert_true(cwd >= 0);
	assert_int_equal(chdir(base), 0);
	assert_int_equal(ckpt_imgdir_begin("img", &d), 0);
	write_at(d.dirfd, "inventory.img", "inv");
	assert_int_equal(ckpt_imgdir_commit(&d), 0);
	assert_int_equal(fchdir(cwd), 0);
	close(cwd);
	assert_string_equal(list(img), "inventory.img");
	assert_no_tmp_sibling();
}

static void test_trailing_slash(void **state)
{
	struct ckpt_imgdir d;
	char *slash;

	(void)state;
	assert_true(asprintf(&slash, "%s//", img) > 0);
	/* Missing destination. */
	assert_int_equal(ckpt_imgdir_begin(slash, &d), 0);
	write_at(d.dirfd, "inventory.img", "one");
	assert_int_equal(ckpt_imgdir_commit(&d), 0);
	assert_string_equal(list(img), "inventory.img");
	assert_no_tmp_sibling();
	/* A previous image. */
	assert_int_equal(ckpt_imgdir_begin(slash, &d), 0);
	write_at(d.dirfd, "inventory.img", "two");
	assert_int_equal(ckpt_imgdir_commit(&d), 0);
	assert_string_equal(list(img), "inventory.img");
	assert_string_equal(read_file(img, "inventory.img"), "two");
	assert_no_tmp_sibling();
	/* An empty directory. */
	unit_rm_rf(img);
	assert_int_equal(mkdir(img, 0755), 0);
	assert_int_equal(ckpt_imgdir_begin(slash, &d), 0);
	write_at(d.dirfd, "inventory.img", "three");
	assert_int_equal(ckpt_imgdir_commit(&d), 0);
	assert_string_equal(read_file(img, "inventory.img"), "three");
	assert_no_tmp_sibling();
	free(slash);
	assert_int_equal(unit_log_errors(), 0);
}

static void test_stale_tmp_is_cleaned(void **state)
{
	struct ckpt_imgdir d;
	char *stale;

	(void)state;
	/* An earlier ckpt with our pid died half way. */
	assert_true(asprintf(&stale, "%s.tmp-%d", img, getpid()) > 0);
	assert_int_equal(mkdir(stale, 0700), 0);
	write_file(stale, "pages-1.img", "stale");
	assert_int_equal(ckpt_imgdir_begin(img, &d), 0);
	assert_string_equal(d.tmp, stale);
	assert_string_equal(list(d.tmp), "");
	write_at(d.dirfd, "inventory.img", "inv");
	assert_int_equal(ckpt_imgdir_commit(&d), 0);
	assert_string_equal(list(img), "inventory.img");
	assert_no_tmp_sibling();
	free(stale);
}

static void test_dest_appears_empty_before_commit(void **state)
{
	struct ckpt_imgdir d;

	(void)state;
	assert_int_equal(ckpt_imgdir_begin(img, &d), 0);
	assert_int_equal(mkdir(img, 0755), 0);
	write_at(d.dirfd, "inventory.img", "inv");
	assert_int_equal(ckpt_imgdir_commit(&d), 0);
	assert_string_equal(list(img), "inventory.img");
	assert_no_tmp_sibling();
}

/* ---- begin refuses ---- */

static void test_nonempty_without_image(void **state)
{
	struct ckpt_imgdir d;

	(void)state;
	assert_int_equal(mkdir(img, 0755), 0);
	write_file(img, "notes.txt", "mine");
	assert_int_equal(ckpt_imgdir_begin(img, &d), -ENOTEMPTY);
	assert_string_equal(list(img), "notes.txt");
	assert_string_equal(read_file(img, "notes.txt"), "mine");
	assert_no_tmp_sibling();
	assert_int_equal(unit_log_errors(), 1);
	assert_non_null(strstr(unit_log.last_err, img));
}

static void test_img_files_without_inventory(void **state)
{
	struct ckpt_imgdir d;

	(void)state;
	assert_int_equal(mkdir(img, 0755), 0);
	write_file(img, "pages-1.img", "half a dump");
	assert_int_equal(ckpt_imgdir_begin(img, &d), -ENOTEMPTY);
	assert_string_equal(list(img), "pages-1.img");
	assert_no_tmp_sibling();
}

static void test_image_plus_foreign_file(void **state)
{
	struct ckpt_imgdir d;

	(void)state;
	assert_int_equal(mkdir(img, 0755), 0);
	write_file(img, "inventory.img", "inv");
	write_file(img, "README", "keep me");
	assert_int_equal(ckpt_imgdir_begin(img, &d), -ENOTEMPTY);
	assert_string_equal(list(img), "README inventory.img");
	assert_no_tmp_sibling();
}

static void test_regular_file(void **state)
{
	struct ckpt_imgdir d;

	(void)state;
	write_file(base, "img", "a file");
	assert_int_equal(ckpt_imgdir_begin(img, &d), -ENOTDIR);
	assert_string_equal(read_file(base, "img"), "a file");
	assert_no_tmp_sibling();
	assert_int_equal(unit_log_errors(), 1);
	assert_non_null(strstr(unit_log.last_err, "not a directory"));
}

static void test_symlink_refused(void **state)
{
	struct ckpt_imgdir d;
	char target[4200];

	(void)state;
	snprintf(target, sizeof(target), "%s/real", base);
	assert_int_equal(mkdir(target, 0700), 0);
	assert_int_equal(symlink(target, img), 0);
	assert_int_equal(ckpt_imgdir_begin(img, &d), -ELOOP);
	assert_no_tmp_sibling();
	assert_int_equal(unit_log_errors(), 1);
	assert_non_null(strstr(unit_log.last_err, "symbolic link"));
}

static void test_missing_parent(void **state)
{
	struct ckpt_imgdir d;
	char *deep;

	(void)state;
	assert_true(asprintf(&deep, "%s/no/such/img", base) > 0);
	assert_int_equal(ckpt_imgdir_begin(deep, &d), -ENOENT);
	free(deep);
	assert_string_equal(list(base), "");
	assert_int_equal(unit_log_errors(), 1);
}

static void test_unreadable_dest(void **state)
{
	struct ckpt_imgdir d;
	char *file;

	(void)state;
	/* A path through a regular file: stat fails with ENOTDIR. */
	write_file(base, "f", "x");
	assert_true(asprintf(&file, "%s/f/img", base) > 0);
	assert_int_equal(ckpt_imgdir_begin(file, &d), -ENOTDIR);
	free(file);
	assert_string_equal(list(base), "f");
	assert_int_equal(unit_log_errors(), 1);
}

/* ---- commit fails, abort ---- */

static void test_commit_dest_became_nonempty(void **state)
{
	struct ckpt_imgdir d;

	(void)state;
	assert_int_equal(ckpt_imgdir_begin(img, &d), 0);
	write_at(d.dirfd, "inventory.img", "inv");
	assert_int_equal(mkdir(img, 0755), 0);
	write_file(img, "intruder", "x");
	assert_int_equal(ckpt_imgdir_commit(&d), -ENOTEMPTY);
	assert_int_equal(unit_log_errors(), 1);
	assert_string_equal(list(img), "intruder");
	ckpt_imgdir_abort(&d); /* still owns everything after a failed commit */
	assert_string_equal(list(img), "intruder");
	assert_no_tmp_sibling();
}

static void test_commit_dest_became_file(void **state)
{
	struct ckpt_imgdir d;

	(void)state;
	assert_int_equal(ckpt_imgdir_begin(img, &d), 0);
	write_file(base, "img", "a file");
	assert_int_equal(ckpt_imgdir_commit(&d), -ENOTDIR);
	assert_int_equal(unit_log_errors(), 1);
	ckpt_imgdir_abort(&d);
	assert_string_equal(read_file(base, "img"), "a file");
	assert_no_tmp_sibling();
}

static void test_abort_missing_dest(void **state)
{
	struct ckpt_imgdir d;
	char *tmp;

	(void)state;
	assert_int_equal(ckpt_imgdir_begin(img, &d), 0);
	tmp = strdup(d.tmp);
	write_at(d.dirfd, "pages-1.img", "p");
	write_at(d.dirfd, "inventory.img", "inv");
	ckpt_imgdir_abort(&d);
	assert_false(exists(tmp));
	assert_false(exists(img));
	assert_string_equal(list(base), "");
	free(tmp);
	assert_int_equal(unit_log_errors(), 0);
}

static void test_abort_keeps_previous_image(void **state)
{
	struct ckpt_imgdir d;

	(void)state;
	assert_int_equal(mkdir(img, 0755), 0);
	write_file(img, "inventory.img", "old");
	write_file(img, "pages-1.img", "old pages");
	assert_int_equal(ckpt_imgdir_begin(img, &d), 0);
	write_at(d.dirfd, "inventory.img", "new");
	ckpt_imgdir_abort(&d);
	assert_string_equal(list(img), "inventory.img pages-1.img");
	assert_string_equal(read_file(img, "inventory.img"), "old");
	assert_no_tmp_sibling();
}

static void test_abort_empty_dest_stays(void **state)
{
	struct ckpt_imgdir d;

	(void)state;
	assert_int_equal(mkdir(img, 0755), 0);
	assert_int_equal(ckpt_imgdir_begin(img, &d), 0);
	ckpt_imgdir_abort(&d);
	assert_string_equal(list(img), "");
	assert_no_tmp_sibling();
}

static void test_abort_removes_nested(void **state)
{
	struct ckpt_imgdir d;
	int sub;

	(void)state;
	assert_int_equal(ckpt_imgdir_begin(img, &d), 0);
	assert_int_equal(mkdirat(d.dirfd, "a", 0700), 0);
	sub = openat(d.dirfd, "a", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(sub >= 0);
	assert_int_equal(mkdirat(sub, "b", 0700), 0);
	write_at(sub, "file", "x");
	close(sub);
	ckpt_imgdir_abort(&d);
	assert_string_equal(list(base), "");
}

/* ---- ckpt_imgdir_open ---- */

static void test_open(void **state)
{
	int fd = -1;

	(void)state;
	assert_int_equal(mkdir(img, 0755), 0);
	write_file(img, "inventory.img", "inv");
	assert_int_equal(ckpt_imgdir_open(img, &fd), 0);
	assert_true(fd >= 0);
	assert_int_equal(fcntl(fd, F_GETFD), FD_CLOEXEC);
	assert_int_equal(faccessat(fd, "inventory.img", R_OK, 0), 0);
	close(fd);
	assert_int_equal(unit_log_errors(), 0);
}

static void test_open_errors(void **state)
{
	int fd = -7;

	(void)state;
	assert_int_equal(ckpt_imgdir_open(img, &fd), -ENOENT);
	assert_int_equal(unit_log_errors(), 1);
	assert_non_null(strstr(unit_log.last_err, img));
	write_file(base, "img", "a file");
	assert_int_equal(ckpt_imgdir_open(img, &fd), -ENOTDIR);
	assert_int_equal(unit_log_errors(), 2);
	assert_int_equal(fd, -7);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_missing_dest_is_created),
		T(test_empty_dest_is_replaced),
		T(test_previous_image_is_swapped),
		T(test_previous_image_with_subdir),
		T(test_relative_path),
		T(test_trailing_slash),
		T(test_stale_tmp_is_cleaned),
		T(test_dest_appears_empty_before_commit),
		T(test_nonempty_without_image),
		T(test_img_files_without_inventory),
		T(test_image_plus_foreign_file),
		T(test_regular_file),
		T(test_symlink_refused),
		T(test_missing_parent),
		T(test_unreadable_dest),
		T(test_commit_dest_became_nonempty),
		T(test_commit_dest_became_file),
		T(test_abort_missing_dest),
		T(test_abort_keeps_previous_image),
		T(test_abort_empty_dest_stays),
		T(test_abort_removes_nested),
		T(test_open),
		T(test_open_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
